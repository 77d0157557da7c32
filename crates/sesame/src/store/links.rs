//! One-time account links (`account_links`): password reset links and invitations.
//! Redeeming is a conditional UPDATE that one caller only can win, so a link is used once
//! across nodes.

use super::{Store, StoreError, StoreResult};
use crate::model::{AccountLink, LinkPurpose};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

const COLUMNS: &str =
    "id, purpose, user_id, secret_hash, created_at, expires_at, used_at, created_by";

fn link_from_row(r: &AnyRow) -> StoreResult<AccountLink> {
    let purpose: String = r.try_get("purpose")?;
    Ok(AccountLink {
        id: r.try_get("id")?,
        purpose: LinkPurpose::parse(&purpose)
            .ok_or_else(|| StoreError::Corrupt(format!("account link purpose {purpose:?}")))?,
        user_id: r.try_get("user_id")?,
        secret_hash: r.try_get("secret_hash")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        used_at: r.try_get("used_at")?,
        created_by: r.try_get("created_by")?,
    })
}

impl Store {
    /// Within `tx`: records link `l`, ending the user's earlier unused links of the same
    /// purpose (at `l.created_at`), so only the newest link works.
    pub async fn link_insert_in(
        tx: &mut Transaction<'static, Any>,
        l: &AccountLink,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE account_links SET used_at = $1 WHERE user_id = $2 AND purpose = $3 \
             AND used_at IS NULL",
        )
        .bind(l.created_at)
        .bind(&l.user_id)
        .bind(l.purpose.as_str())
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO account_links (id, purpose, user_id, secret_hash, created_at, \
             expires_at, used_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)",
        )
        .bind(&l.id)
        .bind(l.purpose.as_str())
        .bind(&l.user_id)
        .bind(&l.secret_hash)
        .bind(l.created_at)
        .bind(l.expires_at)
        .bind(&l.created_by)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The link with id `id`.
    pub async fn link_by_id(&self, id: &str) -> StoreResult<Option<AccountLink>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM account_links WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(link_from_row).transpose()
    }

    /// The newest link of `purpose` for a user, used or not.
    pub async fn link_latest(
        &self,
        user_id: &str,
        purpose: LinkPurpose,
    ) -> StoreResult<Option<AccountLink>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM account_links WHERE user_id = $1 AND purpose = $2 \
             ORDER BY created_at DESC, id DESC LIMIT 1"
        )))
        .bind(user_id)
        .bind(purpose.as_str())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(link_from_row).transpose()
    }

    /// Within `tx`: marks link `id` used at `now` if it is unused and unexpired; false
    /// when it was not (another request redeemed it first, or it expired).
    pub async fn link_redeem_in(
        tx: &mut Transaction<'static, Any>,
        id: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE account_links SET used_at = $1 WHERE id = $2 AND used_at IS NULL \
             AND expires_at > $1",
        )
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Deletes links that expired before `before`; the number deleted.
    pub async fn links_purge(&self, before: i64) -> StoreResult<u64> {
        Ok(
            sqlx::query("DELETE FROM account_links WHERE expires_at < $1")
                .bind(before)
                .execute(self.pool())
                .await?
                .rows_affected(),
        )
    }
}
