//! Users: the list with search, New user (the seeds' "Name", "User name", "Show password",
//! "Create", or "Send an invitation"), and the user's page (profile, sign-in blocked or
//! not, password reset, invitation, groups, assigned applications, roles, delete).

use super::form::{input_of, FieldErrors};
use crate::admin::audit::Change;
use crate::admin::errors::AdminCode;
use crate::admin::{roles, Permission, Role};
use crate::directory::{self, password, DirectoryError, NewUser, User, UserUpdate};
use crate::selfservice::change as password_change;
use crate::selfservice::{invite, SelfServiceError};
use crate::web::auth::SignedIn;
use crate::web::portal::access::{check_csrf, require, Admin};
use crate::web::portal::error::{PortalError, PortalResult};
use crate::web::portal::kit::{self, record, Fields, Pager};
use crate::web::portal::layout::{page, page_with_status, render, Crumb, Flash, Section};
use crate::web::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Form, Router};
use std::collections::HashMap;

const PER_PAGE: i64 = 50;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list))
        .route("/admin/users/new", get(new_form).post(create))
        .route("/admin/users/{id}", get(show).post(update))
        .route("/admin/users/{id}/enabled", post(set_enabled))
        .route("/admin/users/{id}/password", post(reset_password))
        .route(
            "/admin/users/{id}/password-change-required",
            post(set_change_required),
        )
        .route("/admin/users/{id}/invitation", post(invite))
        .route("/admin/users/{id}/delete", post(delete))
        .route("/admin/users/{id}/roles", post(change_role))
}

fn crumbs(last: Option<(&str, &str)>) -> Vec<Crumb> {
    let mut c = vec![
        Crumb::new("/admin", "Overview"),
        Crumb::new("/admin/users", "Users"),
    ];
    if let Some((href, label)) = last {
        c.push(Crumb::new(href, label));
    }
    c
}

fn name_of(u: &User) -> &str {
    if u.display_name.is_empty() {
        &u.upn
    } else {
        &u.display_name
    }
}

// ---------------------------------------------------------------- list

struct UserRow {
    id: String,
    name: String,
    upn: String,
    mail: String,
    enabled: bool,
}

#[derive(Template)]
#[template(path = "portal/users/list.html")]
struct ListBody {
    q: String,
    status: String,
    can_manage: bool,
    total: i64,
    users: Vec<UserRow>,
    pager: Pager,
}

async fn list(
    State(state): State<AppState>,
    Admin(si): Admin,
    kit::Flashed(flash): kit::Flashed,
    Query(query): Query<HashMap<String, String>>,
) -> PortalResult {
    require(&si, Permission::ReadDirectory)?;
    let q = query.get("q").map(|s| s.trim()).unwrap_or("").to_owned();
    let status = match query.get("status").map(String::as_str) {
        Some("enabled") => "enabled",
        Some("disabled") => "disabled",
        _ => "",
    };
    let pg = kit::page_number(query.get("page").map(String::as_str));
    let f = crate::store::UserSearch {
        text: Some(q.clone()),
        enabled: match status {
            "enabled" => Some(true),
            "disabled" => Some(false),
            _ => None,
        },
        limit: PER_PAGE,
        offset: (pg - 1) * PER_PAGE,
    };
    let (users, total) = state.store().users_search(&f).await?;
    let rows: Vec<UserRow> = users
        .iter()
        .map(|u| UserRow {
            id: u.id.clone(),
            name: name_of(u).to_owned(),
            upn: u.upn.clone(),
            mail: u.mail.clone(),
            enabled: u.enabled,
        })
        .collect();
    let base = format!("/admin/users?q={}&status={}&", kit::q(&q), status);
    let body = render(&ListBody {
        q,
        status: status.to_owned(),
        can_manage: si.principal.can(Permission::ManageDirectory),
        total,
        users: rows,
        pager: Pager::new(&base, pg, pg * PER_PAGE < total),
    });
    Ok(page(
        &state,
        &si,
        Section::Users,
        "Users",
        crumbs(None),
        flash,
        &body,
    ))
}

// ---------------------------------------------------------------- New user

#[derive(Template)]
#[template(path = "portal/users/new.html")]
struct NewBody<'a> {
    csrf: &'a str,
    display_name: String,
    upn: String,
    given_name: String,
    surname: String,
    mail: String,
    custom: bool,
    invite: bool,
    password: String,
    generated: String,
    block: bool,
    errors: FieldErrors,
}

