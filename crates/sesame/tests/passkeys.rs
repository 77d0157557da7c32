//! Passkeys through the real server, with a software authenticator (an ES256 key of
//! aws-lc-rs; the CBOR written by hand): the sign-in page's button and script, a passkey
//! registered from Security info, "Sign in with a passkey" with no user name, the
//! sign-in log and `sesame user methods`; and a public URL with an IP address, where
//! passkeys are refused with SESAME900133. The software authenticator is shared with
//! `step_up`. The browser side (Chromium's virtual
//! authenticators) is tests/e2e/passkeys.test.mjs.

use crate::common::*;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;

pub(crate) fn sha(b: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b)
        .as_ref()
        .to_vec()
}

/// A software passkey (ES256), as the multi-node tests use it too.
pub(crate) struct Authenticator {
    pub(crate) key: EcdsaKeyPair,
    pub(crate) id: Vec<u8>,
    pub(crate) count: u32,
}

impl Authenticator {
    pub(crate) fn cose(&self) -> Vec<u8> {
        let p = self.key.public_key().as_ref();
        let mut k = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
        k.extend(&p[1..33]);
        k.extend([0x22, 0x58, 0x20]);
        k.extend(&p[33..65]);
        k
    }

    pub(crate) fn auth_data(&self, rp_id: &str, attested: bool) -> Vec<u8> {
        let mut d = sha(rp_id.as_bytes());
        d.push(0x05 | if attested { 0x40 } else { 0 });
        d.extend(self.count.to_be_bytes());
        if attested {
            d.extend([0u8; 16]);
            d.extend((self.id.len() as u16).to_be_bytes());
            d.extend(&self.id);
            d.extend(self.cose());
        }
        d
    }

    pub(crate) fn attestation(&self, rp_id: &str) -> Vec<u8> {
        let ad = self.auth_data(rp_id, true);
        let mut a = vec![0xa3, 0x63];
        a.extend(b"fmt");
        a.push(0x64);
        a.extend(b"none");
        a.push(0x67);
        a.extend(b"attStmt");
        a.push(0xa0);
        a.push(0x68);
        a.extend(b"authData");
        a.push(0x59);
        a.extend((ad.len() as u16).to_be_bytes());
        a.extend(ad);
        a
    }
}

pub(crate) fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false
    }))
    .unwrap()
}

/// The value of attribute `name` in the first tag of `html` that has it.
pub(crate) fn attr_of(html: &str, name: &str) -> String {
    let pat = format!("{name}=\"");
    let i = html
        .find(&pat)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + pat.len();
    let j = html[i..].find('"').unwrap() + i;
    unescape(&html[i..j])
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
}

