//! The SAML endpoint (`/{tenant}/saml2`: AuthnRequest and LogoutRequest, by HTTP-Redirect
//! and HTTP-POST), IdP-initiated launch, federation metadata and sign-out.
//!
//! A POST-binding message is a cross-site POST, with which the browser does not send the
//! SameSite=Lax session cookie: it is stored and answered with a 303 to a same-site GET
//! (`/{tenant}/saml2/continue?p=…`) that continues with the session.

use super::pages::{auto_post, csp, html_with_csp, page};
use super::{cookie, correlation_id, error_page, esc, set_cookie, AppState, ClientIp};
use crate::sso::assertion;
use crate::sso::authn::{self, Rejection, SignatureInput, Validated};
use crate::sso::cache::AppCache;
use crate::sso::hot::Grant;
use crate::sso::session::{self, Verdict};
use crate::sso::{now, random_id, slo, ErrorCode, SsoApp, SsoError};
use crate::store::{SessionApp, SessionWithUser, SigninRow, Store};
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use sesame_saml::bindings::redirect::{self, RedirectMessage};
use sesame_saml::bindings::{post, MessageKind};
use sesame_saml::messages::{AuthnRequest, LogoutRequest, LogoutResponse, Status};
use sesame_saml::time::Timestamp;
use sesame_saml::xml::{self, Limits};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

/// How long a pending request is kept, seconds.
pub(crate) const PENDING_SECS: i64 = 900;

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
}

/// Per-request context for logs and error pages.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub ip: IpAddr,
    pub corr: String,
    /// The decoded SAML message of the request (XML), for the sign-in log.
    pub request: Option<String>,
}

impl Ctx {
    pub(crate) fn new(ip: ClientIp) -> Self {
        Ctx {
            ip: ip.0,
            corr: ip.1.unwrap_or_else(correlation_id),
            request: None,
        }
    }
}

/// A sign-in log row, with the request's SAML message when it has one (the Response sent
/// is added by the caller; the writer strips its SignatureValues and caps both, off the
/// request path: `sso::signin_log`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn row(
    ctx: &Ctx,
    result: &str,
    code: Option<ErrorCode>,
    app: Option<&SsoApp>,
    user: Option<(&str, &str)>,
    request_id: Option<&str>,
    details: String,
) -> SigninRow {
    SigninRow {
        // Given by the writer, off the request path (`sso::signin_log`).
        id: String::new(),
        time_ms: now().unix_millis(),
        user_id: user.map(|u| u.0.to_owned()),
        upn: user.map(|u| u.1.to_owned()).unwrap_or_default(),
        app_id: app.map(|a| a.id.clone()),
        app_name: app.map(|a| a.name.clone()).unwrap_or_default(),
        client_ip: ctx.ip.to_string(),
        result: result.to_owned(),
        error_code: code.map(|c| c.code().to_owned()).unwrap_or_default(),
        request_id: request_id.unwrap_or_default().to_owned(),
        correlation_id: ctx.corr.clone(),
        details,
        saml_request: ctx.request.clone().unwrap_or_default(),
        saml_response: String::new(),
    }
}

/// Logs the failure and renders its error page.
pub(crate) fn fail(
    state: &AppState,
    ctx: &Ctx,
    e: &SsoError,
    app: Option<&SsoApp>,
    user: Option<(&str, &str)>,
    request_id: Option<&str>,
) -> Response {
    state.log(row(
        ctx,
        "failure",
        Some(e.code),
        app,
        user,
        request_id,
        e.detail.clone(),
    ));
    error_page(e, &ctx.corr)
}

/// A failure outside the protocol: 503 when the database is out of reach, else 500.
fn internal<E: std::error::Error + 'static>(e: E) -> SsoError {
    SsoError::internal(&e)
}

/// The tenant of the path, checked against this installation's.
pub(crate) fn check_tenant(cache: &AppCache, tenant: &str) -> Result<(), SsoError> {
    match &cache.tenant {
        Some(t) if t.id.eq_ignore_ascii_case(tenant) => Ok(()),
        _ => Err(SsoError::new(
            ErrorCode::TenantNotFound,
            format!(
                "tenant \"{}\" does not exist here",
                tenant.chars().take(64).collect::<String>()
            ),
        )),
    }
}

