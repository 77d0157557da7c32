//! Settings: the sign-in log retention (days). Global Administrators only;
//! `admin::settings::set` validates and audits the change.

use crate::admin::errors::AdminCode;
use crate::admin::settings::{self, Settings, SettingsError, MAX_SIGNIN_RETENTION_DAYS};
use crate::admin::Permission;
use crate::web::portal::access::{check_csrf, require, Admin};
use crate::web::portal::error::PortalResult;
use crate::web::portal::kit::{self, Fields};
use crate::web::portal::layout::{page_with_status, render, Crumb, Flash, Section};
use crate::web::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Form, Router};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/settings", get(show).post(save))
}

#[derive(Template)]
#[template(path = "portal/logs/settings.html")]
struct SettingsBody<'a> {
    csrf: &'a str,
    days: String,
    max: i64,
    error: String,
}

fn crumbs() -> Vec<Crumb> {
    vec![Crumb::new("/admin", "Overview"), Crumb::new("", "Settings")]
}

async fn show(
    State(state): State<AppState>,
    Admin(si): Admin,
    kit::Flashed(flash): kit::Flashed,
) -> PortalResult {
    require(&si, Permission::ManageRoles)?;
    let s = settings::get(state.store()).await?;
    let body = render(&SettingsBody {
        csrf: &si.csrf,
        days: s.signin_log_retention_days.to_string(),
        max: MAX_SIGNIN_RETENTION_DAYS,
        error: String::new(),
    });
    Ok(page_with_status(
        &state,
        &si,
        Section::Settings,
        "Settings",
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
    let raw = f.field("signin_log_retention_days").to_owned();
    let again = |error: String| {
        let body = render(&SettingsBody {
            csrf: &si.csrf,
            days: raw.clone(),
            max: MAX_SIGNIN_RETENTION_DAYS,
            error,
        });
        page_with_status(
            &state,
            &si,
            Section::Settings,
            "Settings",
            crumbs(),
            Flash::error(format!(
                "{}: the settings were not saved. Correct the field marked below.",
                AdminCode::Invalid.code()
            )),
            &body,
            kit::UNPROCESSABLE,
        )
    };
    let Ok(days) = raw.parse::<i64>() else {
        return Ok(again(format!(
            "Sign-in log retention: {raw:?} is not a whole number of days; enter 1 to {MAX_SIGNIN_RETENTION_DAYS} (30 by default)."
        )));
    };
    let new = Settings {
        signin_log_retention_days: days,
    };
    match settings::set(state.store(), &si.principal.actor, &new, &crate::web::http::correlation(&headers)).await {
        Ok(_) => {
            state.config_changed().await;
            Ok(kit::redirect_ok(
                &state,
                "/admin/settings",
                &format!(
                    "Settings saved: sign-in logs are kept {}.",
                    kit::count(days, "day", "days")
                ),
            ))
        }
        Err(SettingsError::Retention(d)) => Ok(again(format!(
            "Sign-in log retention: {} is out of range; enter 1 to {MAX_SIGNIN_RETENTION_DAYS} (30 by default).",
            kit::count(d, "day", "days")
        ))),
        Err(SettingsError::Store(e)) => Err(e.into()),
    }
}
