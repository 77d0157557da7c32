//! `/api/v1/users/{user}/sessions`: a user's active sessions (device, address, sign-in
//! time, last seen, applications; each named by an opaque id, never a usable cookie), and
//! one ended by an administrator. The rules and the audit log are `crate::sessions`'s;
//! this file decodes and renders.

use super::caller::Caller;
use super::directory::find_user;
use super::error::{ApiError, ApiResult};
use super::extract::ApiPath;
use crate::admin::Permission;
use crate::sessions::{self, By, SessionError, SessionView};
use crate::web::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
}

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::NotFound => ApiError::not_found(
                "the user has no active session with this id; GET /api/v1/users/{user}/sessions lists them",
            ),
            SessionError::Store(s) => s.into(),
        }
    }
}

/// One active session of a user.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionDto {
    /// The session's opaque id (not its cookie, and not usable as one).
    pub id: String,
    /// The device and browser in words ("Chrome on Windows").
    pub device: String,
    /// The browser's User-Agent when the session started.
    pub user_agent: String,
    /// The client address the session started from ('' when unknown).
    pub address: String,
    /// When the user signed in (Unix seconds).
    pub signed_in_at: i64,
    /// Last activity recorded (Unix seconds; written every few minutes).
    pub last_seen: i64,
    /// How the user authenticated (`pwd`, `passkey`, then `totp`, …).
    pub methods: String,
    /// The applications the session signed in to, by name.
    pub applications: Vec<String>,
}

impl From<SessionView> for SessionDto {
    fn from(v: SessionView) -> Self {
        SessionDto {
            id: v.id,
            device: v.device,
            user_agent: v.user_agent,
            address: v.address,
            signed_in_at: v.signed_in_at,
            last_seen: v.last_seen,
            methods: v.methods,
            applications: v.apps,
        }
    }
}

/// The user's active sessions, newest first.
#[utoipa::path(get, path = "/api/v1/users/{user}/sessions", tag = "users",
    params(("user" = String, Path, description = "Object id or user name")),
    responses((status = 200, description = "The user's active sessions", body = Vec<SessionDto>)))]
async fn list_sessions(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<Vec<SessionDto>>> {
    caller.require(Permission::ReadDirectory)?;
    let u = find_user(&state, &key).await?;
    let list = sessions::list(state.store(), &u, None, crate::clock::now_unix()).await?;
    Ok(Json(list.into_iter().map(SessionDto::from).collect()))
}

/// Sign out one session of the user, at every node: that browser's next request needs a
/// new sign-in. (`POST /api/v1/users/{user}/revoke-sessions` ends them all.)
#[utoipa::path(delete, path = "/api/v1/users/{user}/sessions/{session}", tag = "users",
    params(("user" = String, Path, description = "Object id or user name"),
           ("session" = String, Path, description = "The session's id, from the list")),
    responses((status = 204, description = "Signed out")))]
async fn revoke_session(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath((key, session)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    caller.require(Permission::ManageDirectory)?;
    let u = find_user(&state, &key).await?;
    sessions::revoke(
        state.store(),
        &u,
        &session,
        crate::clock::now_unix(),
        By {
            actor: &caller.principal.actor,
            correlation_id: &caller.correlation,
        },
    )
    .await?;
    state.config_changed().await;
    Ok(StatusCode::NO_CONTENT)
}
