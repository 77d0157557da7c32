//! The login page: user principal name and password, a synchronizer CSRF token (a random
//! cookie the form must repeat, compared in constant time) and a `Sec-Fetch-Site` check.
//! The password check, its throttle and its delays are `crate::authentication`'s (this
//! reads the places it counts as familiar: the known-device cookie, the session's user,
//! the trusted locations, and marks the browser known after a success); the
//! session and the sign-in that was waiting for it are `sso::flow`'s. This decodes the
//! form, renders and logs.

use super::failure::PageFailure;
use super::flow::{complete, take_pending, Ctx, Pending, PendingQuery};
use super::http::{cookie, set_cookie, ClientIp};
use super::pages::esc;
use super::pages::{html_headers, page};
use super::session::current_session;
use super::state::AppState;
use crate::authentication::{self, device, Place, Refused};
use crate::model::User;
use crate::sso::cache::AppCache;
use crate::sso::flow::{check_tenant, Failure, Who};
use crate::sso::session::{self, METHOD_PASSWORD};
use crate::sso::{now, ErrorCode, SsoError};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

/// CSRF cookie name.
pub(super) const CSRF_COOKIE: &str = "sesame_csrf";
/// What the key of known-device marks is derived for from the master key.
const DEVICE_KEY_PURPOSE: &str = "sesame known device v1";

fn csrf_new() -> String {
    session::new_cookie().map(|(v, _)| v).unwrap_or_default()
}

fn form_html(
    tenant: &str,
    p: Option<&str>,
    csrf: &str,
    upn: &str,
    message: Option<(&SsoError, &str)>,
) -> String {
    let msg = match message {
        Some((e, corr)) => format!(
            "<p class=\"err\" role=\"alert\"><strong>{}</strong>: {} <small>({}; correlation id {})</small></p>",
            esc(e.code.title()),
            esc(&e.detail),
            e.code.code(),
            esc(corr)
        ),
        None => String::new(),
    };
    let p_field = p
        .map(|p| format!("<input type=\"hidden\" name=\"p\" value=\"{}\">", esc(p)))
        .unwrap_or_default();
    page(
        "Sign in",
        &format!(
            "<h1>Sign in</h1>{msg}<form method=\"post\" action=\"/{t}/login\">{p_field}\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<label for=\"username\">User principal name</label><input type=\"text\" id=\"username\" name=\"username\" value=\"{upn}\" autocomplete=\"username\" autofocus required>\
<label for=\"password\">Password</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\
<button type=\"submit\">Sign in</button></form>\
<p><a id=\"forgot-password\" href=\"{forgot}\">Forgot my password</a></p>{passkey}",
            passkey = super::passkey_button::login_button(tenant, p, csrf),
            forgot = esc(&forgot_href(p)),
            t = esc(tenant),
            csrf = esc(csrf),
            upn = esc(upn),
        ),
    )
}

/// The path of the password reset page (`web::reset`), keeping the waiting sign-in `p`
/// when it is an id of Sesame's (URL-safe characters only).
fn forgot_href(p: Option<&str>) -> String {
    match p.filter(|p| {
        p.len() <= 128
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
    }) {
        Some(p) => format!("/passwordreset?p={p}"),
        None => "/passwordreset".to_owned(),
    }
}

pub(super) fn render(
    state: &AppState,
    tenant: &str,
    p: Option<&str>,
    upn: &str,
    message: Option<(&SsoError, &str)>,
    status: axum::http::StatusCode,
) -> Response {
    let csrf = csrf_new();
    let mut r = (
        status,
        html_headers(),
        form_html(tenant, p, &csrf, upn, message),
    )
        .into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, CSRF_COOKIE, &csrf, None),
    );
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        super::passkey_button::login_csp(),
    );
    if let Some(e) = message {
        if let Ok(v) = axum::http::HeaderValue::from_str(e.0.code.code()) {
            r.headers_mut().insert("x-sesame-error", v);
        }
    }
    r
}

/// `GET /{tenant}/login[?p=…]`.
pub async fn login_get(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Query(q): Query<PendingQuery>,
    ip: ClientIp,
) -> Result<Response, PageFailure> {
    let ctx = Ctx::new(&state, ip);
    let cache = state.cache().get();
    check_tenant(&cache, &tenant).map_err(|e| ctx.fail(e))?;
    Ok(render(
        &state,
        &tenant,
        q.p.as_deref(),
        "",
        None,
        StatusCode::OK,
    ))
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    /// Pending request id.
    #[serde(default)]
    pub p: Option<String>,
    /// CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// UPN.
    #[serde(default)]
    pub username: String,
    /// Password.
    #[serde(default)]
    pub password: String,
}

