//! AuthnRequest validation: pure functions of `now`, the application's configuration and
//! the parsed request. The checks run in this order, the first failure wins:
//!
//! 1. the Issuer names an application (`SESAME700016`, done by the caller's lookup);
//! 2. the application is enabled (`SESAME7000112`);
//! 3. the signature, when the application requires one or one is present
//!    (`SESAME76021` missing, `SESAME50006` invalid; RSA-SHA1 accepted unless the
//!    application requires SHA-256);
//! 4. the RelayState, when present, is at most [`MAX_RELAY_STATE`] bytes (`SESAME900020`:
//!    an error page, since it could not be echoed back);
//! 5. IssueInstant within 5 minutes of `now` (`SESAME76026`);
//! 6. Destination, when present, is the Login URL (`SESAME75008`);
//! 7. the response binding is HTTP-POST (`SESAME900010`);
//! 8. the ACS URL or index resolves to a registered Reply URL, else the default one
//!    (`SESAME50011`) — from here on, errors can go back to the application;
//! 9. (the caller's replay cache: `SESAME900001`);
//! 10. NameIDPolicy format (`InvalidNameIDPolicy`);
//! 11. RequestedAuthnContext (`SESAME75011`, `NoAuthnContext`).
//!
//! An IdP-initiated launch takes no RelayState from the request: it sends the one the
//! administrator configured, which the application's configuration caps at the same size.
//!
//! Then the caller authenticates the user (`SESAME50057`, `50053`, `50126`) and checks the
//! assignment (`SESAME50105`).

use super::{ErrorCode, SsoApp, SsoError};
pub use crate::model::app::MAX_RELAY_STATE;
use serde::{Deserialize, Serialize};
use sesame_saml::bindings::redirect::RedirectMessage;
use sesame_saml::bindings::BINDING_HTTP_POST;
use sesame_saml::crypto::SignatureAlgorithm;
use sesame_saml::dsig::{self, VerifyPolicy};
use sesame_saml::messages::{
    AuthnRequest, Comparison, AC_PASSWORD, AC_PASSWORD_PROTECTED_TRANSPORT, AC_UNSPECIFIED,
    NAMEID_EMAIL, NAMEID_PERSISTENT, NAMEID_TRANSIENT, NAMEID_UNSPECIFIED,
};
use sesame_saml::time::Timestamp;

/// How far IssueInstant may be from Sesame's clock, seconds.
pub const MAX_CLOCK_DIFFERENCE_SECS: i64 = 300;

/// A request that passed validation: everything the rest of the flow needs, and what a
/// pending sign-in keeps (serialised) while the user types the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validated {
    /// The application's id.
    pub app_id: String,
    /// The Identifier the request used (the Audience).
    pub audience: String,
    /// The Reply URL the response goes to.
    pub acs_url: String,
    /// The AuthnRequest ID (`None`: IdP-initiated).
    pub request_id: Option<String>,
    /// RelayState to return.
    pub relay_state: Option<String>,
    /// ForceAuthn: ask for the password even with a session.
    pub force_authn: bool,
    /// IsPassive: never show a page.
    pub is_passive: bool,
    /// The NameID format to send.
    pub name_id_format: String,
    /// The AuthnContextClassRef to send after a password sign-in.
    pub authn_class: String,
    /// The classes of the request's RequestedAuthnContext (empty: none requested).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requested_classes: Vec<String>,
    /// Their comparison (`exact`, `minimum`, `better`, `maximum`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comparison: String,
}

/// A refused request. `reply` is set when the error goes back to the application as a
/// SAML Response (its Reply URL was resolved to a registered one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// What was wrong.
    pub error: SsoError,
    /// Where and how to answer, for errors that go back to the application.
    pub reply: Option<Box<Validated>>,
}

impl From<SsoError> for Rejection {
    fn from(error: SsoError) -> Self {
        Rejection { error, reply: None }
    }
}

/// The request's signature as received.
pub enum SignatureInput<'a, 'd, 'i> {
    /// HTTP-Redirect: the query signature.
    Redirect(&'a RedirectMessage),
    /// HTTP-POST: the enveloped signature of the document's root.
    Post(&'d roxmltree::Document<'i>),
}

