//! `<samlp:LogoutRequest>` and `<samlp:LogoutResponse>` (saml-core §3.7), read and written.
//! Writers produce exc-c14n text, so `to_signed_xml` signs without parsing.

use super::{
    check_id, insert_after_issuer, opt_attr, opt_single_child, opt_time, protocol_header,
    req_issuer, req_single_child, w_attr, w_issuer, w_opt_attr, w_text, w_time_attr, NameId,
    Status,
};
use crate::crypto::{Certificate, SignatureAlgorithm, SigningKey};
use crate::dsig;
use crate::error::{Error, Result};
use crate::time::Timestamp;
use crate::xml::{self, Limits, NS_SAML, NS_SAMLP};
use roxmltree::Node;

/// `urn:oasis:names:tc:SAML:2.0:logout:user`: the user asked to log out.
pub const REASON_USER: &str = "urn:oasis:names:tc:SAML:2.0:logout:user";
/// `urn:oasis:names:tc:SAML:2.0:logout:admin`: an administrator ended the session.
pub const REASON_ADMIN: &str = "urn:oasis:names:tc:SAML:2.0:logout:admin";

/// A `<samlp:LogoutRequest>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    /// `ID`.
    pub id: String,
    /// `IssueInstant`.
    pub issue_instant: Timestamp,
    /// `Destination`.
    pub destination: Option<String>,
    /// `<saml:Issuer>` (required by the Single Logout profile).
    pub issuer: String,
    /// The principal to log out.
    pub name_id: NameId,
    /// `<samlp:SessionIndex>` values (none: every session of the principal).
    pub session_indexes: Vec<String>,
    /// `Reason`.
    pub reason: Option<String>,
    /// `NotOnOrAfter`.
    pub not_on_or_after: Option<Timestamp>,
}

/// A `<samlp:LogoutResponse>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutResponse {
    /// `ID`.
    pub id: String,
    /// `InResponseTo`: the LogoutRequest's ID.
    pub in_response_to: Option<String>,
    /// `IssueInstant`.
    pub issue_instant: Timestamp,
    /// `Destination`.
    pub destination: Option<String>,
    /// `<saml:Issuer>` (required by the Single Logout profile).
    pub issuer: String,
    /// `<samlp:Status>`.
    pub status: Status,
}

fn sign(
    mut xml_text: String,
    id: &str,
    element: &'static str,
    key: &SigningKey,
    cert: Option<&Certificate>,
    alg: SignatureAlgorithm,
) -> Result<String> {
    check_id(id, element)?;
    let sig = dsig::enveloped_signature(xml_text.as_bytes(), id, key, cert, alg)?;
    insert_after_issuer(&mut xml_text, 0, &sig)?;
    Ok(xml_text)
}

impl LogoutRequest {
    /// Parses a whole document whose root is the LogoutRequest.
    pub fn parse(xml_text: &str) -> Result<Self> {
        let doc = xml::parse(xml_text, &Limits::MESSAGE)?;
        Self::from_element(doc.root_element())
    }

    /// Reads a `<samlp:LogoutRequest>` element.
    pub fn from_element(node: Node<'_, '_>) -> Result<Self> {
        const E: &str = "LogoutRequest";
        let (id, issue_instant) = protocol_header(node, E, "samlp:LogoutRequest")?;
        let issuer = req_issuer(node, E)?;
        if xml::child(node, NS_SAML, "EncryptedID").is_some() {
            return Err(Error::Invalid {
                element: E,
                what: "content",
                detail: "EncryptedID is not supported".into(),
            });
        }
        let name_id = NameId::from_element(req_single_child(node, NS_SAML, "NameID", E)?)?;
        let mut session_indexes = Vec::new();
        for s in xml::children(node, NS_SAMLP, "SessionIndex") {
            let v = xml::trimmed_text(s, "SessionIndex")?;
            if v.is_empty() {
                return Err(Error::Invalid {
                    element: E,
                    what: "SessionIndex",
                    detail: "it is empty".into(),
                });
            }
            session_indexes.push(v);
        }
        Ok(LogoutRequest {
            id,
            issue_instant,
            destination: opt_attr(node, "Destination"),
            issuer,
            name_id,
            session_indexes,
            reason: opt_attr(node, "Reason"),
            not_on_or_after: opt_time(node, E, "NotOnOrAfter")?,
        })
    }

    /// Writes the request (exc-c14n form, unsigned). Characters XML cannot carry are
    /// replaced by U+FFFD.
    pub fn to_xml(&self) -> String {
        let mut out = String::with_capacity(
            600 + self.issuer.len()
                + self.name_id.size_hint()
                + self
                    .session_indexes
                    .iter()
                    .map(|s| s.len() + 40)
                    .sum::<usize>(),
        );
        out.push_str("<samlp:LogoutRequest xmlns:samlp=\"");
        out.push_str(NS_SAMLP);
        out.push('"');
        w_opt_attr(&mut out, "Destination", self.destination.as_deref());
        w_attr(&mut out, "ID", &self.id);
        w_time_attr(&mut out, "IssueInstant", self.issue_instant);
        if let Some(t) = self.not_on_or_after {
            w_time_attr(&mut out, "NotOnOrAfter", t);
        }
        w_opt_attr(&mut out, "Reason", self.reason.as_deref());
        out.push_str(" Version=\"2.0\">");
        w_issuer(&mut out, &self.issuer, true);
        self.name_id.write(&mut out, true);
        for s in &self.session_indexes {
            out.push_str("<samlp:SessionIndex>");
            w_text(&mut out, s);
            out.push_str("</samlp:SessionIndex>");
        }
        out.push_str("</samlp:LogoutRequest>");
        out
    }