async fn new_form(State(state): State<AppState>, Admin(si): Admin) -> PortalResult {
    require(&si, Permission::ManageDirectory)?;
    let generated = match password::generate_password() {
        Ok(p) => p,
        Err(e) => return Err(PortalError::internal(e)),
    };
    let body = render(&NewBody {
        csrf: &si.csrf,
        display_name: String::new(),
        upn: String::new(),
        given_name: String::new(),
        surname: String::new(),
        mail: String::new(),
        custom: false,
        invite: false,
        password: generated.clone(),
        generated,
        block: false,
        errors: FieldErrors::default(),
    });
    Ok(page(
        &state,
        &si,
        Section::Users,
        "New user",
        crumbs(Some(("", "New user"))),
        None,
        &body,
    ))
}

/// Hashes `pw` on the blocking pool (Argon2id, ~20 ms).
async fn hash(pw: &str) -> Result<String, DirectoryError> {
    let pw = pw.to_owned();
    tokio::task::spawn_blocking(move || password::hash_password(&pw))
        .await
        .map_err(|e| {
            DirectoryError::Password(password::PasswordError::Hash(format!(
                "hashing task failed: {e}"
            )))
        })?
        .map_err(DirectoryError::Password)
}

/// The password a form asks for: the generated one shown (or a new one when the field
/// was emptied) with "Auto-generate", the one typed with "Let me create the password".
fn chosen_password(f: &Fields, errors: &mut FieldErrors) -> Option<String> {
    let custom = f.field("password_mode") == "custom";
    let given = f.raw("password");
    let pw = if given.is_empty() && !custom {
        match password::generate_password() {
            Ok(p) => p,
            Err(e) => {
                errors.add("password", e.to_string());
                return None;
            }
        }
    } else {
        given.to_owned()
    };
    if let Err(e) = password::check_policy(&pw) {
        errors.add(
            "password",
            format!("{e} (letters, digits and symbols all count)"),
        );
        return None;
    }
    Some(pw)
}

async fn create(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    require(&si, Permission::ManageDirectory)?;
    let mut errors = FieldErrors::default();
    let upn = f.field("upn").to_owned();
    let display_name = f.field("display_name").to_owned();
    if display_name.is_empty() {
        errors.add(
            "display_name",
            "Name is empty: enter the name people see, e.g. B.Simon.",
        );
    }
    if let Err(DirectoryError::Invalid { reason, .. }) = directory::validate_upn(&upn) {
        errors.add("upn", format!("User name {reason}."));
    }
    let inviting = f.field("password_mode") == "invite";
    let pw = if inviting {
        None
    } else {
        chosen_password(&f, &mut errors)
    };
    if let Some(p) = &pw {
        if let Err(e) = directory::policy::load(state.store()).await?.check(&upn, p) {
            errors.add(
                "password",
                format!("{}: {e}", AdminCode::PasswordPolicy.code()),
            );
        }
    }
    let mail = match f.field("mail") {
        "" => upn.clone(),
        m => m.to_owned(),
    };
    if inviting && crate::mail::message::parse_address("mail", &mail).is_err() {
        errors.add(
            "mail",
            format!(
                "{}: the invitation is mailed, and {mail:?} is not a mail address; enter one like b.simon@contoso.com.",
                crate::selfservice::SelfServiceCode::InviteNoMail.code()
            ),
        );
    }
    let again = |errors: FieldErrors, status: StatusCode| {
        let generated = f.raw("generated").to_owned();
        let body = render(&NewBody {
            csrf: &si.csrf,
            display_name: display_name.clone(),
            upn: upn.clone(),
            given_name: f.field("given_name").to_owned(),
            surname: f.field("surname").to_owned(),
            mail: f.field("mail").to_owned(),
            custom: f.field("password_mode") == "custom",
            invite: f.field("password_mode") == "invite",
            password: f.raw("password").to_owned(),
            generated,
            block: f.checked("block_sign_in"),
            errors,
        });
        page_with_status(
            &state,
            &si,
            Section::Users,
            "New user",
            crumbs(Some(("", "New user"))),
            Flash::error(format!(
                "{}: the user was not created. Correct the fields marked below and select Create again.",
                if status == StatusCode::CONFLICT {
                    AdminCode::Conflict.code()
                } else {
                    AdminCode::Invalid.code()
                }
            )),
            &body,
            status,
        )
    };
    if !errors.is_empty() || (pw.is_none() && !inviting) {
        return Ok(again(errors, kit::UNPROCESSABLE));
    }
    let hash = match &pw {
        Some(p) => Some(hash(p).await?),
        None => None,
    };
    let new = NewUser {
        upn: upn.clone(),
        display_name: display_name.clone(),
        given_name: f.field("given_name").to_owned(),
        surname: f.field("surname").to_owned(),
        mail,
        disabled: f.checked("block_sign_in"),
        password_hash: hash,
        ..NewUser::default()
    };
    let user = match directory::create_user(state.store(), new).await {
        Ok(u) => u,
        Err(DirectoryError::Invalid { field, reason }) => {
            let mut errors = FieldErrors::default();
            errors.add(input_of(field), format!("{field}: {reason}"));
            return Ok(again(errors, kit::UNPROCESSABLE));
        }
        Err(DirectoryError::Conflict(m)) => {
            let mut errors = FieldErrors::default();
            errors.add("upn", format!("{m}: choose another user name."));
            return Ok(again(errors, StatusCode::CONFLICT));
        }
        Err(e) => return Err(e.into()),
    };
    record(
        &state,
        &si,
        &headers,
        Change::new("user.create", "user", &user.id, &user.upn).after(&user),
    )
    .await;
    let to = format!("/admin/users/{}", user.id);
    let Some(pw) = pw else {
        // Created without a password: the invitation sets it.
        return Ok(
            match send_invitation(&state, &si, &headers, &user, false).await? {
                Ok(done) => {
                    kit::redirect_ok(&state, &to, &format!("User {} created. {done}", user.upn))
                }
                Err(e) => kit::redirect_error(
                    &state,
                    &to,
                    &format!(
                        "User {} created, but the invitation was not sent: {e}",
                        user.upn
                    ),
                ),
            },
        );
    };
    let r = kit::redirect_ok(&state, &to, &format!("User {} created.", user.upn));
    Ok(kit::with_secret(&state, r, &user.id, &pw))
}