/// Checks the request signature as the application requires. Returns the algorithm of a
/// verified signature (`None` when unsigned and not required).
pub fn check_signature(
    app: &SsoApp,
    input: &SignatureInput<'_, '_, '_>,
) -> Result<Option<SignatureAlgorithm>, SsoError> {
    let signed = match input {
        SignatureInput::Redirect(m) => m.is_signed(),
        SignatureInput::Post(doc) => doc
            .root_element()
            .children()
            .any(|n| n.is_element() && n.tag_name().name() == "Signature"),
    };
    if !signed {
        if app.require_signed_requests {
            return Err(SsoError::new(
                ErrorCode::SignatureRequired,
                format!(
                    "application \"{}\" requires signed requests, and this one has no signature",
                    app.name
                ),
            ));
        }
        return Ok(None);
    }
    if app.sp_certificates.is_empty() {
        return Err(SsoError::new(
            ErrorCode::InvalidSignature,
            format!(
                "the request is signed, but application \"{}\" has no SP certificate registered to verify it",
                app.name
            ),
        ));
    }
    let policy = VerifyPolicy {
        allow_sha1: !app.require_sha256,
    };
    match input {
        SignatureInput::Redirect(m) => m
            .verify_signature(&app.sp_certificates, &policy)
            .map(Some)
            .map_err(|e| SsoError::new(ErrorCode::InvalidSignature, e.to_string())),
        SignatureInput::Post(doc) => {
            let root = doc.root_element();
            dsig::verify_element(doc, root, &app.sp_certificates, &policy)
                .map_err(|e| SsoError::new(ErrorCode::InvalidSignature, e.to_string()))?;
            // The algorithm, for the SHA-1 warning: read from the verified signature.
            let alg = root
                .descendants()
                .find(|n| n.tag_name().name() == "SignatureMethod")
                .and_then(|n| n.attribute("Algorithm"))
                .and_then(|u| SignatureAlgorithm::from_uri(u).ok());
            Ok(alg.or(Some(SignatureAlgorithm::RsaSha256)))
        }
    }
}

/// Splits `scheme://authority` from the rest of a URL (path, query), lowercasing the
/// scheme and authority. `None` when it is not an absolute URL.
fn url_parts(u: &str) -> Option<(String, &str)> {
    let (scheme, rest) = u.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    Some((
        format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            authority.to_ascii_lowercase()
        ),
        tail,
    ))
}

/// Whether two URLs are the same Reply URL: scheme and host case-insensitively,
/// everything else byte for byte (no trailing-slash or query normalisation).
pub fn same_url(registered: &str, candidate: &str) -> bool {
    match (url_parts(registered), url_parts(candidate)) {
        (Some((a, ta)), Some((b, tb))) => a == b && ta == tb,
        _ => registered == candidate,
    }
}

/// The Reply URL for this request: the ACS URL (when registered), the ACS index, or the
/// default.
pub fn resolve_acs(app: &SsoApp, req: &AuthnRequest) -> Result<String, SsoError> {
    if let Some(url) = &req.acs_url {
        return if app.reply_urls.iter().any(|r| same_url(&r.url, url)) {
            Ok(url.clone())
        } else {
            Err(SsoError::new(
                ErrorCode::ReplyUrlNotRegistered,
                format!(
                    "the AssertionConsumerServiceURL \"{}\" is not a Reply URL of application \"{}\"",
                    shorten(url),
                    app.name
                ),
            ))
        };
    }
    if let Some(i) = req.acs_index {
        return app
            .reply_urls
            .iter()
            .find(|r| r.index == Some(i))
            .map(|r| r.url.clone())
            .ok_or_else(|| {
                SsoError::new(
                    ErrorCode::ReplyUrlNotRegistered,
                    format!(
                        "the AssertionConsumerServiceIndex {i} is not the index of a Reply URL of application \"{}\"",
                        app.name
                    ),
                )
            });
    }
    app.default_reply_url().map(str::to_owned).ok_or_else(|| {
        SsoError::new(
            ErrorCode::ReplyUrlNotRegistered,
            format!("application \"{}\" has no Reply URL", app.name),
        )
    })
}

/// The NameID format to send for a NameIDPolicy format (absent: the app's format).
pub fn resolve_name_id_format(app: &SsoApp, requested: Option<&str>) -> Result<String, SsoError> {
    match requested {
        None | Some("") | Some(NAMEID_UNSPECIFIED) => Ok(app.nameid_format.clone()),
        Some(f) if f == app.nameid_format => Ok(app.nameid_format.clone()),
        // Persistent: the user's object id; transient: a fresh value per sign-in.
        Some(f @ (NAMEID_PERSISTENT | NAMEID_TRANSIENT)) => Ok(f.to_owned()),
        Some(f) => Err(SsoError::new(
            ErrorCode::InvalidNameIdPolicy,
            format!(
                "the request asks for NameID format \"{}\"; application \"{}\" sends {}",
                shorten(f),
                app.name,
                app.nameid_format
            ),
        )),
    }
}