    /// [`LogoutRequest::to_xml`] with an enveloped signature after the Issuer (HTTP-POST).
    pub fn to_signed_xml(
        &self,
        key: &SigningKey,
        cert: Option<&Certificate>,
        alg: SignatureAlgorithm,
    ) -> Result<String> {
        sign(self.to_xml(), &self.id, "LogoutRequest", key, cert, alg)
    }
}

impl LogoutResponse {
    /// Parses a whole document whose root is the LogoutResponse.
    pub fn parse(xml_text: &str) -> Result<Self> {
        let doc = xml::parse(xml_text, &Limits::MESSAGE)?;
        Self::from_element(doc.root_element())
    }

    /// Reads a `<samlp:LogoutResponse>` element.
    pub fn from_element(node: Node<'_, '_>) -> Result<Self> {
        const E: &str = "LogoutResponse";
        let (id, issue_instant) = protocol_header(node, E, "samlp:LogoutResponse")?;
        let issuer = req_issuer(node, E)?;
        let status = match opt_single_child(node, NS_SAMLP, "Status", E)? {
            Some(s) => Status::from_element(s)?,
            None => {
                return Err(Error::Missing {
                    element: E,
                    what: "Status",
                })
            }
        };
        Ok(LogoutResponse {
            id,
            in_response_to: opt_attr(node, "InResponseTo"),
            issue_instant,
            destination: opt_attr(node, "Destination"),
            issuer,
            status,
        })
    }

    /// Writes the response (exc-c14n form, unsigned). Characters XML cannot carry are
    /// replaced by U+FFFD.
    pub fn to_xml(&self) -> String {
        let mut out = String::with_capacity(500 + self.issuer.len() + self.status.size_hint());
        out.push_str("<samlp:LogoutResponse xmlns:samlp=\"");
        out.push_str(NS_SAMLP);
        out.push('"');
        w_opt_attr(&mut out, "Destination", self.destination.as_deref());
        w_attr(&mut out, "ID", &self.id);
        w_opt_attr(&mut out, "InResponseTo", self.in_response_to.as_deref());
        w_time_attr(&mut out, "IssueInstant", self.issue_instant);
        out.push_str(" Version=\"2.0\">");
        w_issuer(&mut out, &self.issuer, true);
        self.status.write(&mut out);
        out.push_str("</samlp:LogoutResponse>");
        out
    }

