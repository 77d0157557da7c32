//! Connection limits of `sesame serve`, below HTTP: a cap on open connections, an idle
//! timeout on every connection, and the HTTP/1 header-read timeout. They keep a client
//! that opens connections and sends nothing, or trickles a request byte by byte
//! (slowloris), from holding the server's sockets and memory.
//!
//! - [`configure`] sets hyper's header-read timeout: a request's head (request
//!   line and headers) must arrive whole within it, however slowly its bytes come.
//!   hyper starts that clock whenever an HTTP/1 connection waits for a request, so an
//!   idle HTTP/1 keep-alive connection is closed after it too. hyper's HTTP/2 server has
//!   no such timeout (see [`Tracked`] below); its keep-alive PINGs stay off, as their
//!   traffic would defeat the idle timeout.
//! - [`LimitAcceptor`] takes one of `max_connections` slots per accepted connection
//!   (before any TLS handshake) and gives it back when the connection closes. Without a
//!   free slot the connection is closed at once, and the server log says so once per
//!   burst: a warning when the limit is reached, an info line with the count refused
//!   when a connection is accepted again.
//! - [`Guarded`] closes a connection when no byte moved in either direction for
//!   `idle_timeout`: a connection that never sends anything, a stalled TLS handshake, an
//!   idle HTTP/2 connection, or a client that stops reading its response.
//! - [`Guarded`] with [`Tracked`] (the connection's service, which counts its requests
//!   until their response bodies are sent) also closes a connection on which no request
//!   reached Sesame for the header-read timeout while none was in progress: from the
//!   connection's start or the end of its last response. hyper's HTTP/2 server has no
//!   header-read timeout, so this is what bounds a request head trickled frame by frame
//!   over HTTP/2 (for HTTP/1 it matches what hyper does already).

use axum_server::accept::Accept;
use hyper_util::rt::TokioTimer;
use hyper_util::server::conn::auto::Builder;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

pub use crate::config::{
    Limits, DEFAULT_HEADER_READ_TIMEOUT_SECS, DEFAULT_IDLE_TIMEOUT_SECS, DEFAULT_MAX_CONNECTIONS,
};

/// Sets the HTTP/1 header-read timeout of `limits` (and the timer it needs) on hyper's
/// builder.
pub fn configure<E>(limits: &Limits, builder: &mut Builder<E>) {
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
}

/// What the refusals of one listener share: whether it is refusing now, and how many.
#[derive(Debug, Default)]
struct Refusals {
    refusing: AtomicBool,
    refused: AtomicU64,
}

/// An acceptor that holds a connection slot for each connection and wraps its stream in
/// [`Guarded`]; `inner` (the plain or TLS acceptor) runs after the slot is taken.
#[derive(Debug, Clone)]
pub struct LimitAcceptor<A> {
    inner: A,
    slots: Arc<Semaphore>,
    refusals: Arc<Refusals>,
    limits: Limits,
}

impl<A> LimitAcceptor<A> {
    /// An acceptor with `limits` in front of `inner`.
    pub fn new(inner: A, limits: Limits) -> Self {
        LimitAcceptor {
            inner,
            slots: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            refusals: Arc::default(),
            limits,
        }
    }

    /// A slot for a new connection, or `None` (logged once per burst).
    fn admit(&self) -> Option<OwnedSemaphorePermit> {
        let r = &self.refusals;
        match Arc::clone(&self.slots).try_acquire_owned() {
            Ok(permit) => {
                if r.refusing.swap(false, Ordering::AcqRel) {
                    let n = r.refused.swap(0, Ordering::AcqRel);
                    tracing::info!(
                        refused = n,
                        "connections are accepted again: {n} were refused while {} were open \
                         (--max-connections)",
                        self.limits.max_connections
                    );
                }
                Some(permit)
            }
            Err(_) => {
                r.refused.fetch_add(1, Ordering::AcqRel);
                metrics::counter!("sesame_connections_refused_total").increment(1);
                if !r.refusing.swap(true, Ordering::AcqRel) {
                    tracing::warn!(
                        "connection limit reached: {} connections are open; new connections \
                         are closed until one ends (--max-connections)",
                        self.limits.max_connections
                    );
                }
                None
            }
        }
    }
}

