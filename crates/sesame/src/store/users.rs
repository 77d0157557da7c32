//! Queries of the `users` and `user_roles` tables. Validation lives in
//! `crate::directory`; these functions store what they are given.

use super::tenant::row_bool;
use super::{Store, StoreError, StoreResult};
use crate::model::{NewUser, User};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;

macro_rules! user_columns {
    () => {
        "id, upn, display_name, given_name, surname, mail, department, \
     job_title, employee_id, company_name, extension_attributes, enabled, \
     sessions_valid_after, password_change_required, created_at, updated_at"
    };
}

pub(super) fn user_from_row(r: &AnyRow) -> StoreResult<User> {
    let ext: String = r.try_get("extension_attributes")?;
    let extension_attributes: BTreeMap<String, String> = serde_json::from_str(&ext)
        .map_err(|e| StoreError::Corrupt(format!("users.extension_attributes: {e}")))?;
    Ok(User {
        id: r.try_get("id")?,
        upn: r.try_get("upn")?,
        display_name: r.try_get("display_name")?,
        given_name: r.try_get("given_name")?,
        surname: r.try_get("surname")?,
        mail: r.try_get("mail")?,
        department: r.try_get("department")?,
        job_title: r.try_get("job_title")?,
        employee_id: r.try_get("employee_id")?,
        company_name: r.try_get("company_name")?,
        extension_attributes,
        enabled: row_bool(r, "enabled")?,
        sessions_valid_after: r.try_get("sessions_valid_after")?,
        password_change_required: row_bool(r, "password_change_required")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn ext_json(m: &BTreeMap<String, String>) -> StoreResult<String> {
    serde_json::to_string(m).map_err(|e| StoreError::Corrupt(format!("extension attributes: {e}")))
}

/// The case-insensitive key of a user principal name.
pub fn upn_key(upn: &str) -> String {
    upn.trim().to_lowercase()
}

impl Store {
    /// The user with this UPN, compared case-insensitively.
    pub async fn user_by_upn(&self, upn: &str) -> StoreResult<Option<User>> {
        sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE upn_lower = $1"
        ))
        .bind(upn_key(upn))
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()
    }

    /// The user with this object id.
    pub async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>> {
        sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()
    }

    /// Users ordered by UPN; `search` keeps those whose UPN, display name or mail
    /// contains it (case-insensitively).
    pub async fn list_users(&self, search: Option<&str>) -> StoreResult<Vec<User>> {
        let rows = match search.map(str::trim).filter(|s| !s.is_empty()) {
            None => {
                sqlx::query(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM users ORDER BY upn_lower"
                ))
                .fetch_all(self.pool())
                .await?
            }
            Some(s) => {
                let escaped = s
                    .to_lowercase()
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                sqlx::query(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM users WHERE upn_lower LIKE $1 ESCAPE '\\' \
                     OR LOWER(display_name) LIKE $1 ESCAPE '\\' OR LOWER(mail) LIKE $1 ESCAPE '\\' \
                     ORDER BY upn_lower"
                ))
                .bind(format!("%{escaped}%"))
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter().map(user_from_row).collect()
    }

    pub(crate) async fn insert_user(
        tx: &mut Transaction<'static, Any>,
        new: &NewUser,
        now: i64,
    ) -> StoreResult<User> {
        let user = User {
            id: uuid::Uuid::new_v4().to_string(),
            upn: new.upn.trim().to_owned(),
            display_name: new.display_name.clone(),
            given_name: new.given_name.clone(),
            surname: new.surname.clone(),
            mail: new.mail.clone(),
            department: new.department.clone(),
            job_title: new.job_title.clone(),
            employee_id: new.employee_id.clone(),
            company_name: new.company_name.clone(),
            extension_attributes: new.extension_attributes.clone(),
            enabled: !new.disabled,
            sessions_valid_after: 0,
            password_change_required: false,
            created_at: now,
            updated_at: now,
        };
        sqlx::query(
            "INSERT INTO users (id, upn, upn_lower, display_name, given_name, surname, mail, \
             department, job_title, employee_id, company_name, extension_attributes, enabled, \
             password_hash, sessions_valid_after, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(&user.id)
        .bind(&user.upn)
        .bind(upn_key(&user.upn))
        .bind(&user.display_name)
        .bind(&user.given_name)
        .bind(&user.surname)
        .bind(&user.mail)
        .bind(&user.department)
        .bind(&user.job_title)
        .bind(&user.employee_id)
        .bind(&user.company_name)
        .bind(ext_json(&user.extension_attributes)?)
        .bind(user.enabled)
        .bind(new.password_hash.as_deref())
        .bind(user.sessions_valid_after)
        .bind(user.created_at)
        .bind(user.updated_at)
        .execute(&mut **tx)
        .await?;
        Ok(user)
    }

    /// Creates a user (unvalidated: use `directory::create_user`). A taken UPN is
    /// [`StoreError::Conflict`].
    pub async fn create_user(&self, new: &NewUser, now: i64) -> StoreResult<User> {
        let mut tx = self.begin_config_write().await?;
        let user = Self::insert_user(&mut tx, new, now).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Writes every field of `user` (looked up by id; `updated_at` as given).
    pub async fn update_user(&self, user: &User) -> StoreResult<()> {
        let mut tx = self.begin_config_write().await?;
        let n = sqlx::query(
            "UPDATE users SET upn = $1, upn_lower = $2, display_name = $3, given_name = $4, \
             surname = $5, mail = $6, department = $7, job_title = $8, employee_id = $9, \
             company_name = $10, extension_attributes = $11, enabled = $12, \
             sessions_valid_after = $13, updated_at = $14, password_change_required = $15 \
             WHERE id = $16",
        )
        .bind(&user.upn)
        .bind(upn_key(&user.upn))
        .bind(&user.display_name)
        .bind(&user.given_name)
        .bind(&user.surname)
        .bind(&user.mail)
        .bind(&user.department)
        .bind(&user.job_title)
        .bind(&user.employee_id)
        .bind(&user.company_name)
        .bind(ext_json(&user.extension_attributes)?)
        .bind(user.enabled)
        .bind(user.sessions_valid_after)
        .bind(user.updated_at)
        .bind(user.password_change_required)
        .bind(&user.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("user {}", user.id)));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a user with its memberships, assignments, roles and sessions. False when
    /// there was no such user.
    pub async fn delete_user(&self, id: &str) -> StoreResult<bool> {
        let mut tx = self.begin_config_write().await?;
        sqlx::query("DELETE FROM group_members WHERE member_id = $1 AND member_kind = 'user'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM app_assignments WHERE principal_id = $1 AND principal_kind = 'user'",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let n = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Replaces the password hash and ends the user's sessions: those stored are deleted,
    /// and any created before `now_ms` (Unix milliseconds) is refused.
    pub async fn set_password(&self, user_id: &str, hash: &str, now_ms: i64) -> StoreResult<()> {
        let mut tx = self.begin_config_write().await?;
        let n = sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now_ms.div_euclid(1000))
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("user {user_id}")));
        }
        super::sessions::end_user_sessions(&mut tx, user_id, now_ms).await?;
        tx.commit().await?;
        super::sessions::sessions_deleted();
        Ok(())
    }

    /// Within `tx` (a configuration write): replaces the password hash and ends the user's
    /// sessions except the one whose cookie hash is `keep`, which stays valid (its
    /// creation instant moves to `now_ms`, the new revocation instant). A password change
    /// by the user keeps the browser that made it signed in. Call
    /// [`Store::sessions_ended`] once `tx` commits.
    pub async fn password_replace_in(
        tx: &mut Transaction<'static, Any>,
        user_id: &str,
        hash: &str,
        now_ms: i64,
        keep: Option<&str>,
    ) -> StoreResult<()> {
        let n = sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now_ms.div_euclid(1000))
            .bind(user_id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("user {user_id}")));
        }
        let keep = keep.unwrap_or("");
        sqlx::query(
            "UPDATE users SET sessions_valid_after_ms = $1, sessions_valid_after = $2 WHERE id = $3",
        )
        .bind(now_ms)
        .bind(now_ms.div_euclid(1000))
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "DELETE FROM session_apps WHERE session_id_hash IN \
             (SELECT id_hash FROM sessions WHERE user_id = $1 AND id_hash <> $2)",
        )
        .bind(user_id)
        .bind(keep)
        .execute(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user_id)
            .bind(keep)
            .execute(&mut **tx)
            .await?;
        sqlx::query("UPDATE sessions SET created_at_ms = $1 WHERE user_id = $2 AND id_hash = $3")
            .bind(now_ms)
            .bind(user_id)
            .bind(keep)
            .execute(&mut **tx)
            .await?;
        super::sessions::sessions_deleted();
        Ok(())
    }

    /// Within `tx` (a configuration write): sets or clears Require password change at next
    /// sign-in on `user_id`. Call [`Store::sessions_ended`] once `tx` commits (sessions
    /// carry the flag and may be memoised).
    pub async fn password_change_required_in(
        tx: &mut Transaction<'static, Any>,
        user_id: &str,
        on: bool,
    ) -> StoreResult<()> {
        let n = sqlx::query("UPDATE users SET password_change_required = $1 WHERE id = $2")
            .bind(on)
            .bind(user_id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("user {user_id}")));
        }
        Ok(())
    }

    /// Tells this process's session cache that sessions were ended by a transaction
    /// that has committed ([`Store::password_replace_in`]).
    pub fn sessions_ended() {
        super::sessions::sessions_deleted();
    }

    /// Within `tx`: claims the user's "Your account was locked" notice at `now` (Unix
    /// seconds) when none was claimed in the `gap_secs` before; false when one was (or
    /// the user is gone). One conditional update, so two nodes locking the same user at
    /// once queue one notice.
    pub async fn lock_notice_claim(
        tx: &mut Transaction<'static, Any>,
        user_id: &str,
        now: i64,
        gap_secs: i64,
    ) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE users SET lock_notice_at = $1 WHERE id = $2 AND lock_notice_at <= $3",
        )
        .bind(now)
        .bind(user_id)
        .bind(now - gap_secs)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// The user's Argon2id PHC hash, if the user exists and has a password.
    pub async fn password_hash(&self, user_id: &str) -> StoreResult<Option<String>> {
        let h: Option<Option<String>> =
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(h.flatten())
    }

    /// How many users the directory holds.
    pub async fn users_count(&self) -> StoreResult<usize> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(self.pool())
            .await?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// The directory roles of a user ('Global Administrator', …).
    pub async fn user_roles(&self, user_id: &str) -> StoreResult<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role")
                .bind(user_id)
                .fetch_all(self.pool())
                .await?,
        )
    }
}
