//! Queries of the `mail_outbox` table: queue a message inside the caller's transaction,
//! claim due messages (one node each), record the outcome, list and count them.

use super::{Backend, Store, StoreError, StoreResult};
use crate::model::{OutboxMessage, OutboxStatus};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

const COLUMNS: &str =
    "id, kind, to_addr, to_name, subject, body_text, body_html, status, attempts, \
                       created_at, next_attempt_at, last_error, sent_at";

/// Counts for `/metrics` and the Email log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxStats {
    /// Messages queued or being sent.
    pub queued: i64,
    /// When the oldest of them was queued, Unix seconds.
    pub oldest_queued_at: Option<i64>,
}

/// What `mail::health` judges delivery by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxHealth {
    /// When the oldest message waiting for a retry (queued after a failed attempt) was
    /// queued, Unix seconds.
    pub oldest_retrying_at: Option<i64>,
    /// When the first message that failed for good since the time asked about failed.
    pub first_failed_since: Option<i64>,
    /// When the last message was delivered.
    pub last_sent_at: Option<i64>,
}

fn from_row(r: &AnyRow) -> StoreResult<OutboxMessage> {
    let status: String = r.try_get("status")?;
    Ok(OutboxMessage {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        to_addr: r.try_get("to_addr")?,
        to_name: r.try_get("to_name")?,
        subject: r.try_get("subject")?,
        body_text: r.try_get("body_text")?,
        body_html: r.try_get("body_html")?,
        status: OutboxStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("mail_outbox.status {status:?}")))?,
        attempts: r.try_get("attempts")?,
        created_at: r.try_get("created_at")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        last_error: r.try_get("last_error")?,
        sent_at: r.try_get("sent_at")?,
    })
}

impl Store {
    /// Queues `m` inside `tx`: it is sent only if the transaction commits.
    pub async fn outbox_insert(
        tx: &mut Transaction<'static, Any>,
        m: &OutboxMessage,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO mail_outbox (id, kind, to_addr, to_name, subject, body_text, body_html, \
             status, attempts, created_at, next_attempt_at, last_error, sent_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&m.id)
        .bind(&m.kind)
        .bind(&m.to_addr)
        .bind(&m.to_name)
        .bind(&m.subject)
        .bind(&m.body_text)
        .bind(&m.body_html)
        .bind(m.status.as_str())
        .bind(m.attempts)
        .bind(m.created_at)
        .bind(m.next_attempt_at)
        .bind(m.last_error.as_deref())
        .bind(m.sent_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Claims at most `limit` due messages for `claim` until `lease_until`: queued ones
    /// whose time has come and ones whose previous lease ran out (their node died). One
    /// statement, so two nodes never claim the same message: on PostgreSQL the candidate
    /// rows are locked with `FOR UPDATE SKIP LOCKED` (another node's claim skips them
    /// instead of waiting), on SQLite the statement holds the database's write lock.
    /// Each claim counts as an attempt.
    pub async fn outbox_claim(
        &self,
        claim: &str,
        lease_until: i64,
        now: i64,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>> {
        // The one backend difference of this file: SQLite has no row locks to skip.
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE mail_outbox SET status = 'sending', claim = $1, next_attempt_at = $2, \
             attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM mail_outbox \
                          WHERE status IN ('queued', 'sending') AND next_attempt_at <= $3 \
                          ORDER BY next_attempt_at LIMIT $4{lock}) \
             RETURNING {COLUMNS}"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(claim)
            .bind(lease_until)
            .bind(now)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Records the outcome of a claimed message: `status` (sent, queued for a retry at
    /// `next_attempt_at`, or failed), the error, when sent. Does nothing (false) when the
    /// claim is no longer this one's (its lease ran out and another node took it).
    pub async fn outbox_finish(
        &self,
        id: &str,
        claim: &str,
        status: OutboxStatus,
        next_attempt_at: i64,
        last_error: Option<&str>,
        sent_at: Option<i64>,
    ) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE mail_outbox SET status = $1, next_attempt_at = $2, last_error = $3, \
             sent_at = $4, claim = NULL WHERE id = $5 AND claim = $6",
        )
        .bind(status.as_str())
        .bind(next_attempt_at)
        .bind(last_error)
        .bind(sent_at)
        .bind(id)
        .bind(claim)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// One message.
    pub async fn outbox_get(&self, id: &str) -> StoreResult<Option<OutboxMessage>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM mail_outbox WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The newest `limit` messages, newest first.
    pub async fn outbox_list(&self, limit: i64) -> StoreResult<Vec<OutboxMessage>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM mail_outbox ORDER BY created_at DESC, id LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// The outbox's delivery record: retries waiting, final failures at or after `since`
    /// (Unix seconds), the last delivery.
    pub async fn outbox_health(&self, since: i64) -> StoreResult<OutboxHealth> {
        let retrying: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(created_at) FROM mail_outbox \
             WHERE status IN ('queued', 'sending') AND attempts > 0",
        )
        .fetch_one(self.pool())
        .await?;
        let failed: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(next_attempt_at) FROM mail_outbox \
             WHERE status = 'failed' AND next_attempt_at >= $1",
        )
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        let sent: Option<i64> =
            sqlx::query_scalar("SELECT MAX(sent_at) FROM mail_outbox WHERE status = 'sent'")
                .fetch_one(self.pool())
                .await?;
        Ok(OutboxHealth {
            oldest_retrying_at: retrying,
            first_failed_since: failed,
            last_sent_at: sent,
        })
    }

    /// How many messages wait (queued or being sent) and since when.
    pub async fn outbox_stats(&self) -> StoreResult<OutboxStats> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM mail_outbox \
             WHERE status IN ('queued', 'sending')",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(OutboxStats {
            queued: row.try_get("n")?,
            oldest_queued_at: row.try_get("oldest")?,
        })
    }
}
