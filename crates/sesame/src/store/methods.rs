//! Users' authentication methods (`auth_methods`), the codes of their recovery-code sets
//! (`recovery_codes`) and registrations not yet confirmed (`auth_method_pending`).
//! Single use is decided by the database (a conditional UPDATE or DELETE that one caller
//! only can win), so it holds across nodes.

use super::{Store, StoreError, StoreResult};
use crate::model::{AuthMethod, MethodKind, OutboxMessage, PendingMethod};
use sqlx::any::AnyRow;
use sqlx::Row;

const COLUMNS: &str = "id, user_id, kind, name, secret_sealed, last_step, created_at, last_used_at";

fn method_from_row(r: &AnyRow) -> StoreResult<AuthMethod> {
    let kind: String = r.try_get("kind")?;
    Ok(AuthMethod {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        kind: MethodKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown method kind {kind:?}")))?,
        name: r.try_get("name")?,
        secret_sealed: r.try_get("secret_sealed")?,
        last_step: r.try_get("last_step")?,
        created_at: r.try_get("created_at")?,
        last_used_at: r.try_get("last_used_at")?,
    })
}

impl Store {
    /// Records a new method.
    pub async fn method_insert(&self, m: &AuthMethod) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO auth_methods (id, user_id, kind, name, secret_sealed, last_step, \
             created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&m.id)
        .bind(&m.user_id)
        .bind(m.kind.as_str())
        .bind(&m.name)
        .bind(m.secret_sealed.clone())
        .bind(m.last_step)
        .bind(m.created_at)
        .bind(m.last_used_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The methods of a user, oldest first.
    pub async fn methods_of_user(&self, user_id: &str) -> StoreResult<Vec<AuthMethod>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM auth_methods WHERE user_id = $1 ORDER BY created_at, id"
        )))
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(method_from_row).collect()
    }

    /// One method of a user.
    pub async fn method_of_user(&self, user_id: &str, id: &str) -> StoreResult<Option<AuthMethod>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM auth_methods WHERE user_id = $1 AND id = $2"
        )))
        .bind(user_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(method_from_row).transpose()
    }

    /// Renames a method of a user; false when there is no such method.
    pub async fn method_rename(&self, user_id: &str, id: &str, name: &str) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE auth_methods SET name = $1 WHERE user_id = $2 AND id = $3")
            .bind(name)
            .bind(user_id)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Deletes a method of a user (and its recovery codes or passkey credential); false when
    /// there is none.
    pub async fn method_delete(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM recovery_codes WHERE method_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM passkey_credentials WHERE method_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM auth_methods_retired WHERE method_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let r = sqlx::query("DELETE FROM auth_methods WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    /// Accepts TOTP step `step` for method `id` when it is later than the last accepted
    /// one, recording it and the time of use; false when a code of this step or a later
    /// one was already accepted (a replay). One caller only can win a step.
    pub async fn method_accept_step(&self, id: &str, step: i64, now: i64) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE auth_methods SET last_step = $1, last_used_at = $2 \
             WHERE id = $3 AND last_step < $1",
        )
        .bind(step)
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Replaces the recovery-code set of a user: the method `m` (kind recovery) with the
    /// code hashes `hashes`, removing any earlier set, in one transaction.
    pub async fn recovery_replace(
        &self,
        m: &AuthMethod,
        hashes: &[String],
        notice: Option<&OutboxMessage>,
    ) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        if let Some(n) = notice {
            Store::outbox_insert(&mut tx, n).await?;
        }
        sqlx::query(
            "DELETE FROM recovery_codes WHERE method_id IN \
             (SELECT id FROM auth_methods WHERE user_id = $1 AND kind = $2)",
        )
        .bind(&m.user_id)
        .bind(MethodKind::Recovery.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM auth_methods_retired WHERE method_id IN \
             (SELECT id FROM auth_methods WHERE user_id = $1 AND kind = $2)",
        )
        .bind(&m.user_id)
        .bind(MethodKind::Recovery.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM auth_methods WHERE user_id = $1 AND kind = $2")
            .bind(&m.user_id)
            .bind(MethodKind::Recovery.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO auth_methods (id, user_id, kind, name, secret_sealed, last_step, \
             created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&m.id)
        .bind(&m.user_id)
        .bind(MethodKind::Recovery.as_str())
        .bind(&m.name)
        .bind(Vec::<u8>::new())
        .bind(0_i64)
        .bind(m.created_at)
        .bind(m.last_used_at)
        .execute(&mut *tx)
        .await?;
        for h in hashes {
            sqlx::query(
                "INSERT INTO recovery_codes (method_id, code_hash, used_at) VALUES ($1, $2, 0)",
            )
            .bind(&m.id)
            .bind(h)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The unused code hashes of recovery-code method `id`.
    pub async fn recovery_unused(&self, id: &str) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT code_hash FROM recovery_codes WHERE method_id = $1 AND used_at = 0 \
             ORDER BY code_hash",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| r.try_get("code_hash").map_err(StoreError::from))
            .collect()
    }

    /// Marks code `hash` of method `id` used at `now`; false when it was used already
    /// (or is not one of its codes). One caller only can use a code.
    pub async fn recovery_use(&self, id: &str, hash: &str, now: i64) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await?;
        let r = sqlx::query(
            "UPDATE recovery_codes SET used_at = $1 WHERE method_id = $2 AND code_hash = $3 \
             AND used_at = 0",
        )
        .bind(now)
        .bind(id)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
        let won = r.rows_affected() == 1;
        if won {
            sqlx::query("UPDATE auth_methods SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(won)
    }

    /// Records a registration begun.
    pub async fn pending_method_insert(&self, p: &PendingMethod) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO auth_method_pending (id, user_id, kind, secret_sealed, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&p.id)
        .bind(&p.user_id)
        .bind(p.kind.as_str())
        .bind(p.secret_sealed.clone())
        .bind(p.created_at)
        .bind(p.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The registration `id` of `user_id`, when it has not expired at `now`.
    pub async fn pending_method(
        &self,
        user_id: &str,
        id: &str,
        now: i64,
    ) -> StoreResult<Option<PendingMethod>> {
        let row = sqlx::query(
            "SELECT id, user_id, kind, secret_sealed, created_at, expires_at \
             FROM auth_method_pending WHERE id = $1 AND user_id = $2 AND expires_at > $3",
        )
        .bind(id)
        .bind(user_id)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let kind: String = r.try_get("kind")?;
        Ok(Some(PendingMethod {
            id: r.try_get("id")?,
            user_id: r.try_get("user_id")?,
            kind: MethodKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown method kind {kind:?}")))?,
            secret_sealed: r.try_get("secret_sealed")?,
            created_at: r.try_get("created_at")?,
            expires_at: r.try_get("expires_at")?,
        }))
    }

    /// Confirms registration `pending_id` of the method's user by recording the method
    /// `m` in its place, in one transaction; false when the registration was already
    /// confirmed, or has expired at `now` (one confirmation only, at any node).
    pub async fn pending_method_confirm(
        &self,
        pending_id: &str,
        m: &AuthMethod,
        now: i64,
        notice: Option<&OutboxMessage>,
    ) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await?;
        let r = sqlx::query(
            "DELETE FROM auth_method_pending WHERE id = $1 AND user_id = $2 AND expires_at > $3",
        )
        .bind(pending_id)
        .bind(&m.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO auth_methods (id, user_id, kind, name, secret_sealed, last_step, \
             created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&m.id)
        .bind(&m.user_id)
        .bind(m.kind.as_str())
        .bind(&m.name)
        .bind(m.secret_sealed.clone())
        .bind(m.last_step)
        .bind(m.created_at)
        .bind(m.last_used_at)
        .execute(&mut *tx)
        .await?;
        if let Some(n) = notice {
            Store::outbox_insert(&mut tx, n).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Drops registrations that expired before `now`.
    pub async fn pending_methods_purge(&self, now: i64) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM auth_method_pending WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(r.rows_affected())
    }

    /// Sets the authentication time of session `id_hash` to `now` and its method to
    /// `method` (the user gave their password again); false when there is no such
    /// session.
    pub async fn session_reauthenticated(
        &self,
        id_hash: &str,
        method: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let r =
            sqlx::query("UPDATE sessions SET auth_time = $1, auth_method = $2 WHERE id_hash = $3")
                .bind(now)
                .bind(method)
                .bind(id_hash)
                .execute(self.pool())
                .await?;
        Ok(r.rows_affected() == 1)
    }
}
impl Store {
    /// Retires the user's authenticator apps and recovery-code sets (Require re-register
    /// MFA): they are kept, listed, and no longer accepted. Returns how many were
    /// retired now.
    pub async fn methods_retire(&self, user_id: &str, now: i64) -> StoreResult<u64> {
        let r = sqlx::query(
            "INSERT INTO auth_methods_retired (method_id, user_id, retired_at) \
             SELECT id, user_id, $1 FROM auth_methods WHERE user_id = $2 AND kind IN ($3, $4) \
             ON CONFLICT (method_id) DO NOTHING",
        )
        .bind(now)
        .bind(user_id)
        .bind(MethodKind::Totp.as_str())
        .bind(MethodKind::Recovery.as_str())
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected())
    }

    /// The ids of the user's retired methods.
    pub async fn methods_retired(&self, user_id: &str) -> StoreResult<Vec<String>> {
        let rows = sqlx::query("SELECT method_id FROM auth_methods_retired WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok(r.try_get("method_id")?)).collect()
    }

    /// The stored Authentication methods policy (a JSON document), if one was saved.
    pub async fn methods_policy(&self) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT body FROM auth_methods_policy WHERE id = $1")
            .bind("default")
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| Ok(r.try_get("body")?)).transpose()
    }

    /// Saves the Authentication methods policy (a JSON document), replacing the earlier
    /// one.
    pub async fn methods_policy_put(&self, body: &str, now: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO auth_methods_policy (id, body, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind("default")
        .bind(body)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