/// The current session, when its cookie names a valid one. Writes `last_seen` (off the
/// request path) at most every few minutes. A database that cannot answer is an error
/// (503), not "no session": the user would otherwise be asked to sign in again.
///
/// On a single node (SQLite) the session comes from the snapshot's memo when read less
/// than a second ago and no session was deleted since (`sso::hot`); it is judged (lifetimes,
/// user enabled, password changed) on every request either way.
pub(crate) async fn current_session(
    state: &AppState,
    cache: &AppCache,
    headers: &HeaderMap,
) -> Result<Option<SessionWithUser>, SsoError> {
    let Some(value) = cookie(headers, session::COOKIE) else {
        return Ok(None);
    };
    if !session::plausible_cookie(value) {
        return Ok(None);
    }
    let hash = session::hash_cookie(value);
    let cacheable = state.cache().hot().cache_sessions();
    let cached = if cacheable {
        cache.memo.session(&hash, Instant::now())
    } else {
        None
    };
    let s = match cached {
        Some(s) => s,
        None => {
            let (epoch, at) = (Store::session_epoch(), Instant::now());
            let Some(s) = state
                .store()
                .session_with_user(&hash)
                .await
                .map_err(internal)?
            else {
                return Ok(None);
            };
            if cacheable && s.user_enabled {
                cache.memo.put_session(&s, at, epoch);
            }
            s
        }
    };
    let now_s = now().unix_seconds();
    match session::judge(&s, now_s) {
        Verdict::Valid { touch } => {
            if touch {
                cache.memo.touched(&hash, now_s);
                let store = state.store().clone();
                tokio::spawn(async move {
                    let _ = store.session_touch(&hash, now_s).await;
                });
            }
            Ok(Some(s))
        }
        Verdict::Expired | Verdict::Revoked => Ok(None),
    }
}

/// `GET /{tenant}/saml2`: a message by HTTP-Redirect.
pub async fn saml2_get(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
    ip: ClientIp,
    headers: HeaderMap,
) -> Response {
    let mut ctx = Ctx::new(ip);
    let cache = state.cache().get();
    if let Err(e) = check_tenant(&cache, &tenant) {
        return fail(&state, &ctx, &e, None, None, None);
    }
    let q = query.unwrap_or_default();
    if !q
        .split('&')
        .any(|p| p.starts_with("SAMLRequest=") || p.starts_with("SAMLResponse="))
    {
        let e = SsoError::new(
            ErrorCode::MissingMessage,
            "the URL has no SAMLRequest parameter",
        );
        return fail(&state, &ctx, &e, None, None, None);
    }
    let msg = match redirect::decode_query(&q) {
        Ok(m) => m,
        Err(e) => {
            let e = SsoError::new(ErrorCode::MalformedRequest, e.to_string());
            return fail(&state, &ctx, &e, None, None, None);
        }
    };
    let relay = msg.relay_state.clone();
    ctx.request = Some(msg.xml.clone());
    dispatch(&state, &cache, &ctx, &headers, &msg.xml, relay, Some(&msg)).await
}

/// `POST /{tenant}/saml2`: a message by HTTP-POST, stored and continued by a same-site GET.
pub async fn saml2_post(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    ip: ClientIp,
    body: String,
) -> Response {
    let ctx = Ctx::new(ip);
    let cache = state.cache().get();
    if let Err(e) = check_tenant(&cache, &tenant) {
        return fail(&state, &ctx, &e, None, None, None);
    }
    let (kind, xml, relay_state) = match post::decode_form(&body) {
        Ok(m) => m,
        Err(e) => {
            let code = if body.contains("SAMLRequest=") || body.contains("SAMLResponse=") {
                ErrorCode::MalformedRequest
            } else {
                ErrorCode::MissingMessage
            };
            return fail(
                &state,
                &ctx,
                &SsoError::new(code, e.to_string()),
                None,
                None,
                None,
            );
        }
    };
    let _ = kind;
    let id = random_id();
    let payload = match serde_json::to_string(&Pending::Post { xml, relay_state }) {
        Ok(p) => p,
        Err(e) => return fail(&state, &ctx, &internal(e), None, None, None),
    };
    if let Err(e) = state
        .store()
        .pending_put(&id, &payload, now().unix_seconds() + PENDING_SECS)
        .await
    {
        return fail(&state, &ctx, &internal(e), None, None, None);
    }
    Redirect::to(&format!("/{}/saml2/continue?p={id}", esc_path(&tenant))).into_response()
}

