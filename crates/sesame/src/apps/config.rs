//! Basic SAML Configuration of an enterprise application: its values, their validation
//! and the exact Reply URL matching rule, and filling them from SP metadata.

use super::AppError;
pub use crate::model::app::{
    field, reply_urls_match, CertificateSummary, Identifier, ReplyUrl, SamlConfig, SignMode,
    SigningAlg, DEFAULT_CLOCK_SKEW, DEFAULT_NAMEID_FORMAT, DEFAULT_NAMEID_SOURCE, MAX_CLOCK_SKEW,
    MAX_IDENTIFIERS, MAX_IDENTIFIER_LEN, MAX_RELAY_STATE, MAX_REPLY_URLS, MAX_REPLY_URL_LEN,
    MAX_URL_LEN,
};
use serde::Serialize;
use sesame_saml::crypto::Certificate;
use sesame_saml::metadata::{parse_entities, SpSsoDescriptor};

const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
const BINDING_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

fn invalid(field: &'static str, reason: impl Into<String>) -> AppError {
    AppError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// Validation of the Basic SAML Configuration; the record and its accessors are in
/// [`crate::model::app`].
impl SamlConfig {
    /// Checks every value (within this app; uniqueness across apps is the store's).
    /// Also makes exactly one Identifier and one Reply URL the default (the first, when
    /// none is marked). Signed AuthnRequests cannot be required without a certificate of
    /// the application to check them with ([`SamlConfig::check_request_signing`]).
    pub fn normalize_and_validate(&mut self) -> Result<(), AppError> {
        self.normalize_and_validate_values()?;
        self.check_request_signing()
    }

    /// Refuses "Require signed AuthnRequests" without an SP signing certificate: every
    /// request would be refused (SESAME76021) while the configuration looks complete.
    pub fn check_request_signing(&self) -> Result<(), AppError> {
        if self.require_signed_requests && self.sp_certificates.is_empty() {
            return Err(invalid(
                field::REQUIRE_SIGNED_REQUESTS,
                "cannot be on while the application has no signing certificate to check its \
                 requests with; upload the application's metadata (with its signing \
                 certificate) or its certificate first, or turn Require signed AuthnRequests off",
            ));
        }
        Ok(())
    }

    /// [`SamlConfig::normalize_and_validate`] for a change of `stored`: an application
    /// stored requiring signed requests without a certificate (before that was refused)
    /// can still be saved while neither changes — renamed, disabled — and SSO keeps
    /// refusing its unverifiable requests (SESAME76021).
    pub fn normalize_and_validate_after(
        &mut self,
        stored: Option<&SamlConfig>,
    ) -> Result<(), AppError> {
        self.normalize_and_validate_values()?;
        let unchanged = stored.is_some_and(|s| {
            s.require_signed_requests == self.require_signed_requests
                && s.sp_certificates.is_empty()
                && self.sp_certificates.is_empty()
        });
        if unchanged {
            return Ok(());
        }
        self.check_request_signing()
    }

    fn normalize_and_validate_values(&mut self) -> Result<(), AppError> {
        // Identifiers.
        if self.identifiers.len() > MAX_IDENTIFIERS {
            return Err(invalid(
                field::IDENTIFIER,
                format!(
                    "at most {MAX_IDENTIFIERS} are allowed, {} given",
                    self.identifiers.len()
                ),
            ));
        }
        for (i, id) in self.identifiers.iter().enumerate() {
            validate_identifier(&id.value)?;
            if self.identifiers[..i].iter().any(|o| o.value == id.value) {
                return Err(invalid(
                    field::IDENTIFIER,
                    format!("{:?} is listed twice", id.value),
                ));
            }
        }
        one_default(
            self.identifiers.iter_mut().map(|i| &mut i.is_default),
            field::IDENTIFIER,
        )?;
        // Reply URLs.
        if self.reply_urls.len() > MAX_REPLY_URLS {
            return Err(invalid(
                field::REPLY_URL,
                format!(
                    "at most {MAX_REPLY_URLS} Reply URLs are allowed, {} given",
                    self.reply_urls.len()
                ),
            ));
        }
        for (i, r) in self.reply_urls.iter().enumerate() {
            validate_reply_url(&r.url)?;
            if let Some(o) = self.reply_urls[..i]
                .iter()
                .find(|o| reply_urls_match(&o.url, &r.url))
            {
                return Err(invalid(
                    field::REPLY_URL,
                    format!("{:?} is listed twice (as {:?})", r.url, o.url),
                ));
            }
            if let Some(idx) = r.index {
                if self.reply_urls[..i].iter().any(|o| o.index == Some(idx)) {
                    return Err(invalid(
                        field::REPLY_URL,
                        format!("index {idx} is used by two Reply URLs; each index must be unique"),
                    ));
                }
            }
        }
        one_default(
            self.reply_urls.iter_mut().map(|r| &mut r.is_default),
            field::REPLY_URL,
        )?;
        // The other URLs.
        if let Some(u) = &self.sign_on_url {
            validate_endpoint_url(field::SIGN_ON_URL, u)?;
        }
        if let Some(u) = &self.logout_url {
            validate_endpoint_url(field::LOGOUT_URL, u)?;
        }
        if let Some(rs) = &self.relay_state {
            if rs.len() > MAX_RELAY_STATE {
                return Err(invalid(
                    field::RELAY_STATE,
                    format!(
                        "is {} bytes long; at most {MAX_RELAY_STATE} bytes (2 KiB) are allowed",
                        rs.len()
                    ),
                ));
            }
            if rs.chars().any(char::is_control) {
                return Err(invalid(field::RELAY_STATE, "contains control characters"));
            }
        }
        if !(0..=MAX_CLOCK_SKEW).contains(&self.clock_skew_secs) {
            return Err(invalid(
                field::CLOCK_SKEW,
                format!(
                    "{} seconds is out of range; use 0 to {MAX_CLOCK_SKEW}",
                    self.clock_skew_secs
                ),
            ));
        }
        for c in &self.sp_certificates {
            validate_sp_certificate(c)?;
        }
        Ok(())
    }
}

/// Whether AuthnRequests must be signed and can be checked: what the summary card of
/// Basic SAML Configuration and the Test checklist show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestSigning {
    /// Required, with this many certificates of the application to check them.
    Required(usize),
    /// Required, but no certificate of the application: every request is refused
    /// (SESAME76021 unsigned, SESAME50006 signed). Stored before that was refused.
    RequiredWithoutCertificate,
    /// Not required; signed requests are checked with this many certificates.
    NotRequired(usize),
}

