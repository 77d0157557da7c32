//! Conditional Access at the HTTP edge, after `web::flow` (which enforces the decision
//! of the policies before a Response is issued: the refusal page, or a sign-in kept
//! waiting here): the second step ("Verify your identity": a code from an
//! authenticator app or a recovery code, checked and throttled by `crate::methods`, or
//! "Use a passkey or security key", the WebAuthn ceremony of `methods::passkey` bound to
//! this sign-in) and, for a user with no method yet, "More information required" (the
//! registration of an authenticator app). When only a passkey answers (Require
//! phishing-resistant MFA, a request for X509: step-up), the second step offers only the
//! user's passkeys, and "More information required" registers a passkey. Then the
//! original sign-in completes, RelayState and InResponseTo intact. The session records
//! each method used and when, so another application under an MFA policy does not ask
//! again within its sign-in frequency.

use super::failure::PageFailure;
use super::flow::{complete_since, Ctx, Pending, PendingQuery};
use super::http::ClientIp;
use super::pages::{esc, html_headers, page};
use super::passkey_button;
use super::session::current_session;
use super::state::AppState;
use crate::access::eval;
use crate::admin::Actor;
use crate::methods::passkey;
use crate::methods::{self, Attempt, By, MethodError, Proof, TotpConfirmation};
use crate::sso::cache::AppCache;
use crate::sso::flow::{check_tenant, Failure, Who};
use crate::sso::{now, ErrorCode, SsoError};
use crate::store::SessionWithUser;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
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
    /// A passkey ceremony's id (registration or second step).
    #[serde(default)]
    pub ceremony: String,
    /// A passkey answer's `rawId` (base64url, as `assets/passkey.js` sends each field).
    #[serde(default)]
    pub credential_id: String,
    /// `response.clientDataJSON`.
    #[serde(default)]
    pub client_data_json: String,
    /// `response.authenticatorData` (second step).
    #[serde(default)]
    pub authenticator_data: String,
    /// `response.signature` (second step).
    #[serde(default)]
    pub signature: String,
    /// `response.userHandle` (second step; '' when none).
    #[serde(default)]
    pub user_handle: String,
    /// `response.attestationObject` (registration).
    #[serde(default)]
    pub attestation_object: String,
    /// `response.getTransports()`, comma-separated (registration).
    #[serde(default)]
    pub transports: String,
}

/// What the second step offers: a code (the user has an authenticator app or recovery
/// codes), a passkey (the user has one); `passkey_only` when nothing else answers.
#[derive(Debug, Clone, Copy, Default)]
struct Offer {
    /// A code answers: an authenticator app's (`totp`) or a recovery code (`recovery`).
    code: bool,
    totp: bool,
    recovery: bool,
    passkey: bool,
    passkey_only: bool,
    /// What "More information required" registers: a passkey when only a passkey
    /// answers or when the Authentication methods policy does not enable the
    /// authenticator app for the user; an authenticator app otherwise.
    register_passkey: bool,
}

impl Offer {
    /// Whether the user has nothing the second step can ask for: "More information
    /// required".
    fn nothing(self) -> bool {
        !self.passkey && (self.passkey_only || !self.code)
    }
}

/// Whether only a passkey answers the pending sign-in `p`.
fn passkey_only(p: &Pending) -> bool {
    match p {
        Pending::SecondStep { passkey_only, .. } | Pending::PortalStep { passkey_only, .. } => {
            *passkey_only
        }
        _ => false,
    }
}

/// What the second step offers `user_id` for the pending sign-in `p`.
async fn offer_of(
    store: &crate::store::Store,
    user_id: &str,
    p: &Pending,
) -> Result<Offer, MethodError> {
    use crate::model::MethodKind;
    // Only the methods the Authentication methods policy enables for the user and that
    // Require re-register MFA has not retired.
    let list = methods::usable(store, user_id).await?;
    let has = |k: MethodKind| list.iter().any(|m| m.kind == k);
    let only = passkey_only(p);
    let totp_enabled = match methods::check_enabled(store, user_id, MethodKind::Totp).await {
        Ok(()) => true,
        Err(MethodError::NotEnabled(_)) => false,
        Err(e) => return Err(e),
    };
    Ok(Offer {
        code: has(MethodKind::Totp) || has(MethodKind::Recovery),
        totp: has(MethodKind::Totp),
        recovery: has(MethodKind::Recovery),
        passkey: has(MethodKind::Passkey),
        passkey_only: only,
        register_passkey: only || !totp_enabled,
    })
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
    // A page with a passkey ceremony runs Sesame's script and fetches its options.
    let scripted = body.contains(passkey_button::SCRIPT);
    let mut r = (status, html_headers(), body).into_response();
    if scripted {
        r.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, passkey_button::login_csp());
    }
    if let Some(e) = e {
        r.headers_mut()
            .insert("x-sesame-error", HeaderValue::from_static(e.code.code()));
    }
    r
}

