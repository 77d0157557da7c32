//! HTTP-Redirect binding (saml-bindings-2.0 §3.4): raw DEFLATE + base64 + URL-encoding, and
//! query-string signatures.
//!
//! Signatures are verified over the octets of the query exactly as received
//! (`SAMLRequest=…&RelayState=…&SigAlg=…`, each parameter as it appeared, never decoded
//! and re-encoded), because URL-encoding is not canonical: two encoders of one value
//! disagree on case and on which characters they escape.

use super::{decode_base64, url_decode, url_encode, MessageKind, Params, B64};
use crate::crypto::{Certificate, SignatureAlgorithm, SigningKey};
use crate::dsig::VerifyPolicy;
use crate::error::{Error, Result};
use crate::xml::Limits;
use base64::Engine as _;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use miniz_oxide::inflate::TINFLStatus;
use std::io::Write;

/// The most bytes a Redirect message may inflate to (the XML message limit).
pub const MAX_INFLATED: usize = 256 * 1024;

/// Inflates raw DEFLATE `data`, refusing output larger than `limit` bytes without
/// producing more than `limit` bytes (a DEFLATE bomb stops there).
///
/// One pass into a growing output buffer (miniz_oxide's non-wrapping mode): a streaming
/// decoder would set up a 32 KiB window for every message, which cost more than the rest
/// of decoding a typical AuthnRequest.
pub fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>> {
    let out =
        miniz_oxide::inflate::decompress_to_vec_with_limit(data, limit).map_err(|e| {
            match e.status {
                TINFLStatus::HasMoreOutput => Error::InflateTooLarge(limit),
                TINFLStatus::FailedCannotMakeProgress => {
                    Error::Deflate("the compressed data ends early (truncated)".into())
                }
                status => Error::Deflate(format!("corrupt deflate stream ({status:?})")),
            }
        })?;
    if out.is_empty() {
        return Err(Error::Deflate("it inflates to nothing".into()));
    }
    Ok(out)
}

/// Raw DEFLATE of `data` (no zlib header), as the Redirect binding requires.
pub fn deflate(data: &[u8]) -> Vec<u8> {
    let mut enc = DeflateEncoder::new(
        Vec::with_capacity(data.len() / 2 + 64),
        Compression::default(),
    );
    // Writing into a Vec cannot fail.
    if enc.write_all(data).is_err() {
        return Vec::new();
    }
    enc.finish().unwrap_or_default()
}

/// A message received with the HTTP-Redirect binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectMessage {
    /// Request or response.
    pub kind: MessageKind,
    /// The inflated XML: UTF-8 within the size limits; from [`decode_query`] also checked
    /// to parse within the message limits.
    pub xml: String,
    /// `RelayState`, URL-decoded.
    pub relay_state: Option<String>,
    /// `SigAlg`, URL-decoded.
    pub sig_alg: Option<String>,
    /// `Signature`, URL- and base64-decoded.
    pub signature: Option<Vec<u8>>,
    /// The octets the signature covers, exactly as received:
    /// `SAMLRequest=…[&RelayState=…]&SigAlg=…`. Present when the query is signed.
    pub signed_octets: Option<String>,
}

/// Decodes a raw query string (with or without the leading `?`), keeping the signed
/// octets as received, and checks that the XML parses within [`Limits::MESSAGE`]. Refuses
/// a SAML parameter given twice, both or neither of SAMLRequest and SAMLResponse, and a
/// SigAlg without a Signature (or the reverse).
pub fn decode_query(raw_query: &str) -> Result<RedirectMessage> {
    let msg = decode_query_unparsed(raw_query)?;
    crate::xml::parse(&msg.xml, &Limits::MESSAGE)?;
    Ok(msg)
}

