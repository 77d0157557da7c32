//! Claim records: the claims of an application (name, namespace, SAML NameFormat and a
//! source expression), the NameID configuration and formats, group claims, the default
//! claims of a new application, and the limits every claim respects. The expression
//! grammar itself (re-exported here) is in `expr.rs`. Evaluation, the persistent NameID and storage live in
//! `crate::apps::claims`.

mod expr;

pub use expr::*;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Namespace of the default claims.
pub const DEFAULT_NAMESPACE: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims";
/// Default name of the group claim.
pub const GROUPS_CLAIM: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups";
/// The claim that replaces the groups beyond [`MAX_GROUPS`] (Azure AD's overage claim).
pub const GROUPS_LINK_CLAIM: &str = "http://schemas.microsoft.com/claims/groups.link";
/// The role claim.
pub const ROLE_CLAIM: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role";
/// Most groups one assertion carries; beyond, [`GROUPS_LINK_CLAIM`] replaces them.
pub const MAX_GROUPS: usize = 150;
/// Longest value a transformation may produce, bytes; longer ones are dropped.
pub const MAX_VALUE_LEN: usize = 16 * 1024;
/// Most claims an application may have.
pub const MAX_CLAIMS: usize = 100;
/// Longest claim name or namespace, characters.
pub const MAX_NAME_LEN: usize = 256;

const URI_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";
const BASIC_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";

// ---------------------------------------------------------------------------------------
// Claims, NameID, group claims

/// SAML `NameFormat` of an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameFormat {
    /// No `NameFormat` attribute (SAML's default, unspecified), as Azure AD sends.
    #[default]
    Unspecified,
    /// `urn:oasis:names:tc:SAML:2.0:attrname-format:uri`
    Uri,
    /// `urn:oasis:names:tc:SAML:2.0:attrname-format:basic`
    Basic,
}

impl NameFormat {
    /// `unspecified` | `uri` | `basic`.
    pub fn as_str(self) -> &'static str {
        match self {
            NameFormat::Unspecified => "unspecified",
            NameFormat::Uri => "uri",
            NameFormat::Basic => "basic",
        }
    }

    /// What the portal shows: `omitted` (no `NameFormat` attribute is sent), `uri`,
    /// `basic`.
    pub fn label(self) -> &'static str {
        match self {
            NameFormat::Unspecified => "omitted",
            other => other.as_str(),
        }
    }

    /// The `NameFormat` URI sent, `None` for unspecified.
    pub fn uri(self) -> Option<&'static str> {
        match self {
            NameFormat::Unspecified => None,
            NameFormat::Uri => Some(URI_FORMAT),
            NameFormat::Basic => Some(BASIC_FORMAT),
        }
    }
}

impl FromStr for NameFormat {
    type Err = ClaimError;
    fn from_str(s: &str) -> Result<Self, ClaimError> {
        match s.trim().to_ascii_lowercase().as_str() {
            ""
            | "unspecified"
            | "omitted"
            | "urn:oasis:names:tc:saml:2.0:attrname-format:unspecified" => {
                Ok(NameFormat::Unspecified)
            }
            "uri" | "urn:oasis:names:tc:saml:2.0:attrname-format:uri" => Ok(NameFormat::Uri),
            "basic" | "urn:oasis:names:tc:saml:2.0:attrname-format:basic" => Ok(NameFormat::Basic),
            _ => Err(ClaimError::Invalid {
                field: "name format",
                reason: format!("{s:?} is not one of unspecified (omitted), uri, basic"),
            }),
        }
    }
}

impl fmt::Display for NameFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for NameFormat {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for NameFormat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// One claim of an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// Name (`givenname`, `uid`, `urn:oid:0.9.2342.19200300.100.1.3`).
    pub name: String,
    /// Namespace; `""` gives the bare name (Webex's `uid`).
    #[serde(default)]
    pub namespace: String,
    /// NameFormat.
    #[serde(default)]
    pub name_format: NameFormat,
    /// Source: attribute, constant or transformation.
    pub source: Expr,
}