/// The REFEDS MFA profile: any two factors.
pub const AC_REFEDS_MFA: &str = "https://refeds.org/profile/mfa";
/// X509: a public-key proof (a passkey or security key), never a password and a code.
pub const AC_X509: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:X509";

/// What a sign-in did, as the AuthnContext table of docs/mfa.md ranks it: 1 a password
/// (over https), 2 two factors, 3 a passkey.
pub type Level = u8;
/// The highest level a sign-in can reach: 3, a passkey (recorded in the session as
/// `passkey`, whether it signed in on the sign-in page or answered the second step). A
/// request that needs level 3 from a session below it is stepped up to a passkey
/// (`web::flow`), or answered NoAuthnContext when the user has none.
pub const MAX_LEVEL: Level = 3;

/// The rank of a class in the table (`None`: a class Sesame never claims or compares).
fn class_rank(c: &str) -> Option<u8> {
    match c {
        AC_UNSPECIFIED => Some(0),
        AC_PASSWORD => Some(1),
        AC_PASSWORD_PROTECTED_TRANSPORT => Some(2),
        AC_REFEDS_MFA => Some(3),
        AC_X509 => Some(4),
        _ => None,
    }
}

/// The classes a sign-in of `level` can claim, weakest first.
fn claimable(level: Level) -> Vec<&'static str> {
    let mut out = vec![AC_PASSWORD_PROTECTED_TRANSPORT];
    if level >= 2 {
        out.push(AC_REFEDS_MFA);
    }
    if level >= 3 {
        out.push(AC_X509);
    }
    out
}

/// The AuthnContextClassRef a sign-in of `level` answers with: without a request, the
/// table's class for it; with one, the strongest requested class (by its comparison) the
/// sign-in satisfies; `None` when it satisfies none.
pub fn answer_class(comparison: &str, classes: &[String], level: Level) -> Option<String> {
    let can = claimable(level);
    if classes.is_empty() {
        return can.last().map(|c| (*c).to_owned());
    }
    let ranks = || classes.iter().filter_map(|c| class_rank(c));
    let rank_of = |c: &&str| class_rank(c).unwrap_or(0);
    match comparison {
        "minimum" => {
            let r = ranks().min()?;
            can.iter()
                .copied()
                .filter(|c| rank_of(c) >= r)
                .max_by_key(rank_of)
        }
        "better" => {
            let r = ranks().min()?;
            can.iter()
                .copied()
                .filter(|c| rank_of(c) > r)
                .max_by_key(rank_of)
        }
        "maximum" => {
            // unspecified, or a class the table does not rank, bounds nothing.
            let r = classes
                .iter()
                .map(|c| match class_rank(c) {
                    Some(0) | None => u8::MAX,
                    Some(r) => r,
                })
                .max()?;
            can.iter()
                .copied()
                .filter(|c| rank_of(c) <= r)
                .max_by_key(rank_of)
        }
        _ => {
            // exact: a requested class the sign-in can claim (unspecified: the password's).
            let mut best: Option<&str> = None;
            for c in classes {
                let claim = if c == AC_UNSPECIFIED {
                    Some(AC_UNSPECIFIED)
                } else {
                    can.iter().find(|k| *k == c).copied()
                };
                if let Some(k) = claim {
                    if best.is_none_or(|b| class_rank(k) > class_rank(b)) {
                        best = Some(k);
                    }
                }
            }
            return best.map(str::to_owned);
        }
    }
    .map(|c| (*c).to_owned())
}

/// The level a validated request needs: the lowest at which its RequestedAuthnContext is
/// satisfied (1 without one).
pub fn required_level(v: &Validated) -> Level {
    (1..=MAX_LEVEL)
        .find(|l| answer_class(&v.comparison, &v.requested_classes, *l).is_some())
        .unwrap_or(1)
}

