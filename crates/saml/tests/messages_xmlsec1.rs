//! Interoperability of the messages written canonical by construction: every signature
//! [`build_response`] (each signing mode), the Logout messages, the signed AuthnRequest
//! and the signed IdP metadata make verifies with `xmlsec1 --verify` (libxml2's own
//! exclusive c14n computes the digests, so this also proves the documents are canonical).
//!
//! Skipped (with a message) when /usr/bin/xmlsec1 is missing, except when `CI=true`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap

use sesame_saml::crypto::{Certificate, SignatureAlgorithm, SigningKey};
use sesame_saml::messages::{
    build_response, AssertionParams, Attribute, AuthnRequest, AuthnStatement, Conditions,
    LogoutRequest, LogoutResponse, NameId, ResponseParams, SignTarget, Signer, Status, StatusCode,
    SubjectConfirmation, NAMEID_EMAIL,
};
use sesame_saml::metadata::IdpMetadata;
use sesame_saml::time::Timestamp;
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

fn fixture_path(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn key() -> SigningKey {
    SigningKey::from_pem(&std::fs::read_to_string(fixture_path("test-rsa-key.pem")).unwrap())
        .unwrap()
}

fn cert() -> Certificate {
    Certificate::from_pem(&std::fs::read_to_string(fixture_path("test-rsa-cert.pem")).unwrap())
        .unwrap()
}

fn temp_file(contents: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let p = std::env::temp_dir().join(format!(
        "sesame-messages-{}-{}.xml",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::write(&p, contents).unwrap();
    p
}

/// `xmlsec1 --verify` of the Signature that is a direct child of the element with `id`.
fn xmlsec1_verify(doc: &str, id: &str, cert_file: &str) -> (bool, String) {
    let file = temp_file(doc);
    let xpath = format!("//*[@ID='{id}']/*[local-name()='Signature']");
    let out = Command::new(XMLSEC1)
        .arg("--verify")
        .args(["--pubkey-cert-pem", cert_file])
        .args([
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:Response",
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest",
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest",
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse",
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor",
        ])
        .args(["--node-xpath", &xpath])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_verifies(doc: &str, id: &str) {
    let (ok, log) = xmlsec1_verify(doc, id, &fixture_path("test-rsa-cert.pem"));
    assert!(ok, "xmlsec1 refused the signature of {id}:\n{log}\n{doc}");
    let (ok, _) = xmlsec1_verify(doc, id, &fixture_path("other-rsa-cert.pem"));
    assert!(!ok, "xmlsec1 accepted {id} with the wrong certificate");
}

const T0: Timestamp = Timestamp(1_795_323_600_123);

fn params() -> ResponseParams {
    ResponseParams {
        id: "_resp1".into(),
        in_response_to: Some("_req&1".into()),
        issue_instant: T0,
        destination: Some("https://sp.example/acs?a=1&b=\"2\"".into()),
        issuer: "https://sesame.example/".into(),
        status: Status::success(),
        assertion: Some(AssertionParams {
            id: "_asrt1".into(),
            issue_instant: T0,
            issuer: "https://sesame.example/".into(),
            name_id: NameId::new("b.simon@contoso.com", Some(NAMEID_EMAIL)),
            subject_confirmation: SubjectConfirmation {
                recipient: "https://sp.example/acs?a=1&b=\"2\"".into(),
                not_on_or_after: T0.plus_seconds(300),
                in_response_to: Some("_req&1".into()),
            },
            conditions: Conditions {
                not_before: T0.plus_seconds(-300),
                not_on_or_after: T0.plus_seconds(3600),
                audiences: vec!["https://sp.example/".into()],
            },
            authn: Some(AuthnStatement {
                authn_instant: T0,
                session_index: "_sess1".into(),
                session_not_on_or_after: None,
                class_ref: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
                    .into(),
            }),
            attributes: vec![
                Attribute::new("givenname", vec!["B & <Simon>".into()]),
                Attribute::new(
                    "groups",
                    vec!["a\tb".into(), "line1\r\nline2".into(), "\"q\"".into()],
                ),
            ],
        }),
    }
}

#[test]
fn xmlsec1_verifies_every_response_signing_mode() {
    if !have_xmlsec1() {
        return;
    }
    for alg in [SignatureAlgorithm::RsaSha256, SignatureAlgorithm::RsaSha512] {
        for target in [
            SignTarget::Response,
            SignTarget::Assertion,
            SignTarget::Both,
        ] {
            let signer = Signer {
                key: key(),
                cert: cert(),
                alg,
                target,
            };
            let x = build_response(&params(), Some(&signer)).unwrap();
            if matches!(target, SignTarget::Response | SignTarget::Both) {
                assert_verifies(&x, "_resp1");
            }
            if matches!(target, SignTarget::Assertion | SignTarget::Both) {
                assert_verifies(&x, "_asrt1");
            }
        }
    }
    // A status-only error Response, signed.
    let mut p = params();
    p.assertion = None;
    p.status = Status::error(
        StatusCode::Responder,
        Some(StatusCode::RequestDenied),
        Some("not assigned <to> this app"),
    );
    let signer = Signer {
        key: key(),
        cert: cert(),
        alg: SignatureAlgorithm::RsaSha256,
        target: SignTarget::Assertion,
    };
    let x = build_response(&p, Some(&signer)).unwrap();
    assert_verifies(&x, "_resp1");
}

#[test]
fn xmlsec1_verifies_signed_requests_logout_and_metadata() {
    if !have_xmlsec1() {
        return;
    }
    let (key, cert) = (key(), cert());
    let alg = SignatureAlgorithm::RsaSha256;

    let mut ar = AuthnRequest::new("_ar1", T0, "https://sp.example/");
    ar.acs_url = Some("https://sp.example/acs?x=1&y=2".into());
    ar.destination = Some("https://sesame.example/sso".into());
    let x = ar.to_signed_xml(&key, Some(&cert), alg).unwrap();
    assert_verifies(&x, "_ar1");
    assert!(AuthnRequest::parse(&x).unwrap().has_signature);

    let lr = LogoutRequest {
        id: "_lr1".into(),
        issue_instant: T0,
        destination: Some("https://sp.example/slo".into()),
        issuer: "https://sesame.example/".into(),
        name_id: NameId::new("b.simon@contoso.com", Some(NAMEID_EMAIL)),
        session_indexes: vec!["_sess1".into()],
        reason: None,
        not_on_or_after: Some(T0.plus_seconds(60)),
    };
    assert_verifies(&lr.to_signed_xml(&key, Some(&cert), alg).unwrap(), "_lr1");

    let lp = LogoutResponse {
        id: "_lp1".into(),
        in_response_to: Some("_lr0".into()),
        issue_instant: T0,
        destination: Some("https://sp.example/slo".into()),
        issuer: "https://sesame.example/".into(),
        status: Status::success(),
    };
    assert_verifies(&lp.to_signed_xml(&key, Some(&cert), alg).unwrap(), "_lp1");

    let md = IdpMetadata {
        entity_id: "https://sesame.example/".into(),
        signing_certificates: vec![cert.clone()],
        sso_url: "https://sesame.example/sso".into(),
        slo_url: Some("https://sesame.example/slo".into()),
        name_id_formats: vec![NAMEID_EMAIL.into()],
        valid_until: Some(T0.plus_seconds(86_400)),
        id: Some("_md1".into()),
    };
    assert_verifies(&md.to_signed_xml(&key, &cert, alg).unwrap(), "_md1");
}
