//! `/api/v1/roles`, `/api/v1/tokens` and `/api/v1/settings` (Global Administrators).

use super::caller::Caller;
use super::error::ApiResult;
use super::extract::{ApiJson, ApiPath};
use crate::admin::settings::{self, Settings};
use crate::admin::tokens::{self, CreatedToken, TokenInfo};
use crate::admin::{roles, Permission, Role};
use crate::web::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_roles, assign_role))
        .routes(routes!(remove_role))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(get_settings, put_settings))
}

/// A user holding an administrator role.
#[derive(Debug, Clone, Serialize, ToSchema)]
struct RoleHolderDto {
    /// `Global Administrator` or `Application Administrator`.
    role: String,
    /// The user's object id.
    user_id: String,
    /// The user name.
    upn: String,
    /// The display name.
    display_name: String,
}

/// A role to grant.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"upn": "B.Simon@contoso.com", "role": "Application Administrator"}))]
struct RoleBody {
    /// The user, by user name.
    upn: String,
    /// `Global Administrator` or `Application Administrator`.
    role: String,
}

async fn holders(state: &AppState) -> ApiResult<Vec<RoleHolderDto>> {
    Ok(roles::holders(state.store())
        .await?
        .into_iter()
        .map(|h| RoleHolderDto {
            role: h.role.as_str().to_owned(),
            user_id: h.user_id,
            upn: h.upn,
            display_name: h.display_name,
        })
        .collect())
}

/// The administrators and their roles.
#[utoipa::path(get, path = "/api/v1/roles", tag = "roles",
    responses((status = 200, description = "Role holders", body = Vec<RoleHolderDto>)))]
async fn list_roles(
    caller: Caller,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<RoleHolderDto>>> {
    caller.require(Permission::ManageRoles)?;
    Ok(Json(holders(&state).await?))
}

/// Grant a role to a user.
#[utoipa::path(post, path = "/api/v1/roles", tag = "roles", request_body = RoleBody,
    responses((status = 200, description = "Role holders after the change", body = Vec<RoleHolderDto>)))]
async fn assign_role(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(b): ApiJson<RoleBody>,
) -> ApiResult<Json<Vec<RoleHolderDto>>> {
    caller.require(Permission::ManageRoles)?;
    let role = roles::parse_role(&b.role)?;
    roles::assign(
        state.store(),
        &caller.principal.actor,
        &b.upn,
        role,
        &caller.correlation,
    )
    .await?;
    state.config_changed().await;
    Ok(Json(holders(&state).await?))
}

/// Take a role from a user (the last Global Administrator keeps it).
#[utoipa::path(delete, path = "/api/v1/roles/{role}/{upn}", tag = "roles",
    params(("role" = String, Path, description = "`Global Administrator` or `Application Administrator`"),
           ("upn" = String, Path, description = "The user name")),
    responses((status = 200, description = "Role holders after the change", body = Vec<RoleHolderDto>)))]
async fn remove_role(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath((role, upn)): ApiPath<(String, String)>,
) -> ApiResult<Json<Vec<RoleHolderDto>>> {
    caller.require(Permission::ManageRoles)?;
    let role = roles::parse_role(&role)?;
    let removed = roles::remove(
        state.store(),
        &caller.principal.actor,
        &upn,
        role,
        &caller.correlation,
    )
    .await?;
    if !removed {
        return Err(super::error::ApiError::not_found(format!(
            "{upn} does not hold the role {role}"
        )));
    }
    state.config_changed().await;
    Ok(Json(holders(&state).await?))
}

/// An API token as listed (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
struct TokenDto {
    /// Token id.
    id: String,
    /// Name.
    name: String,
    /// The role it acts with.
    role: String,
    /// Who created it.
    created_by: String,
    /// Unix seconds.
    created_at: i64,
    /// Unix seconds.
    expires_at: i64,
    /// Unix seconds (at most a minute stale).
    last_used_at: Option<i64>,
    /// Unix seconds.
    revoked_at: Option<i64>,
    /// `active`, `expired` or `revoked`.
    status: String,
}

