//! Conditional Access at the HTTP edge, after `web::flow` (which enforces the decision
//! of the policies before a Response is issued: the refusal page, or a sign-in kept
//! waiting here): the second step ("Verify your identity": a code from an
//! authenticator app or a recovery code, checked and throttled by `crate::methods`) and,
//! for a user with no method yet, "More information required" (the registration of an
//! authenticator app); then the original sign-in completes, RelayState and InResponseTo
//! intact. The session records each method used, so another application under an MFA
//! policy does not ask again within its sign-in frequency.

use super::failure::PageFailure;
use super::flow::{complete_since, Ctx, Pending, PendingQuery};
use super::http::ClientIp;
use super::pages::{esc, html_headers, page};
use super::session::current_session;
use super::state::AppState;
use crate::access::eval;
use crate::admin::Actor;
use crate::methods::{self, Attempt, By, MethodError, Proof, TotpConfirmation};
use crate::model::{AuthMethod, MethodKind};
use crate::sso::cache::AppCache;
use crate::sso::flow::{check_tenant, Failure, Who};
use crate::sso::{now, ErrorCode, SsoError};
use crate::store::SessionWithUser;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

// ---------------------------------------------------------------------------------------
// The second step

/// The form of the second step and of the registration interrupt.
#[derive(Debug, Default, Deserialize)]
pub struct StepForm {
    /// The pending sign-in.
    #[serde(default)]
    pub p: String,
    /// A code of an authenticator app.
    #[serde(default)]
    pub code: String,
    /// A recovery code.
    #[serde(default)]
    pub recovery_code: String,
    /// The registration being confirmed ('' to begin one).
    #[serde(default)]
    pub pending_id: String,
    /// The name of the authenticator app registered.
    #[serde(default)]
    pub name: String,
}

fn message_html(e: Option<(&SsoError, &str)>) -> String {
    match e {
        Some((e, corr)) => format!(
            "<p class=\"err\" role=\"alert\"><strong>{}</strong>: {} <small>({}; correlation id {})</small></p>",
            esc(e.code.title()),
            esc(&e.detail),
            e.code.code(),
            esc(corr)
        ),
        None => String::new(),
    }
}

fn html_response(status: StatusCode, body: String, e: Option<&SsoError>) -> Response {
    let mut r = (status, html_headers(), body).into_response();
    if let Some(e) = e {
        r.headers_mut()
            .insert("x-sesame-error", HeaderValue::from_static(e.code.code()));
    }
    r
}

/// "Verify your identity": a code from the authenticator app, or a recovery code.
fn verify_html(
    tenant: &str,
    p: &str,
    upn: &str,
    msg: Option<(&SsoError, &str)>,
    offer: &[AuthMethod],
) -> String {
    let has = |k: MethodKind| offer.is_empty() || offer.iter().any(|m| m.kind == k);
    let code = if has(MethodKind::Totp) {
        "<label for=\"code\">Code from the authenticator app</label>\
<input type=\"text\" id=\"code\" name=\"code\" autocomplete=\"one-time-code\" inputmode=\"numeric\" autofocus>"
    } else {
        ""
    };
    let recovery = if has(MethodKind::Recovery) {
        "<details><summary>Use a recovery code</summary><label for=\"recovery_code\">Recovery code</label>\
<input type=\"text\" id=\"recovery_code\" name=\"recovery_code\" autocomplete=\"one-time-code\" inputmode=\"numeric\"></details>"
    } else {
        ""
    };
    page(
        "Verify your identity",
        &format!(
            "<h1>Verify your identity</h1><p>Signed in as <strong>{upn}</strong>. This application requires a second factor.</p>{msg}\
<form method=\"post\" action=\"/{t}/login/verify\"><input type=\"hidden\" name=\"p\" value=\"{p}\">\
{code}{recovery}<button type=\"submit\">Verify</button></form>",
            upn = esc(upn),
            msg = message_html(msg),
            t = esc(tenant),
            p = esc(p),
        ),
    )
}

