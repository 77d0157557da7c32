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
            // A user who must change their password does that first.
            Ok(Some(si)) if si.user.password_change_required => {
                let tenant = state
                    .cache()
                    .get()
                    .tenant
                    .as_ref()
                    .map(|t| t.id.clone())
                    .unwrap_or_default();
                Err(Redirect::to(&crate::web::password_update::path(&tenant, None)).into_response())
            }
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
        conditional_access(parts, state).await?;
        Ok(Admin(si))
    }
}

/// Conditional Access for the admin portal (target resource "admin portal"): a Block
/// shows SESAME53003 (the sign-in log names the policy), a required second factor not
/// done within the sign-in frequency sends the browser to "Verify your identity" and
/// back. My Apps and Security info are not the admin portal.
async fn conditional_access(parts: &mut Parts, state: &AppState) -> Result<(), Response> {
    use crate::access::eval::Decision;
    use crate::sso::flow::{Failure, Who};
    use crate::sso::{ErrorCode, SsoError};
    use crate::web::flow::{put_pending, Ctx, Pending};
    let cache = state.cache().get();
    if cache.policies.is_empty() {
        return Ok(());
    }
    let ip = match crate::web::http::ClientIp::from_request_parts(parts, state).await {
        Ok(ip) => ip,
        Err(never) => match never {},
    };
    let ctx = Ctx::new(state, ip);
    let fail = |f: Failure| ctx.fail(f).into_response();
    let Some(s) = crate::web::session::current_session(state, &cache, &parts.headers)
        .await
        .map_err(|e| fail(Failure::from(e)))?
    else {
        return Err(to_login(state, parts));
    };
    let who = Some(Who::of(&s));
    let t = crate::sso::now().unix_seconds();
    let ev = ctx
        .flow(&cache)
        .conditional_access(None, &s, ctx.ip, t, t)
        .await
        .map_err(|e| fail(Failure::from(e).user(who.clone())))?;
    let refusal = match &ev.decision {
        Decision::Allow => return Ok(()),
        Decision::Block { policy } => (ErrorCode::BlockedByConditionalAccess, policy),
        Decision::PhishingResistant { policy } if !crate::web::flow::passkeys_usable(&cache) => {
            (ErrorCode::PhishingResistantRequired, policy)
        }
        Decision::PhishingResistant { .. } | Decision::Mfa { .. } => {
            let passkey_only = matches!(ev.decision, Decision::PhishingResistant { .. });
            let next = if parts.method == axum::http::Method::GET {
                parts
                    .uri
                    .path_and_query()
                    .map_or_else(|| "/admin".to_owned(), |p| p.as_str().to_owned())
            } else {
                "/admin".to_owned()
            };
            let id = put_pending(state, ctx.ip, &Pending::PortalStep { next, passkey_only })
                .await
                .map_err(|e| fail(Failure::from(e).user(who.clone())))?;
            let tenant = cache
                .tenant
                .as_ref()
                .map(|t| t.id.clone())
                .unwrap_or_default();
            return Err(Redirect::to(&format!("/{tenant}/login/verify?p={id}")).into_response());
        }
    };
    let (code, policy) = refusal;
    let e = SsoError::new(
        code,
        "your organisation's Conditional Access policies do not allow you to use the admin portal from here",
    );
    let f = Failure::from(e.clone()).user(who);
    let row = ctx.failure_row(
        &f,
        format!(
            "admin portal: blocked by the policy \"{policy}\"; {}",
            crate::web::flow::summary(&ev, &s)
        ),
    );
    Err(crate::web::failure::PageFailure::logged(state, row, e, &ctx.corr).into_response())
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