/// The AuthnContextClassRef a password sign-in answers a RequestedAuthnContext with.
pub fn resolve_authn_class(
    req: Option<&sesame_saml::messages::RequestedAuthnContext>,
) -> Result<String, SsoError> {
    let Some(r) = req else {
        return Ok(AC_PASSWORD_PROTECTED_TRANSPORT.to_owned());
    };
    let ok = |c: &str| c == AC_PASSWORD_PROTECTED_TRANSPORT || c == AC_UNSPECIFIED;
    let found = match r.comparison {
        Comparison::Exact => r.class_refs.iter().find(|c| ok(c)).cloned(),
        // PasswordProtectedTransport is at least as strong as Password and unspecified.
        Comparison::Minimum => r
            .class_refs
            .iter()
            .any(|c| ok(c) || c == AC_PASSWORD)
            .then(|| AC_PASSWORD_PROTECTED_TRANSPORT.to_owned()),
        Comparison::Better => r
            .class_refs
            .iter()
            .any(|c| c == AC_PASSWORD || c == AC_UNSPECIFIED)
            .then(|| AC_PASSWORD_PROTECTED_TRANSPORT.to_owned()),
        Comparison::Maximum => r
            .class_refs
            .iter()
            .any(|c| c != AC_PASSWORD)
            .then(|| AC_PASSWORD_PROTECTED_TRANSPORT.to_owned()),
    };
    found.ok_or_else(|| {
        SsoError::new(
            ErrorCode::AuthnContextUnsatisfied,
            format!(
                "the request asks for {} ({}); Sesame satisfies PasswordProtectedTransport and unspecified after a password, https://refeds.org/profile/mfa after a second factor, and X509 after a passkey",
                r.class_refs.join(", "),
                r.comparison.as_str()
            ),
        )
    })
}

/// Refuses (SESAME900020) a RelayState longer than [`MAX_RELAY_STATE`] bytes, with an
/// AuthnRequest or a LogoutRequest alike.
pub fn check_relay_state(relay_state: Option<&str>) -> Result<(), SsoError> {
    match relay_state.filter(|rs| rs.len() > MAX_RELAY_STATE) {
        Some(rs) => Err(SsoError::new(
            ErrorCode::RelayStateTooLong,
            format!(
                "the request's RelayState is {} bytes long; at most {MAX_RELAY_STATE} bytes are accepted",
                rs.len()
            ),
        )),
        None => Ok(()),
    }
}

/// Validates a parsed AuthnRequest for `app` (already looked up by its Issuer), given the
/// result of [`check_signature`]. See the module documentation for the order of checks.
pub fn validate(
    now: Timestamp,
    login_url: &str,
    app: &SsoApp,
    req: &AuthnRequest,
    signature: Result<Option<SignatureAlgorithm>, SsoError>,
    relay_state: Option<&str>,
) -> Result<Validated, Rejection> {
    if !app.enabled {
        return Err(SsoError::new(
            ErrorCode::AppDisabled,
            format!("application \"{}\" is disabled", app.name),
        )
        .into());
    }
    check_configured(app)?;
    signature?;
    check_relay_state(relay_state)?;
    let age = (now.unix_millis() - req.issue_instant.unix_millis()).abs() / 1000;
    if age > MAX_CLOCK_DIFFERENCE_SECS {
        return Err(SsoError::new(
            ErrorCode::RequestExpired,
            format!(
                "the request's IssueInstant {} is {age} seconds away from Sesame's clock ({})",
                req.issue_instant.to_xs_datetime(),
                now.to_xs_datetime()
            ),
        )
        .into());
    }
    if let Some(d) = &req.destination {
        if !same_url(login_url, d) {
            return Err(SsoError::new(
                ErrorCode::DestinationMismatch,
                format!(
                    "the request's Destination is \"{}\", not the Login URL {login_url}",
                    shorten(d)
                ),
            )
            .into());
        }
    }
    if let Some(b) = &req.protocol_binding {
        if b != BINDING_HTTP_POST {
            return Err(SsoError::new(
                ErrorCode::UnsupportedBinding,
                format!("the request asks for the response by {}", shorten(b)),
            )
            .into());
        }
    }
    let acs_url = resolve_acs(app, req)?;
    let mut v = Validated {
        app_id: app.id.clone(),
        audience: req.issuer.clone(),
        acs_url,
        request_id: Some(req.id.clone()),
        relay_state: relay_state.map(str::to_owned),
        force_authn: req.force_authn,
        is_passive: req.is_passive,
        name_id_format: app.nameid_format.clone(),
        authn_class: AC_PASSWORD_PROTECTED_TRANSPORT.to_owned(),
        requested_classes: req
            .requested_authn_context
            .as_ref()
            .map(|r| r.class_refs.clone())
            .unwrap_or_default(),
        comparison: req
            .requested_authn_context
            .as_ref()
            .map(|r| r.comparison.as_str().to_owned())
            .unwrap_or_default(),
    };
    let requested = req
        .name_id_policy
        .as_ref()
        .and_then(|p| p.format.as_deref());
    match resolve_name_id_format(app, requested) {
        Ok(f) => v.name_id_format = f,
        Err(error) => {
            return Err(Rejection {
                error,
                reply: Some(Box::new(v)),
            })
        }
    }
    let stronger = (2..=MAX_LEVEL)
        .find_map(|l| answer_class(&v.comparison, &v.requested_classes, l))
        .map(Ok);
    match resolve_authn_class(req.requested_authn_context.as_ref())
        .or_else(|e| stronger.unwrap_or(Err(e)))
    {
        Ok(c) => v.authn_class = c,
        Err(error) => {
            return Err(Rejection {
                error,
                reply: Some(Box::new(v)),
            })
        }
    }
    Ok(v)
}

