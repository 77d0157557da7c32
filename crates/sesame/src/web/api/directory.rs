//! `/api/v1/users` and `/api/v1/groups`.

use super::caller::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::model::*;
use crate::admin::audit::Change;
use crate::admin::Permission;
use crate::directory::{self, password, Group, MemberRef, NewUser, User, UserUpdate};
use crate::web::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(enable_user))
        .routes(routes!(disable_user))
        .routes(routes!(reset_password))
        .routes(routes!(user_groups))
        .routes(routes!(user_apps))
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, update_group, delete_group))
        .routes(routes!(group_members, add_member))
        .routes(routes!(remove_member))
}

/// The user with this object id or user name.
pub(super) async fn find_user(state: &AppState, key: &str) -> ApiResult<User> {
    let store = state.store();
    if let Some(u) = store.user_by_id(key).await? {
        return Ok(u);
    }
    store.user_by_upn(key).await?.ok_or_else(|| {
        ApiError::not_found(format!(
            "no user has the object id or user name {key}; GET /api/v1/users lists them"
        ))
    })
}

/// The group with this object id or name.
pub(super) async fn find_group(state: &AppState, key: &str) -> ApiResult<Group> {
    Ok(directory::resolve_group(state.store(), key).await?)
}

async fn generate_or(pw: Option<String>) -> ApiResult<(String, bool)> {
    Ok(match pw {
        Some(p) => (p, false),
        None => (password::generate_password()?, true),
    })
}

/// List users ("All users"), optionally searched.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(SearchQuery),
    responses((status = 200, description = "Users by user name", body = Vec<UserDto>)))]
async fn list_users(
    caller: Caller,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Vec<UserDto>>> {
    caller.require(Permission::ReadDirectory)?;
    let users = state.store().list_users(q.search.as_deref()).await?;
    Ok(Json(users.iter().map(UserDto::from).collect()))
}

/// New user: with the given password, or a generated one returned once.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserBody,
    responses((status = 201, description = "Created", body = CreatedUser)))]
async fn create_user(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(b): ApiJson<NewUserBody>,
) -> ApiResult<(StatusCode, Json<CreatedUser>)> {
    caller.require(Permission::ManageDirectory)?;
    let (pw, generated) = generate_or(b.password).await?;
    directory::check_new_password(state.store(), &b.upn, &pw).await?;
    let hash = tokio::task::spawn_blocking(move || password::hash_password(&pw).map(|h| (h, pw)))
        .await
        .map_err(|e| ApiError::internal(&e))??;
    let (hash, pw) = hash;
    let new = NewUser {
        upn: b.upn,
        display_name: b.display_name.unwrap_or_default(),
        given_name: b.given_name.unwrap_or_default(),
        surname: b.surname.unwrap_or_default(),
        mail: b.mail.unwrap_or_default(),
        department: b.department.unwrap_or_default(),
        job_title: b.job_title.unwrap_or_default(),
        employee_id: b.employee_id.unwrap_or_default(),
        company_name: b.company_name.unwrap_or_default(),
        extension_attributes: b
            .extension_attributes
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect(),
        disabled: b.enabled == Some(false),
        password_hash: Some(hash),
    };
    let u = directory::create_user(state.store(), new).await?;
    caller
        .audit(
            &state,
            Change::new("user.create", "user", &u.id, &u.upn).after(&u),
        )
        .await;
    state.config_changed().await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user: UserDto::from(&u),
            password: generated.then_some(pw),
        }),
    ))
}

/// A user, by object id or user name.
#[utoipa::path(get, path = "/api/v1/users/{user}", tag = "users",
    params(("user" = String, Path, description = "Object id or user name")),
    responses((status = 200, description = "The user", body = UserDto)))]
async fn get_user(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<UserDto>> {
    caller.require(Permission::ReadDirectory)?;
    Ok(Json(UserDto::from(&find_user(&state, &key).await?)))
}

/// Change a user's profile, rename it, enable or disable it.
#[utoipa::path(patch, path = "/api/v1/users/{user}", tag = "users",
    params(("user" = String, Path, description = "Object id or user name")),
    request_body = UserPatch,
    responses((status = 200, description = "The user after the change", body = UserDto)))]
