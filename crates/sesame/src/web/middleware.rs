//! The middleware of every route ([`with_middleware`]): request ids, a tracing span per
//! request, panics and bare error statuses turned into pages (problem details under
//! `/api/`), security headers, the request timeout and the body size limit.

use super::api;
use super::http::{request_id, usable_request_id, BODY_LIMIT, REQUEST_ID, REQUEST_TIMEOUT};
use super::pages::{self, esc};
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::FutureExt as _;
use std::panic::AssertUnwindSafe;
use std::time::Duration;
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

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
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    tracing::info_span!(
                        "request",
                        id = request_id(req.headers()).unwrap_or_default(),
                        method = %req.method(),
                        path = req.uri().path(),
                    )
                })
                .on_failure(log_failure),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_unusable_request_id))
}

/// Whether a failed response is logged as an error or, for a 503 (the server refusing
/// work while overloaded or while the database is out of reach: not a bug), a warning.
fn failure_is_warning(class: &ServerErrorsFailureClass) -> bool {
    matches!(class, ServerErrorsFailureClass::StatusCode(c) if *c == StatusCode::SERVICE_UNAVAILABLE)
}

/// Logs a 5xx response (or a handler error): a 503 refusal at WARN, any other at ERROR.
fn log_failure(class: ServerErrorsFailureClass, latency: Duration, _span: &tracing::Span) {
    let latency_ms = latency.as_millis();
    if failure_is_warning(&class) {
        tracing::warn!(classification = %class, latency_ms, "response refused (overloaded or the database is out of reach)");
    } else {
        tracing::error!(classification = %class, latency_ms, "response failed");
    }
}

/// `Strict-Transport-Security` on every response: one year, this host only (not its
/// subdomains, which may serve other sites). Browsers keep to HTTPS for this host from
/// the first response they receive over HTTPS.
pub const HSTS: &str = "max-age=31536000";

/// Adds [`HSTS`] to every response of `routes` when `https` (the public URL is https);
/// else returns `routes` unchanged (a browser ignores the header over plain HTTP anyway).
pub fn with_hsts(routes: Router, https: bool) -> Router {
    if !https {
        return routes;
    }
    routes.layer(axum::middleware::map_response(
        |mut r: Response| async move {
            r.headers_mut().insert(
                header::STRICT_TRANSPORT_SECURITY,
                axum::http::HeaderValue::from_static(HSTS),
            );
            r
        },
    ))
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

/// Catches panics, gives bare error statuses a page, and adds the security headers.
async fn edge(req: Request, next: Next) -> Response {
    let corr = super::http::correlation(req.headers());
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic
mod tests {
    use super::*;
    use axum::body::Body;

    /// A log sink for one test.
    #[derive(Clone, Default)]
    struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_503_refusal_is_logged_as_a_warning_and_other_5xx_as_errors() {
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::Span::none();
            log_failure(
                ServerErrorsFailureClass::StatusCode(StatusCode::SERVICE_UNAVAILABLE),
                Duration::ZERO,
                &span,
            );
            log_failure(
                ServerErrorsFailureClass::StatusCode(StatusCode::INTERNAL_SERVER_ERROR),
                Duration::ZERO,
                &span,
            );
        });
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].contains(" WARN") && lines[0].contains("503"),
            "{text}"
        );
        assert!(
            lines[1].contains("ERROR") && lines[1].contains("500"),
            "{text}"
        );
    }
    use axum::http::{HeaderMap, HeaderValue};
    use axum::routing::{get, post};
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
    async fn hsts_only_when_the_public_url_is_https() {
        for (https, uri) in [(true, "/ok"), (true, "/nope"), (false, "/ok")] {
            let r = with_hsts(app(), https).oneshot(get_req(uri)).await.unwrap();
            let v = r.headers().get("strict-transport-security");
            if https {
                assert_eq!(v.unwrap(), "max-age=31536000", "{uri}");
            } else {
                assert!(v.is_none(), "{uri}");
            }
        }
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