fn esc_path(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// `?p=` of the continuation and login URLs.
#[derive(Debug, Deserialize)]
pub struct PendingQuery {
    /// The pending request id.
    pub p: Option<String>,
}

/// `GET /{tenant}/saml2/continue?p=…`: continues a POST-binding message.
pub async fn saml2_continue(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Query(q): Query<PendingQuery>,
    ip: ClientIp,
    headers: HeaderMap,
) -> Response {
    let mut ctx = Ctx::new(ip);
    let cache = state.cache().get();
    if let Err(e) = check_tenant(&cache, &tenant) {
        return fail(&state, &ctx, &e, None, None, None);
    }
    let Some(id) = q.p else {
        let e = SsoError::new(ErrorCode::SignInExpired, "the URL has no request reference");
        return fail(&state, &ctx, &e, None, None, None);
    };
    let pending = match take_pending(&state, &id).await {
        Ok(Some(Pending::Post { xml, relay_state })) => (xml, relay_state),
        Ok(_) => {
            let e = SsoError::new(
                ErrorCode::SignInExpired,
                "the request is no longer kept (expired or already used)",
            );
            return fail(&state, &ctx, &e, None, None, None);
        }
        Err(e) => return fail(&state, &ctx, &e, None, None, None),
    };
    ctx.request = Some(pending.0.clone());
    dispatch(&state, &cache, &ctx, &headers, &pending.0, pending.1, None).await
}

/// Reads and deletes a pending request.
pub(crate) async fn take_pending(state: &AppState, id: &str) -> Result<Option<Pending>, SsoError> {
    if id.len() > 64 {
        return Ok(None);
    }
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

/// A refusal before validation could finish: the error, the app when known, the
/// request ID when read.
type Refusal = (SsoError, Option<Arc<SsoApp>>, Option<String>);
/// A LogoutRequest refused: the error and the app when known.
type LogoutRefusal = (SsoError, Option<Arc<SsoApp>>);

/// What [`check_authn`] found: the app, and the validation outcome.
struct Checked {
    app: Arc<SsoApp>,
    outcome: Result<Validated, Rejection>,
    issuer: String,
    request_id: String,
    replay_expiry: i64,
    sha1: bool,
}

/// The synchronous part of an AuthnRequest: parse, look up the app, verify, validate.
fn check_authn(
    cache: &AppCache,
    doc: &roxmltree::Document<'_>,
    redirect: Option<&RedirectMessage>,
    relay: Option<&str>,
) -> Result<Checked, Refusal> {
    let req = AuthnRequest::from_element(doc.root_element()).map_err(|e| {
        (
            SsoError::new(ErrorCode::MalformedRequest, e.to_string()),
            None,
            None,
        )
    })?;
    let app = cache
        .by_identifier(&req.issuer)
        .cloned()
        .ok_or_else(|| (unknown_issuer(&req.issuer), None, Some(req.id.clone())))?;
    let input = match redirect {
        Some(m) => SignatureInput::Redirect(m),
        None => SignatureInput::Post(doc),
    };
    let sig = authn::check_signature(&app, &input);
    let sha1 = matches!(
        sig,
        Ok(Some(sesame_saml::crypto::SignatureAlgorithm::RsaSha1))
    );
    let outcome = authn::validate(now(), &cache.login_url, &app, &req, sig, relay);
    Ok(Checked {
        outcome,
        issuer: req.issuer.clone(),
        request_id: req.id.clone(),
        replay_expiry: authn::replay_expiry(&req),
        sha1,
        app,
    })
}

enum Parsed {
    Authn(Result<Checked, Refusal>),
    Logout(Result<(Arc<SsoApp>, LogoutRequest), LogoutRefusal>),
    LogoutResponse,
    Other(SsoError),
}

/// Parses and checks a message synchronously (the XML document never crosses an await).
fn parse_message(
    cache: &AppCache,
    xml_text: &str,
    redirect: Option<&RedirectMessage>,
    relay: Option<&str>,
) -> Parsed {
    let doc = match xml::parse(xml_text, &Limits::MESSAGE) {
        Ok(d) => d,
        Err(e) => return Parsed::Other(SsoError::new(ErrorCode::MalformedRequest, e.to_string())),
    };
    match doc.root_element().tag_name().name() {
        "AuthnRequest" => Parsed::Authn(check_authn(cache, &doc, redirect, relay)),
        "LogoutRequest" => Parsed::Logout(check_logout(cache, &doc, redirect)),
        "LogoutResponse" => match check_logout_response(cache, &doc, redirect) {
            Ok(()) => Parsed::LogoutResponse,
            Err(e) => Parsed::Other(e),
        },
        other => Parsed::Other(SsoError::new(
            ErrorCode::MalformedRequest,
            format!(
                "a <{}> cannot be sent to the SSO endpoint",
                other.chars().take(64).collect::<String>()
            ),
        )),
    }
}

fn check_logout(
    cache: &AppCache,
    doc: &roxmltree::Document<'_>,
    redirect: Option<&RedirectMessage>,
) -> Result<(Arc<SsoApp>, LogoutRequest), LogoutRefusal> {
    let req = LogoutRequest::from_element(doc.root_element()).map_err(|e| {
        (
            SsoError::new(ErrorCode::MalformedRequest, e.to_string()),
            None,
        )
    })?;
    let app = cache
        .by_identifier(&req.issuer)
        .cloned()
        .ok_or_else(|| (unknown_issuer(&req.issuer), None))?;
    let input = match redirect {
        Some(m) => SignatureInput::Redirect(m),
        None => SignatureInput::Post(doc),
    };
    authn::check_signature(&app, &input).map_err(|e| (e, Some(Arc::clone(&app))))?;
    Ok((app, req))
}

/// A LogoutResponse from an application (after an IdP-initiated sign-out): its Issuer
/// must be an application's Identifier, and its signature is checked as for requests —
/// verified with the application's SP certificates when signed, refused when missing and
/// the application requires signed requests.
fn check_logout_response(
    cache: &AppCache,
    doc: &roxmltree::Document<'_>,
    redirect: Option<&RedirectMessage>,
) -> Result<(), SsoError> {
    let resp = LogoutResponse::from_element(doc.root_element())
        .map_err(|e| SsoError::new(ErrorCode::MalformedRequest, e.to_string()))?;
    let app = cache
        .by_identifier(&resp.issuer)
        .ok_or_else(|| unknown_issuer(&resp.issuer))?;
    let input = match redirect {
        Some(m) => SignatureInput::Redirect(m),
        None => SignatureInput::Post(doc),
    };
    authn::check_signature(app, &input)?;
    Ok(())
}

async fn dispatch(
    state: &AppState,
    cache: &AppCache,
    ctx: &Ctx,
    headers: &HeaderMap,
    xml_text: &str,
    relay: Option<String>,
    redirect: Option<&RedirectMessage>,
) -> Response {
    match parse_message(cache, xml_text, redirect, relay.as_deref()) {
        Parsed::Other(e) => fail(state, ctx, &e, None, None, None),
        Parsed::LogoutResponse => signed_out_page(&[]),
        Parsed::Logout(Err((e, app))) => fail(state, ctx, &e, app.as_deref(), None, None),
        Parsed::Logout(Ok((app, req))) => {
            logout(state, cache, ctx, headers, &app, &req, relay).await
        }
        Parsed::Authn(Err((e, app, rid))) => {
            fail(state, ctx, &e, app.as_deref(), None, rid.as_deref())
        }
        Parsed::Authn(Ok(c)) => {
            if c.sha1 {
                tracing::warn!(app = %c.app.id, "AuthnRequest signed with RSA-SHA1 (accepted; require SHA-256 with `sesame app set APP --require-sha256 true`)");
            }
            if let Err(Rejection { error, reply: None }) = &c.outcome {
                return fail(state, ctx, error, Some(&c.app), None, Some(&c.request_id));
            }
            match state
                .cache()
                .hot()
                .replay_check_and_insert(
                    state.store(),
                    &c.issuer,
                    &c.request_id,
                    c.replay_expiry,
                    now().unix_seconds(),
                )
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    let e = SsoError::new(
                        ErrorCode::RequestReplayed,
                        format!(
                            "the request ID \"{}\" was already used",
                            c.request_id.chars().take(100).collect::<String>()
                        ),
                    );
                    return fail(state, ctx, &e, Some(&c.app), None, Some(&c.request_id));
                }
                Err(e) => {
                    return fail(
                        state,
                        ctx,
                        &internal(e),
                        Some(&c.app),
                        None,
                        Some(&c.request_id),
                    )
                }
            }
            match c.outcome {
                Ok(v) => proceed(state, cache, ctx, headers, &c.app, v).await,
                Err(Rejection {
                    error,
                    reply: Some(v),
                }) => send_error(state, cache, ctx, &c.app, &v, &error, None),
                Err(Rejection { error, reply: None }) => {
                    fail(state, ctx, &error, Some(&c.app), None, Some(&c.request_id))
                }
            }
        }
    }
}

