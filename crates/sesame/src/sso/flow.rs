//! The sign-in use case, as functions of the store, the configuration snapshot and the
//! hot path's memory, without HTTP. The web layer decodes a message, calls these steps,
//! renders what they return and logs it:
//!
//! * [`Flow::begin`]: a decoded SAML message → its XML parsed once → the application
//!   looked up by the Issuer, the signature verified, the request validated
//!   ([`super::authn`]) → the replay cache. The result says what the message asks for
//!   ([`Begun`]).
//! * [`next`]: a validated sign-in is answered with the session, refused as NoPassive,
//!   or sent to the sign-in page.
//! * [`Flow::issue`]: a validated request and a session → the application re-read from
//!   the current configuration, the user, the grant (assignment, claim data), the
//!   claims and NameID, the SessionIndex, the signed Response, and what the session must
//!   record of it ([`Issuance`]); [`Flow::persist`] writes that record.
//!
//! Every failure is a [`Failure`]: the error and what the sign-in log row records with it
//! (the application, the user, the request ID).

use super::authn::{self, Rejection, SignatureInput, Validated};
use super::cache::AppCache;
use super::hot::{Grant, HotPath};
use super::{assertion, now, session, slo, ErrorCode, SsoApp, SsoError};
use crate::directory::User;
use crate::store::{SessionApp, SessionWithUser, Store};
use sesame_saml::bindings::redirect::RedirectMessage;
use sesame_saml::crypto::SignatureAlgorithm;
use sesame_saml::messages::{AuthnRequest, LogoutRequest, LogoutResponse, Status};
use sesame_saml::time::Timestamp;
use sesame_saml::xml::{self, Limits};
use std::sync::Arc;

/// The user a sign-in log row names: the object id when known, and the user name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Who {
    /// The user's object id (`None`: no such user).
    pub id: Option<String>,
    /// The user principal name (as typed, when there is no such user).
    pub upn: String,
}

impl Who {
    /// A known user.
    pub fn user(id: &str, upn: &str) -> Self {
        Who {
            id: Some(id.to_owned()),
            upn: upn.to_owned(),
        }
    }

    /// The user of a session.
    pub fn of(s: &SessionWithUser) -> Self {
        Who::user(&s.session.user_id, &s.upn)
    }
}

/// A step of the flow that failed: the error, and what the sign-in log row records with
/// it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{error}")]
pub struct Failure {
    /// What went wrong.
    pub error: SsoError,
    /// The application, when known.
    pub app: Option<Arc<SsoApp>>,
    /// The user, when known.
    pub user: Option<Who>,
    /// The request ID, when read.
    pub request_id: Option<String>,
}

impl From<SsoError> for Failure {
    fn from(error: SsoError) -> Self {
        Failure {
            error,
            app: None,
            user: None,
            request_id: None,
        }
    }
}

impl Failure {
    /// The failure of `app`.
    #[must_use]
    pub fn app(mut self, app: &Arc<SsoApp>) -> Self {
        self.app = Some(Arc::clone(app));
        self
    }

    /// The failure of `user`'s sign-in.
    #[must_use]
    pub fn user(mut self, user: Option<Who>) -> Self {
        self.user = user;
        self
    }

    /// The failure of the request with this ID.
    #[must_use]
    pub fn request(mut self, request_id: Option<&str>) -> Self {
        self.request_id = request_id.map(str::to_owned);
        self
    }
}

/// A failure outside the protocol: 503 when the database is out of reach, else 500.
fn internal<E: std::error::Error + 'static>(e: E) -> SsoError {
    SsoError::internal(&e)
}

/// The tenant of the path, checked against this installation's.
pub fn check_tenant(cache: &AppCache, tenant: &str) -> Result<(), SsoError> {
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

/// A SAML message as a binding decoded it.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// The message's XML.
    pub xml: &'a str,
    /// Its RelayState.
    pub relay_state: Option<&'a str>,
    /// The HTTP-Redirect query, for its signature (`None`: HTTP-POST, signed inside).
    pub redirect: Option<&'a RedirectMessage>,
}

