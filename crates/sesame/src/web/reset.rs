//! Self-service password reset at the HTTP edge ("Forgot my password", linked from the
//! sign-in page): the request page (`/passwordreset`: the user name, a CSRF-protected
//! form, the same answer at once whatever the account — the work is queued to
//! `selfservice::reset`'s worker), and the link's pages (`/passwordreset/confirm`): the
//! token moved out of the URL into a short-lived HttpOnly SameSite=Strict cookie at once,
//! the second factor when the user has one (a code from the authenticator app, a
//! recovery code or a passkey — the second step's ceremony, bound to the link —, checked
//! and throttled by `crate::methods`; the proof kept in a signed cookie bound to the
//! link), then the new password twice (the password policy applies),
//! set by `selfservice::reset::complete`.

use super::http::{cookie, correlation, set_cookie, ClientIp};
use super::pages::{esc, html_headers, page};
use super::state::AppState;
use crate::admin::errors::AdminCode;
use crate::directory::{password::PasswordError, DirectoryError};
use crate::methods::passkey;
use crate::methods::{self, Attempt, MethodError, Proof};
use crate::model::{AccountLink, User};
use crate::selfservice::reset::{self, ResetRequest, SecondFactor};
use crate::selfservice::{SelfServiceCode, SelfServiceError};
use crate::sso::{ErrorCode, SsoError};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;

/// The request page.
pub(super) const PATH: &str = "/passwordreset";
/// The link's page.
pub(super) const CONFIRM: &str = "/passwordreset/confirm";
/// The options of the passkey ceremony of the link's second step.
pub(super) const PASSKEY_OPTIONS: &str = "/passwordreset/confirm/passkey/options";
/// The form's CSRF cookie.
const CSRF_COOKIE: &str = "sesame_reset_csrf";
/// The link, once moved out of the URL (Path=/passwordreset, SameSite=Strict).
const LINK_COOKIE: &str = "sesame_reset";
/// The second factor's proof for the link: an HMAC of the link's id.
const PROOF_COOKIE: &str = "sesame_reset_mfa";
/// What the key of the proof is derived for from the master key.
const PROOF_KEY_PURPOSE: &str = "sesame password reset second factor v1";

/// The one answer to a request, whatever the account.
pub(super) const SENT: &str = "If an account with that user name exists and can reset its password, we have sent a link to its mail address. The link is valid for 15 minutes.";

fn new_csrf() -> String {
    crate::sso::session::new_cookie()
        .map(|(v, _)| v)
        .unwrap_or_default()
}

/// A cookie of the reset pages: HttpOnly, SameSite=Strict, Path=/passwordreset.
fn reset_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let mut s =
        format!("{name}={value}; Path={PATH}; HttpOnly; SameSite=Strict; Max-Age={max_age}");
    if state.secure_cookies() {
        s.push_str("; Secure");
    }
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static("invalid=1; Max-Age=0"))
}

fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v != "same-origin" && v != "none")
}

fn csrf_ok(headers: &HeaderMap, sent: &str) -> bool {
    !cross_site(headers)
        && cookie(headers, CSRF_COOKIE).is_some_and(|c| {
            !c.is_empty()
                && aws_lc_rs::constant_time::verify_slices_are_equal(c.as_bytes(), sent.as_bytes())
                    .is_ok()
        })
}

/// An HTML page with a fresh CSRF token set, `error` (its code) in `x-sesame-error`.
fn respond(
    state: &AppState,
    status: StatusCode,
    body: String,
    csrf: &str,
    error: Option<&str>,
) -> Response {
    let mut r = (status, html_headers(), body).into_response();
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(state, CSRF_COOKIE, csrf, None),
    );
    if let Some(code) = error.and_then(|c| HeaderValue::from_str(c).ok()) {
        h.insert("x-sesame-error", code);
    }
    r
}

fn message(code: &str, text: &str) -> String {
    format!(
        "<p class=\"err\" role=\"alert\"><strong>{}</strong>: {}</p>",
        esc(code),
        esc(text)
    )
}

