//! Conditional Access: named locations (`named_locations`) and policies (`ca_policies`,
//! each a whole JSON document). Every write is a configuration write, so the running
//! servers' snapshots (which hold the policies) are rebuilt at once.

use super::tenant::row_bool;
use super::{Store, StoreError, StoreResult};
use crate::model::{NamedLocation, Policy};
use sqlx::any::AnyRow;
use sqlx::Row;

fn location_from_row(r: &AnyRow) -> StoreResult<NamedLocation> {
    let ranges: String = r.try_get("ranges")?;
    Ok(NamedLocation {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        ranges: ranges
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        trusted: row_bool(r, "trusted")?,
        created_at: r.try_get("created_at")?,
    })
}

fn policy_from_row(r: &AnyRow) -> StoreResult<Policy> {
    let body: String = r.try_get("body")?;
    serde_json::from_str(&body)
        .map_err(|e| StoreError::Corrupt(format!("Conditional Access policy: {e}")))
}

impl Store {
    /// Every named location, by name.
    pub async fn locations(&self) -> StoreResult<Vec<NamedLocation>> {
        let rows = sqlx::query(
            "SELECT id, name, ranges, trusted, created_at FROM named_locations ORDER BY name",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(location_from_row).collect()
    }

    /// Records a new named location (a duplicate name is a constraint violation).
    pub async fn location_insert(&self, l: &NamedLocation) -> StoreResult<()> {
        let mut tx = self.begin_config_write().await?;
        sqlx::query(
            "INSERT INTO named_locations (id, name, ranges, trusted, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&l.id)
        .bind(&l.name)
        .bind(l.ranges.join(","))
        .bind(l.trusted)
        .bind(l.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a named location; whether it existed.
    pub async fn location_delete(&self, id: &str) -> StoreResult<bool> {
        let mut tx = self.begin_config_write().await?;
        let n = sqlx::query("DELETE FROM named_locations WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Every policy, by name.
    pub async fn policies(&self) -> StoreResult<Vec<Policy>> {
        let rows = sqlx::query("SELECT body FROM ca_policies ORDER BY name")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(policy_from_row).collect()
    }

    /// Records a policy, new or replacing the one with its id, whole.
    pub async fn policy_upsert(&self, p: &Policy) -> StoreResult<()> {
        let body = serde_json::to_string(p)
            .map_err(|e| StoreError::Corrupt(format!("Conditional Access policy: {e}")))?;
        let mut tx = self.begin_config_write().await?;
        sqlx::query(
            "INSERT INTO ca_policies (id, name, body, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET \
             name = excluded.name, body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(&p.id)
        .bind(&p.name)
        .bind(body)
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a policy; whether it existed.
    pub async fn policy_delete(&self, id: &str) -> StoreResult<bool> {
        let mut tx = self.begin_config_write().await?;
        let n = sqlx::query("DELETE FROM ca_policies WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Adds `method@at` to the methods a session used.
    pub async fn session_add_method(
        &self,
        id_hash: &str,
        method: &str,
        at: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sessions SET methods = CASE WHEN methods = '' THEN $1 \
             ELSE methods || ' ' || $1 END WHERE id_hash = $2",
        )
        .bind(format!("{method}@{at}"))
        .bind(id_hash)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
