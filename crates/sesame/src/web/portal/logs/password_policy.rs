//! Settings → Password policy (`/admin/settings/password-policy`, Global Administrators):
//! the minimum length and the organisation's banned words of `directory::policy`,
//! validated there; every change is audit-logged.

use crate::admin::audit::Change;
use crate::admin::errors::AdminCode;
use crate::admin::Permission;
use crate::directory::policy::{self, SaveError};
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

const PATH: &str = "/admin/settings/password-policy";

pub(super) fn routes() -> Router<AppState> {
    Router::new().route(PATH, get(show).post(save))
}

#[derive(Template)]
#[template(path = "portal/logs/password_policy.html")]
struct PolicyBody<'a> {
    csrf: &'a str,
    min_length: String,
    banned_words: String,
    error: String,
}

fn crumbs() -> Vec<Crumb> {
    vec![
        Crumb::new("/admin", "Overview"),
        Crumb::new("/admin/settings", "Settings"),
        Crumb::new("", "Password policy"),
    ]
}

async fn show(
    State(state): State<AppState>,
    Admin(si): Admin,
    kit::Flashed(flash): kit::Flashed,
) -> PortalResult {
    require(&si, Permission::ManageRoles)?;
    let p = policy::load(state.store()).await?;
    let body = render(&PolicyBody {
        csrf: &si.csrf,
        min_length: p.min_length.to_string(),
        banned_words: p.banned.join("\n"),
        error: String::new(),
    });
    Ok(page_with_status(
        &state,
        &si,
        Section::Settings,
        "Password policy",
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
    let before = policy::load(state.store()).await?;
    match policy::save(state.store(), f.field("min_length"), f.raw("banned_words")).await {
        Ok(after) => {
            kit::record(
                &state,
                &si,
                &headers,
                Change::new(
                    "settings.password_policy.update",
                    "settings",
                    "password_policy",
                    "Password policy",
                )
                .before(&before)
                .after(&after),
            )
            .await;
            Ok(kit::redirect_ok(
                &state,
                PATH,
                &format!(
                    "Password policy saved: at least {} characters, {} banned words.",
                    after.min_length,
                    after.banned.len()
                ),
            ))
        }
        Err(SaveError::Invalid(text)) => {
            let body = render(&PolicyBody {
                csrf: &si.csrf,
                min_length: f.field("min_length").to_owned(),
                banned_words: f.raw("banned_words").to_owned(),
                error: format!("{}: {text}", AdminCode::Invalid.code()),
            });
            Ok(page_with_status(
                &state,
                &si,
                Section::Settings,
                "Password policy",
                crumbs(),
                None,
                &body,
                kit::UNPROCESSABLE,
            ))
        }
        Err(SaveError::Store(e)) => Err(e.into()),
    }
}
