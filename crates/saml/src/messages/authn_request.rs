//! `<samlp:AuthnRequest>` (saml-core §3.4.1): reading what SPs send, and writing one for
//! SP-side use (Sesame's built-in test application and tests).

use super::{
    has_signature, insert_after_issuer, opt_attr, opt_bool, opt_single_child, protocol_header,
    req_issuer, w_attr, w_issuer, w_opt_attr, w_text, w_time_attr,
};
use crate::crypto::{Certificate, SignatureAlgorithm, SigningKey};
use crate::dsig;
use crate::error::{Error, Result};
use crate::time::Timestamp;
use crate::xml::{self, Limits, NS_SAML, NS_SAMLP};
use roxmltree::Node;

/// `Comparison` of a RequestedAuthnContext.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Comparison {
    /// `exact` (the default).
    #[default]
    Exact,
    /// `minimum`.
    Minimum,
    /// `maximum`.
    Maximum,
    /// `better`.
    Better,
}

impl Comparison {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Exact => "exact",
            Comparison::Minimum => "minimum",
            Comparison::Maximum => "maximum",
            Comparison::Better => "better",
        }
    }

    /// Reads the attribute value.
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim() {
            "exact" => Ok(Comparison::Exact),
            "minimum" => Ok(Comparison::Minimum),
            "maximum" => Ok(Comparison::Maximum),
            "better" => Ok(Comparison::Better),
            other => Err(Error::Invalid {
                element: "RequestedAuthnContext",
                what: "Comparison",
                detail: format!(
                    "\"{}\" is not one of exact, minimum, maximum, better",
                    super::shorten(other)
                ),
            }),
        }
    }
}

/// `<samlp:NameIDPolicy>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameIdPolicy {
    /// `Format`: the NameID format the SP wants.
    pub format: Option<String>,
    /// `AllowCreate`.
    pub allow_create: Option<bool>,
    /// `SPNameQualifier`.
    pub sp_name_qualifier: Option<String>,
}

/// `<samlp:RequestedAuthnContext>` with AuthnContextClassRef values.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestedAuthnContext {
    /// `Comparison` (exact when absent).
    pub comparison: Comparison,
    /// The requested class references, in order (at least one).
    pub class_refs: Vec<String>,
}

/// An `<samlp:AuthnRequest>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnRequest {
    /// `ID`: echoed as InResponseTo.
    pub id: String,
    /// `Version` (always "2.0" once parsed).
    pub version: String,
    /// `IssueInstant`.
    pub issue_instant: Timestamp,
    /// `Destination`: when present, must be the IdP endpoint that received it.
    pub destination: Option<String>,
    /// The SP's entity ID (`<saml:Issuer>`).
    pub issuer: String,
    /// `AssertionConsumerServiceURL`.
    pub acs_url: Option<String>,
    /// `AssertionConsumerServiceIndex`.
    pub acs_index: Option<u16>,
    /// `ProtocolBinding`: the binding the Response should use.
    pub protocol_binding: Option<String>,
    /// `<samlp:NameIDPolicy>`.
    pub name_id_policy: Option<NameIdPolicy>,
    /// `<samlp:RequestedAuthnContext>`.
    pub requested_authn_context: Option<RequestedAuthnContext>,
    /// `ForceAuthn`.
    pub force_authn: bool,
    /// `IsPassive`.
    pub is_passive: bool,
    /// `ProviderName`.
    pub provider_name: Option<String>,
    /// Whether the element has an enveloped `<ds:Signature>` child (not verified here).
    pub has_signature: bool,
}

impl AuthnRequest {
    /// A minimal request: `id`, `issue_instant`, `issuer`; everything else empty.
    pub fn new(id: impl Into<String>, issue_instant: Timestamp, issuer: impl Into<String>) -> Self {
        AuthnRequest {
            id: id.into(),
            version: "2.0".into(),
            issue_instant,
            destination: None,
            issuer: issuer.into(),
            acs_url: None,
            acs_index: None,
            protocol_binding: None,
            name_id_policy: None,
            requested_authn_context: None,
            force_authn: false,
            is_passive: false,
            provider_name: None,
            has_signature: false,
        }
    }

