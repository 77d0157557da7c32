//! Operations endpoints for load balancers and monitoring:
//!
//! - `GET /healthz`: the process is alive (never touches the database);
//! - `GET /readyz`: the database answers (200), or not (503) — a load balancer takes the
//!   node out of rotation while it cannot serve;
//! - `GET /metrics`: Prometheus text — HTTP requests by route, method and status, their
//!   latency histograms, SSO results by code, and the database pool.
//!
//! Recording is atomic counters and histogram buckets (`metrics` with the Prometheus
//! recorder): no lock is held by the request path, and rendering happens on scrape.

use super::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// `GET /healthz`: the process is alive.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// How long /readyz waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// Latency buckets (seconds): an SSO answer takes about a millisecond, a password
/// verification ~20 ms, a database outage up to the pool's acquire timeout.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide Prometheus recorder (once; later calls return the same
/// handle). `None` when another recorder was installed first.
pub fn metrics_handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .ok()?;
            let handle = builder.install_recorder().ok()?;
            describe();
            // Upkeep drains histogram buckets even when nobody scrapes.
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                let h = handle.clone();
                rt.spawn(async move {
                    let mut tick = tokio::time::interval(Duration::from_secs(5));
                    loop {
                        tick.tick().await;
                        h.run_upkeep();
                    }
                });
            }
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    metrics::describe_counter!(
        "sesame_http_requests_total",
        "HTTP requests answered, by route, method and status"
    );
    metrics::describe_histogram!(
        "sesame_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "HTTP request latency, by route"
    );
    metrics::describe_counter!(
        "sesame_sso_results_total",
        "SSO attempts (sign-in log rows), by result and error code (\"\" on success)"
    );
    metrics::describe_counter!(
        "sesame_db_unavailable_total",
        "Requests answered 503 because the database was out of reach"
    );
    metrics::describe_counter!(
        "sesame_config_miss_rereads_total",
        "Configuration re-reads caused by a lookup that missed (bounded per second)"
    );
    metrics::describe_counter!(
        "sesame_mail_queued_total",
        "Email messages queued in the outbox by this node"
    );
    metrics::describe_counter!(
        "sesame_mail_sent_total",
        "Email messages this node's worker sent"
    );
    metrics::describe_counter!(
        "sesame_mail_failed_total",
        "Email messages given up (refused for good, or every attempt failed)"
    );
    metrics::describe_counter!(
        "sesame_mail_retries_total",
        "Email sending attempts that failed and were scheduled again"
    );
    metrics::describe_gauge!(
        "sesame_mail_outbox_queued",
        "Email messages waiting in the outbox (queued or being sent)"
    );
    metrics::describe_gauge!(
        "sesame_mail_oldest_queued_age_seconds",
        "Age of the oldest email message waiting in the outbox"
    );
    metrics::describe_gauge!(
        "sesame_db_pool_connections",
        "Database connections open in this node's pool"
    );
    metrics::describe_gauge!(
        "sesame_db_pool_idle",
        "Idle database connections in this node's pool"
    );
    metrics::describe_gauge!(
        "sesame_db_pool_max",
        "The pool's maximum size (--db-max-connections)"
    );
}

/// Middleware (a route layer, so the route template is known): counts the request and
/// records its latency under the route template (`/{tenant}/saml2`), never the raw path.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let start = Instant::now();
    let r = next.run(req).await;
    let status = r.status().as_u16().to_string();
    if r.status() == StatusCode::SERVICE_UNAVAILABLE {
        metrics::counter!("sesame_db_unavailable_total").increment(1);
    }
    metrics::histogram!("sesame_http_request_duration_seconds", "route" => route.clone())
        .record(start.elapsed().as_secs_f64());
    metrics::counter!(
        "sesame_http_requests_total",
        "route" => route,
        "method" => method,
        "status" => status
    )
    .increment(1);
    r
}

/// `GET /readyz`: 200 when the database answers within two seconds, else 503.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let ok = tokio::time::timeout(READY_TIMEOUT, state.store().ping())
        .await
        .unwrap_or(false);
    let mut r = if ok {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the database does not answer\n",
        )
            .into_response()
    };
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A request extension of the main listener when `/metrics` is served on its own
/// address (`--metrics-listen`): there, `GET /metrics` answers 404.
#[derive(Debug, Clone, Copy)]
pub struct MetricsElsewhere;

/// `GET /metrics`: the Prometheus text format, unless it is served on its own address.
pub async fn metrics(
    State(state): State<AppState>,
    elsewhere: Option<axum::Extension<MetricsElsewhere>>,
) -> Response {
    if elsewhere.is_some() {
        return StatusCode::NOT_FOUND.into_response();
    }
    render(&state)
}

/// The router of `--metrics-listen`: `GET /metrics` only.
pub fn metrics_router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(|State(state): State<AppState>| async move { render(&state) }),
        )
        .with_state(state)
}

fn render(state: &AppState) -> Response {
    let Some(handle) = metrics_handle() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics are not available: another recorder is installed\n",
        )
            .into_response();
    };
    let store = state.store();
    metrics::gauge!("sesame_db_pool_connections").set(f64::from(store.pool_size()));
    metrics::gauge!("sesame_db_pool_idle").set(store.pool_idle() as f64);
    metrics::gauge!("sesame_db_pool_max").set(f64::from(store.pool_max()));
    let body = handle.render();
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}
