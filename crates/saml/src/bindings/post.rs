//! HTTP-POST binding (saml-bindings-2.0 §3.5): base64 XML in an HTML form field, and the
//! auto-submitting page that carries it.

use super::{checked_xml, decode_base64, url_decode, MessageKind, Params, B64};
use crate::error::Result;
use base64::Engine as _;

/// The one inline script of [`auto_post_form`]; its hash is [`AUTO_POST_SCRIPT_SHA256`].
pub const AUTO_POST_SCRIPT: &str = "document.forms[0].submit();";

/// base64 SHA-256 of [`AUTO_POST_SCRIPT`], for a Content-Security-Policy that allows
/// only this script: `script-src 'sha256-8lDeP0UDwCO6/RhblgeH/ctdBzjVpJxrXizsnIk3cEQ='`.
pub const AUTO_POST_SCRIPT_SHA256: &str = "8lDeP0UDwCO6/RhblgeH/ctdBzjVpJxrXizsnIk3cEQ=";

/// The CSP source expression for [`AUTO_POST_SCRIPT`]: `'sha256-…'`.
pub const AUTO_POST_SCRIPT_CSP_SOURCE: &str =
    "'sha256-8lDeP0UDwCO6/RhblgeH/ctdBzjVpJxrXizsnIk3cEQ='";

/// base64 of the XML (one line, no wrapping), the value of a SAMLRequest/SAMLResponse field.
pub fn encode(xml: &str) -> String {
    B64.encode(xml.as_bytes())
}

/// Decodes a form field value (already form-decoded): base64 with whitespace tolerated,
/// bounded in size, UTF-8, and checked to parse within the message limits.
pub fn decode(value: &str) -> Result<String> {
    payload_xml(decode_base64(value, "the HTTP-POST SAML value")?)
}

/// The XML of a decoded HTTP-POST value. The binding says the value is not compressed,
/// but node-saml (what passport-saml uses) DEFLATE-compresses POST AuthnRequests by
/// default; when the bytes are not XML and inflate (within the Redirect binding's bound)
/// to XML, that XML is used. It is parsed and validated exactly like any other message.
fn payload_xml(bytes: Vec<u8>) -> Result<String> {
    let looks_like_xml = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(&bytes)
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        == Some(&b'<');
    if !looks_like_xml {
        if let Ok(inflated) = super::redirect::inflate(&bytes, super::redirect::MAX_INFLATED) {
            if inflated.first() == Some(&b'<') {
                return checked_xml(inflated);
            }
        }
    }
    checked_xml(bytes)
}

/// Decodes an `application/x-www-form-urlencoded` body: exactly one of SAMLRequest and
/// SAMLResponse, an optional RelayState; SAML parameters given twice are refused.
pub fn decode_form(body: &str) -> Result<(MessageKind, String, Option<String>)> {
    if body.len() > super::MAX_ENCODED {
        return Err(crate::error::Error::Binding(format!(
            "the form body is {} bytes, more than the limit of {} bytes",
            body.len(),
            super::MAX_ENCODED
        )));
    }
    let params = Params::parse(body)?;
    let (kind, raw) = params.message()?;
    // A '+' in a base64 value can only be a base64 digit a client failed to encode.
    let value = url_decode(raw, false, kind.param_name())?;
    let xml = payload_xml(decode_base64(&value, kind.param_name())?)?;
    let relay_state = params
        .relay_state
        .map(|r| url_decode(r, true, "RelayState"))
        .transpose()?;
    Ok((kind, xml, relay_state))
}

