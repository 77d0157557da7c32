//! Sign-in logs, batched off the request path: handlers `record` into a bounded channel
//! (never awaiting the database); a task writes what arrived at least every second, and
//! everything left when the server shuts down gracefully.
//!
//! A row carries the SAML messages of the attempt: the decoded request, and the Response
//! Sesame sent. The handler only moves the strings it already built into the row; the
//! writer task removes the content of every `SignatureValue` and `X509Certificate` from
//! the Response (what was signed stays readable: the attributes, the conditions; the
//! certificate is the application's signing certificate, shown under SAML Certificates,
//! and was 40% of each row) and caps each message at [`MESSAGE_MAX`] bytes, off the
//! request path.
//!
//! Failures keep their messages; successful sign-ins keep them for the newest
//! [`SUCCESS_MESSAGES_KEPT`] per application (the writer clears older ones about every
//! minute), or all of them while an administrator captures the application's messages
//! (`sesame app set APP --capture-messages 1h`, stored in `message_capture`).

use crate::store::{SigninRow, Store};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Rows buffered before `record` starts dropping (and counting) them.
const CHANNEL: usize = 65_536;
/// Most rows per transaction; a buffer this full wakes the writer before its tick.
const BATCH: usize = 256;
/// How often the writer writes what arrived: often, so that each transaction is short
/// (a long one takes a core from the request path at once, which shows in the p99).
const WRITE_EVERY: Duration = Duration::from_millis(100);
/// Successful sign-ins per application whose SAML messages are kept (the newest); older
/// ones keep their row without the messages, unless the application's messages are
/// being captured (`Store::capture_set`).
pub const SUCCESS_MESSAGES_KEPT: i64 = 1000;
/// How often the writer trims the messages of older successful sign-ins.
const TRIM_EVERY: Duration = Duration::from_secs(60);
/// Rows kept for a retry while the database is out of reach.
const KEEP_WHILE_UNAVAILABLE: usize = 50_000;
/// The most bytes of each SAML message kept in a row.
pub const MESSAGE_MAX: usize = 64 * 1024;
/// What replaces the end of a message cut at [`MESSAGE_MAX`].
const CUT_MARK: &str = "…[cut]";
/// The most bytes of a message kept from a request whose application is not known
/// (anyone can send one): a prefix this long, then the SHA-256 of the whole message.
pub const UNKNOWN_APP_PREFIX: usize = 1024;
/// A request larger than this is never a real one (a signed AuthnRequest with its
/// certificate is a few KiB; Sesame refuses to keep one this large while the user signs
/// in): its row keeps a prefix and the digest, as for an unknown application.
pub const REQUEST_MAX: usize = 16 * 1024;
/// The most bytes of a row's details.
pub const DETAILS_MAX: usize = 2048;

/// The buffer shared by the handles and the writer. A handler appends under a short
/// lock and wakes no one (the writer runs on its tick): a channel would wake the writer
/// task for every row, a cross-thread wake-up per response.
#[derive(Debug, Default)]
struct Shared {
    rows: Mutex<Vec<SigninRow>>,
    full: Notify,
    /// The server stopped serving: write what is queued and end, even if a handle
    /// is still held somewhere (a connection task that outlived the shutdown).
    closing: std::sync::atomic::AtomicBool,
}

impl Shared {
    fn rows(&self) -> MutexGuard<'_, Vec<SigninRow>> {
        match self.rows.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// The handle handlers use.
#[derive(Clone, Debug)]
pub struct SigninLog {
    shared: Arc<Shared>,
    /// False only when `SESAME_BENCH_SIGNIN_LOG=off` (benchmarks compare logging on/off).
    enabled: bool,
    /// False only when `SESAME_BENCH_SIGNIN_LOG=nomessages` (rows without their SAML
    /// messages: the benchmark's measure of what keeping them costs).
    messages: bool,
}

/// The writer task, to await at shutdown.
#[derive(Debug)]
pub struct SigninWriter {
    handle: JoinHandle<()>,
    shared: Arc<Shared>,
}

impl SigninLog {
    /// Starts the writer task on `store`.
    pub fn start(store: Store) -> (SigninLog, SigninWriter) {
        let shared = Arc::new(Shared::default());
        let handle = tokio::spawn(run(store, Arc::clone(&shared)));
        // A hidden benchmark switch (bench/run.sh): logging on and off must show the same
        // hot-path latency, because rows are written in batches off the request path.
        let switch = std::env::var_os("SESAME_BENCH_SIGNIN_LOG");
        let enabled = switch.as_ref().is_none_or(|v| v != "off");
        let messages = switch.as_ref().is_none_or(|v| v != "nomessages");
        let writer = SigninWriter {
            handle,
            shared: Arc::clone(&shared),
        };
        (
            SigninLog {
                shared,
                enabled,
                messages,
            },
            writer,
        )
    }

