//! `/api/v1/conditional-access/…`: Conditional Access policies and named locations, and
//! What If — Global Administrators only, every rule and the audit log in `crate::access`.
//! A policy is read with the field names of `sesame policy show --json`: users, groups,
//! applications and locations by name.

use super::caller::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath};
use crate::access::{self, eval, AccessError, PolicyInput, PolicyView};
use crate::admin::errors::AdminCode;
use crate::admin::Permission;
use crate::model::NamedLocation;
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
        .routes(routes!(list_policies, create_policy))
        .routes(routes!(get_policy, update_policy, delete_policy))
        .routes(routes!(list_locations, create_location))
        .routes(routes!(delete_location))
        .routes(routes!(what_if))
}

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::Invalid(m) => ApiError::invalid(m),
            AccessError::NotFound(m) => ApiError::not_found(m),
            AccessError::Conflict(m) | AccessError::LockOut(m) => {
                ApiError::new(AdminCode::Conflict, m)
            }
            AccessError::Store(s) => s.into(),
        }
    }
}

/// A Conditional Access policy, with names in place of ids.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PolicyDto {
    /// Object id (UUID).
    pub id: String,
    /// Name.
    pub name: String,
    /// Enable policy: `on`, `off` or `report-only`.
    pub state: String,
    /// Users by user name, or `["all"]`.
    pub users: Vec<String>,
    /// Groups by name.
    pub groups: Vec<String>,
    /// Excluded users by user name.
    pub exclude_users: Vec<String>,
    /// Excluded groups by name.
    pub exclude_groups: Vec<String>,
    /// Target resources: `["all"]`, `["admin-portal"]`, or application names.
    pub apps: Vec<String>,
    /// Only from these named locations (empty: any location).
    pub locations: Vec<String>,
    /// Not from these named locations.
    pub exclude_locations: Vec<String>,
    /// Grant: `block`, `mfa` or `phishing-resistant`.
    pub grant: String,
    /// Session: sign-in frequency, `every-time`, `4h`, `1d`.
    pub sign_in_frequency: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