async fn update_user(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    ApiJson(b): ApiJson<UserPatch>,
) -> ApiResult<Json<UserDto>> {
    caller.require(Permission::ManageDirectory)?;
    let before = find_user(&state, &key).await?;
    let upd = UserUpdate {
        upn: b.upn,
        display_name: b.display_name,
        given_name: b.given_name,
        surname: b.surname,
        mail: b.mail,
        department: b.department,
        job_title: b.job_title,
        employee_id: b.employee_id,
        company_name: b.company_name,
        extension_attributes: b.extension_attributes.unwrap_or_default(),
        enabled: b.enabled,
    };
    let mut u = directory::update_user(state.store(), &before.id, upd).await?;
    caller
        .audit(
            &state,
            Change::new("user.update", "user", &u.id, &u.upn)
                .before(&before)
                .after(&u),
        )
        .await;
    if let Some(on) = b.password_change_required {
        // Audited by the room, as `user.password_change_required`.
        u = crate::selfservice::change::set_required(
            state.store(),
            &caller.principal.actor,
            &u,
            on,
            &caller.correlation,
        )
        .await?;
    }
    state.config_changed().await;
    Ok(Json(UserDto::from(&u)))
}

async fn set_enabled(
    caller: &Caller,
    state: &AppState,
    key: &str,
    enabled: bool,
) -> ApiResult<Json<UserDto>> {
    caller.require(Permission::ManageDirectory)?;
    let before = find_user(state, key).await?;
    let u = directory::set_enabled(state.store(), &before.id, enabled).await?;
    caller
        .audit(
            state,
            Change::new(
                if enabled {
                    "user.enable"
                } else {
                    "user.disable"
                },
                "user",
                &u.id,
                &u.upn,
            )
            .before(&before)
            .after(&u),
        )
        .await;
    state.config_changed().await;
    Ok(Json(UserDto::from(&u)))
}

/// Enable a user's sign-in.
#[utoipa::path(post, path = "/api/v1/users/{user}/enable", tag = "users",
    params(("user" = String, Path, description = "Object id or user name")),
    responses((status = 200, description = "The user", body = UserDto)))]
async fn enable_user(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<UserDto>> {
    set_enabled(&caller, &state, &key, true).await
}

/// Disable a user's sign-in (their sessions end).
#[utoipa::path(post, path = "/api/v1/users/{user}/disable", tag = "users",
    params(("user" = String, Path, description = "Object id or user name")),
    responses((status = 200, description = "The user", body = UserDto)))]
async fn disable_user(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<UserDto>> {
    set_enabled(&caller, &state, &key, false).await
}

/// Reset a user's password: the given one, or a generated one returned once.
#[utoipa::path(post, path = "/api/v1/users/{user}/password", tag = "users",
    params(("user" = String, Path, description = "Object id or user name")),
    request_body = PasswordBody,
    responses((status = 200, description = "Password reset; the user's sessions ended", body = PasswordReset)))]
async fn reset_password(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    ApiJson(b): ApiJson<PasswordBody>,
) -> ApiResult<Json<PasswordReset>> {
    caller.require(Permission::ManageDirectory)?;
    let u = find_user(&state, &key).await?;
    let (pw, generated) = generate_or(b.password).await?;
    directory::set_password(state.store(), &u.id, &pw).await?;
    caller
        .audit(
            &state,
            Change::new("user.password.reset", "user", &u.id, &u.upn),
        )
        .await;
    Ok(Json(PasswordReset {
        user: UserDto::from(&u),
        password: generated.then_some(pw),
    }))
}

/// Delete a user with memberships, assignments and sessions.
#[utoipa::path(delete, path = "/api/v1/users/{user}", tag = "users",
    params(("user" = String, Path, description = "Object id or user name")),
    responses((status = 204, description = "Deleted")))]
async fn delete_user(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<StatusCode> {
    caller.require(Permission::ManageDirectory)?;
    let u = find_user(&state, &key).await?;
    directory::delete_user(state.store(), &u.id).await?;
    caller
        .audit(
            &state,
            Change::new("user.delete", "user", &u.id, &u.upn).before(&u),
        )
        .await;
    state.config_changed().await;
    Ok(StatusCode::NO_CONTENT)
}

/// The groups a user belongs to, directly or through nested groups.
#[utoipa::path(get, path = "/api/v1/users/{user}/groups", tag = "users",
    params(("user" = String, Path, description = "Object id or user name")),
    responses((status = 200, description = "Groups", body = Vec<GroupDto>)))]
