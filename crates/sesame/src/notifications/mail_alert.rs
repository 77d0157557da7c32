//! Admin alerts: the tenant's **Admin alert addresses** (Settings → Email; setting
//! [`ADDRESSES_KEY`], validated like an application's Notification Email Addresses) and
//! the alert "Email delivery is failing" ([`tick`]): when `mail::health` says delivery has
//! been failing (no delivery for an hour while a message retries for an hour or more, or
//! fails for good), one message per address, once per episode — the episode is recorded
//! in the setting [`EPISODE_KEY`] in the transaction that queues the messages, so a second
//! node records nothing and queues nothing — and re-armed once a message is delivered
//! after it. Provisioning alerts are to go to the same addresses.

use crate::apps::expiry::{date_of, join_addresses, parse_addresses, stored_addresses};
use crate::apps::AppError;
use crate::mail::{self, message::escape_html, message::link, Outgoing};
use crate::store::{Store, StoreError};

/// The setting holding the Admin alert addresses (`a@x.com, b@y.com`).
pub const ADDRESSES_KEY: &str = "admin_alert_addresses";
/// The setting recording the alert sent for the current episode (its Unix second).
pub const EPISODE_KEY: &str = "alert_mail_failing_sent_at";
/// The outbox `kind` of the alert.
pub const KIND: &str = "admin-alert-mail-failing";

/// The Admin alert addresses.
pub async fn addresses(store: &Store) -> Result<Vec<String>, StoreError> {
    Ok(stored_addresses(
        &store.setting(ADDRESSES_KEY).await?.unwrap_or_default(),
    ))
}

/// Why the addresses were not saved.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// Not a list of addresses; the text says which and how to fix it.
    #[error("Admin alert addresses: {0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Parses (as Notification Email Addresses are: commas, semicolons or lines; at most 20)
/// and stores the Admin alert addresses; returns them.
pub async fn set_addresses(store: &Store, raw: &str) -> Result<Vec<String>, AlertError> {
    let list = parse_addresses(raw).map_err(|e| match e {
        AppError::Invalid { reason, .. } => AlertError::Invalid(reason),
        other => AlertError::Invalid(other.to_string()),
    })?;
    store
        .set_setting(ADDRESSES_KEY, &join_addresses(&list))
        .await?;
    Ok(list)
}

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    /// Since when delivery has been failing, if it is.
    pub failing_since: Option<i64>,
    /// Alert messages queued.
    pub queued: u32,
    /// Whether a delivery since the last alert re-armed it.
    pub rearmed: bool,
}

/// Checks delivery at `now` (Unix seconds): re-arms after a delivery, and alerts the
/// addresses once when it is failing.
pub async fn tick(store: &Store, now: i64) -> Result<Tick, StoreError> {
    let mut done = Tick::default();
    let h = store.outbox_health(now - mail::health::WINDOW_SECS).await?;
    if let Some(sent) = store.setting(EPISODE_KEY).await? {
        let at = sent.trim().parse::<i64>().unwrap_or(0);
        if h.last_sent_at.is_some_and(|t| t >= at) {
            done.rearmed = store.setting_delete_if(EPISODE_KEY, &sent).await?;
        }
    }
    done.failing_since = mail::health::failing_since(&h, now);
    let Some(since) = done.failing_since else {
        return Ok(done);
    };
    let to = addresses(store).await?;
    if to.is_empty() {
        return Ok(done);
    }
    let public_url = store
        .tenant()
        .await?
        .map(|t| t.public_url)
        .unwrap_or_default();
    let waiting = store.outbox_stats().await?.queued;
    let mut tx = store.pool().begin().await?;
    if !Store::setting_insert_new_in(&mut tx, EPISODE_KEY, &now.to_string()).await? {
        tx.rollback().await?;
        return Ok(done);
    }
    for addr in &to {
        let m = message(addr, since, waiting, &public_url);
        match mail::enqueue(&mut tx, KIND, &m, now).await {
            Ok(_) => done.queued += 1,
            Err(e) => tracing::warn!("admin alert not queued to {addr:?}: {e}"),
        }
    }
    tx.commit().await?;
    Ok(done)
}

/// The alert to `to`: failing since `since`, `waiting` messages in the outbox.
pub fn message(to: &str, since: i64, waiting: i64, public_url: &str) -> Outgoing {
    let page = link(public_url, "/admin/settings/email");
    let log = link(public_url, "/admin/logs/email");
    let when = date_time(since);
    Outgoing {
        to: to.to_owned(),
        to_name: String::new(),
        subject: "Email delivery is failing".into(),
        text: format!(
            "Sesame has not delivered email since {when} (UTC): messages fail or wait for a \
             retry for more than an hour. {waiting} message(s) are waiting in the outbox.\n\n\
             Check the SMTP server in Settings → Email (Send test email) and the errors in \
             the Email log:\n  {page}\n  {log}\n\n\
             You receive this email because this address is among the Admin alert \
             addresses. This alert is sent once; the next one only after email was \
             delivered again.\n"
        ),
        html: format!(
            "<p>Sesame has not delivered email since {when} (UTC): messages fail or wait for \
             a retry for more than an hour. {waiting} message(s) are waiting in the \
             outbox.</p>\n<p>Check the SMTP server in <a href=\"{page}\">Settings → Email</a> \
             (Send test email) and the errors in the <a href=\"{log}\">Email log</a>.</p>\n\
             <p>You receive this email because this address is among the Admin alert \
             addresses. This alert is sent once; the next one only after email was \
             delivered again.</p>",
            when = escape_html(&when),
            page = escape_html(&page),
            log = escape_html(&log),
        ),
    }
}

/// `YYYY-MM-DD HH:MM` of a Unix second (UTC).
pub fn date_time(t: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(t) {
        Ok(d) => format!("{} {:02}:{:02}", d.date(), d.hour(), d.minute()),
        Err(_) => date_of(t),
    }
}
