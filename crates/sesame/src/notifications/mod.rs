//! Scheduled notifications: certificate expiry reminders ([`cert_expiry`]) — for each
//! application's active signing certificate, a message to each of its Notification Email
//! Addresses 60, 30 and 7 days before expiry, on its last day and once expired, each sent
//! once however many nodes run the scheduler — and admin alerts ([`mail_alert`]: "Email
//! delivery is failing" to the Admin alert addresses, once per episode). Every node runs
//! [`spawn`]: a tick shortly after start and then every ten minutes; the tick takes the
//! time as a parameter so tests move it instead of waiting. See docs/mail.md.

pub mod cert_expiry;
pub mod mail_alert;

use crate::store::Store;
use std::time::Duration;

/// How long after start the first tick runs.
pub const FIRST_TICK: Duration = Duration::from_secs(30);
/// How often the scheduler ticks.
pub const INTERVAL: Duration = Duration::from_secs(600);

/// Runs the scheduler on the real clock until the task is aborted.
pub fn spawn(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + FIRST_TICK, INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match cert_expiry::tick(&store, crate::clock::now_unix()).await {
                Ok(t) if t.queued > 0 => tracing::info!(
                    "certificate expiry: {} reminder(s) queued for {} certificate(s)",
                    t.queued,
                    t.certificates
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!("certificate expiry reminders not checked: {e}"),
            }
            match mail_alert::tick(&store, crate::clock::now_unix()).await {
                Ok(t) if t.queued > 0 => tracing::warn!(
                    "email delivery is failing: alert queued to {} admin alert address(es)",
                    t.queued
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!("email delivery alert not checked: {e}"),
            }
        }
    })
}