impl From<PolicyView> for PolicyDto {
    fn from(v: PolicyView) -> Self {
        PolicyDto {
            id: v.id,
            name: v.name,
            state: v.state.as_str().to_owned(),
            users: v.users,
            groups: v.groups,
            exclude_users: v.exclude_users,
            exclude_groups: v.exclude_groups,
            apps: v.apps,
            locations: v.locations,
            exclude_locations: v.exclude_locations,
            grant: v.grant.as_str().to_owned(),
            sign_in_frequency: v.sign_in_frequency,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

/// A new policy. Users, groups, applications and locations by name (or id); without
/// users or groups, every user; without applications, all applications.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Require MFA for Convene", "users": ["B.Simon@contoso.com"], "apps": ["Convene"], "grant": "mfa", "state": "on"}))]
pub struct NewPolicyBody {
    /// Name, unique.
    pub name: String,
    /// Users by user name, or `["all"]`.
    #[serde(default)]
    pub users: Option<Vec<String>>,
    /// Groups by name or id.
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    /// Excluded users by user name.
    #[serde(default)]
    pub exclude_users: Option<Vec<String>>,
    /// Excluded groups by name or id (emergency-access accounts).
    #[serde(default)]
    pub exclude_groups: Option<Vec<String>>,
    /// Applications by name, Identifier or id; or `["all"]`; or `["admin-portal"]`.
    #[serde(default)]
    pub apps: Option<Vec<String>>,
    /// Only from these named locations (by name or id).
    #[serde(default)]
    pub locations: Option<Vec<String>>,
    /// Not from these named locations.
    #[serde(default)]
    pub exclude_locations: Option<Vec<String>>,
    /// Grant: `block`, `mfa` or `phishing-resistant`.
    pub grant: String,
    /// Session: sign-in frequency, `every-time`, `4h`, `1d` (default `1d`).
    #[serde(default)]
    pub sign_in_frequency: Option<String>,
    /// Enable policy: `on`, `off` or `report-only` (default `report-only`).
    #[serde(default)]
    pub state: Option<String>,
}

/// A change of a policy: only the fields given change (`name` renames it).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"state": "on"}))]
pub struct PolicyPatch {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// Users by user name, or `["all"]`.
    #[serde(default)]
    pub users: Option<Vec<String>>,
    /// Groups by name or id.
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    /// Excluded users by user name.
    #[serde(default)]
    pub exclude_users: Option<Vec<String>>,
    /// Excluded groups by name or id.
    #[serde(default)]
    pub exclude_groups: Option<Vec<String>>,
    /// Applications by name, Identifier or id; or `["all"]`; or `["admin-portal"]`.
    #[serde(default)]
    pub apps: Option<Vec<String>>,
    /// Only from these named locations (`[]`: any location).
    #[serde(default)]
    pub locations: Option<Vec<String>>,
    /// Not from these named locations.
    #[serde(default)]
    pub exclude_locations: Option<Vec<String>>,
    /// Grant: `block`, `mfa` or `phishing-resistant`.
    #[serde(default)]
    pub grant: Option<String>,
    /// Session: sign-in frequency, `every-time`, `4h`, `1d`.
    #[serde(default)]
    pub sign_in_frequency: Option<String>,
    /// Enable policy: `on`, `off` or `report-only`.
    #[serde(default)]
    pub state: Option<String>,
}

impl From<NewPolicyBody> for PolicyInput {
    fn from(b: NewPolicyBody) -> Self {
        PolicyInput {
            name: Some(b.name),
            users: b.users,
            groups: b.groups,
            exclude_users: b.exclude_users,
            exclude_groups: b.exclude_groups,
            apps: b.apps,
            locations: b.locations,
            exclude_locations: b.exclude_locations,
            grant: Some(b.grant),
            sign_in_frequency: b.sign_in_frequency,
            state: b.state,
        }
    }
}

impl From<PolicyPatch> for PolicyInput {
    fn from(b: PolicyPatch) -> Self {
        PolicyInput {
            name: b.name,
            users: b.users,
            groups: b.groups,
            exclude_users: b.exclude_users,
            exclude_groups: b.exclude_groups,
            apps: b.apps,
            locations: b.locations,
            exclude_locations: b.exclude_locations,
            grant: b.grant,
            sign_in_frequency: b.sign_in_frequency,
            state: b.state,
        }
    }
}

/// A named location.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LocationDto {
    /// Object id (UUID).
    pub id: String,
    /// Name, unique.
    pub name: String,
    /// IP ranges (CIDR), normalised.
    pub ranges: Vec<String>,
    /// Marked as trusted location.
    pub trusted: bool,
    /// Unix seconds.
    pub created_at: i64,
}

impl From<NamedLocation> for LocationDto {
    fn from(l: NamedLocation) -> Self {
        LocationDto {
            id: l.id,
            name: l.name,
            ranges: l.ranges,
            trusted: l.trusted,
            created_at: l.created_at,
        }
    }
}

/// A new named location.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Head office", "ranges": ["203.0.113.0/24", "2001:db8::/32"], "trusted": true}))]
pub struct NewLocationBody {
    /// Name, unique.
    pub name: String,
    /// IP ranges in CIDR notation, IPv4 or IPv6; at least one.
    pub ranges: Vec<String>,
    /// Mark as trusted location (default false).
    #[serde(default)]
    pub trusted: Option<bool>,
}

/// What If: a user signing in to an application from an address, with a password only.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"user": "B.Simon@contoso.com", "app": "Convene", "ip": "203.0.113.7"}))]
pub struct WhatIfBody {
    /// User name (UPN).
    pub user: String,
    /// Application (name, Identifier or id), or `admin-portal`.
    pub app: String,
    /// The client address (absent: in no named location).
    #[serde(default)]
    pub ip: Option<String>,
}

/// One policy's result in What If.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WhatIfPolicy {
    /// The policy's id.
    pub policy_id: String,
    /// Its name.
    pub name: String,
    /// `on` or `report-only` (Off policies are not listed).
    pub state: String,
    /// `block`, `mfa` or `phishing-resistant`.
    pub grant: String,
    /// `not-applied`, `satisfied` or `not-satisfied`.
    pub result: String,
    /// Why it does not apply (with `not-applied`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The decision of the On policies.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WhatIfDecision {
    /// `allow`, `block`, `mfa` or `phishing-resistant`.
    pub decision: String,
    /// The policy deciding (absent with `allow`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// What If's result: each On or report-only policy and the decision (the fields of
/// `sesame policy what-if --json`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WhatIfResult {
    /// Each On or report-only policy, by name.
    pub policies: Vec<WhatIfPolicy>,
    /// What the On policies decide.
    pub decision: WhatIfDecision,
}

impl From<eval::Evaluation> for WhatIfResult {
    fn from(e: eval::Evaluation) -> Self {
        let policies = e
            .policies
            .into_iter()
            .map(|p| {
                let (result, reason) = match p.outcome {
                    eval::Outcome::NotApplied { reason } => ("not-applied", Some(reason)),
                    eval::Outcome::Satisfied => ("satisfied", None),
                    eval::Outcome::NotSatisfied => ("not-satisfied", None),
                };
                WhatIfPolicy {
                    policy_id: p.policy_id,
                    name: p.name,
                    state: p.state.as_str().to_owned(),
                    grant: p.grant.as_str().to_owned(),
                    result: result.to_owned(),
                    reason,
                }
            })
            .collect();
        let (decision, policy) = match e.decision {
            eval::Decision::Allow => ("allow", None),
            eval::Decision::Block { policy } => ("block", Some(policy)),
            eval::Decision::Mfa { policy } => ("mfa", Some(policy)),
            eval::Decision::PhishingResistant { policy } => ("phishing-resistant", Some(policy)),
        };
        WhatIfResult {
            policies,
            decision: WhatIfDecision {
                decision: decision.to_owned(),
                policy,
            },
        }
    }
}

fn now() -> i64 {
    crate::clock::now_unix()
}

async fn dto(state: &AppState, p: &crate::model::Policy) -> ApiResult<PolicyDto> {
    Ok(access::view(state.store(), p).await?.into())
}

/// List the Conditional Access policies.
#[utoipa::path(get, path = "/api/v1/conditional-access/policies", tag = "conditional-access",
    responses((status = 200, description = "Policies by name", body = Vec<PolicyDto>)))]
