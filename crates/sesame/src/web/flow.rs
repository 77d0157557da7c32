//! The sign-in flow at the HTTP edge: the per-request context ([`Ctx`]: client address,
//! correlation id, the request's SAML message) and the sign-in log rows it writes, the
//! pending-request store (a POST-binding message waiting for its same-site GET, a
//! validated sign-in waiting for the password), and the steps shared by the SAML
//! endpoint, the launch URL and the login page: [`proceed`] after validation and
//! [`complete`] with a session, once Conditional Access allows it ([`enforce`]: the
//! refusal page — SESAME53003 for a Block, with a button taking the SAML error Response
//! back to the application —, or the second step of `web::conditional`, also when the
//! request's RequestedAuthnContext needs more than the session did; only a passkey when
//! the policy requires phishing-resistant MFA or the request asks for X509, and an
//! "interrupted" row in the sign-in log), and then, for a user who must change their
//! password, "Update your password" (`web::password_update`). The decisions are
//! `sso::flow`'s; this renders and logs.

use super::failure::PageFailure;
use super::http::{correlation_id, ClientIp};
use super::pages::{auto_post, csp, esc, html_headers};
use super::session::current_session;
use super::state::AppState;
use crate::access::eval::{self, Decision, Evaluation, Outcome};
use crate::ids::random_id;
use crate::model::PolicyState;
use crate::sso::authn::Validated;
use crate::sso::cache::AppCache;
use crate::sso::flow::{self, Failure, Flow, Next, Who};
use crate::sso::{now, ErrorCode, SsoApp, SsoError};
use crate::store::{SessionWithUser, SigninRow};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use sesame_saml::bindings::MessageKind;
use std::net::IpAddr;
use std::sync::Arc;

/// How long a pending request is kept, seconds.
pub(crate) const PENDING_SECS: i64 = 900;
/// Pending requests one client address may have waiting at once (a person signs in to
/// one application at a time; an office behind one address signs in over minutes, and
/// each request waits only until the password is typed).
pub(crate) const PENDING_PER_ADDRESS: i64 = 200;
/// The largest SAML message (XML, after decoding and inflating) kept as a pending
/// request: a signed AuthnRequest with its certificate is a few KiB.
pub(crate) const PENDING_MESSAGE_MAX: usize = 16 * 1024;

/// Refuses (SESAME900040) a message too large to be kept as a pending request.
pub(crate) fn keepable(xml: &str) -> Result<(), SsoError> {
    if xml.len() > PENDING_MESSAGE_MAX {
        return Err(SsoError::new(
            ErrorCode::RequestTooLarge,
            format!(
                "the request is {} bytes of XML; at most {PENDING_MESSAGE_MAX} are kept while the user signs in",
                xml.len()
            ),
        ));
    }
    Ok(())
}

/// What `pending_requests` holds.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Pending {
    /// A POST-binding message waiting for its same-site GET.
    Post {
        xml: String,
        relay_state: Option<String>,
    },
    /// A validated sign-in waiting for the password, with the request's XML for the
    /// sign-in log.
    SignIn {
        v: Validated,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
    },
    /// A sign-in waiting for the second factor a Conditional Access policy requires
    /// (`web::conditional`), begun at `since` (Unix seconds); `passkey_only` when only a
    /// passkey answers it (Require phishing-resistant MFA, or a request for X509).
    SecondStep {
        v: Validated,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
        since: i64,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        passkey_only: bool,
    },
    /// A sign-in waiting for the user to set a new password (Require password change at
    /// next sign-in: `web::password_update`), begun at `since` (Unix seconds).
    PasswordChange {
        v: Validated,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
        since: i64,
    },
    /// The admin portal waiting for the second factor a policy targeting it requires;
    /// `next` is the page to return to.
    PortalStep {
        next: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        passkey_only: bool,
    },
}

/// `?p=` of the continuation and login URLs.
#[derive(Debug, Deserialize)]
pub struct PendingQuery {
    /// The pending request id.
    pub p: Option<String>,
}

