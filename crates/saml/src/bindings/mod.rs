//! SAML bindings (saml-bindings-2.0): HTTP-Redirect ([`redirect`]: DEFLATE, query-string
//! signatures over the octets as received) and HTTP-POST ([`post`]: base64 in a form,
//! auto-submitting page), plus [`decode_auto`], which recognises whatever an administrator
//! pastes (a value, a URL, a query string, a form body).

pub mod post;
pub mod redirect;

use crate::error::{Error, Result};
use crate::xml::{self, Limits};
use base64::engine::{general_purpose, DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

/// `urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect`
pub const BINDING_HTTP_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
/// `urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST`
pub const BINDING_HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
/// `urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact` (recognised in metadata, not served)
pub const BINDING_HTTP_ARTIFACT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact";

/// Whether a message is a request (`SAMLRequest`) or a response (`SAMLResponse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// AuthnRequest, LogoutRequest, ...: sent as `SAMLRequest`.
    Request,
    /// Response, LogoutResponse: sent as `SAMLResponse`.
    Response,
}

impl MessageKind {
    /// The form/query parameter name: `SAMLRequest` or `SAMLResponse`.
    pub fn param_name(self) -> &'static str {
        match self {
            MessageKind::Request => "SAMLRequest",
            MessageKind::Response => "SAMLResponse",
        }
    }

    /// The kind of a message from its root element's local name (`…Request` or
    /// `…Response`), if it is either.
    pub fn from_root_name(local: &str) -> Option<Self> {
        if local.ends_with("Request") {
            Some(MessageKind::Request)
        } else if local.ends_with("Response") {
            Some(MessageKind::Response)
        } else {
            None
        }
    }
}

/// The two bindings Sesame speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Binding {
    /// HTTP-Redirect: DEFLATE + base64 in a query string.
    Redirect,
    /// HTTP-POST: base64 in a form field.
    Post,
}

impl Binding {
    /// The binding URI used in metadata and `ProtocolBinding`.
    pub fn uri(self) -> &'static str {
        match self {
            Binding::Redirect => BINDING_HTTP_REDIRECT,
            Binding::Post => BINDING_HTTP_POST,
        }
    }

    /// The binding for a URI, if it is one of the two.
    pub fn from_uri(uri: &str) -> Option<Self> {
        match uri.trim() {
            BINDING_HTTP_REDIRECT => Some(Binding::Redirect),
            BINDING_HTTP_POST => Some(Binding::Post),
            _ => None,
        }
    }
}

/// A message decoded by [`decode_auto`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// Redirect when the value was DEFLATE-compressed, POST when it was plain base64 XML.
    pub binding: Binding,
    /// From the parameter name, or else from the root element's name.
    pub kind: Option<MessageKind>,
    /// The message XML (checked to parse within [`Limits::MESSAGE`]).
    pub xml: String,
    /// `RelayState`, URL-decoded.
    pub relay_state: Option<String>,
    /// `SigAlg` of a signed Redirect query.
    pub sig_alg: Option<String>,
    /// The decoded `Signature` of a signed Redirect query.
    pub signature: Option<Vec<u8>>,
}

/// The largest input [`decode_auto`] and the binding decoders look at, in bytes.
pub const MAX_ENCODED: usize = 2 * 1024 * 1024;

