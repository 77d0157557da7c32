//! Change password (`/myapps/password`, every signed-in user): the current password
//! (checked under the authentication room's throttles, like a sign-in), the new one twice
//! (the password policy applies). On success (`crate::selfservice::change::apply`) the
//! password is replaced, every OTHER session of the user ends (this browser stays signed
//! in), a "Your password was changed" notice is queued to the user's mail address in the
//! same transaction, and the change is written to the audit log.

use super::access::{check_csrf, Member};
use super::error::PortalResult;
use super::kit::{self, Fields};
use super::layout::{page_with_status, render, Crumb, Section};
use crate::admin::errors::AdminCode;
use crate::authentication::{self, Place};
use crate::selfservice::change::{self as password_change, ChangeError, Why};
use crate::sso::session;
use crate::sso::SsoError;
use crate::web::auth::SignedIn;
use crate::web::http::{cookie, ClientIp};
use crate::web::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};

/// The page's path.
pub(crate) const PATH: &str = "/myapps/password";

/// The routes of this area.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route(PATH, get(form).post(change))
}

#[derive(Template)]
#[template(path = "portal/password/change.html")]
struct ChangeBody<'a> {
    csrf: &'a str,
    upn: &'a str,
    error: String,
}

fn change_page(state: &AppState, si: &SignedIn, error: String, status: StatusCode) -> Response {
    let body = render(&ChangeBody {
        csrf: &si.csrf,
        upn: &si.user.upn,
        error,
    });
    page_with_status(
        state,
        si,
        Section::MyApps,
        "Change password",
        vec![
            Crumb::new("/myapps", "My Apps"),
            Crumb::new("", "Change password"),
        ],
        None,
        &body,
        status,
    )
}

async fn form(State(state): State<AppState>, Member(si): Member) -> PortalResult {
    Ok(change_page(&state, &si, String::new(), StatusCode::OK))
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

async fn change(
    State(state): State<AppState>,
    Member(si): Member,
    headers: HeaderMap,
    ClientIp(ip, _): ClientIp,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    let refuse = |text: String| Ok(change_page(&state, &si, text, kit::UNPROCESSABLE));
    let new = f.raw("new").to_owned();
    let store = state.store();
    if let Err(e) = password_change::check(store, &si.user.upn, &new, f.raw("confirm")).await {
        return refusal(e).and_then(refuse);
    }
    let now = crate::clock::now_unix();
    let place = Place {
        trusted_location: false,
        known_for: vec![si.user.id.clone()],
    };
    let checked = authentication::password(
        store,
        ip,
        &si.user.upn,
        f.raw("current").to_owned(),
        now,
        &place,
    )
    .await;
    match checked {
        Ok(u) if u.id == si.user.id => {}
        Ok(_) => return refuse("The current password is not correct.".into()),
        Err(authentication::Refused::Store(e)) => return Err(e.into()),
        Err(e) => {
            let se = SsoError::from(&e);
            return refuse(format!("{}: {}.", se.code.code(), capitalised(&se.detail)));
        }
    }
    let keep = cookie(&headers, session::COOKIE).map(session::hash_cookie);
    let applied = password_change::apply(
        store,
        &si.user,
        &new,
        f.raw("confirm"),
        keep.as_deref(),
        &crate::web::password_update::public_url(&state),
        Why::Change,
        &crate::web::http::correlation(&headers),
    )
    .await;
    if let Err(e) = applied {
        return refusal(e).and_then(refuse);
    }
    state.config_changed().await;
    Ok(kit::redirect_ok(
        &state,
        "/myapps",
        "Your password was changed. Your other browsers and devices were signed out.",
    ))
}

/// The text shown for a refused new password (with its code), or the portal's failure.
pub(crate) fn refusal(e: ChangeError) -> Result<String, super::error::PortalError> {
    let code = AdminCode::PasswordPolicy.code();
    match e {
        ChangeError::Mismatch => Ok(format!("{code}: {e}")),
        ChangeError::Policy(m) => Ok(format!("{code}: {m}.")),
        ChangeError::NotFound(m) => Err(super::error::PortalError::with_code(
            AdminCode::NotFound,
            &m,
        )),
        ChangeError::Hash(m) => Err(super::error::PortalError::with_code(
            AdminCode::Internal,
            &m,
        )),
        ChangeError::Store(s) => Err(s.into()),
    }
}
