//! REST API tokens (`api_tokens`): only the SHA-256 of each secret is stored. Written and
//! read by `admin::tokens`.

use super::{Store, StoreError, StoreResult};
use serde::Serialize;
use sqlx::Row;

/// One API token as stored (never its secret: only `token_hash`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRow {
    /// Token id (UUID).
    pub id: String,
    /// Name given at creation, unique among the tokens not revoked.
    pub name: String,
    /// Hex SHA-256 of the secret.
    #[serde(skip)]
    pub token_hash: String,
    /// The role the token acts with.
    pub role: String,
    /// Who created it (audit actor name).
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Unix seconds, at most a minute stale.
    pub last_used_at: Option<i64>,
    /// Unix seconds, when revoked.
    pub revoked_at: Option<i64>,
}

macro_rules! token_columns {
    () => {
        "id, name, token_hash, role, created_by, created_at, expires_at, last_used_at, revoked_at"
    };
}

fn row(r: &sqlx::any::AnyRow) -> StoreResult<TokenRow> {
    Ok(TokenRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        token_hash: r.try_get("token_hash")?,
        role: r.try_get("role")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        last_used_at: r.try_get("last_used_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

impl Store {
    /// Inserts a token.
    pub async fn token_insert(&self, t: &TokenRow) -> StoreResult<()> {
        sqlx::query(concat!(
            "INSERT INTO api_tokens (",
            token_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(&t.id)
        .bind(&t.name)
        .bind(&t.token_hash)
        .bind(&t.role)
        .bind(&t.created_by)
        .bind(t.created_at)
        .bind(t.expires_at)
        .bind(t.last_used_at)
        .bind(t.revoked_at)
        .execute(self.pool())
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict("token".into()),
            other => other,
        })?;
        Ok(())
    }

    /// Every token, newest first.
    pub async fn tokens_list(&self) -> StoreResult<Vec<TokenRow>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            token_columns!(),
            " FROM api_tokens ORDER BY created_at DESC, id"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(row).collect()
    }

    /// The token whose secret hashes to `hash`.
    pub async fn token_by_hash(&self, hash: &str) -> StoreResult<Option<TokenRow>> {
        let r = sqlx::query(concat!(
            "SELECT ",
            token_columns!(),
            " FROM api_tokens WHERE token_hash = $1"
        ))
        .bind(hash)
        .fetch_optional(self.pool())
        .await?;
        r.as_ref().map(row).transpose()
    }

    /// Marks a token revoked at `now`; false when it is unknown or already revoked.
    pub async fn token_revoke(&self, id: &str, now: i64) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    /// Records that the token was used at `now`.
    pub async fn token_touch(&self, id: &str, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
