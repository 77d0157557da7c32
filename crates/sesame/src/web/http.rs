//! HTTP helpers shared by every handler: the request id and correlation ids, the
//! client's address behind trusted proxies ([`ClientIp`]), cookies, the page to return
//! to after signing in ([`NEXT_COOKIE`]), the request limits, and the SSO error page.

use super::pages;
use super::state::AppState;
use crate::sso::{ErrorCode, SsoError};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Largest request body accepted (a POST-binding AuthnRequest with a signature is a few KiB).
pub const BODY_LIMIT: usize = 512 * 1024;
/// Longest a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The request id header: set when absent (or unusable), echoed on the response, shown
/// as the correlation id of error pages and carried by every log line of the request.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Whether an incoming request id is a token safe to log and show: 1–64 characters of
/// letters, digits, `-`, `_`, `.`.
pub(crate) fn usable_request_id(v: &str) -> bool {
    (1..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The request id the middleware set.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| usable_request_id(v))
        .map(str::to_owned)
}

/// A new correlation id for an error page and the log.
pub(crate) fn correlation_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The request's correlation id: its request id, or a new one.
pub(crate) fn correlation(headers: &HeaderMap) -> String {
    request_id(headers).unwrap_or_else(correlation_id)
}

/// The client's address: the socket peer, or — when the peer is a trusted proxy — the
/// last address in X-Forwarded-For that is not itself a trusted proxy; and the request
/// id the middleware set (the correlation id of the request's log rows and error pages).
#[derive(Debug, Clone)]
pub struct ClientIp(pub IpAddr, pub Option<String>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let rid = request_id(&parts.headers);
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let trusted = |ip: IpAddr| state.trusted_proxies().iter().any(|n| n.contains(ip));
        if !trusted(peer) {
            return Ok(ClientIp(peer, rid));
        }
        let mut ip = peer;
        if let Some(xff) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        {
            for hop in xff.rsplit(',') {
                match hop.trim().parse::<IpAddr>() {
                    Ok(a) => {
                        ip = a;
                        if !trusted(a) {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        }
        Ok(ClientIp(ip, rid))
    }
}

/// The value of cookie `name`, if the request has it.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when the public URL is
/// https; `max_age` 0 deletes it; `None` makes a browser-session cookie.
pub(crate) fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: Option<i64>,
) -> HeaderValue {
    let mut s = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if state.secure_cookies() {
        s.push_str("; Secure");
    }
    if let Some(a) = max_age {
        s.push_str(&format!("; Max-Age={a}"));
    }
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static("invalid=1; Max-Age=0"))
}

/// The cookie that remembers which page to return to after signing in.
pub(crate) const NEXT_COOKIE: &str = "sesame_next";

/// `next` when it is a path on this site (`/…`, not `//…`, no backslash or control
/// character, at most 1 KiB).
pub(crate) fn safe_next(next: &str) -> Option<&str> {
    (next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 1024
        && !next.bytes().any(|b| b == b'\\' || b.is_ascii_control()))
    .then_some(next)
}

/// The `Set-Cookie` remembering `next` for ten minutes, when it is a same-site path.
pub(crate) fn remember_next(state: &AppState, next: &str) -> Option<HeaderValue> {
    let v = safe_next(next)?;
    let encoded =
        percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string();
    Some(set_cookie(state, NEXT_COOKIE, &encoded, Some(600)))
}

/// The page remembered by [`remember_next`], if any (read by `GET /` after signing in).
pub(crate) fn remembered_next(headers: &HeaderMap) -> Option<String> {
    let raw = cookie(headers, NEXT_COOKIE)?;
    let v = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?
        .into_owned();
    safe_next(&v).map(str::to_owned)
}

/// The HTTP status of an error page.
pub(crate) fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::TenantNotFound | ErrorCode::AppNotFound => StatusCode::NOT_FOUND,
        ErrorCode::NotAssigned
        | ErrorCode::UserDisabled
        | ErrorCode::AppDisabled
        | ErrorCode::BlockedByConditionalAccess
        | ErrorCode::PhishingResistantRequired => StatusCode::FORBIDDEN,
        ErrorCode::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RequestTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The error page for `e`, with its correlation id.
pub(crate) fn error_page(e: &SsoError, correlation: &str) -> Response {
    error_page_for(e, correlation, None)
}

/// The error page for `e`, with its correlation id and the application's name when known.
pub(crate) fn error_page_for(e: &SsoError, correlation: &str, app: Option<&str>) -> Response {
    if e.code == ErrorCode::InternalError {
        tracing::error!(correlation, "{e}");
    } else if e.code == ErrorCode::ServiceUnavailable {
        tracing::warn!(correlation, "the database is out of reach: {e}");
    } else {
        tracing::info!(correlation, "{e}");
    }
    let now = crate::sso::now();
    let body = pages::error_html(e, correlation, &now.to_xs_datetime(), app);
    let mut r = (status_of(e.code), pages::html_headers(), body).into_response();
    r.headers_mut()
        .insert("x-sesame-error", HeaderValue::from_static(e.code.code()));
    if e.code == ErrorCode::ServiceUnavailable {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    r
}

/// The request's User-Agent header as sent ('' when absent; bytes that are not UTF-8
/// replaced): what a session records, cleaned by `crate::sessions`.
pub(crate) fn user_agent(headers: &HeaderMap) -> String {
    headers
        .get(axum::http::header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_a_same_site_path_only() {
        assert_eq!(safe_next("/admin/apps?x=1"), Some("/admin/apps?x=1"));
        assert_eq!(safe_next("//evil.example/"), None);
        assert_eq!(safe_next("https://evil.example/"), None);
        assert_eq!(safe_next("/\\evil"), None);
        assert_eq!(safe_next("/a\nb"), None);
    }
}