    /// [`LogoutResponse::to_xml`] with an enveloped signature after the Issuer (HTTP-POST).
    pub fn to_signed_xml(
        &self,
        key: &SigningKey,
        cert: Option<&Certificate>,
        alg: SignatureAlgorithm,
    ) -> Result<String> {
        sign(self.to_xml(), &self.id, "LogoutResponse", key, cert, alg)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;
    use crate::messages::{StatusCode, NAMEID_EMAIL};

    fn req() -> LogoutRequest {
        LogoutRequest {
            id: "_lr1".into(),
            issue_instant: Timestamp(1_795_323_600_123),
            destination: Some("https://sp.example/slo?a=1&b=2".into()),
            issuer: "https://idp.example/".into(),
            name_id: NameId::new("b.simon@contoso.com", Some(NAMEID_EMAIL)),
            session_indexes: vec!["_s1".into(), "_s2".into()],
            reason: Some(REASON_USER.into()),
            not_on_or_after: Some(Timestamp(1_795_323_900_000)),
        }
    }

    fn resp() -> LogoutResponse {
        LogoutResponse {
            id: "_lp1".into(),
            in_response_to: Some("_lr1".into()),
            issue_instant: Timestamp(1_795_323_600_123),
            destination: Some("https://sp.example/slo".into()),
            issuer: "https://idp.example/".into(),
            status: Status::error(StatusCode::Responder, Some(StatusCode::PartialLogout), None),
        }
    }

    #[test]
    fn request_round_trip_and_order() {
        let r = req();
        let x = r.to_xml();
        assert_eq!(
            x,
            "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" Destination=\"https://sp.example/slo?a=1&amp;b=2\" ID=\"_lr1\" IssueInstant=\"2026-11-22T05:00:00.123Z\" NotOnOrAfter=\"2026-11-22T05:05:00.000Z\" Reason=\"urn:oasis:names:tc:SAML:2.0:logout:user\" Version=\"2.0\"><Issuer xmlns=\"urn:oasis:names:tc:SAML:2.0:assertion\">https://idp.example/</Issuer><NameID xmlns=\"urn:oasis:names:tc:SAML:2.0:assertion\" Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\">b.simon@contoso.com</NameID><samlp:SessionIndex>_s1</samlp:SessionIndex><samlp:SessionIndex>_s2</samlp:SessionIndex></samlp:LogoutRequest>"
        );
        assert_eq!(LogoutRequest::parse(&x).unwrap(), r);
        let mut minimal = req();
        minimal.destination = None;
        minimal.reason = None;
        minimal.not_on_or_after = None;
        minimal.session_indexes.clear();
        assert_eq!(LogoutRequest::parse(&minimal.to_xml()).unwrap(), minimal);
    }

    #[test]
    fn response_round_trip_and_order() {
        let r = resp();
        let x = r.to_xml();
        assert_eq!(
            x,
            "<samlp:LogoutResponse xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" Destination=\"https://sp.example/slo\" ID=\"_lp1\" InResponseTo=\"_lr1\" IssueInstant=\"2026-11-22T05:00:00.123Z\" Version=\"2.0\"><Issuer xmlns=\"urn:oasis:names:tc:SAML:2.0:assertion\">https://idp.example/</Issuer><samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Responder\"><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:PartialLogout\"></samlp:StatusCode></samlp:StatusCode></samlp:Status></samlp:LogoutResponse>"
        );
        assert_eq!(LogoutResponse::parse(&x).unwrap(), r);
    }

    #[test]
    fn reads_foreign_messages() {
        let x = r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="pfx1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">
  <saml:Issuer>https://sp.example/</saml:Issuer>
  <saml:NameID SPNameQualifier="https://sp.example/" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">_ce3d2948b4cf</saml:NameID>
  <samlp:SessionIndex> _s9 </samlp:SessionIndex>
</samlp:LogoutRequest>"#;
        let r = LogoutRequest::parse(x).unwrap();
        assert_eq!(r.name_id.value, "_ce3d2948b4cf");
        assert_eq!(
            r.name_id.sp_name_qualifier.as_deref(),
            Some("https://sp.example/")
        );
        assert_eq!(r.session_indexes, ["_s9"]);
        let y = r#"<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="pfx2" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" InResponseTo="_lr1"><saml:Issuer>https://sp.example/</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>"#;
        let r = LogoutResponse::parse(y).unwrap();
        assert!(r.status.is_success());
        assert_eq!(r.in_response_to.as_deref(), Some("_lr1"));
    }

    #[test]
    fn bad_messages() {
        let x = req().to_xml();
        let no_issuer = x.replace(
            "<Issuer xmlns=\"urn:oasis:names:tc:SAML:2.0:assertion\">https://idp.example/</Issuer>",
            "",
        );
        assert_eq!(
            LogoutRequest::parse(&no_issuer).unwrap_err().to_string(),
            "LogoutRequest has no Issuer"
        );
        let no_name_id = x.replace("b.simon@contoso.com</NameID>", "</NameID>").replace(
            "<NameID xmlns=\"urn:oasis:names:tc:SAML:2.0:assertion\" Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\"></NameID>",
            "",
        );
        assert_eq!(
            LogoutRequest::parse(&no_name_id).unwrap_err().to_string(),
            "LogoutRequest has no NameID"
        );
        let bad_time = x.replace(
            "NotOnOrAfter=\"2026-11-22T05:05:00.000Z\"",
            "NotOnOrAfter=\"later\"",
        );
        assert!(LogoutRequest::parse(&bad_time)
            .unwrap_err()
            .to_string()
            .starts_with("LogoutRequest has an invalid NotOnOrAfter"));
        assert!(matches!(
            LogoutResponse::parse(&x),
            Err(Error::UnexpectedElement { .. })
        ));
        let y = resp().to_xml();
        let no_status = format!(
            "{}</samlp:LogoutResponse>",
            &y[..y.find("<samlp:Status>").unwrap()]
        );
        assert_eq!(
            LogoutResponse::parse(&no_status).unwrap_err().to_string(),
            "LogoutResponse has no Status"
        );
    }

    #[test]
    fn signed_logout_messages_verify() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
        let key = SigningKey::from_pem(
            &std::fs::read_to_string(format!("{dir}/test-rsa-key.pem")).unwrap(),
        )
        .unwrap();
        let cert = Certificate::from_pem(
            &std::fs::read_to_string(format!("{dir}/test-rsa-cert.pem")).unwrap(),
        )
        .unwrap();
        for x in [
            req()
                .to_signed_xml(&key, Some(&cert), SignatureAlgorithm::RsaSha256)
                .unwrap(),
            resp()
                .to_signed_xml(&key, None, SignatureAlgorithm::RsaSha256)
                .unwrap(),
        ] {
            let doc = xml::parse(&x, &Limits::MESSAGE).unwrap();
            let v = dsig::verify_element(
                &doc,
                doc.root_element(),
                std::slice::from_ref(&cert),
                &dsig::VerifyPolicy::default(),
            )
            .unwrap();
            if xml::is(v, NS_SAMLP, "LogoutRequest") {
                assert_eq!(LogoutRequest::from_element(v).unwrap(), req());
            } else {
                assert_eq!(LogoutResponse::from_element(v).unwrap(), resp());
            }
        }
    }
}