/// The sign-in page, with the waiting sign-in `p` when there is one.
fn sign_in_href(state: &AppState, p: &str) -> String {
    let tenant = state
        .cache()
        .get()
        .tenant
        .as_ref()
        .map(|t| t.id.clone())
        .unwrap_or_default();
    if tenant.is_empty() {
        return "/myapps".into();
    }
    if p.is_empty() {
        format!("/{tenant}/login")
    } else {
        format!("/{tenant}/login?p={}", urlencoding(p))
    }
}

/// `s` percent-encoded for a query value.
fn urlencoding(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The request

/// The request page's query: the waiting sign-in, kept for the way back.
#[derive(Debug, Default, Deserialize)]
pub struct RequestQuery {
    /// The pending sign-in.
    #[serde(default)]
    pub p: Option<String>,
}

/// The request form.
#[derive(Debug, Default, Deserialize)]
pub struct RequestForm {
    /// CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// The pending sign-in.
    #[serde(default)]
    pub p: String,
    /// The user name.
    #[serde(default)]
    pub username: String,
}

fn request_html(state: &AppState, p: &str, csrf: &str, upn: &str, msg: &str) -> String {
    page(
        "Reset your password",
        &format!(
            "<h1>Reset your password</h1>{msg}<p>Enter your user name. If your account can reset its \
password, we send a link to its mail address.</p>\
<form method=\"post\" action=\"{PATH}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<input type=\"hidden\" name=\"p\" value=\"{pe}\">\
<label for=\"username\">User principal name</label><input type=\"text\" id=\"username\" name=\"username\" \
value=\"{upn}\" autocomplete=\"username\" autofocus required>\
<button type=\"submit\">Send the link</button></form><p><a href=\"{back}\">Back to sign-in</a></p>",
            csrf = esc(csrf),
            pe = esc(p),
            upn = esc(upn),
            back = esc(&sign_in_href(state, p)),
        ),
    )
}

fn sent_html(state: &AppState, p: &str) -> String {
    page(
        "Check your mail",
        &format!(
            "<h1>Check your mail</h1><p class=\"ok\" role=\"status\">{SENT}</p>\
<p>If you did not ask, ignore the mail; your password is unchanged.</p>\
<p><a href=\"{back}\">Back to sign-in</a></p>",
            back = esc(&sign_in_href(state, p)),
        ),
    )
}

/// `GET /passwordreset[?p=…]`: the form.
pub async fn request_get(State(state): State<AppState>, Query(q): Query<RequestQuery>) -> Response {
    let csrf = new_csrf();
    let p = q.p.unwrap_or_default();
    let body = request_html(&state, &p, &csrf, "", "");
    respond(&state, StatusCode::OK, body, &csrf, None)
}

/// `POST /passwordreset`: the same answer, at once, for any user name; the work (the
/// throttles, the account, the link and its mail) is the queue's.
pub async fn request_post(
    State(state): State<AppState>,
    ClientIp(ip, _): ClientIp,
    headers: HeaderMap,
    Form(f): Form<RequestForm>,
) -> Response {
    let csrf = new_csrf();
    let p: String = f.p.chars().take(256).collect();
    let upn: String = f.username.trim().chars().take(256).collect();
    if !csrf_ok(&headers, &f.csrf) {
        let e = SsoError::new(
            ErrorCode::FormExpired,
            "the form's security token does not match this browser's; send it again",
        );
        let msg = message(e.code.code(), &e.detail);
        let body = request_html(&state, &p, &csrf, &upn, &msg);
        return respond(
            &state,
            StatusCode::FORBIDDEN,
            body,
            &csrf,
            Some(e.code.code()),
        );
    }
    let public_url = state
        .cache()
        .get()
        .tenant
        .as_ref()
        .map(|t| t.public_url.clone())
        .unwrap_or_default();
    state.reset_requests().submit(ResetRequest {
        upn,
        ip,
        public_url,
        correlation_id: correlation(&headers),
    });
    respond(&state, StatusCode::OK, sent_html(&state, &p), &csrf, None)
}

// ---------------------------------------------------------------------------------------
// The link

/// The link page's query: the token, only on the first visit (from the mail).
#[derive(Debug, Default, Deserialize)]
pub struct ConfirmQuery {
    /// The link's token.
    #[serde(default)]
    pub t: Option<String>,
    /// Set by the page's Continue button (the link cookie should be there then).
    #[serde(default)]
    pub go: Option<String>,
}

/// The link page's form.
#[derive(Debug, Default, Deserialize)]
pub struct ConfirmForm {
    /// CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// `verify` (the second factor) or `password`.
    #[serde(default)]
    pub step: String,
    /// A code of the authenticator app.
    #[serde(default)]
    pub code: String,
    /// A recovery code.
    #[serde(default)]
    pub recovery_code: String,
    /// The new password.
    #[serde(default)]
    pub new: String,
    /// Its confirmation.
    #[serde(default)]
    pub confirm: String,
    /// A passkey ceremony's id.
    #[serde(default)]
    pub ceremony: String,
    /// The passkey answer's `rawId` (base64url, as `assets/passkey.js` sends each field).
    #[serde(default)]
    pub credential_id: String,
    /// `response.clientDataJSON`.
    #[serde(default)]
    pub client_data_json: String,
    /// `response.authenticatorData`.
    #[serde(default)]
    pub authenticator_data: String,
    /// `response.signature`.
    #[serde(default)]
    pub signature: String,
    /// `response.userHandle` ('' when none).
    #[serde(default)]
    pub user_handle: String,
}

/// The page of a link that cannot be used: what is wrong, its code, what to do.
fn link_error(state: &AppState, e: &SelfServiceError, clear: bool) -> Response {
    let (code, detail) = match e {
        SelfServiceError::Link { code, detail } => (*code, detail.clone()),
        _ => (SelfServiceCode::LinkInvalid, String::new()),
    };
    let status = match code {
        SelfServiceCode::LinkExpired | SelfServiceCode::LinkUsed => StatusCode::GONE,
        SelfServiceCode::ResetNotAllowed | SelfServiceCode::ResetPasskeyOnly => {
            StatusCode::FORBIDDEN
        }
        _ => StatusCode::BAD_REQUEST,
    };
    let body = page(
        "This link cannot be used",
        &format!(
            "<h1 class=\"err\">This link cannot be used</h1><p>{detail}</p>\
<p>Error code <code>{c}</code>. {fix}</p><p><a href=\"{PATH}\">Ask for a new link</a> · \
<a href=\"{back}\">Back to sign-in</a></p>",
            detail = esc(&detail),
            c = code.code(),
            fix = esc(code.fix()),
            back = esc(&sign_in_href(state, "")),
        ),
    );
    let mut r = (status, html_headers(), body).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(code.code()) {
        h.insert("x-sesame-error", v);
    }
    if clear {
        h.append(header::SET_COOKIE, reset_cookie(state, LINK_COOKIE, "", 0));
        h.append(header::SET_COOKIE, reset_cookie(state, PROOF_COOKIE, "", 0));
    }
    r
}

fn internal(e: &dyn std::fmt::Display) -> Response {
    tracing::error!("password reset: {e}");
    let body = page(
        "Something went wrong",
        "<h1 class=\"err\">Something went wrong</h1><p>Your password was not changed. Try again in a moment.</p>",
    );
    (StatusCode::SERVICE_UNAVAILABLE, html_headers(), body).into_response()
}

fn proof_key(state: &AppState) -> aws_lc_rs::hmac::Key {
    aws_lc_rs::hmac::Key::new(
        aws_lc_rs::hmac::HMAC_SHA256,
        &state.master().derive_key(PROOF_KEY_PURPOSE),
    )
}

fn proof_for(state: &AppState, link: &AccountLink) -> String {
    let tag = aws_lc_rs::hmac::sign(&proof_key(state), link.id.as_bytes());
    URL_SAFE_NO_PAD.encode(tag.as_ref())
}

fn proven(state: &AppState, headers: &HeaderMap, link: &AccountLink) -> bool {
    cookie(headers, PROOF_COOKIE)
        .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
        .is_some_and(|tag| {
            aws_lc_rs::hmac::verify(&proof_key(state), link.id.as_bytes(), &tag).is_ok()
        })
}

/// What the second step offers on the page.
#[derive(Debug, Clone, Copy)]
struct Offer {
    totp: bool,
    recovery: bool,
    passkey: bool,
}

fn code_html(csrf: &str, upn: &str, offer: Offer, msg: &str) -> String {
    let totp_field = if offer.totp {
        "<label for=\"code\">Code from the authenticator app</label>\
<input type=\"text\" id=\"code\" name=\"code\" autocomplete=\"one-time-code\" inputmode=\"numeric\" autofocus>"
    } else {
        ""
    };
    let recovery_field = match (offer.totp, offer.recovery) {
        (_, false) => "",
        (true, true) => "<details><summary>Use a recovery code</summary><label for=\"recovery_code\">Recovery code</label>\
<input type=\"text\" id=\"recovery_code\" name=\"recovery_code\" autocomplete=\"one-time-code\" inputmode=\"numeric\"></details>",
        (false, true) => "<label for=\"recovery_code\">Recovery code</label>\
<input type=\"text\" id=\"recovery_code\" name=\"recovery_code\" autocomplete=\"one-time-code\" inputmode=\"numeric\" autofocus>",
    };
    let code_form = if offer.totp || offer.recovery {
        format!(
            "<form method=\"post\" action=\"{CONFIRM}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<input type=\"hidden\" name=\"step\" value=\"verify\">{totp_field}{recovery_field}\
<button type=\"submit\">Verify</button></form>",
            csrf = esc(csrf),
        )
    } else {
        String::new()
    };
    let passkey_form = if offer.passkey {
        format!(
            "<form id=\"passkey-form\" method=\"post\" action=\"{CONFIRM}\" data-csrf=\"{csrf}\">{or}\
<input type=\"hidden\" name=\"step\" value=\"passkey\">\
<button type=\"button\" id=\"passkey-verify\" data-passkey-signin data-form=\"passkey-form\" \
data-status=\"passkey-status\" data-options-url=\"{PASSKEY_OPTIONS}\">Use a passkey or security key</button>\
<p id=\"passkey-status\" class=\"err\" role=\"alert\" hidden></p>\
<noscript><p class=\"err\">Using a passkey needs JavaScript: the browser talks to your authenticator.</p></noscript></form>\
<script src=\"{script}\" defer></script>",
            csrf = esc(csrf),
            or = if code_form.is_empty() { "" } else { "<p>or</p>" },
            script = super::passkey_button::SCRIPT,
        )
    } else {
        String::new()
    };
    page(
        "Verify your identity",
        &format!(
            "<h1>Verify your identity</h1><p>Resetting the password of <strong>{upn}</strong>. A reset must not \
be weaker than a sign-in: first prove it is you with your second factor.</p>{msg}{code_form}{passkey_form}",
            upn = esc(upn),
        ),
    )
}

fn password_html(csrf: &str, upn: &str, msg: &str) -> String {
    page(
        "Choose a new password",
        &format!(
            "<h1>Choose a new password</h1><p>For <strong>{upn}</strong>. Every browser and device signed in \
to this account will be signed out.</p>{msg}\
<form method=\"post\" action=\"{CONFIRM}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<input type=\"hidden\" name=\"step\" value=\"password\">\
<input type=\"text\" name=\"username\" value=\"{upn}\" autocomplete=\"username\" hidden>\
<label for=\"new\">New password</label><input type=\"password\" id=\"new\" name=\"new\" autocomplete=\"new-password\" autofocus required>\
<label for=\"confirm\">Confirm the new password</label><input type=\"password\" id=\"confirm\" name=\"confirm\" autocomplete=\"new-password\" required>\
<button type=\"submit\">Reset password</button></form>",
            upn = esc(upn),
            csrf = esc(csrf),
        ),
    )
}

/// The step the link is at: the second factor (not proven yet) or the new password.
async fn step_page(
    state: &AppState,
    headers: &HeaderMap,
    link: &AccountLink,
    user: &User,
    msg: &str,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    let csrf = new_csrf();
    let (totp, recovery, passkey) = match reset::second_factor(state.store(), &user.id).await {
        Ok(SecondFactor::Required {
            totp,
            recovery,
            passkey,
        }) if !proven(state, headers, link) => (totp, recovery, passkey),
        Ok(_) => {
            return respond(
                state,
                status,
                password_html(&csrf, &user.upn, msg),
                &csrf,
                error,
            )
        }
        Err(e) => return internal(&e),
    };
    // Passkeys need the public URL's host name (not an IP address).
    let passkey = passkey && super::passkey::relying_party(state).is_ok();
    if !(totp || recovery || passkey) {
        return link_error(
            state,
            &SelfServiceError::link(
                SelfServiceCode::ResetPasskeyOnly,
                "Your account's second factor is a passkey, which cannot be used at this \
                 address of the server.",
            ),
            true,
        );
    }
    let offer = Offer {
        totp,
        recovery,
        passkey,
    };
    let mut r = respond(
        state,
        status,
        code_html(&csrf, &user.upn, offer, msg),
        &csrf,
        error,
    );
    if passkey {
        r.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            super::passkey_button::login_csp(),
        );
    }
    r
}

