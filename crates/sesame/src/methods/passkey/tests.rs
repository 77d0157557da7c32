//! Passkey ceremonies with an authenticator built here: an ES256 key generated with
//! aws-lc-rs, authenticator data, client data and attestation objects put together by
//! hand; the valid ceremony and each tampering, on the store of the test run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

use super::cbor::{encode, Value};
use super::verify::*;
use super::*;
use crate::admin::Actor;
use crate::methods::LOCK_AFTER;
use crate::model::NewUser;
use crate::store::suite::test_store;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use std::net::IpAddr;

const NOW: i64 = 1_800_000_000;
const ORIGIN: &str = "https://sso.contoso.com";

fn rp() -> RelyingParty {
    RelyingParty::from_public_url(ORIGIN).unwrap()
}

fn sha(b: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b)
        .as_ref()
        .to_vec()
}

/// A software authenticator: one ES256 key, one credential id, a counter.
struct Authenticator {
    key: EcdsaKeyPair,
    id: Vec<u8>,
    count: u32,
}

impl Authenticator {
    fn new() -> Authenticator {
        Authenticator {
            key: EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap(),
            id: vec![7; 16],
            count: 0,
        }
    }

    fn cose(&self) -> Vec<u8> {
        let p = self.key.public_key().as_ref();
        encode::to_vec(&Value::Map(vec![
            (Value::Int(1), Value::Int(2)),
            (Value::Int(3), Value::Int(-7)),
            (Value::Int(-1), Value::Int(1)),
            (Value::Int(-2), Value::Bytes(p[1..33].to_vec())),
            (Value::Int(-3), Value::Bytes(p[33..65].to_vec())),
        ]))
    }

    fn auth_data(&self, rp_id: &str, flags: u8, attested: bool) -> Vec<u8> {
        let mut d = sha(rp_id.as_bytes());
        d.push(flags | if attested { FLAG_AT } else { 0 });
        d.extend(self.count.to_be_bytes());
        if attested {
            d.extend([0xAA; 16]);
            d.extend((self.id.len() as u16).to_be_bytes());
            d.extend(&self.id);
            d.extend(self.cose());
        }
        d
    }

    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.key
            .sign(&SystemRandom::new(), msg)
            .unwrap()
            .as_ref()
            .to_vec()
    }
}

fn client_json(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false}),
    )
    .unwrap()
}

fn attestation(auth_data: Vec<u8>) -> Vec<u8> {
    encode::to_vec(&Value::Map(vec![
        (Value::Text("fmt".into()), Value::Text("none".into())),
        (Value::Text("attStmt".into()), Value::Map(vec![])),
        (Value::Text("authData".into()), Value::Bytes(auth_data)),
    ]))
}

fn at(now: i64) -> Attempt {
    Attempt {
        ip: IpAddr::from([192, 0, 2, 9]),
        now,
    }
}

fn master() -> MasterKey {
    MasterKey::from_text(&"k".repeat(40)).unwrap()
}

fn by(actor: &Actor) -> By<'_> {
    By {
        actor,
        correlation_id: "",
    }
}

async fn user(s: &Store, upn: &str) -> User {
    s.create_user(
        &NewUser {
            upn: upn.into(),
            display_name: "A".into(),
            ..NewUser::default()
        },
        NOW,
    )
    .await
    .unwrap()
}

struct Answer {
    client_data: String,
    attestation: String,
}

fn register_answer(a: &Authenticator, c: &Ceremony, origin: &str, rp_id: &str) -> Answer {
    let challenge = c.options["challenge"].as_str().unwrap();
    Answer {
        client_data: b64(&client_json("webauthn.create", challenge, origin)),
        attestation: b64(&attestation(a.auth_data(rp_id, FLAG_UP | FLAG_UV, true))),
    }
}

fn confirmation<'a>(c: &'a Ceremony, ans: &'a Answer) -> PasskeyConfirmation<'a> {
    PasskeyConfirmation {
        ceremony: &c.id,
        name: "Laptop",
        client_data_json: &ans.client_data,
        attestation_object: &ans.attestation,
        transports: "internal,bogus",
        proof: Proof::default(),
        browser: "",
    }
}

