//! The template records: what a gallery file says about an application (SSO modes,
//! certificate formats, signing, URL fields and their patterns, NameID, claims), and the
//! pure rules over them (which values a URL field allows, search).

use super::pattern::Pattern;
use serde::{Deserialize, Serialize};

/// An SSO mode a vendor supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SsoMode {
    /// The application sends an AuthnRequest.
    #[serde(rename = "sp-initiated")]
    SpInitiated,
    /// Sesame posts an unsolicited Response (My Apps tile, launch URL).
    #[serde(rename = "idp-initiated")]
    IdpInitiated,
}

impl SsoMode {
    /// How the portal says it.
    pub fn label(self) -> &'static str {
        match self {
            SsoMode::SpInitiated => "SP-initiated",
            SsoMode::IdpInitiated => "IdP-initiated",
        }
    }
}

/// What the vendor wants to receive to trust Sesame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertificateFormat {
    /// Certificate (Base64): the PEM certificate (`sesame app cert APP --pem`).
    CertificateBase64,
    /// Certificate (Raw): DER (`sesame app cert APP --der`).
    CertificateRaw,
    /// Federation Metadata XML (`sesame app cert APP --metadata`).
    FederationMetadataXml,
    /// App Federation Metadata URL (`sesame app show APP`).
    AppFederationMetadataUrl,
    /// The SHA-1 thumbprint of the signing certificate (`sesame app cert APP --list`).
    CertificateThumbprint,
}

impl CertificateFormat {
    /// How the portal says it.
    pub fn label(self) -> &'static str {
        match self {
            CertificateFormat::CertificateBase64 => "Certificate (Base64)",
            CertificateFormat::CertificateRaw => "Certificate (Raw)",
            CertificateFormat::FederationMetadataXml => "Federation Metadata XML",
            CertificateFormat::AppFederationMetadataUrl => "App Federation Metadata URL",
            CertificateFormat::CertificateThumbprint => "Thumbprint",
        }
    }
}

/// What Sesame signs, when the vendor says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TemplateSign {
    /// The Response only.
    Response,
    /// The Assertion only.
    Assertion,
    /// Both.
    Both,
}

impl From<TemplateSign> for crate::model::SignMode {
    fn from(s: TemplateSign) -> Self {
        match s {
            TemplateSign::Response => crate::model::SignMode::Response,
            TemplateSign::Assertion => crate::model::SignMode::Assertion,
            TemplateSign::Both => crate::model::SignMode::Both,
        }
    }
}

/// How a URL field of a template is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlRule {
    /// The vendor's fixed value: pre-filled, and the only value accepted.
    Fixed(String),
    /// Patterns: a value must fit one of them; `default` (a literal one) is pre-filled.
    Patterns {
        /// 1 to 16 patterns.
        patterns: Vec<Pattern>,
        /// The value pre-filled when the app is added.
        default: Option<String>,
    },
    /// The vendor gives the value to each customer (support, console, SP metadata); any
    /// value passing Sesame's own field rules is accepted.
    VendorProvided,
}

/// A URL field of a template (Identifier, Reply URL, Sign on URL, Logout URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawUrlField", into = "RawUrlField")]
pub struct UrlField {
    /// Fixed, patterns, or vendor-provided.
    pub rule: UrlRule,
    /// Where the administrator finds the value.
    pub hint: Option<String>,
    /// Single sign-on needs a value: without one the app is "SAML not configured"
    /// (`crate::apps::missing_settings`).
    pub required: bool,
}

impl UrlField {
    /// The fixed value, if any.
    pub fn fixed(&self) -> Option<&str> {
        match &self.rule {
            UrlRule::Fixed(v) => Some(v),
            _ => None,
        }
    }

    /// The patterns (empty unless `kind = "pattern"`).
    pub fn patterns(&self) -> &[Pattern] {
        match &self.rule {
            UrlRule::Patterns { patterns, .. } => patterns,
            _ => &[],
        }
    }

    /// The value pre-filled when the app is added: the fixed value or the default.
    pub fn prefill(&self) -> Option<&str> {
        match &self.rule {
            UrlRule::Fixed(v) => Some(v),
            UrlRule::Patterns { default, .. } => default.as_deref(),
            UrlRule::VendorProvided => None,
        }
    }

    /// Whether `value` is allowed: equal to the fixed value, fitting a pattern, or
    /// anything for a vendor-provided field.
    pub fn allows(&self, value: &str) -> bool {
        match &self.rule {
            UrlRule::Fixed(v) => v == value || crate::model::app::reply_urls_match(v, value),
            UrlRule::Patterns { patterns, .. } => patterns.iter().any(|p| p.matches(value)),
            UrlRule::VendorProvided => true,
        }
    }

