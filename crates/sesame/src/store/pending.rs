//! Requests waiting for the browser to come back (`pending_requests`): a POST-binding
//! AuthnRequest between its cross-site POST and the same-site GET that continues it, and
//! a validated AuthnRequest while the user signs in. Payloads are JSON.

use super::{Store, StoreResult};
use sqlx::Row;

impl Store {
    /// Stores `payload` under `id` until `expires_at`.
    pub async fn pending_put(&self, id: &str, payload: &str, expires_at: i64) -> StoreResult<()> {
        self.pending_put_for(id, payload, expires_at, "").await
    }

    /// Stores `payload` under `id` until `expires_at`, for the client `client`.
    pub async fn pending_put_for(
        &self,
        id: &str,
        payload: &str,
        expires_at: i64,
        client: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO pending_requests (id, payload, expires_at, client) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET payload = excluded.payload, \
             expires_at = excluded.expires_at, client = excluded.client",
        )
        .bind(id)
        .bind(payload)
        .bind(expires_at)
        .bind(client)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// How many unexpired pending requests `client` has at `now`.
    pub async fn pending_count_for(&self, client: &str, now: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM pending_requests WHERE client = $1 AND expires_at > $2",
        )
        .bind(client)
        .bind(now)
        .fetch_one(self.pool())
        .await?)
    }

    /// The payload under `id`, when present and not expired.
    pub async fn pending_get(&self, id: &str, now: i64) -> StoreResult<Option<String>> {
        let row =
            sqlx::query("SELECT payload FROM pending_requests WHERE id = $1 AND expires_at > $2")
                .bind(id)
                .bind(now)
                .fetch_optional(self.pool())
                .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some(r.try_get("payload")?)),
        }
    }

    /// Deletes `id` (a request is used once).
    pub async fn pending_delete(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM pending_requests WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Drops expired entries.
    pub async fn pending_purge(&self, now: i64) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM pending_requests WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(r.rows_affected())
    }
}