struct Signed {
    cred: String,
    client_data: String,
    auth_data: String,
    sig: String,
    handle: String,
}

impl Signed {
    fn answer<'a>(&'a self, ceremony: &'a str) -> SignInAnswer<'a> {
        SignInAnswer {
            ceremony,
            credential_id: &self.cred,
            client_data_json: &self.client_data,
            authenticator_data: &self.auth_data,
            signature: &self.sig,
            user_handle: &self.handle,
        }
    }
}

fn sign_in_answer(
    a: &Authenticator,
    c: &Ceremony,
    origin: &str,
    rp_id: &str,
    handle: &str,
) -> Signed {
    let challenge = c.options["challenge"].as_str().unwrap();
    let cd = client_json("webauthn.get", challenge, origin);
    let ad = a.auth_data(rp_id, FLAG_UP | FLAG_UV, false);
    let mut msg = ad.clone();
    msg.extend(sha(&cd));
    Signed {
        cred: b64(&a.id),
        client_data: b64(&cd),
        auth_data: b64(&ad),
        sig: b64(&a.sign(&msg)),
        handle: b64(handle.as_bytes()),
    }
}

/// The code `sso::errors` gives each refusal (the mapping itself is tested there).
fn code(r: Result<impl std::fmt::Debug, MethodError>) -> String {
    let c = match r {
        Ok(v) => panic!("accepted: {v:?}"),
        Err(MethodError::Passkey(p)) => match p {
            PasskeyError::ClientData(_) => 120,
            PasskeyError::Challenge => 121,
            PasskeyError::Origin(_) => 122,
            PasskeyError::RpId => 123,
            PasskeyError::UserNotPresent => 124,
            PasskeyError::AuthenticatorData(_) => 125,
            PasskeyError::Attestation(_) => 126,
            PasskeyError::UnsupportedKey(_) => 127,
            PasskeyError::Signature => 128,
            PasskeyError::Counter { .. } => 129,
            PasskeyError::UnknownCredential => 130,
            PasskeyError::AlreadyRegistered => 131,
            PasskeyError::NoHostName(_) => 133,
        },
        Err(MethodError::Locked { .. }) => 103,
        Err(MethodError::ProofRequired) => 105,
        Err(e) => panic!("{e:?}"),
    };
    format!("SESAME900{c}")
}

#[test]
fn relying_party_is_the_public_urls_host_and_origin() {
    let r = RelyingParty::from_public_url("https://SSO.contoso.com:8443/base").unwrap();
    assert_eq!(r.id, "sso.contoso.com");
    assert_eq!(r.origin, "https://sso.contoso.com:8443");
    let l = RelyingParty::from_public_url("http://localhost:8080").unwrap();
    assert_eq!(
        (l.id.as_str(), l.origin.as_str()),
        ("localhost", "http://localhost:8080")
    );
    for ip in [
        "http://127.0.0.1:8080",
        "https://[::1]:8443",
        "https://10.0.0.1",
    ] {
        assert!(matches!(
            RelyingParty::from_public_url(ip),
            Err(PasskeyError::NoHostName(_))
        ));
    }
}