/// What a checked message asks for.
#[derive(Debug)]
pub enum Begun {
    /// An AuthnRequest that passed every check: sign the user in.
    SignIn {
        /// The application.
        app: Arc<SsoApp>,
        /// The request.
        request: Box<Validated>,
    },
    /// An AuthnRequest refused with an error that goes back to the application as a
    /// SAML Response (to the registered Reply URL of `request`).
    Refused {
        /// The application.
        app: Arc<SsoApp>,
        /// Where and how to answer.
        request: Box<Validated>,
        /// Why.
        error: SsoError,
    },
    /// An SP-initiated LogoutRequest, its signature checked.
    Logout {
        /// The application.
        app: Arc<SsoApp>,
        /// The request.
        request: Box<LogoutRequest>,
    },
    /// A LogoutResponse from an application (after an IdP-initiated sign-out).
    LoggedOut,
}

/// What [`check_authn`] found: the app, and the validation outcome.
struct CheckedAuthn {
    app: Arc<SsoApp>,
    outcome: Result<Validated, Rejection>,
    issuer: String,
    request_id: String,
    replay_expiry: i64,
    sha1: bool,
}

/// What the synchronous part of [`Flow::begin`] found.
enum Checked {
    Authn(CheckedAuthn),
    Logout(Arc<SsoApp>, LogoutRequest),
    LoggedOut,
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

fn malformed(e: impl std::fmt::Display) -> SsoError {
    SsoError::new(ErrorCode::MalformedRequest, e.to_string())
}

/// Parses the message once and checks it, synchronously (the XML document never
/// crosses an await).
fn check(cache: &AppCache, msg: &Message<'_>) -> Result<Checked, Failure> {
    let doc = xml::parse(msg.xml, &Limits::MESSAGE).map_err(malformed)?;
    match doc.root_element().tag_name().name() {
        "AuthnRequest" => check_authn(cache, &doc, msg).map(Checked::Authn),
        "LogoutRequest" => check_logout(cache, &doc, msg).map(|(a, r)| Checked::Logout(a, r)),
        "LogoutResponse" => {
            check_logout_response(cache, &doc, msg)?;
            Ok(Checked::LoggedOut)
        }
        other => Err(SsoError::new(
            ErrorCode::MalformedRequest,
            format!(
                "a <{}> cannot be sent to the SSO endpoint",
                other.chars().take(64).collect::<String>()
            ),
        )
        .into()),
    }
}

fn signature_input<'a, 'd, 'i>(
    doc: &'d roxmltree::Document<'i>,
    msg: &Message<'a>,
) -> SignatureInput<'a, 'd, 'i> {
    match msg.redirect {
        Some(m) => SignatureInput::Redirect(m),
        None => SignatureInput::Post(doc),
    }
}

/// An AuthnRequest: look up the app, verify, validate.
fn check_authn(
    cache: &AppCache,
    doc: &roxmltree::Document<'_>,
    msg: &Message<'_>,
) -> Result<CheckedAuthn, Failure> {
    let req = AuthnRequest::from_element(doc.root_element()).map_err(malformed)?;
    let app = cache
        .by_identifier(&req.issuer)
        .cloned()
        .ok_or_else(|| Failure::from(unknown_issuer(&req.issuer)).request(Some(&req.id)))?;
    let sig = authn::check_signature(&app, &signature_input(doc, msg));
    let sha1 = matches!(sig, Ok(Some(SignatureAlgorithm::RsaSha1)));
    let outcome = authn::validate(now(), &cache.login_url, &app, &req, sig, msg.relay_state);
    Ok(CheckedAuthn {
        outcome,
        issuer: req.issuer.clone(),
        request_id: req.id.clone(),
        replay_expiry: authn::replay_expiry(&req),
        sha1,
        app,
    })
}

/// A LogoutRequest: look up the app, verify.
fn check_logout(
    cache: &AppCache,
    doc: &roxmltree::Document<'_>,
    msg: &Message<'_>,
) -> Result<(Arc<SsoApp>, LogoutRequest), Failure> {
    let req = LogoutRequest::from_element(doc.root_element()).map_err(malformed)?;
    let app = cache
        .by_identifier(&req.issuer)
        .cloned()
        .ok_or_else(|| unknown_issuer(&req.issuer))?;
    authn::check_signature(&app, &signature_input(doc, msg))
        .map_err(|e| Failure::from(e).app(&app))?;
    Ok((app, req))
}

