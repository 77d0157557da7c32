//! `/api/v1/settings/password-reset` (Global Administrators): who may use Forgot my
//! password — `none`, `selected` (groups by name) or `all` — validated and audited by
//! `selfservice::reset`, like Settings → Password reset.

use super::caller::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::ApiJson;
use crate::admin::Permission;
use crate::selfservice::reset::{self, ResetSettings};
use crate::selfservice::SelfServiceError;
use crate::web::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_password_reset, put_password_reset))
}

/// Who may reset their own password (Forgot my password on the sign-in page).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"scope": "selected", "groups": ["Sales"]}))]
struct PasswordResetDto {
    /// `none`, `selected` (the members of `groups`, transitively) or `all` (the default).
    #[schema(example = "all")]
    scope: String,
    /// With `selected`: the groups' names (or object ids).
    #[serde(default)]
    groups: Vec<String>,
}

fn dto(s: &ResetSettings) -> PasswordResetDto {
    PasswordResetDto {
        scope: s.scope.as_str().to_owned(),
        groups: s.groups.iter().map(|g| g.name.clone()).collect(),
    }
}

/// The Password reset setting.
#[utoipa::path(get, path = "/api/v1/settings/password-reset", tag = "settings",
    responses((status = 200, description = "Who may reset their own password", body = PasswordResetDto)))]
async fn get_password_reset(
    caller: Caller,
    State(state): State<AppState>,
) -> ApiResult<Json<PasswordResetDto>> {
    caller.require(Permission::ManageRoles)?;
    let s = reset::settings(state.store()).await?;
    Ok(Json(dto(&s)))
}

/// Change who may reset their own password.
#[utoipa::path(put, path = "/api/v1/settings/password-reset", tag = "settings", request_body = PasswordResetDto,
    responses((status = 200, description = "The setting after the change", body = PasswordResetDto)))]
async fn put_password_reset(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(b): ApiJson<PasswordResetDto>,
) -> ApiResult<Json<PasswordResetDto>> {
    caller.require(Permission::ManageRoles)?;
    if b.groups.len() > 1000 {
        return Err(ApiError::invalid("groups: give at most 1000"));
    }
    match reset::save_settings(
        state.store(),
        &caller.principal.actor,
        &b.scope,
        &b.groups,
        &caller.correlation,
    )
    .await
    {
        Ok(s) => Ok(Json(dto(&s))),
        Err(e @ SelfServiceError::Link { .. }) => Err(ApiError::invalid(e.to_string())),
        Err(SelfServiceError::Store(s)) => Err(s.into()),
        Err(e) => Err(ApiError::internal(&e)),
    }
}
