//! SSO sessions (`sessions`) and the applications each session signed in to
//! (`session_apps`, for single logout). Owned by the SSO plane.

use super::{Store, StoreResult};
use sqlx::{Any, Row, Transaction};
use std::sync::atomic::{AtomicU64, Ordering};

/// Bumped whenever this process deletes sessions: a session cached in memory (the SSO
/// hot path, `sso::hot`) is trusted only while the epoch it was read in is current.
static SESSION_EPOCH: AtomicU64 = AtomicU64::new(0);

pub(super) fn sessions_deleted() {
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
    /// When the session was created (Unix milliseconds): what a revocation is compared
    /// with, so that a reset ends a session created earlier in the same second.
    pub created_at_ms: i64,
    /// Last activity recorded (Unix seconds; written at most every few minutes).
    pub last_seen: i64,
    /// Absolute expiry (Unix seconds).
    pub expires_at: i64,
    /// Each authentication method used and when: `pwd@1733300000 totp@1733300042`
    /// (`crate::access::session_methods` reads it).
    pub methods: String,
    /// The browser's User-Agent when the session started (bounded, no control
    /// characters; '' when unknown).
    pub user_agent: String,
    /// The client address the session started from ('' when unknown).
    pub client_ip: String,
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
    /// Sessions created before this instant (Unix milliseconds) are refused (password
    /// reset, disable).
    pub sessions_valid_after_ms: i64,
    /// The user must set a new password before any sign-in completes (Require password
    /// change at next sign-in).
    pub password_change_required: bool,
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
            "INSERT INTO sessions (id_hash, user_id, auth_method, auth_time, created_at, last_seen, \
             expires_at, created_at_ms, methods, user_agent, client_ip) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&s.id_hash)
        .bind(&s.user_id)
        .bind(&s.auth_method)
        .bind(s.auth_time)
        .bind(s.created_at)
        .bind(s.last_seen)
        .bind(s.expires_at)
        .bind(s.created_at_ms)
        .bind(&s.methods)
        .bind(&s.user_agent)
        .bind(&s.client_ip)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The session with this hash and its user's state (one read), if any.
    pub async fn session_with_user(&self, id_hash: &str) -> StoreResult<Option<SessionWithUser>> {
        let row = sqlx::query(
            "SELECT s.id_hash, s.user_id, s.auth_method, s.auth_time, s.created_at, s.last_seen, \
             s.expires_at, s.created_at_ms, s.methods, s.user_agent, s.client_ip, u.upn, CAST(CASE WHEN u.enabled THEN 1 ELSE 0 END AS BIGINT) AS enabled, \
             u.sessions_valid_after_ms, u.password_change_required \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(SessionWithUser {
            session: session_of_row(&r)?,
            upn: r.try_get("upn")?,
            user_enabled: r.try_get::<i64, _>("enabled")? != 0,
            sessions_valid_after_ms: r.try_get("sessions_valid_after_ms")?,
            password_change_required: super::tenant::row_bool(&r, "password_change_required")?,
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

    /// Ends every session of `user_id` and refuses any created before `now_ms` (Unix
    /// milliseconds) that a concurrent sign-in inserts after this: a password reset or a
    /// disable. A configuration write, so that every server drops the sessions it keeps
    /// in memory.
    /// Returns how many sessions ended.
    pub async fn user_sessions_end(&self, user_id: &str, now_ms: i64) -> StoreResult<u64> {
        let mut tx = self.begin_config_write().await?;
        let n = end_user_sessions(&mut tx, user_id, now_ms).await?;
        tx.commit().await?;
        sessions_deleted();
        Ok(n)
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

    /// The sessions of `user_id` as stored (expired ones included until purged), newest
    /// first.
    pub async fn sessions_of_user(&self, user_id: &str) -> StoreResult<Vec<SessionRecord>> {
        let rows = sqlx::query(
            "SELECT id_hash, user_id, auth_method, auth_time, created_at, last_seen, \
             expires_at, created_at_ms, methods, user_agent, client_ip FROM sessions \
             WHERE user_id = $1 ORDER BY created_at_ms DESC, id_hash",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(session_of_row).collect()
    }

    /// The applications the sessions of `user_id` signed in to: (session hash,
    /// application name), by session then name. An application deleted since is left out.
    pub async fn session_app_names_of_user(
        &self,
        user_id: &str,
    ) -> StoreResult<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT sa.session_id_hash, a.name FROM session_apps sa \
             JOIN sessions s ON s.id_hash = sa.session_id_hash \
             JOIN apps a ON a.id = sa.app_id WHERE s.user_id = $1 \
             ORDER BY sa.session_id_hash, a.name",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("session_id_hash")?, r.try_get("name")?)))
            .collect()
    }

    /// Ends the sessions of `user_id` whose hashes are in `id_hashes` (a session of
    /// another user is left alone). A configuration write, so that every server drops
    /// the sessions it keeps in memory, as [`Store::user_sessions_end`] does. Returns how
    /// many sessions ended.
    pub async fn user_sessions_end_some(
        &self,
        user_id: &str,
        id_hashes: &[String],
    ) -> StoreResult<u64> {
        if id_hashes.is_empty() {
            return Ok(0);
        }
        sessions_deleted();
        let mut tx = self.begin_config_write().await?;
        let mut n = 0;
        for h in id_hashes {
            sqlx::query(
                "DELETE FROM session_apps WHERE session_id_hash IN \
                 (SELECT id_hash FROM sessions WHERE id_hash = $1 AND user_id = $2)",
            )
            .bind(h)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            n += sqlx::query("DELETE FROM sessions WHERE id_hash = $1 AND user_id = $2")
                .bind(h)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        sessions_deleted();
        Ok(n)
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

fn session_of_row(r: &sqlx::any::AnyRow) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        id_hash: r.try_get("id_hash")?,
        user_id: r.try_get("user_id")?,
        auth_method: r.try_get("auth_method")?,
        auth_time: r.try_get("auth_time")?,
        created_at: r.try_get("created_at")?,
        created_at_ms: r.try_get("created_at_ms")?,
        last_seen: r.try_get("last_seen")?,
        expires_at: r.try_get("expires_at")?,
        methods: r.try_get("methods")?,
        user_agent: r.try_get("user_agent")?,
        client_ip: r.try_get("client_ip")?,
    })
}

/// Within `tx`: sets the user's revocation instant to `now_ms` (and the second it falls
/// in) and deletes the user's sessions with their application lists.
pub(super) async fn end_user_sessions(
    tx: &mut Transaction<'static, Any>,
    user_id: &str,
    now_ms: i64,
) -> StoreResult<u64> {
    sessions_deleted();
    sqlx::query(
        "UPDATE users SET sessions_valid_after_ms = $1, sessions_valid_after = $2 WHERE id = $3",
    )
    .bind(now_ms)
    .bind(now_ms.div_euclid(1000))
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "DELETE FROM session_apps WHERE session_id_hash IN \
         (SELECT id_hash FROM sessions WHERE user_id = $1)",
    )
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(r.rows_affected())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
mod tests {
    use super::*;
    use crate::model::NewUser;

    fn rec(hash: &str, user_id: &str, created_at_ms: i64) -> SessionRecord {
        SessionRecord {
            id_hash: hash.into(),
            user_id: user_id.into(),
            auth_method: "pwd".into(),
            auth_time: created_at_ms / 1000,
            created_at: created_at_ms / 1000,
            created_at_ms,
            last_seen: created_at_ms / 1000,
            expires_at: created_at_ms / 1000 + 3600,
            methods: String::new(),
            user_agent: String::new(),
            client_ip: String::new(),
        }
    }

    /// A password reset or a disable in the same second as a session's start ends it: the
    /// session is deleted, and one inserted afterwards by a sign-in that started before
    /// the reset is older than the revocation (compared in milliseconds by
    /// `sso::session::judge`).
    #[tokio::test]
    async fn reset_and_disable_end_sessions_of_the_same_second() {
        let t = crate::store::suite::test_store().await;
        let s = &t.store;
        let u = s
            .create_user(
                &NewUser {
                    upn: "ann@contoso.com".into(),
                    ..NewUser::default()
                },
                1,
            )
            .await
            .unwrap();
        let second = 1_800_000_000_000_i64; // a whole second, in milliseconds
        let other = s
            .create_user(
                &NewUser {
                    upn: "bob@contoso.com".into(),
                    ..NewUser::default()
                },
                1,
            )
            .await
            .unwrap();
        s.session_insert(&rec("bob", &other.id, second + 100))
            .await
            .unwrap();

        // Reset.
        s.session_insert(&rec("a1", &u.id, second + 200))
            .await
            .unwrap();
        s.set_password(&u.id, "$argon2id$x", second + 700)
            .await
            .unwrap();
        assert!(s.session_with_user("a1").await.unwrap().is_none());
        s.session_insert(&rec("a2", &u.id, second + 500))
            .await
            .unwrap();
        let late = s.session_with_user("a2").await.unwrap().unwrap();
        assert_eq!(late.sessions_valid_after_ms, second + 700);
        assert!(late.session.created_at_ms < late.sessions_valid_after_ms);
        s.session_insert(&rec("a3", &u.id, second + 800))
            .await
            .unwrap();
        let after = s.session_with_user("a3").await.unwrap().unwrap();
        assert!(after.session.created_at_ms >= after.sessions_valid_after_ms);

        // Disable (the revocation the directory performs when it disables a user).
        s.user_sessions_end(&u.id, second + 900).await.unwrap();
        assert!(s.session_with_user("a3").await.unwrap().is_none());
        assert!(s.session_with_user("a2").await.unwrap().is_none());
        // Another user's sessions stay.
        assert!(s.session_with_user("bob").await.unwrap().is_some());
    }
}