#[test]
fn malformed_inputs_are_errors_not_panics() {
    let r = rp();
    for junk in [
        &b""[..],
        b"{",
        b"[]",
        b"{\"type\":\"webauthn.get\"}",
        &[0xff; 40],
    ] {
        assert!(matches!(
            client_data(&r, junk, "webauthn.get"),
            Err(PasskeyError::ClientData(_))
        ));
    }
    // Wrong type, wrong origin, cross-origin.
    let c = client_json("webauthn.create", "AAAA", ORIGIN);
    assert!(matches!(
        client_data(&r, &c, "webauthn.get"),
        Err(PasskeyError::ClientData(_))
    ));
    let c = client_json("webauthn.get", "AAAA", "https://evil.example");
    assert!(matches!(
        client_data(&r, &c, "webauthn.get"),
        Err(PasskeyError::Origin(_))
    ));
    let c = serde_json::to_vec(
        &json!({"type":"webauthn.get","challenge":"AAAA","origin":ORIGIN,"crossOrigin":true}),
    )
    .unwrap();
    assert!(matches!(
        client_data(&r, &c, "webauthn.get"),
        Err(PasskeyError::Origin(_))
    ));
    // Authenticator data cut anywhere.
    let a = Authenticator::new();
    let ad = a.auth_data("sso.contoso.com", FLAG_UP, true);
    for n in 0..ad.len() {
        assert!(auth_data(&ad[..n]).is_err(), "{n}");
    }
    assert!(auth_data(&ad).is_ok());
    let mut long = ad.clone();
    long.push(0);
    assert!(auth_data(&long).is_err());
    // Attestation objects: not CBOR, not a map, missing parts, fmt none with a statement.
    for att in [
        vec![0xff],
        encode::to_vec(&Value::Int(1)),
        encode::to_vec(&Value::Map(vec![(
            Value::Text("fmt".into()),
            Value::Text("none".into()),
        )])),
        encode::to_vec(&Value::Map(vec![
            (Value::Text("fmt".into()), Value::Text("none".into())),
            (
                Value::Text("attStmt".into()),
                Value::Map(vec![(Value::Int(1), Value::Int(1))]),
            ),
            (Value::Text("authData".into()), Value::Bytes(ad.clone())),
        ])),
    ] {
        let resp = RegistrationResponse {
            client_data_json: client_json("webauthn.create", "AAAA", ORIGIN),
            attestation_object: att,
        };
        assert!(matches!(
            registration(&r, &resp),
            Err(PasskeyError::Attestation(_))
        ));
    }
    // Keys: unknown algorithm, wrong sizes.
    for k in [
        encode::to_vec(&Value::Map(vec![
            (Value::Int(1), Value::Int(2)),
            (Value::Int(3), Value::Int(-35)),
        ])),
        encode::to_vec(&Value::Map(vec![
            (Value::Int(1), Value::Int(2)),
            (Value::Int(3), Value::Int(-7)),
            (Value::Int(-1), Value::Int(1)),
            (Value::Int(-2), Value::Bytes(vec![1; 31])),
            (Value::Int(-3), Value::Bytes(vec![1; 32])),
        ])),
        vec![0xa1],
    ] {
        assert!(matches!(
            PublicKey::from_cose(&k),
            Err(PasskeyError::UnsupportedKey(_))
        ));
    }
}

#[test]
fn assertion_checks_signature_rp_presence_and_counter() {
    let r = rp();
    let mut a = Authenticator::new();
    a.count = 5;
    let cose = a.cose();
    let sign = |a: &Authenticator, rp_id: &str, flags: u8| {
        let cd = client_json("webauthn.get", "AAAA", ORIGIN);
        let ad = a.auth_data(rp_id, flags, false);
        let mut msg = ad.clone();
        msg.extend(sha(&cd));
        AssertionResponse {
            credential_id: a.id.clone(),
            client_data_json: cd,
            authenticator_data: ad,
            signature: a.sign(&msg),
            user_handle: vec![],
        }
    };
    let ok = assertion(
        &r,
        &sign(&a, "sso.contoso.com", FLAG_UP | FLAG_UV),
        &cose,
        4,
    )
    .unwrap();
    assert_eq!(
        ok,
        Asserted {
            sign_count: 5,
            user_verified: true
        }
    );
    // The counter must increase: equal or lower is a possible clone.
    assert_eq!(
        assertion(&r, &sign(&a, "sso.contoso.com", FLAG_UP), &cose, 5),
        Err(PasskeyError::Counter {
            stored: 5,
            received: 5
        })
    );
    // Authenticators without a counter (always 0) are accepted.
    a.count = 0;
    assert!(assertion(&r, &sign(&a, "sso.contoso.com", FLAG_UP), &cose, 0).is_ok());
    assert!(matches!(
        assertion(&r, &sign(&a, "sso.contoso.com", FLAG_UP), &cose, 3),
        Err(PasskeyError::Counter { .. })
    ));
    a.count = 9;
    assert_eq!(
        assertion(&r, &sign(&a, "evil.example", FLAG_UP), &cose, 0),
        Err(PasskeyError::RpId)
    );
    assert_eq!(
        assertion(&r, &sign(&a, "sso.contoso.com", FLAG_UV), &cose, 0),
        Err(PasskeyError::UserNotPresent)
    );
    // A signature of other data, another key, a flipped byte.
    let mut bad = sign(&a, "sso.contoso.com", FLAG_UP);
    bad.client_data_json = client_json("webauthn.get", "AAAB", ORIGIN);
    assert_eq!(assertion(&r, &bad, &cose, 0), Err(PasskeyError::Signature));
    let other = Authenticator::new();
    assert_eq!(
        assertion(&r, &sign(&a, "sso.contoso.com", FLAG_UP), &other.cose(), 0),
        Err(PasskeyError::Signature)
    );
    let mut flipped = sign(&a, "sso.contoso.com", FLAG_UP);
    let last = flipped.signature.len() - 1;
    flipped.signature[last] ^= 1;
    assert_eq!(
        assertion(&r, &flipped, &cose, 0),
        Err(PasskeyError::Signature)
    );
}

