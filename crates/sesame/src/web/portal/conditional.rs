//! Conditional Access in the admin portal (`/admin/conditional-access`, Global
//! Administrators): the policies with New policy, each policy's page to edit it and
//! Delete; the named locations with New location and Delete; and the What If tool.
//! Every rule (names resolved, values checked, "Don't lock yourself out", a location in
//! use kept) and the audit log are `crate::access`'s: a refusal is shown above the form
//! with its code, the form keeps what was typed, and nothing is saved.

use super::access::{check_csrf, require, Admin};
use super::error::{PortalError, PortalResult};
use super::kit::{self, Fields};
use super::layout::{page, page_with_status, render, Crumb, Flash, Section};
use crate::access::{self, eval, AccessError, PolicyInput};
use crate::admin::errors::AdminCode;
use crate::admin::Permission;
use crate::model::{Policy, SignInFrequency, TargetResources};
use crate::web::auth::SignedIn;
use crate::web::esc;
use crate::web::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

const HOME: &str = "/admin/conditional-access";

/// The routes of this area.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(HOME, get(overview))
        .route(
            "/admin/conditional-access/policies/new",
            get(new_policy).post(create_policy),
        )
        .route(
            "/admin/conditional-access/policies/{id}",
            get(edit_policy).post(save_policy),
        )
        .route(
            "/admin/conditional-access/policies/{id}/delete",
            post(delete_policy),
        )
        .route(
            "/admin/conditional-access/locations/new",
            get(new_location).post(create_location),
        )
        .route(
            "/admin/conditional-access/locations/{id}/delete",
            post(delete_location),
        )
}

/// The What If form.
#[derive(Debug, Default, Deserialize)]
pub(super) struct WhatIf {
    #[serde(default)]
    user: String,
    #[serde(default)]
    app: String,
    #[serde(default)]
    ip: String,
}

fn cell(list: &[String]) -> String {
    if list.is_empty() {
        "–".to_owned()
    } else {
        esc(&list.join(", "))
    }
}