    /// Parses a whole document whose root is the AuthnRequest.
    pub fn parse(xml_text: &str) -> Result<Self> {
        let doc = xml::parse(xml_text, &Limits::MESSAGE)?;
        Self::from_element(doc.root_element())
    }

    /// Reads an `<samlp:AuthnRequest>` element (e.g. the one a signature verifier returned).
    pub fn from_element(node: Node<'_, '_>) -> Result<Self> {
        const E: &str = "AuthnRequest";
        let (id, issue_instant) = protocol_header(node, E, "samlp:AuthnRequest")?;
        let issuer = req_issuer(node, E)?;
        let acs_index = match node.attribute("AssertionConsumerServiceIndex") {
            None => None,
            Some(v) => Some(v.trim().parse::<u16>().map_err(|_| Error::Invalid {
                element: E,
                what: "AssertionConsumerServiceIndex",
                detail: format!("\"{}\" is not a number from 0 to 65535", super::shorten(v)),
            })?),
        };
        let name_id_policy = match opt_single_child(node, NS_SAMLP, "NameIDPolicy", E)? {
            None => None,
            Some(n) => Some(NameIdPolicy {
                format: opt_attr(n, "Format").map(|s| s.trim().to_owned()),
                allow_create: opt_bool(n, "NameIDPolicy", "AllowCreate")?,
                sp_name_qualifier: opt_attr(n, "SPNameQualifier"),
            }),
        };
        let requested_authn_context =
            match opt_single_child(node, NS_SAMLP, "RequestedAuthnContext", E)? {
                None => None,
                Some(n) => Some(read_requested_authn_context(n)?),
            };
        Ok(AuthnRequest {
            id,
            version: "2.0".into(),
            issue_instant,
            destination: opt_attr(node, "Destination").map(|s| s.trim().to_owned()),
            issuer,
            acs_url: opt_attr(node, "AssertionConsumerServiceURL").map(|s| s.trim().to_owned()),
            acs_index,
            protocol_binding: opt_attr(node, "ProtocolBinding").map(|s| s.trim().to_owned()),
            name_id_policy,
            requested_authn_context,
            force_authn: opt_bool(node, E, "ForceAuthn")?.unwrap_or(false),
            is_passive: opt_bool(node, E, "IsPassive")?.unwrap_or(false),
            provider_name: opt_attr(node, "ProviderName"),
            has_signature: has_signature(node),
        })
    }

    /// Writes the request, canonical by construction (exc-c14n form), without a signature.
    /// `version` and `has_signature` are not read: the output is always Version "2.0".
    /// Characters XML cannot carry are replaced by U+FFFD; an empty RequestedAuthnContext
    /// is left out (the schema requires a class reference).
    pub fn to_xml(&self) -> String {
        let mut out = String::with_capacity(1024);
        out.push_str("<samlp:AuthnRequest xmlns:samlp=\"");
        out.push_str(NS_SAMLP);
        out.push('"');
        // Attributes sorted by name (exc-c14n order).
        if let Some(i) = self.acs_index {
            out.push_str(" AssertionConsumerServiceIndex=\"");
            out.push_str(&i.to_string());
            out.push('"');
        }
        w_opt_attr(
            &mut out,
            "AssertionConsumerServiceURL",
            self.acs_url.as_deref(),
        );
        w_opt_attr(&mut out, "Destination", self.destination.as_deref());
        if self.force_authn {
            out.push_str(" ForceAuthn=\"true\"");
        }
        w_attr(&mut out, "ID", &self.id);
        if self.is_passive {
            out.push_str(" IsPassive=\"true\"");
        }
        w_time_attr(&mut out, "IssueInstant", self.issue_instant);
        w_opt_attr(
            &mut out,
            "ProtocolBinding",
            self.protocol_binding.as_deref(),
        );
        w_opt_attr(&mut out, "ProviderName", self.provider_name.as_deref());
        out.push_str(" Version=\"2.0\">");
        // Children in schema order: Issuer, (Signature), NameIDPolicy, RequestedAuthnContext.
        w_issuer(&mut out, &self.issuer, true);
        if let Some(p) = &self.name_id_policy {
            out.push_str("<samlp:NameIDPolicy");
            if let Some(b) = p.allow_create {
                out.push_str(if b {
                    " AllowCreate=\"true\""
                } else {
                    " AllowCreate=\"false\""
                });
            }
            w_opt_attr(&mut out, "Format", p.format.as_deref());
            w_opt_attr(&mut out, "SPNameQualifier", p.sp_name_qualifier.as_deref());
            out.push_str("></samlp:NameIDPolicy>");
        }
        if let Some(r) = self
            .requested_authn_context
            .as_ref()
            .filter(|r| !r.class_refs.is_empty())
        {
            out.push_str("<samlp:RequestedAuthnContext");
            w_attr(&mut out, "Comparison", r.comparison.as_str());
            out.push('>');
            for c in &r.class_refs {
                out.push_str("<AuthnContextClassRef xmlns=\"");
                out.push_str(NS_SAML);
                out.push_str("\">");
                w_text(&mut out, c);
                out.push_str("</AuthnContextClassRef>");
            }
            out.push_str("</samlp:RequestedAuthnContext>");
        }
        out.push_str("</samlp:AuthnRequest>");
        out
    }