impl RequestSigning {
    /// False when no request can pass.
    pub fn ok(self) -> bool {
        self != RequestSigning::RequiredWithoutCertificate
    }

    /// The state in a few words: "required (2 certificates)", "not required".
    pub fn summary(self) -> String {
        fn certs(n: usize) -> String {
            if n == 1 {
                "1 certificate".to_owned()
            } else {
                format!("{n} certificates")
            }
        }
        match self {
            RequestSigning::Required(n) => format!("required ({})", certs(n)),
            RequestSigning::RequiredWithoutCertificate => {
                "required, but no certificate of the application is uploaded: every sign-in is \
                 refused (SESAME76021); upload the application's certificate (Upload metadata \
                 file) or turn Require signed AuthnRequests off"
                    .to_owned()
            }
            RequestSigning::NotRequired(0) => "not required".to_owned(),
            RequestSigning::NotRequired(n) => {
                format!("not required (signed requests are checked: {})", certs(n))
            }
        }
    }
}

impl SamlConfig {
    /// The state of request signatures.
    pub fn request_signing(&self) -> RequestSigning {
        match (self.require_signed_requests, self.sp_certificates.len()) {
            (true, 0) => RequestSigning::RequiredWithoutCertificate,
            (true, n) => RequestSigning::Required(n),
            (false, n) => RequestSigning::NotRequired(n),
        }
    }
}

/// Exactly one `true`: the first when none; an error when several.
fn one_default<'a>(
    flags: impl Iterator<Item = &'a mut bool>,
    field: &'static str,
) -> Result<(), AppError> {
    let mut flags: Vec<&mut bool> = flags.collect();
    let n = flags.iter().filter(|f| ***f).count();
    if n > 1 {
        return Err(invalid(
            field,
            format!("{n} are marked default; mark only one"),
        ));
    }
    if n == 0 {
        if let Some(first) = flags.first_mut() {
            **first = true;
        }
    }
    Ok(())
}