/// `GET /passwordreset/confirm?t=TOKEN` (from the mail): the link checked, then moved
/// into a cookie and the browser sent to the same page without it. `GET
/// /passwordreset/confirm`: the step the link is at.
pub async fn confirm_get(
    State(state): State<AppState>,
    Query(q): Query<ConfirmQuery>,
    headers: HeaderMap,
) -> Response {
    let now = crate::clock::now_unix();
    if let Some(t) = q.t.as_deref() {
        return match reset::open(state.store(), t, now).await {
            Ok((link, _)) => {
                let mut r = StatusCode::SEE_OTHER.into_response();
                let h = r.headers_mut();
                h.insert(header::LOCATION, HeaderValue::from_static(CONFIRM));
                h.insert(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                );
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                let token = t.trim();
                h.append(
                    header::SET_COOKIE,
                    reset_cookie(&state, LINK_COOKIE, token, (link.expires_at - now).max(1)),
                );
                h.append(
                    header::SET_COOKIE,
                    reset_cookie(&state, PROOF_COOKIE, "", 0),
                );
                r
            }
            Err(e @ SelfServiceError::Link { .. }) => link_error(&state, &e, false),
            Err(e) => internal(&e),
        };
    }
    let Some(token) = cookie(&headers, LINK_COOKIE).filter(|t| !t.is_empty()) else {
        if q.go.is_some() {
            let e = SelfServiceError::link(
                SelfServiceCode::ResetLinkMissing,
                "This browser does not hold a password reset link.",
            );
            return link_error(&state, &e, false);
        }
        // A browser that came from another site (a webmail) does not send the
        // SameSite=Strict cookie on the redirect: one click from this page does.
        let body = page(
            "Reset your password",
            &format!(
                "<h1>Reset your password</h1><p>Continue to choose your new password.</p>\
<form method=\"get\" action=\"{CONFIRM}\"><input type=\"hidden\" name=\"go\" value=\"1\">\
<button type=\"submit\">Continue</button></form>"
            ),
        );
        return (StatusCode::OK, html_headers(), body).into_response();
    };
    match reset::open(state.store(), token, now).await {
        Ok((link, user)) => {
            step_page(&state, &headers, &link, &user, "", StatusCode::OK, None).await
        }
        Err(e @ SelfServiceError::Link { .. }) => link_error(&state, &e, true),
        Err(e) => internal(&e),
    }
}