/// "Verify your identity": a code from the authenticator app or a recovery code, and/or
/// a passkey (only a passkey when `offer.passkey_only`).
fn verify_html(
    tenant: &str,
    p: &str,
    upn: &str,
    offer: Offer,
    msg: Option<(&SsoError, &str)>,
) -> String {
    let t = esc(tenant);
    let pe = esc(p);
    let why = if offer.passkey_only {
        "This application requires a passkey or security key."
    } else {
        "This application requires a second factor."
    };
    let mut body = format!(
        "<h1>Verify your identity</h1><p>Signed in as <strong>{upn}</strong>. {why}</p>{msg}",
        upn = esc(upn),
        msg = message_html(msg),
    );
    if offer.code && !offer.passkey_only {
        body.push_str(&format!(
            "<form method=\"post\" action=\"/{t}/login/verify\"><input type=\"hidden\" name=\"p\" value=\"{pe}\">\
{totp}{recovery}<button type=\"submit\">Verify</button></form>",
            totp = if offer.totp {
                "<label for=\"code\">Code from the authenticator app</label>\
<input type=\"text\" id=\"code\" name=\"code\" autocomplete=\"one-time-code\" inputmode=\"numeric\" autofocus>"
            } else {
                ""
            },
            recovery = if offer.recovery {
                "<details><summary>Use a recovery code</summary><label for=\"recovery_code\">Recovery code</label>\
<input type=\"text\" id=\"recovery_code\" name=\"recovery_code\" autocomplete=\"one-time-code\" inputmode=\"numeric\"></details>"
            } else {
                ""
            },
        ));
    }
    if offer.passkey {
        body.push_str(&passkey_step_form(
            tenant,
            p,
            offer.code && !offer.passkey_only,
        ));
    }
    page("Verify your identity", &body)
}

/// The second step's "Use a passkey or security key": the button, the form that carries
/// the browser's answer to `/login/verify/passkey`, and the script.
fn passkey_step_form(tenant: &str, p: &str, after_code: bool) -> String {
    let t = esc(tenant);
    let pe = esc(p);
    format!(
        "<form id=\"passkey-form\" method=\"post\" action=\"/{t}/login/verify/passkey\" data-p=\"{pe}\">{or}\
<button type=\"button\" id=\"passkey-verify\" data-passkey-signin data-form=\"passkey-form\" \
data-status=\"passkey-status\" data-options-url=\"/{t}/login/verify/passkey/options?p={pe}\">Use a passkey or security key</button>\
<p id=\"passkey-status\" class=\"err\" role=\"alert\" hidden></p>\
<noscript><p class=\"err\">Using a passkey needs JavaScript: the browser talks to your authenticator.</p></noscript></form>\
<script src=\"{script}\" defer></script>",
        or = if after_code { "<p>or</p>" } else { "" },
        script = passkey_button::SCRIPT,
    )
}

/// "More information required" when only a passkey answers and the user has none: the
/// registration of a passkey, then the second step with it. Also when a second factor is
/// required and the authenticator app is not enabled for the user (`only` false).
fn more_info_passkey_html(tenant: &str, p: &str, upn: &str, only: bool) -> String {
    let why = if only {
        "this application requires a passkey or security key, and you have none yet"
    } else {
        "this application requires a second factor, and you have none yet; your organisation accepts a passkey or security key"
    };
    page(
        "More information required",
        &format!(
            "<h1>More information required</h1><p>Signed in as <strong>{upn}</strong>. Your organisation needs more information to keep your account secure: \
{why}. Create one (on this device, your phone, or a security key), then sign in with it and continue to the application.</p>\
<form method=\"post\" action=\"/{t}/login/register\"><input type=\"hidden\" name=\"p\" value=\"{p}\">\
<button type=\"submit\">Next</button></form>",
            upn = esc(upn),
            t = esc(tenant),
            p = esc(p),
        ),
    )
}