/// `POST /{tenant}/login`.
pub async fn login_post(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageFailure> {
    let ctx = Ctx::new(&state, ip);
    let cache = state.cache().get();
    check_tenant(&cache, &tenant).map_err(|e| ctx.fail(e))?;
    let p = f.p.as_deref().filter(|p| !p.is_empty());
    let upn = f.username.trim().chars().take(256).collect::<String>();

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
        let e = SsoError::new(
            ErrorCode::FormExpired,
            "the form's security token does not match this browser's",
        );
        ctx.log(ctx.failure_row(&Failure::from(e.clone()), e.detail.clone()));
        return Ok(render(
            &state,
            &tenant,
            p,
            &upn,
            Some((&e, &ctx.corr)),
            StatusCode::FORBIDDEN,
        ));
    }

    let t = now().unix_seconds();
    // Familiar places: this browser's known-device marks and its current session's user,
    // and the trusted named locations.
    let device_key = state.master().derive_key(DEVICE_KEY_PURPOSE);
    let device_cookie = cookie(&headers, device::COOKIE);
    let mut known_for = device_cookie
        .map(|v| device::users(&device_key, v, t))
        .unwrap_or_default();
    if let Ok(Some(s)) = current_session(&state, &cache, &headers).await {
        known_for.push(s.session.user_id);
    }
    let place = Place {
        trusted_location: state.trusted_location(ctx.ip),
        known_for,
    };
    let attempt = authentication::password(state.store(), ctx.ip, &upn, f.password, t, &place);
    let user = match attempt.await {
        Ok(u) => u,
        Err(refused) => {
            let e = SsoError::from(&refused);
            // The row names the user as far as it is known; a throttled address names
            // no user (the name is in the details).
            let (who, details, status) = match &refused {
                Refused::Store(_) => return Err(ctx.fail(e)),
                Refused::Disabled(u) => {
                    return Err(ctx.fail(Failure::from(e).user(Some(Who::user(&u.id, &u.upn)))))
                }
                Refused::Throttled { .. } | Refused::TooFrequent { .. } => (
                    None,
                    format!("{upn}: {}", e.detail),
                    StatusCode::TOO_MANY_REQUESTS,
                ),
                Refused::Busy { .. } => (
                    None,
                    format!("{upn}: {}", e.detail),
                    StatusCode::SERVICE_UNAVAILABLE,
                ),
                // The lock is per name, known or not: the row names it with an empty id.
                Refused::Locked { .. } => (
                    Some(Who {
                        id: Some(String::new()),
                        upn: upn.clone(),
                    }),
                    e.detail.clone(),
                    StatusCode::OK,
                ),
                Refused::InvalidCredentials { user } => (
                    Some(match user {
                        Some(u) => Who::user(&u.id, &u.upn),
                        None => Who {
                            id: None,
                            upn: upn.clone(),
                        },
                    }),
                    e.detail.clone(),
                    StatusCode::OK,
                ),
            };
            ctx.log(ctx.failure_row(&Failure::from(e.clone()).user(who), details));
            let mut r = render(&state, &tenant, p, &upn, Some((&e, &ctx.corr)), status);
            let wait = match refused {
                Refused::Throttled { retry_after }
                | Refused::TooFrequent { retry_after }
                | Refused::Busy { retry_after } => Some(retry_after),
                _ => None,
            };
            if let Some(secs) = wait {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
            }
            return Ok(r);
        }
    };

    let mut r = start_signed_in(
        &ctx,
        &state,
        &cache,
        &headers,
        &user,
        METHOD_PASSWORD,
        p,
        "signed in to Sesame",
    )
    .await?;
    let h = r.headers_mut();
    // This browser is now known for the user.
    let mark = device::remember(&device_key, device_cookie, &user.id, t);
    h.append(
        header::SET_COOKIE,
        set_cookie(
            &state,
            device::COOKIE,
            &mark,
            Some(device::KNOWN_DEVICE_SECS),
        ),
    );
    Ok(r)
}

/// A user who has just proved who they are (password or passkey, `method`): a new session
/// (rotated: any previous one of this browser ends), then the pending sign-in `p`
/// completed, or Sesame's home page with `success` in the sign-in log. Signed in either
/// way: the session cookie goes with an error page too, and the form's CSRF cookie is
/// cleared.
#[allow(clippy::too_many_arguments)]
pub(super) async fn start_signed_in(
    ctx: &Ctx,
    state: &AppState,
    cache: &AppCache,
    headers: &HeaderMap,
    user: &User,
    method: &str,
    p: Option<&str>,
    success: &str,
) -> Result<Response, PageFailure> {
    let (value, swu) = ctx
        .flow(cache)
        .start_session(
            cookie(headers, session::COOKIE),
            user,
            method,
            now().unix_millis(),
            &session::Client {
                user_agent: super::http::user_agent(headers),
                address: ctx.ip.to_string(),
            },
        )
        .await
        .map_err(|e| ctx.fail(e))?;
    let who = Some(Who::user(&user.id, &user.upn));
    let answer = match p {
        Some(p) => match take_pending(state, p).await {
            Ok(Some(Pending::SignIn { v, request })) => {
                let ctx = Ctx {
                    request,
                    ..ctx.clone()
                };
                complete(&ctx, cache, &v, &swu).await
            }
            Ok(_) => {
                let e = SsoError::new(ErrorCode::SignInExpired, "the sign-in request is no longer kept (expired or already used); you are signed in to Sesame");
                Err(ctx.fail(Failure::from(e).user(who)))
            }
            Err(e) => Err(ctx.fail(e)),
        },
        None => {
            ctx.log(ctx.row("success", None, None, who.as_ref(), None, success.into()));
            Ok(Redirect::to("/").into_response())
        }
    };
    let mut r = answer.into_response();
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(state, session::COOKIE, &value, Some(session::ABSOLUTE_SECS)),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(state, CSRF_COOKIE, "", Some(0)),
    );
    Ok(r)
}