/// "More information required": the user has no method yet.
fn more_info_html(tenant: &str, p: &str, upn: &str) -> String {
    page(
        "More information required",
        &format!(
            "<h1>More information required</h1><p>Signed in as <strong>{upn}</strong>. Your organisation needs more information to keep your account secure: \
this application requires a second factor, and you have none yet. Set up an authenticator app (Microsoft Authenticator, Google Authenticator, or a password manager that shows codes), then you continue to the application.</p>\
<form method=\"post\" action=\"/{t}/login/register\"><input type=\"hidden\" name=\"p\" value=\"{p}\">\
<button type=\"submit\">Next</button></form>",
            upn = esc(upn),
            t = esc(tenant),
            p = esc(p),
        ),
    )
}

/// The set-up of an authenticator app within the sign-in.
fn register_html(
    tenant: &str,
    p: &str,
    reg: &methods::TotpRegistration,
    name: &str,
    msg: Option<(&SsoError, &str)>,
) -> String {
    page(
        "Set up your authenticator app",
        &format!(
            "<h1>Set up your authenticator app</h1>{msg}<p>In your app, add an account and scan this QR code.</p>{qr}\
<p>Can't scan the QR code? Type this key: <code id=\"totp-key\">{key}</code>, or open <code id=\"totp-uri\">{uri}</code> on the device that runs the app.</p>\
<form method=\"post\" action=\"/{t}/login/register\"><input type=\"hidden\" name=\"p\" value=\"{p}\">\
<input type=\"hidden\" name=\"pending_id\" value=\"{pid}\">\
<label for=\"code\">Code from the app</label>\
<input type=\"text\" id=\"code\" name=\"code\" autocomplete=\"one-time-code\" inputmode=\"numeric\" autofocus required>\
<label for=\"name\">Name</label><input type=\"text\" id=\"name\" name=\"name\" value=\"{name}\" required>\
<button type=\"submit\">Confirm</button></form>",
            msg = message_html(msg),
            qr = reg.qr_svg,
            key = esc(&reg.secret_base32),
            uri = esc(&reg.uri),
            t = esc(tenant),
            p = esc(p),
            pid = esc(&reg.pending_id),
            name = esc(name),
        ),
    )
}

/// The session and the pending second step of this request, or the failure to show.
async fn step_context(
    state: &AppState,
    ctx: &Ctx,
    cache: &AppCache,
    headers: &HeaderMap,
    p: &str,
) -> Result<(SessionWithUser, Pending), PageFailure> {
    let expired = || {
        SsoError::new(
            ErrorCode::SignInExpired,
            "the sign-in is no longer waiting for a second factor (expired or already completed); go back to the application and sign in again",
        )
    };
    let s = current_session(state, cache, headers)
        .await
        .map_err(|e| ctx.fail(e))?
        .ok_or_else(|| ctx.fail(expired()))?;
    if p.is_empty() || p.len() > 64 {
        return Err(ctx.fail(Failure::from(expired()).user(Some(Who::of(&s)))));
    }
    let payload = state
        .store()
        .pending_get(p, now().unix_seconds())
        .await
        .map_err(|e| ctx.fail(SsoError::internal(&e)))?;
    match payload.and_then(|x| serde_json::from_str::<Pending>(&x).ok()) {
        Some(p @ (Pending::SecondStep { .. } | Pending::PortalStep { .. })) => Ok((s, p)),
        _ => Err(ctx.fail(Failure::from(expired()).user(Some(Who::of(&s))))),
    }
}

