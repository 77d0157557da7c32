//! The invitation page (`/invitation`): where the link of an invitation mail leads. The
//! link's token leaves the address bar at once: `GET /invitation?t=TOKEN` checks it,
//! keeps it in a short-lived HttpOnly SameSite=Strict cookie scoped to this path and
//! moves the browser on to `/invitation` with a same-site refresh (a 303 would still
//! count as the mail site's navigation, and a Strict cookie is not sent then). Every
//! page says `Referrer-Policy: no-referrer`. The form asks for the new password twice
//! (synchronizer CSRF token and a `Sec-Fetch-Site` check, as the sign-in page); the
//! rules, the link and the audit are `selfservice::invite`'s. Accepted, the user is
//! signed in like a password sign-in and, when a Conditional Access policy requires MFA
//! of them and they have no method yet, goes through "More information required"
//! (`web::conditional`) before My Apps.

use super::flow::{put_pending, Ctx, Pending};
use super::http::{cookie, set_cookie, ClientIp};
use super::login::CSRF_COOKIE;
use super::pages::{esc, html_headers, page};
use super::state::AppState;
use crate::admin::errors::AdminCode;
use crate::directory::{password::PasswordError, DirectoryError};
use crate::selfservice::invite;
use crate::selfservice::{SelfServiceCode, SelfServiceError};
use crate::sso::flow::Who;
use crate::sso::now;
use crate::sso::session::{self, METHOD_PASSWORD};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

/// The cookie holding the invitation's token between the link and the form.
const TOKEN_COOKIE: &str = "sesame_invitation";
/// How long the token cookie lives, seconds: long enough to choose a password.
const TOKEN_COOKIE_SECS: i64 = 30 * 60;

/// `?t=` of the link.
#[derive(Debug, Deserialize)]
pub struct LinkQuery {
    /// The token.
    #[serde(default)]
    pub t: Option<String>,
}

/// The form.
#[derive(Debug, Deserialize)]
pub struct AcceptForm {
    /// CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// The new password.
    #[serde(default)]
    pub new: String,
    /// Its confirmation.
    #[serde(default)]
    pub confirm: String,
}

/// The token cookie (`value` '' and `max_age` 0 delete it).
fn token_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let mut s = format!(
        "{TOKEN_COOKIE}={value}; Path={}; HttpOnly; SameSite=Strict; Max-Age={max_age}",
        invite::PATH
    );
    if state.secure_cookies() {
        s.push_str("; Secure");
    }
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static("invalid=1; Max-Age=0"))
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    (status, html_headers(), page(title, body)).into_response()
}

/// What the user can do about a refused invitation.
fn what_to_do(code: SelfServiceCode) -> &'static str {
    match code {
        SelfServiceCode::LinkInvalid => {
            "Open the link exactly as it is in the mail (copy the whole of it into the \
             address bar). If it still does not work, ask your administrator to resend the \
             invitation."
        }
        SelfServiceCode::LinkExpired => {
            "An invitation is valid for 7 days. Ask your administrator to resend the \
             invitation: the new mail has a new link."
        }
        SelfServiceCode::LinkUsed => {
            "Each invitation link works once, and a newer invitation ends the older one. If \
             you have set your password already, sign in with it; otherwise use the newest \
             invitation mail, or ask your administrator to resend the invitation."
        }
        SelfServiceCode::InviteSignInBlocked => {
            "Your account's sign-in is blocked: ask your administrator to allow it and to \
             resend the invitation."
        }
        _ => "Ask your administrator to resend the invitation.",
    }
}

/// The page of a refused link (invalid, expired, used, blocked), with its code; the
/// token cookie is cleared.
fn refused_page(state: &AppState, ctx: &Ctx, code: SelfServiceCode, detail: &str) -> Response {
    let status = match code {
        SelfServiceCode::LinkInvalid => StatusCode::BAD_REQUEST,
        SelfServiceCode::InviteSignInBlocked => StatusCode::FORBIDDEN,
        _ => StatusCode::GONE,
    };
    let title = match code {
        SelfServiceCode::LinkExpired => "This invitation has expired",
        SelfServiceCode::LinkUsed => "This invitation was used already",
        SelfServiceCode::InviteSignInBlocked => "This account cannot sign in",
        _ => "This invitation link is not valid",
    };
    let body = format!(
        "<h1>{t}</h1><p class=\"err\" role=\"alert\">{d} <small>({c}; correlation id {corr})</small></p>\
<p>{what}</p><p><a href=\"/\">Sesame</a></p>",
        t = esc(title),
        d = esc(detail),
        c = code.code(),
        corr = esc(&ctx.corr),
        what = esc(what_to_do(code)),
    );
    let mut r = html(status, title, &body);
    r.headers_mut()
        .insert("x-sesame-error", HeaderValue::from_static(code.code()));
    r.headers_mut()
        .append(header::SET_COOKIE, token_cookie(state, "", 0));
    r
}