/// Sends an error that goes back to the application as a SAML Response (to the
/// registered Reply URL of `v`).
fn send_error(
    state: &AppState,
    cache: &AppCache,
    ctx: &Ctx,
    app: &SsoApp,
    v: &Validated,
    e: &SsoError,
    user: Option<(&str, &str)>,
) -> Response {
    let Some(status) = e.saml_status() else {
        return fail(state, ctx, e, Some(app), user, v.request_id.as_deref());
    };
    match assertion::error_response(now(), &cache.idp_issuer, app, v, status) {
        Ok(xml) => {
            let page = auto_post(
                &v.acs_url,
                MessageKind::Response,
                &xml,
                v.relay_state.as_deref(),
            );
            let mut r = row(
                ctx,
                "failure",
                Some(e.code),
                Some(app),
                user,
                v.request_id.as_deref(),
                e.detail.clone(),
            );
            r.saml_response = xml;
            state.log(r);
            page
        }
        Err(err) => fail(state, ctx, &err, Some(app), user, v.request_id.as_deref()),
    }
}

/// After validation: answer with the session, or return NoPassive, or ask for the password.
async fn proceed(
    state: &AppState,
    cache: &AppCache,
    ctx: &Ctx,
    headers: &HeaderMap,
    app: &Arc<SsoApp>,
    v: Validated,
) -> Response {
    if !v.force_authn {
        match current_session(state, cache, headers).await {
            Ok(Some(s)) => return complete(state, cache, ctx, &v, &s).await,
            Ok(None) => {}
            Err(e) => return fail(state, ctx, &e, Some(app), None, v.request_id.as_deref()),
        }
    }
    if v.is_passive {
        let e = SsoError::new(
            ErrorCode::NoPassive,
            if v.force_authn {
                "the request asks for both ForceAuthn and IsPassive".to_owned()
            } else {
                "the user has no session and IsPassive forbids the sign-in page".to_owned()
            },
        );
        return send_error(state, cache, ctx, app, &v, &e, None);
    }
    let id = random_id();
    let payload = match serde_json::to_string(&Pending::SignIn {
        v: v.clone(),
        request: ctx.request.clone(),
    }) {
        Ok(p) => p,
        Err(e) => {
            return fail(
                state,
                ctx,
                &internal(e),
                Some(app),
                None,
                v.request_id.as_deref(),
            )
        }
    };
    if let Err(e) = state
        .store()
        .pending_put(&id, &payload, now().unix_seconds() + PENDING_SECS)
        .await
    {
        return fail(
            state,
            ctx,
            &internal(e),
            Some(app),
            None,
            v.request_id.as_deref(),
        );
    }
    let tenant = cache
        .tenant
        .as_ref()
        .map(|t| t.id.as_str())
        .unwrap_or_default();
    let mut r = Redirect::to(&format!("/{tenant}/login?p={id}")).into_response();
    *r.status_mut() = StatusCode::SEE_OTHER;
    r
}

