//! "Sign in with a passkey" on the sign-in page: its script (a small asset,
//! `/assets/passkey.js`, shared with Security info; the button is `passkey_button`'s),
//! the ceremony's options
//! (`POST /{tenant}/login/passkey/options`, JSON) and its answer
//! (`POST /{tenant}/login/passkey`, a form like the password's, carrying the pending
//! sign-in). The checks are `methods::passkey`'s; the session and the sign-in that was
//! waiting for it are `sso::flow`'s, exactly as after a password: a disabled user is
//! refused, every outcome has its sign-in log row, and the pending request continues
//! with its RelayState and InResponseTo.

use super::failure::PageFailure;
use super::flow::Ctx;
use super::http::{cookie, ClientIp};
use super::login::{render, start_signed_in, CSRF_COOKIE};
use super::state::AppState;
use crate::methods::passkey::{self, PasskeyError, RelyingParty, SignInAnswer};
use crate::methods::{Attempt, MethodError};
use crate::sso::flow::{check_tenant, Failure, Who};
use crate::sso::session::METHOD_PASSKEY;
use crate::sso::{now, ErrorCode, SsoError};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

/// `GET /assets/passkey.js`.
pub(crate) async fn script() -> Response {
    let mut r = include_str!("../../assets/passkey.js").into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// The relying party of this installation (its public URL's host and origin).
pub(crate) fn relying_party(state: &AppState) -> Result<RelyingParty, PasskeyError> {
    let url = state
        .cache()
        .get()
        .tenant
        .as_ref()
        .map(|t| t.public_url.clone())
        .unwrap_or_default();
    RelyingParty::from_public_url(&url)
}

fn json_error(status: StatusCode, e: &SsoError) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"code": e.code.code(), "message": e.detail})),
    )
        .into_response()
}

/// `POST /{tenant}/login/passkey/options`: a new sign-in ceremony (JSON: `ceremony`, the
/// id to send back; `publicKey`, the options of `navigator.credentials.get`).
pub(crate) async fn options(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    ClientIp(ip, _): ClientIp,
) -> Response {
    let cache = state.cache().get();
    if let Err(e) = check_tenant(&cache, &tenant) {
        return json_error(StatusCode::NOT_FOUND, &e);
    }
    let rp = match relying_party(&state) {
        Ok(rp) => rp,
        Err(e) => return json_error(StatusCode::CONFLICT, &SsoError::from(&MethodError::from(e))),
    };
    let at = Attempt {
        ip,
        now: now().unix_seconds(),
    };
    match passkey::begin_sign_in(state.store(), &rp, at).await {
        Ok(c) => axum::Json(serde_json::json!({"ceremony": c.id, "publicKey": c.options}))
            .into_response(),
        Err(e) => {
            let se = SsoError::from(&e);
            let status = match e {
                MethodError::Locked { .. } => StatusCode::TOO_MANY_REQUESTS,
                MethodError::Store(_) | MethodError::Key(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            json_error(status, &se)
        }
    }
}

/// The answer form.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PasskeyForm {
    #[serde(default)]
    p: Option<String>,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ceremony: String,
    #[serde(default)]
    credential_id: String,
    #[serde(default)]
    client_data_json: String,
    #[serde(default)]
    authenticator_data: String,
    #[serde(default)]
    signature: String,
    #[serde(default)]
    user_handle: String,
}

/// `POST /{tenant}/login/passkey`: the assertion checked; the user signed in by the
/// session path of the password sign-in.
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<PasskeyForm>,
) -> Result<Response, PageFailure> {
    let ctx = Ctx::new(&state, ip);
    let cache = state.cache().get();
    check_tenant(&cache, &tenant).map_err(|e| ctx.fail(e))?;
    let p = f.p.as_deref().filter(|p| !p.is_empty());

    // CSRF: as the password form.
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
        let r = render(
            &state,
            &tenant,
            p,
            "",
            Some((&e, &ctx.corr)),
            StatusCode::FORBIDDEN,
        );
        return Ok(r);
    }

    let at = Attempt {
        ip: ctx.ip,
        now: now().unix_seconds(),
    };
    let answer = SignInAnswer {
        ceremony: &f.ceremony,
        credential_id: &f.credential_id,
        client_data_json: &f.client_data_json,
        authenticator_data: &f.authenticator_data,
        signature: &f.signature,
        user_handle: &f.user_handle,
    };
    let verified = match relying_party(&state) {
        Ok(rp) => passkey::finish_sign_in(state.store(), &rp, answer, at).await,
        Err(e) => Err(e.into()),
    };
    let signed = match verified {
        Ok(s) => s,
        Err(MethodError::Store(e)) => return Err(ctx.fail(SsoError::internal(&e))),
        Err(e) => {
            let se = SsoError::from(&e);
            let status = match e {
                MethodError::Locked { .. } => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::OK,
            };
            ctx.log(ctx.failure_row(
                &Failure::from(se.clone()),
                format!("passkey: {}", se.detail),
            ));
            let mut r = render(&state, &tenant, p, "", Some((&se, &ctx.corr)), status);
            if let MethodError::Locked { retry_after } = e {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after.max(1)));
            }
            return Ok(r);
        }
    };
    let user = signed.user;
    let who = Some(Who::user(&user.id, &user.upn));
    if !user.enabled {
        let e = SsoError::new(
            ErrorCode::UserDisabled,
            format!("the account {} is disabled", user.upn),
        );
        return Err(ctx.fail(Failure::from(e).user(who)));
    }

    start_signed_in(
        &ctx,
        &state,
        &cache,
        &headers,
        &user,
        METHOD_PASSKEY,
        p,
        "signed in to Sesame with a passkey",
    )
    .await
}