/// `GET /admin/conditional-access[?user=…&app=…&ip=…]`.
async fn overview(
    State(state): State<AppState>,
    Admin(si): Admin,
    kit::Flashed(flash): kit::Flashed,
    Query(q): Query<WhatIf>,
) -> PortalResult<Response> {
    require(&si, Permission::ManageRoles)?;
    let store = state.store();
    let csrf = esc(&si.csrf);
    let mut body = String::from(
        "<h1>Conditional Access</h1><p>Policies are evaluated on every sign-in: any Block wins, every grant requirement must be met, report-only policies are reported in the sign-in logs and never enforced. The command line does the same: <code>sesame policy</code> and <code>sesame location</code> (docs/mfa.md).</p>\
<h2>Policies</h2><p class=\"form-actions\"><a class=\"button\" id=\"new-policy\" href=\"/admin/conditional-access/policies/new\">New policy</a></p>\
<table id=\"policies\"><thead><tr><th>Name</th><th>State</th><th>Users</th><th>Groups</th><th>Excluded</th><th>Target resources</th><th>Locations</th><th>Grant</th><th>Sign-in frequency</th><th></th></tr></thead><tbody>",
    );
    let policies = access::policies(store).await.map_err(access_error)?;
    if policies.is_empty() {
        body.push_str("<tr><td colspan=\"10\">No policy.</td></tr>");
    }
    for p in &policies {
        let v = access::view(store, p).await.map_err(access_error)?;
        let mut excluded = v.exclude_users.clone();
        excluded.extend(v.exclude_groups.iter().map(|g| format!("group {g}")));
        let mut locs: Vec<String> = v.locations.iter().map(|l| format!("in {l}")).collect();
        locs.extend(v.exclude_locations.iter().map(|l| format!("not in {l}")));
        let id = esc(&v.id);
        body.push_str(&format!(
            "<tr><td><a href=\"/admin/conditional-access/policies/{id}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
<td><form method=\"post\" action=\"/admin/conditional-access/policies/{id}/delete\" class=\"inline\" data-confirm=\"Delete the policy {}? This cannot be undone.\">\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\" class=\"secondary\">Delete</button></form></td></tr>",
            esc(&v.name),
            state_label(v.state),
            cell(&v.users),
            cell(&v.groups),
            cell(&excluded),
            cell(&v.apps),
            cell(&locs),
            esc(v.grant.label()),
            esc(&v.sign_in_frequency),
            esc(&v.name),
        ));
    }
    body.push_str("</tbody></table><h2>Named locations</h2><p class=\"form-actions\"><a class=\"button\" id=\"new-location\" href=\"/admin/conditional-access/locations/new\">New location</a></p>\
<table id=\"locations\"><thead><tr><th>Name</th><th>Ranges</th><th>Trusted</th><th></th></tr></thead><tbody>");
    let locations = access::locations(store).await.map_err(access_error)?;
    if locations.is_empty() {
        body.push_str("<tr><td colspan=\"4\">No named location.</td></tr>");
    }
    for l in &locations {
        let id = esc(&l.id);
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td>\
<td><form method=\"post\" action=\"/admin/conditional-access/locations/{id}/delete\" class=\"inline\" data-confirm=\"Delete the named location {}?\">\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\" class=\"secondary\">Delete</button></form></td></tr>",
            esc(&l.name),
            cell(&l.ranges),
            if l.trusted { "Yes" } else { "No" },
            esc(&l.name),
        ));
    }
    body.push_str(&format!(
        "</tbody></table><h2>What If</h2><form method=\"get\" action=\"/admin/conditional-access\">\
<label for=\"wi-user\">User</label><input id=\"wi-user\" name=\"user\" value=\"{}\" placeholder=\"B.Simon@contoso.com\" required>\
<label for=\"wi-app\">Application</label><input id=\"wi-app\" name=\"app\" value=\"{}\" placeholder=\"name, Identifier, or admin-portal\" required>\
<label for=\"wi-ip\">Client address</label><input id=\"wi-ip\" name=\"ip\" value=\"{}\" placeholder=\"203.0.113.7\">\
<button type=\"submit\">What If</button></form>",
        esc(&q.user),
        esc(&q.app),
        esc(&q.ip)
    ));
    if !q.user.trim().is_empty() && !q.app.trim().is_empty() {
        body.push_str(&what_if_html(&state, &q).await?);
    }
    Ok(page(
        &state,
        &si,
        Section::ConditionalAccess,
        "Conditional Access",
        vec![
            Crumb::new("/admin", "Overview"),
            Crumb::new("/admin/conditional-access", "Conditional Access"),
        ],
        flash,
        &body,
    ))
}

fn state_label(s: crate::model::PolicyState) -> &'static str {
    match s {
        crate::model::PolicyState::On => "On",
        crate::model::PolicyState::Off => "Off",
        crate::model::PolicyState::ReportOnly => "Report-only",
    }
}

/// The admin-plane code of a refusal of the access room.
fn access_code(e: &AccessError) -> AdminCode {
    match e {
        AccessError::Invalid(_) => AdminCode::Invalid,
        AccessError::NotFound(_) => AdminCode::NotFound,
        AccessError::Conflict(_) | AccessError::LockOut(_) => AdminCode::Conflict,
        AccessError::Store(s) => super::error::store_code(s),
    }
}

fn access_error(e: AccessError) -> PortalError {
    match e {
        AccessError::Store(s) => s.into(),
        other => PortalError::with_code(access_code(&other), &other),
    }
}

