//! The replay cache of AuthnRequest IDs (`replay_cache`): one of the two writes the SSO
//! hot path is allowed.

use super::{Store, StoreResult};
use futures_util::TryStreamExt as _;

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

/// Rows per statement of [`Store::replay_insert_batch`] (3 parameters each; small for
/// the reason given at `SIGNIN_ROWS_PER_STATEMENT`).
const REPLAY_ROWS_PER_STATEMENT: usize = 32;

impl Store {
    /// Calls `each` with every entry not stale at `now` (issuer, request ID, expiry): what a
    /// single-node server loads into its in-memory replay cache at start. Row by row: the
    /// strings of a few hundred thousand entries, collected at once, stayed in the
    /// allocator's arenas after start (≈ 20 MiB of idle RSS for 270,000 entries).
    pub async fn replay_live_each(
        &self,
        now: i64,
        mut each: impl FnMut(&str, &str, i64),
    ) -> StoreResult<()> {
        let mut rows = sqlx::query_as::<_, (String, String, i64)>(
            "SELECT issuer, request_id, expires_at FROM replay_cache WHERE expires_at > $1",
        )
        .bind(now)
        .fetch(self.pool());
        while let Some((issuer, request_id, expires_at)) = rows.try_next().await? {
            each(&issuer, &request_id, expires_at);
        }
        Ok(())
    }

    /// Writes entries accepted by the in-memory replay cache (issuer, request ID,
    /// expiry), in one transaction of multi-row statements.
    pub async fn replay_insert_batch(&self, rows: &[(&str, &str, i64)]) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool().begin().await?;
        for chunk in rows.chunks(REPLAY_ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO replay_cache (issuer, request_id, expires_at) VALUES {} \
                 ON CONFLICT (issuer, request_id) DO UPDATE SET expires_at = excluded.expires_at",
                values_list(chunk.len(), 3)
            );
            // Only placeholders are formatted in: no injection.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (issuer, id, exp) in chunk {
                q = q.bind(*issuer).bind(*id).bind(*exp);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// `($1, $2, $3), ($4, $5, $6), …`: `rows` groups of `cols` placeholders.
pub(crate) fn values_list(rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            n += 1;
            s.push('$');
            s.push_str(&n.to_string());
        }
        s.push(')');
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_lists() {
        assert_eq!(super::values_list(1, 2), "($1, $2)");
        assert_eq!(super::values_list(2, 3), "($1, $2, $3), ($4, $5, $6)");
    }
}
