//! The first step of a message: its XML parsed once, the application looked up by the
//! Issuer, the signature verified, an AuthnRequest validated and checked against the
//! replay cache; a LogoutRequest checked for its age and against the same replay cache.

use super::{internal, Failure, Flow};
use crate::sso::authn::{self, Rejection, SignatureInput, Validated};
use crate::sso::cache::AppCache;
use crate::sso::{assertion, now, ErrorCode, SsoApp, SsoError};
use sesame_saml::bindings::redirect::RedirectMessage;
use sesame_saml::crypto::SignatureAlgorithm;
use sesame_saml::messages::{AuthnRequest, LogoutRequest, LogoutResponse};
use sesame_saml::xml::{self, Limits};
use std::sync::Arc;

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
    /// An SP-initiated LogoutRequest, its signature, age and uniqueness checked.
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
    authn::check_relay_state(msg.relay_state)
        .map_err(|e| Failure::from(e).app(&app).request(Some(&req.id)))?;
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

/// Parses a message and checks what can be checked before it is kept for later (an
/// HTTP-POST message waits for its same-site GET): well-formed, a message the endpoint
/// takes, from an application's Identifier, its signature valid when it must be. Nothing
/// is written; [`Flow::begin`] checks it again in full when the browser comes back.
pub fn screen(cache: &AppCache, xml: &str) -> Result<(), Failure> {
    let msg = Message {
        xml,
        relay_state: None,
        redirect: None,
    };
    check(cache, &msg).map(|_| ())
}

impl Flow<'_> {
    /// Parses a message once and checks it; an AuthnRequest and a LogoutRequest also go
    /// through the replay cache. Errors that go back to the application come as
    /// [`Begun::Refused`].
    pub async fn begin(&self, msg: Message<'_>) -> Result<Begun, Failure> {
        let c = match check(self.cache, &msg)? {
            Checked::Authn(c) => c,
            Checked::Logout(app, request) => {
                self.check_logout_fresh(&request)
                    .await
                    .map_err(|e| Failure::from(e).app(&app).request(Some(&request.id)))?;
                return Ok(Begun::Logout {
                    app,
                    request: Box::new(request),
                });
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
        self.check_replay(&c.issuer, &c.request_id, c.replay_expiry)
            .await
            .map_err(fail)?;
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

    /// Records `request_id` of `issuer` in the replay cache until `expiry` (Unix
    /// seconds); SESAME900001 when it was already used.
    async fn check_replay(
        &self,
        issuer: &str,
        request_id: &str,
        expiry: i64,
    ) -> Result<(), SsoError> {
        let fresh = self
            .hot
            .replay_check_and_insert(self.store, issuer, request_id, expiry, now().unix_seconds())
            .await
            .map_err(internal)?;
        if fresh {
            Ok(())
        } else {
            Err(SsoError::new(
                ErrorCode::RequestReplayed,
                format!(
                    "the request ID \"{}\" was already used",
                    request_id.chars().take(100).collect::<String>()
                ),
            ))
        }
    }

    /// A LogoutRequest's IssueInstant within the allowed clock difference of now (as for
    /// AuthnRequests: SESAME76026), and its ID not seen before from its Issuer.
    async fn check_logout_fresh(&self, req: &LogoutRequest) -> Result<(), SsoError> {
        let t = now();
        let age = (t.unix_millis() - req.issue_instant.unix_millis()).abs() / 1000;
        if age > authn::MAX_CLOCK_DIFFERENCE_SECS {
            return Err(SsoError::new(
                ErrorCode::RequestExpired,
                format!(
                    "the request's IssueInstant {} is {age} seconds away from Sesame's clock ({})",
                    req.issue_instant.to_xs_datetime(),
                    t.to_xs_datetime()
                ),
            ));
        }
        let expiry = req.issue_instant.unix_seconds() + authn::MAX_CLOCK_DIFFERENCE_SECS + 1;
        self.check_replay(&req.issuer, &req.id, expiry).await
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
}