impl Claim {
    /// A claim with the unspecified name format.
    pub fn new(namespace: &str, name: &str, source: Expr) -> Claim {
        Claim {
            name: name.to_owned(),
            namespace: namespace.to_owned(),
            name_format: NameFormat::Unspecified,
            source,
        }
    }

    /// The attribute `Name` sent: `namespace/name`, or `name` when the namespace is empty
    /// (a namespace ending with `/` is not doubled).
    pub fn full_name(&self) -> String {
        full_name(&self.namespace, &self.name)
    }

    /// A hint when the name format does not suit the name: an attribute named by a URN
    /// (`urn:oid:…`) is usually expected with the `uri` name format, which says so.
    pub fn name_format_hint(&self) -> Option<String> {
        let full = self.full_name();
        let urn = full
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
        (urn && self.name_format != NameFormat::Uri).then(|| {
            format!(
                "{full} is a URN: service providers usually expect the name format uri for it (now {})",
                self.name_format.label()
            )
        })
    }

    /// Whether [`Claim::full_name`] is `target`, without building it.
    pub fn has_full_name(&self, target: &str) -> bool {
        let ns = self.namespace.as_str();
        if ns.is_empty() {
            return self.name == target;
        }
        let rest = target.strip_prefix(ns).and_then(|r| {
            if ns.ends_with('/') {
                Some(r)
            } else {
                r.strip_prefix('/')
            }
        });
        rest == Some(self.name.as_str())
    }
}

/// The attribute `Name` of `name` under `namespace` (see [`Claim::full_name`]).
pub fn full_name(namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        name.to_owned()
    } else if namespace.ends_with('/') {
        format!("{namespace}{name}")
    } else {
        format!("{namespace}/{name}")
    }
}

/// The default claims of a new application (Azure AD's): givenname, surname,
/// emailaddress, name under [`DEFAULT_NAMESPACE`].
pub fn default_claims() -> Vec<Claim> {
    [
        ("givenname", SourceAttribute::GivenName),
        ("surname", SourceAttribute::Surname),
        ("emailaddress", SourceAttribute::Mail),
        ("name", SourceAttribute::UserPrincipalName),
    ]
    .into_iter()
    .map(|(n, a)| Claim::new(DEFAULT_NAMESPACE, n, Expr::Attribute(a)))
    .collect()
}

/// NameID formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameIdFormat {
    /// The default format of the source: emailAddress for `user.mail` and
    /// `user.userprincipalname`, unspecified otherwise. A request's NameIDPolicy may ask
    /// for persistent or transient.
    Default,
    /// `urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress`
    #[default]
    EmailAddress,
    /// `urn:oasis:names:tc:SAML:2.0:nameid-format:persistent`: a stable pseudonymous
    /// identifier per application (not the source attribute).
    Persistent,
    /// `urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified`
    Unspecified,
    /// `urn:oasis:names:tc:SAML:2.0:nameid-format:transient`: a new random value for
    /// every sign-in.
    Transient,
    /// `urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName`
    WindowsDomainQualifiedName,
}

/// emailAddress.
pub const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
/// persistent.
pub const NAMEID_PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
/// transient.
pub const NAMEID_TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
/// unspecified.
pub const NAMEID_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
/// WindowsDomainQualifiedName.
pub const NAMEID_WINDOWS: &str =
    "urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName";

const NAMEID_FORMATS: &[(&str, NameIdFormat, &str)] = &[
    ("default", NameIdFormat::Default, "default"),
    ("emailAddress", NameIdFormat::EmailAddress, NAMEID_EMAIL),
    ("persistent", NameIdFormat::Persistent, NAMEID_PERSISTENT),
    ("unspecified", NameIdFormat::Unspecified, NAMEID_UNSPECIFIED),
    ("transient", NameIdFormat::Transient, NAMEID_TRANSIENT),
    (
        "windowsDomainQualifiedName",
        NameIdFormat::WindowsDomainQualifiedName,
        NAMEID_WINDOWS,
    ),
];