async fn user_groups(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<Vec<GroupDto>>> {
    caller.require(Permission::ReadDirectory)?;
    let u = find_user(&state, &key).await?;
    let groups = directory::user_groups_transitive(state.store(), &u.id).await?;
    Ok(Json(groups.iter().map(GroupDto::from).collect()))
}

/// The applications a user is assigned to (directly or through groups).
#[utoipa::path(get, path = "/api/v1/users/{user}/apps", tag = "users",
    params(("user" = String, Path, description = "Object id or user name")),
    responses((status = 200, description = "Assigned applications", body = Vec<UserAppDto>)))]
async fn user_apps(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<Vec<UserAppDto>>> {
    caller.require(Permission::ReadDirectory)?;
    let u = find_user(&state, &key).await?;
    let store = state.store();
    let mut out = Vec::new();
    for app in store.list_apps().await? {
        if let Some(roles) = crate::apps::user_assignment(store, &app.id, &u.id).await? {
            out.push(UserAppDto {
                id: app.id,
                name: app.name,
                roles,
            });
        }
    }
    Ok(Json(out))
}

/// List groups, optionally searched by name.
#[utoipa::path(get, path = "/api/v1/groups", tag = "groups", params(SearchQuery),
    responses((status = 200, description = "Groups by name", body = Vec<GroupDto>)))]
async fn list_groups(
    caller: Caller,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Vec<GroupDto>>> {
    caller.require(Permission::ReadDirectory)?;
    let s = q.search.unwrap_or_default().trim().to_lowercase();
    let groups = state.store().list_groups().await?;
    Ok(Json(
        groups
            .iter()
            .filter(|g| s.is_empty() || g.name.to_lowercase().contains(&s))
            .map(GroupDto::from)
            .collect(),
    ))
}

/// New group.
#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", request_body = NewGroupBody,
    responses((status = 201, description = "Created", body = GroupDto)))]
async fn create_group(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(b): ApiJson<NewGroupBody>,
) -> ApiResult<(StatusCode, Json<GroupDto>)> {
    caller.require(Permission::ManageDirectory)?;
    let g = directory::create_group(
        state.store(),
        &b.name,
        b.description.as_deref().unwrap_or(""),
    )
    .await?;
    caller
        .audit(
            &state,
            Change::new("group.create", "group", &g.id, &g.name).after(&g),
        )
        .await;
    state.config_changed().await;
    Ok((StatusCode::CREATED, Json(GroupDto::from(&g))))
}

/// A group, by object id or name.
#[utoipa::path(get, path = "/api/v1/groups/{group}", tag = "groups",
    params(("group" = String, Path, description = "Object id or name")),
    responses((status = 200, description = "The group", body = GroupDto)))]
async fn get_group(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<GroupDto>> {
    caller.require(Permission::ReadDirectory)?;
    Ok(Json(GroupDto::from(&find_group(&state, &key).await?)))
}

/// Rename a group or change its description.
#[utoipa::path(patch, path = "/api/v1/groups/{group}", tag = "groups",
    params(("group" = String, Path, description = "Object id or name")),
    request_body = GroupPatch,
    responses((status = 200, description = "The group after the change", body = GroupDto)))]
async fn update_group(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    ApiJson(b): ApiJson<GroupPatch>,
) -> ApiResult<Json<GroupDto>> {
    caller.require(Permission::ManageDirectory)?;
    let before = find_group(&state, &key).await?;
    let g = directory::update_group(
        state.store(),
        &before.id,
        b.name.as_deref(),
        b.description.as_deref(),
    )
    .await?;
    caller
        .audit(
            &state,
            Change::new("group.update", "group", &g.id, &g.name)
                .before(&before)
                .after(&g),
        )
        .await;
    state.config_changed().await;
    Ok(Json(GroupDto::from(&g)))
}

