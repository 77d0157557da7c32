//! My sessions (`/myapps/sessions`, every signed-in user): the user's active sessions —
//! device and browser in words, address, sign-in time, last seen, the applications each
//! signed in to, this browser marked — with **Sign out** per session and **Sign out
//! everywhere else**; and the rows the portal's user page shows in its Sessions section.
//! The rules, the opaque session ids and the audit log are `crate::sessions`'s.

use super::access::{check_csrf, Member};
use super::error::{PortalError, PortalResult};
use super::kit::{self, Fields};
use super::layout::{page, render, Crumb, Section};
use super::session_rows;
use crate::sessions::{self, By};
use crate::sso::session;
use crate::web::http::{cookie, correlation};
use crate::web::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Form, Router};

/// The page's path.
pub(crate) const PATH: &str = "/myapps/sessions";

/// The routes of this area.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(mine))
        .route("/myapps/sessions/{sid}/revoke", post(revoke))
        .route("/myapps/sessions/revoke-others", post(revoke_others))
}

/// The key of this browser's session.
fn this_session(headers: &HeaderMap) -> Option<String> {
    cookie(headers, session::COOKIE).map(session::hash_cookie)
}

#[derive(Template)]
#[template(path = "portal/sessions/mine.html")]
struct MineBody<'a> {
    csrf: &'a str,
    action: &'a str,
    sessions: Vec<session_rows::SessionRow>,
    others: bool,
}

async fn mine(
    State(state): State<AppState>,
    Member(si): Member,
    headers: HeaderMap,
    kit::Flashed(flash): kit::Flashed,
) -> PortalResult {
    let current = this_session(&headers);
    let sessions = session_rows::rows(&state, &si.user, current.as_deref()).await?;
    let body = render(&MineBody {
        csrf: &si.csrf,
        action: PATH,
        others: sessions.iter().any(|s| !s.current),
        sessions,
    });
    Ok(page(
        &state,
        &si,
        Section::MyApps,
        "My sessions",
        vec![
            Crumb::new("/myapps", "My Apps"),
            Crumb::new("", "My sessions"),
        ],
        flash,
        &body,
    ))
}

/// `POST /myapps/sessions/{sid}/revoke`: Sign out of one session of the user's own.
async fn revoke(
    State(state): State<AppState>,
    Member(si): Member,
    headers: HeaderMap,
    Path(sid): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    let corr = correlation(&headers);
    let v = sessions::revoke(
        state.store(),
        &si.user,
        &sid,
        crate::clock::now_unix(),
        By {
            actor: &si.principal.actor,
            correlation_id: &corr,
        },
    )
    .await
    .map_err(session_rows::portal_error)?;
    state.config_changed().await;
    Ok(kit::redirect_ok(
        &state,
        PATH,
        &format!(
            "{} signed out: it must sign in again at its next request.",
            v.device
        ),
    ))
}

/// `POST /myapps/sessions/revoke-others`: Sign out everywhere else.
async fn revoke_others(
    State(state): State<AppState>,
    Member(si): Member,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    let Some(keep) = this_session(&headers) else {
        return Err(PortalError::not_found("This browser has no session."));
    };
    let corr = correlation(&headers);
    let n = sessions::revoke_others(
        state.store(),
        &si.user,
        &keep,
        crate::clock::now_unix(),
        By {
            actor: &si.principal.actor,
            correlation_id: &corr,
        },
    )
    .await
    .map_err(session_rows::portal_error)?;
    state.config_changed().await;
    Ok(kit::redirect_ok(
        &state,
        PATH,
        &format!(
            "{} signed out. This browser stays signed in.",
            kit::count(n, "other session", "other sessions")
        ),
    ))
}
