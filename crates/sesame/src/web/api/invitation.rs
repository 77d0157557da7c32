//! `POST /api/v1/users/{user}/invitation`: invite a user to set their own password (the
//! invitation mail with a link valid for 7 days; resending ends the earlier link). The
//! rules and the audit log are `selfservice::invite`'s; this decodes and renders.

use super::caller::Caller;
use super::directory::find_user;
use super::error::{ApiError, ApiResult};
use super::extract::ApiPath;
use crate::admin::errors::AdminCode;
use crate::admin::Permission;
use crate::selfservice::invite::{self, Delivery, Invite};
use crate::selfservice::{SelfServiceCode, SelfServiceError};
use crate::web::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(send_invitation))
}

/// The options of an invitation (the body may also be empty).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationBody {
    /// Invite even though the user has a password: the link lets whoever holds it replace
    /// it. Without it, such a user is refused with `SESAME930031`.
    #[serde(default)]
    pub force: bool,
}

/// An invitation sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationDto {
    /// The user's object id.
    pub user: String,
    /// The user's user name.
    pub upn: String,
    /// The address the invitation was mailed to.
    pub sent_to: String,
    /// When the link expires, Unix seconds.
    pub expires_at: i64,
}

impl From<SelfServiceError> for ApiError {
    fn from(e: SelfServiceError) -> Self {
        let e = match e {
            SelfServiceError::Store(s) => return s.into(),
            other => other,
        };
        match &e {
            SelfServiceError::Refused { code, .. } | SelfServiceError::Link { code, .. } => {
                let admin = match code {
                    SelfServiceCode::InviteHasPassword | SelfServiceCode::InviteSignInBlocked => {
                        AdminCode::Conflict
                    }
                    _ => AdminCode::Invalid,
                };
                ApiError::new(admin, e.to_string())
            }
            SelfServiceError::Mail(m) => {
                ApiError::invalid(format!("the user's mail address was refused: {m}"))
            }
            SelfServiceError::Store(_)
            | SelfServiceError::Directory(_)
            | SelfServiceError::Hash(_) => ApiError::internal(&e),
        }
    }
}

/// Invite a user to set their own password: a link valid for 7 days mailed to the user's
/// mail address (`SESAME930030` when they have none); sending again ends the earlier
/// link. Audited as `user.invitation.send`.
#[utoipa::path(post, path = "/api/v1/users/{user}/invitation", tag = "users",
    params(("user" = String, Path, description = "Object id or user name")),
    request_body(content = Option<InvitationBody>, description = "Optional: `{\"force\": true}`"),
    responses((status = 202, description = "Queued for sending", body = InvitationDto)))]
async fn send_invitation(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<InvitationDto>)> {
    caller.require(Permission::ManageDirectory)?;
    let b: InvitationBody = if body.iter().all(u8::is_ascii_whitespace) {
        InvitationBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::invalid(format!("the JSON body does not fit the schema: {e}")))?
    };
    let u = find_user(&state, &key).await?;
    let public_url = state
        .cache()
        .get()
        .tenant
        .as_ref()
        .map(|t| t.public_url.clone())
        .unwrap_or_default();
    let inv = Invite {
        user: &u,
        delivery: Delivery::Mail,
        force: b.force,
        public_url: &public_url,
        actor: &caller.principal.actor,
        correlation_id: &caller.correlation,
    };
    let sent = invite::send(state.store(), inv, crate::clock::now_unix()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(InvitationDto {
            user: u.id,
            upn: u.upn,
            sent_to: sent.to.unwrap_or_default(),
            expires_at: sent.link.expires_at,
        }),
    ))
}