async fn what_if_html(state: &AppState, q: &WhatIf) -> PortalResult<String> {
    let ip = q.ip.trim();
    let ip = if ip.is_empty() {
        None
    } else {
        match ip.parse() {
            Ok(a) => Some(a),
            Err(_) => {
                return Ok(format!(
                    "<p class=\"error\" role=\"alert\">\"{}\" is not an IP address.</p>",
                    esc(ip)
                ))
            }
        }
    };
    let e =
        match access::what_if(state.store(), &q.user, &q.app, ip, crate::clock::now_unix()).await {
            Ok(e) => e,
            Err(access::AccessError::Store(s)) => return Err(s.into()),
            Err(other) => {
                return Ok(format!(
                    "<p class=\"error\" role=\"alert\">{}</p>",
                    esc(&other.to_string())
                ))
            }
        };
    let mut out = String::from("<table id=\"what-if\"><thead><tr><th>Policy</th><th>State</th><th>Result</th></tr></thead><tbody>");
    for p in &e.policies {
        let r = match &p.outcome {
            eval::Outcome::NotApplied { reason } => format!("Not applied: {reason}"),
            eval::Outcome::Satisfied => "Applies, satisfied".to_owned(),
            eval::Outcome::NotSatisfied => format!("Applies: {}", p.grant.label()),
        };
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.name),
            p.state.as_str(),
            esc(&r)
        ));
    }
    out.push_str("</tbody></table>");
    let result = match &e.decision {
        eval::Decision::Allow => "Access allowed with a password.".to_owned(),
        eval::Decision::Block { policy } => format!("Blocked by {policy}."),
        eval::Decision::Mfa { policy } => {
            format!("Multifactor authentication required by {policy}.")
        }
        eval::Decision::PhishingResistant { policy } => {
            format!("Phishing-resistant MFA (a passkey) required by {policy}.")
        }
    };
    out.push_str(&format!(
        "<p id=\"what-if-result\"><strong>Result:</strong> {}</p>",
        esc(&result)
    ));
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// A policy's form: New policy and the policy's own page

/// The policy form as typed (or as the stored policy fills it).
struct PolicyForm {
    name: String,
    /// Users and groups: All users (else: Select users and groups).
    users_all: bool,
    /// User names, one a line.
    users: String,
    /// Group ids checked.
    groups: Vec<String>,
    /// Excluded user names, one a line.
    exclude_users: String,
    /// Excluded group ids checked.
    exclude_groups: Vec<String>,
    /// `all`, `select` or `admin-portal`.
    target: String,
    /// Application ids checked.
    apps: Vec<String>,
    /// Locations: Any location (else: Selected locations).
    locations_any: bool,
    /// Named location ids checked.
    locations: Vec<String>,
    /// Excluded named location ids checked.
    exclude_locations: Vec<String>,
    /// `block`, `mfa`, `phishing-resistant`.
    grant: String,
    /// `every-time`, `h` or `d`.
    frequency: String,
    /// The number of hours or days.
    frequency_value: String,
    /// `report-only`, `on`, `off`.
    state: String,
}

