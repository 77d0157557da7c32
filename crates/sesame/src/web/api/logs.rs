//! `/api/v1/signins` (sign-in logs) and `/api/v1/audit` (the audit log).

use super::caller::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiPath, ApiQuery};
use crate::admin::tokens::parse_since;
use crate::admin::Permission;
use crate::store::{AuditFilter, AuditRow, SigninFilter, SigninRow};
use crate::web::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_signins))
        .routes(routes!(get_signin))
        .routes(routes!(list_audit))
}

/// The sign-in log filter.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SigninQuery {
    /// Only this application (id or unique name).
    #[serde(default)]
    app: Option<String>,
    /// Only this user name.
    #[serde(default)]
    user: Option<String>,
    /// `success` or `failure` (failure: every row that is not a success).
    #[serde(default)]
    status: Option<String>,
    /// Only rows since: a duration back from now (`2h`, `7d`) or an RFC 3339 date-time.
    #[serde(default)]
    since: Option<String>,
    /// At most this many rows, newest first (1–1000, default 100).
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// One sign-in, as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
struct SigninDto {
    /// Row id.
    id: String,
    /// Unix milliseconds.
    time_ms: i64,
    /// The user's object id, when known.
    user_id: Option<String>,
    /// The user name.
    upn: String,
    /// The application's id, when known.
    app_id: Option<String>,
    /// The application's name.
    app_name: String,
    /// Client address.
    client_ip: String,
    /// `success`, `failure` or `interrupted`.
    result: String,
    /// `SESAME…` code of a failure.
    error_code: String,
    /// The SAML request ID.
    request_id: String,
    /// The correlation id.
    correlation_id: String,
    /// Short description.
    details: String,
}

/// One sign-in with its details: the error explained and the decoded SAML messages.
#[derive(Debug, Clone, Serialize, ToSchema)]
struct SigninDetails {
    /// The row.
    #[serde(flatten)]
    row: SigninDto,
    /// The error code's title, when failed.
    error_title: Option<String>,
    /// What the code means.
    error_explanation: Option<String>,
    /// What to fix.
    error_fix: Option<String>,
    /// The decoded AuthnRequest (XML), `""` when none.
    saml_request: String,
    /// The Response sent (XML, the content of its SignatureValue and X509Certificate elements removed), `""` when none.
    saml_response: String,
}

fn dto(r: &SigninRow) -> SigninDto {
    SigninDto {
        id: r.id.clone(),
        time_ms: r.time_ms,
        user_id: r.user_id.clone(),
        upn: r.upn.clone(),
        app_id: r.app_id.clone(),
        app_name: r.app_name.clone(),
        client_ip: r.client_ip.clone(),
        result: r.result.clone(),
        error_code: r.error_code.clone(),
        request_id: r.request_id.clone(),
        correlation_id: r.correlation_id.clone(),
        details: r.details.clone(),
    }
}

fn since_ms(since: Option<&str>) -> ApiResult<Option<i64>> {
    since
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            parse_since(s, crate::tenant::now_unix())
                .map(|t| t.saturating_mul(1000))
                .ok_or_else(|| {
                    ApiError::invalid(format!(
                        "since {s:?}: give a duration (30m, 2h, 7d) or an RFC 3339 date-time (2026-01-31T00:00:00Z)"
                    ))
                })
        })
        .transpose()
}

fn limit(l: Option<i64>) -> ApiResult<i64> {
    match l {
        None => Ok(100),
        Some(n @ 1..=1000) => Ok(n),
        Some(n) => Err(ApiError::invalid(format!("limit {n}: give 1 to 1000"))),
    }
}

/// Sign-in logs, newest first, filtered by application, user, status and time.
#[utoipa::path(get, path = "/api/v1/signins", tag = "logs", params(SigninQuery),
    responses((status = 200, description = "Sign-ins", body = Vec<SigninDto>)))]
