//! `/api/v1/authentication-methods-policy` (the Authentication methods policy: read it,
//! replace it whole) and a user's authentication methods:
//! `/api/v1/users/{user}/authentication-methods` (list, delete one, Require re-register
//! MFA) and `/api/v1/users/{user}/revoke-sessions`. The rules and the audit log are
//! `crate::methods`'s; this file decodes and renders.

use super::caller::Caller;
use super::directory::find_user;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath};
use crate::admin::Permission;
use crate::methods::policy::{
    self, MethodsPolicy, PolicyError, PolicyMethod, SettingChange, Target,
};
use crate::methods::{self, By, MethodError};
use crate::model::MethodKind;
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
        .routes(routes!(get_policy, put_policy))
        .routes(routes!(list_methods))
        .routes(routes!(delete_method))
        .routes(routes!(require_reregister))
        .routes(routes!(revoke_sessions))
}

fn by(caller: &Caller) -> By<'_> {
    By {
        actor: &caller.principal.actor,
        correlation_id: &caller.correlation,
    }
}

impl From<PolicyError> for ApiError {
    fn from(e: PolicyError) -> Self {
        match e {
            PolicyError::Invalid(m) => ApiError::invalid(m),
            PolicyError::Store(s) => s.into(),
        }
    }
}

impl From<MethodError> for ApiError {
    fn from(e: MethodError) -> Self {
        match e {
            MethodError::NotFound => ApiError::not_found(
                "the user has no authentication method with this id; GET /api/v1/users/{user}/authentication-methods lists them",
            ),
            MethodError::Store(s) => s.into(),
            other => ApiError::new(crate::admin::errors::AdminCode::Internal, other.to_string()),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The policy

/// One method's setting.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MethodSettingDto {
    /// Whether the method may be registered and used.
    pub enabled: bool,
    /// The groups it is enabled for (names on input, names or ids; the output gives
    /// names); empty or absent: all users.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// The passkeys' setting: as the others, with the key restrictions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeySettingDto {
    /// Whether passkeys may be registered and used.
    pub enabled: bool,
    /// The groups they are enabled for; empty or absent: all users.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Enforce key restrictions: the AAGUIDs of the authenticator models allowed
    /// (8-4-4-4-12 hex); empty or absent: any authenticator.
    #[serde(default)]
    pub aaguids: Vec<String>,
}

/// The Authentication methods policy.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MethodsPolicyDto {
    /// Passkey (FIDO2).
    pub passkey: PasskeySettingDto,
    /// Authenticator app.
    pub authenticator_app: MethodSettingDto,
    /// Recovery codes.
    pub recovery_codes: MethodSettingDto,
}

async fn dto(state: &AppState, p: &MethodsPolicy) -> ApiResult<MethodsPolicyDto> {
    let store = state.store();
    let names = |m: PolicyMethod| policy::group_names(store, &p.setting(m).groups);
    Ok(MethodsPolicyDto {
        passkey: PasskeySettingDto {
            enabled: p.passkey.enabled,
            groups: names(PolicyMethod::Passkey).await?,
            aaguids: p.aaguids.clone(),
        },
        authenticator_app: MethodSettingDto {
            enabled: p.authenticator_app.enabled,
            groups: names(PolicyMethod::AuthenticatorApp).await?,
        },
        recovery_codes: MethodSettingDto {
            enabled: p.recovery_codes.enabled,
            groups: names(PolicyMethod::RecoveryCodes).await?,
        },
    })
}

fn target(groups: &[String]) -> Target {
    if groups.is_empty() {
        Target::All
    } else {
        Target::Groups(groups.to_vec())
    }
}

/// The Authentication methods policy: which methods are enabled, for whom, and the
/// passkeys' allowed AAGUIDs.
#[utoipa::path(get, path = "/api/v1/authentication-methods-policy", tag = "authentication methods",
    responses((status = 200, description = "The policy", body = MethodsPolicyDto)))]
async fn get_policy(
    caller: Caller,
    State(state): State<AppState>,
) -> ApiResult<Json<MethodsPolicyDto>> {
    caller.require(Permission::ManageRoles)?;
    let p = policy::get(state.store()).await?;
    Ok(Json(dto(&state, &p).await?))
}

/// Replace the Authentication methods policy (every method's setting at once; groups by
/// name or id, checked; AAGUIDs checked). Audit-logged.
#[utoipa::path(put, path = "/api/v1/authentication-methods-policy", tag = "authentication methods",
    request_body = MethodsPolicyDto,
    responses((status = 200, description = "The policy saved", body = MethodsPolicyDto)))]
