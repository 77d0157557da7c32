//! Queries of the `tenant` table, the configuration version, and the transaction helper
//! every configuration write goes through.

use super::{Store, StoreResult};
use crate::model::{NewUser, Tenant};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

/// Reads a boolean column on either backend: PostgreSQL returns BOOLEAN, SQLite an
/// INTEGER 0/1 (sqlx's Any driver cannot map SQLite's BOOLEAN, so the SQLite schema
/// declares booleans INTEGER).
pub(crate) fn row_bool(r: &AnyRow, col: &str) -> StoreResult<bool> {
    match r.try_get::<bool, _>(col) {
        Ok(b) => Ok(b),
        Err(_) => Ok(r.try_get::<i64, _>(col)? != 0),
    }
}

impl Store {
    /// Starts a configuration write: a transaction whose first statement bumps
    /// `tenant.config_version`. Doing the write first takes SQLite's write lock at once
    /// (waiting on `busy_timeout` instead of failing on a lock upgrade later), and makes
    /// every configuration change visible to the running servers' cache pollers.
    pub async fn begin_config_write(&self) -> StoreResult<Transaction<'static, Any>> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE tenant SET config_version = config_version + 1")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// The tenant, if created.
    pub async fn tenant(&self) -> StoreResult<Option<Tenant>> {
        let row = sqlx::query("SELECT id, public_url FROM tenant")
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(Tenant {
                id: r.try_get("id")?,
                public_url: r.try_get("public_url")?,
            })
        })
        .transpose()
    }

    /// The configuration version: changes whenever configuration changes (0 before the
    /// tenant exists). Cheap: meant to be polled.
    pub async fn config_version(&self) -> StoreResult<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT config_version FROM tenant")
            .fetch_optional(self.pool())
            .await?;
        Ok(v.unwrap_or(0))
    }

    /// Replaces the stored public URL.
    pub async fn set_public_url(&self, url: &str) -> StoreResult<()> {
        let mut tx = self.begin_config_write().await?;
        sqlx::query("UPDATE tenant SET public_url = $1")
            .bind(url)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates the tenant and its initial administrator (with `role`) in one transaction.
    /// Returns false, writing nothing, when a tenant already exists (another process won).
    pub async fn create_tenant_with_admin(
        &self,
        tenant: &Tenant,
        admin: &NewUser,
        role: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO tenant (id, public_url, created_at, config_version, singleton) \
             VALUES ($1, $2, $3, 1, 1) ON CONFLICT (singleton) DO NOTHING",
        )
        .bind(&tenant.id)
        .bind(&tenant.public_url)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        let user = Self::insert_user(&mut tx, admin, now).await?;
        sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
            .bind(&user.id)
            .bind(role)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}
