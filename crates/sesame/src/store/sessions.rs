//! SSO sessions (`sessions`) and the applications each session signed in to
//! (`session_apps`, for single logout). Owned by the SSO plane.

use super::{Store, StoreResult};
use sqlx::Row;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bumped whenever this process deletes sessions: a session cached in memory (the SSO
/// hot path, `sso::hot`) is trusted only while the epoch it was read in is current.
static SESSION_EPOCH: AtomicU64 = AtomicU64::new(0);

fn sessions_deleted() {
    SESSION_EPOCH.fetch_add(1, Ordering::AcqRel);
}

/// A session row, joined with what the SSO path needs to know about its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the cookie value, hex.
    pub id_hash: String,
    /// The user's object id.
    pub user_id: String,
    /// How the user authenticated (`pwd`, later `mfa`, …).
    pub auth_method: String,
    /// When the user authenticated (Unix seconds).
    pub auth_time: i64,
    /// When the session was created (Unix seconds).
    pub created_at: i64,
    /// Last activity recorded (Unix seconds; written at most every few minutes).
    pub last_seen: i64,
    /// Absolute expiry (Unix seconds).
    pub expires_at: i64,
}

/// A session with its user's state, from [`Store::session_with_user`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionWithUser {
    /// The session.
    pub session: SessionRecord,
    /// The user's UPN.
    pub upn: String,
    /// Whether the user may sign in.
    pub user_enabled: bool,
    /// Sessions created before this instant are refused (password change).
    pub sessions_valid_after: i64,
}

/// One application a session signed in to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionApp {
    /// The application's id.
    pub app_id: String,
    /// The NameID sent to it.
    pub name_id: String,
    /// The NameID's format.
    pub name_id_format: String,
    /// The SessionIndex sent to it.
    pub session_index: String,
}

impl Store {
    /// The session-deletion epoch of this process: read it before reading a session
    /// that is to be cached, and cache the session only while it is unchanged.
    pub fn session_epoch() -> u64 {
        SESSION_EPOCH.load(Ordering::Acquire)
    }

    /// Records a new session.
    pub async fn session_insert(&self, s: &SessionRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, auth_method, auth_time, created_at, last_seen, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&s.id_hash)
        .bind(&s.user_id)
        .bind(&s.auth_method)
        .bind(s.auth_time)
        .bind(s.created_at)
        .bind(s.last_seen)
        .bind(s.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The session with this hash and its user's state (one read), if any.
    pub async fn session_with_user(&self, id_hash: &str) -> StoreResult<Option<SessionWithUser>> {
        let row = sqlx::query(
            "SELECT s.id_hash, s.user_id, s.auth_method, s.auth_time, s.created_at, s.last_seen, \
             s.expires_at, u.upn, CAST(CASE WHEN u.enabled THEN 1 ELSE 0 END AS BIGINT) AS enabled, u.sessions_valid_after \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(SessionWithUser {
            session: SessionRecord {
                id_hash: r.try_get("id_hash")?,
                user_id: r.try_get("user_id")?,
                auth_method: r.try_get("auth_method")?,
                auth_time: r.try_get("auth_time")?,
                created_at: r.try_get("created_at")?,
                last_seen: r.try_get("last_seen")?,
                expires_at: r.try_get("expires_at")?,
            },
            upn: r.try_get("upn")?,
            user_enabled: r.try_get::<i64, _>("enabled")? != 0,
            sessions_valid_after: r.try_get("sessions_valid_after")?,
        }))
    }

    /// Records activity (called at most every few minutes per session).
    pub async fn session_touch(&self, id_hash: &str, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_seen = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Ends a session (its application list goes with it).
    pub async fn session_delete(&self, id_hash: &str) -> StoreResult<()> {
        sessions_deleted();
        sqlx::query("DELETE FROM session_apps WHERE session_id_hash = $1")
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        let r = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(self.pool())
            .await;
        // Again once done: a session read and cached while the delete ran is dropped.
        sessions_deleted();
        r?;
        Ok(())
    }

    /// Records (or refreshes) that a session signed in to an application.
    pub async fn session_app_upsert(&self, id_hash: &str, a: &SessionApp) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO session_apps (session_id_hash, app_id, name_id, name_id_format, session_index) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (session_id_hash, app_id) DO UPDATE SET name_id = excluded.name_id, \
             name_id_format = excluded.name_id_format, session_index = excluded.session_index",
        )
        .bind(id_hash)
        .bind(&a.app_id)
        .bind(&a.name_id)
        .bind(&a.name_id_format)
        .bind(&a.session_index)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The applications a session signed in to.
    pub async fn session_apps(&self, id_hash: &str) -> StoreResult<Vec<SessionApp>> {
        let rows = sqlx::query(
            "SELECT app_id, name_id, name_id_format, session_index FROM session_apps \
             WHERE session_id_hash = $1 ORDER BY app_id",
        )
        .bind(id_hash)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SessionApp {
                    app_id: r.try_get("app_id")?,
                    name_id: r.try_get("name_id")?,
                    name_id_format: r.try_get("name_id_format")?,
                    session_index: r.try_get("session_index")?,
                })
            })
            .collect()
    }

    /// Deletes sessions past their absolute expiry or idle since before `idle_before`.
    pub async fn sessions_purge(&self, now: i64, idle_before: i64) -> StoreResult<u64> {
        sessions_deleted();
        sqlx::query(
            "DELETE FROM session_apps WHERE session_id_hash IN \
             (SELECT id_hash FROM sessions WHERE expires_at <= $1 OR last_seen < $2)",
        )
        .bind(now)
        .bind(idle_before)
        .execute(self.pool())
        .await?;
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen < $2")
            .bind(now)
            .bind(idle_before)
            .execute(self.pool())
            .await;
        sessions_deleted();
        Ok(r?.rows_affected())
    }
}
