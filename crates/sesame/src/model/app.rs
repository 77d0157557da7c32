//! Application records: an enterprise application, its Basic SAML Configuration
//! (Identifiers, Reply URLs, signing options, NameID), the exact Reply URL matching rule,
//! and its assignments. Plain data and pure accessors; validation against the rest of
//! the tenant lives in `crate::apps`.

use super::directory::MemberKind;
use serde::{Serialize, Serializer};
use sesame_saml::crypto::Certificate;
use std::fmt;
use std::str::FromStr;

/// Field names as the portal shows them; every validation error starts with one.
pub mod field {
    /// Identifier.
    pub const IDENTIFIER: &str = "Identifier (Entity ID)";
    /// Reply URL.
    pub const REPLY_URL: &str = "Reply URL (Assertion Consumer Service URL)";
    /// Sign on URL.
    pub const SIGN_ON_URL: &str = "Sign on URL";
    /// Relay State.
    pub const RELAY_STATE: &str = "Relay State";
    /// Logout URL.
    pub const LOGOUT_URL: &str = "Logout URL";
    /// Clock skew.
    pub const CLOCK_SKEW: &str = "clock skew";
    /// SP certificate.
    pub const SP_CERTIFICATE: &str = "SP signing certificate";
    /// SP metadata.
    pub const SP_METADATA: &str = "SP metadata";
    /// The switch that makes AuthnRequest signatures required.
    pub const REQUIRE_SIGNED_REQUESTS: &str = "Require signed AuthnRequests";
    /// Name.
    pub const NAME: &str = "name";
    /// Notes.
    pub const NOTES: &str = "notes";
}

/// Most Reply URLs an app may have.
pub const MAX_REPLY_URLS: usize = 256;
/// Longest Reply URL.
pub const MAX_REPLY_URL_LEN: usize = 256;
/// Most Identifiers an app may have.
pub const MAX_IDENTIFIERS: usize = 256;
/// Longest Identifier.
pub const MAX_IDENTIFIER_LEN: usize = 256;
/// Longest Relay State, bytes.
pub const MAX_RELAY_STATE: usize = 2048;
/// Longest Sign on URL / Logout URL.
pub const MAX_URL_LEN: usize = 2048;
/// Largest clock-skew allowance, seconds.
pub const MAX_CLOCK_SKEW: i64 = 600;
/// Default clock-skew allowance, seconds.
pub const DEFAULT_CLOCK_SKEW: i64 = 60;
/// Default NameID source attribute.
pub const DEFAULT_NAMEID_SOURCE: &str = "user.userprincipalname";
/// Default NameID format.
pub const DEFAULT_NAMEID_FORMAT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

/// An enterprise application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct App {
    /// Object id (UUID): also the `appid` of its federation metadata URL.
    pub id: String,
    /// Display name (not necessarily unique).
    pub name: String,
    /// The gallery template it was created from; `None` for a custom app.
    pub gallery_id: Option<String>,
    /// Enabled for users to sign in.
    pub enabled: bool,
    /// Only assigned users (directly or through groups) may sign in.
    pub assignment_required: bool,
    /// Visible to users (My Apps).
    pub visible: bool,
    /// Administrator's notes.
    pub notes: String,
    /// Basic SAML Configuration and signing options.
    pub saml: SamlConfig,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// An application to create.
#[derive(Debug, Clone)]
pub struct NewApp {
    /// Name.
    pub name: String,
    /// Gallery template id, `None` for a custom app.
    pub gallery_id: Option<String>,
    /// Enabled for users to sign in (default true).
    pub enabled: bool,
    /// Assignment required (default true).
    pub assignment_required: bool,
    /// Visible to users (default true).
    pub visible: bool,
    /// Notes.
    pub notes: String,
    /// Basic SAML Configuration.
    pub saml: SamlConfig,
}

impl NewApp {
    /// The application this would create, not stored (no id, no times): the CLI and the
    /// REST API apply the administrator's options to it and validate it before creating.
    pub fn draft(&self) -> App {
        App {
            id: String::new(),
            name: self.name.clone(),
            gallery_id: self.gallery_id.clone(),
            enabled: self.enabled,
            assignment_required: self.assignment_required,
            visible: self.visible,
            notes: self.notes.clone(),
            saml: self.saml.clone(),
            created_at: 0,
            updated_at: 0,
        }
    }