async fn list_policies(
    caller: Caller,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<PolicyDto>>> {
    caller.require(Permission::ManageRoles)?;
    let mut out = Vec::new();
    for p in access::policies(state.store()).await? {
        out.push(dto(&state, &p).await?);
    }
    Ok(Json(out))
}

/// New policy (Report-only unless `state` says otherwise). Refused (409) when, enabled,
/// it would lock every Global Administrator out.
#[utoipa::path(post, path = "/api/v1/conditional-access/policies", tag = "conditional-access",
    request_body = NewPolicyBody,
    responses((status = 201, description = "Created", body = PolicyDto)))]
async fn create_policy(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(b): ApiJson<NewPolicyBody>,
) -> ApiResult<(StatusCode, Json<PolicyDto>)> {
    caller.require(Permission::ManageRoles)?;
    let p = access::add_policy(state.store(), &caller.principal.actor, &b.into(), now()).await?;
    state.config_changed().await;
    Ok((StatusCode::CREATED, Json(dto(&state, &p).await?)))
}

/// A policy, by name or object id.
#[utoipa::path(get, path = "/api/v1/conditional-access/policies/{policy}", tag = "conditional-access",
    params(("policy" = String, Path, description = "Name or object id")),
    responses((status = 200, description = "The policy", body = PolicyDto)))]