/// Issues the Response for a signed-in user: re-reads the app from the current
/// configuration, checks the user and the assignment, signs, records the app in the
/// session, logs, and answers with the auto-post form.
pub(crate) async fn complete(
    state: &AppState,
    cache: &AppCache,
    ctx: &Ctx,
    v: &Validated,
    s: &SessionWithUser,
) -> Response {
    let rid = v.request_id.as_deref();
    let who = Some((s.session.user_id.as_str(), s.upn.as_str()));
    let Some(app) = cache.by_id(&v.app_id).cloned() else {
        let e = SsoError::new(
            ErrorCode::AppNotFound,
            "the application was deleted during sign-in",
        );
        return fail(state, ctx, &e, None, who, rid);
    };
    if !app.enabled {
        let e = SsoError::new(
            ErrorCode::AppDisabled,
            format!("application \"{}\" is disabled", app.name),
        );
        return fail(state, ctx, &e, Some(&app), who, rid);
    }
    if !app
        .reply_urls
        .iter()
        .any(|r| authn::same_url(&r.url, &v.acs_url))
    {
        let e = SsoError::new(
            ErrorCode::ReplyUrlNotRegistered,
            format!(
                "\"{}\" is no longer a Reply URL of application \"{}\"",
                v.acs_url, app.name
            ),
        );
        return fail(state, ctx, &e, Some(&app), who, rid);
    }
    // The user and what the app's assignment and claims need come from the snapshot's
    // memo (a change to any of them is a configuration change: `sso::hot`).
    let memo = &cache.memo;
    let user = match memo.user(&s.session.user_id) {
        Some(u) => u,
        None => match state.store().user_by_id(&s.session.user_id).await {
            Ok(Some(u)) => {
                let u = Arc::new(u);
                if u.enabled {
                    memo.put_user(Arc::clone(&u));
                }
                u
            }
            Ok(None) => {
                let e = SsoError::new(ErrorCode::UserDisabled, "the user account no longer exists");
                return fail(state, ctx, &e, Some(&app), who, rid);
            }
            Err(e) => return fail(state, ctx, &internal(e), Some(&app), who, rid),
        },
    };
    if !user.enabled {
        let e = SsoError::new(
            ErrorCode::UserDisabled,
            format!("the account {} is disabled", user.upn),
        );
        return fail(state, ctx, &e, Some(&app), who, rid);
    }
    let grant = match memo.grant(&app.id, &user.id) {
        Some(g) => g,
        None => match Grant::load(state.store(), &app, &user.id).await {
            Ok(g) => {
                let g = Arc::new(g);
                // Only a grant is kept: a refusal is read again, so that an assignment
                // is in force at once (a removal, with the next snapshot).
                if g.allowed {
                    memo.put_grant(&app.id, &user.id, Arc::clone(&g));
                }
                g
            }
            Err(e) => return fail(state, ctx, &internal(e), Some(&app), who, rid),
        },
    };
    if !grant.allowed {
        let e = SsoError::new(
            ErrorCode::NotAssigned,
            format!(
                "{} is not assigned to application \"{}\"",
                user.upn, app.name
            ),
        );
        return fail(state, ctx, &e, Some(&app), who, rid);
    }
    let public_url = cache.tenant.as_ref().map_or("", |t| t.public_url.as_str());
    let claim_ctx = assertion::claim_context(&app, &user, &grant.data, public_url);
    // The SessionIndex is the same for every Response of this session to this app (on
    // every node), so the steady state of a session writes nothing: the session's record
    // of the app is written when it differs from what this node knows is stored.
    let hot = state.cache().hot();
    let known = hot.session_app(&s.session.id_hash, &app.id);
    let session_index = session::session_index(&s.session.id_hash, &app.id);
    let issued = match assertion::success(
        now(),
        &cache.idp_issuer,
        &app,
        v,
        &claim_ctx,
        Timestamp::from_unix_seconds(s.session.auth_time),
        &session_index,
    ) {
        Ok(i) => i,
        Err(e) => return fail(state, ctx, &e, Some(&app), who, rid),
    };
    let sa = SessionApp {
        app_id: app.id.clone(),
        name_id: issued.name_id.clone(),
        name_id_format: v.name_id_format.clone(),
        session_index: issued.session_index.clone(),
    };
    if known.as_ref() != Some(&sa) {
        if let Err(e) = state
            .store()
            .session_app_upsert(&s.session.id_hash, &sa)
            .await
        {
            return fail(state, ctx, &internal(e), Some(&app), who, rid);
        }
        hot.recorded_session_app(&s.session.id_hash, sa);
    }
    let page = auto_post(
        &v.acs_url,
        MessageKind::Response,
        &issued.xml,
        v.relay_state.as_deref(),
    );
    let mut r = row(ctx, "success", None, Some(&app), who, rid, String::new());
    // Moved, not copied: the writer strips the SignatureValues off the request path.
    r.saml_response = issued.xml;
    state.log(r);
    page
}

