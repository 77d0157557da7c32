//! Queries of `cert_expiry_notices` (which certificate expiry reminders were sent) and the
//! active signing certificates the reminders are about (`crate::notifications`).

use super::{Store, StoreResult};
use crate::model::ActiveCertificate;
use sqlx::{Any, Row, Transaction};

impl Store {
    /// Every application's active signing certificate with the app's name and
    /// notification addresses, by app name.
    pub async fn active_certificates(&self) -> StoreResult<Vec<ActiveCertificate>> {
        let rows = sqlx::query(
            "SELECT a.id, a.name, c.thumbprint, c.not_after, a.notification_email \
             FROM app_certificates c JOIN apps a ON a.id = c.app_id \
             WHERE c.active = $1 ORDER BY a.name, a.id",
        )
        .bind(true)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ActiveCertificate {
                    app_id: r.try_get(0)?,
                    app_name: r.try_get(1)?,
                    thumbprint: r.try_get(2)?,
                    not_after: r.try_get(3)?,
                    notification_email: r.try_get::<Option<String>, _>(4)?.unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Records, inside `tx`, that the reminder `threshold` about certificate `thumbprint`
    /// of `app_id` is sent. False when it was already recorded (by this node earlier or by
    /// another node at the same time): the caller then queues nothing.
    pub async fn record_expiry_notice(
        tx: &mut Transaction<'static, Any>,
        app_id: &str,
        thumbprint: &str,
        threshold: &str,
        not_after: i64,
        recipients: i64,
        now: i64,
    ) -> StoreResult<bool> {
        let n = sqlx::query(
            "INSERT INTO cert_expiry_notices (app_id, thumbprint, threshold, not_after, \
             recipients, sent_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (app_id, thumbprint, threshold) DO NOTHING",
        )
        .bind(app_id)
        .bind(thumbprint)
        .bind(threshold)
        .bind(not_after)
        .bind(recipients)
        .bind(now)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    /// The reminders recorded for an application: (thumbprint, threshold), oldest first.
    pub async fn expiry_notices(&self, app_id: &str) -> StoreResult<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT thumbprint, threshold FROM cert_expiry_notices WHERE app_id = $1 \
             ORDER BY sent_at, thumbprint, threshold",
        )
        .bind(app_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }
}
