//! The **Authentication methods** section of a user's page (Users → user): the user's
//! methods listed (a passkey with its authenticator's AAGUID), and an administrator's
//! **Delete** (for a user who lost their phone
//! and their recovery codes), **Require re-register MFA** (a retired method is listed as
//! such) and **Revoke sessions**. Listing needs `ReadDirectory`, the changes
//! `ManageDirectory`; they are audit-logged by `crate::methods`.

use super::super::access::{check_csrf, require, Admin};
use super::super::error::{PortalError, PortalResult};
use super::super::kit::{self, Fields};
use crate::admin::errors::AdminCode;
use crate::admin::Permission;
use crate::methods::{self, By, MethodError};
use crate::model::MethodKind;
use crate::web::http::correlation;
use crate::web::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Form, Router};

/// The routes of this section.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users/{id}/methods/{method}/delete", post(delete))
        .route(
            "/admin/users/{id}/methods/require-reregister",
            post(require_reregister),
        )
        .route("/admin/users/{id}/revoke-sessions", post(revoke_sessions))
}

/// One method as the user's page lists it.
pub(super) struct MethodRow {
    pub id: String,
    pub kind: &'static str,
    pub name: String,
    pub detail: String,
    pub created: String,
    pub last_used: String,
}

fn portal_error(e: MethodError) -> PortalError {
    match e {
        MethodError::Store(s) => s.into(),
        MethodError::NotFound => PortalError::not_found(
            "The user has no authentication method with this id: it may have been removed meanwhile.",
        ),
        other => PortalError::with_code(AdminCode::Internal, &other),
    }
}

/// The methods of user `user_id`, oldest first.
pub(super) async fn rows(state: &AppState, user_id: &str) -> PortalResult<Vec<MethodRow>> {
    let store = state.store();
    let list = methods::list(store, user_id).await.map_err(portal_error)?;
    let passkeys = methods::passkey::credentials(store, user_id)
        .await
        .map_err(portal_error)?;
    let retired = methods::retired(store, user_id)
        .await
        .map_err(portal_error)?;
    let mut out = Vec::with_capacity(list.len());
    for m in list {
        let detail = if m.kind == MethodKind::Recovery {
            let left = methods::recovery_codes_left(store, &m.id)
                .await
                .map_err(portal_error)?;
            format!("{left} of {} codes left", methods::recovery::COUNT)
        } else if let Some(c) = passkeys.iter().find(|c| c.method_id == m.id) {
            format!("AAGUID {}", c.aaguid)
        } else {
            String::new()
        };
        let detail = if retired.contains(&m.id) {
            if detail.is_empty() {
                "re-registration required: no longer accepted".to_owned()
            } else {
                format!("{detail}; re-registration required: no longer accepted")
            }
        } else {
            detail
        };
        out.push(MethodRow {
            id: m.id,
            kind: m.kind.label(),
            name: m.name,
            detail,
            created: kit::time_s(m.created_at),
            last_used: if m.last_used_at == 0 {
                "Never".into()
            } else {
                kit::time_s(m.last_used_at)
            },
        });
    }
    Ok(out)
}

/// `POST /admin/users/{id}/methods/{method}/delete`.
async fn delete(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path((id, method)): Path<(String, String)>,
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
    let m = methods::admin_delete(
        state.store(),
        &u,
        &method,
        By {
            actor: &si.principal.actor,
            correlation_id: &corr,
        },
    )
    .await
    .map_err(portal_error)?;
    Ok(kit::redirect_ok(
        &state,
        &format!("/admin/users/{}#methods", u.id),
        &format!("{} \"{}\" of {} deleted.", m.kind.label(), m.name, u.upn),
    ))
}

async fn user_or_404(state: &AppState, id: &str) -> PortalResult<crate::model::User> {
    state.store().user_by_id(id).await?.ok_or_else(|| {
        PortalError::not_found(
            "No user has this object id: it may have been deleted. The Users list shows every user.",
        )
    })
}

/// `POST /admin/users/{id}/methods/require-reregister`: Require re-register MFA.
async fn require_reregister(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    require(&si, Permission::ManageDirectory)?;
    let u = user_or_404(&state, &id).await?;
    let corr = correlation(&headers);
    let n = methods::admin::require_reregister(
        state.store(),
        &u,
        crate::clock::now_unix(),
        By {
            actor: &si.principal.actor,
            correlation_id: &corr,
        },
    )
    .await
    .map_err(portal_error)?;
    Ok(kit::redirect_ok(
        &state,
        &format!("/admin/users/{}#methods", u.id),
        &format!(
            "{} must register MFA again: {} no longer accepted. Passkeys stay usable.",
            u.upn,
            kit::count(
                n,
                "authenticator app or recovery-code method",
                "authenticator app and recovery-code methods"
            )
        ),
    ))
}

/// `POST /admin/users/{id}/revoke-sessions`: Revoke sessions.
async fn revoke_sessions(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    check_csrf(&si, &headers, f.csrf())?;
    require(&si, Permission::ManageDirectory)?;
    let u = user_or_404(&state, &id).await?;
    let corr = correlation(&headers);
    let n = methods::admin::revoke_sessions(
        state.store(),
        &u,
        crate::clock::now_unix_ms(),
        By {
            actor: &si.principal.actor,
            correlation_id: &corr,
        },
    )
    .await
    .map_err(portal_error)?;
    Ok(kit::redirect_ok(
        &state,
        &format!("/admin/users/{}#methods", u.id),
        &format!(
            "{} of {} revoked: the next request needs a new sign-in.",
            kit::count(n, "session", "sessions"),
            u.upn
        ),
    ))
}