async fn put_policy(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(b): ApiJson<MethodsPolicyDto>,
) -> ApiResult<Json<MethodsPolicyDto>> {
    caller.require(Permission::ManageRoles)?;
    let store = state.store();
    let mut p = MethodsPolicy::default();
    p = policy::changed(
        store,
        p,
        PolicyMethod::Passkey,
        SettingChange {
            enabled: Some(b.passkey.enabled),
            target: Some(target(&b.passkey.groups)),
            aaguids: Some(b.passkey.aaguids.clone()),
        },
    )
    .await?;
    for (m, s) in [
        (PolicyMethod::AuthenticatorApp, &b.authenticator_app),
        (PolicyMethod::RecoveryCodes, &b.recovery_codes),
    ] {
        p = policy::changed(
            store,
            p,
            m,
            SettingChange {
                enabled: Some(s.enabled),
                target: Some(target(&s.groups)),
                aaguids: None,
            },
        )
        .await?;
    }
    let saved =
        methods::admin::save_policy(store, &p, crate::clock::now_unix(), by(&caller)).await?;
    Ok(Json(dto(&state, &saved).await?))
}

// ---------------------------------------------------------------------------------------
// A user's methods

/// One authentication method of a user (no secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuthMethodDto {
    /// Its id.
    pub id: String,
    /// `totp`, `recovery` or `passkey`.
    pub kind: String,
    /// The name the user gave it.
    pub name: String,
    /// When it was registered (Unix seconds).
    pub created_at: i64,
    /// When it was last used (Unix seconds; 0: never).
    pub last_used_at: i64,
    /// Recovery codes: how many are left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codes_left: Option<usize>,
    /// Passkeys: the authenticator model's AAGUID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aaguid: Option<String>,
    /// Retired by Require re-register MFA: listed, no longer accepted.
    pub reregister_required: bool,
}

/// The user's authentication methods, oldest first.
#[utoipa::path(get, path = "/api/v1/users/{user}/authentication-methods", tag = "users",
    params(("user" = String, Path, description = "Object id or user name")),
    responses((status = 200, description = "Methods", body = Vec<AuthMethodDto>)))]
async fn list_methods(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<Vec<AuthMethodDto>>> {
    caller.require(Permission::ReadDirectory)?;
    let store = state.store();
    let u = find_user(&state, &key).await?;
    let list = methods::list(store, &u.id).await?;
    let passkeys = methods::passkey::credentials(store, &u.id).await?;
    let retired = methods::retired(store, &u.id).await?;
    let mut out = Vec::with_capacity(list.len());
    for m in list {
        let codes_left = if m.kind == MethodKind::Recovery {
            Some(methods::recovery_codes_left(store, &m.id).await?)
        } else {
            None
        };
        out.push(AuthMethodDto {
            aaguid: passkeys
                .iter()
                .find(|c| c.method_id == m.id)
                .map(|c| c.aaguid.clone()),
            reregister_required: retired.contains(&m.id),
            id: m.id,
            kind: m.kind.as_str().to_owned(),
            name: m.name,
            created_at: m.created_at,
            last_used_at: m.last_used_at,
            codes_left,
        });
    }
    Ok(Json(out))
}

/// Delete one of the user's authentication methods (for a user who lost it).
#[utoipa::path(delete, path = "/api/v1/users/{user}/authentication-methods/{method}", tag = "users",
    params(("user" = String, Path, description = "Object id or user name"),
           ("method" = String, Path, description = "The method's id")),
    responses((status = 204, description = "Deleted")))]
async fn delete_method(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath((key, method)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    caller.require(Permission::ManageDirectory)?;
    let u = find_user(&state, &key).await?;
    methods::admin_delete(state.store(), &u, method.trim(), by(&caller)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What Require re-register MFA did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReregisterDto {
    /// The user's object id.
    pub user: String,
    /// How many authenticator apps and recovery-code sets were retired now.
    pub retired_methods: u64,
}

/// Require re-register MFA: the user's authenticator apps and recovery codes are no
/// longer accepted; the next sign-in that needs a second factor registers a new method
/// (passkeys stay usable).
#[utoipa::path(post, path = "/api/v1/users/{user}/authentication-methods/require-reregister", tag = "users",
    params(("user" = String, Path, description = "Object id or user name")),
    responses((status = 200, description = "Done", body = ReregisterDto)))]
async fn require_reregister(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<ReregisterDto>> {
    caller.require(Permission::ManageDirectory)?;
    let u = find_user(&state, &key).await?;
    let n = methods::admin::require_reregister(
        state.store(),
        &u,
        crate::clock::now_unix(),
        by(&caller),
    )
    .await?;
    Ok(Json(ReregisterDto {
        user: u.id,
        retired_methods: n,
    }))
}

/// What Revoke sessions did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RevokedDto {
    /// The user's object id.
    pub user: String,
    /// How many sessions ended.
    pub revoked_sessions: u64,
}

/// Revoke sessions: every session of the user ends, at every node; the next request
/// needs a new sign-in.
#[utoipa::path(post, path = "/api/v1/users/{user}/revoke-sessions", tag = "users",
    params(("user" = String, Path, description = "Object id or user name")),
    responses((status = 200, description = "Done", body = RevokedDto)))]
async fn revoke_sessions(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<RevokedDto>> {
    caller.require(Permission::ManageDirectory)?;
    let u = find_user(&state, &key).await?;
    let n = methods::admin::revoke_sessions(
        state.store(),
        &u,
        crate::clock::now_unix_ms(),
        by(&caller),
    )
    .await?;
    Ok(Json(RevokedDto {
        user: u.id,
        revoked_sessions: n,
    }))
}