#[test]
fn ed25519_keys_verify() {
    use aws_lc_rs::signature::Ed25519KeyPair;
    let k = Ed25519KeyPair::generate().unwrap();
    let cose = encode::to_vec(&Value::Map(vec![
        (Value::Int(1), Value::Int(1)),
        (Value::Int(3), Value::Int(-8)),
        (Value::Int(-1), Value::Int(6)),
        (
            Value::Int(-2),
            Value::Bytes(k.public_key().as_ref().to_vec()),
        ),
    ]));
    let pk = PublicKey::from_cose(&cose).unwrap();
    assert!(pk.verify(b"m", k.sign(b"m").as_ref()));
    assert!(!pk.verify(b"n", k.sign(b"m").as_ref()));
}

#[test]
fn rs256_keys_verify() {
    use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize, PublicKeyComponents};
    let k = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
    let c = PublicKeyComponents::<Vec<u8>>::from(k.public_key());
    let cose = encode::to_vec(&Value::Map(vec![
        (Value::Int(1), Value::Int(3)),
        (Value::Int(3), Value::Int(-257)),
        (Value::Int(-1), Value::Bytes(c.n.clone())),
        (Value::Int(-2), Value::Bytes(c.e.clone())),
    ]));
    let pk = PublicKey::from_cose(&cose).unwrap();
    let mut sig = vec![0; k.public_modulus_len()];
    k.sign(
        &aws_lc_rs::signature::RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        b"m",
        &mut sig,
    )
    .unwrap();
    assert!(pk.verify(b"m", &sig));
    assert!(!pk.verify(b"n", &sig));
}