    /// Queues a row; never waits. A full queue drops the row with a warning. The row is
    /// cut to what is stored before it is queued ([`bound`]), so the queue holds at most
    /// a known number of bytes per row.
    pub fn record(&self, mut row: SigninRow) {
        if !self.enabled {
            return;
        }
        if !self.messages {
            row.saml_request = String::new();
            row.saml_response = String::new();
        }
        bound(&mut row);
        let n = {
            let mut rows = self.shared.rows();
            if rows.len() >= CHANNEL {
                drop(rows);
                tracing::warn!("sign-in log queue full; a row was dropped");
                return;
            }
            rows.push(row);
            rows.len()
        };
        if n == BATCH {
            self.shared.full.notify_one();
        }
    }
}

impl SigninWriter {
    /// Writes every queued row and ends the writer (call once the server stopped
    /// serving: a row queued after this may not be written). It does not wait for every
    /// `SigninLog` handle to be dropped, so a connection task that outlives the shutdown
    /// cannot keep the process from exiting.
    pub async fn finish(self) {
        self.shared
            .closing
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.shared.full.notify_one();
        let _ = self.handle.await;
    }
}

async fn run(store: Store, shared: Arc<Shared>) {
    let mut buf: Vec<SigninRow> = Vec::with_capacity(BATCH);
    // Applications with successful sign-ins written with their messages since the last
    // trim, and when that was.
    let mut to_trim: HashSet<String> = HashSet::new();
    let mut trimmed_at = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(WRITE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = shared.full.notified() => {}
        }
        // The server stopped (`SigninWriter::finish`): write what is left, and end.
        let last = shared.closing.load(std::sync::atomic::Ordering::SeqCst);
        loop {
            {
                let mut rows = shared.rows();
                let take = rows.len().min(BATCH.saturating_sub(buf.len()));
                buf.extend(rows.drain(..take));
            }
            if buf.is_empty() {
                break;
            }
            to_trim.extend(buf.iter().filter_map(|r| {
                let kept = r.result == "success" && !r.saml_response.is_empty();
                r.app_id.clone().filter(|_| kept)
            }));
            let before = buf.len();
            flush(&store, &mut buf).await;
            // Kept for a retry (database unavailable): try again at the next tick.
            if buf.len() == before {
                break;
            }
        }
        if !to_trim.is_empty() && (last || trimmed_at.elapsed() >= TRIM_EVERY) {
            trimmed_at = tokio::time::Instant::now();
            let now_ms = crate::sso::now().unix_millis();
            if let Err(e) = trim_success_messages(&store, &mut to_trim, now_ms).await {
                tracing::warn!("trimming the sign-in log's messages failed, will retry: {e}");
            }
        }
        if last {
            return;
        }
    }
}

/// Clears the messages of the successful sign-ins of the applications in `apps` beyond
/// their newest [`SUCCESS_MESSAGES_KEPT`], except for applications whose messages are
/// captured at `now_ms` (they stay in `apps`, to be trimmed once the capture ends).
/// Returns how many rows were cleared.
pub async fn trim_success_messages(
    store: &Store,
    apps: &mut HashSet<String>,
    now_ms: i64,
) -> Result<u64, crate::store::StoreError> {
    let capturing: HashSet<String> = store.captures_active(now_ms).await?.into_iter().collect();
    let mut n = 0;
    let todo: Vec<String> = apps
        .iter()
        .filter(|a| !capturing.contains(*a))
        .cloned()
        .collect();
    for app in todo {
        n += store
            .signins_trim_success_messages(&app, SUCCESS_MESSAGES_KEPT)
            .await?;
        apps.remove(&app);
    }
    Ok(n)
}

