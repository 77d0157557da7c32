//! The HTTP edge (axum): the SAML endpoint, login page, IdP-initiated launch, federation
//! metadata, sign-out, the built-in test application (`/testapp`) and `/healthz`.
//!
//! Handlers authorise, validate, call the `sso` functions and render; the pages are small
//! hand-written HTML with every value escaped ([`esc`]).

pub mod api;
pub mod auth;
mod failure;
mod flow;
mod login;
pub mod ops;
mod pages;
mod portal;
mod saml;
mod session;
mod testapp;

use crate::config::IpNet;
use crate::sso::cache::CacheHandle;
use crate::sso::signin_log::SigninLog;
use crate::sso::{ErrorCode, SsoError};
use crate::store::{SigninRow, Store};
use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::FutureExt as _;
use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use pages::esc;

/// Largest request body accepted (a POST-binding AuthnRequest with a signature is a few KiB).
pub const BODY_LIMIT: usize = 512 * 1024;
/// Longest a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The request id header: set when absent (or unusable), echoed on the response, shown
/// as the correlation id of error pages and carried by every log line of the request.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

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

    /// Marks cookies `Secure` also when the public URL is not https but Sesame itself
    /// serves HTTPS (`--tls-cert`).
    #[must_use]
    pub fn with_secure_cookies(mut self, on: bool) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.secure_cookies |= on;
        }
        self
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn cache(&self) -> &Arc<CacheHandle> {
        &self.inner.cache
    }

    pub(crate) fn log(&self, row: SigninRow) {
        ops::count_sso_result(&row.result, &row.error_code);
        self.inner.log.record(row);
    }

    /// The master key (sealing new signing keys).
    #[allow(dead_code)] // used by the portal and API areas as they land
    pub(crate) fn master(&self) -> &crate::tenant::MasterKey {
        self.inner.cache.master()
    }

    /// After an admin change: rebuilds the configuration snapshot at once, so the next
    /// request of the same administrator sees it (other nodes poll within a second).
    #[allow(dead_code)] // used by the portal and API areas as they land
    pub(crate) async fn config_changed(&self) {
        if let Err(e) = self.inner.cache.refresh_if_changed().await {
            tracing::warn!("configuration refresh failed: {e}");
        }
    }

    pub(crate) fn secure_cookies(&self) -> bool {
        self.inner.secure_cookies
    }
}

/// The router of `sesame serve`.
pub fn router(state: AppState) -> Router {
    // The Prometheus recorder, installed before the first request is counted.
    let _ = ops::metrics_handle();
    let routes = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
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
        .merge(portal::routes())
        .merge(api::routes())
        .route("/testapp", get(testapp::index))
        .route("/testapp/login", get(testapp::login))
        .route("/testapp/acs", axum::routing::post(testapp::acs))
        .route_layer(axum::middleware::from_fn(ops::track))
        .with_state(state);
    with_middleware(routes)
}

/// The HTTP middleware of every route, outermost first:
///
/// 1. an incoming `x-request-id` is kept only when it is a short token (a proxy's id),
///    else dropped; then a UUID is set when absent, and echoed on the response;
/// 2. a tracing span per request with the request id, method and path — never the
///    query (Redirect-binding messages) or a body (SAMLResponse, passwords);
/// 3. [`edge`]: a panic becomes a 500 page with the correlation id (never a stack trace);
///    413/408/404/405 become clear pages; security headers on every response;
/// 4. a request timeout (408) and a body size limit (413, [`BODY_LIMIT`]).
pub fn with_middleware(routes: Router) -> Router {
    // `Router::layer` wraps what is already there: the last layer added is the outermost.
    routes
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::from_fn(edge))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            tracing::info_span!(
                "request",
                id = request_id(req.headers()).unwrap_or_default(),
                method = %req.method(),
                path = req.uri().path(),
            )
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_unusable_request_id))
}

