//! The outbox: [`enqueue`] checks a message and puts it in `mail_outbox` inside the
//! caller's transaction; the [`Worker`] of each node claims due messages (one node each, with a
//! lease so a message claimed by a node that died is claimed again once the lease ends),
//! renders them (this node's sender, the organisation's name), sends them, and records the outcome: sent; queued again with exponential backoff (1
//! minute doubling to an hour, [`MAX_ATTEMPTS`] attempts); or failed, with the server's
//! reply. Time is passed in (`now`), so tests move it instead of waiting.

use super::config;
use super::config::MailConfig;
use super::error::{MailCode, MailError};
use super::message::{self, Outgoing};
use super::transport::Transport;
use crate::model::{OutboxMessage, OutboxStatus};
use crate::store::{Store, StoreResult};
use crate::tenant::MasterKey;
use lettre::message::Mailbox;
use sqlx::{Any, Transaction};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Attempts before a message is marked failed.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a claim lasts: longer than one SMTP conversation may take.
pub const LEASE_SECS: i64 = 120;
/// The first retry's delay; it doubles each time, up to [`MAX_BACKOFF_SECS`].
pub const FIRST_BACKOFF_SECS: i64 = 60;
/// The longest delay between two attempts.
pub const MAX_BACKOFF_SECS: i64 = 3600;
/// How often the worker looks for due messages.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The delay before the next attempt, after `attempts` attempts failed.
pub fn backoff_secs(attempts: i64) -> i64 {
    let shift = u32::try_from((attempts - 1).clamp(0, 16)).unwrap_or(16);
    (FIRST_BACKOFF_SECS << shift).min(MAX_BACKOFF_SECS)
}

/// Queues `m` (of `kind`: `test`, …) inside `tx`: it is sent only if `tx` commits. A
/// recipient or subject that cannot be sent ([`message::validate`]) is refused here.
/// Returns the message's id.
pub async fn enqueue(
    tx: &mut Transaction<'static, Any>,
    kind: &str,
    m: &Outgoing,
    now: i64,
) -> Result<String, MailError> {
    let row = prepare(kind, m, now)?;
    Store::outbox_insert(tx, &row).await?;
    metrics::counter!("sesame_mail_queued_total").increment(1);
    Ok(row.id)
}

/// The outbox row of `m` (of `kind`), checked like [`enqueue`] checks it, for a store
/// function that writes it in the transaction of its own change (a method registered:
/// [`Store::pending_method_confirm`] and the like). Counted as queued when that
/// transaction commits: [`counted`].
pub fn prepare(kind: &str, m: &Outgoing, now: i64) -> Result<OutboxMessage, MailError> {
    let to = message::validate(m)?;
    Ok(OutboxMessage {
        id: uuid::Uuid::new_v4().to_string(),
        kind: kind.to_owned(),
        to_addr: to.to_string(),
        to_name: m.to_name.trim().to_owned(),
        subject: m.subject.clone(),
        body_text: m.text.clone(),
        body_html: m.html.clone(),
        status: OutboxStatus::Queued,
        attempts: 0,
        created_at: now,
        next_attempt_at: now,
        last_error: None,
        sent_at: None,
    })
}

/// Counts a message [`prepare`]d and written by a committed transaction.
pub fn counted() {
    metrics::counter!("sesame_mail_queued_total").increment(1);
}

/// Queues `m` in a transaction of its own (for messages no other write causes: the test
/// message).
pub async fn queue(store: &Store, kind: &str, m: &Outgoing, now: i64) -> Result<String, MailError> {
    let mut tx = store
        .pool()
        .begin()
        .await
        .map_err(crate::store::StoreError::from)?;
    let id = enqueue(&mut tx, kind, m, now).await?;
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    Ok(id)
}

/// What one pass of the worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Messages accepted by the server.
    pub sent: u32,
    /// Messages that failed and will be retried.
    pub retried: u32,
    /// Messages given up.
    pub failed: u32,
}

/// The background sender of one node.
#[derive(Debug, Clone)]
pub struct Worker {
    store: Store,
    /// The configuration of the flags.
    base: MailConfig,
    /// With it, the portal's SMTP setting is read each pass (when the flags name none).
    master: Option<Arc<MasterKey>>,
    current: Arc<Mutex<Current>>,
    node: String,
}

/// The transport in use, and the stored setting it was built from.
#[derive(Debug)]
struct Current {
    stored: Option<String>,
    transport: Arc<Transport>,
    from: Mailbox,
}

impl Worker {
    /// A worker sending as `cfg` says.
    pub fn new(store: Store, cfg: &MailConfig) -> Result<Worker, MailError> {
        Ok(Worker {
            store,
            base: cfg.clone(),
            master: None,
            current: Arc::new(Mutex::new(Current {
                stored: None,
                transport: Arc::new(Transport::from_config(cfg)?),
                from: message::parse_from(&cfg.from)?,
            })),
            node: uuid::Uuid::new_v4().to_string(),
        })
    }

    /// Also follows the SMTP server set in the portal (sealed with `master`), used when
    /// the flags name none; a change is in force at the next pass.
    #[must_use]
    pub fn with_stored_settings(mut self, master: Arc<MasterKey>) -> Worker {
        self.master = Some(master);
        self
    }