/// Sends `u` an invitation by mail (`force`: even though they have a password); the
/// flash text of the outcome, or of the refusal with its code.
async fn send_invitation(
    state: &AppState,
    si: &SignedIn,
    headers: &HeaderMap,
    u: &User,
    force: bool,
) -> PortalResult<Result<String, String>> {
    let public_url = state
        .cache()
        .get()
        .tenant
        .as_ref()
        .map(|t| t.public_url.clone())
        .unwrap_or_default();
    let corr = crate::web::http::correlation(headers);
    let inv = invite::Invite {
        user: u,
        delivery: invite::Delivery::Mail,
        force,
        public_url: &public_url,
        actor: &si.principal.actor,
        correlation_id: &corr,
    };
    Ok(
        match invite::send(state.store(), inv, crate::clock::now_unix()).await {
            Ok(sent) => Ok(format!(
                "Invitation sent to {}; it expires on {}.",
                sent.to.unwrap_or_default(),
                invite::when(sent.link.expires_at)
            )),
            Err(e @ (SelfServiceError::Refused { .. } | SelfServiceError::Link { .. })) => {
                Err(e.to_string())
            }
            Err(SelfServiceError::Mail(m)) => Err(format!("the mail address was refused: {m}")),
            Err(e) => return Err(e.into()),
        },
    )
}

/// `POST /admin/users/{id}/invitation`: Invite / Resend invitation (`force=true` when
/// the user has a password and the administrator confirmed).
async fn invite(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let u = guard(&state, &si, &headers, &f, &id, Permission::ManageDirectory).await?;
    let to = format!("/admin/users/{}", u.id);
    let force = f.field("force") == "true";
    Ok(
        match send_invitation(&state, &si, &headers, &u, force).await? {
            Ok(done) => kit::redirect_ok(&state, &to, &done),
            Err(refused) => kit::redirect_error(&state, &to, &refused),
        },
    )
}

// ---------------------------------------------------------------- the user's page

struct GroupRow {
    id: String,
    name: String,
    description: String,
}

struct AppRow {
    id: String,
    name: String,
    roles: String,
}

#[derive(Template)]
#[template(path = "portal/users/user.html")]
struct UserBody<'a> {
    csrf: &'a str,
    u: &'a User,
    name: &'a str,
    created: String,
    updated: String,
    password: Option<String>,
    can_manage: bool,
    can_roles: bool,
    is_self: bool,
    groups: Vec<GroupRow>,
    apps: Vec<AppRow>,
    roles: Vec<&'static str>,
    other_roles: Vec<&'static str>,
    methods: Vec<super::methods::MethodRow>,
    sessions: Vec<super::super::session_rows::SessionRow>,
    form: ProfileForm,
    errors: FieldErrors,
    /// The invitation's state, as the page says it ('' when never invited).
    invitation: String,
    /// Whether an invitation was sent before (the button says Resend).
    invited: bool,
    /// Whether the user has a password (inviting asks for a confirmation).
    has_password: bool,
}

