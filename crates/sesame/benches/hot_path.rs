//! Micro-benchmarks of the SSO hot path's CPU work outside the RSA signature:
//! an HTTP-Redirect AuthnRequest decoded, parsed and validated (unsigned, and signed with
//! RSA-SHA256 and verified), and claims evaluation for a user in 200 groups (the overage
//! path) against 150 groups (the most that are still sent as values).
//! Building and signing the Response: `cargo bench -p sesame-saml --bench sign_response`.
//!
//! `signed_in`: the SSO hot path of an already signed-in browser, SP-initiated, as the
//! server runs it after decoding the request — Conditional Access evaluated for the
//! session (`Flow::conditional_access`), then the Response issued and signed
//! (`Flow::issue`: user, grant, claims, NameID, RSA-SHA256 signatures of Response and
//! Assertion) — over a real SQLite store and configuration snapshot: with no policy (the
//! baseline), with 20 policies of which none applies (10 for groups the user is not in,
//! 10 for other applications), and with one MFA policy the session already satisfies;
//! the Conditional Access step alone for the last two (what the policies add); and the
//! store read of the user's group ids that the step would cost without the memo.
//!
//! Run: `cargo bench -p sesame --bench hot_path` (one group: `… -- signed_in`)

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
        password_change_required: false,
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
        methods: "pwd@1795000000",
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

/// The Conditional Access configuration of a `signed_in` case.
#[derive(Clone, Copy)]
enum Policies {
    None,
    TwentyNoneApplying,
    MfaSatisfied,
}

/// A store with the bench's user signed in to one app, the policies of `policies`, the
/// configuration snapshot loaded; the session and the validated request of a sign-in.
struct SignedIn {
    _dir: std::path::PathBuf,
    store: sesame::store::Store,
    cache: Arc<sesame::sso::cache::CacheHandle>,
    session: sesame::store::SessionWithUser,
    request: sesame::sso::authn::Validated,
}

