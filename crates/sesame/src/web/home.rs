//! `GET /`: where to start — back to the page asked for before signing in, My Apps, or
//! links to start from.

use super::http::{remembered_next, set_cookie, NEXT_COOKIE};
use super::pages::{esc, html_headers, page};
use super::session::current_session;
use super::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};

/// `GET /`: where to start. After signing in, the page the user asked for before
/// (remembered by the portal) or My Apps; otherwise links to start from.
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Ok(Some(_)) = current_session(&state, &state.cache().get(), &headers).await {
        let next = remembered_next(&headers).unwrap_or_else(|| "/myapps".into());
        let mut r = axum::response::Redirect::to(&next).into_response();
        r.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&state, NEXT_COOKIE, "", Some(0)),
        );
        return r;
    }
    let cache = state.cache().get();
    let (tenant_id, login) = cache
        .tenant
        .as_ref()
        .map(|t| (t.id.clone(), t.login_url()))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sesame</h1><p>A self-hosted SAML 2.0 identity provider.</p>\
<ul><li><a href=\"/myapps\">My Apps</a> (your applications)</li><li><a href=\"/admin\">Admin portal</a></li>\
<li><a href=\"/testapp\">The built-in test application</a> (sign in with SAML SSO)</li>\
<li><a href=\"/{t}/login\">Sign in to Sesame</a></li><li><a href=\"/{t}/signout\">Sign out</a></li></ul>\
<p>Login URL: <code>{l}</code></p>",
        t = esc(&tenant_id),
        l = esc(&login)
    );
    (html_headers(), page("Sesame", &body)).into_response()
}