/// A self-service error as a page: a refusal with its code, anything else an internal
/// error (logged).
fn error_response(state: &AppState, ctx: &Ctx, e: SelfServiceError) -> Response {
    match &e {
        SelfServiceError::Link { code, detail } | SelfServiceError::Refused { code, detail } => {
            refused_page(state, ctx, *code, detail)
        }
        _ => {
            tracing::error!(correlation_id = %ctx.corr, "invitation: {e}");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                &format!(
                    "<h1>Something went wrong</h1><p>Sesame could not complete this step. Try again in a moment. <small>(correlation id {})</small></p>",
                    esc(&ctx.corr)
                ),
            )
        }
    }
}

fn public_url(state: &AppState) -> String {
    state
        .cache()
        .get()
        .tenant
        .as_ref()
        .map(|t| t.public_url.clone())
        .unwrap_or_default()
}

/// The form: who is invited, the new password twice; `msg` the refusal of the previous
/// attempt. A fresh CSRF cookie goes with it.
fn form_page(
    state: &AppState,
    user: &crate::model::User,
    expires_at: i64,
    msg: Option<&str>,
    status: StatusCode,
) -> Response {
    let csrf = session::new_cookie().map(|(v, _)| v).unwrap_or_default();
    let name = if user.display_name.trim().is_empty() {
        &user.upn
    } else {
        &user.display_name
    };
    let msg = msg
        .map(|m| format!("<p class=\"err\" role=\"alert\">{}</p>", esc(m)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Welcome, {name}</h1><p>You were invited to sign in as <strong id=\"upn\">{upn}</strong>. Choose your password to start; this invitation expires on {exp}.</p>{msg}\
<form method=\"post\" action=\"{path}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<input type=\"text\" name=\"username\" value=\"{upn}\" autocomplete=\"username\" hidden readonly>\
<label for=\"new\">New password</label><input type=\"password\" id=\"new\" name=\"new\" autocomplete=\"new-password\" autofocus required>\
<label for=\"confirm\">Confirm the new password</label><input type=\"password\" id=\"confirm\" name=\"confirm\" autocomplete=\"new-password\" required>\
<button type=\"submit\">Set password and sign in</button></form>",
        name = esc(name),
        upn = esc(&user.upn),
        exp = esc(&invite::when(expires_at)),
        path = invite::PATH,
        csrf = esc(&csrf),
    );
    let mut r = html(status, "Choose your password", &body);
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, CSRF_COOKIE, &csrf, None),
    );
    r
}

/// `GET /invitation[?t=TOKEN]`: with a token, the link checked and moved to the cookie;
/// without, the form for the invitation in the cookie.
pub async fn get(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Query(q): Query<LinkQuery>,
) -> Response {
    let ctx = Ctx::new(&state, ip);
    let t = now().unix_seconds();
    if let Some(token) = q.t.as_deref() {
        if let Err(e) = invite::check(state.store(), token, t).await {
            return error_response(&state, &ctx, e);
        }
        // Out of the address bar: a same-site refresh to the form, the token in the
        // cookie. Only the URL-safe characters of a checked token reach the header.
        let token = token.trim();
        let body = format!(
            "<h1>Your invitation</h1><p><a href=\"{p}\">Continue</a></p>",
            p = invite::PATH
        );
        let mut r = html(StatusCode::OK, "Your invitation", &body);
        let h = r.headers_mut();
        h.insert(
            header::REFRESH,
            HeaderValue::from_static("0; url=/invitation"),
        );
        h.append(
            header::SET_COOKIE,
            token_cookie(&state, token, TOKEN_COOKIE_SECS),
        );
        return r;
    }
    let Some(token) = cookie(&headers, TOKEN_COOKIE).filter(|v| !v.is_empty()) else {
        return refused_page(
            &state,
            &ctx,
            SelfServiceCode::LinkInvalid,
            "This browser holds no invitation: open the link of the invitation mail.",
        );
    };
    match invite::check(state.store(), token, t).await {
        Ok((link, user)) => form_page(&state, &user, link.expires_at, None, StatusCode::OK),
        Err(e) => error_response(&state, &ctx, e),
    }
}

