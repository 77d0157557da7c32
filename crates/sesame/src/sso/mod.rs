//! The IdP protocol flows as functions over domain values: the sign-in use case step by
//! step ([`flow`]), AuthnRequest validation ([`authn`]), Response assembly
//! ([`assertion`]), sessions ([`session`]), single logout ([`slo`]), token preview
//! ([`preview`]), sign-in log batching ([`signin_log`]), and the in-memory configuration
//! the hot path reads ([`cache`]). Error codes are in [`errors`] and `docs/errors.md`;
//! what they say to end users and administrators in [`error_help`].
//!
//! Time is always passed in (`now`); the one clock is [`now`].

pub mod assertion;
pub mod authn;
pub mod cache;
pub mod error_help;
pub mod errors;
pub mod flow;
pub mod hot;
pub mod preview;
pub mod session;
pub mod signin_log;
pub mod slo;

pub use errors::{ErrorCode, SsoError};

use sesame_saml::crypto::Certificate;
use sesame_saml::time::Timestamp;
use std::sync::Arc;

/// The SSO plane's clock: the current instant.
pub fn now() -> Timestamp {
    Timestamp::from(std::time::SystemTime::now())
}

/// The application's signing key, unsealed once and kept in memory, with its certificate,
/// algorithm and what it signs.
pub use sesame_saml::messages::Signer;

/// What the SSO plane knows about one enterprise application: a read-only view of its
/// configuration, built by [`cache`] from the store and shared by every request.
#[derive(Debug)]
pub struct SsoApp {
    /// Object id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Enabled for users to sign in.
    pub enabled: bool,
    /// Users must be assigned.
    pub assignment_required: bool,
    /// Settings its Basic SAML Configuration still lacks ("SAML not configured", as
    /// `crate::apps::missing_settings` names them); empty when it is configured.
    pub missing: Vec<&'static str>,
    /// Identifiers (Entity IDs); the default first.
    pub identifiers: Vec<String>,
    /// Reply URLs.
    pub reply_urls: Vec<crate::model::ReplyUrl>,
    /// Sign on URL (IdP-initiated launch sends the browser there when set).
    pub sign_on_url: Option<String>,
    /// Relay State for IdP-initiated SSO.
    pub relay_state: Option<String>,
    /// Logout URL (LogoutResponses and IdP-initiated LogoutRequests).
    pub logout_url: Option<String>,
    /// Require signed AuthnRequests.
    pub require_signed_requests: bool,
    /// Refuse RSA-SHA1 request signatures.
    pub require_sha256: bool,
    /// Clock-skew allowance (NotBefore back-dating), seconds.
    pub clock_skew_secs: i64,
    /// The SP's request-signing certificates.
    pub sp_certificates: Vec<Certificate>,
    /// NameID source expression (`user.userprincipalname`, `user.mail`, …), as stored.
    pub nameid_source: String,
    /// The NameID format URI sent when the request does not ask for one.
    pub nameid_format: String,
    /// The active signing key, when the app has one.
    pub signer: Option<Arc<Signer>>,
    /// The App Federation Metadata XML, prebuilt.
    pub metadata_xml: Option<Arc<str>>,
    /// NameID, claims, group claims, assigned groups, persistent NameID key.
    pub claims: Arc<crate::apps::claims::AppClaims>,
}

impl SsoApp {
    /// The default Identifier.
    pub fn default_identifier(&self) -> Option<&str> {
        self.identifiers.first().map(String::as_str)
    }

    /// The default Reply URL (the one marked default, else the first).
    pub fn default_reply_url(&self) -> Option<&str> {
        self.reply_urls
            .iter()
            .find(|r| r.is_default)
            .or_else(|| self.reply_urls.first())
            .map(|r| r.url.as_str())
    }
}