/// Per-request context for logs and error pages.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub state: AppState,
    pub ip: IpAddr,
    pub corr: String,
    /// The decoded SAML message of the request (XML), for the sign-in log.
    pub request: Option<String>,
}

impl Ctx {
    pub(crate) fn new(state: &AppState, ip: ClientIp) -> Self {
        Ctx {
            state: state.clone(),
            ip: ip.0,
            corr: ip.1.unwrap_or_else(correlation_id),
            request: None,
        }
    }

    /// The flow over the snapshot `cache`.
    pub(crate) fn flow<'a>(&'a self, cache: &'a AppCache) -> Flow<'a> {
        Flow::new(self.state.store(), self.state.cache().hot(), cache)
    }

    /// A sign-in log row, with the request's SAML message when it has one (the Response
    /// sent is added by the caller; the writer strips its SignatureValues and caps both,
    /// off the request path: `sso::signin_log`).
    pub(crate) fn row(
        &self,
        result: &str,
        code: Option<ErrorCode>,
        app: Option<&SsoApp>,
        user: Option<&Who>,
        request_id: Option<&str>,
        details: String,
    ) -> SigninRow {
        SigninRow {
            // Given by the writer, off the request path (`sso::signin_log`).
            id: String::new(),
            time_ms: now().unix_millis(),
            user_id: user.and_then(|u| u.id.clone()),
            upn: user.map(|u| u.upn.clone()).unwrap_or_default(),
            app_id: app.map(|a| a.id.clone()),
            app_name: app.map(|a| a.name.clone()).unwrap_or_default(),
            client_ip: self.ip.to_string(),
            result: result.to_owned(),
            error_code: code.map(|c| c.code().to_owned()).unwrap_or_default(),
            request_id: request_id.unwrap_or_default().to_owned(),
            correlation_id: self.corr.clone(),
            details,
            saml_request: self.request.clone().unwrap_or_default(),
            saml_response: String::new(),
        }
    }

    /// The failure row of `f`, with `details` in place of the error's own.
    pub(crate) fn failure_row(&self, f: &Failure, details: String) -> SigninRow {
        self.row(
            "failure",
            Some(f.error.code),
            f.app.as_deref(),
            f.user.as_ref(),
            f.request_id.as_deref(),
            details,
        )
    }

    /// Writes a row to the sign-in log.
    pub(crate) fn log(&self, row: SigninRow) {
        self.state.log(row);
    }

    /// The failure `f`, naming the browser's signed-in user when `f` names no one (a
    /// request refused before the flow reads the session), logged and shown as the
    /// error page. Only failures pay for the session lookup.
    pub(crate) async fn fail_seen(
        &self,
        cache: &AppCache,
        headers: &HeaderMap,
        f: impl Into<Failure>,
    ) -> PageFailure {
        let mut f = f.into();
        if f.user.is_none() {
            if let Ok(Some(s)) = current_session(&self.state, cache, headers).await {
                f.user = Some(Who::of(&s));
            }
        }
        self.fail(f)
    }

    /// The failure `f`, logged and shown as the error page.
    pub(crate) fn fail(&self, f: impl Into<Failure>) -> PageFailure {
        let f = f.into();
        let row = self.failure_row(&f, f.error.detail.clone());
        PageFailure::logged(&self.state, row, f.error, &self.corr)
    }
}

/// Stores a pending request of the client `ip`; returns its id. An address (an IPv6
/// address by its /64) that already has [`PENDING_PER_ADDRESS`] waiting is refused
/// (SESAME900041) until some are used or expire.
pub(crate) async fn put_pending(
    state: &AppState,
    ip: IpAddr,
    p: &Pending,
) -> Result<String, SsoError> {
    let id = random_id();
    let payload = serde_json::to_string(p).map_err(|e| SsoError::internal(&e))?;
    let client = super::rate_limit::key(ip).to_string();
    let t = now().unix_seconds();
    let waiting = state
        .store()
        .pending_count_for(&client, t)
        .await
        .map_err(|e| SsoError::internal(&e))?;
    if waiting >= PENDING_PER_ADDRESS {
        return Err(SsoError::new(
            ErrorCode::RateLimited,
            format!(
                "{waiting} sign-ins from this address are already waiting; finish one, or try again in {} minutes",
                PENDING_SECS / 60
            ),
        ));
    }
    state
        .store()
        .pending_put_for(&id, &payload, t + PENDING_SECS, &client)
        .await
        .map_err(|e| SsoError::internal(&e))?;
    Ok(id)
}