/// Whether an incoming request id is a token safe to log and show: 1–64 characters of
/// letters, digits, `-`, `_`, `.`.
fn usable_request_id(v: &str) -> bool {
    (1..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

async fn drop_unusable_request_id(mut req: Request) -> Request {
    let usable = {
        let mut values = req.headers().get_all(&REQUEST_ID).iter();
        match (values.next(), values.next()) {
            (Some(v), None) => v.to_str().is_ok_and(usable_request_id),
            (None, _) => true,
            (Some(_), Some(_)) => false,
        }
    };
    if !usable {
        req.headers_mut().remove(&REQUEST_ID);
    }
    req
}

/// The request id the middleware set.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| usable_request_id(v))
        .map(str::to_owned)
}

/// Catches panics, gives bare error statuses a page, and adds the security headers.
async fn edge(req: Request, next: Next) -> Response {
    let corr = request_id(req.headers()).unwrap_or_else(correlation_id);
    // Under /api/ errors are problem details (JSON), never pages.
    let api_path = req
        .uri()
        .path()
        .starts_with("/api/")
        .then(|| req.uri().path().to_owned());
    let mut r = match AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(r) => r,
        Err(_) => {
            // The panic hook has written the message to the server log.
            tracing::error!(correlation = %corr, "a request handler panicked");
            status_page(StatusCode::INTERNAL_SERVER_ERROR, &corr)
        }
    };
    let content_type = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let bare =
        !content_type.starts_with("text/html") && !content_type.starts_with(api::PROBLEM_JSON);
    if let Some(path) =
        api_path.filter(|_| bare && (r.status().is_client_error() || r.status().is_server_error()))
    {
        let status = r.status();
        let allow = r.headers().get(header::ALLOW).cloned();
        r = api::edge_problem(status, &path, &corr);
        if let Some(a) = allow {
            r.headers_mut().insert(header::ALLOW, a);
        }
        pages::add_security_headers(r.headers_mut());
        return r;
    }
    if bare
        && matches!(
            r.status(),
            StatusCode::PAYLOAD_TOO_LARGE
                | StatusCode::REQUEST_TIMEOUT
                | StatusCode::NOT_FOUND
                | StatusCode::METHOD_NOT_ALLOWED
        )
    {
        let allow = r.headers().get(header::ALLOW).cloned();
        r = status_page(r.status(), &corr);
        if let Some(a) = allow {
            r.headers_mut().insert(header::ALLOW, a);
        }
    }
    pages::add_security_headers(r.headers_mut());
    r
}

/// A page for a status without an SSO error code (413, 408, 404, 405, 500).
fn status_page(status: StatusCode, corr: &str) -> Response {
    let (title, text) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            "Request too large",
            format!(
                "The request body is larger than Sesame accepts ({} KiB). A SAML message or a \
                 form is never that large: check what the application sends.",
                BODY_LIMIT / 1024
            ),
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "Request timed out",
            format!(
                "The request was not completed within {} seconds. Try again.",
                REQUEST_TIMEOUT.as_secs()
            ),
        ),
        StatusCode::NOT_FOUND => (
            "Page not found",
            "There is no page at this address. Sesame's pages start at /.".to_owned(),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "Method not allowed",
            "This address does not accept this HTTP method.".to_owned(),
        ),
        _ => (
            "Internal error",
            "Sesame hit an internal error. The administrator can find it in the server \
             log by its correlation id."
                .to_owned(),
        ),
    };
    let body = pages::page(
        title,
        &format!(
            "<h1 class=\"err\">{t}</h1><p>{x}</p><table><tr><th>Status</th><td><code>{s}</code></td></tr>\
<tr><th>Correlation id</th><td><code>{c}</code></td></tr></table>",
            t = esc(title),
            x = esc(&text),
            s = status.as_u16(),
            c = esc(corr),
        ),
    );
    (status, pages::html_headers(), body).into_response()
}

async fn healthz() -> &'static str {
    "ok\n"
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
        let trusted = |ip: IpAddr| state.inner.trusted_proxies.iter().any(|n| n.contains(ip));
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

