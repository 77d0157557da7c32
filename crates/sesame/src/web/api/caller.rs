//! Who calls the API ([`Caller`]): an API token, or a signed-in administrator whose
//! state-changing requests carry the session's CSRF token.

use super::error::{ApiError, ApiResult};
use crate::admin::audit::{self, Change};
use crate::admin::errors::AdminCode;
use crate::admin::tokens;
use crate::admin::{Permission, Principal};
use crate::web::auth::{self, CSRF_HEADER};
use crate::web::http::request_id;
use crate::web::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};

/// Who calls: a token or a signed-in administrator, and the request's correlation id.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token or administrator, with its roles (never empty).
    pub principal: Principal,
    /// The request id (audit rows carry it).
    pub correlation: String,
}

impl Caller {
    /// `Ok` when the caller's role allows `p`, else a 403 problem naming the role needed.
    pub fn require(&self, p: Permission) -> ApiResult<()> {
        Ok(self.principal.require(p)?)
    }

    /// Records `change` in the audit log with this caller and correlation id; a failure
    /// to write is logged (the change itself is done).
    pub async fn audit(&self, state: &AppState, change: Change) {
        if let Err(e) = audit::record(
            state.store(),
            &self.principal.actor,
            change,
            &self.correlation,
        )
        .await
        {
            tracing::error!(correlation = %self.correlation, "cannot write the audit log: {e}");
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<Result<String, ApiError>> {
    let v = headers.get(header::AUTHORIZATION)?;
    let bad = || {
        Err(ApiError::new(
            AdminCode::BadToken,
            "the Authorization header must be `Bearer sesame_…` (an API token from `sesame token create`)",
        ))
    };
    let Ok(v) = v.to_str() else {
        return Some(bad());
    };
    let Some((scheme, rest)) = v.trim().split_once(' ') else {
        return Some(bad());
    };
    if !scheme.eq_ignore_ascii_case("bearer") || rest.trim().is_empty() {
        return Some(bad());
    }
    Some(Ok(rest.trim().to_owned()))
}

fn changes_state(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let correlation = request_id(&parts.headers).unwrap_or_default();
        let now = crate::tenant::now_unix();
        if let Some(secret) = bearer(&parts.headers) {
            let secret = secret?;
            let ok = tokens::authenticate(state.store(), &secret, now).await?;
            if ok.touch {
                // Off the request path: the answer does not wait for this write.
                let store = state.store().clone();
                let id = ok.id.clone();
                tokio::spawn(async move {
                    if let Err(e) = store.token_touch(&id, now).await {
                        tracing::warn!("cannot record the use of API token {id}: {e}");
                    }
                });
            }
            return Ok(Caller {
                principal: ok.principal,
                correlation,
            });
        }
        let si = auth::signed_in(state, &parts.headers)
            .await
            .map_err(|e| {
                if e.code == crate::sso::ErrorCode::ServiceUnavailable {
                    ApiError::new(AdminCode::Unavailable, "the database is out of reach")
                } else {
                    ApiError::internal(&e)
                }
            })?
            .ok_or_else(|| {
                ApiError::new(
                    AdminCode::Unauthenticated,
                    "send an API token as `Authorization: Bearer sesame_…` (`sesame token create --name NAME`), or sign in to the portal",
                )
            })?;
        if si.user.password_change_required {
            return Err(ApiError::new(
                AdminCode::Forbidden,
                format!(
                    "{} must set a new password first (Require password change at next sign-in): sign in to the portal and update it",
                    si.user.upn
                ),
            ));
        }
        if changes_state(&parts.method) {
            let given = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !auth::csrf_ok(&si, &parts.headers, given) {
                return Err(ApiError::new(
                    AdminCode::CsrfFailed,
                    "a change made with the session cookie must carry the session's CSRF token in the X-CSRF-Token header (and not come from another site)",
                ));
            }
        }
        if !si.principal.is_admin() {
            return Err(ApiError::new(
                AdminCode::Forbidden,
                format!(
                    "{} holds no administrator role; the REST API is for Global and Application Administrators",
                    si.user.upn
                ),
            ));
        }
        Ok(Caller {
            principal: si.principal,
            correlation,
        })
    }
}

/// The tenant of the configuration snapshot (503 before it exists).
pub(super) fn tenant(state: &AppState) -> ApiResult<crate::tenant::Tenant> {
    state
        .cache()
        .get()
        .tenant
        .clone()
        .ok_or_else(|| ApiError::new(AdminCode::Unavailable, "the tenant is not set up yet"))
}