/// The creation of a passkey within the sign-in (a code of an existing method proves the
/// user when they have one, as in Security info).
fn register_passkey_html(
    tenant: &str,
    p: &str,
    c: &passkey::Ceremony,
    name: &str,
    proof: bool,
    msg: Option<(&SsoError, &str)>,
) -> String {
    let proof_html = if proof {
        "<label for=\"code\">Code from the authenticator app</label>\
<input type=\"text\" id=\"code\" name=\"code\" autocomplete=\"one-time-code\" inputmode=\"numeric\">\
<details><summary>Use a recovery code</summary><label for=\"recovery_code\">Recovery code</label>\
<input type=\"text\" id=\"recovery_code\" name=\"recovery_code\" autocomplete=\"one-time-code\" inputmode=\"numeric\"></details>"
    } else {
        ""
    };
    page(
        "Create a passkey",
        &format!(
            "<h1>Create a passkey</h1>{msg}<p>Give the passkey a name, select <strong>Create passkey</strong>, then follow your browser.</p>\
<form id=\"passkey-register\" method=\"post\" action=\"/{t}/login/register\" data-options=\"{options}\">\
<input type=\"hidden\" name=\"p\" value=\"{p}\"><input type=\"hidden\" name=\"ceremony\" value=\"{cid}\">\
<input type=\"hidden\" name=\"client_data_json\" value=\"\"><input type=\"hidden\" name=\"attestation_object\" value=\"\">\
<input type=\"hidden\" name=\"transports\" value=\"\">\
<label for=\"name\">Name</label><input type=\"text\" id=\"name\" name=\"name\" value=\"{name}\" maxlength=\"64\">{proof_html}\
<button type=\"button\" id=\"create-passkey\" data-passkey-register data-form=\"passkey-register\" data-status=\"passkey-status\">Create passkey</button>\
<p id=\"passkey-status\" class=\"err\" role=\"status\" hidden></p>\
<noscript><p class=\"err\">Creating a passkey needs JavaScript: the browser talks to your authenticator.</p></noscript></form>\
<script src=\"{script}\" defer></script>",
            msg = message_html(msg),
            t = esc(tenant),
            p = esc(p),
            options = esc(&c.options.to_string()),
            cid = esc(&c.id),
            name = esc(name),
            script = passkey_button::SCRIPT,
        ),
    )
}

