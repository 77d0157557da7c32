//! Settings → Password reset (`/admin/settings/password-reset`, Global Administrators):
//! who may use Forgot my password — None, Selected groups (by name, transitive
//! membership) or All — validated and audited by `selfservice::reset`.

use crate::admin::Permission;
use crate::selfservice::reset::{self, ResetSettings};
use crate::selfservice::SelfServiceError;
use crate::web::portal::access::{check_csrf, require, Admin};
use crate::web::portal::error::PortalResult;
use crate::web::portal::kit::{self, Fields};
use crate::web::portal::layout::{page_with_status, render, Crumb, Section};
use crate::web::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Form, Router};

const PATH: &str = "/admin/settings/password-reset";

pub(super) fn routes() -> Router<AppState> {
    Router::new().route(PATH, get(show).post(save))
}

#[derive(Template)]
#[template(path = "portal/logs/password_reset.html")]
struct ResetBody<'a> {
    csrf: &'a str,
    scope: String,
    groups: String,
    error: String,
}

fn crumbs() -> Vec<Crumb> {
    vec![
        Crumb::new("/admin", "Overview"),
        Crumb::new("/admin/settings", "Settings"),
        Crumb::new("", "Password reset"),
    ]
}

fn group_lines(s: &ResetSettings) -> String {
    s.groups
        .iter()
        .map(|g| g.name.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

async fn show(
    State(state): State<AppState>,
    Admin(si): Admin,
    kit::Flashed(flash): kit::Flashed,
) -> PortalResult {
    require(&si, Permission::ManageRoles)?;
    let s = reset::settings(state.store()).await?;
    let body = render(&ResetBody {
        csrf: &si.csrf,
        scope: s.scope.as_str().to_owned(),
        groups: group_lines(&s),
        error: String::new(),
    });
    Ok(page_with_status(
        &state,
        &si,
        Section::Settings,
        "Password reset",
        crumbs(),
        flash,
        &body,
        StatusCode::OK,
    ))
}

async fn save(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    require(&si, Permission::ManageRoles)?;
    let groups: Vec<String> = f
        .raw("groups")
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    let saved = reset::save_settings(
        state.store(),
        &si.principal.actor,
        f.field("scope"),
        &groups,
        &crate::web::http::correlation(&headers),
    )
    .await;
    match saved {
        Ok(after) => {
            let who = match after.scope {
                reset::Scope::None => "nobody".to_owned(),
                reset::Scope::All => "every user".to_owned(),
                reset::Scope::Selected => {
                    format!("the members of {}", group_lines(&after).replace('\n', ", "))
                }
            };
            Ok(kit::redirect_ok(
                &state,
                PATH,
                &format!("Password reset saved: {who} may reset their own password."),
            ))
        }
        Err(e @ SelfServiceError::Link { .. }) => {
            let body = render(&ResetBody {
                csrf: &si.csrf,
                scope: f.field("scope").to_ascii_lowercase(),
                groups: f.raw("groups").to_owned(),
                error: e.to_string(),
            });
            Ok(page_with_status(
                &state,
                &si,
                Section::Settings,
                "Password reset",
                crumbs(),
                None,
                &body,
                kit::UNPROCESSABLE,
            ))
        }
        Err(e) => Err(e.into()),
    }
}