/// Decodes whatever an administrator pastes: a bare `SAMLRequest`/`SAMLResponse` value
/// (URL-encoded or not; base64 of DEFLATE data is Redirect, base64 of XML is POST), a
/// whole Redirect URL, a query string, or a POST form body. Whitespace and line breaks
/// are ignored. The XML is checked to parse; signatures are not verified.
pub fn decode_auto(input: &str) -> Result<Decoded> {
    if input.len() > MAX_ENCODED {
        return Err(Error::Binding(format!(
            "the input is {} bytes, more than the limit of {MAX_ENCODED} bytes",
            input.len()
        )));
    }
    // Whitespace never belongs to the encoded forms (spaces are %20 or '+').
    let cleaned: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if cleaned.is_empty() {
        return Err(Error::Binding("the input is empty".into()));
    }
    let lower_start = cleaned.get(..8).unwrap_or(&cleaned).to_ascii_lowercase();
    let query = if lower_start.starts_with("http://") || lower_start.starts_with("https://") {
        let (_, q) = cleaned.split_once('?').ok_or_else(|| {
            Error::Binding("the URL has no query string (no SAMLRequest or SAMLResponse)".into())
        })?;
        Some(q.split('#').next().unwrap_or(""))
    } else {
        let q = cleaned.strip_prefix('?').unwrap_or(&cleaned);
        let has_param = q.split('&').any(|pair| {
            matches!(
                pair.split_once('=').map(|(n, _)| n),
                Some("SAMLRequest" | "SAMLResponse")
            )
        });
        has_param.then_some(q)
    };
    match query {
        Some(q) => {
            let params = Params::parse(q)?;
            if params.sig_alg.is_some() || params.signature.is_some() {
                let m = redirect::decode_query(q)?;
                return Ok(Decoded {
                    binding: Binding::Redirect,
                    kind: Some(m.kind),
                    xml: m.xml,
                    relay_state: m.relay_state,
                    sig_alg: m.sig_alg,
                    signature: m.signature,
                });
            }
            let (kind, raw) = params.message()?;
            let value = url_decode(raw, false, kind.param_name())?;
            let (binding, xml) = decode_value(&value, kind.param_name())?;
            let relay_state = params
                .relay_state
                .map(|r| url_decode(r, true, "RelayState"))
                .transpose()?;
            Ok(Decoded {
                binding,
                kind: Some(kind),
                xml,
                relay_state,
                sig_alg: None,
                signature: None,
            })
        }
        None => {
            let value = if cleaned.contains('%') {
                url_decode(&cleaned, false, "the value")?
            } else {
                cleaned
            };
            let (binding, xml) = decode_value(&value, "the value")?;
            let kind = root_kind(&xml);
            Ok(Decoded {
                binding,
                kind,
                xml,
                relay_state: None,
                sig_alg: None,
                signature: None,
            })
        }
    }
}

/// The message kind from the root element of (already checked) XML.
fn root_kind(xml_text: &str) -> Option<MessageKind> {
    let doc = xml::parse(xml_text, &Limits::MESSAGE).ok()?;
    MessageKind::from_root_name(doc.root_element().tag_name().name())
}

/// base64 → (XML as is: POST) or (DEFLATE → XML: Redirect); the XML is checked.
fn decode_value(value: &str, what: &'static str) -> Result<(Binding, String)> {
    let bytes = decode_base64(value, what)?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let looks_like_xml = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<');
    let (binding, xml_bytes) = if looks_like_xml {
        (Binding::Post, body.to_vec())
    } else {
        (
            Binding::Redirect,
            redirect::inflate(&bytes, redirect::MAX_INFLATED)?,
        )
    };
    Ok((binding, checked_xml(xml_bytes)?))
}

/// UTF-8 check plus a parse within [`Limits::MESSAGE`].
pub(crate) fn checked_xml(bytes: Vec<u8>) -> Result<String> {
    let text = utf8_xml(bytes)?;
    xml::parse(&text, &Limits::MESSAGE)?;
    Ok(text)
}

/// The UTF-8 check alone, for callers that parse the message themselves.
pub(crate) fn utf8_xml(bytes: Vec<u8>) -> Result<String> {
    xml::utf8(&bytes)?;
    String::from_utf8(bytes).map_err(|_| Error::MalformedXml("input is not valid UTF-8".into()))
}

/// base64 with whitespace ignored and padding optional.
const B64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The standard engine, for encoding.
pub(crate) const B64: GeneralPurpose = general_purpose::STANDARD;

/// Decodes base64, ignoring ASCII whitespace (line breaks), bounded by [`MAX_ENCODED`].
pub(crate) fn decode_base64(value: &str, what: &'static str) -> Result<Vec<u8>> {
    if value.len() > MAX_ENCODED {
        return Err(Error::Binding(format!(
            "{what} is {} bytes, more than the limit of {MAX_ENCODED} bytes",
            value.len()
        )));
    }
    let compact: Vec<u8> = value.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        return Err(Error::Base64 {
            what,
            detail: "it is empty".into(),
        });
    }
    B64_LENIENT.decode(&compact).map_err(|e| Error::Base64 {
        what,
        detail: e.to_string(),
    })
}

/// Percent-decodes a query or form value; `plus_as_space` for text values (RelayState),
/// not for base64 values, where a literal `+` is a base64 digit that was not encoded.
pub(crate) fn url_decode(raw: &str, plus_as_space: bool, what: &str) -> Result<String> {
    let replaced;
    let s = if plus_as_space && raw.contains('+') {
        replaced = raw.replace('+', " ");
        replaced.as_str()
    } else {
        raw
    };
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| Error::Binding(format!("{what} is not URL-encoded UTF-8")))
}