#[tokio::test]
async fn passkey_registered_in_security_info_signs_in_without_a_name() {
    let s = Server::start_localhost();
    let origin = s.base.clone();
    let mut a = Authenticator {
        key: EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap(),
        id: vec![42; 32],
        count: 1,
    };

    // The sign-in page offers the button, and lets its script run.
    let b = browser();
    let r = b
        .get(format!("{}/{}/login", s.base, s.tenant))
        .send()
        .await
        .unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(html.contains(">Sign in with a passkey</button>"), "{html}");
    assert!(html.contains("<script src=\"/assets/passkey.js\""));
    let (st, _, js) = get(&b, &format!("{}/assets/passkey.js", s.base)).await;
    assert_eq!(st, 200);
    assert!(js.contains("navigator.credentials.get"));

    // Registration from Security info.
    let user = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let (_, _, add) = page(&user, &s, "/myapps/security-info/add").await;
    assert!(add.contains("Passkey or security key"), "{add}");
    let begin = post_form(&add, "/myapps/security-info/passkey");
    let (st, _, reg) = submit(&user, &s.base, &begin).await;
    assert_eq!(st, 200, "{reg}");
    let options: serde_json::Value = serde_json::from_str(&attr_of(&reg, "data-options")).unwrap();
    assert_eq!(options["rp"]["id"], "localhost");
    assert_eq!(options["attestation"], "none");
    let challenge = options["challenge"].as_str().unwrap();
    let form = post_form(&reg, "/myapps/security-info/passkey/confirm")
        .set("name", "Software key")
        .set(
            "client_data_json",
            &B64.encode(client_data("webauthn.create", challenge, &origin)),
        )
        .set(
            "attestation_object",
            &B64.encode(a.attestation("localhost")),
        )
        .set("transports", "usb");
    let (st, url, html) = submit(&user, &s.base, &form).await;
    assert_eq!(st, 200, "{html}");
    assert!(url.ends_with("/myapps/security-info"), "{url}");
    assert!(
        html.contains("Passkey &#34;Software key&#34; added."),
        "{html}"
    );
    let listed = s.cli_ok(&["user", "methods", DEMO_UPN]);
    assert!(listed.contains("\tpasskey\tSoftware key\t"), "{listed}");
    assert!(
        listed.contains("\taaguid 00000000-0000-0000-0000-000000000000"),
        "{listed}"
    );

    // The administrator sees it with its AAGUID, in the JSON list and the user's page.
    let json: serde_json::Value =
        serde_json::from_str(&s.cli_ok(&["--json", "user", "methods", DEMO_UPN])).unwrap();
    let pk = &json[0];
    assert_eq!(pk["kind"], "passkey", "{json}");
    assert_eq!(pk["transports"], "usb", "{json}");
    assert_eq!(pk["aaguid"], "00000000-0000-0000-0000-000000000000");
    let adm = admin(&s).await;
    let uid = pk["user_id"].as_str().unwrap();
    let (st, _, user_page) = page(&adm, &s, &format!("/admin/users/{uid}")).await;
    assert_eq!(st, 200);
    assert!(
        user_page.contains("AAGUID 00000000-0000-0000-0000-000000000000"),
        "{user_page}"
    );

    // Sign in with it, no name typed: the options, the answer, then My Apps.
    let fresh = browser();
    let (_, _, login) = get(&fresh, &format!("{}/{}/login", s.base, s.tenant)).await;
    let csrf = attr_of(&login, "data-csrf");
    let opts: serde_json::Value = fresh
        .post(format!("{}/{}/login/passkey/options", s.base, s.tenant))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(opts["publicKey"]["rpId"], "localhost");
    assert_eq!(opts["publicKey"]["allowCredentials"], serde_json::json!([]));
    a.count = 2;
    let cd = client_data(
        "webauthn.get",
        opts["publicKey"]["challenge"].as_str().unwrap(),
        &origin,
    );
    let ad = a.auth_data("localhost", false);
    let mut msg = ad.clone();
    msg.extend(sha(&cd));
    let sig = a.key.sign(&SystemRandom::new(), &msg).unwrap();
    let answer = [
        ("csrf", csrf.clone()),
        ("ceremony", opts["ceremony"].as_str().unwrap().to_owned()),
        ("credential_id", B64.encode(&a.id)),
        ("client_data_json", B64.encode(&cd)),
        ("authenticator_data", B64.encode(&ad)),
        ("signature", B64.encode(sig.as_ref())),
        ("user_handle", String::new()),
    ];
    let r = fresh
        .post(format!("{}/{}/login/passkey", s.base, s.tenant))
        .form(&answer)
        .send()
        .await
        .unwrap();
    let url = r.url().to_string();
    let html = r.text().await.unwrap();
    assert!(url.ends_with("/myapps"), "{url}: {html}");
    assert!(html.contains("My Apps"));

    // The same answer again: its ceremony is used up.
    let (_, _, login) = get(&b, &format!("{}/{}/login", s.base, s.tenant)).await;
    let mut again = answer.clone();
    again[0].1 = attr_of(&login, "data-csrf");
    let r = b
        .post(format!("{}/{}/login/passkey", s.base, s.tenant))
        .form(&again)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-sesame-error"], "SESAME900121");

    // The sign-in log says how.
    s.wait_config();
    let log = s.cli_ok(&["signins", "--json"]);
    assert!(log.contains("signed in to Sesame with a passkey"), "{log}");

    // Require password change at next sign-in: a passkey sign-in lands on "Update your
    // password", not My Apps.
    s.cli_ok(&["user", "set", DEMO_UPN, "--require-password-change", "true"]);
    a.count = 3;
    let (url, html) = passkey_sign_in(&s, &a, &origin).await;
    assert!(url.contains("/login/password"), "{url}: {html}");
    assert!(html.contains("Update your password"), "{html}");
}

/// A "Sign in with a passkey" by `a` in a fresh browser: the final URL and page.
async fn passkey_sign_in(s: &Server, a: &Authenticator, origin: &str) -> (String, String) {
    let b = browser();
    let (_, _, login) = get(&b, &format!("{}/{}/login", s.base, s.tenant)).await;
    let opts: serde_json::Value = b
        .post(format!("{}/{}/login/passkey/options", s.base, s.tenant))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cd = client_data(
        "webauthn.get",
        opts["publicKey"]["challenge"].as_str().unwrap(),
        origin,
    );
    let ad = a.auth_data("localhost", false);
    let mut msg = ad.clone();
    msg.extend(sha(&cd));
    let sig = a.key.sign(&SystemRandom::new(), &msg).unwrap();
    let answer = [
        ("csrf", attr_of(&login, "data-csrf")),
        ("ceremony", opts["ceremony"].as_str().unwrap().to_owned()),
        ("credential_id", B64.encode(&a.id)),
        ("client_data_json", B64.encode(&cd)),
        ("authenticator_data", B64.encode(&ad)),
        ("signature", B64.encode(sig.as_ref())),
        ("user_handle", String::new()),
    ];
    let r = b
        .post(format!("{}/{}/login/passkey", s.base, s.tenant))
        .form(&answer)
        .send()
        .await
        .unwrap();
    let url = r.url().to_string();
    (url, r.text().await.unwrap())
}

#[tokio::test]
async fn an_ip_address_public_url_has_no_passkeys() {
    let s = Server::start();
    let r = browser()
        .post(format!("{}/{}/login/passkey/options", s.base, s.tenant))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 409);
    let j: serde_json::Value = r.json().await.unwrap();
    assert_eq!(j["code"], "SESAME900133");
}