impl Default for PolicyForm {
    /// A new policy: all users, all applications, any location, MFA once a day,
    /// Report-only.
    fn default() -> Self {
        PolicyForm {
            name: String::new(),
            users_all: true,
            users: String::new(),
            groups: Vec::new(),
            exclude_users: String::new(),
            exclude_groups: Vec::new(),
            target: "all".into(),
            apps: Vec::new(),
            locations_any: true,
            locations: Vec::new(),
            exclude_locations: Vec::new(),
            grant: "mfa".into(),
            frequency: "d".into(),
            frequency_value: "1".into(),
            state: "report-only".into(),
        }
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn owned(v: Vec<&str>) -> Vec<String> {
    v.into_iter().map(str::to_owned).collect()
}

impl PolicyForm {
    fn posted(f: &Fields) -> PolicyForm {
        PolicyForm {
            name: f.field("name").to_owned(),
            users_all: f.field("users_scope") != "select",
            users: f.raw("users").to_owned(),
            groups: owned(f.all("groups")),
            exclude_users: f.raw("exclude_users").to_owned(),
            exclude_groups: owned(f.all("exclude_groups")),
            target: f.field("target").to_owned(),
            apps: owned(f.all("apps")),
            locations_any: f.field("locations_scope") != "select",
            locations: owned(f.all("locations")),
            exclude_locations: owned(f.all("exclude_locations")),
            grant: f.field("grant").to_owned(),
            frequency: f.field("frequency").to_owned(),
            frequency_value: f.field("frequency_value").to_owned(),
            state: f.field("state").to_owned(),
        }
    }

    /// The stored policy `p` in the form (`v`: its names).
    fn of(p: &Policy, v: &access::PolicyView) -> PolicyForm {
        let known = |l: &[String]| {
            l.iter()
                .filter(|n| n.as_str() != "(deleted)")
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        };
        let (frequency, frequency_value) = match p.sign_in_frequency {
            SignInFrequency::EveryTime => ("every-time", String::new()),
            SignInFrequency::Seconds(s) if s % 86400 == 0 => ("d", (s / 86400).to_string()),
            SignInFrequency::Seconds(s) => ("h", (s / 3600).to_string()),
        };
        let (target, apps) = match &p.target {
            TargetResources::All => ("all", Vec::new()),
            TargetResources::AdminPortal => ("admin-portal", Vec::new()),
            TargetResources::Apps(ids) => ("select", ids.clone()),
        };
        PolicyForm {
            name: p.name.clone(),
            users_all: p.all_users,
            users: if p.all_users {
                String::new()
            } else {
                known(&v.users)
            },
            groups: p.groups.clone(),
            exclude_users: known(&v.exclude_users),
            exclude_groups: p.exclude_groups.clone(),
            target: target.into(),
            apps,
            locations_any: p.locations.is_empty(),
            locations: p.locations.clone(),
            exclude_locations: p.exclude_locations.clone(),
            grant: p.grant.as_str().into(),
            frequency: frequency.into(),
            frequency_value,
            state: p.state.as_str().into(),
        }
    }

    /// The form as the access room takes it: every part given, so the policy is what the
    /// form shows. What only this form can get wrong (a choice with nothing checked) is
    /// refused here; every other value is checked by the room.
    fn input(&self) -> Result<PolicyInput, String> {
        let (users, groups) = if self.users_all {
            (vec!["all".to_owned()], Vec::new())
        } else {
            (lines(&self.users), self.groups.clone())
        };
        if !self.users_all && users.is_empty() && groups.is_empty() {
            return Err("Users and groups: give at least one user name or check a group, or choose All users.".into());
        }
        let apps =
            match self.target.as_str() {
                "select" if self.apps.is_empty() => return Err(
                    "Target resources: check at least one application, or choose All applications."
                        .into(),
                ),
                "select" => self.apps.clone(),
                "admin-portal" => vec![access::ADMIN_PORTAL.to_owned()],
                _ => vec!["all".to_owned()],
            };
        let locations = if self.locations_any {
            Vec::new()
        } else if self.locations.is_empty() {
            return Err(
                "Locations: check at least one named location, or choose Any location.".into(),
            );
        } else {
            self.locations.clone()
        };
        let frequency = match self.frequency.as_str() {
            "every-time" => "every-time".to_owned(),
            unit => format!("{}{unit}", self.frequency_value),
        };
        Ok(PolicyInput {
            name: Some(self.name.clone()),
            users: Some(users),
            groups: Some(groups),
            exclude_users: Some(lines(&self.exclude_users)),
            exclude_groups: Some(self.exclude_groups.clone()),
            apps: Some(apps),
            locations: Some(locations),
            exclude_locations: Some(self.exclude_locations.clone()),
            grant: Some(self.grant.clone()),
            sign_in_frequency: Some(frequency),
            state: Some(self.state.clone()),
        })
    }
}

/// A checkbox of the form: an object's id and name, checked or not.
struct Choice {
    id: String,
    name: String,
    checked: bool,
}

fn choices(all: &[(String, String)], checked: &[String]) -> Vec<Choice> {
    all.iter()
        .map(|(id, name)| Choice {
            id: id.clone(),
            name: name.clone(),
            checked: checked.contains(id),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "portal/conditional/policy.html")]
struct PolicyBody<'a> {
    csrf: &'a str,
    is_new: bool,
    action: String,
    f: &'a PolicyForm,
    groups: Vec<Choice>,
    exclude_groups: Vec<Choice>,
    apps: Vec<Choice>,
    locations: Vec<Choice>,
    exclude_locations: Vec<Choice>,
}

fn crumbs(last: &str) -> Vec<Crumb> {
    vec![
        Crumb::new("/admin", "Overview"),
        Crumb::new(HOME, "Conditional Access"),
        Crumb::new("", last),
    ]
}

/// The policy form page: `id` of the policy edited (`None`: New policy), with an error
/// above it when shown again.
async fn policy_page(
    state: &AppState,
    si: &SignedIn,
    id: Option<&str>,
    f: &PolicyForm,
    flash: Option<Flash>,
    status: StatusCode,
) -> PortalResult {
    let store = state.store();
    let groups: Vec<(String, String)> = store
        .list_groups()
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let apps: Vec<(String, String)> = store
        .list_apps()
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let locations: Vec<(String, String)> = access::locations(store)
        .await
        .map_err(access_error)?
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    let title = if id.is_some() {
        f.name.clone()
    } else {
        "New policy".to_owned()
    };
    let body = render(&PolicyBody {
        csrf: &si.csrf,
        is_new: id.is_none(),
        action: id.map_or_else(
            || "/admin/conditional-access/policies/new".to_owned(),
            |id| format!("/admin/conditional-access/policies/{id}"),
        ),
        f,
        groups: choices(&groups, &f.groups),
        exclude_groups: choices(&groups, &f.exclude_groups),
        apps: choices(&apps, &f.apps),
        locations: choices(&locations, &f.locations),
        exclude_locations: choices(&locations, &f.exclude_locations),
    });
    Ok(page_with_status(
        state,
        si,
        Section::ConditionalAccess,
        &title,
        crumbs(&title),
        flash,
        &body,
        status,
    ))
}

/// The form shown again after a refusal: the code and the reason above it, nothing saved.
async fn refused(
    state: &AppState,
    si: &SignedIn,
    id: Option<&str>,
    f: &PolicyForm,
    code: AdminCode,
    reason: &str,
) -> PortalResult {
    let status = StatusCode::from_u16(code.status()).unwrap_or(kit::UNPROCESSABLE);
    let flash = Flash::error(format!(
        "{}: {reason} The policy was not saved: correct the form and select {} again.",
        code.code(),
        if id.is_some() { "Save" } else { "Create" }
    ));
    policy_page(state, si, id, f, flash, status).await
}

/// `GET /admin/conditional-access/policies/new`.
async fn new_policy(State(state): State<AppState>, Admin(si): Admin) -> PortalResult {
    require(&si, Permission::ManageRoles)?;
    policy_page(
        &state,
        &si,
        None,
        &PolicyForm::default(),
        None,
        StatusCode::OK,
    )
    .await
}

fn sentence(e: &AccessError) -> String {
    let t = e.to_string();
    if t.ends_with('.') {
        t
    } else {
        format!("{t}.")
    }
}

/// `POST /admin/conditional-access/policies/new`: Create.
async fn create_policy(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, fields.csrf())?;
    require(&si, Permission::ManageRoles)?;
    let f = PolicyForm::posted(&fields);
    let input = match f.input() {
        Ok(i) => i,
        Err(m) => return refused(&state, &si, None, &f, AdminCode::Invalid, &m).await,
    };
    let now = crate::clock::now_unix();
    match access::add_policy(state.store(), &si.principal.actor, &input, now).await {
        Ok(p) => {
            state.config_changed().await;
            Ok(kit::redirect_ok(
                &state,
                HOME,
                &format!("Policy {} created ({}).", p.name, state_label(p.state)),
            ))
        }
        Err(AccessError::Store(e)) => Err(e.into()),
        Err(e) => refused(&state, &si, None, &f, access_code(&e), &sentence(&e)).await,
    }
}

async fn load_policy(state: &AppState, id: &str) -> PortalResult<Policy> {
    match access::policy(state.store(), id).await {
        Ok(p) => Ok(p),
        Err(AccessError::NotFound(_)) => Err(PortalError::not_found(
            "No Conditional Access policy has this id: it may have been deleted. The Conditional Access page lists every policy.",
        )),
        Err(e) => Err(access_error(e)),
    }
}

/// `GET /admin/conditional-access/policies/{id}`: the policy's page, its form filled.
async fn edit_policy(
    State(state): State<AppState>,
    Admin(si): Admin,
    Path(id): Path<String>,
) -> PortalResult {
    require(&si, Permission::ManageRoles)?;
    let p = load_policy(&state, &id).await?;
    let v = access::view(state.store(), &p)
        .await
        .map_err(access_error)?;
    policy_page(
        &state,
        &si,
        Some(&p.id),
        &PolicyForm::of(&p, &v),
        None,
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/conditional-access/policies/{id}`: Save.
async fn save_policy(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, fields.csrf())?;
    require(&si, Permission::ManageRoles)?;
    let p = load_policy(&state, &id).await?;
    let f = PolicyForm::posted(&fields);
    let input = match f.input() {
        Ok(i) => i,
        Err(m) => return refused(&state, &si, Some(&p.id), &f, AdminCode::Invalid, &m).await,
    };
    let now = crate::clock::now_unix();
    match access::set_policy(state.store(), &si.principal.actor, &p.id, &input, now).await {
        Ok(p) => {
            state.config_changed().await;
            Ok(kit::redirect_ok(
                &state,
                HOME,
                &format!("Policy {} saved ({}).", p.name, state_label(p.state)),
            ))
        }
        Err(AccessError::Store(e)) => Err(e.into()),
        Err(e) => refused(&state, &si, Some(&p.id), &f, access_code(&e), &sentence(&e)).await,
    }
}

/// `POST /admin/conditional-access/policies/{id}/delete`.
async fn delete_policy(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, fields.csrf())?;
    require(&si, Permission::ManageRoles)?;
    let p = load_policy(&state, &id).await?;
    let p = access::delete_policy(state.store(), &si.principal.actor, &p.id)
        .await
        .map_err(access_error)?;
    state.config_changed().await;
    Ok(kit::redirect_ok(
        &state,
        HOME,
        &format!("Policy {} deleted.", p.name),
    ))
}

// ---------------------------------------------------------------------------------------
// Named locations

#[derive(Template)]
#[template(path = "portal/conditional/location.html")]
struct LocationBody<'a> {
    csrf: &'a str,
    name: &'a str,
    ranges: &'a str,
    trusted: bool,
}

/// `GET /admin/conditional-access/locations/new`.
async fn new_location(State(state): State<AppState>, Admin(si): Admin) -> PortalResult {
    require(&si, Permission::ManageRoles)?;
    let body = render(&LocationBody {
        csrf: &si.csrf,
        name: "",
        ranges: "",
        trusted: false,
    });
    Ok(page(
        &state,
        &si,
        Section::ConditionalAccess,
        "New location",
        crumbs("New location"),
        None,
        &body,
    ))
}

/// `POST /admin/conditional-access/locations/new`: Create.
async fn create_location(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, fields.csrf())?;
    require(&si, Permission::ManageRoles)?;
    let name = fields.field("name");
    let ranges = fields.raw("ranges");
    let trusted = fields.checked("trusted");
    let now = crate::clock::now_unix();
    match access::add_location(
        state.store(),
        &si.principal.actor,
        name,
        &lines(ranges),
        trusted,
        now,
    )
    .await
    {
        Ok(l) => {
            state.config_changed().await;
            Ok(kit::redirect_ok(
                &state,
                HOME,
                &format!("Named location {} created.", l.name),
            ))
        }
        Err(AccessError::Store(e)) => Err(e.into()),
        Err(e) => {
            let code = access_code(&e);
            let body = render(&LocationBody {
                csrf: &si.csrf,
                name,
                ranges,
                trusted,
            });
            Ok(page_with_status(
                &state,
                &si,
                Section::ConditionalAccess,
                "New location",
                crumbs("New location"),
                Flash::error(format!(
                    "{}: {} The location was not saved: correct the form and select Create again.",
                    code.code(),
                    sentence(&e)
                )),
                &body,
                StatusCode::from_u16(code.status()).unwrap_or(kit::UNPROCESSABLE),
            ))
        }
    }
}

/// `POST /admin/conditional-access/locations/{id}/delete`: refused, with the policies
/// naming it, while any does.
async fn delete_location(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, fields.csrf())?;
    require(&si, Permission::ManageRoles)?;
    match access::delete_location(state.store(), &si.principal.actor, &id).await {
        Ok(l) => {
            state.config_changed().await;
            Ok(kit::redirect_ok(
                &state,
                HOME,
                &format!("Named location {} deleted.", l.name),
            ))
        }
        Err(AccessError::Store(e)) => Err(e.into()),
        Err(e) => Ok(kit::redirect_error(
            &state,
            HOME,
            &format!(
                "{}: {} Nothing was deleted.",
                access_code(&e).code(),
                sentence(&e)
            ),
        )),
    }
}
