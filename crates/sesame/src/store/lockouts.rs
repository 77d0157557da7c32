//! Failed sign-in counters and lockouts (`lockouts`), keyed by `user:<upn lowercase>`
//! (every name, known or not) and `ip:<address>`, and the counters of successful sign-ins
//! (`ok:…`). Kept in the database so that several
//! nodes share them.

use super::{Store, StoreResult};
use sqlx::Row;

/// A lockout counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lockout {
    /// Consecutive failures since the last success or lock.
    pub failures: i64,
    /// Locked until this instant (Unix seconds; 0 when not locked).
    pub locked_until: i64,
    /// Last change (Unix seconds).
    pub updated_at: i64,
}

impl Lockout {
    /// What is left of a counter kept by [`Store::lockout_record_decaying`] at `now`.
    pub fn decayed(&self, now: i64, leak_secs: i64) -> i64 {
        let leaked = (now - self.updated_at).max(0) / leak_secs.max(1);
        (self.failures - leaked).max(0)
    }
}

impl Store {
    /// The counter for `key` (zero when none).
    pub async fn lockout_get(&self, key: &str) -> StoreResult<Lockout> {
        let row =
            sqlx::query("SELECT failures, locked_until, updated_at FROM lockouts WHERE key = $1")
                .bind(key)
                .fetch_optional(self.pool())
                .await?;
        Ok(match row {
            None => Lockout::default(),
            Some(r) => Lockout {
                failures: r.try_get("failures")?,
                locked_until: r.try_get("locked_until")?,
                updated_at: r.try_get("updated_at")?,
            },
        })
    }

    /// Stores the counter for `key`.
    pub async fn lockout_put(&self, key: &str, l: &Lockout) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO lockouts (key, failures, locked_until, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, \
             locked_until = excluded.locked_until, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(l.failures)
        .bind(l.locked_until)
        .bind(l.updated_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Counts one failure for `key` atomically (nodes failing at the same moment never
    /// lose a count) and returns the number of failures now counted.
    pub async fn lockout_record_failure(&self, key: &str, now: i64) -> StoreResult<i64> {
        let row = sqlx::query(
            "INSERT INTO lockouts (key, failures, locked_until, updated_at) VALUES ($1, 1, 0, $2) \
             ON CONFLICT (key) DO UPDATE SET failures = lockouts.failures + 1, \
             updated_at = excluded.updated_at RETURNING failures",
        )
        .bind(key)
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("failures")?)
    }

    /// Counts one event for `key` in a counter that forgets one event every `leak_secs`
    /// (a leaky bucket: what is left of the count, plus one), atomically like
    /// [`Store::lockout_record_failure`], and returns the count now held. The instant of
    /// the last change moves by whole `leak_secs` only, so a partly elapsed interval is
    /// kept; a clock behind the stored instant forgets nothing.
    pub async fn lockout_record_decaying(
        &self,
        key: &str,
        now: i64,
        leak_secs: i64,
    ) -> StoreResult<i64> {
        // `leaked`, the whole intervals since the last change, is written out four times:
        // (CASE WHEN $2 > lockouts.updated_at THEN ($2 - lockouts.updated_at) / $3 ELSE 0 END)
        let row = sqlx::query(
            "INSERT INTO lockouts (key, failures, locked_until, updated_at) VALUES ($1, 1, 0, $2) \
             ON CONFLICT (key) DO UPDATE SET \
             failures = CASE WHEN lockouts.failures > (CASE WHEN $2 > lockouts.updated_at THEN ($2 - lockouts.updated_at) / $3 ELSE 0 END) \
               THEN lockouts.failures - (CASE WHEN $2 > lockouts.updated_at THEN ($2 - lockouts.updated_at) / $3 ELSE 0 END) + 1 ELSE 1 END, \
             updated_at = CASE WHEN lockouts.failures > (CASE WHEN $2 > lockouts.updated_at THEN ($2 - lockouts.updated_at) / $3 ELSE 0 END) \
               THEN lockouts.updated_at + (CASE WHEN $2 > lockouts.updated_at THEN ($2 - lockouts.updated_at) / $3 ELSE 0 END) * $3 ELSE excluded.updated_at END \
             RETURNING failures",
        )
        .bind(key)
        .bind(now)
        .bind(leak_secs.max(1))
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("failures")?)
    }

    /// Locks `key` until `until`; with `reset`, the failure count starts again at zero.
    pub async fn lockout_lock(&self, key: &str, until: i64, reset: bool) -> StoreResult<()> {
        sqlx::query(
            "UPDATE lockouts SET locked_until = $1, \
             failures = CASE WHEN $2 = 1 THEN 0 ELSE failures END WHERE key = $3",
        )
        .bind(until)
        .bind(i64::from(reset))
        .bind(key)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Forgets the counter for `key` (after a successful sign-in).
    pub async fn lockout_clear(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM lockouts WHERE key = $1")
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Drops counters untouched since `before` that are not locked.
    pub async fn lockouts_purge(&self, before: i64, now: i64) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM lockouts WHERE updated_at < $1 AND locked_until <= $2")
            .bind(before)
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(r.rows_affected())
    }
}