/// The page of the second step for `offer`: verify, or "More information required".
fn step_page(tenant: &str, p: &str, upn: &str, offer: Offer) -> String {
    match (offer.nothing(), offer.register_passkey) {
        (true, true) => more_info_passkey_html(tenant, p, upn, offer.passkey_only),
        (true, false) => more_info_html(tenant, p, upn),
        (false, _) => verify_html(tenant, p, upn, offer, None),
    }
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
    let (s, pending) = step_context(&state, &ctx, &cache, &headers, &p).await?;
    let offer = offer_of(state.store(), &s.session.user_id, &pending)
        .await
        .map_err(|e| ctx.fail(SsoError::from(&e)))?;
    let body = step_page(&tenant, &p, &s.upn, offer);
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
        Some(Pending::SecondStep {
            v, request, since, ..
        }) => (v, request, since),
        Some(Pending::PortalStep { next, .. }) => {
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

/// What every form of the second step starts with: the tenant checked, a same-site form,
/// the signed-in session and the sign-in waiting for it.
struct Posted {
    ctx: Ctx,
    cache: std::sync::Arc<AppCache>,
    s: SessionWithUser,
    pending: Pending,
}

async fn posted(
    state: &AppState,
    ip: ClientIp,
    headers: &HeaderMap,
    tenant: &str,
    p: &str,
) -> Result<Posted, PageFailure> {
    let ctx = Ctx::new(state, ip);
    let cache = state.cache().get();
    check_tenant(&cache, tenant).map_err(|e| ctx.fail(e))?;
    if cross_site(headers) {
        return Err(ctx.fail(SsoError::new(
            ErrorCode::FormExpired,
            "the form was sent from another site",
        )));
    }
    let (s, pending) = step_context(state, &ctx, &cache, headers, p).await?;
    Ok(Posted {
        ctx,
        cache,
        s,
        pending,
    })
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
    let Posted {
        ctx,
        cache,
        s,
        pending,
    } = posted(&state, ip, &headers, &tenant, &f.p).await?;
    let who = Who::of(&s);
    let store = state.store();
    let offer = offer_of(store, &s.session.user_id, &pending)
        .await
        .map_err(|e| ctx.fail(SsoError::from(&e)))?;
    if offer.nothing() || offer.passkey_only || !offer.code {
        // Nothing to check a code against, or only a passkey answers: the step's page.
        return Ok(html_response(
            StatusCode::OK,
            step_page(&tenant, &f.p, &s.upn, offer),
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
                verify_html(&tenant, &f.p, &s.upn, offer, Some((&se, &ctx.corr))),
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
    let Posted {
        ctx,
        cache,
        s,
        pending,
    } = posted(&state, ip, &headers, &tenant, &f.p).await?;
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
    let offer = offer_of(store, &user.id, &pending)
        .await
        .map_err(|e| ctx.fail(SsoError::from(&e)))?;
    if !offer.nothing() {
        // Only a user with nothing to answer with registers here; the others verify.
        return Ok(html_response(
            StatusCode::OK,
            verify_html(&tenant, &f.p, &s.upn, offer, None),
            None,
        ));
    }
    if offer.register_passkey {
        return register_passkey(&state, &ctx, &tenant, &s, &user, offer, &f).await;
    }
    if f.pending_id.is_empty() {
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
        browser: &crate::sessions::describe(&s.session.user_agent),
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

/// The second half of [`register_post`] when only a passkey answers: the creation
/// ceremony begun (no `ceremony` in the form), or its answer checked (with a proof from
/// an existing method when the user has one) and the passkey recorded; then the second
/// step, where the user signs in with it.
async fn register_passkey(
    state: &AppState,
    ctx: &Ctx,
    tenant: &str,
    s: &SessionWithUser,
    user: &crate::directory::User,
    offer: Offer,
    f: &StepForm,
) -> Result<Response, PageFailure> {
    let store = state.store();
    let who = Who::of(s);
    let t = now().unix_seconds();
    let at = Attempt { ip: ctx.ip, now: t };
    let rp = super::passkey::relying_party(state).map_err(|e| {
        ctx.fail(Failure::from(SsoError::from(&MethodError::from(e))).user(Some(who.clone())))
    })?;
    let begin = |msg: Option<(SsoError, String)>, name: String| {
        let page = PasskeyPage {
            tenant,
            p: &f.p,
            proof: offer.code,
        };
        begin_passkey_registration(state, ctx, &rp, user, &who, page, msg, name)
    };
    if f.ceremony.is_empty() {
        return begin(None, String::new()).await;
    }
    let actor = Actor::User {
        id: user.id.clone(),
        upn: user.upn.clone(),
    };
    let by = By {
        actor: &actor,
        correlation_id: &ctx.corr,
    };
    let c = passkey::PasskeyConfirmation {
        ceremony: &f.ceremony,
        name: &f.name,
        client_data_json: &f.client_data_json,
        attestation_object: &f.attestation_object,
        transports: &f.transports,
        proof: Proof {
            code: &f.code,
            recovery_code: &f.recovery_code,
            recent_passkey: false,
        },
        browser: &crate::sessions::describe(&s.session.user_agent),
    };
    match passkey::finish_registration(store, state.master(), &rp, user, c, at, by).await {
        Ok(_) => {
            // Registered: now the user signs in with it (the registration proves no
            // possession to this sign-in: attestation `none` signs nothing).
            let mut r =
                axum::response::Redirect::to(&format!("/{}/login/verify?p={}", tenant, f.p))
                    .into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            Ok(r)
        }
        Err(e @ (MethodError::Store(_) | MethodError::Key(_))) => {
            Err(ctx.fail(Failure::from(SsoError::from(&e)).user(Some(who))))
        }
        Err(e) => {
            let se = SsoError::from(&e);
            ctx.log(ctx.failure_row(
                &Failure::from(se.clone()).user(Some(who.clone())),
                format!("passkey registration refused: {}", se.detail),
            ));
            begin(Some((se, ctx.corr.clone())), f.name.clone()).await
        }
    }
}

/// Where the passkey creation page is shown: the tenant, the pending sign-in, and
/// whether the user proves an existing method on it.
#[derive(Clone, Copy)]
struct PasskeyPage<'a> {
    tenant: &'a str,
    p: &'a str,
    proof: bool,
}

/// A new creation ceremony for `user` and its page (with `msg`, the error of the
/// previous attempt).
#[allow(clippy::too_many_arguments)] // each is one thing the page needs
async fn begin_passkey_registration(
    state: &AppState,
    ctx: &Ctx,
    rp: &passkey::RelyingParty,
    user: &crate::directory::User,
    who: &Who,
    page: PasskeyPage<'_>,
    msg: Option<(SsoError, String)>,
    name: String,
) -> Result<Response, PageFailure> {
    let at = Attempt {
        ip: ctx.ip,
        now: now().unix_seconds(),
    };
    let c = passkey::begin_registration(state.store(), rp, user, at)
        .await
        .map_err(|e| ctx.fail(Failure::from(SsoError::from(&e)).user(Some(who.clone()))))?;
    let name = if name.trim().is_empty() {
        "Passkey".to_owned()
    } else {
        name
    };
    let body = register_passkey_html(
        page.tenant,
        page.p,
        &c,
        &name,
        page.proof,
        msg.as_ref().map(|(e, corr)| (e, corr.as_str())),
    );
    Ok(html_response(
        StatusCode::OK,
        body,
        msg.as_ref().map(|(e, _)| e),
    ))
}

fn json_error(status: StatusCode, e: &SsoError) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"code": e.code.code(), "message": e.detail})),
    )
        .into_response()
}

/// `POST /{tenant}/login/verify/passkey/options?p=…`: a ceremony of the second step
/// (JSON: `ceremony`, the id to send back; `publicKey`, the options of
/// `navigator.credentials.get` naming the signed-in user's passkeys).
pub async fn verify_passkey_options(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Query(q): Query<PendingQuery>,
    ip: ClientIp,
    headers: HeaderMap,
) -> Response {
    let ctx = Ctx::new(&state, ip);
    let cache = state.cache().get();
    if let Err(e) = check_tenant(&cache, &tenant) {
        return json_error(StatusCode::NOT_FOUND, &e);
    }
    if cross_site(&headers) {
        let e = SsoError::new(ErrorCode::FormExpired, "the request came from another site");
        return json_error(StatusCode::FORBIDDEN, &e);
    }
    let p = q.p.unwrap_or_default();
    let Ok((s, _)) = step_context(&state, &ctx, &cache, &headers, &p).await else {
        let e = SsoError::new(
            ErrorCode::SignInExpired,
            "the sign-in is no longer waiting for a second factor; go back to the application and sign in again",
        );
        return json_error(StatusCode::GONE, &e);
    };
    let rp = match super::passkey::relying_party(&state) {
        Ok(rp) => rp,
        Err(e) => return json_error(StatusCode::CONFLICT, &SsoError::from(&MethodError::from(e))),
    };
    let at = Attempt {
        ip: ctx.ip,
        now: now().unix_seconds(),
    };
    match passkey::begin_second_step(state.store(), &rp, &s.session.user_id, &p, at).await {
        Ok(Some(c)) => axum::Json(serde_json::json!({"ceremony": c.id, "publicKey": c.options}))
            .into_response(),
        Ok(None) => json_error(
            StatusCode::CONFLICT,
            &SsoError::from(&MethodError::from(passkey::PasskeyError::UnknownCredential)),
        ),
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

/// `POST /{tenant}/login/verify/passkey`: the second step's passkey answer, checked by
/// `methods::passkey` (this user's passkey, this sign-in's challenge, once, throttled);
/// then the session records `passkey` and the sign-in completes.
pub async fn verify_passkey(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<StepForm>,
) -> Result<Response, PageFailure> {
    let Posted {
        ctx,
        cache,
        s,
        pending,
    } = posted(&state, ip, &headers, &tenant, &f.p).await?;
    let who = Who::of(&s);
    let store = state.store();
    let offer = offer_of(store, &s.session.user_id, &pending)
        .await
        .map_err(|e| ctx.fail(SsoError::from(&e)))?;
    let at = Attempt {
        ip: ctx.ip,
        now: now().unix_seconds(),
    };
    let answer = passkey::SignInAnswer {
        ceremony: &f.ceremony,
        credential_id: &f.credential_id,
        client_data_json: &f.client_data_json,
        authenticator_data: &f.authenticator_data,
        signature: &f.signature,
        user_handle: &f.user_handle,
    };
    let verified = match super::passkey::relying_party(&state) {
        Ok(rp) => {
            passkey::finish_second_step(store, &rp, &s.session.user_id, &f.p, answer, at).await
        }
        Err(e) => Err(e.into()),
    };
    match verified {
        Ok(_) => finish(&state, &ctx, &cache, &headers, &s, &f.p, eval::PASSKEY).await,
        Err(e @ (MethodError::Store(_) | MethodError::Key(_))) => {
            Err(ctx.fail(Failure::from(SsoError::from(&e)).user(Some(who))))
        }
        Err(e) => {
            let se = SsoError::from(&e);
            ctx.log(ctx.failure_row(
                &Failure::from(se.clone()).user(Some(who)),
                format!("second factor refused: passkey: {}", se.detail),
            ));
            let mut r = html_response(
                status_of_method_error(&e),
                verify_html(&tenant, &f.p, &s.upn, offer, Some((&se, &ctx.corr))),
                Some(&se),
            );
            if let MethodError::Locked { retry_after } = e {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after.max(1)));
            }
            Ok(r)
        }
    }
}