/// `POST /passwordreset/confirm`: the second factor (`step=verify`), or the new password
/// (`step=password`).
pub async fn confirm_post(
    State(state): State<AppState>,
    ClientIp(ip, _): ClientIp,
    headers: HeaderMap,
    Form(f): Form<ConfirmForm>,
) -> Response {
    let now = crate::clock::now_unix();
    let Some(token) = cookie(&headers, LINK_COOKIE).filter(|t| !t.is_empty()) else {
        let e = SelfServiceError::link(
            SelfServiceCode::ResetLinkMissing,
            "This browser does not hold a password reset link.",
        );
        return link_error(&state, &e, false);
    };
    let (link, user) = match reset::open(state.store(), token, now).await {
        Ok(v) => v,
        Err(e @ SelfServiceError::Link { .. }) => return link_error(&state, &e, true),
        Err(e) => return internal(&e),
    };
    if !csrf_ok(&headers, &f.csrf) {
        let e = SsoError::new(
            ErrorCode::FormExpired,
            "the form's security token does not match this browser's; send it again",
        );
        let msg = message(e.code.code(), &e.detail);
        return step_page(
            &state,
            &headers,
            &link,
            &user,
            &msg,
            StatusCode::FORBIDDEN,
            Some(e.code.code()),
        )
        .await;
    }
    let factor = match reset::second_factor(state.store(), &user.id).await {
        Ok(f) => f,
        Err(e) => return internal(&e),
    };
    let needs_proof =
        matches!(factor, SecondFactor::Required { .. }) && !proven(&state, &headers, &link);
    let at = Attempt { ip, now };
    let verified = match f.step.as_str() {
        "verify" if needs_proof => {
            let proof = Proof {
                code: &f.code,
                recovery_code: &f.recovery_code,
                recent_passkey: false,
            };
            Some(methods::verify_existing(state.store(), state.master(), &user.id, proof, at).await)
        }
        "passkey" if needs_proof => {
            let answer = passkey::SignInAnswer {
                ceremony: &f.ceremony,
                credential_id: &f.credential_id,
                client_data_json: &f.client_data_json,
                authenticator_data: &f.authenticator_data,
                signature: &f.signature,
                user_handle: &f.user_handle,
            };
            let bound = reset::passkey_binding(&link);
            Some(match super::passkey::relying_party(&state) {
                Ok(rp) => {
                    passkey::finish_second_step(state.store(), &rp, &user.id, &bound, answer, at)
                        .await
                        .map(|_| ())
                }
                Err(e) => Err(e.into()),
            })
        }
        _ => None,
    };
    match verified {
        Some(Ok(())) => {
            let mut r = StatusCode::SEE_OTHER.into_response();
            let h = r.headers_mut();
            h.insert(header::LOCATION, HeaderValue::from_static(CONFIRM));
            h.append(
                header::SET_COOKIE,
                reset_cookie(
                    &state,
                    PROOF_COOKIE,
                    &proof_for(&state, &link),
                    (link.expires_at - now).max(1),
                ),
            );
            return r;
        }
        Some(Err(e @ (MethodError::Store(_) | MethodError::Key(_)))) => return internal(&e),
        Some(Err(e)) => {
            let se = SsoError::from(&e);
            tracing::info!(
                "password reset of {}: second factor refused: {}",
                user.upn,
                se.detail
            );
            let status = match e {
                MethodError::Locked { .. } => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let msg = message(se.code.code(), &se.detail);
            return step_page(
                &state,
                &headers,
                &link,
                &user,
                &msg,
                status,
                Some(se.code.code()),
            )
            .await;
        }
        None => {}
    }
    if needs_proof || f.step != "password" {
        return step_page(&state, &headers, &link, &user, "", StatusCode::OK, None).await;
    }
    let refuse = |text: String| {
        let code = AdminCode::PasswordPolicy.code();
        let msg = message(code, &text);
        (msg, code)
    };
    if f.new != f.confirm {
        let (msg, code) = refuse(
            "The new password and its confirmation differ. Type the same new password twice."
                .into(),
        );
        return step_page(
            &state,
            &headers,
            &link,
            &user,
            &msg,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(code),
        )
        .await;
    }
    let public_url = state
        .cache()
        .get()
        .tenant
        .as_ref()
        .map(|t| t.public_url.clone())
        .unwrap_or_default();
    match reset::complete(
        state.store(),
        &link,
        &user,
        f.new,
        &public_url,
        &correlation(&headers),
        now,
    )
    .await
    {
        Ok(()) => {
            state.config_changed().await;
            let body = page(
                "Your password was reset",
                &format!(
                    "<h1 class=\"ok\">Your password was reset</h1><p role=\"status\">Your password was reset. \
Sign in with the new one.</p><p>Every browser and device that was signed in to <strong>{upn}</strong> \
was signed out.</p><p><a href=\"/myapps\">Sign in to My Apps</a></p>",
                    upn = esc(&user.upn),
                ),
            );
            let mut r = (StatusCode::OK, html_headers(), body).into_response();
            let h = r.headers_mut();
            h.append(header::SET_COOKIE, reset_cookie(&state, LINK_COOKIE, "", 0));
            h.append(
                header::SET_COOKIE,
                reset_cookie(&state, PROOF_COOKIE, "", 0),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(&state, CSRF_COOKIE, "", Some(0)),
            );
            r
        }
        Err(SelfServiceError::Directory(DirectoryError::Password(PasswordError::Policy(m)))) => {
            let (msg, code) = refuse(format!("{m}."));
            step_page(
                &state,
                &headers,
                &link,
                &user,
                &msg,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(code),
            )
            .await
        }
        Err(e @ SelfServiceError::Link { .. }) => link_error(&state, &e, true),
        Err(e) => internal(&e),
    }
}

fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"code": code, "message": message})),
    )
        .into_response()
}