    /// What is expected, as refusal messages say it: `the value X`, `the pattern P`,
    /// `one of the patterns P1, P2`.
    pub fn expected(&self) -> String {
        match &self.rule {
            UrlRule::Fixed(v) => format!("the fixed value {v}"),
            UrlRule::Patterns { patterns, .. } if patterns.len() == 1 => {
                format!("the pattern {}", patterns[0])
            }
            UrlRule::Patterns { patterns, .. } => format!(
                "one of the patterns {}",
                patterns
                    .iter()
                    .map(Pattern::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            UrlRule::VendorProvided => "the value the vendor provides".to_owned(),
        }
    }

    /// What the portal shows: the value, the patterns, or "vendor-provided".
    pub fn describe(&self) -> String {
        let base = self.value_text();
        match &self.hint {
            Some(h) if !h.is_empty() => format!("{base} — {h}"),
            _ => base,
        }
    }

    /// The fixed value, the patterns (`P1 | P2`) or `(vendor-provided)`, without the hint.
    pub fn value_text(&self) -> String {
        match &self.rule {
            UrlRule::Fixed(v) => v.clone(),
            UrlRule::Patterns { patterns, .. } => patterns
                .iter()
                .map(Pattern::as_str)
                .collect::<Vec<_>>()
                .join(" | "),
            UrlRule::VendorProvided => "(vendor-provided)".to_owned(),
        }
    }
}

/// `kind` of a URL field in a gallery file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum UrlKind {
    Fixed,
    Pattern,
    VendorProvided,
}

/// A URL field as written in a gallery file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUrlField {
    kind: UrlKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    patterns: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
    required: bool,
}

/// Most patterns of one field.
const MAX_PATTERNS: usize = 16;

impl TryFrom<RawUrlField> for UrlField {
    type Error = String;
    fn try_from(r: RawUrlField) -> Result<Self, String> {
        let rule = match (r.kind, r.value, r.patterns, r.default) {
            (UrlKind::Fixed, Some(v), None, None) => {
                if v.is_empty() || v.contains(['<', '>']) || v.chars().any(char::is_whitespace) {
                    return Err(format!(
                        "fixed value {v:?} must be one value without placeholders or spaces"
                    ));
                }
                if !r.required {
                    return Err("a fixed field must have required = true".into());
                }
                UrlRule::Fixed(v)
            }
            (UrlKind::Pattern, None, Some(ps), default) => {
                if ps.is_empty() || ps.len() > MAX_PATTERNS {
                    return Err(format!("patterns: give 1 to {MAX_PATTERNS}"));
                }
                let patterns = ps
                    .iter()
                    .map(|p| Pattern::parse(p).map_err(|e| e.to_string()))
                    .collect::<Result<Vec<_>, _>>()?;
                if let Some(d) = &default {
                    if !patterns.iter().any(|p| p.is_literal() && p.as_str() == d) {
                        return Err(format!(
                            "default {d:?} must equal one of the patterns without placeholders"
                        ));
                    }
                }
                UrlRule::Patterns { patterns, default }
            }
            (UrlKind::VendorProvided, None, None, None) => {
                if r.hint.as_deref().is_none_or(|h| h.trim().is_empty()) {
                    return Err("kind = \"vendor-provided\" needs a hint".into());
                }
                UrlRule::VendorProvided
            }
            (UrlKind::Fixed, ..) => return Err("kind = \"fixed\" takes `value` only".into()),
            (UrlKind::Pattern, ..) => {
                return Err("kind = \"pattern\" takes `patterns` (and `default`) only".into())
            }
            (UrlKind::VendorProvided, ..) => {
                return Err(
                    "kind = \"vendor-provided\" takes no `value`, `patterns` or `default`".into(),
                )
            }
        };
        Ok(UrlField {
            rule,
            hint: r.hint,
            required: r.required,
        })
    }
}

impl From<UrlField> for RawUrlField {
    fn from(f: UrlField) -> Self {
        let (kind, value, patterns, default) = match f.rule {
            UrlRule::Fixed(v) => (UrlKind::Fixed, Some(v), None, None),
            UrlRule::Patterns { patterns, default } => (
                UrlKind::Pattern,
                None,
                Some(patterns.iter().map(|p| p.as_str().to_owned()).collect()),
                default,
            ),
            UrlRule::VendorProvided => (UrlKind::VendorProvided, None, None, None),
        };
        RawUrlField {
            kind,
            value,
            patterns,
            default,
            hint: f.hint,
            required: f.required,
        }
    }
}