    /// Where it sends, the password redacted.
    pub fn describe(&self) -> String {
        self.current
            .lock()
            .map(|c| c.transport.describe())
            .unwrap_or_default()
    }

    /// The transport and sender for this pass: rebuilt when the portal's setting changed.
    async fn transport(&self) -> StoreResult<(Arc<Transport>, Mailbox)> {
        if let (Some(master), false) = (&self.master, self.base.set_by_flags) {
            let raw = config::stored_smtp_raw(&self.store).await?;
            let changed = self.current.lock().map(|c| c.stored != raw).unwrap_or(true);
            if changed {
                let built = raw
                    .as_deref()
                    .map(|r| config::open_stored_smtp(master, r))
                    .transpose()
                    .and_then(|st| self.base.with_stored(st.as_ref()))
                    .and_then(|cfg| {
                        Ok((
                            Transport::from_config(&cfg)?,
                            message::parse_from(&cfg.from)?,
                        ))
                    });
                match built {
                    Ok((t, from)) => {
                        tracing::info!("email: now sending through {}", t.describe());
                        if let Ok(mut c) = self.current.lock() {
                            *c = Current {
                                stored: raw,
                                transport: Arc::new(t),
                                from,
                            };
                        }
                    }
                    Err(e) => {
                        tracing::warn!(
                            "email: the SMTP server set in the portal cannot be used: {e}"
                        );
                    }
                }
            }
        }
        let c = self
            .current
            .lock()
            .map_err(|_| crate::store::StoreError::Corrupt("the mail worker's state".into()))?;
        Ok((Arc::clone(&c.transport), c.from.clone()))
    }

    /// Sends every message due at `now`, one claim at a time, and records each outcome.
    pub async fn run_once(&self, now: i64) -> StoreResult<Pass> {
        let mut pass = Pass::default();
        let org = config::organization_name(&self.store).await?;
        let (transport, from) = self.transport().await?;
        // Bounded: a pass ends even if messages keep arriving.
        for _ in 0..1000 {
            let claim = format!("{}/{}", self.node, uuid::Uuid::new_v4());
            let claimed = self
                .store
                .outbox_claim(&claim, now + LEASE_SECS, now, 1)
                .await?;
            let Some(m) = claimed.into_iter().next() else {
                break;
            };
            let name = format!("{}-{}", m.created_at, m.id);
            let outgoing = Outgoing {
                to: m.to_addr.clone(),
                to_name: m.to_name.clone(),
                subject: m.subject.clone(),
                text: m.body_text.clone(),
                html: m.body_html.clone(),
            };
            let sent = match message::render(&outgoing, &from, &org, &m.id) {
                Ok(raw) => transport.send(&m.to_addr, &name, &raw).await,
                Err(e) => Err(super::transport::SendFailure {
                    code: MailCode::InvalidAddress,
                    permanent: true,
                    reply: e.to_string().replacen("SESAME920001: ", "", 1),
                }),
            };
            match sent {
                Ok(()) => {
                    self.store
                        .outbox_finish(&m.id, &claim, OutboxStatus::Sent, now, None, Some(now))
                        .await?;
                    metrics::counter!("sesame_mail_sent_total").increment(1);
                    tracing::info!(id = %m.id, kind = %m.kind, "mail sent");
                    pass.sent += 1;
                }
                Err(f) => {
                    let reply = format!("{}: {}", f.code.code(), f.reply);
                    let give_up = f.permanent || m.attempts >= MAX_ATTEMPTS;
                    let (status, next) = if give_up {
                        (OutboxStatus::Failed, now)
                    } else {
                        (OutboxStatus::Queued, now + backoff_secs(m.attempts))
                    };
                    self.store
                        .outbox_finish(&m.id, &claim, status, next, Some(&reply), None)
                        .await?;
                    tracing::warn!(
                        id = %m.id,
                        attempt = m.attempts,
                        via = %transport.describe(),
                        "mail not sent: {reply}"
                    );
                    if give_up {
                        metrics::counter!("sesame_mail_failed_total").increment(1);
                        pass.failed += 1;
                    } else {
                        metrics::counter!("sesame_mail_retries_total").increment(1);
                        pass.retried += 1;
                    }
                }
            }
        }
        self.record_gauges(now).await;
        Ok(pass)
    }

    /// Updates the outbox gauges of `/metrics`.
    async fn record_gauges(&self, now: i64) {
        if let Ok(s) = self.store.outbox_stats().await {
            metrics::gauge!("sesame_mail_outbox_queued").set(s.queued as f64);
            let age = s.oldest_queued_at.map_or(0, |t| (now - t).max(0));
            metrics::gauge!("sesame_mail_oldest_queued_age_seconds").set(age as f64);
        }
        if let Ok(since) = super::health::check(&self.store, now).await {
            let secs = since.map_or(0, |t| (now - t).max(0));
            metrics::gauge!("sesame_mail_failing_since_seconds").set(secs as f64);
        }
    }

    /// Runs passes on the real clock until the task is aborted.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(POLL_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = self.run_once(crate::clock::now_unix()).await {
                    tracing::warn!("the mail worker cannot read the outbox: {e}");
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_an_hour() {
        let delays: Vec<i64> = (1..=8).map(backoff_secs).collect();
        assert_eq!(delays, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(backoff_secs(0), 60);
        assert_eq!(backoff_secs(100), 3600);
    }
}