/// `GET /{tenant}/login/verify?p=…`.
pub async fn verify_get(
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
    let (s, ..) = step_context(&state, &ctx, &cache, &headers, &p).await?;
    let list = methods::usable(state.store(), &s.session.user_id)
        .await
        .map_err(|e| ctx.fail(SsoError::from(&e)))?;
    let body = if list.is_empty() {
        more_info_html(&tenant, &p, &s.upn)
    } else {
        verify_html(&tenant, &p, &s.upn, None, &list)
    };
    Ok(html_response(StatusCode::OK, body, None))
}

fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v != "same-origin" && v != "none")
}

fn status_of_method_error(e: &MethodError) -> StatusCode {
    match e {
        MethodError::Locked { .. } => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::OK,
    }
}

/// Records `method` in the session and completes the waiting sign-in.
async fn finish(
    state: &AppState,
    ctx: &Ctx,
    cache: &AppCache,
    headers: &HeaderMap,
    s: &SessionWithUser,
    p: &str,
    method: &str,
) -> Result<Response, PageFailure> {
    let t = now().unix_seconds();
    let who = Some(Who::of(s));
    let flow = ctx.flow(cache);
    flow.record_method(&s.session.id_hash, method, t)
        .await
        .map_err(|e| ctx.fail(Failure::from(e).user(who.clone())))?;
    let expired = SsoError::new(
        ErrorCode::SignInExpired,
        "the sign-in request is no longer kept (expired or already used)",
    );
    let (v, request, since) = match super::flow::take_pending(state, p)
        .await
        .map_err(|e| ctx.fail(e))?
    {
        Some(Pending::SecondStep { v, request, since }) => (v, request, since),
        Some(Pending::PortalStep { next }) => {
            let next = super::http::safe_next(&next).unwrap_or("/admin");
            let mut r = axum::response::Redirect::to(next).into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            return Ok(r);
        }
        _ => return Err(ctx.fail(Failure::from(expired).user(who))),
    };
    let s = current_session(state, cache, headers)
        .await
        .map_err(|e| ctx.fail(e))?
        .ok_or_else(|| ctx.fail(Failure::from(expired.clone()).user(who.clone())))?;
    let ctx = Ctx {
        request,
        ..ctx.clone()
    };
    complete_since(&ctx, cache, &v, &s, since).await
}

/// `POST /{tenant}/login/verify`: the code, checked (once, throttled) by
/// `crate::methods`; then the sign-in completes.
pub async fn verify_post(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<StepForm>,
) -> Result<Response, PageFailure> {
    let ctx = Ctx::new(&state, ip);
    let cache = state.cache().get();
    check_tenant(&cache, &tenant).map_err(|e| ctx.fail(e))?;
    if cross_site(&headers) {
        return Err(ctx.fail(SsoError::new(
            ErrorCode::FormExpired,
            "the form was sent from another site",
        )));
    }
    let (s, ..) = step_context(&state, &ctx, &cache, &headers, &f.p).await?;
    let who = Who::of(&s);
    let store = state.store();
    let list = methods::usable(store, &s.session.user_id)
        .await
        .map_err(|e| ctx.fail(SsoError::from(&e)))?;
    if list.is_empty() {
        return Ok(html_response(
            StatusCode::OK,
            more_info_html(&tenant, &f.p, &s.upn),
            None,
        ));
    }
    let proof = Proof {
        code: &f.code,
        recovery_code: &f.recovery_code,
        // The second step asks for a code: an earlier passkey sign-in proves nothing here.
        recent_passkey: false,
    };
    let used = if f.code.trim().is_empty() {
        eval::RECOVERY
    } else {
        eval::TOTP
    };
    let at = Attempt {
        ip: ctx.ip,
        now: now().unix_seconds(),
    };
    match methods::verify_existing(store, state.master(), &s.session.user_id, proof, at).await {
        Ok(()) => finish(&state, &ctx, &cache, &headers, &s, &f.p, used).await,
        Err(e @ (MethodError::Store(_) | MethodError::Key(_))) => {
            Err(ctx.fail(Failure::from(SsoError::from(&e)).user(Some(who))))
        }
        Err(e) => {
            let se = SsoError::from(&e);
            ctx.log(ctx.failure_row(
                &Failure::from(se.clone()).user(Some(who)),
                format!("second factor refused: {}", se.detail),
            ));
            Ok(html_response(
                status_of_method_error(&e),
                verify_html(&tenant, &f.p, &s.upn, Some((&se, &ctx.corr)), &list),
                Some(&se),
            ))
        }
    }
}