/// The profile fields as shown in the form (the stored ones, or those posted).
struct ProfileForm {
    display_name: String,
    upn: String,
    given_name: String,
    surname: String,
    mail: String,
    department: String,
    job_title: String,
}

impl ProfileForm {
    fn of(u: &User) -> ProfileForm {
        ProfileForm {
            display_name: u.display_name.clone(),
            upn: u.upn.clone(),
            given_name: u.given_name.clone(),
            surname: u.surname.clone(),
            mail: u.mail.clone(),
            department: u.department.clone(),
            job_title: u.job_title.clone(),
        }
    }

    fn posted(f: &Fields) -> ProfileForm {
        ProfileForm {
            display_name: f.field("display_name").to_owned(),
            upn: f.field("upn").to_owned(),
            given_name: f.field("given_name").to_owned(),
            surname: f.field("surname").to_owned(),
            mail: f.field("mail").to_owned(),
            department: f.field("department").to_owned(),
            job_title: f.field("job_title").to_owned(),
        }
    }
}

async fn load(state: &AppState, id: &str) -> PortalResult<User> {
    match state.store().user_by_id(id).await {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(PortalError::not_found("No user has this object id: it may have been deleted. The Users list shows every user.",
        )),
        Err(e) => Err(e.into()),
    }
}