async fn get_policy(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<PolicyDto>> {
    caller.require(Permission::ManageRoles)?;
    let p = access::policy(state.store(), &key).await?;
    Ok(Json(dto(&state, &p).await?))
}

/// Change a policy: only the fields given change.
#[utoipa::path(patch, path = "/api/v1/conditional-access/policies/{policy}", tag = "conditional-access",
    params(("policy" = String, Path, description = "Name or object id")),
    request_body = PolicyPatch,
    responses((status = 200, description = "The policy after the change", body = PolicyDto)))]
async fn update_policy(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    ApiJson(b): ApiJson<PolicyPatch>,
) -> ApiResult<Json<PolicyDto>> {
    caller.require(Permission::ManageRoles)?;
    let p = access::set_policy(
        state.store(),
        &caller.principal.actor,
        &key,
        &b.into(),
        now(),
    )
    .await?;
    state.config_changed().await;
    Ok(Json(dto(&state, &p).await?))
}

/// Delete a policy.
#[utoipa::path(delete, path = "/api/v1/conditional-access/policies/{policy}", tag = "conditional-access",
    params(("policy" = String, Path, description = "Name or object id")),
    responses((status = 204, description = "Deleted")))]
async fn delete_policy(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<StatusCode> {
    caller.require(Permission::ManageRoles)?;
    access::delete_policy(state.store(), &caller.principal.actor, &key).await?;
    state.config_changed().await;
    Ok(StatusCode::NO_CONTENT)
}

/// List the named locations.
#[utoipa::path(get, path = "/api/v1/conditional-access/named-locations", tag = "conditional-access",
    responses((status = 200, description = "Named locations by name", body = Vec<LocationDto>)))]
async fn list_locations(
    caller: Caller,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<LocationDto>>> {
    caller.require(Permission::ManageRoles)?;
    let list = access::locations(state.store()).await?;
    Ok(Json(list.into_iter().map(LocationDto::from).collect()))
}

/// New named location.
#[utoipa::path(post, path = "/api/v1/conditional-access/named-locations", tag = "conditional-access",
    request_body = NewLocationBody,
    responses((status = 201, description = "Created", body = LocationDto)))]
async fn create_location(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(b): ApiJson<NewLocationBody>,
) -> ApiResult<(StatusCode, Json<LocationDto>)> {
    caller.require(Permission::ManageRoles)?;
    let l = access::add_location(
        state.store(),
        &caller.principal.actor,
        &b.name,
        &b.ranges,
        b.trusted.unwrap_or(false),
        now(),
    )
    .await?;
    state.config_changed().await;
    Ok((StatusCode::CREATED, Json(l.into())))
}

/// Delete a named location; refused (409) while a policy names it.
#[utoipa::path(delete, path = "/api/v1/conditional-access/named-locations/{location}", tag = "conditional-access",
    params(("location" = String, Path, description = "Name or object id")),
    responses((status = 204, description = "Deleted")))]
async fn delete_location(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<StatusCode> {
    caller.require(Permission::ManageRoles)?;
    access::delete_location(state.store(), &caller.principal.actor, &key).await?;
    state.config_changed().await;
    Ok(StatusCode::NO_CONTENT)
}

/// What If: the policies that would apply to a user signing in to an application from
/// an address with a password only, and the result.
#[utoipa::path(post, path = "/api/v1/conditional-access/what-if", tag = "conditional-access",
    request_body = WhatIfBody,
    responses((status = 200, description = "Each policy's result and the decision", body = WhatIfResult)))]
async fn what_if(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(b): ApiJson<WhatIfBody>,
) -> ApiResult<Json<WhatIfResult>> {
    caller.require(Permission::ManageRoles)?;
    let ip = match b.ip.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(ip) => Some(ip.parse().map_err(|_| {
            ApiError::invalid(format!(
                "ip: \"{ip}\" is not an IP address (give one like 203.0.113.7 or 2001:db8::7)"
            ))
        })?),
    };
    let e = access::what_if(state.store(), &b.user, &b.app, ip, now()).await?;
    Ok(Json(e.into()))
}
