//! Filtered, paged reads of the admin portal: sign-in logs by status and time range,
//! one sign-in row, audit rows by target and time range, one audit row. Portable SQL:
//! every filter is always bound, an empty or zero parameter disables it.

use super::audit::audit_from_row;
use super::users::user_from_row;
use super::{AuditRow, SigninRow, Store, StoreResult};
use crate::model::User;
use sqlx::any::AnyRow;
use sqlx::Row;

/// What the portal's sign-in log list filters on.
#[derive(Debug, Clone, Default)]
pub struct SigninSearch {
    /// Only this application id.
    pub app_id: Option<String>,
    /// Only users whose UPN contains this text (case-insensitive).
    pub user: Option<String>,
    /// Only this result: `success`, `failure` or `interrupted`.
    pub result: Option<String>,
    /// Only rows at or after this instant (Unix ms).
    pub from_ms: Option<i64>,
    /// Only rows before this instant (Unix ms).
    pub to_ms: Option<i64>,
    /// At most this many rows (newest first; 0: 50).
    pub limit: i64,
    /// Skip this many rows.
    pub offset: i64,
}

/// What the portal's Users list filters on.
#[derive(Debug, Clone, Default)]
pub struct UserSearch {
    /// Only users whose UPN, display name or mail contains this (case-insensitive).
    pub text: Option<String>,
    /// Only enabled (`Some(true)`) or disabled (`Some(false)`) accounts.
    pub enabled: Option<bool>,
    /// At most this many users, by UPN (0: 50).
    pub limit: i64,
    /// Skip this many.
    pub offset: i64,
}

/// What the portal's audit log list filters on.
#[derive(Debug, Clone, Default)]
pub struct AuditSearch {
    /// Only this actor (case-insensitive).
    pub actor: Option<String>,
    /// Only actions starting with this prefix.
    pub action_prefix: Option<String>,
    /// Only this target: its object id, or its name (case-insensitive).
    pub target: Option<String>,
    /// Only rows at or after this instant (Unix ms).
    pub from_ms: Option<i64>,
    /// Only rows before this instant (Unix ms).
    pub to_ms: Option<i64>,
    /// At most this many rows (newest first; 0: 50).
    pub limit: i64,
    /// Skip this many rows.
    pub offset: i64,
}

/// `text` lower-cased and escaped for `LIKE … ESCAPE '\'`, between `%`.
fn contains_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

macro_rules! signin_columns {
    () => {
        "id, time_ms, user_id, upn, app_id, app_name, client_ip, result, error_code, \
         request_id, correlation_id, details, saml_request, saml_response"
    };
}

fn signin_from_row(r: &AnyRow) -> StoreResult<SigninRow> {
    Ok(SigninRow {
        id: r.try_get("id")?,
        time_ms: r.try_get("time_ms")?,
        user_id: r.try_get("user_id")?,
        upn: r.try_get("upn")?,
        app_id: r.try_get("app_id")?,
        app_name: r.try_get("app_name")?,
        client_ip: r.try_get("client_ip")?,
        result: r.try_get("result")?,
        error_code: r.try_get("error_code")?,
        request_id: r.try_get("request_id")?,
        correlation_id: r.try_get("correlation_id")?,
        details: r.try_get("details")?,
        saml_request: r.try_get("saml_request")?,
        saml_response: r.try_get("saml_response")?,
    })
}

fn limit_of(n: i64) -> i64 {
    if n > 0 {
        n.min(1000)
    } else {
        50
    }
}

/// The WHERE clause of [`Store::users_search`] and its count.
macro_rules! users_where {
    () => {
        " FROM users WHERE ($1 = '%%' OR upn_lower LIKE $1 ESCAPE '\\' \
         OR LOWER(display_name) LIKE $1 ESCAPE '\\' OR LOWER(mail) LIKE $1 ESCAPE '\\') \
         AND ($2 = '' OR enabled = $3)"
    };
}