/// Reads and deletes a pending request.
pub(crate) async fn take_pending(state: &AppState, id: &str) -> Result<Option<Pending>, SsoError> {
    if id.len() > 64 {
        return Ok(None);
    }
    let internal = |e: crate::store::StoreError| SsoError::internal(&e);
    let Some(payload) = state
        .store()
        .pending_get(id, now().unix_seconds())
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    state.store().pending_delete(id).await.map_err(internal)?;
    Ok(serde_json::from_str(&payload).ok())
}

/// Sends an error that goes back to the application as a SAML Response (to the
/// registered Reply URL of `v`), or shows it when it is not one that goes back; the
/// row names `who`, the browser's signed-in user, when there is one.
pub(crate) fn send_error(
    ctx: &Ctx,
    cache: &AppCache,
    app: &Arc<SsoApp>,
    v: &Validated,
    e: SsoError,
    who: Option<&Who>,
) -> Result<Response, PageFailure> {
    let fail =
        |err: SsoError| ctx.fail(Failure::from(err).app(app).request(v.request_id.as_deref()));
    let xml = ctx.flow(cache).error_reply(app, v, &e).map_err(fail)?;
    let page = auto_post(
        &v.acs_url,
        MessageKind::Response,
        &xml,
        v.relay_state.as_deref(),
    );
    let mut r = ctx.row(
        "failure",
        Some(e.code),
        Some(app),
        who,
        v.request_id.as_deref(),
        e.detail,
    );
    r.saml_response = xml;
    ctx.log(r);
    Ok(page)
}

/// After validation: answer with the session, or return NoPassive, or ask for the password.
pub(crate) async fn proceed(
    ctx: &Ctx,
    cache: &AppCache,
    headers: &HeaderMap,
    app: &Arc<SsoApp>,
    v: Validated,
) -> Result<Response, PageFailure> {
    let fail = |e: SsoError| ctx.fail(Failure::from(e).app(app).request(v.request_id.as_deref()));
    let session = if v.force_authn {
        None
    } else {
        current_session(&ctx.state, cache, headers)
            .await
            .map_err(fail)?
    };
    match flow::next(&v, session) {
        Next::Issue(s) => return complete(ctx, cache, &v, &s).await,
        Next::NoPassive(e) => return send_error(ctx, cache, app, &v, e, None),
        Next::SignIn => {}
    }
    let rid = v.request_id.clone();
    if let Some(xml) = &ctx.request {
        keepable(xml).map_err(fail)?;
    }
    let pending = Pending::SignIn {
        v,
        request: ctx.request.clone(),
    };
    let id = put_pending(&ctx.state, ctx.ip, &pending)
        .await
        .map_err(|e| ctx.fail(Failure::from(e).app(app).request(rid.as_deref())))?;
    let tenant = cache
        .tenant
        .as_ref()
        .map(|t| t.id.as_str())
        .unwrap_or_default();
    let mut r = Redirect::to(&format!("/{tenant}/login?p={id}")).into_response();
    *r.status_mut() = StatusCode::SEE_OTHER;
    Ok(r)
}

/// Issues the Response for a signed-in user (`sso::flow`), records the app in the
/// session, logs, and answers with the auto-post form — once the Conditional Access
/// policies allow it (`web::conditional`: else the second step, or the refusal).
pub(crate) async fn complete(
    ctx: &Ctx,
    cache: &AppCache,
    v: &Validated,
    s: &SessionWithUser,
) -> Result<Response, PageFailure> {
    complete_since(ctx, cache, v, s, now().unix_seconds()).await
}

