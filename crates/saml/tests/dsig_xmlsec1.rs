//! Interoperability with xmlsec1 (libxmlsec1, the reference XML-DSig implementation most
//! SPs sit on): our signatures verify with `xmlsec1 --verify`, and templates signed with
//! `xmlsec1 --sign` verify with our verifier.
//!
//! Skipped (with a message) when /usr/bin/xmlsec1 is missing, except when `CI=true`,
//! where a missing xmlsec1 fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap

mod dsig_common;

use dsig_common::*;
use sesame_saml::crypto::{Certificate, SignatureAlgorithm, SigningKey};
use sesame_saml::dsig::{self, SignTarget, VerifyPolicy};
use sesame_saml::xml::{self, Limits};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

const XMLSEC1: &str = "/usr/bin/xmlsec1";

fn have_xmlsec1() -> bool {
    if Path::new(XMLSEC1).exists() {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but {XMLSEC1} is missing: install xmlsec1 (Debian package xmlsec1)");
    }
    eprintln!("skipping: {XMLSEC1} not installed");
    false
}

fn temp_file(contents: &str, ext: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let p = std::env::temp_dir().join(format!(
        "sesame-dsig-{}-{}.{ext}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::write(&p, contents).unwrap();
    p
}

fn fixture_path(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

const ID_ATTRS: [&str; 4] = [
    "--id-attr:ID",
    "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
    "--id-attr:ID",
    "urn:oasis:names:tc:SAML:2.0:protocol:Response",
];

/// `xmlsec1 --verify` of the Signature that is a direct child of the element with `id`.
fn xmlsec1_verify(doc: &str, cert_pem: &str, id: &str) -> (bool, String) {
    let file = temp_file(doc, "xml");
    let xpath = format!("//*[@ID='{id}']/*[local-name()='Signature']");
    let out = Command::new(XMLSEC1)
        .arg("--verify")
        .args(["--pubkey-cert-pem", cert_pem])
        .args(ID_ATTRS)
        .args(["--node-xpath", &xpath])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.success(), log)
}

#[test]
fn xmlsec1_verifies_our_signatures() {
    if !have_xmlsec1() {
        return;
    }
    let cases: [(SigningKey, &str, SignatureAlgorithm); 3] = [
        (
            rsa_key(),
            "test-rsa-cert.pem",
            SignatureAlgorithm::RsaSha256,
        ),
        (
            rsa_key(),
            "test-rsa-cert.pem",
            SignatureAlgorithm::RsaSha512,
        ),
        (
            ec_key(),
            "test-ec-cert.pem",
            SignatureAlgorithm::EcdsaSha256,
        ),
    ];
    for (key, cert_file, alg) in cases {
        let cert = Certificate::from_pem(&fixture(cert_file)).unwrap();
        for target in [
            SignTarget::Assertion,
            SignTarget::Response,
            SignTarget::Both,
        ] {
            let out = dsig::sign_message(&unsigned(), target, &key, Some(&cert), alg).unwrap();
            let ids: &[&str] = match target {
                SignTarget::Assertion => &[ASSERTION_ID],
                SignTarget::Response => &[RESPONSE_ID],
                SignTarget::Both => &[RESPONSE_ID, ASSERTION_ID],
            };
            for id in ids {
                let (ok, log) = xmlsec1_verify(&out, &fixture_path(cert_file), id);
                assert!(
                    ok,
                    "xmlsec1 rejects {alg:?} {target:?} signature of {id}:\n{log}\n{out}"
                );
                // ... and rejects it after tampering.
                let tampered = out.replacen(NAME_ID, "mallory@example.com", 1);
                let (ok, _) = xmlsec1_verify(&tampered, &fixture_path(cert_file), id);
                assert!(
                    !ok,
                    "xmlsec1 accepts a tampered document ({alg:?} {target:?} {id})"
                );
            }
        }
    }
}

const TEMPLATE_SIG: &str = r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
    <ds:SignedInfo>
      <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
      <ds:SignatureMethod Algorithm="SIGALG"/>
      <ds:Reference URI="#REFID">
        <ds:Transforms>
          <ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
          <ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
        </ds:Transforms>
        <ds:DigestMethod Algorithm="DIGALG"/>
        <ds:DigestValue/>
      </ds:Reference>
    </ds:SignedInfo>
    <ds:SignatureValue/>
    <ds:KeyInfo><ds:X509Data/></ds:KeyInfo>
  </ds:Signature>"##;

/// `xmlsec1 --sign` of the template's first Signature.
fn xmlsec1_sign(template: &str, key_file: &str, cert_file: &str) -> String {
    let input = temp_file(template, "xml");
    let output = input.with_extension("signed.xml");
    let out = Command::new(XMLSEC1)
        .arg("--sign")
        .args([
            "--privkey-pem",
            &format!("{},{}", fixture_path(key_file), fixture_path(cert_file)),
        ])
        .args(ID_ATTRS)
        .arg("--output")
        .arg(&output)
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "xmlsec1 --sign: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let signed = std::fs::read_to_string(&output).unwrap();
    let _ = std::fs::remove_file(&input);
    let _ = std::fs::remove_file(&output);
    signed
}

#[test]
fn we_verify_xmlsec1_signatures() {
    if !have_xmlsec1() {
        return;
    }
    let cases = [
        (
            "test-rsa-key.pem",
            "test-rsa-cert.pem",
            SignatureAlgorithm::RsaSha256,
        ),
        (
            "test-rsa-key.pem",
            "test-rsa-cert.pem",
            SignatureAlgorithm::RsaSha512,
        ),
        (
            "test-rsa-key.pem",
            "test-rsa-cert.pem",
            SignatureAlgorithm::RsaSha1,
        ),
        (
            "test-ec-key.pem",
            "test-ec-cert.pem",
            SignatureAlgorithm::EcdsaSha256,
        ),
    ];
    for (key_file, cert_file, alg) in cases {
        let cert = Certificate::from_pem(&fixture(cert_file)).unwrap();
        let policy = VerifyPolicy {
            allow_sha1: alg == SignatureAlgorithm::RsaSha1,
        };
        let sig = TEMPLATE_SIG
            .replace("SIGALG", alg.uri())
            .replace("DIGALG", alg.digest().uri());
        // Assertion signature, then (over it) the Response signature.
        let issuer = "<Issuer>https://idp.example.com/saml</Issuer>";
        let t = unsigned().replacen(
            issuer,
            &format!("{issuer}{}", sig.replace("REFID", ASSERTION_ID)),
            1,
        );
        let once = xmlsec1_sign(&t, key_file, cert_file);
        let d = xml::parse(&once, &Limits::MESSAGE).unwrap();
        let nodes = dsig::verify_message(&d, std::slice::from_ref(&cert), &policy)
            .unwrap_or_else(|e| panic!("{alg:?}: {e}\n{once}"));
        assert_eq!(nodes.len(), 1);
        assert_eq!(name_ids(nodes[0]), [NAME_ID]);
        assert!(dsig::verify_message(&d, &[other_cert()], &policy).is_err());

        let resp_issuer =
            "<Issuer xmlns=\"urn:oasis:names:tc:SAML:2.0:assertion\">https://idp.example.com/saml</Issuer>";
        let once = once.replacen("<?xml version=\"1.0\"?>\n", "", 1);
        let t2 = once.replacen(
            resp_issuer,
            &format!("{resp_issuer}{}", sig.replace("REFID", RESPONSE_ID)),
            1,
        );
        let twice = xmlsec1_sign(&t2, key_file, cert_file);
        let d = xml::parse(&twice, &Limits::MESSAGE).unwrap();
        let nodes = dsig::verify_message(&d, std::slice::from_ref(&cert), &policy)
            .unwrap_or_else(|e| panic!("{alg:?} both: {e}\n{twice}"));
        assert_eq!(nodes.len(), 2);
        let tampered = twice.replacen(NAME_ID, "mallory@example.com", 1);
        let d = xml::parse(&tampered, &Limits::MESSAGE).unwrap();
        assert!(dsig::verify_message(&d, std::slice::from_ref(&cert), &policy).is_err());
    }
}

/// Inclusive Canonical XML 1.0 for SignedInfo and a Reference with the
/// enveloped-signature transform alone (so the node-set is converted with inclusive
/// c14n): both accepted by the profile, both made by xmlsec1 here.
#[test]
fn we_verify_xmlsec1_inclusive_c14n() {
    if !have_xmlsec1() {
        return;
    }
    let sig = format!(
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>\
         <ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/>\
         <ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>\
         <ds:Reference URI=\"#{ASSERTION_ID}\"><ds:Transforms>\
         <ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\
         </ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\
         <ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/></ds:Signature>"
    );
    let issuer = "<Issuer>https://idp.example.com/saml</Issuer>";
    let t = unsigned().replacen(issuer, &format!("{issuer}{sig}"), 1);
    let signed = xmlsec1_sign(&t, "test-rsa-key.pem", "test-rsa-cert.pem");
    let d = xml::parse(&signed, &Limits::MESSAGE).unwrap();
    let nodes = dsig::verify_message(&d, &[rsa_cert()], &VerifyPolicy::default())
        .unwrap_or_else(|e| panic!("{e}\n{signed}"));
    assert_eq!(name_ids(nodes[0]), [NAME_ID]);
    // Inclusive c14n covers the in-scope namespaces of the ancestors: changing an unused
    // declaration on the Response breaks the Assertion's digest.
    let t = signed.replacen(
        "xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"",
        "xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:zz=\"urn:zz\"",
        1,
    );
    let d = xml::parse(&t, &Limits::MESSAGE).unwrap();
    assert!(dsig::verify_message(&d, &[rsa_cert()], &VerifyPolicy::default()).is_err());
}