/// [`decode_query`] without the parse: the XML is only checked to be UTF-8 within the
/// size limits. For a caller that parses the message itself, once, with
/// [`crate::xml::parse`] and [`Limits::MESSAGE`] (DTDs refused, depth and size bounded)
/// before it reads anything from it — as an IdP does on its hot path.
pub fn decode_query_unparsed(raw_query: &str) -> Result<RedirectMessage> {
    let raw_query = raw_query.strip_prefix('?').unwrap_or(raw_query);
    if raw_query.len() > super::MAX_ENCODED {
        return Err(Error::Binding(format!(
            "the query string is {} bytes, more than the limit of {} bytes",
            raw_query.len(),
            super::MAX_ENCODED
        )));
    }
    let params = Params::parse(raw_query)?;
    let (kind, raw_value) = params.message()?;
    let name = kind.param_name();
    let value = url_decode(raw_value, false, name)?;
    let compressed = decode_base64(&value, name)?;
    let xml = super::utf8_xml(inflate(&compressed, MAX_INFLATED)?)?;
    let relay_state = params
        .relay_state
        .map(|r| url_decode(r, true, "RelayState"))
        .transpose()?;

    let (sig_alg, signature, signed_octets) = match (params.sig_alg, params.signature) {
        (None, None) => (None, None, None),
        (Some(_), None) => {
            return Err(Error::Binding(
                "the query has a SigAlg but no Signature".into(),
            ))
        }
        (None, Some(_)) => {
            return Err(Error::Binding(
                "the query has a Signature but no SigAlg".into(),
            ))
        }
        (Some(alg_raw), Some(sig_raw)) => {
            let alg = url_decode(alg_raw, true, "SigAlg")?;
            let sig = decode_base64(&url_decode(sig_raw, false, "Signature")?, "Signature")?;
            let mut octets = String::with_capacity(raw_value.len() + alg_raw.len() + 64);
            octets.push_str(name);
            octets.push('=');
            octets.push_str(raw_value);
            if let Some(rs) = params.relay_state {
                octets.push_str("&RelayState=");
                octets.push_str(rs);
            }
            octets.push_str("&SigAlg=");
            octets.push_str(alg_raw);
            (Some(alg), Some(sig), Some(octets))
        }
    };
    Ok(RedirectMessage {
        kind,
        xml,
        relay_state,
        sig_alg,
        signature,
        signed_octets,
    })
}

impl RedirectMessage {
    /// Whether the query carried a signature.
    pub fn is_signed(&self) -> bool {
        self.signed_octets.is_some()
    }

    /// Verifies the query signature with any of `certs` (trusted certificates of the
    /// peer, never anything from the message). RSA-SHA1 only when `policy.allow_sha1`.
    /// Returns the algorithm used.
    pub fn verify_signature(
        &self,
        certs: &[Certificate],
        policy: &VerifyPolicy,
    ) -> Result<SignatureAlgorithm> {
        let (Some(alg_uri), Some(sig), Some(octets)) =
            (&self.sig_alg, &self.signature, &self.signed_octets)
        else {
            return Err(Error::Signature(
                "the Redirect message is not signed (no SigAlg and Signature parameters)".into(),
            ));
        };
        let alg = SignatureAlgorithm::from_uri(alg_uri)?;
        if alg == SignatureAlgorithm::RsaSha1 && !policy.allow_sha1 {
            return Err(Error::UnsupportedAlgorithm(format!(
                "{alg_uri} (SHA-1 signatures are disabled for this application)"
            )));
        }
        if certs.is_empty() {
            return Err(Error::Signature(
                "no trusted certificate is configured to verify the Redirect signature".into(),
            ));
        }
        if certs
            .iter()
            .any(|c| c.verify(alg, octets.as_bytes(), sig).is_ok())
        {
            Ok(alg)
        } else {
            Err(Error::Signature(
                "the Redirect query signature does not verify with any trusted certificate".into(),
            ))
        }
    }
}

/// Builds a Redirect query string (`SAMLRequest=…&RelayState=…&SigAlg=…&Signature=…`),
/// signed when `signer` is given.
pub fn encode_query(
    kind: MessageKind,
    xml: &str,
    relay_state: Option<&str>,
    signer: Option<(&SigningKey, SignatureAlgorithm)>,
) -> Result<String> {
    let value = B64.encode(deflate(xml.as_bytes()));
    let mut q = String::with_capacity(value.len() * 5 / 4 + 600);
    q.push_str(kind.param_name());
    q.push('=');
    url_encode(&mut q, &value);
    if let Some(rs) = relay_state {
        q.push_str("&RelayState=");
        url_encode(&mut q, rs);
    }
    if let Some((key, alg)) = signer {
        q.push_str("&SigAlg=");
        url_encode(&mut q, alg.uri());
        let sig = key.sign(alg, q.as_bytes())?;
        q.push_str("&Signature=");
        url_encode(&mut q, &B64.encode(sig));
    }
    Ok(q)
}

