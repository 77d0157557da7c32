//! The login page: user principal name and password, a synchronizer CSRF token (a random
//! cookie the form must repeat, compared in constant time) and a `Sec-Fetch-Site` check;
//! after 10 failures a name is locked for 60 s, and each client address is throttled with
//! an exponential backoff so nobody can keep an account locked for ever. Unknown names
//! are handled exactly like known ones: the same counters, the same message, and a
//! password verification against a dummy hash so the timing is the same.

use super::pages::{html_headers, page};
use super::saml::{self, fail, row, take_pending, Ctx, Pending, PendingQuery};
use super::{cookie, esc, set_cookie, AppState, ClientIp};
use crate::directory::password;
use crate::sso::session::{self, METHOD_PASSWORD};
use crate::sso::{now, ErrorCode, SsoError};
use crate::store::SessionWithUser;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

/// CSRF cookie name.
const CSRF_COOKIE: &str = "sesame_csrf";
/// Failures before a name is locked.
pub const LOCK_AFTER: i64 = 10;
/// How long a name stays locked, seconds.
pub const LOCK_SECS: i64 = 60;
/// Failures from one address before it is throttled.
pub const IP_FREE_FAILURES: i64 = 20;
/// Longest wait imposed on one address, seconds.
pub const IP_MAX_WAIT: i64 = 900;

fn user_key(upn: &str) -> String {
    format!("user:{}", upn.trim().to_lowercase())
}

fn ip_key(ctx: &Ctx) -> String {
    format!("ip:{}", ctx.ip)
}

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
<button type=\"submit\">Sign in</button></form>",
            t = esc(tenant),
            csrf = esc(csrf),
            upn = esc(upn),
        ),
    )
}