/// [`complete`] for a sign-in begun at `since` (Unix seconds).
pub(crate) async fn complete_since(
    ctx: &Ctx,
    cache: &AppCache,
    v: &Validated,
    s: &SessionWithUser,
    since: i64,
) -> Result<Response, PageFailure> {
    let ca = match enforce(ctx, cache, v, s, since).await? {
        Enforced::Answer(r) => return Ok(r),
        Enforced::Allowed(ca) => ca,
    };
    // After the password and any second step, before any Response: a user who must set
    // a new password does so first.
    if s.password_change_required {
        return password_change_interrupt(ctx, cache, v, s, since).await;
    }
    let flow = ctx.flow(cache);
    let issued = flow.issue(v, s).await.map_err(|f| ctx.fail(f))?;
    flow.persist(s, &issued)
        .await
        .map_err(|f| ctx.fail(f.request(v.request_id.as_deref())))?;
    let page = auto_post(
        &v.acs_url,
        MessageKind::Response,
        &issued.response,
        v.relay_state.as_deref(),
    );
    let mut r = ctx.row(
        "success",
        None,
        Some(&issued.app),
        Some(&issued.user),
        v.request_id.as_deref(),
        ca,
    );
    // Moved, not copied: the writer strips the SignatureValues off the request path.
    r.saml_response = issued.response;
    ctx.log(r);
    Ok(page)
}

/// The sign-in `v` of the session `s`, whose user must set a new password: kept waiting,
/// an "interrupted" row in the sign-in log, and the browser sent to "Update your
/// password" (`web::password_update`).
async fn password_change_interrupt(
    ctx: &Ctx,
    cache: &AppCache,
    v: &Validated,
    s: &SessionWithUser,
    since: i64,
) -> Result<Response, PageFailure> {
    let who = Who::of(s);
    let app = cache.by_id(&v.app_id);
    let fail = |e: SsoError| {
        let mut f = Failure::from(e).user(Some(who.clone()));
        if let Some(a) = &app {
            f = f.app(a);
        }
        ctx.fail(f.request(v.request_id.as_deref()))
    };
    let pending = Pending::PasswordChange {
        v: v.clone(),
        request: ctx.request.clone(),
        since,
    };
    let id = put_pending(&ctx.state, ctx.ip, &pending)
        .await
        .map_err(fail)?;
    ctx.log(ctx.row(
        "interrupted",
        None,
        app.map(|a| a.as_ref()),
        Some(&who),
        v.request_id.as_deref(),
        "interrupted: password change required".into(),
    ));
    let tenant = cache
        .tenant
        .as_ref()
        .map(|t| t.id.as_str())
        .unwrap_or_default();
    let mut r = Redirect::to(&format!("/{tenant}/login/password?p={id}")).into_response();
    *r.status_mut() = StatusCode::SEE_OTHER;
    Ok(r)
}

// ---------------------------------------------------------------------------------------
// Conditional Access: the decision enforced before a Response is issued

/// What [`enforce`] decided.
pub(crate) enum Enforced {
    /// Issue the Response; the sign-in log's details of the evaluation ('' without
    /// policies).
    Allowed(String),
    /// Answer with this instead (the second step, or a refusal).
    Answer(Response),
}

fn method_label(m: &str) -> &'static str {
    match m {
        eval::PASSWORD => "password",
        eval::TOTP => "authenticator app",
        eval::RECOVERY => "recovery code",
        eval::PASSKEY => "passkey",
        _ => "other",
    }
}

