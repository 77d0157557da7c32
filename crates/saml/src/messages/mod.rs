//! SAML protocol messages: AuthnRequest, Response/Assertion, LogoutRequest/LogoutResponse,
//! Status.
//!
//! Parsers read a message from one element (`from_element`) or from text (`parse`, which
//! goes through [`crate::xml::parse`] with [`crate::xml::Limits::MESSAGE`]). Writers produce
//! text that is already in Exclusive XML Canonicalization form (namespace declarations
//! first, then attributes sorted by name, empty elements as start and end tags, no
//! whitespace between elements), so that a signature can be computed over the bytes as
//! written, without parsing them again.

pub mod authn_request;
pub mod logout;
pub mod response;
pub mod status;

pub use authn_request::{AuthnRequest, Comparison, NameIdPolicy, RequestedAuthnContext};
pub use logout::{LogoutRequest, LogoutResponse};
pub use response::{
    build_response, AssertionParams, Attribute, AuthnStatement, Conditions, ParsedAssertion,
    ParsedAuthnStatement, ParsedConditions, ParsedResponse, ParsedSubjectConfirmation,
    ResponseParams, SignTarget, Signer, SubjectConfirmation,
};
pub use status::{Status, StatusCode};

use crate::error::{Error, Result};
use crate::time::Timestamp;
use crate::xml::{self, NS_SAML, NS_SAMLP};
use roxmltree::Node;

/// `urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified`
pub const NAMEID_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
/// `urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress`
pub const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
/// `urn:oasis:names:tc:SAML:2.0:nameid-format:persistent`
pub const NAMEID_PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
/// `urn:oasis:names:tc:SAML:2.0:nameid-format:transient`
pub const NAMEID_TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
/// `urn:oasis:names:tc:SAML:2.0:nameid-format:entity` (the format of an Issuer)
pub const NAMEID_ENTITY: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";

/// `urn:oasis:names:tc:SAML:2.0:attrname-format:uri`
pub const ATTRNAME_URI: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";
/// `urn:oasis:names:tc:SAML:2.0:attrname-format:basic`
pub const ATTRNAME_BASIC: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";
/// `urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified`
pub const ATTRNAME_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified";

/// The bearer subject confirmation method, `urn:oasis:names:tc:SAML:2.0:cm:bearer`.
pub const CM_BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// `urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport`
pub const AC_PASSWORD_PROTECTED_TRANSPORT: &str =
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
/// `urn:oasis:names:tc:SAML:2.0:ac:classes:Password`
pub const AC_PASSWORD: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password";
/// `urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified`
pub const AC_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified";

/// A `<saml:NameID>`: the subject's identifier.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameId {
    /// The identifier itself (every text node concatenated, see [`xml::text`]).
    pub value: String,
    /// `Format` (a nameid-format URI); absent means unspecified.
    pub format: Option<String>,
    /// `NameQualifier`.
    pub name_qualifier: Option<String>,
    /// `SPNameQualifier`.
    pub sp_name_qualifier: Option<String>,
}

impl NameId {
    /// A NameID with only a value and a format.
    pub fn new(value: impl Into<String>, format: Option<&str>) -> Self {
        NameId {
            value: value.into(),
            format: format.map(str::to_owned),
            name_qualifier: None,
            sp_name_qualifier: None,
        }
    }

    /// Reads a `<saml:NameID>` element.
    pub fn from_element(node: Node<'_, '_>) -> Result<Self> {
        if !xml::is(node, NS_SAML, "NameID") {
            return Err(unexpected(node, "saml:NameID"));
        }
        let value = xml::trimmed_text(node, "NameID")?;
        if value.is_empty() {
            return Err(Error::Invalid {
                element: "NameID",
                what: "value",
                detail: "it is empty".into(),
            });
        }
        Ok(NameId {
            value,
            format: opt_attr(node, "Format"),
            name_qualifier: opt_attr(node, "NameQualifier"),
            sp_name_qualifier: opt_attr(node, "SPNameQualifier"),
        })
    }

    /// Upper bound of the bytes [`NameId::write`] appends (before escaping).
    pub(crate) fn size_hint(&self) -> usize {
        100 + self.value.len()
            + self.format.as_ref().map_or(0, String::len)
            + self.name_qualifier.as_ref().map_or(0, String::len)
            + self.sp_name_qualifier.as_ref().map_or(0, String::len)
    }