impl NameIdFormat {
    /// The CLI name: `default`, `emailAddress`, `persistent`, `unspecified`, `transient`,
    /// `windowsDomainQualifiedName`.
    pub fn as_str(self) -> &'static str {
        NAMEID_FORMATS
            .iter()
            .find(|(_, f, _)| *f == self)
            .map_or("default", |(n, _, _)| n)
    }

    /// What `apps.nameid_format` stores: the format URI, or `default`.
    pub fn stored(self) -> &'static str {
        NAMEID_FORMATS
            .iter()
            .find(|(_, f, _)| *f == self)
            .map_or("default", |(_, _, u)| u)
    }

    /// The format URI sent for `source` when the request does not ask for one.
    pub fn uri_for(self, source: &Expr) -> &'static str {
        match self {
            NameIdFormat::Default => match source.as_attribute() {
                Some(SourceAttribute::Mail | SourceAttribute::UserPrincipalName) => NAMEID_EMAIL,
                _ => NAMEID_UNSPECIFIED,
            },
            other => other.stored(),
        }
    }

    /// Parses a CLI name (case-insensitive) or a format URI.
    pub fn parse(s: &str) -> Result<NameIdFormat, ClaimError> {
        let t = s.trim();
        NAMEID_FORMATS
            .iter()
            .find(|(n, _, u)| n.eq_ignore_ascii_case(t) || *u == t)
            .map(|(_, f, _)| *f)
            .ok_or_else(|| ClaimError::Invalid {
                field: "NameID format",
                reason: format!(
                    "{s:?} is not one of default, emailAddress, persistent, unspecified, transient, windowsDomainQualifiedName"
                ),
            })
    }
}

impl FromStr for NameIdFormat {
    type Err = ClaimError;
    fn from_str(s: &str) -> Result<Self, ClaimError> {
        NameIdFormat::parse(s)
    }
}

impl fmt::Display for NameIdFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for NameIdFormat {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for NameIdFormat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        NameIdFormat::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// The Unique User Identifier (NameID) of an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameIdConfig {
    /// Source (an expression; usually an attribute).
    pub source: Expr,
    /// Format.
    pub format: NameIdFormat,
}

impl Default for NameIdConfig {
    /// `user.userprincipalname`, emailAddress.
    fn default() -> Self {
        NameIdConfig {
            source: Expr::Attribute(SourceAttribute::UserPrincipalName),
            format: NameIdFormat::EmailAddress,
        }
    }
}

impl NameIdConfig {
    /// The format URI sent when the request does not ask for one.
    pub fn format_uri(&self) -> &'static str {
        self.format.uri_for(&self.source)
    }
}

/// Which groups a group claim carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupScope {
    /// Every group the user belongs to, transitively.
    All,
    /// Only those of them assigned to the application.
    AssignedToApp,
}

/// How a group is written in a group claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupEmit {
    /// Its object id.
    ObjectId,
    /// Its name.
    Name,
}

/// The group claim of an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupClaims {
    /// Which groups.
    pub scope: GroupScope,
    /// Ids or names.
    pub emit: GroupEmit,
    /// Claim name (default [`GROUPS_CLAIM`]).
    pub claim_name: String,
}

impl GroupClaims {
    /// Group claims with the default claim name.
    pub fn new(scope: GroupScope, emit: GroupEmit) -> GroupClaims {
        GroupClaims {
            scope,
            emit,
            claim_name: GROUPS_CLAIM.to_owned(),
        }
    }
}

impl GroupScope {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            GroupScope::All => "all",
            GroupScope::AssignedToApp => "assigned",
        }
    }
}

impl GroupEmit {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            GroupEmit::ObjectId => "id",
            GroupEmit::Name => "name",
        }
    }
}