/// The sign-in log's account of an evaluation: the authentication requirement, the
/// methods the session used, and each policy's result.
pub(crate) fn summary(ev: &Evaluation, s: &SessionWithUser) -> String {
    let mut methods: Vec<&str> = Vec::new();
    for u in eval::session_methods(&s.session.methods) {
        let l = method_label(&u.method);
        if !methods.contains(&l) {
            methods.push(l);
        }
    }
    let mut out = format!(
        "Conditional Access: authentication requirement {}; methods used: {}",
        ev.requirement(),
        if methods.is_empty() {
            "none".to_owned()
        } else {
            methods.join(", ")
        }
    );
    for p in &ev.policies {
        let result = match (&p.outcome, p.state) {
            (Outcome::NotApplied { reason }, _) => format!("not applied ({reason})"),
            (Outcome::Satisfied, PolicyState::ReportOnly) => {
                "report-only: would be satisfied".to_owned()
            }
            (Outcome::NotSatisfied, PolicyState::ReportOnly) => format!(
                "report-only: would {} (not enforced)",
                if p.grant == crate::model::GrantControl::Block {
                    "block".to_owned()
                } else {
                    format!("require {}", p.grant.as_str())
                }
            ),
            (Outcome::Satisfied, _) => "applied, satisfied".to_owned(),
            (Outcome::NotSatisfied, _) => "applied, not satisfied".to_owned(),
        };
        out.push_str(&format!(
            "; policy \"{}\" ({}): {result}",
            p.name,
            p.grant.label()
        ));
    }
    out
}

/// Whether passkeys can be used at this installation (its public URL names a host, not
/// an IP address): else nothing answers "Require phishing-resistant MFA" (SESAME900150).
pub(crate) fn passkeys_usable(cache: &AppCache) -> bool {
    let url = cache
        .tenant
        .as_ref()
        .map(|t| t.public_url.as_str())
        .unwrap_or_default();
    crate::methods::passkey::RelyingParty::from_public_url(url).is_ok()
}

