//! Signing and verifying round trips, tampering, wrong keys, and documents signed by xmlsec1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap

mod dsig_common;

use dsig_common::*;
use sesame_saml::c14n;
use sesame_saml::crypto::{Certificate, SignatureAlgorithm, SigningKey};
use sesame_saml::dsig::{self, SignTarget, VerifyPolicy};
use sesame_saml::xml::{self, Limits, NS_DS, NS_SAML};
use sesame_saml::Error;

const STRICT: VerifyPolicy = VerifyPolicy { allow_sha1: false };
const LEGACY: VerifyPolicy = VerifyPolicy { allow_sha1: true };

fn keys() -> Vec<(SigningKey, Certificate, SignatureAlgorithm)> {
    vec![
        (rsa_key(), rsa_cert(), SignatureAlgorithm::RsaSha256),
        (rsa_key(), rsa_cert(), SignatureAlgorithm::RsaSha512),
        (ec_key(), ec_cert(), SignatureAlgorithm::EcdsaSha256),
    ]
}

/// Signs the fixture, then checks which elements verify_message returns.
#[test]
fn round_trips_every_target_and_algorithm() {
    for (key, cert, alg) in keys() {
        for target in [
            SignTarget::Assertion,
            SignTarget::Response,
            SignTarget::Both,
        ] {
            let out = dsig::sign_message(&unsigned(), target, &key, Some(&cert), alg).unwrap();
            assert!(
                !out.contains("<SignedInfo xmlns"),
                "redundant xmlns on SignedInfo"
            );
            assert!(out.contains(alg.uri()));
            assert!(out.contains(alg.digest().uri()));
            let doc = parse(&out);
            let nodes = dsig::verify_message(&doc, std::slice::from_ref(&cert), &STRICT)
                .unwrap_or_else(|e| panic!("{target:?} {alg:?}: {e}"));
            let ids: Vec<_> = nodes.iter().map(|n| n.attribute("ID").unwrap()).collect();
            let expected: &[&str] = match target {
                SignTarget::Assertion => &[ASSERTION_ID],
                SignTarget::Response => &[RESPONSE_ID],
                SignTarget::Both => &[RESPONSE_ID, ASSERTION_ID],
            };
            assert_eq!(ids, expected, "{target:?} {alg:?}");
            for n in &nodes {
                assert_eq!(name_ids(*n), [NAME_ID]);
            }
            // Each element also verifies on its own, and with a list of certificates
            // where the right one is not first.
            for n in nodes {
                let certs = [other_cert(), rsa_cert(), cert.clone()];
                assert_eq!(dsig::verify_element(&doc, n, &certs, &STRICT).unwrap(), n);
            }
            // The wrong certificate fails.
            let err = dsig::verify_message(&doc, &[other_cert()], &STRICT).unwrap_err();
            assert!(matches!(err, Error::Signature(_)), "{err}");
        }
    }
}