/// A LogoutResponse from an application (after an IdP-initiated sign-out): its Issuer
/// must be an application's Identifier, and its signature is checked as for requests —
/// verified with the application's SP certificates when signed, refused when missing and
/// the application requires signed requests.
fn check_logout_response(
    cache: &AppCache,
    doc: &roxmltree::Document<'_>,
    msg: &Message<'_>,
) -> Result<(), SsoError> {
    let resp = LogoutResponse::from_element(doc.root_element()).map_err(malformed)?;
    let app = cache
        .by_identifier(&resp.issuer)
        .ok_or_else(|| unknown_issuer(&resp.issuer))?;
    authn::check_signature(app, &signature_input(doc, msg))?;
    Ok(())
}

/// What to do with a validated sign-in request.
#[derive(Debug)]
pub enum Next {
    /// Answer with this session.
    Issue(Box<SessionWithUser>),
    /// Refuse with NoPassive, back to the application.
    NoPassive(SsoError),
    /// Ask the user to sign in.
    SignIn,
}

/// What to do with `v`, given the browser's current session (looked up only when the
/// request does not force authentication).
pub fn next(v: &Validated, session: Option<SessionWithUser>) -> Next {
    if let (false, Some(s)) = (v.force_authn, session) {
        return Next::Issue(Box::new(s));
    }
    if v.is_passive {
        return Next::NoPassive(SsoError::new(
            ErrorCode::NoPassive,
            if v.force_authn {
                "the request asks for both ForceAuthn and IsPassive".to_owned()
            } else {
                "the user has no session and IsPassive forbids the sign-in page".to_owned()
            },
        ));
    }
    Next::SignIn
}

/// A Response issued for a signed-in user.
#[derive(Debug)]
pub struct Issuance {
    /// The application, as in the current configuration.
    pub app: Arc<SsoApp>,
    /// The user.
    pub user: Who,
    /// The signed Response XML.
    pub response: String,
    /// What the session must record of this application (for single logout), when it
    /// differs from what is known to be stored.
    pub record: Option<SessionApp>,
}

/// The sign-in use case over one configuration snapshot.
#[derive(Debug, Clone, Copy)]
pub struct Flow<'a> {
    store: &'a Store,
    hot: &'a HotPath,
    cache: &'a AppCache,
}

impl<'a> Flow<'a> {
    /// The flow over `cache`, reading and writing `store`, remembering in `hot`.
    pub fn new(store: &'a Store, hot: &'a HotPath, cache: &'a AppCache) -> Self {
        Flow { store, hot, cache }
    }

