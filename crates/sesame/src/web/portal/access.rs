//! Who may see a portal page: the extractors [`Admin`] (an administrator) and
//! [`Member`] (any signed-in user) — without a session, the login page and back — and the
//! checks of a change: the CSRF token ([`check_csrf`]) and the role ([`require`]).

use super::error::{PortalError, PortalResult};
use crate::admin::errors::AdminCode;
use crate::admin::Permission;
use crate::web::auth::{self, SignedIn};
use crate::web::http::remember_next;
use crate::web::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};

/// The signed-in user of an admin page: an administrator (any role). Without a session
/// the browser goes to the login page and comes back; a user without a role gets 403.
pub(crate) struct Admin(pub SignedIn);

/// The signed-in user of a My Apps page (any user).
pub(crate) struct Member(pub SignedIn);

impl FromRequestParts<AppState> for Member {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match auth::signed_in(state, &parts.headers).await {
            Ok(Some(si)) => Ok(Member(si)),
            Ok(None) => Err(to_login(state, parts)),
            Err(e) => Err(crate::web::http::error_page(
                &e,
                &crate::web::http::correlation(&parts.headers),
            )),
        }
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Member(si) = Member::from_request_parts(parts, state).await?;
        if !si.principal.is_admin() {
            return Err(PortalError::forbidden(
                "The admin portal is for administrators: your account holds no administrator \
                 role (Global Administrator or Application Administrator).",
            )
            .into_response());
        }
        Ok(Admin(si))
    }
}

/// 303 to the login page, remembering the page asked for (a same-site path only).
fn to_login(state: &AppState, parts: &Parts) -> Response {
    let tenant = state
        .cache()
        .get()
        .tenant
        .as_ref()
        .map(|t| t.id.clone())
        .unwrap_or_default();
    let next = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/admin".into());
    let mut r = Redirect::to(&format!("/{tenant}/login")).into_response();
    // Only a page can be returned to: a form's action answers POST only.
    let next = if parts.method == axum::http::Method::GET {
        next
    } else {
        String::new()
    };
    if let Some(v) = remember_next(state, &next) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// Refuses a state change whose CSRF token is missing or wrong (403 page).
pub(crate) fn check_csrf(si: &SignedIn, headers: &HeaderMap, token: &str) -> PortalResult<()> {
    if auth::csrf_ok(si, headers, token) {
        Ok(())
    } else {
        Err(PortalError::new(
            AdminCode::CsrfFailed,
            "The form did not carry this session's security token (it may be from an older \
             session, or from another site). Nothing was changed.",
        ))
    }
}

/// Refuses (403 page) when the administrator's roles do not allow `p`.
pub(crate) fn require(si: &SignedIn, p: Permission) -> PortalResult<()> {
    si.principal
        .require(p)
        .map_err(|e| PortalError::forbidden(e.to_string()))
}
