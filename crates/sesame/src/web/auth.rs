//! Who is calling the admin plane and My Apps: a signed-in user (the SSO session cookie)
//! with the roles it holds, and the CSRF token its forms and state-changing API calls
//! must carry. REST API tokens (`Authorization: Bearer …`) are checked by the API itself.
//!
//! The CSRF token is derived from the session cookie (HMAC-SHA256 keyed with the cookie
//! value, which only the browser and Sesame know — the store holds only its hash): it
//! needs no storage, is the same on every node, and changes with every new session.
//! It is compared in constant time, and a request whose `Sec-Fetch-Site` says
//! `cross-site` is refused as well.

use super::http::cookie;
use super::session::current_session;
use super::state::AppState;
use crate::admin::{roles, Principal};
use crate::directory::User;
use crate::sso::{session, SsoError};
use axum::http::HeaderMap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// The form field, and the API request header, that carry the CSRF token.
pub const CSRF_FIELD: &str = "csrf";
/// The request header of the CSRF token for API calls made with the session cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A signed-in user, with its roles and its session's CSRF token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The user.
    pub user: User,
    /// The user as an actor, with its roles (none for a user who is not an administrator).
    pub principal: Principal,
    /// The CSRF token every state-changing request of this session must carry.
    pub csrf: String,
}

/// The signed-in user of this request, if its session cookie names a valid session.
pub async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<SignedIn>, SsoError> {
    let Some(s) = current_session(state, &state.cache().get(), headers).await? else {
        return Ok(None);
    };
    let Some(value) = cookie(headers, session::COOKIE) else {
        return Ok(None);
    };
    let store = state.store();
    let internal = |e: crate::store::StoreError| SsoError::internal(&e);
    let Some(user) = store
        .user_by_id(&s.session.user_id)
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    let principal = roles::principal_of(store, &user).await.map_err(internal)?;
    Ok(Some(SignedIn {
        user,
        principal,
        csrf: csrf_for(value),
    }))
}

/// The CSRF token of the session whose cookie value is `session_cookie`.
pub fn csrf_for(session_cookie: &str) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, session_cookie.as_bytes());
    let tag = aws_lc_rs::hmac::sign(&key, b"sesame-csrf-v1");
    URL_SAFE_NO_PAD.encode(tag.as_ref())
}

/// Whether `given` is the session's CSRF token (constant time) and the request is not
/// announced as cross-site by the browser.
pub fn csrf_ok(signed_in: &SignedIn, headers: &HeaderMap, given: &str) -> bool {
    if cross_site(headers) {
        return false;
    }
    !given.is_empty()
        && aws_lc_rs::constant_time::verify_slices_are_equal(
            signed_in.csrf.as_bytes(),
            given.as_bytes(),
        )
        .is_ok()
}

/// Whether `given` is the CSRF token of the session whose cookie value is
/// `session_cookie` (constant time), and the request is not announced as cross-site: for
/// the forms of pages outside the portal (sign-out), which need no user record.
pub fn csrf_ok_for_cookie(session_cookie: &str, headers: &HeaderMap, given: &str) -> bool {
    if cross_site(headers) {
        return false;
    }
    !given.is_empty()
        && aws_lc_rs::constant_time::verify_slices_are_equal(
            csrf_for(session_cookie).as_bytes(),
            given.as_bytes(),
        )
        .is_ok()
}

/// Whether the browser says the request comes from another site (`Sec-Fetch-Site:
/// cross-site`). Browsers without the header are judged by the token alone.
pub fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_differ_per_session_and_are_stable() {
        let a = csrf_for("cookie-a");
        assert_eq!(a, csrf_for("cookie-a"));
        assert_ne!(a, csrf_for("cookie-b"));
        assert_eq!(a.len(), 43);
        let mut h = HeaderMap::new();
        h.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(cross_site(&h));
        h.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert!(!cross_site(&h));
    }
}