/// The content of every `<SignatureValue>` and `<X509Certificate>` element (any prefix)
/// of `xml` removed.
pub fn strip_for_log(xml: &str) -> String {
    strip_content(&strip_content(xml, "SignatureValue"), "X509Certificate")
}

/// The content of every `<name>` element (any prefix) of `xml` removed.
fn strip_content(xml: &str, name: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(open) = find_open_tag(rest, name) {
        // `open` is just past the '>' of the start tag.
        out.push_str(&rest[..open]);
        rest = &rest[open..];
        match rest.find("</") {
            Some(close) => rest = &rest[close..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The offset just past the start tag `<name …>` or `<p:name …>` (not self-closing).
fn find_open_tag(s: &str, name: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before = &s[..at];
        // `<name` or `<prefix:name`.
        let starts_tag = before.ends_with('<')
            || before.rfind('<').is_some_and(|lt| {
                let p = &before[lt + 1..];
                p.ends_with(':')
                    && !p.is_empty()
                    && p[..p.len() - 1]
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
            });
        let after = &s[from..];
        let ends_name = after.starts_with('>') || after.starts_with(char::is_whitespace);
        if starts_tag && ends_name {
            let gt = after.find('>')?;
            if after[..gt].ends_with('/') {
                continue;
            }
            return Some(from + gt + 1);
        }
    }
    None
}

/// `s` cut to at most [`MESSAGE_MAX`] bytes (at a character boundary, marked).
pub fn cap(s: String) -> String {
    cut_at(s, MESSAGE_MAX)
}

/// Cuts a row to what is stored, on the request path (only truncation and, for a
/// message from an unknown sender, one SHA-256): messages at [`MESSAGE_MAX`] bytes, the
/// details at [`DETAILS_MAX`]; a request that names no known application keeps only a
/// [`UNKNOWN_APP_PREFIX`]-byte prefix and the digest of the whole message (enough to
/// recognise a repeated message; anyone can send one), and so does a request over
/// [`REQUEST_MAX`] (no real request is that large).
pub fn bound(r: &mut SigninRow) {
    let unknown = r.app_id.is_none() && r.saml_request.len() > UNKNOWN_APP_PREFIX;
    if unknown || r.saml_request.len() > REQUEST_MAX {
        r.saml_request = digest_and_prefix(&r.saml_request);
    }
    if r.saml_request.len() > MESSAGE_MAX {
        r.saml_request = cap(std::mem::take(&mut r.saml_request));
    }
    if r.saml_response.len() > MESSAGE_MAX {
        r.saml_response = cap(std::mem::take(&mut r.saml_response));
    }
    if r.details.len() > DETAILS_MAX {
        r.details = cut_at(std::mem::take(&mut r.details), DETAILS_MAX);
    }
}

/// The first [`UNKNOWN_APP_PREFIX`] bytes of `msg` (at a character boundary), then its
/// length and SHA-256.
fn digest_and_prefix(msg: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, msg.as_bytes());
    let mut end = UNKNOWN_APP_PREFIX;
    while !msg.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(end + 120);
    out.push_str(&msg[..end]);
    out.push_str(&format!("…[cut: {} bytes, SHA-256 ", msg.len()));
    crate::ids::push_hex(&mut out, d.as_ref());
    out.push(']');
    out
}

/// `s` cut to at most `max` bytes (at a character boundary, marked).
fn cut_at(mut s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let mut end = max.saturating_sub(CUT_MARK.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push_str(CUT_MARK);
    s
}

/// Gives the rows queued without an id a time-ordered UUID (v7: the row's time in
/// milliseconds, then 74 random bits), from one call to the system generator for the
/// whole batch rather than one per request. Time-ordered ids append to the primary key's
/// index like `time_ms` does to its own; random (v4) ids landed all over it, so each
/// batch rewrote pages across the whole index.
fn assign_ids(buf: &mut [SigninRow]) {
    let n = buf.iter().filter(|r| r.id.is_empty()).count();
    if n == 0 {
        return;
    }
    let mut bytes = vec![0u8; 10 * n];
    let fresh = aws_lc_rs::rand::fill(&mut bytes).is_ok();
    let mut chunks = bytes.chunks_exact(10);
    for r in buf.iter_mut().filter(|r| r.id.is_empty()) {
        let id = match (
            fresh,
            chunks.next().and_then(|c| <[u8; 10]>::try_from(c).ok()),
        ) {
            (true, Some(b)) => {
                let ms = u64::try_from(r.time_ms).unwrap_or(0);
                uuid::Builder::from_unix_timestamp_millis(ms, &b).into_uuid()
            }
            _ => uuid::Uuid::new_v4(),
        };
        r.id = id.to_string();
    }
}

/// What the writer stores of a row's messages.
fn prepare(r: &mut SigninRow) {
    if !r.saml_response.is_empty() {
        r.saml_response = cap(strip_for_log(&r.saml_response));
    }
    if r.saml_request.len() > MESSAGE_MAX {
        r.saml_request = cap(std::mem::take(&mut r.saml_request));
    }
}

async fn flush(store: &Store, buf: &mut Vec<SigninRow>) {
    if buf.is_empty() {
        return;
    }
    assign_ids(buf);
    for r in buf.iter_mut() {
        prepare(r);
    }
    match store.signins_insert(buf).await {
        Ok(()) => buf.clear(),
        // The database is briefly out of reach (a restart, a fail-over): keep the rows
        // for the next flush, up to a bound.
        Err(e) if e.is_unavailable() && buf.len() < KEEP_WHILE_UNAVAILABLE => {
            tracing::warn!(
                "writing {} sign-in log rows failed, will retry: {e}",
                buf.len()
            );
        }
        Err(e) => {
            tracing::error!("writing {} sign-in log rows failed: {e}", buf.len());
            buf.clear();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn signature_values_are_removed() {
        let xml =
            "<r><ds:Signature><ds:SignedInfo/><ds:SignatureValue>QUJD\nREVG</ds:SignatureValue>\
                   <ds:KeyInfo>K</ds:KeyInfo></ds:Signature><a>v</a>\
                   <Signature><SignatureValue Id=\"x\">WFla</SignatureValue></Signature>\
                   <x:SignatureValue/><SignatureValueX>keep</SignatureValueX>\
                   <ds:X509Data><ds:X509Certificate>MIIC\nQUJD</ds:X509Certificate></ds:X509Data></r>";
        let out = strip_for_log(xml);
        assert!(!out.contains("QUJD") && !out.contains("REVG") && !out.contains("WFla"));
        assert!(
            out.contains("<ds:SignatureValue></ds:SignatureValue>"),
            "{out}"
        );
        assert!(
            out.contains("<SignatureValue Id=\"x\"></SignatureValue>"),
            "{out}"
        );
        assert!(out.contains("<ds:KeyInfo>K</ds:KeyInfo>"));
        assert!(out.contains("<a>v</a>"));
        assert!(out.contains("<SignatureValueX>keep</SignatureValueX>"));
        assert!(out.contains("<x:SignatureValue/>"));
        assert!(
            out.contains("<ds:X509Data><ds:X509Certificate></ds:X509Certificate></ds:X509Data>"),
            "{out}"
        );
        assert!(!out.contains("MIIC"));
        assert_eq!(strip_for_log("no signature"), "no signature");
    }

    #[test]
    fn rows_get_distinct_uuids() {
        let row = SigninRow {
            id: String::new(),
            time_ms: 0,
            user_id: None,
            upn: String::new(),
            app_id: None,
            app_name: String::new(),
            client_ip: String::new(),
            result: "success".into(),
            error_code: String::new(),
            request_id: String::new(),
            correlation_id: String::new(),
            details: String::new(),
            saml_request: String::new(),
            saml_response: String::new(),
        };
        let mut rows = vec![
            row.clone(),
            row.clone(),
            SigninRow {
                id: "kept".into(),
                ..row
            },
        ];
        assign_ids(&mut rows);
        assert_ne!(rows[0].id, rows[1].id);
        assert_eq!(rows[2].id, "kept");
        let u = uuid::Uuid::parse_str(&rows[0].id).unwrap();
        assert_eq!(u.get_version_num(), 7);
        // Ordered by the rows' times.
        let mut later = vec![SigninRow {
            time_ms: 1_764_000_000_000,
            ..rows[0].clone()
        }];
        later[0].id.clear();
        let mut earlier = vec![SigninRow {
            time_ms: 1_763_999_999_999,
            ..later[0].clone()
        }];
        assign_ids(&mut later);
        assign_ids(&mut earlier);
        assert!(
            earlier[0].id < later[0].id,
            "{} {}",
            earlier[0].id,
            later[0].id
        );
    }

    #[test]
    fn rows_are_bounded_before_they_are_queued() {
        let big = format!("<r>{}</r>", "x".repeat(250_000));
        let mut r = SigninRow {
            id: String::new(),
            time_ms: 0,
            user_id: None,
            upn: String::new(),
            app_id: None,
            app_name: String::new(),
            client_ip: String::new(),
            result: "failure".into(),
            error_code: String::new(),
            request_id: String::new(),
            correlation_id: String::new(),
            details: "d".repeat(100_000),
            saml_request: big.clone(),
            saml_response: "y".repeat(100_000),
        };
        let known = SigninRow {
            app_id: Some("app".into()),
            ..r.clone()
        };
        bound(&mut r);
        // No application known: a prefix and the digest of the whole message.
        assert!(
            r.saml_request.len() < UNKNOWN_APP_PREFIX + 200,
            "{}",
            r.saml_request.len()
        );
        assert!(r.saml_request.starts_with("<r>xxx"));
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, big.as_bytes());
        let mut hex = String::new();
        crate::ids::push_hex(&mut hex, d.as_ref());
        assert!(r.saml_request.contains(&hex), "{}", r.saml_request);
        assert!(r.saml_request.contains("250007 bytes"));
        assert!(r.saml_response.len() <= MESSAGE_MAX);
        assert!(r.details.len() <= DETAILS_MAX);
        // A known application's request keeps a prefix and the digest too when it is
        // larger than any real request, and is kept whole below that.
        let mut k = known.clone();
        bound(&mut k);
        assert!(k.saml_request.len() < UNKNOWN_APP_PREFIX + 200);
        let mut k = SigninRow {
            saml_request: "z".repeat(REQUEST_MAX),
            ..known
        };
        bound(&mut k);
        assert_eq!(k.saml_request.len(), REQUEST_MAX);
        // Short messages are left alone.
        let mut short = SigninRow {
            saml_request: "<a/>".into(),
            details: "d".into(),
            saml_response: String::new(),
            ..r
        };
        bound(&mut short);
        assert_eq!(short.saml_request, "<a/>");
    }

    fn success(app: &str, i: i64, result: &str) -> SigninRow {
        SigninRow {
            id: format!("{app}-{i:05}"),
            time_ms: 1_700_000_000_000 + i,
            user_id: Some("u".into()),
            upn: "ann@contoso.com".into(),
            app_id: Some(app.into()),
            app_name: "App".into(),
            client_ip: "192.0.2.1".into(),
            result: result.into(),
            error_code: String::new(),
            request_id: format!("_r{i}"),
            correlation_id: "c".into(),
            details: String::new(),
            saml_request: "<AuthnRequest/>".into(),
            saml_response: "<Response/>".into(),
        }
    }

    async fn with_messages(store: &Store, app: &str) -> usize {
        let rows = store
            .signins_list(&crate::store::SigninFilter {
                app_id: Some(app.into()),
                limit: 5000,
                ..Default::default()
            })
            .await
            .unwrap();
        let mut n = 0;
        for r in rows {
            let full = store.signin_by_id(&r.id).await.unwrap().unwrap();
            if !full.saml_response.is_empty() {
                n += 1;
            }
        }
        n
    }

    /// Successful sign-ins keep their messages for the newest SUCCESS_MESSAGES_KEPT per
    /// application; failures keep theirs; a capture keeps every one until it expires.
    #[tokio::test]
    async fn success_messages_are_kept_for_a_window_or_while_captured() {
        let t = crate::store::suite::test_store().await;
        let s = &t.store;
        let extra = 5;
        let n = SUCCESS_MESSAGES_KEPT + extra;
        let mut rows: Vec<SigninRow> = (0..n).map(|i| success("a", i, "success")).collect();
        rows.extend((0..3).map(|i| success("a", -10 - i, "failure")));
        rows.extend((0..n).map(|i| success("b", i, "success")));
        s.signins_insert(&rows).await.unwrap();
        let now = 1_800_000_000_000;
        // Application b is captured for an hour.
        s.capture_set("b", Some(now + 3_600_000)).await.unwrap();
        let mut apps: HashSet<String> = ["a".to_owned(), "b".to_owned()].into();
        let cleared = trim_success_messages(s, &mut apps, now).await.unwrap();
        assert_eq!(cleared, u64::try_from(extra).unwrap());
        let kept = usize::try_from(SUCCESS_MESSAGES_KEPT).unwrap();
        // a: the newest 1,000 successes and the 3 failures keep their messages.
        assert_eq!(with_messages(s, "a").await, kept + 3);
        let oldest = s.signin_by_id("a-00000").await.unwrap().unwrap();
        assert!(oldest.saml_request.is_empty() && oldest.saml_response.is_empty());
        let newest = s
            .signin_by_id(&format!("a-{:05}", n - 1))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(newest.saml_response, "<Response/>");
        // b: captured, every message kept, and still to trim.
        assert_eq!(
            with_messages(s, "b").await,
            kept + usize::try_from(extra).unwrap()
        );
        assert_eq!(apps, HashSet::from(["b".to_owned()]));
        // Two hours later the capture has expired: b is trimmed too.
        trim_success_messages(s, &mut apps, now + 7_200_000)
            .await
            .unwrap();
        assert_eq!(with_messages(s, "b").await, kept);
        assert!(apps.is_empty());
        assert_eq!(s.capture_until("b").await.unwrap(), Some(now + 3_600_000));
        s.capture_set("b", None).await.unwrap();
        assert_eq!(s.capture_until("b").await.unwrap(), None);
    }

    /// What a successful sign-in without its messages costs on SQLite (row and indexes):
    /// 20,000 rows with realistic values, measured by the database's pages.
    #[tokio::test]
    async fn a_success_row_without_messages_costs_under_600_bytes() {
        let t = crate::store::suite::test_store().await;
        let s = &t.store;
        let pages = || async {
            let count: Result<i64, _> = sqlx::query_scalar("PRAGMA page_count")
                .fetch_one(s.pool())
                .await;
            let size: Result<i64, _> = sqlx::query_scalar("PRAGMA page_size")
                .fetch_one(s.pool())
                .await;
            count.ok().zip(size.ok()).map(|(c, z)| c * z)
        };
        let Some(before) = pages().await else {
            return; // PostgreSQL: measured on SQLite.
        };
        let n: i64 = 20_000;
        let mut rows = Vec::new();
        for i in 0..n {
            rows.push(SigninRow {
                id: String::new(),
                time_ms: 1_764_000_000_000 + i * 3,
                user_id: Some(uuid::Uuid::new_v4().to_string()),
                upn: format!("firstname.lastname{i}@contoso.com"),
                app_id: Some("0c4d7e0a-8f2b-4f4e-9a43-5b8de0e1f7a1".into()),
                app_name: "Cisco Webex Meetings".into(),
                client_ip: "2001:db8:1234:5678::42".into(),
                result: "success".into(),
                error_code: String::new(),
                request_id: format!("_{}", uuid::Uuid::new_v4().simple()),
                correlation_id: uuid::Uuid::new_v4().to_string(),
                details: String::new(),
                saml_request: String::new(),
                saml_response: String::new(),
            });
        }
        assign_ids(&mut rows);
        for chunk in rows.chunks(BATCH) {
            s.signins_insert(chunk).await.unwrap();
        }
        let after = pages().await.unwrap();
        let per_row = (after - before) / n;
        eprintln!("a successful sign-in row without messages: {per_row} bytes");
        assert!(per_row < 600, "{per_row} bytes per row");
    }

    #[test]
    fn messages_are_capped() {
        assert_eq!(cap("short".into()), "short");
        let long = "é".repeat(MESSAGE_MAX);
        let c = cap(long);
        assert!(c.len() <= MESSAGE_MAX);
        assert!(c.ends_with(CUT_MARK));
    }
}