#[tokio::test]
async fn registration_then_sign_in_and_each_tampering() {
    let t = test_store().await;
    let (s, mk, r) = (&t.store, master(), rp());
    let u = user(s, "alice@example.com").await;
    let mut a = Authenticator::new();

    // Registration: wrong origin, wrong RP ID, then the real one; a replay is refused.
    let c = begin_registration(s, &r, &u, at(NOW)).await.unwrap();
    assert_eq!(c.options["rp"]["id"], "sso.contoso.com");
    assert_eq!(c.options["user"]["id"], b64(u.id.as_bytes()));
    assert_eq!(
        c.options["authenticatorSelection"]["residentKey"],
        "preferred"
    );
    let ans = register_answer(&a, &c, "https://evil.example", "sso.contoso.com");
    let r1 = finish_registration(
        s,
        &mk,
        &r,
        &u,
        confirmation(&c, &ans),
        at(NOW),
        by(&Actor::System),
    )
    .await;
    assert_eq!(code(r1), "SESAME900122");
    let ans = register_answer(&a, &c, ORIGIN, "evil.example");
    let r1 = finish_registration(
        s,
        &mk,
        &r,
        &u,
        confirmation(&c, &ans),
        at(NOW),
        by(&Actor::System),
    )
    .await;
    assert_eq!(code(r1), "SESAME900123");
    let ans = register_answer(&a, &c, ORIGIN, "sso.contoso.com");
    let m = finish_registration(
        s,
        &mk,
        &r,
        &u,
        confirmation(&c, &ans),
        at(NOW),
        by(&Actor::System),
    )
    .await
    .unwrap();
    assert_eq!((m.kind, m.name.as_str()), (MethodKind::Passkey, "Laptop"));
    let again = finish_registration(
        s,
        &mk,
        &r,
        &u,
        confirmation(&c, &ans),
        at(NOW),
        by(&Actor::System),
    )
    .await;
    assert_eq!(code(again), "SESAME900121");
    let creds = credentials(s, &u.id).await.unwrap();
    assert_eq!(creds.len(), 1);
    assert_eq!(creds[0].aaguid, "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa");
    assert_eq!(creds[0].transports, "internal");
    assert_eq!(creds[0].credential_id, b64(&a.id));

    // An expired registration ceremony; another user's ceremony.
    let c2 = begin_registration(s, &r, &u, at(NOW)).await.unwrap();
    assert_eq!(c2.options["excludeCredentials"][0]["id"], b64(&a.id));
    let ans2 = register_answer(&Authenticator::new(), &c2, ORIGIN, "sso.contoso.com");
    let late = finish_registration(
        s,
        &mk,
        &r,
        &u,
        confirmation(&c2, &ans2),
        at(NOW + CEREMONY_SECS),
        by(&Actor::System),
    )
    .await;
    assert_eq!(code(late), "SESAME900121");
    let bob = user(s, "bob@example.com").await;
    let c3 = begin_registration(s, &r, &u, at(NOW)).await.unwrap();
    let ans3 = register_answer(&Authenticator::new(), &c3, ORIGIN, "sso.contoso.com");
    let other = finish_registration(
        s,
        &mk,
        &r,
        &bob,
        confirmation(&c3, &ans3),
        at(NOW),
        by(&Actor::System),
    )
    .await;
    assert_eq!(code(other), "SESAME900121");

    // Sign-in: the valid one, then a replay of its ceremony.
    a.count = 1;
    let c = begin_sign_in(s, &r, at(NOW)).await.unwrap();
    assert_eq!(c.options["allowCredentials"], json!([]));
    assert_eq!(c.options["rpId"], "sso.contoso.com");
    let signed = sign_in_answer(&a, &c, ORIGIN, "sso.contoso.com", &u.id);
    let ok = finish_sign_in(s, &r, signed.answer(&c.id), at(NOW + 1))
        .await
        .unwrap();
    assert_eq!(ok.user.id, u.id);
    assert_eq!(ok.method_id, m.id);
    assert!(ok.user_verified);
    let m_after = s.method_of_user(&u.id, &m.id).await.unwrap().unwrap();
    assert_eq!(m_after.last_used_at, NOW + 1);
    assert_eq!(
        code(finish_sign_in(s, &r, signed.answer(&c.id), at(NOW + 1)).await),
        "SESAME900121"
    );

    // Counter going backwards (a clone), wrong origin, wrong RP ID, bad signature, wrong
    // user handle, unknown credential, expired ceremony, malformed fields.
    let c = begin_sign_in(s, &r, at(NOW)).await.unwrap();
    let signed = sign_in_answer(&a, &c, ORIGIN, "sso.contoso.com", &u.id);
    assert_eq!(
        code(finish_sign_in(s, &r, signed.answer(&c.id), at(NOW)).await),
        "SESAME900129"
    );
    a.count = 2;
    let c = begin_sign_in(s, &r, at(NOW)).await.unwrap();
    let signed = sign_in_answer(&a, &c, "https://evil.example", "sso.contoso.com", &u.id);
    assert_eq!(
        code(finish_sign_in(s, &r, signed.answer(&c.id), at(NOW)).await),
        "SESAME900122"
    );
    let c = begin_sign_in(s, &r, at(NOW)).await.unwrap();
    let signed = sign_in_answer(&a, &c, ORIGIN, "evil.example", &u.id);
    assert_eq!(
        code(finish_sign_in(s, &r, signed.answer(&c.id), at(NOW)).await),
        "SESAME900123"
    );
    let c = begin_sign_in(s, &r, at(NOW)).await.unwrap();
    let mut signed = sign_in_answer(&a, &c, ORIGIN, "sso.contoso.com", &u.id);
    signed.sig = b64(&Authenticator::new().sign(b"x"));
    assert_eq!(
        code(finish_sign_in(s, &r, signed.answer(&c.id), at(NOW)).await),
        "SESAME900128"
    );
    let c = begin_sign_in(s, &r, at(NOW)).await.unwrap();
    let signed = sign_in_answer(&a, &c, ORIGIN, "sso.contoso.com", &bob.id);
    assert_eq!(
        code(finish_sign_in(s, &r, signed.answer(&c.id), at(NOW)).await),
        "SESAME900130"
    );
    let c = begin_sign_in(s, &r, at(NOW)).await.unwrap();
    let mut unknown = Authenticator::new();
    unknown.id = vec![9; 16];
    let signed = sign_in_answer(&unknown, &c, ORIGIN, "sso.contoso.com", "");
    assert_eq!(
        code(finish_sign_in(s, &r, signed.answer(&c.id), at(NOW)).await),
        "SESAME900130"
    );
    let c = begin_sign_in(s, &r, at(NOW)).await.unwrap();
    let signed = sign_in_answer(&a, &c, ORIGIN, "sso.contoso.com", &u.id);
    assert_eq!(
        code(finish_sign_in(s, &r, signed.answer(&c.id), at(NOW + CEREMONY_SECS)).await),
        "SESAME900121"
    );
    let c = begin_sign_in(s, &r, at(NOW)).await.unwrap();
    let mut signed = sign_in_answer(&a, &c, ORIGIN, "sso.contoso.com", &u.id);
    signed.auth_data = "!!".into();
    assert_eq!(
        code(finish_sign_in(s, &r, signed.answer(&c.id), at(NOW)).await),
        "SESAME900120"
    );
    signed.auth_data = b64(&[1, 2, 3]);
    signed.client_data = b64(b"{not json");
    assert_eq!(
        code(finish_sign_in(s, &r, signed.answer(&c.id), at(NOW)).await),
        "SESAME900120"
    );

    // Failures count on the address: at the tenth, the address is locked.
    let mut locked = false;
    for _ in 0..LOCK_AFTER {
        let c = begin_sign_in(s, &r, at(NOW + CEREMONY_SECS)).await.unwrap();
        let signed = sign_in_answer(&unknown, &c, ORIGIN, "sso.contoso.com", "");
        if code(finish_sign_in(s, &r, signed.answer(&c.id), at(NOW + CEREMONY_SECS)).await)
            == "SESAME900103"
        {
            locked = true;
            break;
        }
    }
    assert!(locked);
    assert_eq!(
        code(begin_sign_in(s, &r, at(NOW + CEREMONY_SECS)).await),
        "SESAME900103"
    );

    // Removed, the passkey no longer signs in (from another address).
    super::super::admin_delete(s, &u, &m.id, by(&Actor::System))
        .await
        .unwrap();
    assert!(credentials(s, &u.id).await.unwrap().is_empty());
    let elsewhere = Attempt {
        ip: IpAddr::from([198, 51, 100, 1]),
        now: NOW,
    };
    a.count = 3;
    let c = begin_sign_in(s, &r, elsewhere).await.unwrap();
    let signed = sign_in_answer(&a, &c, ORIGIN, "sso.contoso.com", &u.id);
    assert_eq!(
        code(finish_sign_in(s, &r, signed.answer(&c.id), elsewhere).await),
        "SESAME900130"
    );
}