/// `POST /invitation`: the new password; accepted, the user signed in.
pub async fn post(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<AcceptForm>,
) -> Response {
    let ctx = Ctx::new(&state, ip);
    let t = now().unix_seconds();
    let Some(token) = cookie(&headers, TOKEN_COOKIE)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
    else {
        return refused_page(
            &state,
            &ctx,
            SelfServiceCode::LinkInvalid,
            "This browser holds no invitation: open the link of the invitation mail again.",
        );
    };
    let (link, user) = match invite::check(state.store(), &token, t).await {
        Ok(x) => x,
        Err(e) => return error_response(&state, &ctx, e),
    };
    // CSRF: the form must come from this site and repeat this browser's token.
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v != "same-origin" && v != "none");
    let token_ok = cookie(&headers, CSRF_COOKIE).is_some_and(|c| {
        !c.is_empty()
            && aws_lc_rs::constant_time::verify_slices_are_equal(c.as_bytes(), f.csrf.as_bytes())
                .is_ok()
    });
    if cross_site || !token_ok {
        let m = format!(
            "{}: the form's security token does not match this browser's (the page was open too long, or the form came from another site). Nothing was changed: type the password again.",
            AdminCode::CsrfFailed.code()
        );
        return form_page(
            &state,
            &user,
            link.expires_at,
            Some(&m),
            StatusCode::FORBIDDEN,
        );
    }
    if f.new != f.confirm {
        let m = format!(
            "{}: The new password and its confirmation differ. Type the same new password twice.",
            AdminCode::PasswordPolicy.code()
        );
        return form_page(
            &state,
            &user,
            link.expires_at,
            Some(&m),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let url = public_url(&state);
    let user = match invite::accept(state.store(), &token, f.new, &url, &ctx.corr, t).await {
        Ok(u) => u,
        Err(SelfServiceError::Directory(DirectoryError::Password(PasswordError::Policy(m)))) => {
            let m = format!("{}: {m}.", AdminCode::PasswordPolicy.code());
            return form_page(
                &state,
                &user,
                link.expires_at,
                Some(&m),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
        Err(e) => return error_response(&state, &ctx, e),
    };
    state.config_changed().await;
    signed_in(&state, &ctx, &headers, &user).await
}

/// The user who has just set their first password: a new session (as a password sign-in
/// starts one), then "More information required" when a Conditional Access policy
/// requires MFA of them and they have no usable method, else My Apps.
async fn signed_in(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    user: &crate::model::User,
) -> Response {
    let cache = state.cache().get();
    let started = ctx
        .flow(&cache)
        .start_session(
            cookie(headers, session::COOKIE),
            user,
            METHOD_PASSWORD,
            now().unix_millis(),
            &session::Client {
                user_agent: super::http::user_agent(headers),
                address: ctx.ip.to_string(),
            },
        )
        .await;
    let value = match started {
        Ok((value, _)) => value,
        Err(e) => return ctx.fail(e).into_response(),
    };
    let who = Who::user(&user.id, &user.upn);
    ctx.log(ctx.row(
        "success",
        None,
        None,
        Some(&who),
        None,
        "signed in to Sesame: invitation accepted, first password set".into(),
    ));
    let next = match registration_needed(state, &user.id).await {
        Ok(false) => "/myapps".to_owned(),
        Ok(true) => {
            let p = Pending::PortalStep {
                next: "/myapps".into(),
                passkey_only: false,
            };
            match put_pending(state, ctx.ip, &p).await {
                Ok(id) => {
                    let tenant = cache
                        .tenant
                        .as_ref()
                        .map(|t| t.id.clone())
                        .unwrap_or_default();
                    format!("/{tenant}/login/verify?p={id}")
                }
                Err(e) => return ctx.fail(e).into_response(),
            }
        }
        Err(e) => {
            tracing::error!(correlation_id = %ctx.corr, "invitation: MFA registration check: {e}");
            "/myapps".to_owned()
        }
    };
    let mut r = StatusCode::SEE_OTHER.into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&next) {
        h.insert(header::LOCATION, v);
    }
    h.append(
        header::SET_COOKIE,
        set_cookie(state, session::COOKIE, &value, Some(session::ABSOLUTE_SECS)),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(state, CSRF_COOKIE, "", Some(0)),
    );
    h.append(header::SET_COOKIE, token_cookie(state, "", 0));
    r
}

/// Whether the user must register a method now: a Conditional Access policy that is On
/// requires MFA of them (`access::mfa_required_of`, what Security info warns of) and
/// they have no usable method. The Authentication methods policy only enables methods;
/// it requires none.
async fn registration_needed(state: &AppState, user_id: &str) -> Result<bool, String> {
    let store = state.store();
    if !crate::access::mfa_required_of(store, user_id)
        .await
        .map_err(|e| e.to_string())?
    {
        return Ok(false);
    }
    let methods = crate::methods::usable(store, user_id)
        .await
        .map_err(|e| e.to_string())?;
    Ok(methods.is_empty())
}