/// `POST /passwordreset/confirm/passkey/options`: a ceremony of the link's second step
/// (JSON: `ceremony`, the id to send back; `publicKey`, the options of
/// `navigator.credentials.get` naming the user's passkeys), bound to the link.
pub async fn confirm_passkey_options(
    State(state): State<AppState>,
    ClientIp(ip, _): ClientIp,
    headers: HeaderMap,
) -> Response {
    let now = crate::clock::now_unix();
    if cross_site(&headers) {
        let e = SsoError::new(ErrorCode::FormExpired, "the request came from another site");
        return json_error(StatusCode::FORBIDDEN, e.code.code(), &e.detail);
    }
    let Some(token) = cookie(&headers, LINK_COOKIE).filter(|t| !t.is_empty()) else {
        let c = SelfServiceCode::ResetLinkMissing;
        return json_error(StatusCode::GONE, c.code(), c.fix());
    };
    let (link, user) = match reset::open(state.store(), token, now).await {
        Ok(v) => v,
        Err(SelfServiceError::Link { code, detail }) => {
            return json_error(StatusCode::GONE, code.code(), &detail)
        }
        Err(e) => {
            tracing::error!("password reset: {e}");
            return json_error(StatusCode::SERVICE_UNAVAILABLE, "", "try again in a moment");
        }
    };
    let rp = match super::passkey::relying_party(&state) {
        Ok(rp) => rp,
        Err(e) => {
            let se = SsoError::from(&MethodError::from(e));
            return json_error(StatusCode::CONFLICT, se.code.code(), &se.detail);
        }
    };
    let at = Attempt { ip, now };
    let bound = reset::passkey_binding(&link);
    match passkey::begin_second_step(state.store(), &rp, &user.id, &bound, at).await {
        Ok(Some(c)) => axum::Json(serde_json::json!({"ceremony": c.id, "publicKey": c.options}))
            .into_response(),
        Ok(None) => {
            let se = SsoError::from(&MethodError::from(passkey::PasskeyError::UnknownCredential));
            json_error(StatusCode::CONFLICT, se.code.code(), &se.detail)
        }
        Err(e) => {
            let se = SsoError::from(&e);
            let status = match e {
                MethodError::Locked { .. } => StatusCode::TOO_MANY_REQUESTS,
                MethodError::Store(_) | MethodError::Key(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            json_error(status, se.code.code(), &se.detail)
        }
    }
}
