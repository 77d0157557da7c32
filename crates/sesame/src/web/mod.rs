//! The HTTP edge (axum): the SAML endpoint, login page, IdP-initiated launch, federation
//! metadata, sign-out, the built-in test application (`/testapp`) and `/healthz`.
//!
//! Handlers authorise, validate, call the `sso` functions and render; the pages are small
//! hand-written HTML with every value escaped ([`esc`]).

mod login;
mod pages;
mod saml;
mod testapp;

use crate::config::IpNet;
use crate::sso::cache::CacheHandle;
use crate::sso::signin_log::SigninLog;
use crate::sso::{ErrorCode, SsoError};
use crate::store::{SigninRow, Store};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub use pages::esc;

/// Largest request body accepted (a POST-binding AuthnRequest with a signature is a few KiB).
const BODY_LIMIT: usize = 512 * 1024;

/// Everything the handlers share.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    cache: Arc<CacheHandle>,
    log: SigninLog,
    secure_cookies: bool,
    trusted_proxies: Vec<IpNet>,
}

impl AppState {
    /// The state of a server.
    pub fn new(
        store: Store,
        cache: Arc<CacheHandle>,
        log: SigninLog,
        public_url: &str,
        trusted_proxies: Vec<IpNet>,
    ) -> Self {
        AppState {
            inner: Arc::new(Inner {
                store,
                cache,
                log,
                secure_cookies: public_url.to_ascii_lowercase().starts_with("https://"),
                trusted_proxies,
            }),
        }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn cache(&self) -> &Arc<CacheHandle> {
        &self.inner.cache
    }

    pub(crate) fn log(&self, row: SigninRow) {
        self.inner.log.record(row);
    }

    pub(crate) fn secure_cookies(&self) -> bool {
        self.inner.secure_cookies
    }
}

/// The router of `sesame serve`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/", get(pages::home))
        .route(
            "/{tenant}/saml2",
            get(saml::saml2_get).post(saml::saml2_post),
        )
        .route("/{tenant}/saml2/continue", get(saml::saml2_continue))
        .route(
            "/{tenant}/login",
            get(login::login_get).post(login::login_post),
        )
        .route("/{tenant}/signout", get(saml::signout))
        .route("/{tenant}/apps/{app}/launch", get(saml::launch))
        .route(
            "/{tenant}/federationmetadata/2007-06/federationmetadata.xml",
            get(saml::federation_metadata),
        )
        .route("/testapp", get(testapp::index))
        .route("/testapp/login", get(testapp::login))
        .route("/testapp/acs", axum::routing::post(testapp::acs))
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::new())
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// The client's address: the socket peer, or — when the peer is a trusted proxy — the
/// last address in X-Forwarded-For that is not itself a trusted proxy.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let trusted = |ip: IpAddr| state.inner.trusted_proxies.iter().any(|n| n.contains(ip));
        if !trusted(peer) {
            return Ok(ClientIp(peer));
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
        Ok(ClientIp(ip))
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

/// A new correlation id for an error page and the log.
pub(crate) fn correlation_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The HTTP status of an error page.
fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TenantNotFound | ErrorCode::AppNotFound => StatusCode::NOT_FOUND,
        ErrorCode::NotAssigned | ErrorCode::UserDisabled | ErrorCode::AppDisabled => {
            StatusCode::FORBIDDEN
        }
        ErrorCode::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The error page for `e`, with its correlation id.
pub(crate) fn error_page(e: &SsoError, correlation: &str) -> Response {
    if e.code == ErrorCode::InternalError {
        tracing::error!(correlation, "{e}");
    } else {
        tracing::info!(correlation, "{e}");
    }
    let now = crate::sso::now();
    let body = pages::error_html(e, correlation, &now.to_xs_datetime());
    let mut r = (status_of(e.code), pages::html_headers(), body).into_response();
    r.headers_mut()
        .insert("x-sesame-error", HeaderValue::from_static(e.code.code()));
    r
}
