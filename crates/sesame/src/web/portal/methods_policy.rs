//! The **Authentication methods** page of the admin portal
//! (`/admin/authentication-methods`, Global Administrators): the Authentication methods
//! policy — each method (Passkey (FIDO2), Authenticator app, Recovery codes) enabled or
//! not, for all users or selected groups, and the passkeys' key restrictions (allowed
//! AAGUIDs) — shown and changed through `crate::methods::policy`, one method per form.

use super::access::{check_csrf, require, Admin};
use super::error::{PortalError, PortalResult};
use super::kit::{self, Fields};
use super::layout::{page, Crumb, Section};
use crate::admin::errors::AdminCode;
use crate::admin::Permission;
use crate::methods::policy::{self, PolicyError, PolicyMethod, SettingChange, Target};
use crate::methods::{self, By};
use crate::web::esc;
use crate::web::http::correlation;
use crate::web::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};

/// The page's path.
const HOME: &str = "/admin/authentication-methods";

/// The routes of this page.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route(HOME, get(show).post(save))
}

fn policy_error(e: PolicyError) -> PortalError {
    match e {
        PolicyError::Store(s) => s.into(),
        PolicyError::Invalid(m) => PortalError::new(AdminCode::Invalid, m),
    }
}

/// `GET /admin/authentication-methods`.
async fn show(
    State(state): State<AppState>,
    Admin(si): Admin,
    kit::Flashed(flash): kit::Flashed,
) -> PortalResult<Response> {
    require(&si, Permission::ManageRoles)?;
    let store = state.store();
    let p = policy::get(store).await?;
    let mut body = String::from(
        "<h1>Authentication methods</h1><p>Which methods users may register in Security info and use as a second factor, and for whom. \
A disabled method can be neither registered nor used (SESAME900134); with <strong>Enforce key restrictions</strong>, only passkeys of the authenticator models listed (AAGUIDs) are registered and accepted (SESAME900132). \
Also <code>sesame methods-policy show|set</code> and <code>/api/v1/authentication-methods-policy</code>.</p>\
<table><thead><tr><th>Method</th><th>Enabled</th><th>Target</th><th>Key restrictions</th></tr></thead><tbody>",
    );
    for m in PolicyMethod::ALL {
        let s = p.setting(m);
        let groups = policy::group_names(store, &s.groups).await?;
        let target = if groups.is_empty() {
            "All users".to_owned()
        } else {
            format!("Groups: {}", esc(&groups.join(", ")))
        };
        let keys = if m != PolicyMethod::Passkey {
            "–".to_owned()
        } else if p.aaguids.is_empty() {
            "None (any authenticator)".to_owned()
        } else {
            format!("Allowed AAGUIDs: {}", esc(&p.aaguids.join(", ")))
        };
        body.push_str(&format!(
            "<tr data-method=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            m.as_str(),
            esc(m.label()),
            if s.enabled { "Yes" } else { "No" },
            target,
            keys
        ));
    }
    body.push_str("</tbody></table>");
    for m in PolicyMethod::ALL {
        let s = p.setting(m);
        let groups = policy::group_names(store, &s.groups).await?;
        let id = m.as_str();
        let aaguids = if m == PolicyMethod::Passkey {
            format!(
                "<label for=\"{id}-aaguids\">Enforce key restrictions: allowed AAGUIDs (comma-separated; empty: any authenticator)</label>\
<input type=\"text\" id=\"{id}-aaguids\" name=\"aaguids\" value=\"{}\" placeholder=\"08987058-cadc-4b81-b6e1-30de50dcbe96\" spellcheck=\"false\">",
                esc(&p.aaguids.join(", "))
            )
        } else {
            String::new()
        };
        body.push_str(&format!(
            "<section class=\"section\" id=\"{id}\"><h2>{label}</h2>\
<form method=\"post\" action=\"{HOME}\" novalidate><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<input type=\"hidden\" name=\"method\" value=\"{id}\">\
<label><input type=\"checkbox\" name=\"enabled\" value=\"true\"{checked}> Enable</label>\
<label for=\"{id}-groups\">Target: group names, comma-separated (empty: all users)</label>\
<input type=\"text\" id=\"{id}-groups\" name=\"groups\" value=\"{groups}\">{aaguids}\
<p class=\"form-actions\"><button type=\"submit\">Save</button></p></form></section>",
            label = esc(m.label()),
            csrf = esc(&si.csrf),
            checked = if s.enabled { " checked" } else { "" },
            groups = esc(&groups.join(", ")),
        ));
    }
    Ok(page(
        &state,
        &si,
        Section::AuthenticationMethods,
        "Authentication methods",
        vec![
            Crumb::new("/admin", "Overview"),
            Crumb::new("", "Authentication methods"),
        ],
        flash,
        &body,
    ))
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `POST /admin/authentication-methods`: one method's setting.
async fn save(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> PortalResult<Response> {
    check_csrf(&si, &headers, f.csrf())?;
    require(&si, Permission::ManageRoles)?;
    let Some(m) = PolicyMethod::parse(f.field("method")) else {
        return Err(PortalError::new(
            AdminCode::Invalid,
            "Choose a method: passkey, authenticator-app or recovery-codes.",
        ));
    };
    let groups = list(f.field("groups"));
    let change = SettingChange {
        enabled: Some(f.checked("enabled")),
        target: Some(if groups.is_empty() {
            Target::All
        } else {
            Target::Groups(groups)
        }),
        aaguids: (m == PolicyMethod::Passkey).then(|| list(f.field("aaguids"))),
    };
    let corr = correlation(&headers);
    let by = By {
        actor: &si.principal.actor,
        correlation_id: &corr,
    };
    match methods::admin::set_policy(state.store(), m, change, crate::clock::now_unix(), by).await {
        Ok(_) => Ok(kit::redirect_ok(
            &state,
            HOME,
            &format!("{} saved.", m.label()),
        )),
        Err(PolicyError::Invalid(msg)) => Ok(kit::redirect_error(
            &state,
            HOME,
            &format!("SESAME910004: {} not saved: {msg}.", m.label()),
        )),
        Err(e) => Err(policy_error(e)),
    }
}
