//! Groups: the list with search and member counts, New group (name, description, and
//! optionally its first members), and the group's page with its properties (rename,
//! description), its members (add a user or a group found by search, remove) and delete.

use super::form::{input_of, FieldErrors};
use crate::admin::audit::Change;
use crate::admin::errors::AdminCode;
use crate::admin::Permission;
use crate::directory::{self, DirectoryError, Group, MemberRef};
use crate::web::auth::SignedIn;
use crate::web::portal::access::{check_csrf, require, Admin};
use crate::web::portal::error::{PortalError, PortalResult};
use crate::web::portal::kit::{self, record, Fields};
use crate::web::portal::layout::{page, page_with_status, render, Crumb, Flash, Section};
use crate::web::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Form, Router};
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/groups", get(list))
        .route("/admin/groups/new", get(new_form).post(create))
        .route("/admin/groups/{id}", get(show))
        .route("/admin/groups/{id}/edit", post(edit))
        .route("/admin/groups/{id}/members", post(add))
        .route("/admin/groups/{id}/members/remove", post(remove))
        .route("/admin/groups/{id}/delete", post(delete))
}

fn crumbs(last: Option<&str>) -> Vec<Crumb> {
    let mut c = vec![
        Crumb::new("/admin", "Overview"),
        Crumb::new("/admin/groups", "Groups"),
    ];
    if let Some(l) = last {
        c.push(Crumb::new("", l));
    }
    c
}

#[derive(Template)]
#[template(path = "portal/groups/list.html")]
struct ListBody {
    q: String,
    can_manage: bool,
    groups: Vec<ListRow>,
}

/// A group of the list with its number of direct members.
struct ListRow {
    g: Group,
    members: i64,
}

async fn list(
    State(state): State<AppState>,
    Admin(si): Admin,
    kit::Flashed(flash): kit::Flashed,
    Query(query): Query<HashMap<String, String>>,
) -> PortalResult {
    require(&si, Permission::ReadDirectory)?;
    let q = query.get("q").map(|s| s.trim()).unwrap_or("").to_owned();
    let groups = state.store().list_groups_with_member_counts().await?;
    let needle = q.to_lowercase();
    let groups = groups
        .into_iter()
        .filter(|(g, _)| {
            needle.is_empty()
                || g.name.to_lowercase().contains(&needle)
                || g.description.to_lowercase().contains(&needle)
        })
        .map(|(g, members)| ListRow { g, members })
        .collect();
    let body = render(&ListBody {
        q,
        can_manage: si.principal.can(Permission::ManageDirectory),
        groups,
    });
    Ok(page(
        &state,
        &si,
        Section::Groups,
        "Groups",
        crumbs(None),
        flash,
        &body,
    ))
}

#[derive(Template)]
#[template(path = "portal/groups/new.html")]
struct NewBody<'a> {
    csrf: &'a str,
    name: String,
    description: String,
    /// The first members: user names (UPN) or display names, one a line.
    members: String,
    errors: FieldErrors,
}

/// Most members New group takes in one request.
const MAX_NEW_MEMBERS: usize = 100;