/// Delete a group with its memberships and app assignments.
#[utoipa::path(delete, path = "/api/v1/groups/{group}", tag = "groups",
    params(("group" = String, Path, description = "Object id or name")),
    responses((status = 204, description = "Deleted")))]
async fn delete_group(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<StatusCode> {
    caller.require(Permission::ManageDirectory)?;
    let g = find_group(&state, &key).await?;
    directory::delete_group(state.store(), &g.id).await?;
    caller
        .audit(
            &state,
            Change::new("group.delete", "group", &g.id, &g.name).before(&g),
        )
        .await;
    state.config_changed().await;
    Ok(StatusCode::NO_CONTENT)
}

/// The direct members of a group.
#[utoipa::path(get, path = "/api/v1/groups/{group}/members", tag = "groups",
    params(("group" = String, Path, description = "Object id or name")),
    responses((status = 200, description = "Members", body = MembersDto)))]
async fn group_members(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<MembersDto>> {
    caller.require(Permission::ReadDirectory)?;
    let g = find_group(&state, &key).await?;
    members(&state, &g).await.map(Json)
}

async fn members(state: &AppState, g: &Group) -> ApiResult<MembersDto> {
    let m = directory::group_members(state.store(), &g.id).await?;
    Ok(MembersDto {
        users: m.users.iter().map(UserDto::from).collect(),
        groups: m.groups.iter().map(GroupDto::from).collect(),
    })
}

/// Resolves a `{user}` / `{group}` body to a member.
pub(super) async fn member_ref(
    state: &AppState,
    user: Option<&str>,
    group: Option<&str>,
) -> ApiResult<(MemberRef, String)> {
    match (user, group) {
        (Some(u), None) => {
            let u = find_user(state, u).await?;
            Ok((MemberRef::User(u.id), format!("user {}", u.upn)))
        }
        (None, Some(g)) => {
            let g = find_group(state, g).await?;
            Ok((MemberRef::Group(g.id), format!("group {}", g.name)))
        }
        _ => Err(ApiError::invalid(
            "give exactly one of user (object id or user name) and group (object id or name)",
        )),
    }
}

/// Add a user or a group to a group.
#[utoipa::path(post, path = "/api/v1/groups/{group}/members", tag = "groups",
    params(("group" = String, Path, description = "Object id or name")),
    request_body = MemberBody,
    responses((status = 200, description = "The members after the change", body = MembersDto)))]
async fn add_member(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    ApiJson(b): ApiJson<MemberBody>,
) -> ApiResult<Json<MembersDto>> {
    caller.require(Permission::ManageDirectory)?;
    let g = find_group(&state, &key).await?;
    let (m, what) = member_ref(&state, b.user.as_deref(), b.group.as_deref()).await?;
    directory::add_member(state.store(), &g.id, &m).await?;
    caller
        .audit(
            &state,
            Change::new("group.member.add", "group", &g.id, &g.name)
                .after(&serde_json::json!({ "member": what })),
        )
        .await;
    state.config_changed().await;
    members(&state, &g).await.map(Json)
}

/// Remove a direct member (a user or a group, by object id) from a group.
#[utoipa::path(delete, path = "/api/v1/groups/{group}/members/{member}", tag = "groups",
    params(("group" = String, Path, description = "Object id or name"),
           ("member" = String, Path, description = "The member's object id, user name or group name")),
    responses((status = 200, description = "The members after the change", body = MembersDto)))]
async fn remove_member(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath((key, member)): ApiPath<(String, String)>,
) -> ApiResult<Json<MembersDto>> {
    caller.require(Permission::ManageDirectory)?;
    let g = find_group(&state, &key).await?;
    let (m, what) = match find_user(&state, &member).await {
        Ok(u) => (MemberRef::User(u.id), format!("user {}", u.upn)),
        Err(_) => {
            let mg = find_group(&state, &member).await?;
            (MemberRef::Group(mg.id), format!("group {}", mg.name))
        }
    };
    directory::remove_member(state.store(), &g.id, &m).await?;
    caller
        .audit(
            &state,
            Change::new("group.member.remove", "group", &g.id, &g.name)
                .before(&serde_json::json!({ "member": what })),
        )
        .await;
    state.config_changed().await;
    members(&state, &g).await.map(Json)
}