/// A new correlation id for an error page and the log.
pub(crate) fn correlation_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The HTTP status of an error page.
fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
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
    } else if e.code == ErrorCode::ServiceUnavailable {
        tracing::warn!(correlation, "the database is out of reach: {e}");
    } else {
        tracing::info!(correlation, "{e}");
    }
    let now = crate::sso::now();
    let body = pages::error_html(e, correlation, &now.to_xs_datetime());
    let mut r = (status_of(e.code), pages::html_headers(), body).into_response();
    r.headers_mut()
        .insert("x-sesame-error", HeaderValue::from_static(e.code.code()));
    if e.code == ErrorCode::ServiceUnavailable {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    r
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::post;
    use tower::ServiceExt as _;

    fn app() -> Router {
        with_middleware(
            Router::new()
                .route("/ok", get(|| async { "ok" }))
                .route(
                    "/boom",
                    get(|| async {
                        if true {
                            panic!("secret detail that must not reach the client");
                        }
                        "unreachable"
                    }),
                )
                .route(
                    "/echo",
                    post(|body: String| async move { body.len().to_string() }),
                ),
        )
    }

    async fn send(req: axum::http::Request<Body>) -> (StatusCode, HeaderMap, String) {
        let r = app().oneshot(req).await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (status, headers, String::from_utf8(body.to_vec()).unwrap())
    }

    fn get_req(uri: &str) -> axum::http::Request<Body> {
        axum::http::Request::get(uri).body(Body::empty()).unwrap()
    }

    fn h<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
        headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }

    #[tokio::test]
    async fn security_headers_and_request_id_on_every_response() {
        let (status, headers, _) = send(get_req("/ok")).await;
        assert_eq!(status, StatusCode::OK);
        let csp = h(&headers, "content-security-policy");
        assert!(csp.starts_with("default-src 'none'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("form-action 'self'"), "{csp}");
        assert!(!csp.contains("script-src"), "{csp}");
        assert_eq!(h(&headers, "x-content-type-options"), "nosniff");
        assert_eq!(h(&headers, "referrer-policy"), "no-referrer");
        assert_eq!(h(&headers, "x-frame-options"), "DENY");
        assert_eq!(h(&headers, "cache-control"), "no-store");
        let id = h(&headers, "x-request-id");
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");

        // A proxy's token is kept and echoed; anything else is replaced.
        let mut req = get_req("/ok");
        req.headers_mut()
            .insert("x-request-id", HeaderValue::from_static("edge-42.a_b"));
        let (_, headers, _) = send(req).await;
        assert_eq!(h(&headers, "x-request-id"), "edge-42.a_b");
        let mut req = get_req("/ok");
        req.headers_mut().insert(
            "x-request-id",
            HeaderValue::from_static("<script>x</script>"),
        );
        let (_, headers, _) = send(req).await;
        assert!(uuid::Uuid::parse_str(h(&headers, "x-request-id")).is_ok());
    }

    #[tokio::test]
    async fn a_panic_is_a_500_page_with_the_correlation_id() {
        let (status, headers, body) = send(get_req("/boom")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(h(&headers, "content-type").starts_with("text/html"));
        let id = h(&headers, "x-request-id");
        assert!(body.contains(&format!("<code>{id}</code>")), "{body}");
        assert!(body.contains("Internal error"));
        assert!(!body.contains("secret detail"), "{body}");
        assert!(
            !body.contains("panicked") && !body.contains(".rs"),
            "{body}"
        );
        assert_eq!(h(&headers, "x-content-type-options"), "nosniff");
    }

    #[tokio::test]
    async fn oversized_bodies_are_413_with_a_page() {
        let big = "A".repeat(BODY_LIMIT + 1);
        let req = axum::http::Request::post("/echo")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(big.clone()))
            .unwrap();
        let (status, headers, body) = send(req).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(h(&headers, "content-type").starts_with("text/html"));
        assert!(body.contains("Request too large"), "{body}");
        assert!(body.contains("512 KiB"), "{body}");
        // Without a Content-Length (streamed): the same.
        let stream = futures_util::stream::iter(
            big.into_bytes()
                .chunks(64 * 1024)
                .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
                .collect::<Vec<_>>(),
        );
        let req = axum::http::Request::post("/echo")
            .body(Body::from_stream(stream))
            .unwrap();
        let (status, _, body) = send(req).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(body.contains("Request too large"), "{body}");
        // At the limit: accepted.
        let req = axum::http::Request::post("/echo")
            .body(Body::from("A".repeat(BODY_LIMIT)))
            .unwrap();
        let (status, _, body) = send(req).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, BODY_LIMIT.to_string());
    }

    #[tokio::test]
    async fn unknown_paths_and_methods_get_pages() {
        let (status, headers, body) = send(get_req("/nope")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(h(&headers, "content-type").starts_with("text/html"));
        assert!(body.contains("Page not found"));
        let (status, headers, body) = send(get_req("/echo")).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(headers.contains_key("allow"));
        assert!(body.contains("Method not allowed"));
    }
}