/// Until when the replay cache keeps a request ID: past this, the request is refused as
/// too old anyway.
pub fn replay_expiry(req: &AuthnRequest) -> i64 {
    req.issue_instant.unix_seconds() + MAX_CLOCK_DIFFERENCE_SECS + 1
}

/// Refuses an app whose Basic SAML Configuration lacks an Identifier, a Reply URL or a
/// value its gallery template requires ("SAML not configured"): nothing is signed in to
/// it or sent to it.
pub fn check_configured(app: &SsoApp) -> Result<(), SsoError> {
    let mut lacking: Vec<&str> = app.missing.clone();
    if app.identifiers.is_empty() && !lacking.contains(&crate::model::app::field::IDENTIFIER) {
        lacking.push(crate::model::app::field::IDENTIFIER);
    }
    if app.reply_urls.is_empty() && !lacking.contains(&crate::model::app::field::REPLY_URL) {
        lacking.push(crate::model::app::field::REPLY_URL);
    }
    if lacking.is_empty() {
        return Ok(());
    }
    Err(SsoError::new(
        ErrorCode::SamlNotConfigured,
        format!(
            "application \"{}\" is not configured for SAML yet: its Basic SAML Configuration lacks {}",
            app.name,
            lacking.join(", ")
        ),
    ))
}

/// What an IdP-initiated sign-in sends: the default Identifier as Audience, the default
/// Reply URL, the configured Relay State.
pub fn idp_initiated(app: &SsoApp) -> Result<Validated, SsoError> {
    if !app.enabled {
        return Err(SsoError::new(
            ErrorCode::AppDisabled,
            format!("application \"{}\" is disabled", app.name),
        ));
    }
    check_configured(app)?;
    let audience = app.default_identifier().ok_or_else(|| {
        SsoError::new(
            ErrorCode::UnknownIssuer,
            format!("application \"{}\" has no Identifier", app.name),
        )
    })?;
    let acs = app.default_reply_url().ok_or_else(|| {
        SsoError::new(
            ErrorCode::ReplyUrlNotRegistered,
            format!("application \"{}\" has no Reply URL", app.name),
        )
    })?;
    Ok(Validated {
        app_id: app.id.clone(),
        audience: audience.to_owned(),
        acs_url: acs.to_owned(),
        request_id: None,
        relay_state: app.relay_state.clone().filter(|s| !s.is_empty()),
        force_authn: false,
        is_passive: false,
        name_id_format: app.nameid_format.clone(),
        authn_class: AC_PASSWORD_PROTECTED_TRANSPORT.to_owned(),
        requested_classes: Vec::new(),
        comparison: String::new(),
    })
}

/// Whether `format` is the default email format (for callers that special-case it).
pub fn is_email_format(format: &str) -> bool {
    format == NAMEID_EMAIL
}

