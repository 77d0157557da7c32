//! Tests of the sign-in flow, driven without HTTP over a temporary store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

use super::*;
use crate::apps::claims::{AppClaims, UserClaimData};
use crate::model::ReplyUrl;
use crate::sso::authn;
use crate::sso::hot::Grant;
use crate::sso::Signer;
use crate::store::suite::test_store as store;
use sesame_saml::crypto::SignatureAlgorithm;
use sesame_saml::crypto::{Certificate, SigningKey};
use sesame_saml::dsig::SignTarget;
use sesame_saml::messages::AuthnRequest;
use sesame_saml::messages::{NAMEID_EMAIL, NAMEID_PERSISTENT};
use std::collections::BTreeMap;

const KEY: &str = include_str!("../../../../saml/tests/fixtures/test-rsa-key.pem");
const CERT: &str = include_str!("../../../../saml/tests/fixtures/test-rsa-cert.pem");
const LOGIN: &str = "https://idp.example/t/saml2";
const ISSUER: &str = "https://idp.example/t/";
const SP: &str = "https://sp.example";
const ACS: &str = "https://sp.example/acs";

fn app(enabled: bool) -> SsoApp {
    SsoApp {
        id: "app-1".into(),
        name: "Example".into(),
        enabled,
        assignment_required: true,
        missing: Vec::new(),
        identifiers: vec![SP.into()],
        reply_urls: vec![ReplyUrl {
            url: ACS.into(),
            index: None,
            is_default: true,
        }],
        sign_on_url: None,
        relay_state: None,
        logout_url: None,
        require_signed_requests: false,
        require_sha256: true,
        clock_skew_secs: 0,
        sp_certificates: Vec::new(),
        nameid_source: "user.userprincipalname".into(),
        nameid_format: NAMEID_EMAIL.into(),
        signer: Some(Arc::new(Signer {
            key: SigningKey::from_pem(KEY).unwrap(),
            cert: Certificate::from_pem(CERT).unwrap(),
            alg: SignatureAlgorithm::RsaSha256,
            target: SignTarget::Both,
        })),
        metadata_xml: None,
        claims: Arc::new(AppClaims::default()),
    }
}

fn user(enabled: bool) -> User {
    User {
        id: "user-1".into(),
        upn: "B.Simon@contoso.com".into(),
        display_name: "B. Simon".into(),
        given_name: "B".into(),
        surname: "Simon".into(),
        mail: "B.Simon@contoso.com".into(),
        department: String::new(),
        job_title: String::new(),
        employee_id: String::new(),
        company_name: String::new(),
        extension_attributes: BTreeMap::new(),
        enabled,
        sessions_valid_after: 0,
        password_change_required: false,
        created_at: 0,
        updated_at: 0,
    }
}

fn session(user: &User) -> SessionWithUser {
    let t = now().unix_seconds();
    SessionWithUser {
        session: session::new_record(
            "hash-1".into(),
            &user.id,
            session::METHOD_PASSWORD,
            t * 1000,
            &session::Client::default(),
        ),
        upn: user.upn.clone(),
        user_enabled: user.enabled,
        sessions_valid_after_ms: 0,
        password_change_required: false,
    }
}

fn request(id: &str) -> AuthnRequest {
    let mut r = AuthnRequest::new(id, now(), SP);
    r.destination = Some(LOGIN.into());
    r.acs_url = Some(ACS.into());
    r
}

