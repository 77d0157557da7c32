//! `<samlp:Status>`: status codes (saml-core §3.2.2.2) and their reading and writing.

use super::{opt_single_child, req_attr, req_single_child, unexpected, w_attr, w_text};
use crate::error::{Error, Result};
use crate::xml::{self, NS_SAMLP};
use roxmltree::Node;

const PREFIX: &str = "urn:oasis:names:tc:SAML:2.0:status:";

macro_rules! status_codes {
    ($($(#[$doc:meta])* $variant:ident = $suffix:literal,)*) => {
        /// A SAML status code. The first four are top-level codes; the others are
        /// second-level codes (sent inside a top-level Requester/Responder code).
        /// [`StatusCode::Other`] keeps any URI this list does not know.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum StatusCode {
            $($(#[$doc])* $variant,)*
            /// Any other status code URI.
            Other(String),
        }

        impl StatusCode {
            /// The status code URI.
            pub fn uri(&self) -> &str {
                match self {
                    $(StatusCode::$variant => concat!("urn:oasis:names:tc:SAML:2.0:status:", $suffix),)*
                    StatusCode::Other(u) => u,
                }
            }

            /// The code for `uri` (an unknown URI gives [`StatusCode::Other`]).
            pub fn from_uri(uri: &str) -> StatusCode {
                match uri.strip_prefix(PREFIX) {
                    $(Some($suffix) => StatusCode::$variant,)*
                    _ => StatusCode::Other(uri.to_owned()),
                }
            }
        }
    };
}

status_codes! {
    /// The request succeeded.
    Success = "Success",
    /// The request could not be performed because of an error on the requester's part.
    Requester = "Requester",
    /// The request could not be performed because of an error on the responder's part.
    Responder = "Responder",
    /// The SAML version of the request is not supported.
    VersionMismatch = "VersionMismatch",
    /// Authentication failed.
    AuthnFailed = "AuthnFailed",
    /// An attribute name or value is invalid.
    InvalidAttrNameOrValue = "InvalidAttrNameOrValue",
    /// The NameIDPolicy cannot be honoured.
    InvalidNameIDPolicy = "InvalidNameIDPolicy",
    /// The requested authentication context cannot be honoured.
    NoAuthnContext = "NoAuthnContext",
    /// No IdP from the IDPList is available (proxying).
    NoAvailableIDP = "NoAvailableIDP",
    /// IsPassive was requested and the user must interact.
    NoPassive = "NoPassive",
    /// None of the IdPs of the IDPList is supported (proxying).
    NoSupportedIDP = "NoSupportedIDP",
    /// Logout did not reach every session participant.
    PartialLogout = "PartialLogout",
    /// Proxying is not allowed any further.
    ProxyCountExceeded = "ProxyCountExceeded",
    /// The responder refuses to perform the request.
    RequestDenied = "RequestDenied",
    /// The request is not supported.
    RequestUnsupported = "RequestUnsupported",
    /// The request's protocol version is deprecated.
    RequestVersionDeprecated = "RequestVersionDeprecated",
    /// The request's protocol version is too high.
    RequestVersionTooHigh = "RequestVersionTooHigh",
    /// The request's protocol version is too low.
    RequestVersionTooLow = "RequestVersionTooLow",
    /// The resource is not recognized.
    ResourceNotRecognized = "ResourceNotRecognized",
    /// Too many responses would be returned.
    TooManyResponses = "TooManyResponses",
    /// The attribute profile is unknown.
    UnknownAttrProfile = "UnknownAttrProfile",
    /// The principal is not known to the responder.
    UnknownPrincipal = "UnknownPrincipal",
    /// The binding is not supported.
    UnsupportedBinding = "UnsupportedBinding",
}

impl StatusCode {
    /// Whether this is one of the four top-level codes.
    pub fn is_top_level(&self) -> bool {
        matches!(
            self,
            StatusCode::Success
                | StatusCode::Requester
                | StatusCode::Responder
                | StatusCode::VersionMismatch
        )
    }
}

/// A `<samlp:Status>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The top-level code.
    pub code: StatusCode,
    /// The second-level code, if any.
    pub sub_code: Option<StatusCode>,
    /// `<samlp:StatusMessage>`: human-readable, shown by some SPs.
    pub message: Option<String>,
}

impl Status {
    /// `Success`.
    pub fn success() -> Self {
        Status {
            code: StatusCode::Success,
            sub_code: None,
            message: None,
        }
    }

    /// An error status: `code` (Requester, Responder, ...) with an optional second-level
    /// code and message.
    pub fn error(code: StatusCode, sub_code: Option<StatusCode>, message: Option<&str>) -> Self {
        Status {
            code,
            sub_code,
            message: message.map(str::to_owned),
        }
    }

    /// Whether the top-level code is Success.
    pub fn is_success(&self) -> bool {
        self.code == StatusCode::Success
    }

    /// Reads a `<samlp:Status>` element. Deeper (third-level) codes are ignored.
    pub fn from_element(node: Node<'_, '_>) -> Result<Self> {
        if !xml::is(node, NS_SAMLP, "Status") {
            return Err(unexpected(node, "samlp:Status"));
        }
        let top = req_single_child(node, NS_SAMLP, "StatusCode", "Status")?;
        let code = StatusCode::from_uri(req_attr(top, "StatusCode", "Value")?.trim());
        if !code.is_top_level() {
            return Err(Error::Invalid {
                element: "StatusCode",
                what: "Value",
                detail: format!(
                    "\"{}\" is not a top-level status code (Success, Requester, Responder, VersionMismatch)",
                    super::shorten(code.uri())
                ),
            });
        }
        let sub_code = match opt_single_child(top, NS_SAMLP, "StatusCode", "StatusCode")? {
            Some(sub) => Some(StatusCode::from_uri(
                req_attr(sub, "StatusCode", "Value")?.trim(),
            )),
            None => None,
        };
        let message = match opt_single_child(node, NS_SAMLP, "StatusMessage", "Status")? {
            Some(m) => Some(xml::text(m, "StatusMessage")?),
            None => None,
        };
        Ok(Status {
            code,
            sub_code,
            message,
        })
    }

    /// Upper bound of the bytes [`Status::write`] appends (before escaping).
    pub(crate) fn size_hint(&self) -> usize {
        220 + self.code.uri().len()
            + self.sub_code.as_ref().map_or(0, |c| c.uri().len() + 60)
            + self.message.as_ref().map_or(0, |m| m.len() + 50)
    }

    /// Appends `<samlp:Status>…</samlp:Status>` (the `samlp` prefix must be in scope).
    pub(crate) fn write(&self, out: &mut String) {
        out.push_str("<samlp:Status><samlp:StatusCode");
        w_attr(out, "Value", self.code.uri());
        out.push('>');
        if let Some(sub) = &self.sub_code {
            out.push_str("<samlp:StatusCode");
            w_attr(out, "Value", sub.uri());
            out.push_str("></samlp:StatusCode>");
        }
        out.push_str("</samlp:StatusCode>");
        if let Some(m) = &self.message {
            out.push_str("<samlp:StatusMessage>");
            w_text(out, m);
            out.push_str("</samlp:StatusMessage>");
        }
        out.push_str("</samlp:Status>");
    }

    /// Refuses values XML cannot carry.
    pub(crate) fn check(&self) -> Result<()> {
        super::check_chars(self.code.uri(), "StatusCode")?;
        if let Some(c) = &self.sub_code {
            super::check_chars(c.uri(), "StatusCode")?;
        }
        if let Some(m) = &self.message {
            super::check_chars(m, "StatusMessage")?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;
    use crate::xml::{parse, Limits};

    fn wrap(inner: &str) -> String {
        format!("<samlp:Status xmlns:samlp=\"{NS_SAMLP}\">{inner}</samlp:Status>")
    }

    #[test]
    fn uris_round_trip() {
        for c in [
            StatusCode::Success,
            StatusCode::Requester,
            StatusCode::Responder,
            StatusCode::VersionMismatch,
            StatusCode::RequestDenied,
            StatusCode::NoPassive,
            StatusCode::AuthnFailed,
            StatusCode::InvalidNameIDPolicy,
            StatusCode::NoAuthnContext,
            StatusCode::UnknownPrincipal,
            StatusCode::RequestUnsupported,
            StatusCode::PartialLogout,
            StatusCode::UnsupportedBinding,
        ] {
            assert_eq!(StatusCode::from_uri(c.uri()), c);
        }
        assert_eq!(
            StatusCode::NoPassive.uri(),
            "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
        );
        assert_eq!(
            StatusCode::from_uri("urn:x:custom"),
            StatusCode::Other("urn:x:custom".into())
        );
        assert!(StatusCode::Responder.is_top_level());
        assert!(!StatusCode::NoPassive.is_top_level());
    }

    #[test]
    fn write_then_read() {
        let s = Status::error(
            StatusCode::Responder,
            Some(StatusCode::RequestDenied),
            Some("You are not assigned to this app <yet> & more"),
        );
        let mut out = String::new();
        s.check().unwrap();
        s.write(&mut out);
        assert_eq!(
            out,
            "<samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Responder\"><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:RequestDenied\"></samlp:StatusCode></samlp:StatusCode><samlp:StatusMessage>You are not assigned to this app &lt;yet&gt; &amp; more</samlp:StatusMessage></samlp:Status>"
        );
        let x = format!("<r xmlns:samlp=\"{NS_SAMLP}\">{out}</r>");
        let d = parse(&x, &Limits::MESSAGE).unwrap();
        let st = Status::from_element(d.root_element().first_element_child().unwrap()).unwrap();
        assert_eq!(st, s);
        assert!(!st.is_success());
        assert!(Status::success().is_success());
        assert!(out.len() <= s.size_hint());
    }

    #[test]
    fn bad_status() {
        let x = wrap("");
        let d = parse(&x, &Limits::MESSAGE).unwrap();
        assert_eq!(
            Status::from_element(d.root_element())
                .unwrap_err()
                .to_string(),
            "Status has no StatusCode"
        );
        let x = wrap("<samlp:StatusCode/>");
        let d = parse(&x, &Limits::MESSAGE).unwrap();
        assert_eq!(
            Status::from_element(d.root_element())
                .unwrap_err()
                .to_string(),
            "StatusCode has no Value"
        );
        let x = wrap("<samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:NoPassive\"/>");
        let d = parse(&x, &Limits::MESSAGE).unwrap();
        assert!(Status::from_element(d.root_element())
            .unwrap_err()
            .to_string()
            .contains("not a top-level status code"));
        let d = parse("<Status/>", &Limits::MESSAGE).unwrap();
        assert!(matches!(
            Status::from_element(d.root_element()),
            Err(Error::UnexpectedElement { .. })
        ));
    }
}