/// The users a New group form names (user names or display names, separated by lines,
/// commas or semicolons), each found once; or what to fix.
async fn new_members(state: &AppState, text: &str) -> Result<Vec<directory::User>, String> {
    let store = state.store();
    let mut found: Vec<directory::User> = Vec::new();
    let names: Vec<&str> = text
        .split(['\n', ',', ';'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    if names.len() > MAX_NEW_MEMBERS {
        return Err(format!(
            "Members: at most {MAX_NEW_MEMBERS} at creation; add the others on the group's page."
        ));
    }
    for n in names {
        let user = match store.user_by_upn(n).await {
            Ok(Some(u)) => u,
            Ok(None) => {
                let lower = n.to_lowercase();
                let mut same: Vec<directory::User> = store
                    .list_users(Some(n))
                    .await
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .filter(|u| u.display_name.to_lowercase() == lower)
                    .collect();
                match same.len() {
                    1 => same.remove(0),
                    0 => {
                        return Err(format!(
                            "Members: no user has the user name or name {n:?}; write a user name such as B.Simon@contoso.com, or remove the line."
                        ))
                    }
                    _ => {
                        return Err(format!(
                            "Members: {} users are named {n:?}; write the user name (UPN) of the one you mean.",
                            same.len()
                        ))
                    }
                }
            }
            Err(e) => return Err(e.to_string()),
        };
        if !found.iter().any(|u| u.id == user.id) {
            found.push(user);
        }
    }
    Ok(found)
}

async fn new_form(State(state): State<AppState>, Admin(si): Admin) -> PortalResult {
    require(&si, Permission::ManageDirectory)?;
    let body = render(&NewBody {
        csrf: &si.csrf,
        name: String::new(),
        description: String::new(),
        members: String::new(),
        errors: FieldErrors::default(),
    });
    Ok(page(
        &state,
        &si,
        Section::Groups,
        "New group",
        crumbs(Some("New group")),
        None,
        &body,
    ))
}

async fn create(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    require(&si, Permission::ManageDirectory)?;
    let name = f.field("name").to_owned();
    let description = f.field("description").to_owned();
    let members_text = f.raw("members").to_owned();
    let members = new_members(&state, &members_text).await;
    let created = match &members {
        Ok(_) => directory::create_group(state.store(), &name, &description).await,
        Err(m) => Err(DirectoryError::Invalid {
            field: "members",
            reason: m.clone(),
        }),
    };
    let (errors, status, code) = match created {
        Ok(g) => {
            let mut added = Vec::new();
            for u in members.unwrap_or_default() {
                directory::add_member(state.store(), &g.id, &MemberRef::User(u.id.clone())).await?;
                added.push(u.upn);
            }
            record(
                &state,
                &si,
                &headers,
                Change::new("group.create", "group", &g.id, &g.name)
                    .after(&serde_json::json!({"group": g, "members": added})),
            )
            .await;
            let text = if added.is_empty() {
                format!("Group {} created. Add its members below.", g.name)
            } else {
                format!(
                    "Group {} created with {}.",
                    g.name,
                    kit::count(added.len(), "member", "members")
                )
            };
            return Ok(kit::redirect_ok(
                &state,
                &format!("/admin/groups/{}", g.id),
                &text,
            ));
        }
        Err(DirectoryError::Invalid {
            field: "members",
            reason,
        }) => {
            let mut e = FieldErrors::default();
            e.add("members", reason);
            (e, kit::UNPROCESSABLE, AdminCode::Invalid)
        }
        Err(DirectoryError::Invalid { field, reason }) => {
            let mut e = FieldErrors::default();
            let label = if field == "group name" {
                "Group name"
            } else {
                "Description"
            };
            e.add(input_of(field), format!("{label} {reason}."));
            (e, kit::UNPROCESSABLE, AdminCode::Invalid)
        }
        Err(DirectoryError::Conflict(m)) => {
            let mut e = FieldErrors::default();
            e.add("name", format!("{m}: choose another name."));
            (e, StatusCode::CONFLICT, AdminCode::Conflict)
        }
        Err(e) => return Err(e.into()),
    };
    let body = render(&NewBody {
        csrf: &si.csrf,
        name,
        description,
        members: members_text,
        errors,
    });
    Ok(page_with_status(
        &state,
        &si,
        Section::Groups,
        "New group",
        crumbs(Some("New group")),
        Flash::error(format!(
            "{}: the group was not created. Correct the field marked below and select Create again.",
            code.code()
        )),
        &body,
        status,
    ))
}

struct Candidate {
    kind: &'static str,
    id: String,
    label: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "portal/groups/group.html")]
struct GroupBody<'a> {
    csrf: &'a str,
    g: &'a Group,
    can_manage: bool,
    /// The Properties form: name and description as shown (typed, when shown again).
    edit_name: String,
    edit_description: String,
    errors: FieldErrors,
    users: Vec<directory::User>,
    groups: Vec<Group>,
    find: String,
    candidates: Vec<Candidate>,
    searched: bool,
}

async fn load(state: &AppState, id: &str) -> PortalResult<Group> {
    match state.store().group_by_id(id).await {
        Ok(Some(g)) => Ok(g),
        Ok(None) => Err(PortalError::not_found("No group has this object id: it may have been deleted. The Groups list shows every group.",
        )),
        Err(e) => Err(e.into()),
    }
}