fn validate_identifier(v: &str) -> Result<(), AppError> {
    let f = field::IDENTIFIER;
    if v.is_empty() {
        return Err(invalid(f, "is empty"));
    }
    if v.chars().count() > MAX_IDENTIFIER_LEN {
        return Err(invalid(
            f,
            format!("{v:?} is longer than {MAX_IDENTIFIER_LEN} characters"),
        ));
    }
    if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            f,
            format!("{v:?} contains spaces or control characters"),
        ));
    }
    // An entityID is an xs:anyURI: usually absolute (https://…, urn:…), but vendors also
    // use bare tokens the SP sends verbatim as Issuer (Dropbox's `Dropbox`, Box's
    // `box.net`, Zoom's `<companyname>.zoom.us`), so URI characters suffice.
    let uri_chars = v
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b));
    if url::Url::parse(v).is_err() && !uri_chars {
        return Err(invalid(
            f,
            format!(
                "{v:?} is not a URI; use the value the application's documentation gives, \
                 like https://app.example.com or urn:example:sp"
            ),
        ));
    }
    Ok(())
}

/// Checks a URL the browser is sent to or posted to: absolute, https (http only for
/// localhost and 127.0.0.1), no fragment, no user name or password.
fn validate_endpoint_url(f: &'static str, u: &str) -> Result<(), AppError> {
    if u.is_empty() {
        return Err(invalid(f, "is empty"));
    }
    if u.len() > MAX_URL_LEN {
        return Err(invalid(
            f,
            format!("is longer than {MAX_URL_LEN} characters"),
        ));
    }
    if u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            f,
            format!("{u:?} contains spaces or control characters"),
        ));
    }
    if u.contains('#') {
        return Err(invalid(f, format!("{u:?} has a fragment (#…); remove it")));
    }
    let parsed = url::Url::parse(u)
        .map_err(|e| invalid(f, format!("{u:?} is not an absolute URL ({e})")))?;
    let host = parsed.host_str().unwrap_or("");
    match parsed.scheme() {
        "https" => {}
        "http" if host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1" => {}
        "http" => {
            return Err(invalid(
                f,
                format!("{u:?} must use https (http is allowed only for localhost and 127.0.0.1)"),
            ))
        }
        other => {
            return Err(invalid(
                f,
                format!("{u:?}: scheme {other}: is not allowed; use https://"),
            ))
        }
    }
    if host.is_empty() {
        return Err(invalid(f, format!("{u:?} has no host name")));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            f,
            format!("{u:?} contains a user name or password; remove it"),
        ));
    }
    Ok(())
}

/// Checks a Reply URL: [`validate_endpoint_url`] rules and at most 256 characters.
pub fn validate_reply_url(u: &str) -> Result<(), AppError> {
    if u.chars().count() > MAX_REPLY_URL_LEN {
        return Err(invalid(
            field::REPLY_URL,
            format!(
                "{u:?} is {} characters long; at most {MAX_REPLY_URL_LEN} are allowed",
                u.chars().count()
            ),
        ));
    }
    validate_endpoint_url(field::REPLY_URL, u)
}

fn validate_sp_certificate(c: &Certificate) -> Result<(), AppError> {
    // The library refuses keys it cannot verify with as a certificate error (any other
    // outcome of verifying nothing is a signature error).
    let probe = c.verify(sesame_saml::crypto::SignatureAlgorithm::RsaSha256, b"", b"");
    if let Err(sesame_saml::Error::Certificate(m)) = probe {
        return Err(invalid(field::SP_CERTIFICATE, m));
    }
    Ok(())
}

/// Parses a "[INDEX=]URL" command-line value.
pub fn parse_reply_url_arg(s: &str) -> Result<ReplyUrl, AppError> {
    let s = s.trim();
    if let Some((idx, rest)) = s.split_once('=') {
        if !idx.is_empty() && idx.bytes().all(|b| b.is_ascii_digit()) {
            let index: u16 = idx.parse().map_err(|_| {
                invalid(
                    field::REPLY_URL,
                    format!("index {idx} is out of range (0 to 65535)"),
                )
            })?;
            return Ok(ReplyUrl {
                url: rest.to_owned(),
                index: Some(index),
                is_default: false,
            });
        }
    }
    Ok(ReplyUrl {
        url: s.to_owned(),
        index: None,
        is_default: false,
    })
}