impl From<&TokenInfo> for TokenDto {
    fn from(t: &TokenInfo) -> Self {
        TokenDto {
            id: t.id.clone(),
            name: t.name.clone(),
            role: t.role.clone(),
            created_by: t.created_by.clone(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
            status: t.status.to_owned(),
        }
    }
}

/// A token to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "ci-deploy", "expires": "30d"}))]
struct TokenBody {
    /// Name (after what uses it).
    name: String,
    /// Lifetime (`30d`, `12h`) or an RFC 3339 date; default 90 days.
    #[serde(default)]
    expires: Option<String>,
    /// `Global Administrator` (default) or `Application Administrator`.
    #[serde(default)]
    role: Option<String>,
}

/// A new token and its secret, shown once.
#[derive(Debug, Clone, Serialize, ToSchema)]
struct CreatedTokenDto {
    /// The token.
    token: TokenDto,
    /// Send it as `Authorization: Bearer …`; it is never shown again.
    secret: String,
}

/// API tokens (without secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, description = "Tokens, newest first", body = Vec<TokenDto>)))]
async fn list_tokens(
    caller: Caller,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<TokenDto>>> {
    caller.require(Permission::ManageRoles)?;
    let list = tokens::list(state.store(), crate::tenant::now_unix()).await?;
    Ok(Json(list.iter().map(TokenDto::from).collect()))
}

/// Create an API token.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = TokenBody,
    responses((status = 201, description = "Created; the secret is shown once", body = CreatedTokenDto)))]
async fn create_token(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(b): ApiJson<TokenBody>,
) -> ApiResult<(StatusCode, Json<CreatedTokenDto>)> {
    caller.require(Permission::ManageRoles)?;
    let now = crate::tenant::now_unix();
    let role = match b.role.as_deref() {
        Some(r) => roles::parse_role(r)?,
        None => Role::GlobalAdministrator,
    };
    let expires_at = tokens::expiry(b.expires.as_deref(), now)?;
    let CreatedToken { token, secret } = tokens::create(
        state.store(),
        &caller.principal.actor,
        &b.name,
        role,
        expires_at,
        now,
        &caller.correlation,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTokenDto {
            token: TokenDto::from(&token),
            secret,
        }),
    ))
}

/// Revoke an API token (by id, or the name of one not revoked).
#[utoipa::path(delete, path = "/api/v1/tokens/{token}", tag = "tokens",
    params(("token" = String, Path, description = "Token id or name")),
    responses((status = 200, description = "The token, revoked", body = TokenDto)))]
async fn revoke_token(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<TokenDto>> {
    caller.require(Permission::ManageRoles)?;
    let t = tokens::revoke(
        state.store(),
        &caller.principal.actor,
        &key,
        crate::tenant::now_unix(),
        &caller.correlation,
    )
    .await?;
    Ok(Json(TokenDto::from(&t)))
}

/// Settings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"signin_log_retention_days": 30}))]
struct SettingsDto {
    /// How many days sign-in log rows are kept (1–1830; default 30).
    #[schema(minimum = 1, maximum = 1830)]
    signin_log_retention_days: i64,
}

/// Installation settings.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings",
    responses((status = 200, description = "Settings", body = SettingsDto)))]
async fn get_settings(
    caller: Caller,
    State(state): State<AppState>,
) -> ApiResult<Json<SettingsDto>> {
    caller.require(Permission::ManageRoles)?;
    let s = settings::get(state.store()).await?;
    Ok(Json(SettingsDto {
        signin_log_retention_days: s.signin_log_retention_days,
    }))
}

/// Change the settings.
#[utoipa::path(put, path = "/api/v1/settings", tag = "settings", request_body = SettingsDto,
    responses((status = 200, description = "Settings after the change", body = SettingsDto)))]
async fn put_settings(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(b): ApiJson<SettingsDto>,
) -> ApiResult<Json<SettingsDto>> {
    caller.require(Permission::ManageRoles)?;
    let s = settings::set(
        state.store(),
        &caller.principal.actor,
        &Settings {
            signin_log_retention_days: b.signin_log_retention_days,
        },
        &caller.correlation,
    )
    .await?;
    state.config_changed().await;
    Ok(Json(SettingsDto {
        signin_log_retention_days: s.signin_log_retention_days,
    }))
}