    /// [`AuthnRequest::to_xml`] with an enveloped signature after the Issuer (for the
    /// HTTP-POST binding; the Redirect binding signs the query string instead). The ID
    /// must be a valid XML ID, as the signature refers to it.
    pub fn to_signed_xml(
        &self,
        key: &SigningKey,
        cert: Option<&Certificate>,
        alg: SignatureAlgorithm,
    ) -> Result<String> {
        super::check_id(&self.id, "AuthnRequest")?;
        let mut out = self.to_xml();
        let sig = dsig::enveloped_signature(out.as_bytes(), &self.id, key, cert, alg)?;
        insert_after_issuer(&mut out, 0, &sig)?;
        Ok(out)
    }
}

fn read_requested_authn_context(n: Node<'_, '_>) -> Result<RequestedAuthnContext> {
    const E: &str = "RequestedAuthnContext";
    let comparison = match n.attribute("Comparison") {
        None => Comparison::Exact,
        Some(v) => Comparison::parse(v)?,
    };
    if xml::child(n, NS_SAML, "AuthnContextDeclRef").is_some() {
        return Err(Error::Invalid {
            element: E,
            what: "content",
            detail: "AuthnContextDeclRef is not supported; use AuthnContextClassRef".into(),
        });
    }
    let mut class_refs = Vec::new();
    for c in xml::children(n, NS_SAML, "AuthnContextClassRef") {
        let v = xml::trimmed_text(c, "AuthnContextClassRef")?;
        if v.is_empty() {
            return Err(Error::Invalid {
                element: E,
                what: "AuthnContextClassRef",
                detail: "it is empty".into(),
            });
        }
        class_refs.push(v);
    }
    if class_refs.is_empty() {
        return Err(Error::Missing {
            element: E,
            what: "AuthnContextClassRef",
        });
    }
    Ok(RequestedAuthnContext {
        comparison,
        class_refs,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;
    use crate::messages::{AC_PASSWORD_PROTECTED_TRANSPORT, NAMEID_EMAIL};

    /// What a Cisco Webex-like SP sends (pretty-printed, prefixed, with comments).
    const WEBEX: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
    xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"
    ID="_a1b2c3d4" Version="2.0" IssueInstant="2026-03-01T10:00:00Z"
    Destination="https://idp.example.org/saml/sso"
    AssertionConsumerServiceURL="https://example.webex.com/dispatcher/SAML2AuthService?siteurl=example"
    ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    ForceAuthn="false" IsPassive="0" ProviderName="Webex">
  <saml:Issuer>  https://example.webex.com  </saml:Issuer>
  <samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/>
  <samlp:RequestedAuthnContext Comparison="minimum">
    <saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>
    <saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:X509</saml:AuthnContextClassRef>
  </samlp:RequestedAuthnContext>
</samlp:AuthnRequest>"#;

    #[test]
    fn parses_realistic_request() {
        let r = AuthnRequest::parse(WEBEX).unwrap();
        assert_eq!(r.id, "_a1b2c3d4");
        assert_eq!(r.version, "2.0");
        assert_eq!(r.issuer, "https://example.webex.com");
        assert_eq!(r.issue_instant.to_xs_datetime(), "2026-03-01T10:00:00.000Z");
        assert_eq!(
            r.destination.as_deref(),
            Some("https://idp.example.org/saml/sso")
        );
        assert_eq!(
            r.acs_url.as_deref(),
            Some("https://example.webex.com/dispatcher/SAML2AuthService?siteurl=example")
        );
        assert_eq!(r.acs_index, None);
        assert_eq!(r.provider_name.as_deref(), Some("Webex"));
        assert!(!r.force_authn && !r.is_passive && !r.has_signature);
        let p = r.name_id_policy.unwrap();
        assert_eq!(p.format.as_deref(), Some(NAMEID_EMAIL));
        assert_eq!(p.allow_create, Some(true));
        let c = r.requested_authn_context.unwrap();
        assert_eq!(c.comparison, Comparison::Minimum);
        assert_eq!(c.class_refs.len(), 2);
        assert_eq!(c.class_refs[0], AC_PASSWORD_PROTECTED_TRANSPORT);
    }

    #[test]
    fn minimal_request_and_index() {
        let x = r#"<AuthnRequest xmlns="urn:oasis:names:tc:SAML:2.0:protocol" ID="x1" Version="2.0" IssueInstant="2026-03-01T10:00:00.5+01:00" AssertionConsumerServiceIndex="3" ForceAuthn="1" IsPassive="true"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">sp</Issuer><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></AuthnRequest>"#;
        let r = AuthnRequest::parse(x).unwrap();
        assert_eq!(r.acs_index, Some(3));
        assert!(r.force_authn && r.is_passive && r.has_signature);
        assert_eq!(r.issue_instant.to_xs_datetime(), "2026-03-01T09:00:00.500Z");
        assert!(r.name_id_policy.is_none() && r.requested_authn_context.is_none());
    }

    fn err(x: &str) -> String {
        AuthnRequest::parse(x).unwrap_err().to_string()
    }

    const OPEN: &str = r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion""#;

    #[test]
    fn bad_requests() {
        let iss = "<saml:Issuer>sp</saml:Issuer>";
        let good_attrs = r#" ID="a" Version="2.0" IssueInstant="2026-03-01T10:00:00Z""#;
        let ok = format!("{OPEN}{good_attrs}>{iss}</samlp:AuthnRequest>");
        assert!(AuthnRequest::parse(&ok).is_ok());
        assert_eq!(
            err(&format!("{OPEN}{good_attrs}></samlp:AuthnRequest>")),
            "AuthnRequest has no Issuer"
        );
        assert_eq!(
            err(&format!(
                "{OPEN}{good_attrs}><saml:Issuer> </saml:Issuer></samlp:AuthnRequest>"
            )),
            "AuthnRequest has an invalid Issuer: it is empty"
        );
        assert!(err(&format!(
            "{OPEN}{good_attrs}>{iss}{iss}</samlp:AuthnRequest>"
        ))
        .contains("more than one Issuer"));
        assert!(err(&format!(
            "{OPEN} ID=\"a\" Version=\"2.0\" IssueInstant=\"yesterday\">{iss}</samlp:AuthnRequest>"
        ))
        .starts_with(
            "AuthnRequest has an invalid IssueInstant: invalid xs:dateTime \"yesterday\""
        ));
        assert_eq!(
            err(&format!(
                "{OPEN} ID=\"a\" Version=\"2.0\">{iss}</samlp:AuthnRequest>"
            )),
            "AuthnRequest has no IssueInstant"
        );
        assert_eq!(
            err(&format!(
                "{OPEN} Version=\"2.0\" IssueInstant=\"2026-03-01T10:00:00Z\">{iss}</samlp:AuthnRequest>"
            )),
            "AuthnRequest has no ID"
        );
        assert_eq!(
            err(&format!(
                "{OPEN} ID=\"a\" Version=\"1.1\" IssueInstant=\"2026-03-01T10:00:00Z\">{iss}</samlp:AuthnRequest>"
            )),
            "AuthnRequest has Version \"1.1\"; only SAML 2.0 is supported"
        );
        assert!(err(&format!(
            "{OPEN}{good_attrs} ForceAuthn=\"yes\">{iss}</samlp:AuthnRequest>"
        ))
        .starts_with("AuthnRequest has an invalid ForceAuthn"));
        assert!(err(&format!(
            "{OPEN}{good_attrs} AssertionConsumerServiceIndex=\"70000\">{iss}</samlp:AuthnRequest>"
        ))
        .starts_with("AuthnRequest has an invalid AssertionConsumerServiceIndex"));
        assert!(err(&format!(
            "{OPEN}{good_attrs}>{iss}<samlp:RequestedAuthnContext Comparison=\"most\"><saml:AuthnContextClassRef>x</saml:AuthnContextClassRef></samlp:RequestedAuthnContext></samlp:AuthnRequest>"
        ))
        .contains("Comparison"));
        assert_eq!(
            err(&format!(
                "{OPEN}{good_attrs}>{iss}<samlp:RequestedAuthnContext></samlp:RequestedAuthnContext></samlp:AuthnRequest>"
            )),
            "RequestedAuthnContext has no AuthnContextClassRef"
        );
        assert!(err(&format!(
            "{OPEN}{good_attrs}>{iss}<samlp:NameIDPolicy AllowCreate=\"TRUE\"/></samlp:AuthnRequest>"
        ))
        .starts_with("NameIDPolicy has an invalid AllowCreate"));
        assert!(err(&format!(
            "{OPEN}{good_attrs}><saml:Issuer>a<b/></saml:Issuer></samlp:AuthnRequest>"
        ))
        .contains("Issuer has an invalid content"));
        assert!(matches!(
            AuthnRequest::parse(
                r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>"#
            ),
            Err(Error::UnexpectedElement { .. })
        ));
        assert!(matches!(
            AuthnRequest::parse("<AuthnRequest/>"),
            Err(Error::UnexpectedElement { .. })
        ));
        assert!(matches!(
            AuthnRequest::parse("<samlp:AuthnRequest"),
            Err(Error::MalformedXml(_))
        ));
    }

    #[test]
    fn to_xml_round_trips_and_is_ordered() {
        let mut r = AuthnRequest::new(
            "_req1",
            Timestamp(1_795_323_600_123),
            "https://sp.example/\"&<",
        );
        r.destination = Some("https://idp.example/sso".into());
        r.acs_url = Some("https://sp.example/acs?a=1&b=2".into());
        r.acs_index = Some(2);
        r.protocol_binding = Some("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST".into());
        r.force_authn = true;
        r.is_passive = true;
        r.provider_name = Some("Test SP".into());
        r.name_id_policy = Some(NameIdPolicy {
            format: Some(NAMEID_EMAIL.into()),
            allow_create: Some(false),
            sp_name_qualifier: Some("q".into()),
        });
        r.requested_authn_context = Some(RequestedAuthnContext {
            comparison: Comparison::Better,
            class_refs: vec![AC_PASSWORD_PROTECTED_TRANSPORT.into()],
        });
        let x = r.to_xml();
        assert!(x.starts_with(
            "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" AssertionConsumerServiceIndex=\"2\" AssertionConsumerServiceURL=\"https://sp.example/acs?a=1&amp;b=2\" Destination=\"https://idp.example/sso\" ForceAuthn=\"true\" ID=\"_req1\" IsPassive=\"true\" IssueInstant=\"2026-11-22T05:00:00.123Z\" ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" ProviderName=\"Test SP\" Version=\"2.0\"><Issuer xmlns=\"urn:oasis:names:tc:SAML:2.0:assertion\">https://sp.example/\"&amp;&lt;</Issuer><samlp:NameIDPolicy AllowCreate=\"false\""
        ), "{x}");
        assert_eq!(AuthnRequest::parse(&x).unwrap(), r);
        let minimal = AuthnRequest::new("_m", Timestamp(0), "sp");
        assert_eq!(AuthnRequest::parse(&minimal.to_xml()).unwrap(), minimal);
    }
}
