//! The replay cache of AuthnRequest IDs (`replay_cache`): one of the two writes the SSO
//! hot path is allowed.

use super::{Store, StoreResult};

impl Store {
    /// Records `request_id` from `issuer` until `expires_at`. Returns false when the ID is
    /// already recorded and not yet stale (a replay). A stale entry is taken over.
    pub async fn replay_check_and_insert(
        &self,
        issuer: &str,
        request_id: &str,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "INSERT INTO replay_cache (issuer, request_id, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (issuer, request_id) DO UPDATE SET expires_at = excluded.expires_at \
             WHERE replay_cache.expires_at <= $4",
        )
        .bind(issuer)
        .bind(request_id)
        .bind(expires_at)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Drops entries that are stale anyway.
    pub async fn replay_purge(&self, now: i64) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM replay_cache WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(r.rows_affected())
    }
}