#[test]
fn signature_is_placed_after_issuer_and_written_canonical() {
    let out = signed(SignTarget::Both);
    let doc = parse(&out);
    for id in [RESPONSE_ID, ASSERTION_ID] {
        let el = by_id(&doc, id);
        let kids: Vec<_> = xml::child_elements(el).collect();
        assert!(xml::is(kids[0], NS_SAML, "Issuer"));
        assert!(xml::is(kids[1], NS_DS, "Signature"));
    }
    // The Signature element is already canonical: c14n of it (in context) is its text.
    let sig = signature_text(&out, ASSERTION_ID);
    assert!(sig.starts_with(
        "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo><CanonicalizationMethod \
         Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></CanonicalizationMethod>"
    ));
    assert!(sig.contains(&format!("<Reference URI=\"#{ASSERTION_ID}\"><Transforms><Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"></Transform><Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></Transform></Transforms>")));
    assert!(sig.contains("<KeyInfo><X509Data><X509Certificate>"));
    assert!(!sig.contains('\n') && !sig.contains("> <"));
    let s = xml::child(by_id(&doc, ASSERTION_ID), NS_DS, "Signature").unwrap();
    let c =
        c14n::canonicalize(s, &c14n::Options::new(c14n::Algorithm::ExcC14n, &[]), None).unwrap();
    assert_eq!(c, sig);
}

/// A document written canonical by construction stays canonical when signed twice
/// (Assertion, then Response over it): the pitfall of a redundant SignedInfo xmlns.
#[test]
fn canonical_documents_stay_canonical() {
    let raw = unsigned();
    let d = parse(&raw);
    let canonical = c14n::canonicalize(
        d.root(),
        &c14n::Options::new(c14n::Algorithm::ExcC14n, &[]),
        None,
    )
    .unwrap();
    for (key, cert, alg) in keys() {
        let out = dsig::sign_message(&canonical, SignTarget::Both, &key, Some(&cert), alg).unwrap();
        let d2 = parse(&out);
        let again = c14n::canonicalize(
            d2.root(),
            &c14n::Options::new(c14n::Algorithm::ExcC14n, &[]),
            None,
        )
        .unwrap();
        assert_eq!(again, out);
        dsig::verify_message(&d2, &[cert], &STRICT).unwrap();
    }
}

/// The fast path: the caller supplies the canonical form and splices the Signature.
#[test]
fn enveloped_signature_fast_path() {
    let raw = unsigned();
    let d = parse(&raw);
    let a = by_id(&d, ASSERTION_ID);
    let canonical = content(a);
    let key = rsa_key();
    let cert = rsa_cert();
    let sig = dsig::enveloped_signature(
        canonical.as_bytes(),
        ASSERTION_ID,
        &key,
        None,
        SignatureAlgorithm::RsaSha256,
    )
    .unwrap();
    assert!(!sig.contains("KeyInfo"));
    let issuer = xml::child(a, NS_SAML, "Issuer").unwrap().range().end;
    let out = format!("{}{}{}", &raw[..issuer], sig, &raw[issuer..]);
    let d2 = parse(&out);
    assert_eq!(
        dsig::verify_message(&d2, std::slice::from_ref(&cert), &STRICT)
            .unwrap()
            .len(),
        1
    );

    // A certificate that is not the key's is refused rather than published.
    let err = dsig::enveloped_signature(
        b"<a></a>",
        "a",
        &key,
        Some(&other_cert()),
        SignatureAlgorithm::RsaSha256,
    )
    .unwrap_err();
    assert!(matches!(err, Error::Key(_)), "{err}");
    // IDs that cannot be a bare-name reference are refused.
    for bad in ["", "1x", "a b", "x\"y"] {
        assert!(dsig::enveloped_signature(
            b"<a></a>",
            bad,
            &key,
            None,
            SignatureAlgorithm::RsaSha256
        )
        .is_err());
    }
    // An algorithm that does not fit the key.
    assert!(dsig::enveloped_signature(
        b"<a></a>",
        "a",
        &key,
        None,
        SignatureAlgorithm::EcdsaSha256
    )
    .is_err());
    // RSA-SHA1 (legacy, opt-in) signs, and verifies only under the legacy policy.
    let doc_text = r#"<a ID="a"><b>x</b></a>"#;
    let signed =
        dsig::sign_element(doc_text, "a", &key, None, SignatureAlgorithm::RsaSha1).unwrap();
    let doc = sesame_saml::xml::parse(&signed, &sesame_saml::xml::Limits::MESSAGE).unwrap();
    let certs = [rsa_cert()];
    assert!(dsig::verify_element(
        &doc,
        doc.root_element(),
        &certs,
        &dsig::VerifyPolicy::default()
    )
    .is_err());
    dsig::verify_element(
        &doc,
        doc.root_element(),
        &certs,
        &dsig::VerifyPolicy { allow_sha1: true },
    )
    .unwrap();
}

#[test]
fn sign_element_edge_cases() {
    let key = rsa_key();
    let cert = rsa_cert();
    let alg = SignatureAlgorithm::RsaSha256;
    let certs = [cert.clone()];

    // No Issuer: the Signature becomes the first child, even of a self-closing element.
    for x in [
        r#"<m:Doc xmlns:m="urn:x" ID="d1" a="x/>y"/>"#,
        r#"<m:Doc xmlns:m="urn:x" ID="d1" a="x/>y" />"#,
        r#"<m:Doc xmlns:m="urn:x" ID="d1"><m:Child>t</m:Child></m:Doc>"#,
        "<?xml version=\"1.0\"?>\n<Doc ID=\"d1\">\n  <Child/>\n</Doc>\n",
    ] {
        let out = dsig::sign_element(x, "d1", &key, Some(&cert), alg).unwrap();
        let d = parse(&out);
        let first = xml::child_elements(d.root_element()).next().unwrap();
        assert!(xml::is(first, NS_DS, "Signature"), "{out}");
        dsig::verify_element(&d, d.root_element(), &certs, &STRICT).unwrap();
    }
    // A nested element; the rest of the text is untouched.
    let x = r#"<r><!-- keep --><e ID="e1" xmlns="urn:e"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">i</Issuer><x/></e><tail/></r>"#;
    let out = dsig::sign_element(x, "e1", &key, None, alg).unwrap();
    let sig_start = out.find("<Signature").unwrap();
    let sig_end = out.find("</Signature>").unwrap() + "</Signature>".len();
    assert_eq!(format!("{}{}", &out[..sig_start], &out[sig_end..]), x);
    let d = parse(&out);
    dsig::verify_element(&d, by_id(&d, "e1"), &certs, &STRICT).unwrap();

    // Refusals.
    let already = signed(SignTarget::Assertion);
    let err = dsig::sign_element(&already, ASSERTION_ID, &key, None, alg).unwrap_err();
    assert!(err.to_string().contains("already signed"), "{err}");
    let err = dsig::sign_element(&unsigned(), "nope", &key, None, alg).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
    let err = dsig::sign_element(r#"<a ID="x"><b ID="x"/></a>"#, "x", &key, None, alg).unwrap_err();
    assert_eq!(err, Error::DuplicateId("x".into()));
    let err = dsig::sign_element(r#"<a Id="x"/>"#, "x", &key, None, alg).unwrap_err();
    assert!(matches!(err, Error::Signature(_)), "{err}");
    assert_eq!(
        dsig::sign_element("<!DOCTYPE a><a ID=\"x\"/>", "x", &key, None, alg).unwrap_err(),
        Error::Dtd
    );
    // sign_message targets.
    let bare = {
        let raw = unsigned();
        let d = parse(&raw);
        raw[by_id(&d, ASSERTION_ID).range()].to_owned()
    };
    let out = dsig::sign_message(&bare, SignTarget::Assertion, &key, None, alg).unwrap();
    let d = parse(&out);
    assert_eq!(dsig::verify_message(&d, &certs, &STRICT).unwrap().len(), 1);
    assert!(dsig::sign_message(&bare, SignTarget::Both, &key, None, alg).is_err());
    let no_assertion =
        r#"<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="lr1"/>"#;
    assert!(dsig::sign_message(no_assertion, SignTarget::Assertion, &key, None, alg).is_err());
    let out = dsig::sign_message(no_assertion, SignTarget::Response, &key, None, alg).unwrap();
    let d = parse(&out);
    assert_eq!(dsig::verify_message(&d, &certs, &STRICT).unwrap().len(), 1);
}

#[test]
fn two_assertions_both_signed() {
    let raw = unsigned();
    let d = parse(&raw);
    let r = by_id(&d, ASSERTION_ID).range();
    let second = raw[r.clone()]
        .replace(ASSERTION_ID, "_second")
        .replace(NAME_ID, "bob@example.com");
    let x = format!("{}{}{}", &raw[..r.end], second, &raw[r.end..]);
    let out = dsig::sign_message(
        &x,
        SignTarget::Both,
        &rsa_key(),
        None,
        SignatureAlgorithm::RsaSha256,
    )
    .unwrap();
    let d = parse(&out);
    let nodes = dsig::verify_message(&d, &[rsa_cert()], &STRICT).unwrap();
    let ids: Vec<_> = nodes.iter().map(|n| n.attribute("ID").unwrap()).collect();
    assert_eq!(ids, [RESPONSE_ID, ASSERTION_ID, "_second"]);
}

/// Any single changed character inside signed content breaks verification.
#[test]
fn every_flipped_byte_fails() {
    for target in [
        SignTarget::Assertion,
        SignTarget::Response,
        SignTarget::Both,
    ] {
        let out = signed(target);
        let d = parse(&out);
        let signed_range = match target {
            SignTarget::Assertion => by_id(&d, ASSERTION_ID).range(),
            _ => d.root_element().range(),
        };
        // Positions of text content and attribute values outside every Signature.
        let mut positions = Vec::new();
        for n in d.descendants() {
            if n.ancestors().any(|a| xml::is(a, NS_DS, "Signature")) {
                continue;
            }
            if n.is_text() {
                positions.extend(n.range());
            }
            if n.is_element() {
                for a in n.attributes() {
                    positions.extend(a.range_value());
                }
            }
        }
        positions
            .retain(|p| signed_range.contains(p) && out.as_bytes()[*p].is_ascii_alphanumeric());
        assert!(positions.len() > 500, "{}", positions.len());
        for p in positions {
            let mut bytes = out.clone().into_bytes();
            bytes[p] = if bytes[p] == b'a' { b'b' } else { b'a' };
            let tampered = String::from_utf8(bytes).unwrap();
            let res = verify_text(&tampered, &STRICT);
            assert!(res.is_err(), "{target:?}: changing byte {p} still verifies");
        }
    }
}

#[test]
fn tampered_signature_parts_fail() {
    let out = signed(SignTarget::Assertion);
    let sig = signature_text(&out, ASSERTION_ID);
    let value_at = sig.find("<SignatureValue>").unwrap() + "<SignatureValue>".len() + 10;
    let digest_at = sig.find("<DigestValue>").unwrap() + "<DigestValue>".len() + 10;
    for at in [value_at, digest_at] {
        let mut s = sig.clone().into_bytes();
        s[at] = if s[at] == b'A' { b'B' } else { b'A' };
        let tampered = out.replace(&sig, std::str::from_utf8(&s).unwrap());
        assert!(matches!(
            verify_text(&tampered, &STRICT),
            Err(Error::Signature(_))
        ));
    }
    // Whitespace in the base64 values is tolerated.
    let v0 = sig.find("<SignatureValue>").unwrap() + "<SignatureValue>".len();
    let spaced = format!(
        "{}\n  {}&#13;\n{}",
        &sig[..v0],
        &sig[v0..v0 + 40],
        &sig[v0 + 40..]
    );
    verify_text(&out.replace(&sig, &spaced), &STRICT).unwrap();
    // The KeyInfo is never used: replacing it changes nothing.
    let ki = sig.find("<KeyInfo>").unwrap();
    let swapped = format!(
        "{}<KeyInfo><X509Data><X509Certificate>{}</X509Certificate></X509Data></KeyInfo></Signature>",
        &sig[..ki],
        other_cert().to_base64()
    );
    verify_text(&out.replace(&sig, &swapped), &STRICT).unwrap();
}

/// Signed with the untrusted key and publishing its own certificate in KeyInfo: refused.
#[test]
fn keyinfo_certificate_is_not_trusted() {
    let out = dsig::sign_message(
        &unsigned(),
        SignTarget::Both,
        &other_key(),
        Some(&other_cert()),
        SignatureAlgorithm::RsaSha256,
    )
    .unwrap();
    assert!(matches!(
        verify_text(&out, &STRICT),
        Err(Error::Signature(_))
    ));
    let d = parse(&out);
    assert!(dsig::verify_message(&d, &[], &STRICT).is_err());
}

#[test]
fn xmlsec1_signed_fixtures_verify() {
    // ds: prefixes, indentation, InclusiveNamespaces PrefixList="xs", Both signatures.
    let x = fixture("response-xmlsec1-rsa-sha256.xml");
    let d = xml::parse(&x, &Limits::MESSAGE).unwrap();
    let nodes = dsig::verify_message(&d, &[rsa_cert()], &STRICT).unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(name_ids(nodes[1]), [NAME_ID]);
    assert!(dsig::verify_message(&d, &[other_cert()], &STRICT).is_err());

    // RSA-SHA1 + SHA-1 digest: only with the legacy policy.
    let x = fixture("response-xmlsec1-rsa-sha1.xml");
    let d = xml::parse(&x, &Limits::MESSAGE).unwrap();
    let err = dsig::verify_message(&d, &[rsa_cert()], &STRICT).unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedAlgorithm(ref m) if m.contains("rsa-sha1")),
        "{err}"
    );
    let nodes = dsig::verify_message(&d, &[rsa_cert()], &LEGACY).unwrap();
    assert_eq!(nodes.len(), 1);
    assert_eq!(name_ids(nodes[0]), [NAME_ID]);
    // ... and tampering is still detected.
    let t = x.replacen(NAME_ID, "mallory@example.com", 1);
    assert!(verify_text(&t, &LEGACY).is_err());
}