    /// A custom app named `name` with every default.
    pub fn custom(name: &str) -> Self {
        NewApp {
            name: name.to_owned(),
            gallery_id: None,
            enabled: true,
            assignment_required: true,
            visible: true,
            notes: String::new(),
            saml: SamlConfig::default(),
        }
    }
}

/// One Identifier (Entity ID) of an app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identifier {
    /// The URI, as the SP sends it as Issuer (compared exactly).
    pub value: String,
    /// The default one is the Audience of IdP-initiated responses.
    pub is_default: bool,
}

/// One Reply URL (Assertion Consumer Service URL) of an app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplyUrl {
    /// The URL, stored as given.
    pub url: String,
    /// AssertionConsumerServiceIndex.
    pub index: Option<u16>,
    /// Where responses go when the request names no ACS, and IdP-initiated responses.
    pub is_default: bool,
}

/// What Sesame signs in a Response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignMode {
    /// The outer Response only.
    Response,
    /// The Assertion only.
    Assertion,
    /// Both (default: accepted by every SP).
    #[default]
    Both,
}

impl SignMode {
    /// `response` | `assertion` | `both`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignMode::Response => "response",
            SignMode::Assertion => "assertion",
            SignMode::Both => "both",
        }
    }
}

impl fmt::Display for SignMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SignMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "response" => Ok(SignMode::Response),
            "assertion" => Ok(SignMode::Assertion),
            "both" => Ok(SignMode::Both),
            _ => Err(format!(
                "signing option {s:?}: use response, assertion or both"
            )),
        }
    }
}

/// Signature algorithm of Responses/Assertions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum SigningAlg {
    /// RSA-SHA256 (default).
    #[default]
    #[serde(rename = "rsa-sha256")]
    RsaSha256,
    /// RSA-SHA1, for old SPs.
    #[serde(rename = "rsa-sha1")]
    RsaSha1,
}

impl SigningAlg {
    /// `rsa-sha256` | `rsa-sha1`.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RsaSha256 => "rsa-sha256",
            SigningAlg::RsaSha1 => "rsa-sha1",
        }
    }
    /// The protocol library's algorithm.
    pub fn algorithm(self) -> sesame_saml::crypto::SignatureAlgorithm {
        match self {
            SigningAlg::RsaSha256 => sesame_saml::crypto::SignatureAlgorithm::RsaSha256,
            SigningAlg::RsaSha1 => sesame_saml::crypto::SignatureAlgorithm::RsaSha1,
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SigningAlg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "rsa-sha256" => Ok(SigningAlg::RsaSha256),
            "rsa-sha1" => Ok(SigningAlg::RsaSha1),
            _ => Err(format!(
                "signing algorithm {s:?}: use rsa-sha256 or rsa-sha1"
            )),
        }
    }
}

/// An SP certificate as shown in JSON: thumbprint, subject, expiry.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateSummary {
    /// SHA-1 thumbprint, uppercase hex.
    pub thumbprint: String,
    /// Subject DN.
    pub subject: String,
    /// Expiry, Unix seconds.
    pub not_after: i64,
}

impl CertificateSummary {
    /// Summary of `c`.
    pub fn of(c: &Certificate) -> Self {
        CertificateSummary {
            thumbprint: c.sha1_thumbprint(),
            subject: c.subject(),
            not_after: c.not_after().unix_seconds(),
        }
    }
}

fn ser_certs<S: Serializer>(certs: &[Certificate], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(certs.iter().map(CertificateSummary::of))
}

