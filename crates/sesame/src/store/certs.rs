//! Queries of the `app_certificates` table (keys stay sealed here; `crate::apps::certs`
//! opens them with the master key).

use super::tenant::row_bool;
use super::{Store, StoreResult};
use crate::model::StoredCertificate;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

fn cert_from_row(r: &AnyRow) -> StoreResult<StoredCertificate> {
    Ok(StoredCertificate {
        id: r.try_get("id")?,
        app_id: r.try_get("app_id")?,
        thumbprint: r.try_get("thumbprint")?,
        cert_der: r.try_get("cert_der")?,
        key_sealed: r.try_get("key_sealed")?,
        active: row_bool(r, "active")?,
        not_after: r.try_get("not_after")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    pub(crate) async fn insert_app_certificate(
        tx: &mut Transaction<'static, Any>,
        c: &StoredCertificate,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO app_certificates (id, app_id, thumbprint, cert_der, key_sealed, active, \
             not_after, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&c.id)
        .bind(&c.app_id)
        .bind(&c.thumbprint)
        .bind(c.cert_der.clone())
        .bind(c.key_sealed.clone())
        .bind(c.active)
        .bind(c.not_after)
        .bind(c.created_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Adds a certificate to an app.
    pub async fn add_app_certificate(&self, c: &StoredCertificate) -> StoreResult<()> {
        let mut tx = self.begin_config_write().await?;
        Self::insert_app_certificate(&mut tx, c).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The app's certificates with their sealed keys, oldest first.
    pub async fn app_certificates(&self, app_id: &str) -> StoreResult<Vec<StoredCertificate>> {
        sqlx::query(
            "SELECT id, app_id, thumbprint, cert_der, key_sealed, active, not_after, created_at \
             FROM app_certificates WHERE app_id = $1 ORDER BY created_at, id",
        )
        .bind(app_id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(cert_from_row)
        .collect()
    }

    /// Makes the certificate with `thumbprint` the app's only active one. False when the
    /// app has no such certificate (nothing changes then).
    pub async fn activate_app_certificate(
        &self,
        app_id: &str,
        thumbprint: &str,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_config_write().await?;
        let exists: Option<String> = sqlx::query_scalar(
            "SELECT id FROM app_certificates WHERE app_id = $1 AND thumbprint = $2",
        )
        .bind(app_id)
        .bind(thumbprint)
        .fetch_optional(&mut *tx)
        .await?;
        if exists.is_none() {
            return Ok(false);
        }
        sqlx::query("UPDATE app_certificates SET active = (thumbprint = $1) WHERE app_id = $2")
            .bind(thumbprint)
            .bind(app_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes an inactive certificate. False when it does not exist or is active.
    pub async fn delete_app_certificate(
        &self,
        app_id: &str,
        thumbprint: &str,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_config_write().await?;
        let n = sqlx::query(
            "DELETE FROM app_certificates WHERE app_id = $1 AND thumbprint = $2 AND active = $3",
        )
        .bind(app_id)
        .bind(thumbprint)
        .bind(false)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }
}
