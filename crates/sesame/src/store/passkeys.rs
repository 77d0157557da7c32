//! Passkeys' credentials (`passkey_credentials`, one per `auth_methods` row of kind
//! `passkey`) and the WebAuthn challenges issued and not yet answered
//! (`passkey_challenges`). Single use of a challenge and the counter's increase are
//! decided by the database (a conditional DELETE or UPDATE that one caller only can
//! win), so they hold across nodes.

use super::{Store, StoreResult};
use crate::model::{AuthMethod, OutboxMessage, PasskeyChallenge, PasskeyCredential};
use sqlx::any::AnyRow;
use sqlx::Row;

const COLUMNS: &str =
    "method_id, user_id, credential_id, public_key, sign_count, aaguid, transports";

fn credential_from_row(r: &AnyRow) -> StoreResult<PasskeyCredential> {
    Ok(PasskeyCredential {
        method_id: r.try_get("method_id")?,
        user_id: r.try_get("user_id")?,
        credential_id: r.try_get("credential_id")?,
        public_key: r.try_get("public_key")?,
        sign_count: r.try_get("sign_count")?,
        aaguid: r.try_get("aaguid")?,
        transports: r.try_get("transports")?,
    })
}

impl Store {
    /// Records passkey method `m` with its credential `c`, in one transaction; false when
    /// the credential id is registered already.
    pub async fn passkey_insert(
        &self,
        m: &AuthMethod,
        c: &PasskeyCredential,
        notice: Option<&OutboxMessage>,
    ) -> StoreResult<bool> {
        if self
            .passkey_by_credential(&c.credential_id)
            .await?
            .is_some()
        {
            return Ok(false);
        }
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO auth_methods (id, user_id, kind, name, secret_sealed, last_step, \
             created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&m.id)
        .bind(&m.user_id)
        .bind(m.kind.as_str())
        .bind(&m.name)
        .bind(Vec::<u8>::new())
        .bind(0_i64)
        .bind(m.created_at)
        .bind(m.last_used_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO passkey_credentials (method_id, user_id, credential_id, public_key, \
             sign_count, aaguid, transports) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&c.method_id)
        .bind(&c.user_id)
        .bind(&c.credential_id)
        .bind(c.public_key.clone())
        .bind(c.sign_count)
        .bind(&c.aaguid)
        .bind(&c.transports)
        .execute(&mut *tx)
        .await?;
        if let Some(n) = notice {
            Store::outbox_insert(&mut tx, n).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The passkey with credential id `credential_id` (base64url).
    pub async fn passkey_by_credential(
        &self,
        credential_id: &str,
    ) -> StoreResult<Option<PasskeyCredential>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM passkey_credentials WHERE credential_id = $1"
        )))
        .bind(credential_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(credential_from_row).transpose()
    }

    /// The passkeys of a user.
    pub async fn passkeys_of_user(&self, user_id: &str) -> StoreResult<Vec<PasskeyCredential>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM passkey_credentials WHERE user_id = $1 ORDER BY method_id"
        )))
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(credential_from_row).collect()
    }

    /// Records a use of passkey `method_id` at `now`: its counter goes from `from` to
    /// `to`; false when another use changed the counter meanwhile (one caller wins).
    pub async fn passkey_used(
        &self,
        method_id: &str,
        from: i64,
        to: i64,
        now: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await?;
        let r = sqlx::query(
            "UPDATE passkey_credentials SET sign_count = $1 WHERE method_id = $2 \
             AND sign_count = $3",
        )
        .bind(to)
        .bind(method_id)
        .bind(from)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("UPDATE auth_methods SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(method_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records a challenge issued.
    pub async fn passkey_challenge_insert(&self, c: &PasskeyChallenge) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO passkey_challenges (id, purpose, user_id, challenge_hash, client, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&c.id)
        .bind(&c.purpose)
        .bind(&c.user_id)
        .bind(&c.challenge_hash)
        .bind(&c.client)
        .bind(c.created_at)
        .bind(c.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// How many unanswered challenges `client` has at `now`.
    pub async fn passkey_challenges_of_client(&self, client: &str, now: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM passkey_challenges WHERE client = $1 AND expires_at > $2",
        )
        .bind(client)
        .bind(now)
        .fetch_one(self.pool())
        .await?)
    }

    /// Takes challenge `id` of `purpose` and `user_id` ('' for a sign-in): its hash, when
    /// it has not expired at `now` and nobody took it before (deleted either way: one
    /// answer per challenge, at any node).
    pub async fn passkey_challenge_take(
        &self,
        id: &str,
        purpose: &str,
        user_id: &str,
        now: i64,
    ) -> StoreResult<Option<String>> {
        let row = sqlx::query(
            "SELECT challenge_hash FROM passkey_challenges WHERE id = $1 AND purpose = $2 \
             AND user_id = $3 AND expires_at > $4",
        )
        .bind(id)
        .bind(purpose)
        .bind(user_id)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let hash: String = row.try_get("challenge_hash")?;
        let r = sqlx::query("DELETE FROM passkey_challenges WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok((r.rows_affected() == 1).then_some(hash))
    }

    /// Drops challenges that expired before `now`.
    pub async fn passkey_challenges_purge(&self, now: i64) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM passkey_challenges WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(r.rows_affected())
    }
}