/// Appends `s` escaped for HTML text and double- or single-quoted attribute values.
fn html_escape(out: &mut String, s: &str) {
    // Copy each run of bytes that needs no escaping at once (a base64 value is one run):
    // the special characters are ASCII, so every run boundary is a char boundary.
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(rep);
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// A complete HTML page that POSTs `base64_value` (as `SAMLRequest` or `SAMLResponse`)
/// and `relay_state` to `action_url`: submitted by [`AUTO_POST_SCRIPT`] (allow it with
/// [`AUTO_POST_SCRIPT_CSP_SOURCE`]), with a visible Continue button inside `<noscript>`
/// for browsers without JavaScript. Every value is HTML-escaped.
pub fn auto_post_form(
    action_url: &str,
    kind: MessageKind,
    base64_value: &str,
    relay_state: Option<&str>,
) -> String {
    page(action_url, kind, base64_value.len(), relay_state, |h| {
        html_escape(h, base64_value)
    })
}

/// [`auto_post_form`] for `xml`, base64-encoded straight into the page: the same page as
/// `auto_post_form(action_url, kind, &encode(xml), relay_state)` without the intermediate
/// string, and without scanning the value for characters to escape (base64 has none).
pub fn auto_post_page(
    action_url: &str,
    kind: MessageKind,
    xml: &str,
    relay_state: Option<&str>,
) -> String {
    let encoded_len = xml.len().div_ceil(3) * 4;
    page(action_url, kind, encoded_len, relay_state, |h| {
        B64.encode_string(xml.as_bytes(), h)
    })
}

fn page(
    action_url: &str,
    kind: MessageKind,
    value_len: usize,
    relay_state: Option<&str>,
    value: impl FnOnce(&mut String),
) -> String {
    let mut h = String::with_capacity(
        700 + action_url.len() + value_len + relay_state.map_or(0, str::len) * 2,
    );
    h.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"referrer\" content=\"no-referrer\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Signing in…</title></head>\n<body><form method=\"post\" action=\"",
    );
    html_escape(&mut h, action_url);
    h.push_str("\"><input type=\"hidden\" name=\"");
    h.push_str(kind.param_name());
    h.push_str("\" value=\"");
    value(&mut h);
    h.push_str("\">");
    if let Some(rs) = relay_state {
        h.push_str("<input type=\"hidden\" name=\"RelayState\" value=\"");
        html_escape(&mut h, rs);
        h.push_str("\">");
    }
    h.push_str(
        "<noscript><p>JavaScript is turned off. Press Continue to finish signing in.</p>\
<button type=\"submit\">Continue</button></noscript></form>\n<script>",
    );
    h.push_str(AUTO_POST_SCRIPT);
    h.push_str("</script></body></html>\n");
    h
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;
    use crate::error::Error;

    const XML: &str = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>"#;

    #[test]
    fn html_escape_keeps_runs_and_multibyte_text() {
        let mut out = String::new();
        html_escape(&mut out, "a&b<c>\"d'é✓&");
        assert_eq!(out, "a&amp;b&lt;c&gt;&quot;d&#39;é✓&amp;");
        let mut plain = String::new();
        html_escape(&mut plain, "PHNhbWxwOlJlc3BvbnNlIC8+");
        assert_eq!(plain, "PHNhbWxwOlJlc3BvbnNlIC8+");
        let mut empty = String::new();
        html_escape(&mut empty, "");
        assert!(empty.is_empty());
    }

    #[test]
    fn the_page_for_xml_is_the_page_for_its_base64() {
        for (xml, relay) in [
            (XML, None),
            ("<a>é✓ & more</a>", Some("a&b\"c")),
            ("<x/>", Some("")),
            ("<xy/>", None),
        ] {
            for kind in [MessageKind::Request, MessageKind::Response] {
                let page = auto_post_page("https://sp/acs?a=1&b=\"2\"", kind, xml, relay);
                let form = auto_post_form("https://sp/acs?a=1&b=\"2\"", kind, &encode(xml), relay);
                assert_eq!(page, form);
                assert!(page.contains(&format!("value=\"{}\"", encode(xml))));
            }
        }
    }

    #[test]
    fn script_hash_matches() {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, AUTO_POST_SCRIPT.as_bytes());
        assert_eq!(B64.encode(d.as_ref()), AUTO_POST_SCRIPT_SHA256);
        assert_eq!(
            AUTO_POST_SCRIPT_CSP_SOURCE,
            format!("'sha256-{AUTO_POST_SCRIPT_SHA256}'")
        );
        let page = auto_post_form("https://sp/acs", MessageKind::Response, "QQ==", None);
        assert!(page.contains(&format!("<script>{AUTO_POST_SCRIPT}</script>")));
    }

    #[test]
    fn deflated_post_values_are_tolerated() {
        // node-saml compresses POST AuthnRequests by default.
        let value = B64.encode(crate::bindings::redirect::deflate(XML.as_bytes()));
        assert_eq!(decode(&value).unwrap(), XML);
        let body = format!(
            "SAMLRequest={}",
            value
                .replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D")
        );
        assert_eq!(decode_form(&body).unwrap().1, XML);
        // Bytes that are neither XML nor DEFLATE still give the XML error.
        assert!(matches!(
            decode(&B64.encode([0xffu8, 0xfe, 0x00])),
            Err(Error::MalformedXml(_))
        ));
    }

    #[test]
    fn encode_decode() {
        let v = encode(XML);
        assert!(!v.contains('\n'));
        assert_eq!(decode(&v).unwrap(), XML);
        let wrapped: String = v
            .as_bytes()
            .chunks(64)
            .map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap()))
            .collect();
        assert_eq!(decode(&wrapped).unwrap(), XML);
    }

    #[test]
    fn decode_refuses_bad_values() {
        let v = encode(XML);
        assert!(matches!(
            decode(&v[..v.len() - 5]),
            Err(Error::Base64 { .. }) | Err(Error::MalformedXml(_))
        ));
        assert!(matches!(
            decode(&v[..v.len() / 2 / 4 * 4]),
            Err(Error::MalformedXml(_))
        ));
        assert!(matches!(decode("not base64!"), Err(Error::Base64 { .. })));
        assert!(matches!(decode(""), Err(Error::Base64 { .. })));
        assert!(matches!(
            decode(&B64.encode([0xff, 0xfe, 0x3c])),
            Err(Error::MalformedXml(_))
        ));
        assert!(matches!(
            decode(&"QUFB".repeat(super::super::MAX_ENCODED)),
            Err(Error::Binding(_))
        ));
        // Over the XML size limit once decoded.
        let big = format!("<a>{}</a>", "x".repeat(300 * 1024));
        assert!(matches!(decode(&encode(&big)), Err(Error::TooLarge { .. })));
    }

    #[test]
    fn forms() {
        let mut body = String::from("SAMLResponse=");
        super::super::url_encode(&mut body, &encode(XML));
        body.push_str("&RelayState=a+b%26c&other=1");
        let (kind, xml, rs) = decode_form(&body).unwrap();
        assert_eq!(kind, MessageKind::Response);
        assert_eq!(xml, XML);
        assert_eq!(rs.as_deref(), Some("a b&c"));
        // An unencoded '+' inside the base64 value is still a '+'.
        let v = encode("<a>\u{fb}\u{fb}\u{fb}</a>");
        assert!(v.contains('+') || v.contains('/'));
        let (kind, xml, rs) = decode_form(&format!("SAMLRequest={v}")).unwrap();
        assert_eq!(
            (kind, xml.as_str(), rs),
            (MessageKind::Request, "<a>\u{fb}\u{fb}\u{fb}</a>", None)
        );
        assert!(matches!(
            decode_form("RelayState=x"),
            Err(Error::Binding(_))
        ));
        assert!(
            matches!(decode_form(&format!("{body}&SAMLResponse=x")), Err(Error::Binding(m)) if m.contains("more than once"))
        );
        assert!(matches!(
            decode_form(&format!("{body}&RelayState=x")),
            Err(Error::Binding(_))
        ));
    }

    #[test]
    fn form_page_escapes_everything() {
        let evil = "\"><script>alert(1)</script>";
        let page = auto_post_form(
            &format!("https://sp.example/acs?a=1&b={evil}"),
            MessageKind::Response,
            "PHNhbWxw+/==",
            Some(evil),
        );
        assert!(!page.contains(evil));
        assert_eq!(page.matches("<script>").count(), 1);
        assert!(page.contains("action=\"https://sp.example/acs?a=1&amp;b=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""));
        assert!(page.contains(
            "name=\"RelayState\" value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""
        ));
        assert!(page.contains("name=\"SAMLResponse\" value=\"PHNhbWxw+/==\""));
        assert!(
            page.contains("<noscript>")
                && page.contains("<button type=\"submit\">Continue</button>")
        );
        assert!(page.contains("method=\"post\""));
        let page = auto_post_form("https://sp/acs", MessageKind::Request, "QQ==", None);
        assert!(page.contains("name=\"SAMLRequest\""));
        assert!(!page.contains("RelayState"));
        assert!(auto_post_form("x", MessageKind::Request, "'", Some("'")).contains("&#39;"));
    }
}
