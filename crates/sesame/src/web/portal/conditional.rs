//! Conditional Access in the admin portal (`/admin/conditional-access`, Global
//! Administrators): the policies, the named locations and the What If tool, read through
//! `crate::access`. Policies and locations are added and changed with `sesame policy` and
//! `sesame location`.

use super::access::{require, Admin};
use super::error::PortalResult;
use super::layout::{page, Crumb, Section};
use crate::access::{self, eval};
use crate::admin::Permission;
use crate::web::esc;
use crate::web::state::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

/// The routes of this area.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/conditional-access", get(overview))
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
    Query(q): Query<WhatIf>,
) -> PortalResult<Response> {
    require(&si, Permission::ManageRoles)?;
    let store = state.store();
    let mut body = String::from(
        "<h1>Conditional Access</h1><p>Policies are evaluated on every sign-in: any Block wins, every grant requirement must be met, report-only policies are reported in the sign-in logs and never enforced. Add and change them with <code>sesame policy</code> and <code>sesame location</code> (docs/mfa.md).</p>\
<h2>Policies</h2><table><thead><tr><th>Name</th><th>State</th><th>Users</th><th>Groups</th><th>Excluded</th><th>Target resources</th><th>Locations</th><th>Grant</th><th>Sign-in frequency</th></tr></thead><tbody>",
    );
    let policies = access::policies(store).await.map_err(access_error)?;
    if policies.is_empty() {
        body.push_str("<tr><td colspan=\"9\">No policy.</td></tr>");
    }
    for p in &policies {
        let v = access::view(store, p).await.map_err(access_error)?;
        let mut excluded = v.exclude_users.clone();
        excluded.extend(v.exclude_groups.iter().map(|g| format!("group {g}")));
        let mut locs: Vec<String> = v.locations.iter().map(|l| format!("in {l}")).collect();
        locs.extend(v.exclude_locations.iter().map(|l| format!("not in {l}")));
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&v.name),
            match v.state {
                crate::model::PolicyState::On => "On",
                crate::model::PolicyState::Off => "Off",
                crate::model::PolicyState::ReportOnly => "Report-only",
            },
            cell(&v.users),
            cell(&v.groups),
            cell(&excluded),
            cell(&v.apps),
            cell(&locs),
            esc(v.grant.label()),
            esc(&v.sign_in_frequency),
        ));
    }
    body.push_str("</tbody></table><h2>Named locations</h2><table><thead><tr><th>Name</th><th>Ranges</th><th>Trusted</th></tr></thead><tbody>");
    let locations = access::locations(store).await.map_err(access_error)?;
    if locations.is_empty() {
        body.push_str("<tr><td colspan=\"3\">No named location.</td></tr>");
    }
    for l in &locations {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&l.name),
            cell(&l.ranges),
            if l.trusted { "Yes" } else { "No" }
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
        None,
        &body,
    ))
}

fn access_error(e: access::AccessError) -> super::error::PortalError {
    match e {
        access::AccessError::Store(s) => s.into(),
        other => super::error::PortalError::new(
            crate::admin::errors::AdminCode::Invalid,
            other.to_string(),
        ),
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
