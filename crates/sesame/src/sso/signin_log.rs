//! Sign-in logs, batched off the request path: handlers `record` into a bounded channel
//! (never awaiting the database); a task writes what arrived at least every second, and
//! everything left when the server shuts down gracefully.

use crate::store::{SigninRow, Store};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Rows buffered before `record` starts dropping (and counting) them.
const CHANNEL: usize = 65_536;
/// Most rows per transaction.
const BATCH: usize = 512;
/// Rows kept for a retry while the database is out of reach.
const KEEP_WHILE_UNAVAILABLE: usize = 50_000;

/// The handle handlers use.
#[derive(Clone, Debug)]
pub struct SigninLog {
    tx: mpsc::Sender<SigninRow>,
    /// False only when `SESAME_BENCH_SIGNIN_LOG=off` (benchmarks compare logging on/off).
    enabled: bool,
}

/// The writer task, to await at shutdown.
#[derive(Debug)]
pub struct SigninWriter {
    handle: JoinHandle<()>,
}

impl SigninLog {
    /// Starts the writer task on `store`.
    pub fn start(store: Store) -> (SigninLog, SigninWriter) {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let handle = tokio::spawn(run(store, rx));
        // A hidden benchmark switch (bench/run.sh): logging on and off must show the same
        // hot-path latency, because rows are written in batches off the request path.
        let enabled = std::env::var_os("SESAME_BENCH_SIGNIN_LOG").is_none_or(|v| v != "off");
        (SigninLog { tx, enabled }, SigninWriter { handle })
    }

    /// Queues a row; never waits. A full queue drops the row with a warning.
    pub fn record(&self, row: SigninRow) {
        if !self.enabled {
            return;
        }
        if let Err(e) = self.tx.try_send(row) {
            tracing::warn!("sign-in log queue full or closed; a row was dropped: {e}");
        }
    }
}

impl SigninWriter {
    /// Waits until every queued row is written (call after every `SigninLog` is dropped).
    pub async fn finish(self) {
        let _ = self.handle.await;
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<SigninRow>) {
    let mut buf: Vec<SigninRow> = Vec::with_capacity(BATCH);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(row) => {
                    buf.push(row);
                    if buf.len() >= BATCH {
                        flush(&store, &mut buf).await;
                    }
                }
                None => {
                    flush(&store, &mut buf).await;
                    return;
                }
            },
            _ = tick.tick() => flush(&store, &mut buf).await,
        }
    }
}

async fn flush(store: &Store, buf: &mut Vec<SigninRow>) {
    if buf.is_empty() {
        return;
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