#[tokio::test]
async fn begin_checks_once_and_refuses_a_replay() {
    let db = store().await;
    let hot = HotPath::new(&db.store);
    let cache = AppCache::for_tests(vec![app(true)], ISSUER, LOGIN);
    let flow = Flow::new(&db.store, &hot, &cache);
    let xml = request("_r1").to_xml();
    let msg = Message {
        xml: &xml,
        relay_state: Some("state"),
        redirect: None,
    };
    let Begun::SignIn { app, request } = flow.begin(msg).await.unwrap() else {
        panic!("not a sign-in");
    };
    assert_eq!(app.id, "app-1");
    assert_eq!(request.acs_url, ACS);
    assert_eq!(request.request_id.as_deref(), Some("_r1"));
    assert_eq!(request.relay_state.as_deref(), Some("state"));
    let again = flow.begin(msg).await.unwrap_err();
    assert_eq!(again.error.code, ErrorCode::RequestReplayed);
    assert_eq!(again.request_id.as_deref(), Some("_r1"));
    assert_eq!(again.app.map(|a| a.id.clone()).as_deref(), Some("app-1"));
}

#[tokio::test]
async fn begin_refusals_carry_what_the_log_needs() {
    let db = store().await;
    let hot = HotPath::new(&db.store);
    let cache = AppCache::for_tests(vec![app(true)], ISSUER, LOGIN);
    let flow = Flow::new(&db.store, &hot, &cache);
    fn msg(xml: &str) -> Message<'_> {
        Message {
            xml,
            relay_state: None,
            redirect: None,
        }
    }
    let e = flow.begin(msg("<nope")).await.unwrap_err();
    assert_eq!(e.error.code, ErrorCode::MalformedRequest);
    let mut other = request("_r2");
    other.issuer = "https://other.example".into();
    let other = other.to_xml();
    let e = flow.begin(msg(&other)).await.unwrap_err();
    assert_eq!(e.error.code, ErrorCode::UnknownIssuer);
    assert_eq!(e.request_id.as_deref(), Some("_r2"));
    assert!(e.app.is_none());
    // A NameID format the app does not send goes back to the app.
    let mut r = request("_r3");
    r.name_id_policy = Some(sesame_saml::messages::NameIdPolicy {
        format: Some("urn:example:format".into()),
        allow_create: None,
        sp_name_qualifier: None,
    });
    let r = r.to_xml();
    let Begun::Refused { error, request, .. } = flow.begin(msg(&r)).await.unwrap() else {
        panic!("not refused back to the app");
    };
    assert_eq!(error.code, ErrorCode::InvalidNameIdPolicy);
    let reply = flow.error_reply(&app(true), &request, &error).unwrap();
    assert!(reply.contains("InvalidNameIDPolicy"));
}