impl Store {
    /// One page of users matching `f`, by UPN, and how many match in all.
    pub async fn users_search(&self, f: &UserSearch) -> StoreResult<(Vec<User>, i64)> {
        let pattern = contains_pattern(f.text.as_deref().map(str::trim).unwrap_or(""));
        let status = if f.enabled.is_some() { "set" } else { "" };
        let enabled = f.enabled.unwrap_or(true);
        let total: i64 = sqlx::query_scalar(concat!("SELECT COUNT(*)", users_where!()))
            .bind(&pattern)
            .bind(status)
            .bind(enabled)
            .fetch_one(self.pool())
            .await?;
        let rows = sqlx::query(concat!(
            "SELECT id, upn, display_name, given_name, surname, mail, department, job_title, \
             employee_id, company_name, extension_attributes, enabled, sessions_valid_after, \
             password_change_required, created_at, updated_at",
            users_where!(),
            " ORDER BY upn_lower LIMIT $4 OFFSET $5"
        ))
        .bind(&pattern)
        .bind(status)
        .bind(enabled)
        .bind(limit_of(f.limit))
        .bind(f.offset.max(0))
        .fetch_all(self.pool())
        .await?;
        let users = rows
            .iter()
            .map(user_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((users, total))
    }

    /// Sign-in rows matching `f`, newest first, without their SAML messages (the list
    /// does not show them: [`Store::signin_by_id`] has them).
    pub async fn signins_search(&self, f: &SigninSearch) -> StoreResult<Vec<SigninRow>> {
        let rows = sqlx::query(
            "SELECT id, time_ms, user_id, upn, app_id, app_name, client_ip, result, error_code, \
             request_id, correlation_id, details, '' AS saml_request, '' AS saml_response \
             FROM signin_logs \
             WHERE ($1 = '' OR app_id = $1) AND ($2 = '%%' OR LOWER(upn) LIKE $2 ESCAPE '\\') \
             AND ($3 = '' OR result = $3) AND time_ms >= $4 AND time_ms < $5 \
             ORDER BY time_ms DESC, id DESC LIMIT $6 OFFSET $7",
        )
        .bind(f.app_id.clone().unwrap_or_default())
        .bind(contains_pattern(f.user.as_deref().unwrap_or("")))
        .bind(f.result.clone().unwrap_or_default())
        .bind(f.from_ms.unwrap_or(0))
        .bind(f.to_ms.unwrap_or(i64::MAX))
        .bind(limit_of(f.limit))
        .bind(f.offset.max(0))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(signin_from_row).collect()
    }

    /// One sign-in row with its SAML messages.
    pub async fn signin_by_id(&self, id: &str) -> StoreResult<Option<SigninRow>> {
        sqlx::query(concat!(
            "SELECT ",
            signin_columns!(),
            " FROM signin_logs WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(signin_from_row)
        .transpose()
    }

    /// Audit rows matching `f`, newest first.
    pub async fn audit_search(&self, f: &AuditSearch) -> StoreResult<Vec<AuditRow>> {
        let target = f.target.as_deref().map(str::trim).unwrap_or("");
        let rows = sqlx::query(concat!(
            "SELECT ",
            audit_columns!(),
            " FROM audit_log \
             WHERE ($1 = '' OR LOWER(actor) = $1) \
             AND ($2 = '' OR SUBSTR(action, 1, LENGTH($2)) = $2) \
             AND ($3 = '' OR target_id = $3 OR LOWER(target_name) = $4) \
             AND time_ms >= $5 AND time_ms < $6 \
             ORDER BY time_ms DESC, id DESC LIMIT $7 OFFSET $8"
        ))
        .bind(
            f.actor
                .as_deref()
                .map(|a| a.trim().to_lowercase())
                .unwrap_or_default(),
        )
        .bind(f.action_prefix.clone().unwrap_or_default())
        .bind(target.to_owned())
        .bind(target.to_lowercase())
        .bind(f.from_ms.unwrap_or(0))
        .bind(f.to_ms.unwrap_or(i64::MAX))
        .bind(limit_of(f.limit))
        .bind(f.offset.max(0))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(audit_from_row).collect()
    }

    /// One audit row.
    pub async fn audit_by_id(&self, id: &str) -> StoreResult<Option<AuditRow>> {
        sqlx::query(concat!(
            "SELECT ",
            audit_columns!(),
            " FROM audit_log WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(audit_from_row)
        .transpose()
    }

    /// How many audit rows there are (the portal's tests compare it before and after).
    pub async fn audit_count(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
            .fetch_one(self.pool())
            .await?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn row(id: &str, t: i64, upn: &str, result: &str) -> SigninRow {
        SigninRow {
            id: id.into(),
            time_ms: t,
            user_id: None,
            upn: upn.into(),
            app_id: Some("app1".into()),
            app_name: "App".into(),
            client_ip: "127.0.0.1".into(),
            result: result.into(),
            error_code: if result == "success" {
                String::new()
            } else {
                "SESAME50126".into()
            },
            request_id: String::new(),
            correlation_id: id.into(),
            details: String::new(),
            saml_request: "<x/>".into(),
            saml_response: String::new(),
        }
    }

    #[tokio::test]
    async fn signins_filter_page_and_by_id() {
        let t = crate::store::suite::test_store().await;
        let s = &t.store;
        s.signins_insert(&[
            row("a", 1000, "B.Simon@contoso.com", "success"),
            row("b", 2000, "B.Simon@contoso.com", "failure"),
            row("c", 3000, "admin@sesame.local", "interrupted"),
            row("d", 4000, "x_y@contoso.com", "failure"),
        ])
        .await
        .unwrap();
        let all = s.signins_search(&SigninSearch::default()).await.unwrap();
        let ids: Vec<_> = all.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["d", "c", "b", "a"]);
        assert!(all[0].saml_request.is_empty());
        let f = SigninSearch {
            user: Some("simon".into()),
            result: Some("failure".into()),
            ..SigninSearch::default()
        };
        assert_eq!(s.signins_search(&f).await.unwrap().len(), 1);
        // '_' is not a wildcard.
        let f = SigninSearch {
            user: Some("x_y".into()),
            ..SigninSearch::default()
        };
        assert_eq!(s.signins_search(&f).await.unwrap().len(), 1);
        let f = SigninSearch {
            from_ms: Some(2000),
            to_ms: Some(4000),
            limit: 1,
            offset: 1,
            ..SigninSearch::default()
        };
        let page = s.signins_search(&f).await.unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].id, "b");
        let one = s.signin_by_id("a").await.unwrap().unwrap();
        assert_eq!(one.saml_request, "<x/>");
        assert!(s.signin_by_id("zz").await.unwrap().is_none());
    }
}