impl<A, I, S> Accept<I, S> for LimitAcceptor<A>
where
    A: Accept<I, S>,
    A::Future: Send + 'static,
    A::Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    A::Service: Send + 'static,
{
    type Stream = Guarded<A::Stream>;
    type Service = Tracked<A::Service>;
    type Future = Pin<Box<dyn Future<Output = io::Result<(Self::Stream, Self::Service)>> + Send>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        let Some(permit) = self.admit() else {
            // Dropping the stream closes the connection.
            drop(stream);
            return Box::pin(std::future::ready(Err(io::Error::other(
                "connection limit reached",
            ))));
        };
        let inner = self.inner.accept(stream, service);
        let idle = self.limits.idle_timeout;
        let head = self.limits.header_read_timeout;
        Box::pin(async move {
            let (stream, service) = inner.await?;
            let requests = Arc::new(Requests::default());
            let service = Tracked {
                inner: service,
                requests: Arc::clone(&requests),
            };
            Ok((Guarded::new(stream, permit, idle, head, requests), service))
        })
    }
}

/// A connection's stream: holds its slot until dropped, and fails with `TimedOut` when
/// no byte moved for the idle timeout while the server waited on it.
#[derive(Debug)]
pub struct Guarded<T> {
    inner: T,
    _slot: OwnedSemaphorePermit,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    /// The header-read timeout: how long the connection may wait for its next request.
    head: Duration,
    /// When the wait for the next request ends (meaningful while none is in progress).
    head_deadline: Pin<Box<Sleep>>,
    requests: Arc<Requests>,
    /// [`Requests::changes`] when `head_deadline` was last set.
    seen: u64,
}

impl<T> Guarded<T> {
    fn new(
        inner: T,
        slot: OwnedSemaphorePermit,
        idle: Duration,
        head: Duration,
        requests: Arc<Requests>,
    ) -> Self {
        Guarded {
            inner,
            _slot: slot,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
            head,
            head_deadline: Box::pin(tokio::time::sleep(head)),
            requests,
            seen: 0,
        }
    }

    /// On a pending read: an error once no request reached the service for the
    /// header-read timeout while none was in progress.
    fn no_request(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let changes = self.requests.changes.load(Ordering::Acquire);
        if changes != self.seen {
            self.seen = changes;
            let at = self.requests.changed_at() + self.head;
            self.head_deadline.as_mut().reset(at);
        }
        if self.requests.in_flight.load(Ordering::Acquire) > 0 {
            return Poll::Pending;
        }
        match self.head_deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(
                io::ErrorKind::TimedOut,
                "no request arrived within the header-read timeout",
            )),
            Poll::Pending => Poll::Pending,
        }
    }

    fn active(&mut self) {
        let at = Instant::now() + self.idle;
        self.deadline.as_mut().reset(at);
    }

    /// On a pending read or write: an error once the connection was idle too long.
    fn expired(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection idle timeout",
            )),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                this.active();
                Poll::Ready(r)
            }
            Poll::Pending => match this.no_request(cx) {
                Poll::Ready(e) => Poll::Ready(Err(e)),
                Poll::Pending => this.expired(cx).map(Err),
            },
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(r) => {
                this.active();
                Poll::Ready(r)
            }
            Poll::Pending => this.expired(cx).map(Err),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(r) => {
                this.active();
                Poll::Ready(r)
            }
            Poll::Pending => this.expired(cx).map(Err),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Ready(r) => Poll::Ready(r),
            Poll::Pending => this.expired(cx).map(Err),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// A connection's requests as its stream sees them: how many are in progress (from
/// reaching the service until their response body is sent or dropped), and a counter of
/// starts and ends.
#[derive(Debug, Default)]
pub struct Requests {
    in_flight: AtomicUsize,
    changes: AtomicU64,
    /// When a request last started or ended.
    changed: std::sync::Mutex<Option<Instant>>,
}

impl Requests {
    fn changed(&self) {
        let mut at = match self.changed.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        *at = Some(Instant::now());
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    fn changed_at(&self) -> Instant {
        let at = match self.changed.lock() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        };
        at.unwrap_or_else(Instant::now)
    }
}

/// One request in progress; ends when dropped (with its response body).
#[derive(Debug)]
struct InProgress(Arc<Requests>);

impl InProgress {
    fn start(r: &Arc<Requests>) -> Self {
        r.in_flight.fetch_add(1, Ordering::AcqRel);
        r.changed();
        InProgress(Arc::clone(r))
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.changed();
    }
}

/// A connection's service: counts its requests in [`Requests`] until their response
/// bodies are done.
#[derive(Debug, Clone)]
pub struct Tracked<S> {
    inner: S,
    requests: Arc<Requests>,
}