    /// Appends `<NameID …>value</NameID>`; `xmlns_saml` adds the default namespace
    /// declaration (when the parent is not already in the assertion namespace).
    pub(crate) fn write(&self, out: &mut String, xmlns_saml: bool) {
        out.push_str("<NameID");
        if xmlns_saml {
            out.push_str(" xmlns=\"");
            out.push_str(NS_SAML);
            out.push('"');
        }
        // Sorted: Format, NameQualifier, SPNameQualifier.
        w_opt_attr(out, "Format", self.format.as_deref());
        w_opt_attr(out, "NameQualifier", self.name_qualifier.as_deref());
        w_opt_attr(out, "SPNameQualifier", self.sp_name_qualifier.as_deref());
        out.push('>');
        w_text(out, &self.value);
        out.push_str("</NameID>");
    }

    /// Refuses values XML cannot carry (see [`check_chars`]).
    pub(crate) fn check(&self) -> Result<()> {
        check_chars(&self.value, "NameID")?;
        for v in [&self.format, &self.name_qualifier, &self.sp_name_qualifier]
            .into_iter()
            .flatten()
        {
            check_chars(v, "NameID")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Reading helpers shared by the message parsers.

/// The header every SAML protocol message shares: checks that `node` is
/// `<samlp:{element}>` with Version 2.0, and returns its ID and IssueInstant.
pub(crate) fn protocol_header(
    node: Node<'_, '_>,
    element: &'static str,
    qname: &'static str,
) -> Result<(String, Timestamp)> {
    if !xml::is(node, NS_SAMLP, element) {
        return Err(unexpected(node, qname));
    }
    check_version(node, element)?;
    let id = req_id(node, element)?;
    let issue_instant = req_time(node, element, "IssueInstant")?;
    Ok((id, issue_instant))
}

/// "expected a X element, found {ns}local".
pub(crate) fn unexpected(node: Node<'_, '_>, expected: &'static str) -> Error {
    let found = if node.is_element() {
        match node.tag_name().namespace() {
            Some(ns) => format!("<{}> in namespace {ns}", xml::element_qname(node)),
            None => format!("<{}> in no namespace", xml::element_qname(node)),
        }
    } else {
        "a non-element node".to_owned()
    };
    Error::UnexpectedElement { expected, found }
}

/// An optional attribute in no namespace, as an owned string.
pub(crate) fn opt_attr(node: Node<'_, '_>, name: &str) -> Option<String> {
    node.attribute(name).map(str::to_owned)
}

/// A required attribute in no namespace.
pub(crate) fn req_attr<'a>(
    node: Node<'a, '_>,
    element: &'static str,
    name: &'static str,
) -> Result<&'a str> {
    node.attribute(name).ok_or(Error::Missing {
        element,
        what: name,
    })
}

/// The `ID` attribute: required, non-empty, no whitespace.
pub(crate) fn req_id(node: Node<'_, '_>, element: &'static str) -> Result<String> {
    let id = req_attr(node, element, "ID")?;
    if id.is_empty() || id.chars().any(|c| c.is_whitespace()) || id.len() > 256 {
        return Err(Error::Invalid {
            element,
            what: "ID",
            detail: format!("\"{}\" is not an XML ID", shorten(id)),
        });
    }
    Ok(id.to_owned())
}

/// `Version="2.0"`, required.
pub(crate) fn check_version(node: Node<'_, '_>, element: &'static str) -> Result<()> {
    let v = req_attr(node, element, "Version")?;
    if v != "2.0" {
        return Err(Error::UnsupportedVersion {
            element,
            version: shorten(v),
        });
    }
    Ok(())
}

/// An optional xs:dateTime attribute.
pub(crate) fn opt_time(
    node: Node<'_, '_>,
    element: &'static str,
    name: &'static str,
) -> Result<Option<Timestamp>> {
    match node.attribute(name) {
        None => Ok(None),
        Some(v) => Timestamp::parse_xs_datetime(v)
            .map(Some)
            .map_err(|e| Error::Invalid {
                element,
                what: name,
                detail: e.to_string(),
            }),
    }
}

/// A required xs:dateTime attribute.
pub(crate) fn req_time(
    node: Node<'_, '_>,
    element: &'static str,
    name: &'static str,
) -> Result<Timestamp> {
    opt_time(node, element, name)?.ok_or(Error::Missing {
        element,
        what: name,
    })
}

/// An optional xs:boolean attribute (`true`, `false`, `1`, `0`).
pub(crate) fn opt_bool(
    node: Node<'_, '_>,
    element: &'static str,
    name: &'static str,
) -> Result<Option<bool>> {
    match node.attribute(name).map(str::trim) {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(other) => Err(Error::Invalid {
            element,
            what: name,
            detail: format!(
                "\"{}\" is not a boolean (true, false, 1 or 0)",
                shorten(other)
            ),
        }),
    }
}

/// The only child `ns:local` of `node`, if any; two of them is an error.
pub(crate) fn opt_single_child<'a, 'input>(
    node: Node<'a, 'input>,
    ns: &str,
    local: &'static str,
    element: &'static str,
) -> Result<Option<Node<'a, 'input>>> {
    let mut it = node.children().filter(|n| xml::is(*n, ns, local));
    let first = it.next();
    if first.is_some() && it.next().is_some() {
        return Err(Error::Invalid {
            element,
            what: local,
            detail: format!("there is more than one {local}"),
        });
    }
    Ok(first)
}

/// The required single child `ns:local` of `node`.
pub(crate) fn req_single_child<'a, 'input>(
    node: Node<'a, 'input>,
    ns: &str,
    local: &'static str,
    element: &'static str,
) -> Result<Node<'a, 'input>> {
    opt_single_child(node, ns, local, element)?.ok_or(Error::Missing {
        element,
        what: local,
    })
}

/// The `saml:Issuer` child of `node` (trimmed; at most one; not empty).
pub(crate) fn opt_issuer(node: Node<'_, '_>, element: &'static str) -> Result<Option<String>> {
    let Some(n) = opt_single_child(node, NS_SAML, "Issuer", element)? else {
        return Ok(None);
    };
    let v = xml::trimmed_text(n, "Issuer")?;
    if v.is_empty() {
        return Err(Error::Invalid {
            element,
            what: "Issuer",
            detail: "it is empty".into(),
        });
    }
    Ok(Some(v))
}

/// A required `saml:Issuer`: "AuthnRequest has no Issuer".
pub(crate) fn req_issuer(node: Node<'_, '_>, element: &'static str) -> Result<String> {
    opt_issuer(node, element)?.ok_or(Error::Missing {
        element,
        what: "Issuer",
    })
}

/// Whether `node` has a direct `ds:Signature` child.
pub(crate) fn has_signature(node: Node<'_, '_>) -> bool {
    xml::child(node, xml::NS_DS, "Signature").is_some()
}

/// At most 64 bytes of `s`, for error messages.
pub(crate) fn shorten(s: &str) -> String {
    crate::error::shorten(s, 64)
}

// ---------------------------------------------------------------------------------------
// Writing helpers: canonical output, refusing characters XML 1.0 cannot carry.

/// Refuses characters that are not XML 1.0 `Char`s (control characters other than TAB,
/// LF, CR; U+FFFE; U+FFFF): they would make the document ill-formed.
pub(crate) fn check_chars(s: &str, element: &'static str) -> Result<()> {
    match s.chars().find(|&c| is_bad_char(c)) {
        None => Ok(()),
        Some(c) => Err(Error::Invalid {
            element,
            what: "content",
            detail: format!(
                "it contains the character U+{:04X}, which XML cannot carry",
                u32::from(c)
            ),
        }),
    }
}

fn is_bad_char(c: char) -> bool {
    (c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
}

/// `s` with characters XML cannot carry replaced by U+FFFD (borrowed when there is none).
fn sanitized(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(is_bad_char) {
        std::borrow::Cow::Owned(
            s.chars()
                .map(|c| if is_bad_char(c) { '\u{FFFD}' } else { c })
                .collect(),
        )
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Appends escaped text content (characters XML cannot carry become U+FFFD; strict
/// callers check with [`check_chars`] first).
pub(crate) fn w_text(out: &mut String, s: &str) {
    xml::escape_text(out, &sanitized(s));
}

/// Appends ` name="value"` (value escaped, as [`w_text`]).
pub(crate) fn w_attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    xml::escape_attr(out, &sanitized(value));
    out.push('"');
}

/// Appends ` name="value"` when `value` is present.
pub(crate) fn w_opt_attr(out: &mut String, name: &str, value: Option<&str>) {
    if let Some(v) = value {
        w_attr(out, name, v);
    }
}

/// Appends ` name="2026-…Z"`.
pub(crate) fn w_time_attr(out: &mut String, name: &str, t: Timestamp) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    t.write_xs_datetime(out);
    out.push('"');
}

/// A generated ID must be an NCName-like token: it ends up in `URI="#id"`.
pub(crate) fn check_id(id: &str, element: &'static str) -> Result<()> {
    let ok = id
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid {
            element,
            what: "ID",
            detail: format!(
                "\"{}\" is not an XML ID (it must start with a letter or _ and contain only letters, digits, _ - .)",
                shorten(id)
            ),
        })
    }
}

/// Appends `<Issuer xmlns="…assertion">value</Issuer>` (or without the declaration when
/// the assertion namespace is already the default).
pub(crate) fn w_issuer(out: &mut String, issuer: &str, xmlns_saml: bool) {
    if xmlns_saml {
        out.push_str("<Issuer xmlns=\"");
        out.push_str(NS_SAML);
        out.push_str("\">");
    } else {
        out.push_str("<Issuer>");
    }
    w_text(out, issuer);
    out.push_str("</Issuer>");
}

/// Inserts `sig` into `doc` right after the first `</Issuer>` at or after `from`; used by
/// the `to_signed_xml` helpers of messages written canonical by construction.
pub(crate) fn insert_after_issuer(doc: &mut String, from: usize, sig: &str) -> Result<()> {
    const END: &str = "</Issuer>";
    let pos = doc
        .get(from..)
        .and_then(|rest| rest.find(END))
        .map(|i| from + i + END.len())
        .ok_or_else(|| Error::Signature("no Issuer to place the Signature after".into()))?;
    doc.insert_str(pos, sig);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;
    use crate::xml::{parse, Limits};

    #[test]
    fn name_id_round_trip() {
        let n = NameId {
            value: "b.simon@contoso.com".into(),
            format: Some(NAMEID_EMAIL.into()),
            name_qualifier: Some("idp".into()),
            sp_name_qualifier: Some("sp&co".into()),
        };
        let mut s = String::new();
        n.write(&mut s, true);
        n.check().unwrap();
        assert_eq!(
            s,
            "<NameID xmlns=\"urn:oasis:names:tc:SAML:2.0:assertion\" Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\" NameQualifier=\"idp\" SPNameQualifier=\"sp&amp;co\">b.simon@contoso.com</NameID>"
        );
        let d = parse(&s, &Limits::MESSAGE).unwrap();
        assert_eq!(NameId::from_element(d.root_element()).unwrap(), n);
    }

    #[test]
    fn name_id_comment_and_errors() {
        let x = format!("<NameID xmlns=\"{NS_SAML}\">user@evil.com<!---->.attacker.com</NameID>");
        let d = parse(&x, &Limits::MESSAGE).unwrap();
        assert_eq!(
            NameId::from_element(d.root_element()).unwrap().value,
            "user@evil.com.attacker.com"
        );
        let x = format!("<NameID xmlns=\"{NS_SAML}\"> </NameID>");
        let d = parse(&x, &Limits::MESSAGE).unwrap();
        assert!(NameId::from_element(d.root_element())
            .unwrap_err()
            .to_string()
            .contains("NameID has an invalid value"));
        let d = parse("<NameID>x</NameID>", &Limits::MESSAGE).unwrap();
        assert!(matches!(
            NameId::from_element(d.root_element()),
            Err(Error::UnexpectedElement { .. })
        ));
    }

    #[test]
    fn control_chars_refused_or_replaced() {
        let e = check_chars("a\u{1}b", "AttributeValue").unwrap_err();
        assert!(e.to_string().contains("U+0001"), "{e}");
        assert!(check_chars("x\u{FFFF}", "Attribute").is_err());
        assert!(check_chars("tab\there\r\n", "AttributeValue").is_ok());
        let mut s = String::new();
        w_text(&mut s, "tab\there\r\n<");
        w_attr(&mut s, "a", "\u{1}\"\n");
        assert_eq!(s, "tab\there&#xD;\n&lt; a=\"\u{FFFD}&quot;&#xA;\"");
        assert!(NameId::new("a\u{0}", None).check().is_err());
    }

    #[test]
    fn ids_checked() {
        assert!(check_id("_abc-1.2", "Response").is_ok());
        assert!(check_id("id123", "Response").is_ok());
        for bad in ["", "1abc", "a b", "a\"b", "#x", "a<b"] {
            assert!(check_id(bad, "Response").is_err(), "{bad}");
        }
    }

    #[test]
    fn attribute_helpers() {
        let x = r#"<a ID="x" B="maybe" T="nope" Version="1.1"/>"#;
        let d = parse(x, &Limits::MESSAGE).unwrap();
        let r = d.root_element();
        assert_eq!(req_id(r, "A").unwrap(), "x");
        assert_eq!(
            req_attr(r, "A", "Missing").unwrap_err().to_string(),
            "A has no Missing"
        );
        assert!(opt_bool(r, "A", "B")
            .unwrap_err()
            .to_string()
            .contains("not a boolean"));
        assert_eq!(opt_bool(r, "A", "Z").unwrap(), None);
        assert!(matches!(
            opt_time(r, "A", "T"),
            Err(Error::Invalid { what: "T", .. })
        ));
        assert!(matches!(
            check_version(r, "A"),
            Err(Error::UnsupportedVersion { .. })
        ));
    }

    #[test]
    fn insert_after_issuer_works() {
        let mut s = String::from("<a><Issuer>x</Issuer><b></b></a>");
        insert_after_issuer(&mut s, 0, "<S></S>").unwrap();
        assert_eq!(s, "<a><Issuer>x</Issuer><S></S><b></b></a>");
        let mut s = String::from("<a></a>");
        assert!(insert_after_issuer(&mut s, 0, "<S></S>").is_err());
    }
}
