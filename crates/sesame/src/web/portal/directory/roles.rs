//! Roles and administrators: each role with its description and holders; assign (user
//! name + role) and remove, refusing to remove the last Global Administrator. Global
//! Administrators only. `admin::roles` audits each change itself.

use crate::admin::errors::AdminCode;
use crate::admin::roles::{self, RoleError};
use crate::admin::{Permission, Role};
use crate::directory::DirectoryError;
use crate::web::auth::SignedIn;
use crate::web::portal::access::{check_csrf, require, Admin};
use crate::web::portal::error::PortalResult;
use crate::web::portal::kit::{self, Fields};
use crate::web::portal::layout::{page, render, Crumb, Section};
use crate::web::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Form, Router};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/roles", get(show))
        .route("/admin/roles/assign", post(assign))
        .route("/admin/roles/remove", post(remove))
}

fn description(r: Role) -> &'static str {
    match r {
        Role::GlobalAdministrator => {
            "Can do everything: users and groups, enterprise applications, sign-in and audit \
             logs, roles, API tokens and settings."
        }
        Role::ApplicationAdministrator => {
            "Can add and configure enterprise applications (single sign-on, claims, \
             certificates, users and groups assigned) and read sign-in logs; can read users and \
             groups to assign them, but not change them."
        }
    }
}

struct Holder {
    user_id: String,
    upn: String,
    name: String,
}

struct RoleView {
    name: &'static str,
    slug: &'static str,
    description: &'static str,
    holders: Vec<Holder>,
}

#[derive(Template)]
#[template(path = "portal/roles/roles.html")]
struct RolesBody<'a> {
    csrf: &'a str,
    roles: Vec<RoleView>,
    upn: String,
}

async fn show(
    State(state): State<AppState>,
    Admin(si): Admin,
    kit::Flashed(flash): kit::Flashed,
) -> PortalResult {
    require(&si, Permission::ManageRoles)?;
    let holders = roles::holders(state.store()).await?;
    let views = Role::ALL
        .iter()
        .map(|&r| RoleView {
            name: r.as_str(),
            slug: match r {
                Role::GlobalAdministrator => "global",
                Role::ApplicationAdministrator => "application",
            },
            description: description(r),
            holders: holders
                .iter()
                .filter(|h| h.role == r)
                .map(|h| Holder {
                    user_id: h.user_id.clone(),
                    upn: h.upn.clone(),
                    name: h.display_name.clone(),
                })
                .collect(),
        })
        .collect();
    let body = render(&RolesBody {
        csrf: &si.csrf,
        roles: views,
        upn: String::new(),
    });
    Ok(page(
        &state,
        &si,
        Section::Roles,
        "Roles and administrators",
        vec![
            Crumb::new("/admin", "Overview"),
            Crumb::new("", "Roles and administrators"),
        ],
        flash,
        &body,
    ))
}

/// Assigns or removes (`op` = `assign` | `remove`) the posted `role` of `upn`, then
/// redirects to `to` with what was done, or why not.
pub(super) async fn apply(
    state: &AppState,
    si: &SignedIn,
    headers: &HeaderMap,
    f: &Fields,
    upn: &str,
    to: &str,
) -> PortalResult {
    if f.field("role").trim().is_empty() {
        return Ok(kit::redirect_error(
            state,
            to,
            &format!(
                "No role selected: choose a role in the list, then select Assign role ({}).",
                AdminCode::Invalid.code()
            ),
        ));
    }
    let role = match roles::parse_role(f.field("role")) {
        Ok(r) => r,
        Err(e) => {
            return Ok(kit::redirect_error(
                state,
                to,
                &format!("{}: {e}.", AdminCode::Invalid.code()),
            ))
        }
    };
    let corr = crate::web::http::correlation(headers);
    let actor = &si.principal.actor;
    let store = state.store();
    let result = match f.field("op") {
        "assign" => roles::assign(store, actor, upn, role, &corr)
            .await
            .map(|added| {
                if added {
                    format!("{role} assigned to {upn}.")
                } else {
                    format!("{upn} already holds {role}: nothing changed.")
                }
            }),
        "remove" => roles::remove(store, actor, upn, role, &corr)
            .await
            .map(|removed| {
                if removed {
                    format!("{role} removed from {upn}.")
                } else {
                    format!("{upn} did not hold {role}: nothing changed.")
                }
            }),
        other => {
            return Ok(kit::redirect_error(
                state,
                to,
                &format!(
                    "{}: op {other:?} is neither assign nor remove; use the page's buttons.",
                    AdminCode::Invalid.code()
                ),
            ))
        }
    };
    match result {
        Ok(msg) => Ok(kit::redirect_ok(state, to, &msg)),
        Err(RoleError::LastGlobalAdministrator(u)) => Ok(kit::redirect_error(
            state,
            to,
            &format!(
                "{}: {u} is the last Global Administrator: assign the role to someone else first, then remove it.",
                AdminCode::Conflict.code()
            ),
        )),
        Err(RoleError::Directory(DirectoryError::NotFound(_))) => Ok(kit::redirect_error(
            state,
            to,
            &format!(
                "{}: no user has the user name {upn}; check it in Users (name@domain, e.g. B.Simon@contoso.com).",
                AdminCode::NotFound.code()
            ),
        )),
        Err(RoleError::UnknownRole(e)) => Ok(kit::redirect_error(
            state,
            to,
            &format!("{}: unknown role {e}.", AdminCode::Invalid.code()),
        )),
        Err(RoleError::Directory(e)) => Err(e.into()),
        Err(RoleError::Store(e)) => Err(e.into()),
    }
}

fn guard(si: &SignedIn, headers: &HeaderMap, f: &Fields) -> PortalResult<()> {
    check_csrf(si, headers, f.csrf())?;
    require(si, Permission::ManageRoles)
}

async fn assign(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Form(mut f): Form<Fields>,
) -> PortalResult {
    guard(&si, &headers, &f)?;
    let upn = f.field("upn").to_owned();
    if upn.is_empty() {
        return Ok(kit::redirect_error(
            &state,
            "/admin/roles",
            &format!(
                "{}: User name is empty: enter the user name (name@domain) of the user to give the role.",
                AdminCode::Invalid.code()
            ),
        ));
    }
    f.set("op", "assign");
    apply(&state, &si, &headers, &f, &upn, "/admin/roles").await
}

async fn remove(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Form(mut f): Form<Fields>,
) -> PortalResult {
    guard(&si, &headers, &f)?;
    let upn = f.field("upn").to_owned();
    f.set("op", "remove");
    apply(&state, &si, &headers, &f, &upn, "/admin/roles").await
}