/// What `encode_query` and HTML forms escape: everything but RFC 3986 unreserved.
pub(crate) const URL_ENCODE_SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a query value.
pub(crate) fn url_encode(out: &mut String, s: &str) {
    for part in percent_encoding::utf8_percent_encode(s, URL_ENCODE_SET) {
        out.push_str(part);
    }
}

/// The SAML parameters of a query string or form body, as raw (still encoded) slices.
/// Other parameters are ignored; a SAML parameter given twice is refused.
#[derive(Debug, Default)]
pub(crate) struct Params<'a> {
    pub saml_request: Option<&'a str>,
    pub saml_response: Option<&'a str>,
    pub relay_state: Option<&'a str>,
    pub sig_alg: Option<&'a str>,
    pub signature: Option<&'a str>,
}

impl<'a> Params<'a> {
    pub(crate) fn parse(raw: &'a str) -> Result<Self> {
        let raw = raw.strip_prefix('?').unwrap_or(raw);
        let mut p = Params::default();
        for pair in raw.split('&').filter(|s| !s.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match name {
                "SAMLRequest" => &mut p.saml_request,
                "SAMLResponse" => &mut p.saml_response,
                "RelayState" => &mut p.relay_state,
                "SigAlg" => &mut p.sig_alg,
                "Signature" => &mut p.signature,
                _ => continue,
            };
            if slot.is_some() {
                return Err(Error::Binding(format!(
                    "the parameter {name} appears more than once"
                )));
            }
            *slot = Some(value);
        }
        Ok(p)
    }