#[allow(clippy::too_many_arguments)]
async fn user_page(
    state: &AppState,
    si: &SignedIn,
    headers: &HeaderMap,
    u: &User,
    form: ProfileForm,
    errors: FieldErrors,
    flash: Option<Flash>,
    status: StatusCode,
) -> PortalResult {
    let store = state.store();
    let groups = directory::user_groups_transitive(store, &u.id).await?;
    let mut groups: Vec<GroupRow> = groups
        .into_iter()
        .map(|g| GroupRow {
            id: g.id,
            name: g.name,
            description: g.description,
        })
        .collect();
    groups.sort_by_key(|g| g.name.to_lowercase());
    let all_apps = store.list_apps().await?;
    let mut apps = Vec::new();
    for a in all_apps {
        match crate::apps::assignments::user_assignment(store, &a.id, &u.id).await {
            Ok(Some(roles)) => apps.push(AppRow {
                id: a.id,
                name: a.name,
                roles: roles
                    .iter()
                    .map(|r| {
                        if r.is_empty() {
                            "Default Access"
                        } else {
                            r.as_str()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
            Ok(None) => {}
            Err(e) => return Err(e.into()),
        }
    }
    apps.sort_by_key(|a| a.name.to_lowercase());
    let held = roles::roles_of(store, &u.id).await?;
    let inv = invite::state(store, &u.id, crate::clock::now_unix()).await?;
    let body = render(&UserBody {
        csrf: &si.csrf,
        u,
        name: name_of(u),
        created: kit::time_s(u.created_at),
        updated: kit::time_s(u.updated_at),
        password: kit::take_secret(state, headers, &u.id),
        can_manage: si.principal.can(Permission::ManageDirectory),
        can_roles: si.principal.can(Permission::ManageRoles),
        is_self: si.user.id == u.id,
        groups,
        apps,
        roles: held.iter().map(|r| r.as_str()).collect(),
        other_roles: Role::ALL
            .iter()
            .filter(|r| !held.contains(r))
            .map(|r| r.as_str())
            .collect(),
        methods: super::methods::rows(state, &u.id).await?,
        sessions: super::super::session_rows::rows(state, u, None).await?,
        form,
        errors,
        invitation: match inv {
            invite::State::None => String::new(),
            invite::State::Sent { at, expires } => format!(
                "Invitation sent {}, expires {}.",
                invite::when(at),
                invite::when(expires)
            ),
            invite::State::Expired { expires, .. } => {
                format!("Invitation expired ({}).", invite::when(expires))
            }
            invite::State::Accepted { at } => format!("Accepted {}.", invite::when(at)),
        },
        invited: inv != invite::State::None,
        has_password: store.password_hash(&u.id).await?.is_some(),
    });
    Ok(page_with_status(
        state,
        si,
        Section::Users,
        name_of(u),
        crumbs(Some(("", name_of(u)))),
        flash,
        &body,
        status,
    ))
}

async fn show(
    State(state): State<AppState>,
    Admin(si): Admin,
    kit::Flashed(flash): kit::Flashed,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PortalResult {
    require(&si, Permission::ReadDirectory)?;
    let u = load(&state, &id).await?;
    let form = ProfileForm::of(&u);
    user_page(
        &state,
        &si,
        &headers,
        &u,
        form,
        FieldErrors::default(),
        flash,
        StatusCode::OK,
    )
    .await
}

/// CSRF, then `ManageDirectory`, then the user: what every change of this page checks.
async fn guard(
    state: &AppState,
    si: &SignedIn,
    headers: &HeaderMap,
    f: &Fields,
    id: &str,
    p: Permission,
) -> PortalResult<User> {
    check_csrf(si, headers, f.csrf())?;
    require(si, p)?;
    load(state, id).await
}

async fn update(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let before = guard(&state, &si, &headers, &f, &id, Permission::ManageDirectory).await?;
    let form = ProfileForm::posted(&f);
    let upd = UserUpdate {
        upn: Some(form.upn.clone()),
        display_name: Some(form.display_name.clone()),
        given_name: Some(form.given_name.clone()),
        surname: Some(form.surname.clone()),
        mail: Some(form.mail.clone()),
        department: Some(form.department.clone()),
        job_title: Some(form.job_title.clone()),
        ..UserUpdate::default()
    };
    let mut errors = FieldErrors::default();
    if let Err(DirectoryError::Invalid { reason, .. }) = directory::validate_upn(&form.upn) {
        errors.add("upn", format!("User name {reason}."));
    }
    let (status, code) = if errors.is_empty() {
        match directory::update_user(state.store(), &before.id, upd).await {
            Ok(after) => {
                record(
                    &state,
                    &si,
                    &headers,
                    Change::new("user.update", "user", &after.id, &after.upn)
                        .before(&before)
                        .after(&after),
                )
                .await;
                return Ok(kit::redirect_ok(
                    &state,
                    &format!("/admin/users/{}", after.id),
                    "Profile saved.",
                ));
            }
            Err(DirectoryError::Invalid { field, reason }) => {
                errors.add(input_of(field), format!("{field}: {reason}"));
                (kit::UNPROCESSABLE, AdminCode::Invalid)
            }
            Err(DirectoryError::Conflict(m)) => {
                errors.add("upn", format!("{m}: choose another user name."));
                (StatusCode::CONFLICT, AdminCode::Conflict)
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        (kit::UNPROCESSABLE, AdminCode::Invalid)
    };
    let flash = Flash::error(format!(
        "{}: the profile was not saved. Correct the fields marked below and select Save again.",
        code.code()
    ));
    user_page(&state, &si, &headers, &before, form, errors, flash, status).await
}

/// Whether `u` is the only Global Administrator.
async fn last_global_admin(state: &AppState, u: &User) -> Result<bool, crate::store::StoreError> {
    let holders = state.store().role_holders().await?;
    let globals: Vec<_> = holders
        .iter()
        .filter(|(_, r)| Role::parse(r) == Some(Role::GlobalAdministrator))
        .collect();
    Ok(globals.len() == 1 && globals[0].0 == u.id)
}

async fn set_enabled(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let before = guard(&state, &si, &headers, &f, &id, Permission::ManageDirectory).await?;
    let enabled = match f.field("enabled") {
        "true" => true,
        "false" => false,
        other => {
            return Err(PortalError::new(AdminCode::Invalid, format!("enabled: {other:?} is neither true nor false; use the page's Block sign-in or Allow sign-in button."),
            ))
        }
    };
    let to = format!("/admin/users/{}", before.id);
    if !enabled && si.user.id == before.id {
        return Ok(kit::redirect_error(
            &state,
            &to,
            &format!(
                "{}: you cannot block sign-in of the account you are signed in with; ask another Global Administrator.",
                AdminCode::Conflict.code()
            ),
        ));
    }
    let after = directory::set_enabled(state.store(), &before.id, enabled).await?;
    if before.enabled != after.enabled {
        let action = if enabled {
            "user.enable"
        } else {
            "user.disable"
        };
        record(
            &state,
            &si,
            &headers,
            Change::new(action, "user", &after.id, &after.upn)
                .before(&before)
                .after(&after),
        )
        .await;
    }
    Ok(kit::redirect_ok(
        &state,
        &to,
        if enabled {
            "Sign-in allowed: the user can sign in again."
        } else {
            "Sign-in blocked: the user's sessions ended and the user cannot sign in."
        },
    ))
}

async fn reset_password(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let u = guard(&state, &si, &headers, &f, &id, Permission::ManageDirectory).await?;
    let to = format!("/admin/users/{}", u.id);
    let mut errors = FieldErrors::default();
    let Some(pw) = chosen_password(&f, &mut errors) else {
        let msg = errors
            .get("password")
            .unwrap_or("the password was refused")
            .to_owned();
        return Ok(kit::redirect_error(
            &state,
            &to,
            &format!(
                "{}: the password was not reset: {msg}.",
                AdminCode::Invalid.code()
            ),
        ));
    };
    if let Err(e) = directory::set_password(state.store(), &u.id, &pw).await {
        if let DirectoryError::Password(password::PasswordError::Policy(m)) = &e {
            return Ok(kit::redirect_error(
                &state,
                &to,
                &format!(
                    "{}: the password was not reset: {m}.",
                    AdminCode::PasswordPolicy.code()
                ),
            ));
        }
        return Err(e.into());
    }
    record(
        &state,
        &si,
        &headers,
        Change::new("user.password.reset", "user", &u.id, &u.upn)
            .after(&serde_json::json!({"upn": u.upn, "password": "reset"})),
    )
    .await;
    // "Make this user change password when they sign in" (checked by default on the page).
    let require = f.field("require_change") == "true";
    password_change::set_required(
        state.store(),
        &si.principal.actor,
        &u,
        require,
        &crate::web::http::correlation(&headers),
    )
    .await?;
    state.config_changed().await;
    let r = kit::redirect_ok(
        &state,
        &to,
        if require {
            "Password reset: the user's sessions ended; give the user the new password below. \
             They choose a new one when they sign in."
        } else {
            "Password reset: the user's sessions ended; give the user the new password below."
        },
    );
    Ok(kit::with_secret(&state, r, &u.id, &pw))
}

/// Require password change at next sign-in: set (`required=true`) or cleared.
async fn set_change_required(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let u = guard(&state, &si, &headers, &f, &id, Permission::ManageDirectory).await?;
    let required = match f.field("required") {
        "true" => true,
        "false" => false,
        other => {
            return Err(PortalError::new(
                AdminCode::Invalid,
                format!("required: {other:?} is neither true nor false; use the page's Require password change at next sign-in button."),
            ))
        }
    };
    password_change::set_required(
        state.store(),
        &si.principal.actor,
        &u,
        required,
        &crate::web::http::correlation(&headers),
    )
    .await?;
    state.config_changed().await;
    Ok(kit::redirect_ok(
        &state,
        &format!("/admin/users/{}", u.id),
        if required {
            "Password change required: the user chooses a new password at their next sign-in, before any application opens."
        } else {
            "Password change no longer required."
        },
    ))
}

async fn delete(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let u = guard(&state, &si, &headers, &f, &id, Permission::ManageDirectory).await?;
    let to = format!("/admin/users/{}", u.id);
    if si.user.id == u.id {
        return Ok(kit::redirect_error(
            &state,
            &to,
            &format!(
                "{}: you cannot delete the account you are signed in with; ask another Global Administrator.",
                AdminCode::Conflict.code()
            ),
        ));
    }
    match last_global_admin(&state, &u).await {
        Ok(true) => {
            return Ok(kit::redirect_error(
                &state,
                &to,
                &format!(
                    "{}: {} is the last Global Administrator: assign the role to someone else first (Roles and administrators).",
                    AdminCode::Conflict.code(),
                    u.upn
                ),
            ))
        }
        Ok(false) => {}
        Err(e) => return Err(e.into()),
    }
    if let Err(e) = directory::delete_user(state.store(), &u.id).await {
        return Err(e.into());
    }
    record(
        &state,
        &si,
        &headers,
        Change::new("user.delete", "user", &u.id, &u.upn).before(&u),
    )
    .await;
    Ok(kit::redirect_ok(
        &state,
        "/admin/users",
        &format!("User {} deleted.", u.upn),
    ))
}

async fn change_role(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let u = guard(&state, &si, &headers, &f, &id, Permission::ManageRoles).await?;
    let to = format!("/admin/users/{}", u.id);
    super::roles::apply(&state, &si, &headers, &f, &u.upn, &to).await
}
