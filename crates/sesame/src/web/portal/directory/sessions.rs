//! The **Sessions** section of a user's page (Users → user): the user's active sessions
//! listed like My sessions shows them, with an administrator's **Sign out** of one
//! session (Revoke sessions, for all of them, is in the Authentication methods section).
//! Listing needs `ReadDirectory`, signing out `ManageDirectory`; audit-logged by
//! `crate::sessions`.

use super::super::access::{check_csrf, require, Admin};
use super::super::error::{PortalError, PortalResult};
use super::super::kit::{self, Fields};
use super::super::session_rows;
use crate::admin::Permission;
use crate::sessions::{self, By};
use crate::web::http::correlation;
use crate::web::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Form, Router};

/// The routes of this section.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/users/{id}/sessions/{sid}/revoke", post(revoke))
}

/// `POST /admin/users/{id}/sessions/{sid}/revoke`: Sign out one session of the user.
async fn revoke(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path((id, sid)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    require(&si, Permission::ManageDirectory)?;
    let Some(u) = state.store().user_by_id(&id).await? else {
        return Err(PortalError::not_found(
            "No user has this object id: it may have been deleted. The Users list shows every user.",
        ));
    };
    let corr = correlation(&headers);
    let v = sessions::revoke(
        state.store(),
        &u,
        &sid,
        crate::clock::now_unix(),
        By {
            actor: &si.principal.actor,
            correlation_id: &corr,
        },
    )
    .await
    .map_err(session_rows::portal_error)?;
    state.config_changed().await;
    Ok(kit::redirect_ok(
        &state,
        &format!("/admin/users/{}#sessions", u.id),
        &format!(
            "Session of {} on {} signed out: the next request of that browser needs a new sign-in.",
            u.upn, v.device
        ),
    ))
}