/// An SP-initiated LogoutRequest: end the session, answer to the app's Logout URL.
async fn logout(
    state: &AppState,
    cache: &AppCache,
    ctx: &Ctx,
    headers: &HeaderMap,
    app: &SsoApp,
    req: &LogoutRequest,
    relay: Option<String>,
) -> Response {
    let mut who = None;
    let current = match current_session(state, cache, headers).await {
        Ok(c) => c,
        Err(e) => return fail(state, ctx, &e, Some(app), None, Some(&req.id)),
    };
    if let Some(s) = current {
        who = Some((s.session.user_id.clone(), s.upn.clone()));
        if let Err(e) = state.store().session_delete(&s.session.id_hash).await {
            return fail(state, ctx, &internal(e), Some(app), None, Some(&req.id));
        }
        state
            .cache()
            .hot()
            .forget_session(&s.session.id_hash, &cache.memo);
    }
    let who_ref = who.as_ref().map(|(a, b)| (a.as_str(), b.as_str()));
    state.log(row(
        ctx,
        "success",
        None,
        Some(app),
        who_ref,
        Some(&req.id),
        "single logout".into(),
    ));
    let clear = set_cookie(state, session::COOKIE, "", Some(0));
    match slo::logout_response_url(
        now(),
        &cache.idp_issuer,
        app,
        &req.id,
        Status::success(),
        relay.as_deref(),
    ) {
        Ok(url) => {
            let mut r = Redirect::to(&url).into_response();
            r.headers_mut().append(header::SET_COOKIE, clear);
            r
        }
        Err(e) => {
            let mut r = fail(state, ctx, &e, Some(app), who_ref, Some(&req.id));
            r.headers_mut().append(header::SET_COOKIE, clear);
            r
        }
    }
}