/// The NameID (Unique User Identifier) the vendor expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateNameId {
    /// Source: an expression of the claims engine (`user.mail`).
    pub source: String,
    /// `default`, `emailAddress`, `persistent`, `unspecified`, `transient`,
    /// `windowsDomainQualifiedName`.
    pub format: String,
    /// Plain text for the administrator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// A claim the vendor expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateClaim {
    /// Claim name (`firstname`, `urn:oid:0.9.2342.19200300.100.1.3`).
    pub name: String,
    /// Namespace without a trailing `/`; empty for a bare name.
    pub namespace: String,
    /// Source: an expression of the claims engine (`user.mail`, `user.groups`).
    pub source: String,
    /// `unspecified` | `uri` | `basic`.
    pub name_format: String,
    /// The vendor's document lists it: `sesame app preview` fails when it would be
    /// missing or empty. `false` for the IdP default claims a document only shows.
    pub required: bool,
}

impl TemplateClaim {
    /// The Attribute Name sent: `namespace/name`, or the bare name without a namespace.
    pub fn full_name(&self) -> String {
        if self.namespace.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.namespace, self.name)
        }
    }

    /// The NameFormat URI sent.
    pub fn name_format_uri(&self) -> &'static str {
        match self.name_format.as_str() {
            "uri" => "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
            "basic" => "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
            _ => "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified",
        }
    }
}

/// One gallery application (schema: `gallery/README.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Schema version: 1.
    pub schema: u32,
    /// Id: `^[a-z0-9]+(-[a-z0-9]+)*$`, equal to the file name without `.toml`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Publisher.
    pub publisher: String,
    /// One or two sentences.
    pub description: String,
    /// The product's home page (https).
    pub homepage: String,
    /// 1 to 3 categories from the fixed list.
    pub categories: Vec<String>,
    /// Supported SSO modes.
    pub sso_modes: Vec<SsoMode>,
    /// At most one app from this template per tenant.
    pub single_instance: bool,
    /// Configured by uploading the vendor's SP metadata (fills Identifier and Reply URL).
    pub metadata_upload: bool,
    /// What the vendor wants to trust Sesame.
    pub certificate_format: CertificateFormat,
    /// What to sign, when the vendor says (else Sesame's default, both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign: Option<TemplateSign>,
    /// The public SSO documentation the values come from (https).
    pub source: String,
    /// The vendor's support contact (mailto: or https URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support: Option<String>,
    /// AuthnContextClassRef values the vendor may request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authn_context_class_refs: Vec<String>,
    /// Just-in-time provisioning notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jit_provisioning: Option<String>,
    /// Notes about claims the document shows only in a screenshot or leaves to the vendor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims_hint: Option<String>,
    /// "Configure <app> SSO": the steps, one a line.
    pub instructions: String,
    /// A small original SVG logo.
    pub logo_svg: String,
    /// Identifier (Entity ID).
    pub identifier: UrlField,
    /// Reply URL (Assertion Consumer Service URL).
    pub reply_url: UrlField,
    /// Sign on URL (absent: none documented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_on_url: Option<UrlField>,
    /// Logout URL (absent: none documented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logout_url: Option<UrlField>,
    /// NameID.
    pub nameid: TemplateNameId,
    /// The claims the app expects (its whole attribute set as the document shows it).
    #[serde(default)]
    pub claims: Vec<TemplateClaim>,
}

impl Template {
    /// The claims the vendor's document requires (`required = true`), for `sesame app
    /// preview`'s check.
    pub fn required_claims(&self) -> impl Iterator<Item = &TemplateClaim> {
        self.claims.iter().filter(|c| c.required)
    }

    /// Whether the vendor supports `mode`.
    pub fn supports(&self, mode: SsoMode) -> bool {
        self.sso_modes.contains(&mode)
    }

    /// The NameID format URI of [`TemplateNameId::format`]; `None` for `default`.
    pub fn nameid_format_uri(&self) -> Option<&'static str> {
        nameid_format_uri(&self.nameid.format)
    }

    /// Whether `text` (case-insensitive) is in the id, name, publisher, description or a
    /// category.
    pub fn matches_search(&self, text: &str) -> bool {
        let t = text.trim().to_lowercase();
        t.is_empty()
            || [&self.id, &self.name, &self.publisher, &self.description]
                .iter()
                .any(|f| f.to_lowercase().contains(&t))
            || self
                .categories
                .iter()
                .any(|c| c.to_lowercase().contains(&t))
    }
}

/// The URI of a gallery NameID format name; `None` for `default` or an unknown name.
pub fn nameid_format_uri(format: &str) -> Option<&'static str> {
    Some(match format {
        "emailAddress" => "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        "persistent" => "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        "unspecified" => "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
        "transient" => "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
        "windowsDomainQualifiedName" => {
            "urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName"
        }
        _ => return None,
    })
}
