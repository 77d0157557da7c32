//! Queries of the `app_claims` and `app_group_claims` tables and of the NameID columns of
//! `apps`. Parsing and validation live in `crate::apps::claims`.

use super::{Store, StoreResult};
use crate::model::claims::{default_claims, NameFormat};
use sqlx::{Any, Row, Transaction};

/// One `app_claims` row (the source is canonical expression text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRow {
    /// Claim name.
    pub name: String,
    /// Namespace (`""`: bare name).
    pub namespace: String,
    /// `unspecified` | `uri` | `basic`.
    pub name_format: String,
    /// `attribute` | `constant` | `transform`.
    pub source_kind: String,
    /// The expression.
    pub source: String,
}

const UPSERT_CLAIM: &str = "INSERT INTO app_claims \
     (app_id, name, namespace, name_format, source_kind, source, position) \
     VALUES ($1, $2, $3, $4, $5, $6, \
       (SELECT COALESCE(MAX(position), -1) + 1 FROM app_claims WHERE app_id = $1)) \
     ON CONFLICT (app_id, namespace, name) DO UPDATE SET name_format = excluded.name_format, \
     source_kind = excluded.source_kind, source = excluded.source";

impl Store {
    /// Writes the default claims of a new app (inside its creation transaction).
    pub(crate) async fn insert_default_claims(
        tx: &mut Transaction<'static, Any>,
        app_id: &str,
    ) -> StoreResult<()> {
        for c in default_claims() {
            debug_assert_eq!(c.name_format, NameFormat::Unspecified);
            sqlx::query(UPSERT_CLAIM)
                .bind(app_id)
                .bind(&c.name)
                .bind(&c.namespace)
                .bind(c.name_format.as_str())
                .bind(c.source.kind())
                .bind(c.source.to_string())
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// The claim rows of an app, in order.
    pub async fn app_claim_rows(&self, app_id: &str) -> StoreResult<Vec<ClaimRow>> {
        sqlx::query(
            "SELECT name, namespace, name_format, source_kind, source FROM app_claims \
             WHERE app_id = $1 ORDER BY position, namespace, name",
        )
        .bind(app_id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(ClaimRow {
                name: r.try_get("name")?,
                namespace: r.try_get("namespace")?,
                name_format: r.try_get("name_format")?,
                source_kind: r.try_get("source_kind")?,
                source: r.try_get("source")?,
            })
        })
        .collect()
    }

    /// Adds a claim row, or replaces the one with the same namespace and name (keeping
    /// its position).
    pub async fn upsert_app_claim(&self, app_id: &str, row: &ClaimRow) -> StoreResult<()> {
        let mut tx = self.begin_config_write().await?;
        sqlx::query(UPSERT_CLAIM)
            .bind(app_id)
            .bind(&row.name)
            .bind(&row.namespace)
            .bind(&row.name_format)
            .bind(&row.source_kind)
            .bind(&row.source)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a claim row. False when there was none.
    pub async fn delete_app_claim(
        &self,
        app_id: &str,
        name: &str,
        namespace: &str,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_config_write().await?;
        let n = sqlx::query(
            "DELETE FROM app_claims WHERE app_id = $1 AND name = $2 AND namespace = $3",
        )
        .bind(app_id)
        .bind(name)
        .bind(namespace)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Sets the NameID source expression and stored format. False when no such app.
    pub async fn set_app_nameid(
        &self,
        app_id: &str,
        source: &str,
        format: &str,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_config_write().await?;
        let n = sqlx::query("UPDATE apps SET nameid_source = $1, nameid_format = $2 WHERE id = $3")
            .bind(source)
            .bind(format)
            .bind(app_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// The group-claim row of an app: (scope, emit, claim name).
    pub async fn app_group_claims(
        &self,
        app_id: &str,
    ) -> StoreResult<Option<(String, String, String)>> {
        let row =
            sqlx::query("SELECT scope, emit, claim_name FROM app_group_claims WHERE app_id = $1")
                .bind(app_id)
                .fetch_optional(self.pool())
                .await?;
        row.map(|r| {
            Ok((
                r.try_get("scope")?,
                r.try_get("emit")?,
                r.try_get("claim_name")?,
            ))
        })
        .transpose()
    }

    /// Sets (`Some((scope, emit, claim name))`) or removes the group-claim row of an app.
    pub async fn set_app_group_claims(
        &self,
        app_id: &str,
        cfg: Option<(&str, &str, &str)>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_config_write().await?;
        match cfg {
            Some((scope, emit, name)) => {
                sqlx::query(
                    "INSERT INTO app_group_claims (app_id, scope, emit, claim_name) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (app_id) DO UPDATE SET \
                     scope = excluded.scope, emit = excluded.emit, claim_name = excluded.claim_name",
                )
                .bind(app_id)
                .bind(scope)
                .bind(emit)
                .bind(name)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM app_group_claims WHERE app_id = $1")
                    .bind(app_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