/// At most 200 bytes of a value from the request, for error messages.
fn shorten(s: &str) -> String {
    sesame_saml::error::shorten(s, 200)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;
    use crate::model::ReplyUrl;
    use sesame_saml::messages::{NameIdPolicy, RequestedAuthnContext};

    const LOGIN: &str = "https://idp.example/t/saml2";

    fn app() -> SsoApp {
        SsoApp {
            id: "a1".into(),
            name: "App".into(),
            enabled: true,
            assignment_required: true,
            missing: Vec::new(),
            identifiers: vec!["https://sp.example".into()],
            reply_urls: vec![
                ReplyUrl {
                    url: "https://sp.example/acs".into(),
                    index: Some(1),
                    is_default: true,
                },
                ReplyUrl {
                    url: "https://sp.example/acs2?x=1".into(),
                    index: Some(2),
                    is_default: false,
                },
            ],
            sign_on_url: None,
            relay_state: None,
            logout_url: None,
            require_signed_requests: false,
            require_sha256: false,
            clock_skew_secs: 60,
            sp_certificates: vec![],
            nameid_source: "user.userprincipalname".into(),
            nameid_format: NAMEID_EMAIL.into(),
            signer: None,
            metadata_xml: None,
            claims: Default::default(),
        }
    }

    fn now() -> Timestamp {
        Timestamp::from_unix_seconds(1_800_000_000)
    }

    fn req() -> AuthnRequest {
        let mut r = AuthnRequest::new("_r1", now(), "https://sp.example");
        r.destination = Some(LOGIN.into());
        r
    }

    fn code(r: Result<Validated, Rejection>) -> ErrorCode {
        r.unwrap_err().error.code
    }

    #[test]
    fn accepts_a_plain_request_with_default_acs() {
        let v = validate(now(), LOGIN, &app(), &req(), Ok(None), Some("rs")).unwrap();
        assert_eq!(v.acs_url, "https://sp.example/acs");
        assert_eq!(v.audience, "https://sp.example");
        assert_eq!(v.request_id.as_deref(), Some("_r1"));
        assert_eq!(v.relay_state.as_deref(), Some("rs"));
        assert_eq!(v.name_id_format, NAMEID_EMAIL);
        assert_eq!(v.authn_class, AC_PASSWORD_PROTECTED_TRANSPORT);
    }

    #[test]
    fn relay_state_is_capped_at_2_kib_with_an_error_page() {
        let at_limit = "r".repeat(MAX_RELAY_STATE);
        let v = validate(now(), LOGIN, &app(), &req(), Ok(None), Some(&at_limit)).unwrap();
        assert_eq!(v.relay_state.as_deref(), Some(at_limit.as_str()));
        let over = "r".repeat(MAX_RELAY_STATE + 1);
        let e = validate(now(), LOGIN, &app(), &req(), Ok(None), Some(&over)).unwrap_err();
        assert_eq!(e.error.code, ErrorCode::RelayStateTooLong);
        assert_eq!(e.error.code.code(), "SESAME900020");
        assert!(e.error.detail.contains("2049 bytes"), "{}", e.error.detail);
        // Never sent back to the application: the RelayState could not be echoed.
        assert!(e.reply.is_none());
    }

    #[test]
    fn acs_matching_is_exact_but_scheme_host_insensitive() {
        let mut r = req();
        r.acs_url = Some("HTTPS://SP.example/acs".into());
        assert!(validate(now(), LOGIN, &app(), &r, Ok(None), None).is_ok());
        for bad in [
            "https://sp.example/acs/",
            "https://sp.example/ACS",
            "https://sp.example/acs2?x=2",
            "https://evil.example/acs",
        ] {
            r.acs_url = Some(bad.into());
            assert_eq!(
                code(validate(now(), LOGIN, &app(), &r, Ok(None), None)),
                ErrorCode::ReplyUrlNotRegistered,
                "{bad}"
            );
        }
        let mut r = req();
        r.acs_index = Some(2);
        let v = validate(now(), LOGIN, &app(), &r, Ok(None), None).unwrap();
        assert_eq!(v.acs_url, "https://sp.example/acs2?x=1");
        r.acs_index = Some(9);
        assert_eq!(
            code(validate(now(), LOGIN, &app(), &r, Ok(None), None)),
            ErrorCode::ReplyUrlNotRegistered
        );
        // An app without any Reply URL is "SAML not configured": refused as such.
        let mut a = app();
        a.reply_urls.clear();
        assert_eq!(
            code(validate(now(), LOGIN, &a, &req(), Ok(None), None)),
            ErrorCode::SamlNotConfigured
        );
        assert_eq!(
            idp_initiated(&a).unwrap_err().code,
            ErrorCode::SamlNotConfigured
        );
        let mut a = app();
        a.identifiers.clear();
        assert_eq!(
            idp_initiated(&a).unwrap_err().code,
            ErrorCode::SamlNotConfigured
        );
        // Settings the caller knows are missing (a gallery template's) refuse it too.
        let mut lacking = app();
        lacking.missing = vec!["Sign on URL"];
        let e = check_configured(&lacking).unwrap_err();
        assert_eq!(e.code, ErrorCode::SamlNotConfigured);
        assert!(e.detail.contains("lacks Sign on URL"), "{}", e.detail);
        assert!(check_configured(&app()).is_ok());
    }

    #[test]
    fn order_and_codes() {
        let mut a = app();
        a.enabled = false;
        assert_eq!(
            code(validate(now(), LOGIN, &a, &req(), Ok(None), None)),
            ErrorCode::AppDisabled
        );
        let sig_err = Err(SsoError::new(ErrorCode::InvalidSignature, "x"));
        assert_eq!(
            code(validate(now(), LOGIN, &app(), &req(), sig_err, None)),
            ErrorCode::InvalidSignature
        );
        let mut r = req();
        r.issue_instant = now().plus_seconds(-301);
        assert_eq!(
            code(validate(now(), LOGIN, &app(), &r, Ok(None), None)),
            ErrorCode::RequestExpired
        );
        r.issue_instant = now().plus_seconds(301);
        assert_eq!(
            code(validate(now(), LOGIN, &app(), &r, Ok(None), None)),
            ErrorCode::RequestExpired
        );
        r.issue_instant = now().plus_seconds(-299);
        assert!(validate(now(), LOGIN, &app(), &r, Ok(None), None).is_ok());
        let mut r = req();
        r.destination = Some("https://idp.example/other/saml2".into());
        assert_eq!(
            code(validate(now(), LOGIN, &app(), &r, Ok(None), None)),
            ErrorCode::DestinationMismatch
        );
        let mut r = req();
        r.protocol_binding = Some("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact".into());
        assert_eq!(
            code(validate(now(), LOGIN, &app(), &r, Ok(None), None)),
            ErrorCode::UnsupportedBinding
        );
    }

    #[test]
    fn nameid_policy_and_authn_context_go_back_to_the_sp() {
        let mut r = req();
        r.name_id_policy = Some(NameIdPolicy {
            format: Some("urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName".into()),
            allow_create: None,
            sp_name_qualifier: None,
        });
        let rej = validate(now(), LOGIN, &app(), &r, Ok(None), None).unwrap_err();
        assert_eq!(rej.error.code, ErrorCode::InvalidNameIdPolicy);
        assert_eq!(rej.reply.unwrap().acs_url, "https://sp.example/acs");
        let mut r = req();
        r.name_id_policy = Some(NameIdPolicy {
            format: Some(NAMEID_PERSISTENT.into()),
            allow_create: Some(true),
            sp_name_qualifier: None,
        });
        let v = validate(now(), LOGIN, &app(), &r, Ok(None), None).unwrap();
        assert_eq!(v.name_id_format, NAMEID_PERSISTENT);

        // X509 is reachable (by a passkey): the request passes, and needs level 3.
        let mut r = req();
        r.requested_authn_context = Some(RequestedAuthnContext {
            comparison: Comparison::Exact,
            class_refs: vec![AC_X509.into()],
        });
        let v = validate(now(), LOGIN, &app(), &r, Ok(None), None).unwrap();
        assert_eq!(v.authn_class, AC_X509);
        assert_eq!(required_level(&v), 3);
        // A class no sign-in reaches goes back to the application.
        r.requested_authn_context = Some(RequestedAuthnContext {
            comparison: Comparison::Exact,
            class_refs: vec!["urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard".into()],
        });
        let rej = validate(now(), LOGIN, &app(), &r, Ok(None), None).unwrap_err();
        assert_eq!(rej.error.code, ErrorCode::AuthnContextUnsatisfied);
        assert!(rej.reply.is_some());
        // PasswordProtectedTransport;X509 (Webex): the password's class, up to X509.
        r.requested_authn_context = Some(RequestedAuthnContext {
            comparison: Comparison::Exact,
            class_refs: vec![AC_PASSWORD_PROTECTED_TRANSPORT.into(), AC_X509.into()],
        });
        let v = validate(now(), LOGIN, &app(), &r, Ok(None), None).unwrap();
        assert_eq!(v.authn_class, AC_PASSWORD_PROTECTED_TRANSPORT);
        assert_eq!(required_level(&v), 1);
        r.requested_authn_context = Some(RequestedAuthnContext {
            comparison: Comparison::Exact,
            class_refs: vec![AC_UNSPECIFIED.into()],
        });
        let v = validate(now(), LOGIN, &app(), &r, Ok(None), None).unwrap();
        assert_eq!(v.authn_class, AC_UNSPECIFIED);
        r.requested_authn_context = Some(RequestedAuthnContext {
            comparison: Comparison::Minimum,
            class_refs: vec![AC_PASSWORD.into()],
        });
        assert!(validate(now(), LOGIN, &app(), &r, Ok(None), None).is_ok());
    }

    #[test]
    fn signature_required_and_unverifiable() {
        let mut a = app();
        a.require_signed_requests = true;
        let xml = req().to_xml();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        assert_eq!(
            check_signature(&a, &SignatureInput::Post(&doc))
                .unwrap_err()
                .code,
            ErrorCode::SignatureRequired
        );
        a.require_signed_requests = false;
        assert_eq!(
            check_signature(&a, &SignatureInput::Post(&doc)).unwrap(),
            None
        );
    }

    #[test]
    fn idp_initiated_uses_defaults() {
        let mut a = app();
        a.relay_state = Some("https://sp.example/home".into());
        let v = idp_initiated(&a).unwrap();
        assert_eq!(v.request_id, None);
        assert_eq!(v.acs_url, "https://sp.example/acs");
        assert_eq!(v.audience, "https://sp.example");
        assert_eq!(v.relay_state.as_deref(), Some("https://sp.example/home"));
    }

    /// The AuthnContext table: the strongest requested class the sign-in satisfies, a
    /// class needing a second factor or a passkey reachable by step-up, X509 only after
    /// a passkey (never after a password and a code).
    #[test]
    fn authn_context_table() {
        let ppt = AC_PASSWORD_PROTECTED_TRANSPORT;
        let cases: &[(&str, &[&str], Level, Option<&str>)] = &[
            ("", &[], 1, Some(ppt)),
            ("", &[], 2, Some(AC_REFEDS_MFA)),
            ("exact", &[ppt, AC_X509], 1, Some(ppt)),
            ("exact", &[ppt, AC_X509], 2, Some(ppt)),
            ("exact", &[ppt, AC_X509], 3, Some(AC_X509)),
            ("exact", &[AC_REFEDS_MFA], 1, None),
            ("exact", &[AC_REFEDS_MFA], 2, Some(AC_REFEDS_MFA)),
            ("exact", &[ppt, AC_REFEDS_MFA], 2, Some(AC_REFEDS_MFA)),
            ("exact", &[AC_X509], 2, None),
            ("exact", &[AC_UNSPECIFIED], 1, Some(AC_UNSPECIFIED)),
            ("minimum", &[AC_PASSWORD], 1, Some(ppt)),
            ("minimum", &[AC_PASSWORD], 2, Some(AC_REFEDS_MFA)),
            ("minimum", &[AC_REFEDS_MFA], 1, None),
            ("minimum", &[AC_REFEDS_MFA], 2, Some(AC_REFEDS_MFA)),
            ("better", &[ppt], 1, None),
            ("better", &[ppt], 2, Some(AC_REFEDS_MFA)),
            ("maximum", &[ppt], 2, Some(ppt)),
            ("maximum", &[AC_PASSWORD], 2, None),
            ("minimum", &["urn:example:unknown"], 2, None),
            ("minimum", &["urn:example:unknown"], 3, None),
            // A passkey sign-in: X509 when asked for (exact or minimum), the table's
            // strongest class without a request.
            ("", &[], 3, Some(AC_X509)),
            ("exact", &[AC_X509], 1, None),
            ("exact", &[AC_X509], 3, Some(AC_X509)),
            ("minimum", &[AC_X509], 2, None),
            ("minimum", &[AC_X509], 3, Some(AC_X509)),
            ("minimum", &[ppt], 3, Some(AC_X509)),
            ("minimum", &[AC_REFEDS_MFA], 3, Some(AC_X509)),
            ("exact", &[AC_REFEDS_MFA], 3, Some(AC_REFEDS_MFA)),
            ("exact", &[ppt], 3, Some(ppt)),
            ("better", &[AC_REFEDS_MFA], 2, None),
            ("better", &[AC_REFEDS_MFA], 3, Some(AC_X509)),
            ("maximum", &[AC_REFEDS_MFA], 3, Some(AC_REFEDS_MFA)),
            ("maximum", &[AC_X509], 3, Some(AC_X509)),
        ];
        for (cmp, classes, level, want) in cases {
            let classes: Vec<String> = classes.iter().map(|c| (*c).to_owned()).collect();
            assert_eq!(
                answer_class(cmp, &classes, *level).as_deref(),
                *want,
                "{cmp} {classes:?} at level {level}"
            );
        }
        let mut v = validate_ok_defaults();
        assert_eq!(required_level(&v), 1);
        v.comparison = "exact".into();
        v.requested_classes = vec![AC_REFEDS_MFA.into()];
        assert_eq!(required_level(&v), 2);
        v.requested_classes = vec![AC_X509.into()];
        assert_eq!(required_level(&v), 3);
        v.comparison = "minimum".into();
        assert_eq!(required_level(&v), 3);
        v.comparison = "better".into();
        v.requested_classes = vec![AC_REFEDS_MFA.into()];
        assert_eq!(required_level(&v), 3);
        // Webex: PasswordProtectedTransport;X509 (exact) needs only the password.
        v.comparison = "exact".into();
        v.requested_classes = vec![AC_PASSWORD_PROTECTED_TRANSPORT.into(), AC_X509.into()];
        assert_eq!(required_level(&v), 1);
    }

    fn validate_ok_defaults() -> Validated {
        Validated {
            app_id: "a".into(),
            audience: "x".into(),
            acs_url: "https://sp/acs".into(),
            request_id: None,
            relay_state: None,
            force_authn: false,
            is_passive: false,
            name_id_format: String::new(),
            authn_class: AC_PASSWORD_PROTECTED_TRANSPORT.into(),
            requested_classes: Vec::new(),
            comparison: String::new(),
        }
    }
}