/// `POST /{tenant}/login/register`: "More information required" → the set-up of an
/// authenticator app (begun without `pending_id`, confirmed with its first code), for a
/// user with no method yet; then the sign-in completes.
pub async fn register_post(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<StepForm>,
) -> Result<Response, PageFailure> {
    let ctx = Ctx::new(&state, ip);
    let cache = state.cache().get();
    check_tenant(&cache, &tenant).map_err(|e| ctx.fail(e))?;
    if cross_site(&headers) {
        return Err(ctx.fail(SsoError::new(
            ErrorCode::FormExpired,
            "the form was sent from another site",
        )));
    }
    let (s, ..) = step_context(&state, &ctx, &cache, &headers, &f.p).await?;
    let who = Who::of(&s);
    let store = state.store();
    let internal = |e: &dyn std::error::Error| {
        ctx.fail(
            Failure::from(SsoError::new(ErrorCode::InternalError, e.to_string()))
                .user(Some(who.clone())),
        )
    };
    let user = store
        .user_by_id(&s.session.user_id)
        .await
        .map_err(|e| internal(&e))?
        .ok_or_else(|| {
            ctx.fail(SsoError::new(
                ErrorCode::UserDisabled,
                "the user account no longer exists",
            ))
        })?;
    let t = now().unix_seconds();
    if f.pending_id.is_empty() {
        // Only a user with no method registers here; one with a method verifies it.
        let list = methods::usable(store, &user.id)
            .await
            .map_err(|e| ctx.fail(SsoError::from(&e)))?;
        if !list.is_empty() {
            return Ok(html_response(
                StatusCode::OK,
                verify_html(&tenant, &f.p, &s.upn, None, &list),
                None,
            ));
        }
        let reg = methods::begin_totp(store, state.master(), &user, t)
            .await
            .map_err(|e| ctx.fail(SsoError::from(&e)))?;
        return Ok(html_response(
            StatusCode::OK,
            register_html(&tenant, &f.p, &reg, "Authenticator app", None),
            None,
        ));
    }
    let actor = Actor::User {
        id: user.id.clone(),
        upn: user.upn.clone(),
    };
    let c = TotpConfirmation {
        pending_id: &f.pending_id,
        name: &f.name,
        code: &f.code,
        proof: Proof::default(),
    };
    let at = Attempt { ip: ctx.ip, now: t };
    let by = By {
        actor: &actor,
        correlation_id: &ctx.corr,
    };
    match methods::confirm_totp(store, state.master(), &user, c, at, by).await {
        Ok(_) => finish(&state, &ctx, &cache, &headers, &s, &f.p, eval::TOTP).await,
        Err(e @ (MethodError::Store(_) | MethodError::Key(_))) => {
            Err(ctx.fail(Failure::from(SsoError::from(&e)).user(Some(who))))
        }
        Err(e) => {
            let se = SsoError::from(&e);
            ctx.log(ctx.failure_row(
                &Failure::from(se.clone()).user(Some(who)),
                format!("authenticator app registration refused: {}", se.detail),
            ));
            let body =
                match methods::totp_registration(store, state.master(), &user, &f.pending_id, t)
                    .await
                {
                    Ok(reg) => register_html(&tenant, &f.p, &reg, &f.name, Some((&se, &ctx.corr))),
                    Err(_) => more_info_html(&tenant, &f.p, &s.upn),
                };
            Ok(html_response(status_of_method_error(&e), body, Some(&se)))
        }
    }
}