    /// The configuration snapshot.
    pub fn cache(&self) -> &'a AppCache {
        self.cache
    }

    /// Parses a message once and checks it; an AuthnRequest also goes through the replay
    /// cache. Errors that go back to the application come as [`Begun::Refused`].
    pub async fn begin(&self, msg: Message<'_>) -> Result<Begun, Failure> {
        let c = match check(self.cache, &msg)? {
            Checked::Authn(c) => c,
            Checked::Logout(app, request) => {
                return Ok(Begun::Logout {
                    app,
                    request: Box::new(request),
                })
            }
            Checked::LoggedOut => return Ok(Begun::LoggedOut),
        };
        if c.sha1 {
            tracing::warn!(app = %c.app.id, "AuthnRequest signed with RSA-SHA1 (accepted; require SHA-256 with `sesame app set APP --require-sha256 true`)");
        }
        let fail = |e: SsoError| Failure::from(e).app(&c.app).request(Some(&c.request_id));
        let (request, refused) = match c.outcome {
            Ok(v) => (Box::new(v), None),
            Err(Rejection {
                error,
                reply: Some(v),
            }) => (v, Some(error)),
            Err(Rejection { error, reply: None }) => return Err(fail(error)),
        };
        let fresh = self
            .hot
            .replay_check_and_insert(
                self.store,
                &c.issuer,
                &c.request_id,
                c.replay_expiry,
                now().unix_seconds(),
            )
            .await
            .map_err(|e| fail(internal(e)))?;
        if !fresh {
            return Err(fail(SsoError::new(
                ErrorCode::RequestReplayed,
                format!(
                    "the request ID \"{}\" was already used",
                    c.request_id.chars().take(100).collect::<String>()
                ),
            )));
        }
        Ok(match refused {
            None => Begun::SignIn {
                app: c.app,
                request,
            },
            Some(error) => Begun::Refused {
                app: c.app,
                request,
                error,
            },
        })
    }

    /// The SAML Response that carries `error` back to the application (`Err`: the error
    /// is not one that goes back, or the Response cannot be built).
    pub fn error_reply(
        &self,
        app: &SsoApp,
        v: &Validated,
        error: &SsoError,
    ) -> Result<String, SsoError> {
        let status = error.saml_status().ok_or_else(|| error.clone())?;
        assertion::error_response(now(), &self.cache.idp_issuer, app, v, status)
    }

    /// The user of a session, from the snapshot's memo or the store.
    async fn user(&self, user_id: &str) -> Result<Option<Arc<User>>, SsoError> {
        let memo = &self.cache.memo;
        if let Some(u) = memo.user(user_id) {
            return Ok(Some(u));
        }
        let Some(u) = self.store.user_by_id(user_id).await.map_err(internal)? else {
            return Ok(None);
        };
        let u = Arc::new(u);
        if u.enabled {
            memo.put_user(Arc::clone(&u));
        }
        Ok(Some(u))
    }

    /// The grant of (`app`, `user_id`), from the snapshot's memo or the store.
    async fn grant(&self, app: &SsoApp, user_id: &str) -> Result<Arc<Grant>, SsoError> {
        let memo = &self.cache.memo;
        if let Some(g) = memo.grant(&app.id, user_id) {
            return Ok(g);
        }
        let g = Arc::new(
            Grant::load(self.store, app, user_id)
                .await
                .map_err(internal)?,
        );
        // Only a grant is kept: a refusal is read again, so that an assignment is in
        // force at once (a removal, with the next snapshot).
        if g.allowed {
            memo.put_grant(&app.id, user_id, Arc::clone(&g));
        }
        Ok(g)
    }

    /// Issues the Response of `v` for the session `s`: re-reads the app from the current
    /// configuration, checks the user and the assignment, evaluates the claims and the
    /// NameID, and signs. Writes nothing: [`Flow::persist`] records the app in the
    /// session.
    pub async fn issue(&self, v: &Validated, s: &SessionWithUser) -> Result<Issuance, Failure> {
        let who = Some(Who::of(s));
        let fail = |e: SsoError, app: Option<&Arc<SsoApp>>| {
            let f = Failure::from(e)
                .user(who.clone())
                .request(v.request_id.as_deref());
            match app {
                Some(a) => f.app(a),
                None => f,
            }
        };
        let Some(app) = self.cache.by_id(&v.app_id).cloned() else {
            let e = SsoError::new(
                ErrorCode::AppNotFound,
                "the application was deleted during sign-in",
            );
            return Err(fail(e, None));
        };
        if !app.enabled {
            let e = SsoError::new(
                ErrorCode::AppDisabled,
                format!("application \"{}\" is disabled", app.name),
            );
            return Err(fail(e, Some(&app)));
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
            return Err(fail(e, Some(&app)));
        }
        // The user and what the app's assignment and claims need come from the
        // snapshot's memo (a change to any of them is a configuration change: `sso::hot`).
        let user = match self.user(&s.session.user_id).await {
            Ok(Some(u)) => u,
            Ok(None) => {
                let e = SsoError::new(ErrorCode::UserDisabled, "the user account no longer exists");
                return Err(fail(e, Some(&app)));
            }
            Err(e) => return Err(fail(e, Some(&app))),
        };
        if !user.enabled {
            let e = SsoError::new(
                ErrorCode::UserDisabled,
                format!("the account {} is disabled", user.upn),
            );
            return Err(fail(e, Some(&app)));
        }
        let grant = self
            .grant(&app, &user.id)
            .await
            .map_err(|e| fail(e, Some(&app)))?;
        if !grant.allowed {
            let e = SsoError::new(
                ErrorCode::NotAssigned,
                format!(
                    "{} is not assigned to application \"{}\"",
                    user.upn, app.name
                ),
            );
            return Err(fail(e, Some(&app)));
        }
        let public_url = self
            .cache
            .tenant
            .as_ref()
            .map_or("", |t| t.public_url.as_str());
        let claim_ctx = assertion::claim_context(&app, &user, &grant.data, public_url);
        // The SessionIndex is the same for every Response of this session to this app (on
        // every node), so the steady state of a session writes nothing: the session's
        // record of the app is written when it differs from what this node knows is
        // stored.
        let known = self.hot.session_app(&s.session.id_hash, &app.id);
        let session_index = session::session_index(&s.session.id_hash, &app.id);
        let issued = assertion::success(
            now(),
            &self.cache.idp_issuer,
            &app,
            v,
            &claim_ctx,
            Timestamp::from_unix_seconds(s.session.auth_time),
            &session_index,
        )
        .map_err(|e| fail(e, Some(&app)))?;
        let sa = SessionApp {
            app_id: app.id.clone(),
            name_id: issued.name_id,
            name_id_format: v.name_id_format.clone(),
            session_index: issued.session_index,
        };
        Ok(Issuance {
            record: (known.as_ref() != Some(&sa)).then_some(sa),
            response: issued.xml,
            user: Who::of(s),
            app,
        })
    }

    /// Writes what the session must record of an issued Response (nothing when it is
    /// already stored).
    pub async fn persist(&self, s: &SessionWithUser, issued: &Issuance) -> Result<(), Failure> {
        let Some(sa) = &issued.record else {
            return Ok(());
        };
        self.store
            .session_app_upsert(&s.session.id_hash, sa)
            .await
            .map_err(|e| {
                Failure::from(internal(e))
                    .app(&issued.app)
                    .user(Some(issued.user.clone()))
            })?;
        self.hot
            .recorded_session_app(&s.session.id_hash, sa.clone());
        Ok(())
    }

    /// Ends the session whose cookie hash is `id_hash`.
    pub async fn end_session(&self, id_hash: &str) -> Result<(), SsoError> {
        self.store.session_delete(id_hash).await.map_err(internal)?;
        self.hot.forget_session(id_hash, &self.cache.memo);
        Ok(())
    }

    /// Starts a session for `user`, authenticated by `method` at `now_s`; the browser's
    /// previous session (`old_cookie`) ends. Returns the new cookie value and the session.
    pub async fn start_session(
        &self,
        old_cookie: Option<&str>,
        user: &User,
        method: &str,
        now_s: i64,
    ) -> Result<(String, SessionWithUser), SsoError> {
        if let Some(old) = old_cookie.filter(|v| session::plausible_cookie(v)) {
            let old = session::hash_cookie(old);
            let _ = self.store.session_delete(&old).await;
            self.hot.forget_session(&old, &self.cache.memo);
        }
        let Some((value, hash)) = session::new_cookie() else {
            return Err(SsoError::new(
                ErrorCode::InternalError,
                "the system random generator failed",
            ));
        };
        let record = session::new_record(hash, &user.id, method, now_s);
        self.store.session_insert(&record).await.map_err(internal)?;
        Ok((
            value,
            SessionWithUser {
                session: record,
                upn: user.upn.clone(),
                user_enabled: true,
                sessions_valid_after: user.sessions_valid_after,
            },
        ))
    }

    /// The LogoutResponse URL answering the LogoutRequest `request_id` of `app`.
    pub fn logout_reply(
        &self,
        app: &SsoApp,
        request_id: &str,
        relay_state: Option<&str>,
    ) -> Result<String, SsoError> {
        slo::logout_response_url(
            now(),
            &self.cache.idp_issuer,
            app,
            request_id,
            Status::success(),
            relay_state,
        )
    }

    /// The LogoutRequest URLs to the applications the session `id_hash` signed in to
    /// that have a Logout URL (none when the store cannot say).
    pub async fn logout_requests(&self, id_hash: &str) -> Vec<String> {
        let t = now();
        let Ok(list) = self.store.session_apps(id_hash).await else {
            return Vec::new();
        };
        list.iter()
            .filter_map(|sa| {
                let app = self.cache.by_id(&sa.app_id)?;
                slo::logout_request_url(
                    t,
                    &self.cache.idp_issuer,
                    app,
                    &sa.name_id,
                    &sa.name_id_format,
                    &sa.session_index,
                )
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic
mod tests {
    use super::*;
    use crate::apps::claims::{AppClaims, UserClaimData};
    use crate::apps::ReplyUrl;
    use crate::sso::Signer;
    use sesame_saml::crypto::{Certificate, SigningKey};
    use sesame_saml::dsig::SignTarget;
    use sesame_saml::messages::{NAMEID_EMAIL, NAMEID_PERSISTENT};
    use std::collections::BTreeMap;

    const KEY: &str = include_str!("../../../saml/tests/fixtures/test-rsa-key.pem");
    const CERT: &str = include_str!("../../../saml/tests/fixtures/test-rsa-cert.pem");
    const LOGIN: &str = "https://idp.example/t/saml2";
    const ISSUER: &str = "https://idp.example/t/";
    const SP: &str = "https://sp.example";
    const ACS: &str = "https://sp.example/acs";

    fn app(enabled: bool) -> SsoApp {
        SsoApp {
            id: "app-1".into(),
            name: "Example".into(),
            enabled,
            assignment_required: true,
            identifiers: vec![SP.into()],
            reply_urls: vec![ReplyUrl {
                url: ACS.into(),
                index: None,
                is_default: true,
            }],
            sign_on_url: None,
            relay_state: None,
            logout_url: None,
            require_signed_requests: false,
            require_sha256: true,
            clock_skew_secs: 0,
            sp_certificates: Vec::new(),
            nameid_source: "user.userprincipalname".into(),
            nameid_format: NAMEID_EMAIL.into(),
            signer: Some(Arc::new(Signer {
                key: SigningKey::from_pem(KEY).unwrap(),
                cert: Certificate::from_pem(CERT).unwrap(),
                alg: SignatureAlgorithm::RsaSha256,
                target: SignTarget::Both,
            })),
            metadata_xml: None,
            claims: Arc::new(AppClaims::default()),
        }
    }

    fn user(enabled: bool) -> User {
        User {
            id: "user-1".into(),
            upn: "B.Simon@contoso.com".into(),
            display_name: "B. Simon".into(),
            given_name: "B".into(),
            surname: "Simon".into(),
            mail: "B.Simon@contoso.com".into(),
            department: String::new(),
            job_title: String::new(),
            employee_id: String::new(),
            company_name: String::new(),
            extension_attributes: BTreeMap::new(),
            enabled,
            sessions_valid_after: 0,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn session(user: &User) -> SessionWithUser {
        let t = now().unix_seconds();
        SessionWithUser {
            session: session::new_record("hash-1".into(), &user.id, session::METHOD_PASSWORD, t),
            upn: user.upn.clone(),
            user_enabled: user.enabled,
            sessions_valid_after: 0,
        }
    }

    /// An empty store in a temporary directory (removed on drop).
    struct TempStore {
        store: Store,
        dir: std::path::PathBuf,
    }

    impl Drop for TempStore {
        fn drop(&mut self) {
            std::fs::remove_dir_all(&self.dir).ok();
        }
    }

    async fn store() -> TempStore {
        let dir = std::env::temp_dir().join(format!("sesame-flow-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite:{}", dir.join("sesame.db").display());
        TempStore {
            store: Store::open(&url, 2).await.unwrap(),
            dir,
        }
    }

    fn request(id: &str) -> AuthnRequest {
        let mut r = AuthnRequest::new(id, now(), SP);
        r.destination = Some(LOGIN.into());
        r.acs_url = Some(ACS.into());
        r
    }

    #[tokio::test]
    async fn begin_checks_once_and_refuses_a_replay() {
        let db = store().await;
        let hot = HotPath::new(&db.store);
        let cache = AppCache::for_tests(vec![app(true)], ISSUER, LOGIN);
        let flow = Flow::new(&db.store, &hot, &cache);
        let xml = request("_r1").to_xml();
        let msg = Message {
            xml: &xml,
            relay_state: Some("state"),
            redirect: None,
        };
        let Begun::SignIn { app, request } = flow.begin(msg).await.unwrap() else {
            panic!("not a sign-in");
        };
        assert_eq!(app.id, "app-1");
        assert_eq!(request.acs_url, ACS);
        assert_eq!(request.request_id.as_deref(), Some("_r1"));
        assert_eq!(request.relay_state.as_deref(), Some("state"));
        let again = flow.begin(msg).await.unwrap_err();
        assert_eq!(again.error.code, ErrorCode::RequestReplayed);
        assert_eq!(again.request_id.as_deref(), Some("_r1"));
        assert_eq!(again.app.map(|a| a.id.clone()).as_deref(), Some("app-1"));
    }

    #[tokio::test]
    async fn begin_refusals_carry_what_the_log_needs() {
        let db = store().await;
        let hot = HotPath::new(&db.store);
        let cache = AppCache::for_tests(vec![app(true)], ISSUER, LOGIN);
        let flow = Flow::new(&db.store, &hot, &cache);
        fn msg(xml: &str) -> Message<'_> {
            Message {
                xml,
                relay_state: None,
                redirect: None,
            }
        }
        let e = flow.begin(msg("<nope")).await.unwrap_err();
        assert_eq!(e.error.code, ErrorCode::MalformedRequest);
        let mut other = request("_r2");
        other.issuer = "https://other.example".into();
        let other = other.to_xml();
        let e = flow.begin(msg(&other)).await.unwrap_err();
        assert_eq!(e.error.code, ErrorCode::UnknownIssuer);
        assert_eq!(e.request_id.as_deref(), Some("_r2"));
        assert!(e.app.is_none());
        // A NameID format the app does not send goes back to the app.
        let mut r = request("_r3");
        r.name_id_policy = Some(sesame_saml::messages::NameIdPolicy {
            format: Some("urn:example:format".into()),
            allow_create: None,
            sp_name_qualifier: None,
        });
        let r = r.to_xml();
        let Begun::Refused { error, request, .. } = flow.begin(msg(&r)).await.unwrap() else {
            panic!("not refused back to the app");
        };
        assert_eq!(error.code, ErrorCode::InvalidNameIdPolicy);
        let reply = flow.error_reply(&app(true), &request, &error).unwrap();
        assert!(reply.contains("InvalidNameIDPolicy"));
    }

    #[test]
    fn next_follows_force_authn_and_is_passive() {
        let u = user(true);
        let mut v = authn::idp_initiated(&app(true)).unwrap();
        assert!(matches!(next(&v, Some(session(&u))), Next::Issue(_)));
        assert!(matches!(next(&v, None), Next::SignIn));
        v.force_authn = true;
        assert!(matches!(next(&v, Some(session(&u))), Next::SignIn));
        v.is_passive = true;
        match next(&v, None) {
            Next::NoPassive(e) => assert_eq!(e.code, ErrorCode::NoPassive),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn issue_signs_for_a_granted_user_and_says_what_to_record() {
        let db = store().await;
        let hot = HotPath::new(&db.store);
        let cache = AppCache::for_tests(vec![app(true)], ISSUER, LOGIN);
        let u = user(true);
        cache.memo.put_user(Arc::new(u.clone()));
        cache.memo.put_grant(
            "app-1",
            &u.id,
            Arc::new(Grant {
                allowed: true,
                data: UserClaimData::default(),
            }),
        );
        let flow = Flow::new(&db.store, &hot, &cache);
        let mut v = authn::idp_initiated(&app(true)).unwrap();
        v.name_id_format = NAMEID_PERSISTENT.into();
        let s = session(&u);
        let issued = flow.issue(&v, &s).await.unwrap();
        assert_eq!(issued.user, Who::of(&s));
        assert!(issued.response.contains("SignatureValue"));
        let record = issued.record.as_ref().unwrap();
        assert_eq!(
            record.session_index,
            session::session_index("hash-1", "app-1")
        );
        assert_eq!(record.name_id_format, NAMEID_PERSISTENT);
        assert!(issued.response.contains(&record.name_id));
        // Once known to be stored, the same record is not written again.
        hot.recorded_session_app("hash-1", record.clone());
        assert!(flow.issue(&v, &s).await.unwrap().record.is_none());
    }

    #[tokio::test]
    async fn issue_refuses_with_the_app_and_the_user() {
        let db = store().await;
        let hot = HotPath::new(&db.store);
        let u = user(true);
        let s = session(&u);
        let v = authn::idp_initiated(&app(true)).unwrap();

        let disabled = AppCache::for_tests(vec![app(false)], ISSUER, LOGIN);
        let e = Flow::new(&db.store, &hot, &disabled)
            .issue(&v, &s)
            .await
            .unwrap_err();
        assert_eq!(e.error.code, ErrorCode::AppDisabled);
        assert_eq!(e.user, Some(Who::of(&s)));

        // The store has no such user.
        let cache = AppCache::for_tests(vec![app(true)], ISSUER, LOGIN);
        let flow = Flow::new(&db.store, &hot, &cache);
        let e = flow.issue(&v, &s).await.unwrap_err();
        assert_eq!(e.error.code, ErrorCode::UserDisabled);
        assert_eq!(e.app.map(|a| a.id.clone()).as_deref(), Some("app-1"));

        // Known and enabled, but not assigned.
        cache.memo.put_user(Arc::new(u.clone()));
        let e = flow.issue(&v, &s).await.unwrap_err();
        assert_eq!(e.error.code, ErrorCode::NotAssigned);
    }
}
