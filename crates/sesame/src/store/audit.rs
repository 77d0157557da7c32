//! The audit log (`audit_log`) and installation settings (`settings`). Written by
//! `admin::audit`, which redacts secrets first; read by the portal, the REST API and
//! `sesame audit`.

use super::{Store, StoreResult};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// One recorded state change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    /// Row id (UUID).
    pub id: String,
    /// When (Unix milliseconds).
    pub time_ms: i64,
    /// `user`, `token`, `cli` or `system`.
    pub actor_kind: String,
    /// The administrator's UPN, the token's name, the CLI's operating-system user.
    pub actor: String,
    /// The administrator's or token's object id ('' for the CLI).
    pub actor_id: String,
    /// What was done: `user.create`, `app.saml.update`, `role.assign`, …
    pub action: String,
    /// The kind of object changed: `user`, `group`, `app`, `token`, `role`, …
    pub target_kind: String,
    /// Its object id.
    pub target_id: String,
    /// Its name when it has one.
    pub target_name: String,
    /// JSON of the object before (secrets redacted), '' when it did not exist.
    pub before_json: String,
    /// JSON of the object after (secrets redacted), '' when it no longer exists.
    pub after_json: String,
    /// The request's correlation id ('' for the CLI).
    pub correlation_id: String,
}

/// What the audit log is filtered on.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this target object id.
    pub target_id: Option<String>,
    /// Only actions starting with this prefix (`app.`, `user.create`).
    pub action_prefix: Option<String>,
    /// Only this actor (case-insensitive).
    pub actor: Option<String>,
    /// Only rows at or after this instant (Unix ms).
    pub since_ms: Option<i64>,
    /// At most this many rows, newest first (0: 1000).
    pub limit: i64,
}

impl Store {
    /// Appends one audit row.
    pub async fn audit_insert(&self, r: &AuditRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (id, time_ms, actor_kind, actor, actor_id, action, target_kind, \
             target_id, target_name, before_json, after_json, correlation_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&r.id)
        .bind(r.time_ms)
        .bind(&r.actor_kind)
        .bind(&r.actor)
        .bind(&r.actor_id)
        .bind(&r.action)
        .bind(&r.target_kind)
        .bind(&r.target_id)
        .bind(&r.target_name)
        .bind(&r.before_json)
        .bind(&r.after_json)
        .bind(&r.correlation_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Rows matching `f`, newest first.
    pub async fn audit_list(&self, f: &AuditFilter) -> StoreResult<Vec<AuditRow>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            audit_columns!(),
            " FROM audit_log \
             WHERE ($1 = '' OR target_id = $1) AND ($2 = '' OR SUBSTR(action, 1, LENGTH($2)) = $2) \
             AND ($3 = '' OR LOWER(actor) = $3) AND time_ms >= $4 \
             ORDER BY time_ms DESC, id DESC LIMIT $5"
        ))
        .bind(f.target_id.clone().unwrap_or_default())
        .bind(f.action_prefix.clone().unwrap_or_default())
        .bind(
            f.actor
                .as_deref()
                .map(str::to_lowercase)
                .unwrap_or_default(),
        )
        .bind(f.since_ms.unwrap_or(0))
        .bind(if f.limit > 0 { f.limit } else { 1000 })
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(audit_from_row).collect()
    }

    /// An installation setting, `None` when unset.
    pub async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Within `tx`: stores the setting `key` unless it exists; false when it did (another
    /// node stored it first). For records of "done once" (not configuration: the config
    /// version is not bumped).
    pub async fn setting_insert_new_in(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        key: &str,
        value: &str,
    ) -> StoreResult<bool> {
        let n = sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Deletes the setting `key` if it holds `value` (a record of "done once"); false
    /// when it did not.
    pub async fn setting_delete_if(&self, key: &str, value: &str) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM settings WHERE key = $1 AND value = $2")
            .bind(key)
            .bind(value)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Sets an installation setting (a configuration change: bumps the config version).
    pub async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        let mut tx = self.begin_config_write().await?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Grants a directory role to a user; false when the user already had it.
    pub async fn user_role_add(&self, user_id: &str, role: &str) -> StoreResult<bool> {
        let mut tx = self.begin_config_write().await?;
        let n = sqlx::query(
            "INSERT INTO user_roles (user_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(user_id)
        .bind(role)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Takes a directory role from a user; false when the user did not have it.
    pub async fn user_role_remove(&self, user_id: &str, role: &str) -> StoreResult<bool> {
        let mut tx = self.begin_config_write().await?;
        let n = sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role = $2")
            .bind(user_id)
            .bind(role)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Every (user id, role) pair.
    pub async fn role_holders(&self) -> StoreResult<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT user_id, role FROM user_roles ORDER BY role, user_id")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("user_id")?, r.try_get("role")?)))
            .collect()
    }

    /// Deletes sign-in log rows older than `before_ms`; returns how many.
    pub async fn signins_prune(&self, before_ms: i64) -> StoreResult<u64> {
        Ok(sqlx::query("DELETE FROM signin_logs WHERE time_ms < $1")
            .bind(before_ms)
            .execute(self.pool())
            .await?
            .rows_affected())
    }
}

/// An `audit_log` row as read by every audit query (columns: `audit_columns!`).
pub(super) fn audit_from_row(r: &AnyRow) -> StoreResult<AuditRow> {
    Ok(AuditRow {
        id: r.try_get("id")?,
        time_ms: r.try_get("time_ms")?,
        actor_kind: r.try_get("actor_kind")?,
        actor: r.try_get("actor")?,
        actor_id: r.try_get("actor_id")?,
        action: r.try_get("action")?,
        target_kind: r.try_get("target_kind")?,
        target_id: r.try_get("target_id")?,
        target_name: r.try_get("target_name")?,
        before_json: r.try_get("before_json")?,
        after_json: r.try_get("after_json")?,
        correlation_id: r.try_get("correlation_id")?,
    })
}