async fn list_signins(
    caller: Caller,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<SigninQuery>,
) -> ApiResult<Json<Vec<SigninDto>>> {
    caller.require(Permission::ReadSignins)?;
    let failures_only = match q.status.as_deref().map(str::trim) {
        None | Some("") => false,
        Some("failure") => true,
        Some("success") => false,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "status {other:?}: give success or failure"
            )))
        }
    };
    let successes_only = q.status.as_deref().map(str::trim) == Some("success");
    let app_id = match q.app.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(a) => Some(crate::apps::resolve_app(state.store(), a).await?.id),
        None => None,
    };
    let f = SigninFilter {
        app_id,
        upn: q.user.filter(|s| !s.trim().is_empty()),
        since_ms: since_ms(q.since.as_deref())?,
        failures_only,
        successes_only,
        with_messages: false,
        limit: limit(q.limit)?,
    };
    let rows = state.store().signins_list(&f).await?;
    Ok(Json(rows.iter().map(dto).collect()))
}

/// One sign-in's details.
#[utoipa::path(get, path = "/api/v1/signins/{id}", tag = "logs",
    params(("id" = String, Path, description = "The row id")),
    responses((status = 200, description = "The sign-in", body = SigninDetails)))]
async fn get_signin(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<SigninDetails>> {
    caller.require(Permission::ReadSignins)?;
    let r = state
        .store()
        .signin_by_id(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no sign-in log row has the id {id}")))?;
    let code = crate::sso::ErrorCode::ALL
        .iter()
        .find(|c| c.code() == r.error_code)
        .copied();
    Ok(Json(SigninDetails {
        row: dto(&r),
        error_title: code.map(|c| c.title().to_owned()),
        error_explanation: code.map(|c| c.explanation().to_owned()),
        error_fix: code.map(|c| c.fix().to_owned()),
        saml_request: r.saml_request,
        saml_response: r.saml_response,
    }))
}

/// The audit log filter.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Only rows since: a duration back from now (`2h`, `7d`) or an RFC 3339 date-time.
    #[serde(default)]
    since: Option<String>,
    /// Only actions starting with this (`app.`, `user.create`).
    #[serde(default)]
    action: Option<String>,
    /// Only this actor (user name, token name or operating-system user).
    #[serde(default)]
    actor: Option<String>,
    /// Only changes of this object id.
    #[serde(default)]
    target: Option<String>,
    /// At most this many rows, newest first (1–1000, default 100).
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// One audit log row.
#[derive(Debug, Clone, Serialize, ToSchema)]
struct AuditDto {
    /// Row id.
    id: String,
    /// Unix milliseconds.
    time_ms: i64,
    /// `user`, `token`, `cli` or `system`.
    actor_kind: String,
    /// Who: user name, token name, operating-system user.
    actor: String,
    /// The administrator's or token's id.
    actor_id: String,
    /// What: `user.create`, `app.saml.update`, …
    action: String,
    /// The kind of object changed.
    target_kind: String,
    /// Its id.
    target_id: String,
    /// Its name.
    target_name: String,
    /// The object before (JSON text, secrets redacted), `""` when it did not exist.
    before_json: String,
    /// The object after (JSON text, secrets redacted), `""` when it no longer exists.
    after_json: String,
    /// The request's correlation id (`""` for the CLI).
    correlation_id: String,
}

impl From<AuditRow> for AuditDto {
    fn from(r: AuditRow) -> Self {
        AuditDto {
            id: r.id,
            time_ms: r.time_ms,
            actor_kind: r.actor_kind,
            actor: r.actor,
            actor_id: r.actor_id,
            action: r.action,
            target_kind: r.target_kind,
            target_id: r.target_id,
            target_name: r.target_name,
            before_json: r.before_json,
            after_json: r.after_json,
            correlation_id: r.correlation_id,
        }
    }
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "logs", params(AuditQuery),
    responses((status = 200, description = "Audit rows", body = Vec<AuditDto>)))]
async fn list_audit(
    caller: Caller,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditDto>>> {
    caller.require(Permission::ReadAudit)?;
    let f = AuditFilter {
        target_id: q.target.filter(|s| !s.is_empty()),
        action_prefix: q.action.filter(|s| !s.is_empty()),
        actor: q.actor.filter(|s| !s.is_empty()),
        since_ms: since_ms(q.since.as_deref())?,
        limit: limit(q.limit)?,
    };
    let rows = crate::admin::audit::list(state.store(), &f).await?;
    Ok(Json(rows.into_iter().map(AuditDto::from).collect()))
}
