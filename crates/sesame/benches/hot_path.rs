//! Micro-benchmarks of the SSO hot path's CPU work outside the RSA signature:
//! an HTTP-Redirect AuthnRequest decoded, parsed and validated (unsigned, and signed with
//! RSA-SHA256 and verified), and claims evaluation for a user in 200 groups (the overage
//! path) against 150 groups (the most that are still sent as values).
//! Building and signing the Response: `cargo bench -p sesame-saml --bench sign_response`.
//!
//! Run: `cargo bench -p sesame --bench hot_path`

// A benchmark aborts on a broken fixture like a test does.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use sesame::apps::claims::{
    default_claims, evaluate, parse_expression, AppClaims, Claim, ClaimContext, GroupClaims,
    GroupEmit, GroupScope,
};
use sesame::directory::{Group, User};
use sesame::model::ReplyUrl;
use sesame::sso::authn::{self, SignatureInput};
use sesame::sso::SsoApp;
use sesame_saml::bindings::redirect::{decode_query_unparsed, encode_query};
use sesame_saml::bindings::{MessageKind, BINDING_HTTP_POST};
use sesame_saml::crypto::{Certificate, SignatureAlgorithm, SigningKey};
use sesame_saml::messages::{AuthnRequest, NameIdPolicy, NAMEID_EMAIL};
use sesame_saml::time::Timestamp;
use sesame_saml::xml::{self, Limits};
use std::collections::BTreeMap;
use std::sync::Arc;

const SP_KEY: &str = include_str!("../../saml/tests/fixtures/test-rsa-key.pem");
const SP_CERT: &str = include_str!("../../saml/tests/fixtures/test-rsa-cert.pem");
const LOGIN_URL: &str = "https://sso.example.com/9f1c4a52-2c55-4bd6-9f35-8b7a4c8e1f00/saml2";
const SP_ENTITY: &str = "https://portal.convene.me.uk/saml";
const SP_ACS: &str = "https://portal.convene.me.uk/saml/acs/3c8e1f00a2";

fn app(sp_certificates: Vec<Certificate>, require_signed: bool) -> SsoApp {
    SsoApp {
        id: "e19eab1e-be0b-4d10-b506-c8cf0ef32254".into(),
        name: "Convene".into(),
        enabled: true,
        assignment_required: true,
        missing: Vec::new(),
        identifiers: vec![SP_ENTITY.into()],
        reply_urls: vec![ReplyUrl {
            url: SP_ACS.into(),
            index: None,
            is_default: true,
        }],
        sign_on_url: None,
        relay_state: None,
        logout_url: None,
        require_signed_requests: require_signed,
        require_sha256: true,
        clock_skew_secs: 60,
        sp_certificates,
        nameid_source: "user.userprincipalname".into(),
        nameid_format: NAMEID_EMAIL.into(),
        signer: None,
        metadata_xml: None,
        claims: Arc::new(AppClaims::default()),
    }
}

fn request(now: Timestamp) -> AuthnRequest {
    let mut r = AuthnRequest::new("_8d2ca6b1c4f0b6a1d5e9b3c7a2f4e6d8", now, SP_ENTITY);
    r.destination = Some(LOGIN_URL.into());
    r.acs_url = Some(SP_ACS.into());
    r.protocol_binding = Some(BINDING_HTTP_POST.into());
    r.name_id_policy = Some(NameIdPolicy {
        format: Some(NAMEID_EMAIL.into()),
        allow_create: Some(true),
        sp_name_qualifier: None,
    });
    r
}

/// What `GET /{tenant}/saml2?SAMLRequest=…` does before any database access.
fn redirect_path(app: &SsoApp, query: &str, now: Timestamp) -> bool {
    let msg = decode_query_unparsed(query).expect("decode");
    let doc = xml::parse(&msg.xml, &Limits::MESSAGE).expect("parse");
    let req = AuthnRequest::from_element(doc.root_element()).expect("AuthnRequest");
    let sig = authn::check_signature(app, &SignatureInput::Redirect(&msg));
    authn::validate(now, LOGIN_URL, app, &req, sig, msg.relay_state.as_deref()).is_ok()
}