#[tokio::test]
async fn adding_a_passkey_needs_a_proof_when_a_method_exists() {
    let t = test_store().await;
    let (s, mk, r) = (&t.store, master(), rp());
    let u = user(s, "carol@example.com").await;
    super::super::regenerate_recovery(
        s,
        &mk,
        &u,
        Proof::default(),
        at(NOW),
        by(&Actor::System),
        "",
    )
    .await
    .unwrap();
    let a = Authenticator::new();
    let c = begin_registration(s, &r, &u, at(NOW)).await.unwrap();
    let ans = register_answer(&a, &c, ORIGIN, "sso.contoso.com");
    let r1 = finish_registration(
        s,
        &mk,
        &r,
        &u,
        confirmation(&c, &ans),
        at(NOW),
        by(&Actor::System),
    )
    .await;
    assert_eq!(code(r1), "SESAME900105");
    assert!(credentials(s, &u.id).await.unwrap().is_empty());
}

/// The second step's ceremony names the user's passkeys and is bound to the user and
/// the sign-in in progress: another sign-in's answer, another user's passkey and a
/// discoverable sign-in's ceremony are refused; the valid answer is used once.
#[tokio::test]
async fn second_step_is_bound_to_its_user_and_sign_in() {
    let t = test_store().await;
    let (s, mk, r) = (&t.store, master(), rp());
    let u = user(s, "carol@example.com").await;
    let bob = user(s, "dave@example.com").await;
    // No passkey: nothing to offer.
    assert!(begin_second_step(s, &r, &u.id, "p1", at(NOW))
        .await
        .unwrap()
        .is_none());
    let mut a = Authenticator::new();
    let mut b = Authenticator::new();
    b.id = vec![8; 16];
    for (who, key) in [(&u, &a), (&bob, &b)] {
        let c = begin_registration(s, &r, who, at(NOW)).await.unwrap();
        let ans = register_answer(key, &c, ORIGIN, "sso.contoso.com");
        finish_registration(
            s,
            &mk,
            &r,
            who,
            confirmation(&c, &ans),
            at(NOW),
            by(&Actor::System),
        )
        .await
        .unwrap();
    }

    let c = begin_second_step(s, &r, &u.id, "p1", at(NOW))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.options["allowCredentials"][0]["id"], b64(&a.id));
    assert_eq!(
        c.options["allowCredentials"][0]["transports"],
        json!(["internal"])
    );
    assert_eq!(c.options["userVerification"], "preferred");
    a.count = 1;
    let signed = sign_in_answer(&a, &c, ORIGIN, "sso.contoso.com", &u.id);
    // Another sign-in, another user: the ceremony is not theirs (and is used up by the try).
    assert_eq!(
        code(finish_second_step(s, &r, &u.id, "p2", signed.answer(&c.id), at(NOW)).await),
        "SESAME900121"
    );
    let c = begin_second_step(s, &r, &u.id, "p1", at(NOW))
        .await
        .unwrap()
        .unwrap();
    let signed = sign_in_answer(&a, &c, ORIGIN, "sso.contoso.com", &u.id);
    assert_eq!(
        code(finish_second_step(s, &r, &bob.id, "p1", signed.answer(&c.id), at(NOW)).await),
        "SESAME900121"
    );
    // Bob's passkey answering Carol's second step.
    let c = begin_second_step(s, &r, &u.id, "p1", at(NOW))
        .await
        .unwrap()
        .unwrap();
    b.count = 1;
    let signed = sign_in_answer(&b, &c, ORIGIN, "sso.contoso.com", "");
    assert_eq!(
        code(finish_second_step(s, &r, &u.id, "p1", signed.answer(&c.id), at(NOW)).await),
        "SESAME900130"
    );
    // A discoverable sign-in's ceremony does not answer a second step.
    let c = begin_sign_in(s, &r, at(NOW)).await.unwrap();
    let signed = sign_in_answer(&a, &c, ORIGIN, "sso.contoso.com", &u.id);
    assert_eq!(
        code(finish_second_step(s, &r, &u.id, "p1", signed.answer(&c.id), at(NOW)).await),
        "SESAME900121"
    );
    // The valid answer, once.
    let c = begin_second_step(s, &r, &u.id, "p1", at(NOW))
        .await
        .unwrap()
        .unwrap();
    let signed = sign_in_answer(&a, &c, ORIGIN, "sso.contoso.com", &u.id);
    let ok = finish_second_step(s, &r, &u.id, "p1", signed.answer(&c.id), at(NOW + 1))
        .await
        .unwrap();
    assert_eq!(ok.user.id, u.id);
    assert_eq!(
        code(finish_second_step(s, &r, &u.id, "p1", signed.answer(&c.id), at(NOW + 1)).await),
        "SESAME900121"
    );
}
