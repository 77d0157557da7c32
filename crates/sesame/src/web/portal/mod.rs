//! The admin portal (`/admin/…`, Global and Application Administrators only) and My Apps
//! (`/myapps`, every signed-in user): server-rendered pages (askama templates in
//! `crates/sesame/templates/portal/`), one stylesheet and one small script served by
//! Sesame itself (`/assets/…`: Sesame runs in closed networks), usable without script.
//!
//! Every page goes through [`access::Admin`] or [`access::Member`]: no session → the login page (and back
//! here after it); a user without an admin role → 403 on every admin page. Every form
//! carries the session's CSRF token ([`super::auth`]), checked with [`access::check_csrf`] before
//! any change; every change is written to the audit log by the domain function or the
//! handler ([`crate::admin::audit`]).
//!
//! The areas, one module each: enterprise applications and the gallery (`apps`), users,
//! groups and roles (`directory`), sign-in and audit logs and settings (`logs`), My Apps
//! (`myapps`) and its Security info, the user's own authentication methods (`security`,
//! with its passkey registration in `security_passkey`), Change password (`password`)
//! and My sessions (`my_sessions`).
//!
//! What the areas share, one module each, never importing the areas: who may see a page
//! (`access`), the failure of a handler (`error`), the layout of a page (`layout`),
//! the kit of forms, flashes and lists (`kit`) and the rows of a user's sessions
//! (`session_rows`).

mod access;
mod apps;
mod conditional;
mod directory;
mod error;
mod kit;
mod layout;
mod logs;
mod methods_policy;
mod my_sessions;
mod myapps;
mod password;
mod security;
mod security_passkey;
mod session_rows;

use super::http::correlation;
use super::state::AppState;
use crate::admin::Permission;
use access::Admin;
use askama::Template;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use error::{PortalError, PortalResult};
use layout::{page, render, Section};

/// The portal's routes (merged into the router of `sesame serve`).
pub(crate) fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/assets/portal.css", get(css))
        .route("/assets/portal.js", get(js))
        .route("/admin", get(home))
        .merge(apps::routes())
        .merge(directory::routes())
        .merge(logs::routes())
        .merge(myapps::routes())
        .merge(password::routes())
        .merge(my_sessions::routes())
        .merge(security::routes())
        .merge(security_passkey::routes())
        .merge(conditional::routes())
        .merge(methods_policy::routes())
        .layer(axum::middleware::from_fn_with_state(state.clone(), edge))
}

/// The middleware of every portal route: a [`PortalError`] becomes its page, with the
/// request's correlation id; a page shown removes the show-once cookies (flash, secret).
async fn edge(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let corr = correlation(req.headers());
    let shown_once = kit::shown_once(req.headers());
    let mut r = next.run(req).await;
    if let Some(e) = r.extensions_mut().remove::<PortalError>() {
        r = e.page(&corr);
    }
    kit::clear_shown(&state, &shown_once, &mut r);
    r
}

async fn css() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../../assets/portal.css"),
    )
}

async fn js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../../assets/portal.js"),
    )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomeBody<'a> {
    display_name: &'a str,
    roles: Vec<&'static str>,
    users: usize,
    groups: usize,
    apps: usize,
    can_directory: bool,
}

/// `GET /admin`: the overview.
async fn home(
    axum::extract::State(state): axum::extract::State<AppState>,
    Admin(si): Admin,
) -> PortalResult {
    let store = state.store();
    let users = store.users_count().await.unwrap_or(0);
    let groups = store.groups_count().await.unwrap_or(0);
    let apps = state.cache().get().app_count();
    let body = render(&HomeBody {
        display_name: &si.user.display_name,
        roles: si.principal.roles.iter().map(|r| r.as_str()).collect(),
        users,
        groups,
        apps,
        can_directory: si.principal.can(Permission::ReadDirectory),
    });
    let banner = kit::flash_or_mail_banner(&state, None).await;
    Ok(page(
        &state,
        &si,
        Section::Home,
        "Overview",
        vec![],
        banner,
        &body,
    ))
}