/// Evaluates the policies for the session `s` signing in with `v`, begun at `since`, and
/// enforces their decision.
pub(crate) async fn enforce(
    ctx: &Ctx,
    cache: &AppCache,
    v: &Validated,
    s: &SessionWithUser,
    since: i64,
) -> Result<Enforced, PageFailure> {
    // A RequestedAuthnContext that needs more than the session did: the second step (a
    // passkey for X509).
    let required = crate::sso::authn::required_level(v);
    let step_up = required > crate::sso::flow::session_level(s);
    if cache.policies.is_empty() && !step_up {
        return Ok(Enforced::Allowed(String::new()));
    }
    let who = Who::of(s);
    let fail = |e: SsoError| {
        let mut f = Failure::from(e)
            .user(Some(who.clone()))
            .request(v.request_id.as_deref());
        if let Some(app) = cache.by_id(&v.app_id) {
            f = f.app(app);
        }
        ctx.fail(f)
    };
    let t = now().unix_seconds();
    let ev = ctx
        .flow(cache)
        .conditional_access(Some(&v.app_id), s, ctx.ip, t, since)
        .await
        .map_err(fail)?;
    let mut details = summary(&ev, s);
    let x509 = step_up && required >= crate::sso::authn::MAX_LEVEL;
    if step_up {
        details.push_str(&format!(
            "; the request's RequestedAuthnContext needs {}",
            if x509 {
                "a passkey (X509)"
            } else {
                "a second factor"
            }
        ));
    }
    let decision = match &ev.decision {
        Decision::Allow if step_up => Decision::Mfa {
            policy: String::new(),
        },
        d => d.clone(),
    };
    let refusal = match &decision {
        Decision::Allow => return Ok(Enforced::Allowed(details)),
        Decision::Block { policy } => (
            SsoError::new(
                ErrorCode::BlockedByConditionalAccess,
                "your organisation's Conditional Access policies do not allow you to sign in to this application from here",
            ),
            policy,
        ),
        Decision::PhishingResistant { policy }
            if !passkeys_usable(cache) =>
        {
            (
                SsoError::new(
                    ErrorCode::PhishingResistantRequired,
                    "this application requires a passkey or security key, and passkeys cannot be used at Sesame's address (its public URL names an IP address, not a host name); ask your administrator",
                ),
                policy,
            )
        }
        Decision::PhishingResistant { .. } | Decision::Mfa { .. } => {
            let Some(app) = cache.by_id(&v.app_id) else {
                return Err(fail(SsoError::new(
                    ErrorCode::AppNotFound,
                    "the application was deleted during sign-in",
                )));
            };
            let passkey_only = x509 || matches!(decision, Decision::PhishingResistant { .. });
            if v.is_passive {
                let e = SsoError::new(
                    ErrorCode::NoPassive,
                    if passkey_only {
                        "the sign-in needs a passkey, and IsPassive forbids asking for it"
                    } else {
                        "a Conditional Access policy requires a second factor, and IsPassive forbids asking for it"
                    },
                );
                return send_error(ctx, cache, app, v, e, Some(&who)).map(Enforced::Answer);
            }
            if x509 && !matches!(decision, Decision::PhishingResistant { .. }) {
                // X509 from a user with no passkey: nothing to step up to.
                let has_passkey = !ctx
                    .state
                    .store()
                    .passkeys_of_user(&s.session.user_id)
                    .await
                    .map_err(|e| fail(SsoError::internal(&e)))?
                    .is_empty();
                if !has_passkey {
                    let e = SsoError::new(
                        ErrorCode::AuthnContextUnsatisfied,
                        format!(
                            "the request asks for {} ({}): X509 needs a sign-in with a passkey, and {} has none registered",
                            v.requested_classes.join(", "),
                            if v.comparison.is_empty() { "exact" } else { &v.comparison },
                            s.upn
                        ),
                    );
                    return send_error(ctx, cache, app, v, e, Some(&who)).map(Enforced::Answer);
                }
            }
            let pending = Pending::SecondStep {
                v: v.clone(),
                request: ctx.request.clone(),
                since: t,
                passkey_only,
            };
            let id = put_pending(&ctx.state, ctx.ip, &pending)
                .await
                .map_err(fail)?;
            // The sign-in stops here until the user answers: its row says so (and a
            // success row follows when the user finishes).
            let need = if passkey_only {
                "interrupted: a passkey required"
            } else {
                "interrupted: second factor required"
            };
            ctx.log(ctx.row(
                "interrupted",
                None,
                Some(app),
                Some(&who),
                v.request_id.as_deref(),
                format!("{need}; {details}"),
            ));
            let tenant = cache
                .tenant
                .as_ref()
                .map(|t| t.id.as_str())
                .unwrap_or_default();
            let mut r = Redirect::to(&format!("/{tenant}/login/verify?p={id}")).into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            return Ok(Enforced::Answer(r));
        }
    };
    let (e, policy) = refusal;
    let Some(app) = cache.by_id(&v.app_id) else {
        return Err(fail(e));
    };
    // The row names the policy; the user's page does not.
    let xml = ctx.flow(cache).error_reply(app, v, &e).map_err(fail)?;
    let mut row = ctx.row(
        "failure",
        Some(e.code),
        Some(app),
        Some(&who),
        v.request_id.as_deref(),
        format!("blocked by the policy \"{policy}\"; {details}"),
    );
    row.saml_response = xml.clone();
    ctx.log(row);
    Ok(Enforced::Answer(refusal_page(
        &e,
        &ctx.corr,
        &app.name,
        &v.acs_url,
        &xml,
        v.relay_state.as_deref(),
    )))
}

/// The error page of a refusal, with a button that takes the SAML error Response back to
/// the application's registered Reply URL.
fn refusal_page(
    e: &SsoError,
    corr: &str,
    app_name: &str,
    acs_url: &str,
    xml: &str,
    relay_state: Option<&str>,
) -> Response {
    use base64::Engine as _;
    let html = super::pages::error_html(e, corr, &now().to_xs_datetime(), Some(app_name));
    let relay = relay_state
        .map(|r| {
            format!(
                "<input type=\"hidden\" name=\"RelayState\" value=\"{}\">",
                esc(r)
            )
        })
        .unwrap_or_default();
    let form = format!(
        "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"{}\" value=\"{}\">{relay}\
<button type=\"submit\">Back to the application</button></form>",
        esc(acs_url),
        MessageKind::Response.param_name(),
        base64::engine::general_purpose::STANDARD.encode(xml.as_bytes()),
    );
    let html = html.replacen("</body>", &format!("{form}</body>"), 1);
    let mut r = (StatusCode::FORBIDDEN, html_headers(), html).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp(false, Some(acs_url), &[], false)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert("x-sesame-error", HeaderValue::from_static(e.code.code()));
    r
}
