//! "Update your password" (`/{tenant}/login/password[?p=…]`): the interrupt a user flagged
//! with Require password change at next sign-in lands on after proving who they are (the
//! password, any second step, or a passkey), before any Response is issued and before My
//! Apps or the admin portal open. The current password is not asked again (it was just
//! proved); the new one is typed twice and the password policy applies. The change itself
//! is `crate::selfservice::change::apply` (the flag cleared, the notice mailed, the audit
//! row); then the waiting sign-in continues, RelayState and InResponseTo intact. This
//! decodes the form and renders.

use super::auth::{csrf_for, csrf_ok_for_cookie};
use super::failure::PageFailure;
use super::flow::{complete_since, take_pending, Ctx, Pending, PendingQuery};
use super::http::{cookie, ClientIp};
use super::pages::{esc, html_headers, page};
use super::session::current_session;
use super::state::AppState;
use crate::admin::errors::AdminCode;
use crate::selfservice::change::{self as password_change, ChangeError, Why};
use crate::sso::cache::AppCache;
use crate::sso::flow::{check_tenant, Failure, Who};
use crate::sso::{session, ErrorCode, SsoError};
use crate::store::SessionWithUser;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

/// The public URL for links in the notice ('' before the tenant exists).
pub(crate) fn public_url(state: &AppState) -> String {
    state
        .cache()
        .get()
        .tenant
        .as_ref()
        .map(|t| t.public_url.clone())
        .unwrap_or_default()
}

/// The page's path under the tenant.
pub(crate) fn path(tenant: &str, p: Option<&str>) -> String {
    match p {
        Some(p) => format!("/{tenant}/login/password?p={p}"),
        None => format!("/{tenant}/login/password"),
    }
}

fn see_other(to: &str) -> Response {
    let mut r = Redirect::to(to).into_response();
    *r.status_mut() = StatusCode::SEE_OTHER;
    r
}

fn form_html(tenant: &str, p: &str, csrf: &str, upn: &str, error: &str) -> String {
    let msg = if error.is_empty() {
        String::new()
    } else {
        format!("<p class=\"err\" role=\"alert\">{}</p>", esc(error))
    };
    let p_field = if p.is_empty() {
        String::new()
    } else {
        format!("<input type=\"hidden\" name=\"p\" value=\"{}\">", esc(p))
    };
    page(
        "Update your password",
        &format!(
            "<h1>Update your password</h1><p>Signed in as <strong>{upn}</strong>. Your \
administrator requires you to choose a new password before you continue.</p>{msg}\
<form method=\"post\" action=\"/{t}/login/password\">{p_field}\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<input type=\"text\" name=\"username\" value=\"{upn}\" autocomplete=\"username\" hidden>\
<label for=\"new\">New password</label><input type=\"password\" id=\"new\" name=\"new\" autocomplete=\"new-password\" autofocus required>\
<label for=\"confirm\">Confirm new password</label><input type=\"password\" id=\"confirm\" name=\"confirm\" autocomplete=\"new-password\" required>\
<button type=\"submit\">Update password</button></form>",
            upn = esc(upn),
            t = esc(tenant),
            csrf = esc(csrf),
        ),
    )
}

fn render(
    tenant: &str,
    p: &str,
    csrf: &str,
    upn: &str,
    error: &str,
    status: StatusCode,
) -> Response {
    (
        status,
        html_headers(),
        form_html(tenant, p, csrf, upn, error),
    )
        .into_response()
}

/// Where a browser goes once nothing is waiting for the password: the sign-in `p`
/// continued, or My Apps.
async fn continue_sign_in(
    state: &AppState,
    ctx: &Ctx,
    cache: &AppCache,
    s: &SessionWithUser,
    p: &str,
) -> Result<Response, PageFailure> {
    if p.is_empty() {
        return Ok(see_other("/myapps"));
    }
    match take_pending(state, p).await.map_err(|e| ctx.fail(e))? {
        Some(Pending::PasswordChange { v, request, since }) => {
            let ctx = Ctx {
                request,
                ..ctx.clone()
            };
            complete_since(&ctx, cache, &v, s, since).await
        }
        _ => {
            let e = SsoError::new(
                ErrorCode::SignInExpired,
                "the sign-in request is no longer kept (expired or already used); you are signed in to Sesame",
            );
            Err(ctx.fail(Failure::from(e).user(Some(Who::of(s)))))
        }
    }
}