async fn signed_in_setup(policies: Policies) -> SignedIn {
    use sesame::access::{add_policy, PolicyInput};
    use sesame::admin::Actor;
    use sesame::apps::{assign, create_app, NewApp, Principal};
    use sesame::directory::{create_group, create_user, NewUser};
    use sesame::model::app::Identifier;

    let dir = std::env::temp_dir().join(format!("sesame-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("sesame.db").display());
    let store = sesame::store::Store::open(&url, 4).await.unwrap();
    sesame::tenant::ensure(&store, &dir, Some("https://sso.example.com"))
        .await
        .unwrap();
    let master = Arc::new(sesame::tenant::MasterKey::from_text("bench master key").unwrap());
    let user = create_user(
        &store,
        NewUser {
            upn: "B.Simon@contoso.com".into(),
            display_name: "B. Simon".into(),
            given_name: "B".into(),
            surname: "Simon".into(),
            mail: "B.Simon@contoso.com".into(),
            ..NewUser::default()
        },
    )
    .await
    .unwrap();
    let new_app = |name: &str, entity: &str, acs: &str| {
        let mut a = NewApp::custom(name);
        a.saml.identifiers = vec![Identifier {
            value: entity.into(),
            is_default: true,
        }];
        a.saml.reply_urls = vec![ReplyUrl {
            url: acs.into(),
            index: None,
            is_default: true,
        }];
        a
    };
    let app = create_app(&store, &master, new_app("Convene", SP_ENTITY, SP_ACS))
        .await
        .unwrap();
    assign(&store, &app.id, &Principal::User(user.id.clone()), None)
        .await
        .unwrap();
    let actor = Actor::cli();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let list = |v: &[&str]| Some(v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    match policies {
        Policies::None => {}
        Policies::TwentyNoneApplying => {
            for i in 0..2 {
                create_app(
                    &store,
                    &master,
                    new_app(
                        &format!("Other {i}"),
                        &format!("https://other{i}.example.com/saml"),
                        &format!("https://other{i}.example.com/acs"),
                    ),
                )
                .await
                .unwrap();
            }
            for i in 0..10 {
                let g = format!("Contractors {i}");
                create_group(&store, &g, "").await.unwrap();
                let p = PolicyInput {
                    name: Some(format!("MFA for contractors {i}")),
                    groups: list(&[g.as_str()]),
                    apps: list(&["all"]),
                    grant: Some("mfa".into()),
                    state: Some("on".into()),
                    ..PolicyInput::default()
                };
                add_policy(&store, &actor, &p, now).await.unwrap();
            }
            for i in 0..10 {
                let p = PolicyInput {
                    name: Some(format!("MFA for other app {i}")),
                    users: list(&["all"]),
                    apps: list(&[format!("Other {}", i % 2).as_str()]),
                    grant: Some("mfa".into()),
                    state: Some("on".into()),
                    ..PolicyInput::default()
                };
                add_policy(&store, &actor, &p, now).await.unwrap();
            }
        }
        Policies::MfaSatisfied => {
            let p = PolicyInput {
                name: Some("MFA for Convene".into()),
                users: list(&["all"]),
                apps: list(&["Convene"]),
                grant: Some("mfa".into()),
                state: Some("on".into()),
                ..PolicyInput::default()
            };
            add_policy(&store, &actor, &p, now).await.unwrap();
        }
    }
    let cache = sesame::sso::cache::CacheHandle::load(store.clone(), master)
        .await
        .unwrap();
    let snapshot = cache.get();
    let mut record = sesame::sso::session::new_record(
        format!("bench-session-{}", uuid::Uuid::new_v4()),
        &user.id,
        sesame::sso::session::METHOD_PASSWORD,
        now * 1000,
        &sesame::sso::session::Client::default(),
    );
    if let Policies::MfaSatisfied = policies {
        record.methods.push_str(&format!(" totp@{now}"));
    }
    let session = sesame::store::SessionWithUser {
        session: record,
        upn: user.upn.clone(),
        user_enabled: true,
        sessions_valid_after_ms: 0,
        password_change_required: false,
    };
    let sso_app = snapshot.by_identifier(SP_ENTITY).unwrap();
    let t = sesame::sso::now();
    let mut req = request(t);
    req.destination = Some(snapshot.login_url.clone());
    let request = authn::validate(t, &snapshot.login_url, sso_app, &req, Ok(None), None).unwrap();
    SignedIn {
        _dir: dir,
        store,
        cache,
        session,
        request,
    }
}

/// The Conditional Access step of a hot-path request (asserted to allow it).
async fn signed_in_policies(e: &SignedIn, flow: &sesame::sso::flow::Flow<'_>) -> usize {
    use sesame::access::eval::Decision;
    let t = e.session.session.auth_time;
    let ip = std::net::IpAddr::from([192, 0, 2, 7]);
    let ev = flow
        .conditional_access(Some(&e.request.app_id), &e.session, ip, t + 1, t)
        .await
        .unwrap();
    assert!(matches!(ev.decision, Decision::Allow), "{:?}", ev.decision);
    ev.policies.len()
}

/// One hot-path request: the policies evaluated (when there are any, as the web layer
/// does), then the Response issued.
async fn signed_in_request(e: &SignedIn) -> usize {
    use sesame::sso::flow::Flow;
    let snapshot = e.cache.get();
    let flow = Flow::new(&e.store, e.cache.hot(), &snapshot);
    if !snapshot.policies.is_empty() {
        signed_in_policies(e, &flow).await;
    }
    let issued = flow.issue(&e.request, &e.session).await.unwrap();
    issued.response.len()
}

/// The Conditional Access step alone: what the policies add to a request.
async fn signed_in_policies_only(e: &SignedIn) -> usize {
    let snapshot = e.cache.get();
    let flow = sesame::sso::flow::Flow::new(&e.store, e.cache.hot(), &snapshot);
    signed_in_policies(e, &flow).await
}

fn signed_in(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("signed_in");
    for (name, policies) in [
        ("sp_initiated_no_policies", Policies::None),
        (
            "sp_initiated_20_policies_none_applying",
            Policies::TwentyNoneApplying,
        ),
        ("sp_initiated_mfa_policy_satisfied", Policies::MfaSatisfied),
    ] {
        let e = rt.block_on(signed_in_setup(policies));
        assert!(rt.block_on(signed_in_request(&e)) > 0);
        g.bench_function(name, |b| b.iter(|| rt.block_on(signed_in_request(&e))));
        if !matches!(policies, Policies::None) {
            let only = name.replace("sp_initiated_", "conditional_access_only_");
            g.bench_function(only, |b| {
                b.iter(|| rt.block_on(signed_in_policies_only(&e)))
            });
        }
        if matches!(policies, Policies::TwentyNoneApplying) {
            // The database read the policies naming groups would cost per request
            // without the snapshot's memo (`sso::hot`).
            let user = e.session.session.user_id.clone();
            g.bench_function("user_group_ids_read_from_the_store", |b| {
                b.iter(|| {
                    rt.block_on(sesame::access::group_ids_of(&e.store, &user))
                        .unwrap()
                        .len()
                })
            });
        }
        let _ = std::fs::remove_dir_all(&e._dir);
    }
    g.finish();
}

criterion_group!(benches, authn_request, claims, signed_in);
criterion_main!(benches);
