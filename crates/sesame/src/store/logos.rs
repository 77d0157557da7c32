//! Queries of the `app_logos` table and of `apps.notification_email` (both of
//! migration 0003, used by the portal's Properties and SAML Certificates blades).
//!
//! `notification_email` is read and written here rather than through [`crate::model::App`]:
//! adding a field to `App` would change every place that builds one (the CLI among
//! them), for a value only the certificates blade uses.

use super::{Store, StoreResult};
use sqlx::Row;

/// An application's uploaded logo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppLogo {
    /// `image/svg+xml` or `image/png`.
    pub content_type: String,
    /// The bytes (SVG already sanitised).
    pub data: Vec<u8>,
    /// Unix seconds.
    pub updated_at: i64,
}

impl Store {
    /// The logo of an application, if one was uploaded.
    pub async fn app_logo(&self, app_id: &str) -> StoreResult<Option<AppLogo>> {
        let row =
            sqlx::query("SELECT content_type, data, updated_at FROM app_logos WHERE app_id = $1")
                .bind(app_id)
                .fetch_optional(self.pool())
                .await?;
        row.map(|r| {
            Ok(AppLogo {
                content_type: r.try_get("content_type")?,
                data: r.try_get("data")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .transpose()
    }

    /// Ids of the applications that have a logo.
    pub async fn app_logo_ids(&self) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT app_id FROM app_logos")
            .fetch_all(self.pool())
            .await?)
    }

    /// Sets (replaces) the logo of an application.
    pub async fn set_app_logo(&self, app_id: &str, logo: &AppLogo) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO app_logos (app_id, content_type, data, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (app_id) DO UPDATE SET content_type = excluded.content_type, \
             data = excluded.data, updated_at = excluded.updated_at",
        )
        .bind(app_id)
        .bind(&logo.content_type)
        .bind(logo.data.clone())
        .bind(logo.updated_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Removes the logo of an application; false when it had none.
    pub async fn delete_app_logo(&self, app_id: &str) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM app_logos WHERE app_id = $1")
            .bind(app_id)
            .execute(self.pool())
            .await?;
        Ok(n.rows_affected() > 0)
    }

    /// Who is told before the app's active signing certificate expires ('' for nobody).
    pub async fn app_notification_email(&self, app_id: &str) -> StoreResult<String> {
        let v: Option<String> =
            sqlx::query_scalar("SELECT notification_email FROM apps WHERE id = $1")
                .bind(app_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(v.unwrap_or_default())
    }

    /// Sets the notification email of an application.
    pub async fn set_app_notification_email(&self, app_id: &str, email: &str) -> StoreResult<()> {
        let mut tx = self.begin_config_write().await?;
        sqlx::query("UPDATE apps SET notification_email = $1 WHERE id = $2")
            .bind(email)
            .bind(app_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