async fn show(
    State(state): State<AppState>,
    Admin(si): Admin,
    kit::Flashed(flash): kit::Flashed,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> PortalResult {
    require(&si, Permission::ReadDirectory)?;
    let g = load(&state, &id).await?;
    let find = query.get("find").map(|s| s.trim()).unwrap_or("").to_owned();
    let edit = (
        g.name.clone(),
        g.description.clone(),
        FieldErrors::default(),
    );
    group_page(&state, &si, &g, flash, find, edit, StatusCode::OK).await
}

/// The group's page; `edit`: the Properties form's name, description and errors.
async fn group_page(
    state: &AppState,
    si: &SignedIn,
    g: &Group,
    flash: Option<Flash>,
    find: String,
    edit: (String, String, FieldErrors),
    status: StatusCode,
) -> PortalResult {
    let store = state.store();
    let members = directory::group_members(store, &g.id).await?;
    let mut candidates = Vec::new();
    if !find.is_empty() {
        let users = store.list_users(Some(&find)).await?;
        for u in users.into_iter().take(20) {
            if members.users.iter().any(|m| m.id == u.id) {
                continue;
            }
            candidates.push(Candidate {
                kind: "user",
                id: u.id,
                label: u.upn,
                detail: u.display_name,
            });
        }
        let groups = store.list_groups().await?;
        let needle = find.to_lowercase();
        for o in groups
            .into_iter()
            .filter(|o| o.id != g.id && o.name.to_lowercase().contains(&needle))
            .take(20)
        {
            if members.groups.iter().any(|m| m.id == o.id) {
                continue;
            }
            candidates.push(Candidate {
                kind: "group",
                id: o.id,
                label: o.name,
                detail: o.description,
            });
        }
    }
    let (edit_name, edit_description, errors) = edit;
    let body = render(&GroupBody {
        csrf: &si.csrf,
        g,
        can_manage: si.principal.can(Permission::ManageDirectory),
        edit_name,
        edit_description,
        errors,
        users: members.users,
        groups: members.groups,
        searched: !find.is_empty(),
        find,
        candidates,
    });
    Ok(page_with_status(
        state,
        si,
        Section::Groups,
        &g.name,
        crumbs(Some(&g.name)),
        flash,
        &body,
        status,
    ))
}

/// `POST /admin/groups/{id}/edit` (name, description): the Properties form.
async fn edit(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let g = guard(&state, &si, &headers, &f, &id).await?;
    let name = f.field("name").to_owned();
    let description = f.field("description").to_owned();
    let (errors, status, code) = match directory::update_group(
        state.store(),
        &g.id,
        Some(&name),
        Some(&description),
    )
    .await
    {
        Ok(now) => {
            if now != g {
                record(
                    &state,
                    &si,
                    &headers,
                    Change::new("group.update", "group", &now.id, &now.name)
                        .before(&g)
                        .after(&now),
                )
                .await;
            }
            let text = if now.name != g.name {
                format!("Group {} renamed to {}.", g.name, now.name)
            } else {
                format!("Group {} saved.", now.name)
            };
            return Ok(kit::redirect_ok(
                &state,
                &format!("/admin/groups/{}", now.id),
                &text,
            ));
        }
        Err(DirectoryError::Invalid { field, reason }) => {
            let mut e = FieldErrors::default();
            let label = if field == "group name" {
                "Group name"
            } else {
                "Description"
            };
            e.add(input_of(field), format!("{label} {reason}."));
            (e, kit::UNPROCESSABLE, AdminCode::Invalid)
        }
        Err(DirectoryError::Conflict(m)) => {
            let mut e = FieldErrors::default();
            e.add("name", format!("{m}: choose another name."));
            (e, StatusCode::CONFLICT, AdminCode::Conflict)
        }
        Err(e) => return Err(e.into()),
    };
    group_page(
        &state,
        &si,
        &g,
        Flash::error(format!(
            "{}: the group was not saved. Correct the field marked below and select Save again.",
            code.code()
        )),
        String::new(),
        (name, description, errors),
        status,
    )
    .await
}

async fn guard(
    state: &AppState,
    si: &SignedIn,
    headers: &HeaderMap,
    f: &Fields,
    id: &str,
) -> PortalResult<Group> {
    check_csrf(si, headers, f.csrf())?;
    require(si, Permission::ManageDirectory)?;
    load(state, id).await
}

/// The member a form names: `kind` (user | group) and `member_id`.
fn member_of(f: &Fields) -> Result<MemberRef, String> {
    let id = f.field("member_id");
    if id.is_empty() {
        return Err("no member chosen: search for a user or group, then select Add".into());
    }
    match f.field("kind") {
        "user" => Ok(MemberRef::User(id.to_owned())),
        "group" => Ok(MemberRef::Group(id.to_owned())),
        other => Err(format!("kind {other:?} is neither user nor group")),
    }
}

async fn member_name(state: &AppState, m: &MemberRef) -> String {
    let store = state.store();
    match m {
        MemberRef::User(id) => match store.user_by_id(id).await {
            Ok(Some(u)) => format!("user {}", u.upn),
            _ => format!("user {id}"),
        },
        MemberRef::Group(id) => match store.group_by_id(id).await {
            Ok(Some(g)) => format!("group {}", g.name),
            _ => format!("group {id}"),
        },
    }
}

fn member_json(m: &MemberRef, name: &str) -> serde_json::Value {
    match m {
        MemberRef::User(id) => serde_json::json!({"kind": "user", "id": id, "name": name}),
        MemberRef::Group(id) => serde_json::json!({"kind": "group", "id": id, "name": name}),
    }
}

async fn add(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let g = guard(&state, &si, &headers, &f, &id).await?;
    let to = format!("/admin/groups/{}", g.id);
    let m = match member_of(&f) {
        Ok(m) => m,
        Err(e) => {
            return Ok(kit::redirect_error(
                &state,
                &to,
                &format!("{}: {e}.", AdminCode::Invalid.code()),
            ))
        }
    };
    match directory::add_member(state.store(), &g.id, &m).await {
        Ok(()) => {
            let name = member_name(&state, &m).await;
            record(
                &state,
                &si,
                &headers,
                Change::new("group.member.add", "group", &g.id, &g.name)
                    .after(&member_json(&m, &name)),
            )
            .await;
            Ok(kit::redirect_ok(
                &state,
                &to,
                &format!("Added {name} to {}.", g.name),
            ))
        }
        Err(e @ (DirectoryError::Conflict(_) | DirectoryError::NotFound(_))) => {
            Ok(kit::redirect_error(
                &state,
                &to,
                &format!(
                    "{}: {e}.",
                    crate::web::portal::error::directory_code(&e).code()
                ),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

async fn remove(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let g = guard(&state, &si, &headers, &f, &id).await?;
    let to = format!("/admin/groups/{}", g.id);
    let m = match member_of(&f) {
        Ok(m) => m,
        Err(e) => {
            return Ok(kit::redirect_error(
                &state,
                &to,
                &format!("{}: {e}.", AdminCode::Invalid.code()),
            ))
        }
    };
    let name = member_name(&state, &m).await;
    match directory::remove_member(state.store(), &g.id, &m).await {
        Ok(()) => {
            record(
                &state,
                &si,
                &headers,
                Change::new("group.member.remove", "group", &g.id, &g.name)
                    .before(&member_json(&m, &name)),
            )
            .await;
            Ok(kit::redirect_ok(
                &state,
                &to,
                &format!("Removed {name} from {}.", g.name),
            ))
        }
        Err(e @ DirectoryError::NotFound(_)) => Ok(kit::redirect_error(
            &state,
            &to,
            &format!("{}: {e}.", AdminCode::NotFound.code()),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn delete(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let g = guard(&state, &si, &headers, &f, &id).await?;
    let members = directory::group_members(state.store(), &g.id).await.ok();
    if let Err(e) = directory::delete_group(state.store(), &g.id).await {
        return Err(e.into());
    }
    let before = serde_json::json!({
        "group": g,
        "members": members.map(|m| {
            m.users.iter().map(|u| u.upn.clone())
                .chain(m.groups.iter().map(|g| g.name.clone()))
                .collect::<Vec<_>>()
        }),
    });
    record(
        &state,
        &si,
        &headers,
        Change::new("group.delete", "group", &g.id, &g.name).before(&before),
    )
    .await;
    Ok(kit::redirect_ok(
        &state,
        "/admin/groups",
        &format!("Group {} deleted.", g.name),
    ))
}