#[test]
fn next_follows_force_authn_and_is_passive() {
    let u = user(true);
    let mut v = authn::idp_initiated(&app(true)).unwrap();
    assert!(matches!(next(&v, Some(session(&u))), Next::Issue(_)));
    assert!(matches!(next(&v, None), Next::SignIn));
    v.force_authn = true;
    assert!(matches!(next(&v, Some(session(&u))), Next::SignIn));
    v.is_passive = true;
    match next(&v, None) {
        Next::NoPassive(e) => assert_eq!(e.code, ErrorCode::NoPassive),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn issue_signs_for_a_granted_user_and_says_what_to_record() {
    let db = store().await;
    let hot = HotPath::new(&db.store);
    let cache = AppCache::for_tests(vec![app(true)], ISSUER, LOGIN);
    let u = user(true);
    cache.memo.put_user(Arc::new(u.clone()));
    cache.memo.put_grant(
        "app-1",
        &u.id,
        Arc::new(Grant {
            allowed: true,
            data: UserClaimData::default(),
        }),
    );
    let flow = Flow::new(&db.store, &hot, &cache);
    let mut v = authn::idp_initiated(&app(true)).unwrap();
    v.name_id_format = NAMEID_PERSISTENT.into();
    let s = session(&u);
    let issued = flow.issue(&v, &s).await.unwrap();
    assert_eq!(issued.user, Who::of(&s));
    assert!(issued.response.contains("SignatureValue"));
    let record = issued.record.as_ref().unwrap();
    assert_eq!(
        record.session_index,
        session::session_index("hash-1", "app-1")
    );
    assert_eq!(record.name_id_format, NAMEID_PERSISTENT);
    assert!(issued.response.contains(&record.name_id));
    // Once known to be stored, the same record is not written again.
    hot.recorded_session_app("hash-1", record.clone());
    assert!(flow.issue(&v, &s).await.unwrap().record.is_none());
}

#[tokio::test]
async fn issue_refuses_with_the_app_and_the_user() {
    let db = store().await;
    let hot = HotPath::new(&db.store);
    let u = user(true);
    let s = session(&u);
    let v = authn::idp_initiated(&app(true)).unwrap();

    let disabled = AppCache::for_tests(vec![app(false)], ISSUER, LOGIN);
    let e = Flow::new(&db.store, &hot, &disabled)
        .issue(&v, &s)
        .await
        .unwrap_err();
    assert_eq!(e.error.code, ErrorCode::AppDisabled);
    assert_eq!(e.user, Some(Who::of(&s)));

    // The store has no such user.
    let cache = AppCache::for_tests(vec![app(true)], ISSUER, LOGIN);
    let flow = Flow::new(&db.store, &hot, &cache);
    let e = flow.issue(&v, &s).await.unwrap_err();
    assert_eq!(e.error.code, ErrorCode::UserDisabled);
    assert_eq!(e.app.map(|a| a.id.clone()).as_deref(), Some("app-1"));

    // Known and enabled, but not assigned.
    cache.memo.put_user(Arc::new(u.clone()));
    let e = flow.issue(&v, &s).await.unwrap_err();
    assert_eq!(e.error.code, ErrorCode::NotAssigned);
}

#[tokio::test]
async fn group_policies_read_the_users_groups_once_per_snapshot() {
    use crate::access::eval::Decision;
    use crate::model::{
        GrantControl, MemberKind, NewUser, Policy, PolicyState, SignInFrequency, TargetResources,
    };
    let db = store().await;
    let u = db
        .store
        .create_user(
            &NewUser {
                upn: "g.user@contoso.com".into(),
                ..NewUser::default()
            },
            1,
        )
        .await
        .unwrap();
    let g = db.store.create_group("Contractors", "", 1).await.unwrap();
    let policy = Policy {
        id: "p-1".into(),
        name: "MFA for contractors".into(),
        all_users: false,
        users: Vec::new(),
        groups: vec![g.id.clone()],
        exclude_users: Vec::new(),
        exclude_groups: Vec::new(),
        target: TargetResources::All,
        locations: Vec::new(),
        exclude_locations: Vec::new(),
        grant: GrantControl::Mfa,
        sign_in_frequency: SignInFrequency::default(),
        state: PolicyState::On,
        created_at: 1,
        updated_at: 1,
    };
    let snapshot = || {
        let mut c = AppCache::for_tests(vec![app(true)], ISSUER, LOGIN);
        c.policies = vec![policy.clone()];
        c
    };
    let mut s = session(&user(true));
    s.session.user_id = u.id.clone();
    let ip = std::net::IpAddr::from([192, 0, 2, 7]);
    let t = s.session.auth_time;
    let hot = HotPath::new(&db.store);
    let first = snapshot();
    let flow = Flow::new(&db.store, &hot, &first);
    let ev = flow
        .conditional_access(Some("app-1"), &s, ip, t, t)
        .await
        .unwrap();
    assert_eq!(ev.decision, Decision::Allow);
    // A membership change is a configuration change: the snapshot that read the groups
    // keeps them; the next one reads them again.
    db.store
        .add_group_member(&g.id, &u.id, MemberKind::User)
        .await
        .unwrap();
    let ev = flow
        .conditional_access(Some("app-1"), &s, ip, t, t)
        .await
        .unwrap();
    assert_eq!(ev.decision, Decision::Allow);
    let next = snapshot();
    let ev = Flow::new(&db.store, &hot, &next)
        .conditional_access(Some("app-1"), &s, ip, t, t)
        .await
        .unwrap();
    assert!(
        matches!(ev.decision, Decision::Mfa { .. }),
        "{:?}",
        ev.decision
    );
}