fn render(
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
) -> Response {
    let ctx = Ctx::new(ip);
    let cache = state.cache().get();
    if let Err(e) = saml::check_tenant(&cache, &tenant) {
        return fail(&state, &ctx, &e, None, None, None);
    }
    render(
        &state,
        &tenant,
        q.p.as_deref(),
        "",
        None,
        axum::http::StatusCode::OK,
    )
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
) -> Response {
    let ctx = Ctx::new(ip);
    let cache = state.cache().get();
    if let Err(e) = saml::check_tenant(&cache, &tenant) {
        return fail(&state, &ctx, &e, None, None, None);
    }
    let p = f.p.as_deref().filter(|p| !p.is_empty());
    let upn = f.username.trim().chars().take(256).collect::<String>();
    let status = axum::http::StatusCode::OK;

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
        state.log(row(
            &ctx,
            "failure",
            Some(e.code),
            None,
            None,
            None,
            e.detail.clone(),
        ));
        return render(
            &state,
            &tenant,
            p,
            &upn,
            Some((&e, &ctx.corr)),
            axum::http::StatusCode::FORBIDDEN,
        );
    }

    let t = now().unix_seconds();
    let store = state.store();
    // Per-address throttle.
    let ipk = ip_key(&ctx);
    // A database that cannot answer is a 503, never a "wrong password" or a skipped lock.
    let ip_state = match store.lockout_get(&ipk).await {
        Ok(l) => l,
        Err(e) => return fail(&state, &ctx, &SsoError::internal(&e), None, None, None),
    };
    if ip_state.locked_until > t {
        let e = SsoError::new(
            ErrorCode::TooManyAttempts,
            format!("try again in {} seconds", ip_state.locked_until - t),
        );
        state.log(row(
            &ctx,
            "failure",
            Some(e.code),
            None,
            None,
            None,
            format!("{upn}: {}", e.detail),
        ));
        return render(
            &state,
            &tenant,
            p,
            &upn,
            Some((&e, &ctx.corr)),
            axum::http::StatusCode::TOO_MANY_REQUESTS,
        );
    }
    // Per-name lock (every name, known or not).
    let uk = user_key(&upn);
    let u_state = match store.lockout_get(&uk).await {
        Ok(l) => l,
        Err(e) => return fail(&state, &ctx, &SsoError::internal(&e), None, None, None),
    };
    if u_state.locked_until > t {
        let e = SsoError::new(
            ErrorCode::AccountLocked,
            format!(
                "too many failed attempts; try again in {} seconds",
                u_state.locked_until - t
            ),
        );
        state.log(row(
            &ctx,
            "failure",
            Some(e.code),
            None,
            Some(("", &upn)),
            None,
            e.detail.clone(),
        ));
        return render(&state, &tenant, p, &upn, Some((&e, &ctx.corr)), status);
    }

    // Verify: a real hash for a known user with a password, the dummy otherwise.
    let user = match store.user_by_upn(&upn).await {
        Ok(u) => u,
        Err(e) => return fail(&state, &ctx, &SsoError::internal(&e), None, None, None),
    };
    let hash = match &user {
        Some(u) => match store.password_hash(&u.id).await {
            Ok(h) => h,
            Err(e) => return fail(&state, &ctx, &SsoError::internal(&e), None, None, None),
        },
        None => None,
    };
    let pw = f.password;
    let verified = tokio::task::spawn_blocking(move || match hash {
        Some(h) => password::verify_password(&h, &pw),
        None => {
            let _ = password::verify_against_dummy(&pw);
            false
        }
    })
    .await
    .unwrap_or(false);

    if !verified {
        // Counted atomically in the database, so failures at several nodes add up.
        if let Ok(n) = store.lockout_record_failure(&uk, t).await {
            if n >= LOCK_AFTER {
                let _ = store.lockout_lock(&uk, t + LOCK_SECS, true).await;
            }
        }
        if let Ok(n) = store.lockout_record_failure(&ipk, t).await {
            if n > IP_FREE_FAILURES {
                let exp = (n - IP_FREE_FAILURES).min(10) as u32;
                let _ = store
                    .lockout_lock(&ipk, t + (1i64 << exp).min(IP_MAX_WAIT), false)
                    .await;
            }
        }
        let e = SsoError::new(
            ErrorCode::InvalidCredentials,
            "the user name or password is incorrect",
        );
        let who = user
            .as_ref()
            .map(|u| (u.id.as_str(), u.upn.as_str()))
            .unwrap_or(("", upn.as_str()));
        let mut r = row(
            &ctx,
            "failure",
            Some(e.code),
            None,
            Some(who),
            None,
            e.detail.clone(),
        );
        if user.is_none() {
            r.user_id = None;
        }
        state.log(r);
        return render(&state, &tenant, p, &upn, Some((&e, &ctx.corr)), status);
    }
    let _ = store.lockout_clear(&uk).await;
    let _ = store.lockout_clear(&ipk).await;
    let Some(user) = user else {
        // Unreachable: a verified password belongs to a known user.
        let e = SsoError::new(
            ErrorCode::InvalidCredentials,
            "the user name or password is incorrect",
        );
        return render(&state, &tenant, p, &upn, Some((&e, &ctx.corr)), status);
    };
    if !user.enabled {
        let e = SsoError::new(
            ErrorCode::UserDisabled,
            format!("the account {} is disabled", user.upn),
        );
        return fail(&state, &ctx, &e, None, Some((&user.id, &user.upn)), None);
    }

    // A new session (rotated: any previous one of this browser ends).
    if let Some(old) = cookie(&headers, session::COOKIE).filter(|v| session::plausible_cookie(v)) {
        let old = session::hash_cookie(old);
        let _ = store.session_delete(&old).await;
        state.cache().hot().forget_session(&old, &cache.memo);
    }
    let Some((value, hash)) = session::new_cookie() else {
        let e = SsoError::new(
            ErrorCode::InternalError,
            "the system random generator failed",
        );
        return fail(&state, &ctx, &e, None, None, None);
    };
    let record = session::new_record(hash, &user.id, METHOD_PASSWORD, t);
    if let Err(e) = store.session_insert(&record).await {
        let e = SsoError::internal(&e);
        return fail(&state, &ctx, &e, None, None, None);
    }
    let swu = SessionWithUser {
        session: record,
        upn: user.upn.clone(),
        user_enabled: true,
        sessions_valid_after: user.sessions_valid_after,
    };
    let mut r = match p {
        Some(p) => match take_pending(&state, p).await {
            Ok(Some(Pending::SignIn { v, request })) => {
                let ctx = Ctx {
                    request,
                    ..ctx.clone()
                };
                saml::complete(&state, &cache, &ctx, &v, &swu).await
            }
            Ok(_) => {
                let e = SsoError::new(ErrorCode::SignInExpired, "the sign-in request is no longer kept (expired or already used); you are signed in to Sesame");
                fail(&state, &ctx, &e, None, Some((&user.id, &user.upn)), None)
            }
            Err(e) => fail(&state, &ctx, &e, None, None, None),
        },
        None => {
            state.log(row(
                &ctx,
                "success",
                None,
                None,
                Some((&user.id, &user.upn)),
                None,
                "signed in to Sesame".into(),
            ));
            Redirect::to("/").into_response()
        }
    };
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(
            &state,
            session::COOKIE,
            &value,
            Some(session::ABSOLUTE_SECS),
        ),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(&state, CSRF_COOKIE, "", Some(0)),
    );
    r
}