/// Reads PEM or DER certificate bytes (an SP certificate given on its own).
pub fn parse_certificate(bytes: &[u8]) -> Result<Certificate, AppError> {
    let text = std::str::from_utf8(bytes).ok();
    let res = match text {
        Some(t) if t.contains("-----BEGIN") => Certificate::from_pem(t),
        Some(t)
            if !t.trim().is_empty()
                && t.trim()
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=\r\n ".contains(&b)) =>
        {
            Certificate::from_base64(t)
        }
        _ => Certificate::from_der(bytes.to_vec()),
    };
    let c = res.map_err(|e| invalid(field::SP_CERTIFICATE, e.to_string()))?;
    validate_sp_certificate(&c)?;
    Ok(c)
}

/// What an SP metadata upload changed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SpMetadataApplied {
    /// The SP's entityID, now the default Identifier.
    pub entity_id: String,
    /// Reply URLs taken.
    pub reply_urls: usize,
    /// Whether a Logout URL was taken.
    pub logout_url: bool,
    /// SP signing certificates taken.
    pub certificates: usize,
    /// The SP says it signs its AuthnRequests (signatures are then required when a
    /// certificate to check them is known).
    pub authn_requests_signed: bool,
    /// The SP says it signs its AuthnRequests but no signing certificate is known, so
    /// "Require signed AuthnRequests" was left (or turned) off.
    pub signing_certificate_missing: bool,
}

/// What an upload says when the metadata announces signed requests without a certificate.
pub const SIGNING_CERTIFICATE_MISSING: &str = "the metadata says the application signs its \
AuthnRequests but holds no signing certificate; upload the application's certificate, then \
turn on Require signed AuthnRequests";

impl SpMetadataApplied {
    /// The warning to show with the result, if any.
    pub fn warning(&self) -> Option<&'static str> {
        self.signing_certificate_missing
            .then_some(SIGNING_CERTIFICATE_MISSING)
    }
}