    /// The one message parameter: exactly one of SAMLRequest and SAMLResponse.
    pub(crate) fn message(&self) -> Result<(MessageKind, &'a str)> {
        match (self.saml_request, self.saml_response) {
            (Some(v), None) => Ok((MessageKind::Request, v)),
            (None, Some(v)) => Ok((MessageKind::Response, v)),
            (Some(_), Some(_)) => Err(Error::Binding(
                "both SAMLRequest and SAMLResponse are present; send one message at a time".into(),
            )),
            (None, None) => Err(Error::Binding(
                "there is no SAMLRequest or SAMLResponse parameter".into(),
            )),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;

    const XML: &str = r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_a" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">sp</saml:Issuer></samlp:AuthnRequest>"#;

    fn redirect_value() -> String {
        B64.encode(redirect::deflate(XML.as_bytes()))
    }

    fn wrap(s: &str, width: usize) -> String {
        s.as_bytes()
            .chunks(width)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\r\n")
    }

    #[test]
    fn kinds_and_bindings() {
        assert_eq!(MessageKind::Request.param_name(), "SAMLRequest");
        assert_eq!(MessageKind::Response.param_name(), "SAMLResponse");
        assert_eq!(
            MessageKind::from_root_name("LogoutResponse"),
            Some(MessageKind::Response)
        );
        assert_eq!(MessageKind::from_root_name("Assertion"), None);
        assert_eq!(Binding::from_uri(BINDING_HTTP_POST), Some(Binding::Post));
        assert_eq!(
            Binding::from_uri(Binding::Redirect.uri()),
            Some(Binding::Redirect)
        );
        assert_eq!(Binding::from_uri(BINDING_HTTP_ARTIFACT), None);
    }

    #[test]
    fn auto_bare_values() {
        // Redirect value, plain, URL-encoded, wrapped.
        let v = redirect_value();
        for input in [
            v.clone(),
            percent_encoding::utf8_percent_encode(&v, URL_ENCODE_SET).to_string(),
            format!("  {}\n", wrap(&v, 20)),
        ] {
            let d = decode_auto(&input).unwrap();
            assert_eq!(d.binding, Binding::Redirect);
            assert_eq!(d.kind, Some(MessageKind::Request));
            assert_eq!(d.xml, XML);
            assert_eq!(d.relay_state, None);
        }
        // POST value, wrapped at 76 like many SPs.
        let p = B64.encode(XML);
        let d = decode_auto(&wrap(&p, 76)).unwrap();
        assert_eq!(d.binding, Binding::Post);
        assert_eq!(d.xml, XML);
        // Unpadded base64 is tolerated.
        let d = decode_auto(p.trim_end_matches('=')).unwrap();
        assert_eq!(d.xml, XML);
    }

    #[test]
    fn auto_urls_queries_and_bodies() {
        let v = redirect_value();
        let enc = percent_encoding::utf8_percent_encode(&v, URL_ENCODE_SET).to_string();
        let url =
            format!("https://idp.example/sso?foo=bar&SAMLRequest={enc}&RelayState=a%2Fb+c#frag");
        let d = decode_auto(&url).unwrap();
        assert_eq!(d.binding, Binding::Redirect);
        assert_eq!(d.kind, Some(MessageKind::Request));
        assert_eq!(d.relay_state.as_deref(), Some("a/b c"));
        let d = decode_auto(&format!("?SAMLRequest={enc}")).unwrap();
        assert_eq!(d.xml, XML);
        // POST form body with the value base64 of XML.
        let body = format!(
            "SAMLResponse={}&RelayState=xyz",
            percent_encoding::utf8_percent_encode(&B64.encode(XML), URL_ENCODE_SET)
        );
        let d = decode_auto(&body).unwrap();
        assert_eq!(d.binding, Binding::Post);
        assert_eq!(d.kind, Some(MessageKind::Response));
        assert_eq!(d.relay_state.as_deref(), Some("xyz"));
        // A '+' left unencoded in a base64 value is kept as '+'.
        let d = decode_auto(&format!("SAMLRequest={v}")).unwrap();
        assert_eq!(d.xml, XML);
    }

    #[test]
    fn auto_signed_redirect_query() {
        let q = redirect::encode_query(MessageKind::Request, XML, Some("rs"), None).unwrap();
        let q = format!("{q}&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256&Signature=AAAA");
        let d = decode_auto(&format!("https://idp/sso?{q}")).unwrap();
        assert_eq!(
            d.sig_alg.as_deref(),
            Some("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
        );
        assert_eq!(d.signature, Some(vec![0, 0, 0]));
        assert_eq!(d.relay_state.as_deref(), Some("rs"));
    }

    #[test]
    fn auto_bad_input() {
        assert!(matches!(decode_auto("  \n"), Err(Error::Binding(_))));
        // Truncated base64 (one character short of a quantum).
        let v = B64.encode(XML);
        assert!(matches!(
            decode_auto(&v[..v.len() - 3]),
            Err(Error::Base64 { .. }) | Err(Error::MalformedXml(_))
        ));
        assert!(matches!(
            decode_auto("PHNhbWxw!!"),
            Err(Error::Base64 { .. })
        ));
        let r = redirect_value();
        let truncated = &r[..r.len() / 2 / 4 * 4];
        assert!(matches!(decode_auto(truncated), Err(Error::Deflate(_))));
        // base64 of something that is neither XML nor DEFLATE.
        assert!(decode_auto(&B64.encode("hello world")).is_err());
        // XML that does not parse.
        assert!(matches!(
            decode_auto(&B64.encode("<a><b></a>")),
            Err(Error::MalformedXml(_))
        ));
        // DTDs are refused in every binding.
        assert_eq!(
            decode_auto(&B64.encode("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>")).unwrap_err(),
            Error::Dtd
        );
        assert!(matches!(
            decode_auto("https://idp.example/sso"),
            Err(Error::Binding(_))
        ));
        assert!(matches!(
            decode_auto(&format!("SAMLRequest={r}&SAMLRequest={r}")),
            Err(Error::Binding(m)) if m.contains("more than once")
        ));
        assert!(matches!(
            decode_auto(&format!("SAMLRequest={r}&SAMLResponse={r}")),
            Err(Error::Binding(m)) if m.contains("both")
        ));
        assert!(matches!(
            decode_auto(&"A".repeat(MAX_ENCODED + 1)),
            Err(Error::Binding(_))
        ));
    }

    #[test]
    fn url_helpers() {
        assert_eq!(url_decode("a+b%2B", true, "x").unwrap(), "a b+");
        assert_eq!(url_decode("a+b%2B", false, "x").unwrap(), "a+b+");
        assert!(url_decode("%FF", true, "RelayState").is_err());
        let mut s = String::new();
        url_encode(&mut s, "a b+/=~-._é");
        assert_eq!(s, "a%20b%2B%2F%3D~-._%C3%A9");
        let p = Params::parse("?a=1&RelayState=&SAMLRequest").unwrap();
        assert_eq!(p.relay_state, Some(""));
        assert_eq!(p.saml_request, Some(""));
    }
}