/// `endpoint` with `query` appended after `?` (or `&` when it already has a query).
pub fn redirect_url(endpoint: &str, query: &str) -> String {
    let mut url = String::with_capacity(endpoint.len() + query.len() + 1);
    url.push_str(endpoint);
    if !(endpoint.ends_with('?') || endpoint.ends_with('&')) {
        url.push(if endpoint.contains('?') { '&' } else { '?' });
    }
    url.push_str(query);
    url
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    const XML: &str = r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_l" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">sp</saml:Issuer></samlp:LogoutRequest>"#;

    /// XML above, DEFLATEd by zlib, signed with RSA-SHA1 by `openssl dgst -sha1 -sign
    /// test-rsa-key.pem`.
    const SHA1_QUERY: &str = "SAMLRequest=fY8xC8IwEIX%2FSsmuxg4ORxMQXAp1UXFwkVCCFNJczbuAP99Yl%2BIgPDjuveM%2BXgM3hok6fnCWk39mD6leY4igOTEqp0jsMICiGz1Iejrvjx3Va01TYuGeg6rag1H3Mq8%2BYeBoVImLC2TfRoiLUixd71Z6W3TRmmbdlG0%2BHJov04L8H%2BwAn6SAlMXUbBYv7Hf7qWTf&SigAlg=http%3A%2F%2Fwww.w3.org%2F2000%2F09%2Fxmldsig%23rsa-sha1&Signature=2MfshP3wGHV2p8r3onZm4Ekt7JLQ3hVD9B5oKlujTH8BmxuybGon3SWLyo9T78P4CWuhjcVGXLX5gGcCZR%2FZxEw0ZthaL80MCc1H8Gugg9ofPFPlrJ%2FEfnuGDfkFf83B0v8d88zhbuUgL7iPCwedbzX0qZpay1YuokZo6jZIXzYfEUt6lKpHzsMW6virIhVRWgRR6GjP%2Fpo8%2FUkWzmkGvCDMHRxEKqBYFZRWdGYD44WYU2t7%2FLnUwP5wy%2B4WiTzvG8mLS2ZP4bYnibFMwdlmAIt5PD9HDPrigzLvG5XFpCGv%2Fys6OGxlWQd%2Fo3AN8yDycUQWu%2BE7veurlL3ruNUG1g%3D%3D";

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn deflate_inflate_round_trip() {
        let d = deflate(XML.as_bytes());
        assert!(d.len() < XML.len());
        assert_eq!(inflate(&d, MAX_INFLATED).unwrap(), XML.as_bytes());
        assert_eq!(inflate(&d, XML.len()).unwrap(), XML.as_bytes());
        assert_eq!(
            inflate(&d, XML.len() - 1).unwrap_err(),
            Error::InflateTooLarge(XML.len() - 1)
        );
    }

    #[test]
    fn deflate_bomb_is_refused_quickly() {
        let bomb = deflate(&vec![0u8; 10 * 1024 * 1024]);
        assert!(bomb.len() < 20_000, "{}", bomb.len());
        let start = Instant::now();
        let e = inflate(&bomb, MAX_INFLATED).unwrap_err();
        assert_eq!(e, Error::InflateTooLarge(MAX_INFLATED));
        assert_eq!(e.to_string(), "DEFLATE data inflates beyond 256 KiB");
        assert!(start.elapsed() < Duration::from_secs(1));
        // Through the binding too.
        let q = format!("SAMLRequest={}", {
            let mut s = String::new();
            url_encode(&mut s, &B64.encode(&bomb));
            s
        });
        assert_eq!(
            decode_query(&q).unwrap_err(),
            Error::InflateTooLarge(MAX_INFLATED)
        );
    }

    #[test]
    fn decode_query_parses_and_the_unparsed_form_leaves_it_to_the_caller() {
        let dtd = "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>";
        let q = encode_query(MessageKind::Request, dtd, Some("rs"), None).unwrap();
        assert_eq!(decode_query(&q).unwrap_err(), Error::Dtd);
        let msg = decode_query_unparsed(&q).unwrap();
        assert_eq!(msg.xml, dtd);
        assert_eq!(msg.relay_state.as_deref(), Some("rs"));
        assert_eq!(
            crate::xml::parse(&msg.xml, &Limits::MESSAGE).unwrap_err(),
            Error::Dtd
        );
        // Everything else is checked alike.
        let bad_utf8 = format!("SAMLRequest={}", {
            let mut s = String::new();
            url_encode(&mut s, &B64.encode(deflate(b"<a>\xff</a>")));
            s
        });
        assert!(decode_query_unparsed(&bad_utf8).is_err());
        let ok = encode_query(MessageKind::Request, XML, None, None).unwrap();
        assert_eq!(
            decode_query(&ok).unwrap(),
            decode_query_unparsed(&ok).unwrap()
        );
    }

    #[test]
    fn corrupt_deflate() {
        assert!(matches!(
            inflate(b"\xff\xff\xff\xff", MAX_INFLATED),
            Err(Error::Deflate(_))
        ));
        let d = deflate(XML.as_bytes());
        assert!(matches!(
            inflate(&d[..d.len() / 2], MAX_INFLATED),
            Err(Error::Deflate(_))
        ));
        assert!(matches!(inflate(b"", MAX_INFLATED), Err(Error::Deflate(_))));
    }

    #[test]
    fn unsigned_round_trip() {
        let q = encode_query(
            MessageKind::Request,
            XML,
            Some("state with spaces/&="),
            None,
        )
        .unwrap();
        assert!(q.starts_with("SAMLRequest="));
        assert!(q.ends_with("&RelayState=state%20with%20spaces%2F%26%3D"));
        let m = decode_query(&q).unwrap();
        assert_eq!(m.kind, MessageKind::Request);
        assert_eq!(m.xml, XML);
        assert_eq!(m.relay_state.as_deref(), Some("state with spaces/&="));
        assert!(!m.is_signed());
        assert!(m.verify_signature(&[], &VerifyPolicy::default()).is_err());
        let m = decode_query(&format!(
            "?{}",
            encode_query(MessageKind::Response, XML, None, None).unwrap()
        ))
        .unwrap();
        assert_eq!(m.kind, MessageKind::Response);
        assert_eq!(m.relay_state, None);
    }

    #[test]
    fn signed_round_trip_and_exact_octets() {
        let key = SigningKey::from_pem(&fixture("test-rsa-key.pem")).unwrap();
        let cert = Certificate::from_pem(&fixture("test-rsa-cert.pem")).unwrap();
        let other = Certificate::from_pem(&fixture("other-rsa-cert.pem")).unwrap();
        let policy = VerifyPolicy::default();
        let q = encode_query(
            MessageKind::Request,
            XML,
            Some("rs"),
            Some((&key, SignatureAlgorithm::RsaSha256)),
        )
        .unwrap();
        let m = decode_query(&q).unwrap();
        assert_eq!(
            m.sig_alg.as_deref(),
            Some(SignatureAlgorithm::RsaSha256.uri())
        );
        assert_eq!(
            m.signed_octets.as_deref(),
            Some(&q[..q.find("&Signature=").unwrap()])
        );
        assert_eq!(
            m.verify_signature(&[other.clone(), cert.clone()], &policy)
                .unwrap(),
            SignatureAlgorithm::RsaSha256
        );
        assert!(matches!(
            m.verify_signature(std::slice::from_ref(&other), &policy),
            Err(Error::Signature(_))
        ));
        assert!(m.verify_signature(&[], &policy).is_err());

        // Extra parameters and a different order are fine; the octets are rebuilt in the
        // specified order from the raw slices.
        let parts: Vec<&str> = q.split('&').collect();
        let shuffled = format!("foo=1&{}&{}&{}&{}", parts[3], parts[2], parts[1], parts[0]);
        let m2 = decode_query(&shuffled).unwrap();
        assert_eq!(m2.signed_octets, m.signed_octets);
        assert!(m2
            .verify_signature(std::slice::from_ref(&cert), &policy)
            .is_ok());

        // An equivalent but different encoding (a letter as %XX) decodes to the same
        // message, yet the signature must fail: proof that nothing is re-encoded.
        let eq = q.find('=').unwrap() + 1;
        let i = q[eq..].find(|c: char| c.is_ascii_alphabetic()).unwrap() + eq;
        let reencoded = format!("{}%{:02X}{}", &q[..i], q.as_bytes()[i], &q[i + 1..]);
        let m3 = decode_query(&reencoded).unwrap();
        assert_eq!(m3.xml, XML);
        assert!(m3
            .verify_signature(std::slice::from_ref(&cert), &policy)
            .is_err());
        // Tampered RelayState.
        let tampered = q.replace("RelayState=rs", "RelayState=rt");
        assert!(decode_query(&tampered)
            .unwrap()
            .verify_signature(std::slice::from_ref(&cert), &policy)
            .is_err());

        // SHA-1 (signed by OpenSSL, encoded by Python's urllib: an outside encoder) only
        // when allowed.
        let m1 = decode_query(SHA1_QUERY).unwrap();
        assert_eq!(m1.xml, XML);
        assert!(matches!(
            m1.verify_signature(std::slice::from_ref(&cert), &policy),
            Err(Error::UnsupportedAlgorithm(_))
        ));
        assert_eq!(
            m1.verify_signature(
                std::slice::from_ref(&cert),
                &VerifyPolicy { allow_sha1: true }
            )
            .unwrap(),
            SignatureAlgorithm::RsaSha1
        );
        assert!(m1
            .verify_signature(&[other], &VerifyPolicy { allow_sha1: true })
            .is_err());
        // Unknown algorithm.
        let bad_alg = q.replace(
            &{
                let mut s = String::new();
                url_encode(&mut s, SignatureAlgorithm::RsaSha256.uri());
                s
            },
            "urn%3Ax",
        );
        assert!(matches!(
            decode_query(&bad_alg)
                .unwrap()
                .verify_signature(&[cert], &policy),
            Err(Error::UnsupportedAlgorithm(_))
        ));
    }

    #[test]
    fn bad_queries() {
        let q = encode_query(MessageKind::Request, XML, Some("rs"), None).unwrap();
        let dup = format!("{q}&RelayState=again");
        assert!(
            matches!(decode_query(&dup), Err(Error::Binding(m)) if m.contains("RelayState appears more than once"))
        );
        let dup2 = format!("{q}&{}", &q[..q.find('&').unwrap()]);
        assert!(
            matches!(decode_query(&dup2), Err(Error::Binding(m)) if m.contains("SAMLRequest appears more than once"))
        );
        assert!(matches!(
            decode_query("RelayState=x"),
            Err(Error::Binding(_))
        ));
        assert!(
            matches!(decode_query(&format!("{q}&SigAlg=x")), Err(Error::Binding(m)) if m.contains("no Signature"))
        );
        assert!(
            matches!(decode_query(&format!("{q}&Signature=AAAA")), Err(Error::Binding(m)) if m.contains("no SigAlg"))
        );
        assert!(matches!(
            decode_query(&format!("{q}&SigAlg=x&Signature=%%%")),
            Err(Error::Base64 {
                what: "Signature",
                ..
            })
        ));
        assert!(matches!(
            decode_query("SAMLRequest=abcde"),
            Err(Error::Base64 {
                what: "SAMLRequest",
                ..
            })
        ));
        assert!(matches!(
            decode_query("SAMLRequest="),
            Err(Error::Base64 { .. })
        ));
        // Valid DEFLATE of non-XML.
        let mut s = String::from("SAMLRequest=");
        url_encode(&mut s, &B64.encode(deflate(b"not xml")));
        assert!(matches!(decode_query(&s), Err(Error::MalformedXml(_))));
        // Invalid UTF-8 in RelayState.
        assert!(matches!(
            decode_query(&format!("{}&RelayState=%FF", &q[..q.find('&').unwrap()])),
            Err(Error::Binding(_))
        ));
    }

    #[test]
    fn urls() {
        assert_eq!(redirect_url("https://sp/slo", "a=1"), "https://sp/slo?a=1");
        assert_eq!(
            redirect_url("https://sp/slo?x=y", "a=1"),
            "https://sp/slo?x=y&a=1"
        );
        assert_eq!(redirect_url("https://sp/slo?", "a=1"), "https://sp/slo?a=1");
    }
}
