//! Building and signing a typical Response (8 attributes, Assertion signed), against one
//! bare RSA-2048 signature with the same crypto crate: everything that is not the RSA
//! operation should cost under 10% of the total.
//!
//! Run: `cargo bench -p sesame-saml --bench sign_response`

// A benchmark aborts on a broken fixture like a test does.
#![allow(clippy::expect_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use sesame_saml::crypto::{Certificate, SignatureAlgorithm, SigningKey};
use sesame_saml::dsig::SignTarget;
use sesame_saml::messages::response::{
    build_response, AssertionParams, Attribute, AuthnStatement, Conditions, ResponseParams, Signer,
    SubjectConfirmation,
};
use sesame_saml::messages::status::Status;
use sesame_saml::messages::NameId;
use sesame_saml::time::Timestamp;

const KEY: &str = include_str!("../tests/fixtures/test-rsa-key.pem");
const CERT: &str = include_str!("../tests/fixtures/test-rsa-cert.pem");

fn params(n: u64) -> ResponseParams {
    let now = Timestamp(1_795_000_000_000 + n as i64);
    let claims = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/";
    let attributes = vec![
        Attribute::new(format!("{claims}givenname"), vec!["B".into()]),
        Attribute::new(format!("{claims}surname"), vec!["Simon".into()]),
        Attribute::new(
            format!("{claims}emailaddress"),
            vec!["B.Simon@contoso.com".into()],
        ),
        Attribute::new(format!("{claims}name"), vec!["B.Simon@contoso.com".into()]),
        Attribute::new(
            "http://schemas.microsoft.com/identity/claims/tenantid",
            vec!["9f1c4a52-2c55-4bd6-9f35-8b7a4c8e1f00".into()],
        ),
        Attribute::new(
            "http://schemas.microsoft.com/identity/claims/objectidentifier",
            vec!["5d0e3b0e-6f7a-4a4e-9c38-2d8f7e0b9a11".into()],
        ),
        Attribute::new(
            "http://schemas.microsoft.com/identity/claims/displayname",
            vec!["B.Simon".into()],
        ),
        Attribute::new(
            "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
            vec!["Sales".into(), "Engineering".into(), "All staff".into()],
        ),
    ];
    let request_id = format!("_req{n:016x}");
    let acs = "https://portal.convene.me.uk/saml/acs/3c8e1f00a2".to_string();
    ResponseParams {
        id: format!("_resp{n:032x}"),
        in_response_to: Some(request_id.clone()),
        issue_instant: now,
        destination: Some(acs.clone()),
        issuer: "https://sesame.example.com/9f1c4a52-2c55-4bd6-9f35-8b7a4c8e1f00/".into(),
        status: Status::success(),
        assertion: Some(AssertionParams {
            id: format!("_asrt{n:032x}"),
            issue_instant: now,
            issuer: "https://sesame.example.com/9f1c4a52-2c55-4bd6-9f35-8b7a4c8e1f00/".into(),
            name_id: NameId::new(
                "B.Simon@contoso.com",
                Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"),
            ),
            subject_confirmation: SubjectConfirmation {
                recipient: acs,
                not_on_or_after: now.plus_seconds(300),
                in_response_to: Some(request_id),
            },
            conditions: Conditions {
                not_before: now.plus_seconds(-60),
                not_on_or_after: now.plus_seconds(4200),
                audiences: vec!["https://portal.convene.me.uk/saml".into()],
            },
            authn: Some(AuthnStatement {
                authn_instant: now,
                session_index: format!("_sess{n:032x}"),
                session_not_on_or_after: None,
                class_ref: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
                    .into(),
            }),
            attributes,
        }),
    }
}

fn bench(c: &mut Criterion) {
    let key = SigningKey::from_pem(KEY).expect("fixture key");
    let cert = Certificate::from_pem(CERT).expect("fixture cert");
    let signer = |target| Signer {
        key: SigningKey::from_pem(KEY).expect("fixture key"),
        cert: cert.clone(),
        alg: SignatureAlgorithm::RsaSha256,
        target,
    };
    let sign_assertion = signer(SignTarget::Assertion);
    let sign_both = signer(SignTarget::Both);
    let p = params(1);
    let mut g = c.benchmark_group("response");
    g.bench_function("rsa2048_sign_bare", |b| {
        // The same input size as the canonical SignedInfo.
        let msg = [0x5au8; 700];
        b.iter(|| {
            key.sign(SignatureAlgorithm::RsaSha256, black_box(&msg))
                .expect("sign")
        })
    });
    g.bench_function("build_unsigned_8_attributes", |b| {
        b.iter(|| build_response(black_box(&p), None).expect("build"))
    });
    g.bench_function("build_and_sign_assertion_8_attributes", |b| {
        b.iter(|| build_response(black_box(&p), Some(&sign_assertion)).expect("build"))
    });
    g.bench_function("build_and_sign_both_8_attributes", |b| {
        b.iter(|| build_response(black_box(&p), Some(&sign_both)).expect("build"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