fn authn_request(c: &mut Criterion) {
    let now = Timestamp(1_795_000_000_000);
    let r = request(now);
    let xml_text = r.to_xml();
    let unsigned = encode_query(MessageKind::Request, &xml_text, Some("relay"), None).unwrap();
    let key = SigningKey::from_pem(SP_KEY).unwrap();
    let cert = Certificate::from_pem(SP_CERT).unwrap();
    let signed = encode_query(
        MessageKind::Request,
        &xml_text,
        Some("relay"),
        Some((&key, SignatureAlgorithm::RsaSha256)),
    )
    .unwrap();
    let open = app(Vec::new(), false);
    let strict = app(vec![cert], true);
    assert!(redirect_path(&open, &unsigned, now));
    assert!(redirect_path(&strict, &signed, now));

    let mut g = c.benchmark_group("authn_request");
    g.bench_function("parse_and_validate", |b| {
        b.iter(|| {
            let req = AuthnRequest::parse(black_box(&xml_text)).unwrap();
            authn::validate(now, LOGIN_URL, &open, &req, Ok(None), None).is_ok()
        })
    });
    g.bench_function("redirect_decode_parse_validate_unsigned", |b| {
        b.iter(|| redirect_path(&open, black_box(&unsigned), now))
    });
    g.bench_function("redirect_decode_parse_validate_signed_rsa_sha256", |b| {
        b.iter(|| redirect_path(&strict, black_box(&signed), now))
    });
    g.finish();
}

fn user() -> User {
    User {
        id: "11111111-2222-3333-4444-555555555555".into(),
        upn: "B.Simon@contoso.com".into(),
        display_name: "B. Simon".into(),
        given_name: "B".into(),
        surname: "Simon".into(),
        mail: "B.Simon@contoso.com".into(),
        department: "Sales".into(),
        job_title: String::new(),
        employee_id: "E-42".into(),
        company_name: "Contoso".into(),
        extension_attributes: BTreeMap::new(),
        enabled: true,
        sessions_valid_after: 0,
        created_at: 0,
        updated_at: 0,
    }
}

fn groups(n: usize) -> Vec<Group> {
    (0..n)
        .map(|i| Group {
            id: format!("{i:08x}-0000-4000-8000-000000000000"),
            name: format!("Bench Group {i:05}"),
            description: String::new(),
        })
        .collect()
}

fn context<'a>(user: &'a User, groups: &'a [Group], gc: &'a GroupClaims) -> ClaimContext<'a> {
    ClaimContext {
        user,
        groups,
        app_groups: &[],
        roles: &[],
        group_claims: Some(gc),
        public_url: "https://sso.example.com",
    }
}

fn claims(c: &mut Criterion) {
    let u = user();
    let gc = GroupClaims::new(GroupScope::All, GroupEmit::ObjectId);
    let mut list: Vec<Claim> = default_claims();
    list.push(Claim::new(
        "",
        "mailprefix",
        parse_expression("ToLowercase(ExtractMailPrefix(user.mail))").unwrap(),
    ));
    let ctx = |gs| context(&u, gs, &gc);
    let g200 = groups(200);
    let g150 = groups(150);
    assert!(evaluate(&ctx(&g200), &list)
        .iter()
        .any(|a| a.name.ends_with("groups.link")));
    let mut g = c.benchmark_group("claims");
    g.bench_function("evaluate_5_claims_no_groups", |b| {
        b.iter(|| evaluate(black_box(&ctx(&[])), &list))
    });
    g.bench_function("evaluate_5_claims_150_groups", |b| {
        b.iter(|| evaluate(black_box(&ctx(&g150)), &list))
    });
    g.bench_function("evaluate_5_claims_200_groups_overage", |b| {
        b.iter(|| evaluate(black_box(&ctx(&g200)), &list))
    });
    g.finish();
}

criterion_group!(benches, authn_request, claims);
criterion_main!(benches);