/// Basic SAML Configuration and the per-app SAML switches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SamlConfig {
    /// Identifiers (Entity IDs): one default; unique across the tenant's apps.
    pub identifiers: Vec<Identifier>,
    /// Reply URLs: one default; matched exactly.
    pub reply_urls: Vec<ReplyUrl>,
    /// Sign on URL: when set, launching the app sends the browser there (SP-initiated).
    pub sign_on_url: Option<String>,
    /// Relay State of IdP-initiated responses.
    pub relay_state: Option<String>,
    /// The SP's single logout URL.
    pub logout_url: Option<String>,
    /// What is signed.
    pub sign_mode: SignMode,
    /// Signature algorithm.
    pub signing_alg: SigningAlg,
    /// AuthnRequests must be signed.
    pub require_signed_requests: bool,
    /// Request signatures must use SHA-256 (RSA-SHA1 refused).
    pub require_sha256: bool,
    /// NotBefore back-dating, seconds.
    pub clock_skew_secs: i64,
    /// The SP's request-signing certificates.
    #[serde(serialize_with = "ser_certs")]
    pub sp_certificates: Vec<Certificate>,
    /// NameID source attribute (e.g. user.userprincipalname).
    pub nameid_source: String,
    /// NameID format URI.
    pub nameid_format: String,
}

impl Default for SamlConfig {
    fn default() -> Self {
        SamlConfig {
            identifiers: Vec::new(),
            reply_urls: Vec::new(),
            sign_on_url: None,
            relay_state: None,
            logout_url: None,
            sign_mode: SignMode::Both,
            signing_alg: SigningAlg::RsaSha256,
            require_signed_requests: false,
            require_sha256: false,
            clock_skew_secs: DEFAULT_CLOCK_SKEW,
            sp_certificates: Vec::new(),
            nameid_source: DEFAULT_NAMEID_SOURCE.into(),
            nameid_format: DEFAULT_NAMEID_FORMAT.into(),
        }
    }
}

/// The comparison key of a URL: scheme and authority lowercased, the rest as given.
/// `None` when it has no `scheme://`.
fn url_match_key(url: &str) -> Option<String> {
    let sep = url.find("://")?;
    let after = sep + 3;
    let end = url[after..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after + i);
    let mut key = url[..end].to_ascii_lowercase();
    key.push_str(&url[end..]);
    Some(key)
}

/// Whether two URLs are the same Reply URL: scheme and host case-insensitively,
/// everything else byte for byte (no trailing-slash, percent-encoding or query
/// normalisation).
pub fn reply_urls_match(registered: &str, candidate: &str) -> bool {
    match (url_match_key(registered), url_match_key(candidate)) {
        (Some(a), Some(b)) => a == b,
        _ => registered == candidate,
    }
}

impl SamlConfig {
    /// The default Identifier (the first one if none is marked).
    pub fn default_identifier(&self) -> Option<&str> {
        self.identifiers
            .iter()
            .find(|i| i.is_default)
            .or_else(|| self.identifiers.first())
            .map(|i| i.value.as_str())
    }

    /// The default Reply URL (the first one if none is marked).
    pub fn default_reply_url(&self) -> Option<&ReplyUrl> {
        self.reply_urls
            .iter()
            .find(|r| r.is_default)
            .or_else(|| self.reply_urls.first())
    }

    /// The Reply URL registered with `index` (AssertionConsumerServiceIndex).
    pub fn reply_url_by_index(&self, index: u16) -> Option<&ReplyUrl> {
        self.reply_urls.iter().find(|r| r.index == Some(index))
    }

    /// Whether `url` is one of the Reply URLs (exact match, see [`reply_urls_match`]).
    pub fn has_reply_url(&self, url: &str) -> bool {
        self.reply_urls
            .iter()
            .any(|r| reply_urls_match(&r.url, url))
    }

    /// The registered Reply URL matching `url`, as registered.
    pub fn find_reply_url(&self, url: &str) -> Option<&ReplyUrl> {
        self.reply_urls
            .iter()
            .find(|r| reply_urls_match(&r.url, url))
    }

    /// Whether `value` is one of the Identifiers (exact, case-sensitive).
    pub fn has_identifier(&self, value: &str) -> bool {
        self.identifiers.iter().any(|i| i.value == value)
    }
}

/// One assignment row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// User or group object id.
    pub principal_id: String,
    /// User or group.
    pub principal_kind: MemberKind,
    /// Role name; `""` for Default Access.
    pub role: String,
}