fn signed_out_page(frames: &[String]) -> Response {
    let mut body = String::from("<h1>You signed out</h1><p>Your Sesame session has ended.</p>");
    if !frames.is_empty() {
        body.push_str("<p>Signing out of the applications of this session:</p>");
        for f in frames {
            body.push_str(&format!(
                "<iframe src=\"{}\" width=\"300\" height=\"60\" title=\"sign-out\" referrerpolicy=\"no-referrer\"></iframe>",
                esc(f)
            ));
        }
    }
    // The sign-out page frames the applications' Logout URLs (and nothing else); the
    // page answering their LogoutResponse is shown inside those frames, so it may be
    // framed by Sesame's own pages (and by no one else).
    let framed_by_self = frames.is_empty();
    html_with_csp(
        page("Signed out", &body),
        &csp(false, None, frames, framed_by_self),
        framed_by_self,
    )
}

/// `GET /{tenant}/signout`: IdP-initiated sign-out: LogoutRequests to the session's
/// applications with a Logout URL, then the session ends.
pub async fn signout(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    ip: ClientIp,
    headers: HeaderMap,
) -> Response {
    let ctx = Ctx::new(ip);
    let cache = state.cache().get();
    if let Err(e) = check_tenant(&cache, &tenant) {
        return fail(&state, &ctx, &e, None, None, None);
    }
    let mut frames = Vec::new();
    if let Some(value) = cookie(&headers, session::COOKIE).filter(|v| session::plausible_cookie(v))
    {
        let hash = session::hash_cookie(value);
        let t = now();
        if let Ok(list) = state.store().session_apps(&hash).await {
            for sa in list {
                if let Some(app) = cache.by_id(&sa.app_id) {
                    if let Some(u) = slo::logout_request_url(
                        t,
                        &cache.idp_issuer,
                        app,
                        &sa.name_id,
                        &sa.name_id_format,
                        &sa.session_index,
                    ) {
                        frames.push(u);
                    }
                }
            }
        }
        if let Err(e) = state.store().session_delete(&hash).await {
            return fail(&state, &ctx, &internal(e), None, None, None);
        }
        state.cache().hot().forget_session(&hash, &cache.memo);
    }
    let mut r = signed_out_page(&frames);
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, session::COOKIE, "", Some(0)),
    );
    r
}