/// Fills the configuration from SP metadata, as the portal's "Upload metadata file":
/// Identifier (the entityID becomes the default, other Identifiers stay), Reply URLs
/// (replaced by the HTTP-POST AssertionConsumerServices with their indexes and
/// default), Logout URL (the first HTTP-Redirect or HTTP-POST SingleLogoutService), the
/// SP's signing certificates (replaced; required signatures when `AuthnRequestsSigned`
/// and a certificate is known — never without one: then the switch is left off and
/// [`SpMetadataApplied::signing_certificate_missing`] says so).
pub fn apply_sp_metadata(cfg: &mut SamlConfig, xml: &str) -> Result<SpMetadataApplied, AppError> {
    let f = field::SP_METADATA;
    let entities = parse_entities(xml).map_err(|e| invalid(f, e.to_string()))?;
    let mut sps: Vec<(String, SpSsoDescriptor)> = entities
        .into_iter()
        .filter_map(|e| e.sp.map(|sp| (e.entity_id, sp)))
        .collect();
    let (entity_id, sp) = match sps.len() {
        0 => {
            return Err(invalid(
                f,
                "holds no SAML 2.0 SPSSODescriptor; upload the service provider's metadata, not an IdP's",
            ))
        }
        1 => sps.remove(0),
        n => {
            return Err(invalid(
                f,
                format!("holds {n} service providers; upload the metadata of one application"),
            ))
        }
    };
    let default_loc = sp.default_acs().map(|e| e.location.clone());
    let mut reply_urls: Vec<ReplyUrl> = Vec::new();
    for acs in sp.acs.iter().filter(|a| a.binding == BINDING_POST) {
        if reply_urls.iter().any(|r| r.url == acs.location) {
            continue;
        }
        reply_urls.push(ReplyUrl {
            url: acs.location.clone(),
            index: acs.index,
            is_default: false,
        });
    }
    if reply_urls.is_empty() {
        return Err(invalid(
            f,
            "has no AssertionConsumerService with the HTTP-POST binding, the only one Sesame sends responses with",
        ));
    }
    let default_pos = default_loc
        .and_then(|d| reply_urls.iter().position(|r| r.url == d))
        .unwrap_or(0);
    if let Some(r) = reply_urls.get_mut(default_pos) {
        r.is_default = true;
    }
    let logout = sp
        .slo
        .iter()
        .find(|s| s.binding == BINDING_REDIRECT)
        .or_else(|| sp.slo.iter().find(|s| s.binding == BINDING_POST))
        .map(|s| s.location.clone());

    let mut next = cfg.clone();
    let mut identifiers = vec![Identifier {
        value: entity_id.clone(),
        is_default: true,
    }];
    identifiers.extend(
        cfg.identifiers
            .iter()
            .filter(|i| i.value != entity_id)
            .map(|i| Identifier {
                value: i.value.clone(),
                is_default: false,
            }),
    );
    next.identifiers = identifiers;
    let mut applied = SpMetadataApplied {
        entity_id,
        reply_urls: reply_urls.len(),
        logout_url: logout.is_some(),
        certificates: sp.signing_certificates.len(),
        authn_requests_signed: sp.authn_requests_signed,
        signing_certificate_missing: false,
    };
    next.reply_urls = reply_urls;
    if logout.is_some() {
        next.logout_url = logout;
    }
    if !sp.signing_certificates.is_empty() {
        next.sp_certificates = sp.signing_certificates;
    }
    if sp.authn_requests_signed {
        if next.sp_certificates.is_empty() {
            applied.signing_certificate_missing = true;
        } else {
            next.require_signed_requests = true;
        }
    }
    next.normalize_and_validate()?;
    *cfg = next;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg_with(urls: &[&str]) -> SamlConfig {
        SamlConfig {
            identifiers: vec![Identifier {
                value: "https://sp.example.com".into(),
                is_default: false,
            }],
            reply_urls: urls
                .iter()
                .map(|u| ReplyUrl {
                    url: (*u).into(),
                    index: None,
                    is_default: false,
                })
                .collect(),
            ..SamlConfig::default()
        }
    }

    #[test]
    fn reply_url_matching_is_exact_but_scheme_and_host_insensitive() {
        let c = cfg_with(&["https://sp.example.com/saml/acs"]);
        assert!(c.has_reply_url("https://sp.example.com/saml/acs"));
        assert!(c.has_reply_url("HTTPS://SP.Example.COM/saml/acs"));
        assert!(!c.has_reply_url("https://sp.example.com/saml/acs/"));
        assert!(!c.has_reply_url("https://sp.example.com/SAML/acs"));
        assert!(!c.has_reply_url("https://sp.example.com/saml/acs?x=1"));
        assert!(!c.has_reply_url("https://sp.example.com:443/saml/acs"));
        assert!(!c.has_reply_url("https://sp.example.com/saml/%61cs"));
        assert!(!c.has_reply_url("http://sp.example.com/saml/acs"));
        assert!(!c.has_reply_url("https://sp.example.com.evil/saml/acs"));
        let q = cfg_with(&["https://sp.example.com/acs?tenant=A"]);
        assert!(q.has_reply_url("https://SP.example.com/acs?tenant=A"));
        assert!(!q.has_reply_url("https://sp.example.com/acs?tenant=a"));
    }

    #[test]
    fn validation_names_the_field() {
        let mut c = cfg_with(&["http://sp.example.com/acs"]);
        let e = c.normalize_and_validate().unwrap_err().to_string();
        assert!(
            e.starts_with("Reply URL (Assertion Consumer Service URL)"),
            "{e}"
        );
        assert!(e.contains("https"), "{e}");
        for ok in [
            "http://localhost:3000/acs",
            "http://127.0.0.1/acs",
            "https://x.example/acs?a=b",
        ] {
            let mut c = cfg_with(&[ok]);
            c.normalize_and_validate().unwrap();
            assert!(c.reply_urls[0].is_default);
        }
        let mut c = cfg_with(&["https://x.example/acs#frag"]);
        assert!(c
            .normalize_and_validate()
            .unwrap_err()
            .to_string()
            .contains("fragment"));
        let long = format!("https://x.example/{}", "a".repeat(250));
        let mut c = cfg_with(&[&long]);
        assert!(c
            .normalize_and_validate()
            .unwrap_err()
            .to_string()
            .contains("at most 256"));
        let many: Vec<String> = (0..257).map(|i| format!("https://x.example/{i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let mut c = cfg_with(&refs);
        assert!(c.normalize_and_validate().is_err());
        let mut c = cfg_with(&["https://x.example/acs"]);
        c.relay_state = Some("r".repeat(2049));
        assert!(c
            .normalize_and_validate()
            .unwrap_err()
            .to_string()
            .starts_with("Relay State"));
        let mut c = cfg_with(&["https://x.example/acs"]);
        c.identifiers[0].value = "not a uri".into();
        assert!(c
            .normalize_and_validate()
            .unwrap_err()
            .to_string()
            .starts_with("Identifier (Entity ID)"));
    }

    #[test]
    fn reply_url_args() {
        let r = parse_reply_url_arg("2=https://x.example/acs").unwrap();
        assert_eq!(r.index, Some(2));
        assert_eq!(r.url, "https://x.example/acs");
        let r = parse_reply_url_arg("https://x.example/acs?a=b").unwrap();
        assert_eq!(r.index, None);
        assert!(parse_reply_url_arg("70000=https://x").is_err());
    }

    #[test]
    fn sp_metadata_fills_the_configuration() {
        let xml = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.com/meta">
  <md:SPSSODescriptor AuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sp.example.com/slo"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://sp.example.com/art" index="0"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.com/acs1" index="1"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.com/acs2" index="2" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>"#;
        let mut c = SamlConfig::default();
        let a = apply_sp_metadata(&mut c, xml).unwrap();
        assert_eq!(a.reply_urls, 2);
        assert_eq!(c.default_identifier(), Some("https://sp.example.com/meta"));
        assert_eq!(
            c.default_reply_url().map(|r| r.url.as_str()),
            Some("https://sp.example.com/acs2")
        );
        assert_eq!(
            c.reply_url_by_index(1).map(|r| r.url.as_str()),
            Some("https://sp.example.com/acs1")
        );
        assert_eq!(c.logout_url.as_deref(), Some("https://sp.example.com/slo"));
        assert!(apply_sp_metadata(&mut c, "<x/>").is_err());
    }

    const CERT: &str = include_str!("../../../saml/tests/fixtures/test-rsa-cert.pem");

    fn signing_metadata(with_cert: bool) -> String {
        let key = if with_cert {
            let body: String = CERT.lines().filter(|l| !l.starts_with("-----")).collect();
            format!(
                r#"<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#
            )
        } else {
            String::new()
        };
        format!(
            r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.com/meta">
  <md:SPSSODescriptor AuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    {key}
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.com/acs" index="0"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>"#
        )
    }

    #[test]
    fn signed_requests_without_a_certificate_are_left_off_with_a_warning() {
        let mut c = SamlConfig::default();
        let a = apply_sp_metadata(&mut c, &signing_metadata(false)).unwrap();
        assert!(a.authn_requests_signed);
        assert!(a.signing_certificate_missing);
        assert!(!c.require_signed_requests);
        let w = a.warning().unwrap();
        assert!(w.contains("holds no signing certificate"), "{w}");
        assert!(w.contains("upload the application's certificate"), "{w}");

        let mut c = SamlConfig::default();
        let a = apply_sp_metadata(&mut c, &signing_metadata(true)).unwrap();
        assert!(!a.signing_certificate_missing);
        assert_eq!(a.warning(), None);
        assert!(c.require_signed_requests);
        assert_eq!(c.sp_certificates.len(), 1);
    }

    #[test]
    fn requiring_signed_requests_needs_a_certificate() {
        let mut c = cfg_with(&["https://x.example/acs"]);
        c.require_signed_requests = true;
        let e = c.normalize_and_validate().unwrap_err().to_string();
        assert!(e.starts_with("Require signed AuthnRequests"), "{e}");
        assert!(e.contains("no signing certificate"), "{e}");
        assert!(e.contains("turn Require signed AuthnRequests off"), "{e}");
        c.sp_certificates = vec![parse_certificate(CERT.as_bytes()).unwrap()];
        c.normalize_and_validate().unwrap();
    }

    #[test]
    fn a_stored_app_requiring_unverifiable_signatures_can_still_be_saved_unchanged() {
        let mut stored = cfg_with(&["https://x.example/acs"]);
        stored.require_signed_requests = true;
        // Renamed or disabled: the switch and the (absent) certificates stay as stored.
        let mut same = stored.clone();
        same.normalize_and_validate_after(Some(&stored)).unwrap();
        // Turning it on is refused, as is removing the last certificate while it is on.
        let mut off = stored.clone();
        off.require_signed_requests = false;
        let mut on = off.clone();
        on.require_signed_requests = true;
        assert!(on.normalize_and_validate_after(Some(&off)).is_err());
        let mut with_cert = stored.clone();
        with_cert.sp_certificates = vec![parse_certificate(CERT.as_bytes()).unwrap()];
        let mut removed = with_cert.clone();
        removed.sp_certificates.clear();
        assert!(removed
            .normalize_and_validate_after(Some(&with_cert))
            .is_err());
        assert!(same.clone().normalize_and_validate_after(None).is_err());
    }
}