impl<S, B, RB> tower_service::Service<axum::http::Request<B>> for Tracked<S>
where
    S: tower_service::Service<axum::http::Request<B>, Response = axum::http::Response<RB>>,
    S::Future: Send + 'static,
{
    type Response = axum::http::Response<TrackedBody<RB>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: axum::http::Request<B>) -> Self::Future {
        let progress = InProgress::start(&self.requests);
        let fut = self.inner.call(req);
        Box::pin(async move {
            let r = fut.await?;
            Ok(r.map(|inner| TrackedBody {
                inner,
                _progress: progress,
            }))
        })
    }
}

/// A response body that ends its request's [`InProgress`] when dropped.
#[derive(Debug)]
pub struct TrackedBody<B> {
    inner: B,
    _progress: InProgress,
}

impl<B: http_body::Body + Unpin> http_body::Body for TrackedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic
mod tests {
    use super::*;
    use axum_server::accept::DefaultAcceptor;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    fn limits(max: usize, idle_secs: u64) -> Limits {
        Limits {
            max_connections: max,
            idle_timeout: Duration::from_secs(idle_secs),
            header_read_timeout: Duration::from_secs(3600),
        }
    }

    /// Without a request in progress, a connection that keeps sending bytes but brings
    /// no request to the service (an HTTP/2 request head trickled frame by frame) is
    /// closed at the header-read timeout; while a request and its response body are in
    /// progress it is not, and the clock starts again when the response is done.
    #[tokio::test(start_paused = true)]
    async fn a_connection_without_requests_is_closed_at_the_header_read_timeout() {
        let l = Limits {
            max_connections: 4,
            idle_timeout: Duration::from_secs(60),
            header_read_timeout: Duration::from_secs(2),
        };
        let acc = LimitAcceptor::new(DefaultAcceptor::new(), l);
        let (server, mut client) = tokio::io::duplex(64);
        let app = tower::service_fn(|_r: axum::http::Request<()>| async {
            Ok::<_, std::convert::Infallible>(axum::http::Response::new(axum::body::Body::empty()))
        });
        let (mut s, mut service) = acc.accept(server, app).await.unwrap();
        let mut one = [0u8; 1];
        // A request in progress (its response body not yet sent): bytes trickle for 5 s.
        let response = tower_service::Service::call(&mut service, axum::http::Request::new(()))
            .await
            .unwrap();
        for _ in 0..5 {
            tokio::time::advance(Duration::from_secs(1)).await;
            client.write_all(b"x").await.unwrap();
            s.read_exact(&mut one).await.unwrap();
        }
        // The response done, a byte every second no longer keeps the connection open:
        // the first read that waits after 2 seconds fails.
        drop(response);
        let start = Instant::now();
        for _ in 0..2 {
            tokio::time::advance(Duration::from_secs(1)).await;
            client.write_all(b"x").await.unwrap();
            s.read_exact(&mut one).await.unwrap();
        }
        let e = s.read_exact(&mut one).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test]
    async fn slots_are_taken_and_given_back() {
        let acc = LimitAcceptor::new(DefaultAcceptor::new(), limits(2, 60));
        let (a, _a) = tokio::io::duplex(64);
        let (b, _b) = tokio::io::duplex(64);
        let (c, _c) = tokio::io::duplex(64);
        let first = acc.accept(a, ()).await.unwrap();
        let second = acc.accept(b, ()).await.unwrap();
        assert!(acc.accept(c, ()).await.is_err(), "over the cap");
        assert!(acc.refusals.refusing.load(Ordering::Acquire));
        drop(first);
        let (d, _d) = tokio::io::duplex(64);
        let third = acc.accept(d, ()).await.unwrap();
        assert!(!acc.refusals.refusing.load(Ordering::Acquire));
        drop((second, third));
        assert_eq!(acc.slots.available_permits(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_stream_times_out_and_activity_postpones_it() {
        let acc = LimitAcceptor::new(DefaultAcceptor::new(), limits(4, 5));
        let (server, mut client) = tokio::io::duplex(64);
        let (mut s, _service) = acc.accept(server, ()).await.unwrap();
        // Bytes every 3 seconds keep it open past 5 seconds.
        for _ in 0..3 {
            tokio::time::advance(Duration::from_secs(3)).await;
            client.write_all(b"x").await.unwrap();
            let mut one = [0u8; 1];
            s.read_exact(&mut one).await.unwrap();
        }
        // Then nothing: the read fails with TimedOut after 5 seconds.
        let start = Instant::now();
        let mut one = [0u8; 1];
        let e = s.read_exact(&mut one).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }
}