/// `?mode=idp` of the launch URL.
#[derive(Debug, Deserialize)]
pub struct LaunchQuery {
    /// `idp` forces IdP-initiated SSO.
    pub mode: Option<String>,
}

/// `GET /{tenant}/apps/{app}/launch`: what a My Apps tile opens (Azure AD's rule).
pub async fn launch(
    State(state): State<AppState>,
    Path((tenant, app_id)): Path<(String, String)>,
    Query(q): Query<LaunchQuery>,
    ip: ClientIp,
    headers: HeaderMap,
) -> Response {
    let ctx = Ctx::new(ip);
    let cache = state.cache().get();
    if let Err(e) = check_tenant(&cache, &tenant) {
        return fail(&state, &ctx, &e, None, None, None);
    }
    let Some(app) = cache.by_id(&app_id).cloned() else {
        let e = SsoError::new(
            ErrorCode::AppNotFound,
            format!(
                "no application has the id {}",
                app_id.chars().take(64).collect::<String>()
            ),
        );
        return fail(&state, &ctx, &e, None, None, None);
    };
    let force_idp = q.mode.as_deref() == Some("idp");
    if let (Some(url), false) = (&app.sign_on_url, force_idp) {
        return Redirect::to(url).into_response();
    }
    match authn::idp_initiated(&app) {
        Ok(v) => proceed(&state, &cache, &ctx, &headers, &app, v).await,
        Err(e) => fail(&state, &ctx, &e, Some(&app), None, None),
    }
}

/// `?appid=` of the metadata URL.
#[derive(Debug, Deserialize)]
pub struct MetadataQuery {
    /// The application's id.
    pub appid: Option<String>,
}

/// `GET /{tenant}/federationmetadata/2007-06/federationmetadata.xml?appid=…`.
pub async fn federation_metadata(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Query(q): Query<MetadataQuery>,
    ip: ClientIp,
) -> Response {
    let ctx = Ctx::new(ip);
    let cache = state.cache().get();
    if let Err(e) = check_tenant(&cache, &tenant) {
        return error_page(&e, &ctx.corr);
    }
    let Some(xml) = q
        .appid
        .as_deref()
        .and_then(|id| cache.by_id(id))
        .and_then(|a| a.metadata_xml.clone())
    else {
        let e = SsoError::new(
            ErrorCode::AppNotFound,
            "the appid parameter names no application",
        );
        return error_page(&e, &ctx.corr);
    };
    let mut r = xml.to_string().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/samlmetadata+xml; charset=utf-8"),
    );
    r
}

/// SESAME700016: no application has `issuer` as its Identifier (shown cut to 200
/// characters: it comes from the request).
fn unknown_issuer(issuer: &str) -> SsoError {
    SsoError::new(
        ErrorCode::UnknownIssuer,
        format!(
            "no application has the Identifier \"{}\"",
            issuer.chars().take(200).collect::<String>()
        ),
    )
}
