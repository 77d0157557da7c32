//! Whether email delivery is failing: a pure judgement of the outbox's record
//! ([`failing_since`]) and its reading at a given time ([`check`]). Failing means no
//! message was delivered in the last hour ([`WINDOW_SECS`]) while a message has been
//! retrying for an hour or more, or a message failed for good within it. The worker shows
//! it in `/metrics` (`sesame_mail_failing_since_seconds`); `notifications::mail_alert`
//! alerts the administrators; the portal shows a banner.

use crate::store::{OutboxHealth, Store, StoreError};

/// How long delivery must have been failing, and how recent a delivery clears it.
pub const WINDOW_SECS: i64 = 3600;

/// Since when (Unix seconds) delivery has been failing at `now`, or `None`.
pub fn failing_since(h: &OutboxHealth, now: i64) -> Option<i64> {
    let window = now - WINDOW_SECS;
    if h.last_sent_at.is_some_and(|t| t > window) {
        return None;
    }
    let retrying = h.oldest_retrying_at.filter(|t| *t <= window);
    match (retrying, h.first_failed_since.filter(|t| *t >= window)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Since when delivery has been failing at `now`, read from the outbox.
pub async fn check(store: &Store, now: i64) -> Result<Option<i64>, StoreError> {
    let h = store.outbox_health(now - WINDOW_SECS).await?;
    Ok(failing_since(&h, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_needs_an_hour_without_delivery() {
        let now = 100_000;
        let h = |r: Option<i64>, f: Option<i64>, s: Option<i64>| OutboxHealth {
            oldest_retrying_at: r,
            first_failed_since: f,
            last_sent_at: s,
        };
        assert_eq!(failing_since(&h(None, None, None), now), None);
        // Retrying for less than an hour: not yet.
        assert_eq!(failing_since(&h(Some(now - 3599), None, None), now), None);
        assert_eq!(
            failing_since(&h(Some(now - 3600), None, None), now),
            Some(now - 3600)
        );
        // A final failure within the hour, nothing delivered.
        assert_eq!(
            failing_since(&h(None, Some(now - 10), Some(now - 4000)), now),
            Some(now - 10)
        );
        // A delivery within the hour clears it.
        assert_eq!(
            failing_since(&h(Some(now - 7200), Some(now - 10), Some(now - 5)), now),
            None
        );
    }
}
