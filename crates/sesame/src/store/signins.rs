//! Sign-in logs (`signin_logs`): written in batches by `sso::signin_log`, read by
//! `sesame signins`.

use super::{Store, StoreResult};
use serde::Serialize;
use sqlx::Row;

/// Rows per statement of [`Store::signins_insert`] (14 parameters each). Small: SQLite
/// looks a parameter's name up by a linear scan (`sqlite3_bind_parameter_name`, which
/// sqlx calls for each), so binding costs grow with the square of the parameters.
pub const SIGNIN_ROWS_PER_STATEMENT: usize = 8;

/// One sign-in attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SigninRow {
    /// Row id (UUID).
    pub id: String,
    /// When (Unix milliseconds).
    pub time_ms: i64,
    /// The user's object id, when known.
    pub user_id: Option<String>,
    /// The name typed or the session's user.
    pub upn: String,
    /// The application's id, when known.
    pub app_id: Option<String>,
    /// The application's name, when known.
    pub app_name: String,
    /// The client's address.
    pub client_ip: String,
    /// `success`, `failure` or `interrupted`.
    pub result: String,
    /// `SESAME…` code of a failure.
    pub error_code: String,
    /// The SAML request ID, when there was one.
    pub request_id: String,
    /// The correlation id shown on error pages.
    pub correlation_id: String,
    /// A short description.
    pub details: String,
    /// The decoded SAML request (XML), '' when there was none or it is not kept.
    pub saml_request: String,
    /// The SAML Response sent (XML, its SignatureValue removed), ''
    /// when none was sent or it is not kept.
    pub saml_response: String,
}

/// What `sesame signins` filters on.
#[derive(Debug, Clone, Default)]
pub struct SigninFilter {
    /// Only this application id.
    pub app_id: Option<String>,
    /// Only this UPN (case-insensitive).
    pub upn: Option<String>,
    /// Only rows at or after this instant (Unix ms).
    pub since_ms: Option<i64>,
    /// Only failures.
    pub failures_only: bool,
    /// Only successes (filtered in SQL, before the limit).
    pub successes_only: bool,
    /// Also read the SAML messages (`sesame signins --json`, an export); list views
    /// leave them out.
    pub with_messages: bool,
    /// At most this many rows (newest first).
    pub limit: i64,
}

impl Store {
    /// Writes a batch of rows in one transaction, [`SIGNIN_ROWS_PER_STATEMENT`] rows per
    /// statement (one round trip to the database each, not one per row).
    pub async fn signins_insert(&self, rows: &[SigninRow]) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool().begin().await?;
        for chunk in rows.chunks(SIGNIN_ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO signin_logs (id, time_ms, user_id, upn, app_id, app_name, client_ip, \
                 result, error_code, request_id, correlation_id, details, saml_request, saml_response) \
                 VALUES {} ON CONFLICT (id) DO NOTHING",
                super::replay::values_list(chunk.len(), 14)
            );
            // Only placeholders are formatted in: no injection.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(&r.id)
                    .bind(r.time_ms)
                    .bind(r.user_id.as_deref())
                    .bind(&r.upn)
                    .bind(r.app_id.as_deref())
                    .bind(&r.app_name)
                    .bind(&r.client_ip)
                    .bind(&r.result)
                    .bind(&r.error_code)
                    .bind(&r.request_id)
                    .bind(&r.correlation_id)
                    .bind(&r.details)
                    .bind(&r.saml_request)
                    .bind(&r.saml_response);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Rows matching `f`, newest first, without their SAML messages unless
    /// `f.with_messages` (a list shows none; `Store::signin_by_id` reads them for one row).
    pub async fn signins_list(&self, f: &SigninFilter) -> StoreResult<Vec<SigninRow>> {
        // Portable: every filter is always bound; a NULL/false parameter disables it.
        let rows = sqlx::query(
            "SELECT id, time_ms, user_id, upn, app_id, app_name, client_ip, result, error_code, \
             request_id, correlation_id, details, \
             CASE WHEN $1 = 1 THEN saml_request ELSE '' END AS saml_request, \
             CASE WHEN $1 = 1 THEN saml_response ELSE '' END AS saml_response \
             FROM signin_logs \
             WHERE ($2 = '' OR app_id = $2) AND ($3 = '' OR LOWER(upn) = $3) AND time_ms >= $4 \
             AND ($5 = 0 OR result <> 'success') AND ($6 = 0 OR result = 'success') \
             ORDER BY time_ms DESC LIMIT $7",
        )
        .bind(i64::from(f.with_messages))
        .bind(f.app_id.clone().unwrap_or_default())
        .bind(f.upn.as_deref().map(str::to_lowercase).unwrap_or_default())
        .bind(f.since_ms.unwrap_or(0))
        .bind(i64::from(f.failures_only))
        .bind(i64::from(f.successes_only))
        .bind(if f.limit > 0 { f.limit } else { 1000 })
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
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
            })
            .collect()
    }
}

impl Store {
    /// Clears the SAML messages of the successful sign-ins of `app_id` older than its
    /// newest `keep` ones (rows at the same millisecond as the `keep`-th are kept);
    /// returns how many rows were cleared.
    pub async fn signins_trim_success_messages(&self, app_id: &str, keep: i64) -> StoreResult<u64> {
        let r = sqlx::query(
            "UPDATE signin_logs SET saml_request = '', saml_response = '' \
             WHERE app_id = $1 AND result = 'success' \
             AND (saml_request <> '' OR saml_response <> '') \
             AND time_ms < (SELECT time_ms FROM signin_logs WHERE app_id = $1 \
             AND result = 'success' ORDER BY time_ms DESC LIMIT 1 OFFSET $2)",
        )
        .bind(app_id)
        .bind((keep - 1).max(0))
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected())
    }

    /// Captures every SAML message of `app_id`'s sign-ins until `until_ms` (Unix ms);
    /// `None` stops capturing.
    pub async fn capture_set(&self, app_id: &str, until_ms: Option<i64>) -> StoreResult<()> {
        match until_ms {
            Some(t) => {
                sqlx::query(
                    "INSERT INTO message_capture (app_id, until_ms) VALUES ($1, $2) \
                     ON CONFLICT (app_id) DO UPDATE SET until_ms = excluded.until_ms",
                )
                .bind(app_id)
                .bind(t)
                .execute(self.pool())
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM message_capture WHERE app_id = $1")
                    .bind(app_id)
                    .execute(self.pool())
                    .await?;
            }
        }
        Ok(())
    }

    /// Until when `app_id`'s messages are captured (Unix ms), when a capture was set.
    pub async fn capture_until(&self, app_id: &str) -> StoreResult<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT until_ms FROM message_capture WHERE app_id = $1")
                .bind(app_id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// The applications whose messages are captured at `now_ms`.
    pub async fn captures_active(&self, now_ms: i64) -> StoreResult<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT app_id FROM message_capture WHERE until_ms > $1")
                .bind(now_ms)
                .fetch_all(self.pool())
                .await?,
        )
    }
}