/// `GET /{tenant}/login/password[?p=…]`.
pub async fn update_get(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Query(q): Query<PendingQuery>,
    ip: ClientIp,
    headers: HeaderMap,
) -> Result<Response, PageFailure> {
    let ctx = Ctx::new(&state, ip);
    let cache = state.cache().get();
    check_tenant(&cache, &tenant).map_err(|e| ctx.fail(e))?;
    let p = q.p.unwrap_or_default();
    let (Some(s), Some(value)) = (
        current_session(&state, &cache, &headers)
            .await
            .map_err(|e| ctx.fail(e))?,
        cookie(&headers, session::COOKIE),
    ) else {
        return Ok(see_other(&format!("/{tenant}/login")));
    };
    if !s.password_change_required {
        return continue_sign_in(&state, &ctx, &cache, &s, &p).await;
    }
    Ok(render(
        &tenant,
        &p,
        &csrf_for(value),
        &s.upn,
        "",
        StatusCode::OK,
    ))
}

/// The form of "Update your password".
#[derive(Debug, Default, Deserialize)]
pub struct UpdateForm {
    /// The pending sign-in ('' when none).
    #[serde(default)]
    pub p: String,
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// The new password.
    #[serde(default)]
    pub new: String,
    /// The new password again.
    #[serde(default)]
    pub confirm: String,
}

/// `POST /{tenant}/login/password`.
pub async fn update_post(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<UpdateForm>,
) -> Result<Response, PageFailure> {
    let ctx = Ctx::new(&state, ip);
    let cache = state.cache().get();
    check_tenant(&cache, &tenant).map_err(|e| ctx.fail(e))?;
    let (Some(s), Some(value)) = (
        current_session(&state, &cache, &headers)
            .await
            .map_err(|e| ctx.fail(e))?,
        cookie(&headers, session::COOKIE),
    ) else {
        return Ok(see_other(&format!("/{tenant}/login")));
    };
    let who = Some(Who::of(&s));
    if !csrf_ok_for_cookie(value, &headers, &f.csrf) {
        return Err(ctx.fail(
            Failure::from(SsoError::new(
                ErrorCode::FormExpired,
                "the form's security token does not match this browser's session",
            ))
            .user(who),
        ));
    }
    if !s.password_change_required {
        return continue_sign_in(&state, &ctx, &cache, &s, &f.p).await;
    }
    let user = state
        .store()
        .user_by_id(&s.session.user_id)
        .await
        .map_err(|e| ctx.fail(SsoError::internal(&e)))?
        .ok_or_else(|| {
            ctx.fail(SsoError::new(
                ErrorCode::SignInExpired,
                "the signed-in user no longer exists",
            ))
        })?;
    let applied = password_change::apply(
        state.store(),
        &user,
        &f.new,
        &f.confirm,
        Some(&session::hash_cookie(value)),
        &public_url(&state),
        Why::Required,
        &ctx.corr,
    )
    .await;
    if let Err(e) = applied {
        let code = AdminCode::PasswordPolicy.code();
        let text = match e {
            ChangeError::Mismatch => format!("{code}: {e}"),
            ChangeError::Policy(m) => format!("{code}: {m}."),
            other => return Err(ctx.fail(Failure::from(SsoError::internal(&other)).user(who))),
        };
        let csrf = csrf_for(value);
        return Ok(render(
            &tenant,
            &f.p,
            &csrf,
            &s.upn,
            &text,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    state.config_changed().await;
    // The password was replaced: this session stays, re-read with the flag cleared.
    let s = current_session(&state, &cache, &headers)
        .await
        .map_err(|e| ctx.fail(e))?
        .unwrap_or(SessionWithUser {
            password_change_required: false,
            ..s
        });
    continue_sign_in(&state, &ctx, &cache, &s, &f.p).await
}
