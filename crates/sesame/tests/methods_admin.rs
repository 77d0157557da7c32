//! The administrator's side of authentication methods, through the real server: the
//! Authentication methods policy (a disabled authenticator app is neither offered nor
//! registered in Security info; a passkey of an authenticator model outside the AAGUID
//! allow-list is refused with SESAME900132), Require re-register MFA (the next sign-in
//! that needs MFA goes to "More information required", the old code is refused), Revoke
//! sessions (the old cookie is sent to sign in again), each from the CLI, the portal and
//! the REST API, and their bad input refused with a code.

use crate::common::*;
use crate::passkeys::{attr_of, client_data, sha, Authenticator};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};
use std::process::Command;

/// The Python with pyotp, or `None` outside CI.
fn pyotp() -> Option<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let found = [
        std::env::var("SESAME_TEST_PYTHON").ok(),
        Some(root.join(".venv/bin/python").display().to_string()),
        Some("python3".to_owned()),
    ]
    .into_iter()
    .flatten()
    .find(|c| {
        Command::new(c)
            .args(["-c", "import pyotp"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(!ci, "pyotp is missing (tests/interop/requirements.txt)");
        eprintln!("SKIPPED: pyotp is not installed");
    }
    found
}

/// pyotp's code of `uri` for the 30-second step `delta` steps from now.
fn totp(py: &str, uri: &str, delta: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let at = (now.div_euclid(30) + delta) * 30 + 1;
    let out = Command::new(py)
        .args([
            "-c",
            "import pyotp, sys; print(pyotp.parse_uri(sys.argv[1]).at(int(sys.argv[2])))",
            uri,
            &at.to_string(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn code_text(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("<code id=\"{id}\""))
        .unwrap_or_else(|| panic!("no <code id={id}> in:\n{html}"));
    let after = &html[start..];
    let open = after.find('>').unwrap() + 1;
    let close = after.find("</code>").unwrap();
    unescape(&after[open..close])
}

fn token(s: &Server) -> String {
    s.cli_ok(&["token", "create", "--name", "methods"])
        .trim()
        .to_owned()
}

/// One API call with a bearer token: the status and the JSON body (Null when empty).
async fn api(s: &Server, t: &str, m: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut r = reqwest::Client::new()
        .request(m, format!("{}{path}", s.base))
        .bearer_auth(t);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    let st = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let v = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (st, v)
}

fn stderr_of(s: &Server, args: &[&str]) -> String {
    let out = s.cli(args);
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn policy_disables_the_authenticator_app_and_refuses_bad_input() {
    let s = Server::start();
    // The defaults: everything enabled for every user, any authenticator.
    let shown: Value =
        serde_json::from_str(&s.cli_ok(&["--json", "methods-policy", "show"])).unwrap();
    assert_eq!(shown[1]["method"], "authenticator-app");
    assert_eq!(shown[1]["enabled"], true);
    assert_eq!(shown[0]["aaguids"], json!([]));

    let out = s.cli_ok(&[
        "methods-policy",
        "set",
        "--method",
        "authenticator-app",
        "--enabled",
        "false",
    ]);
    assert!(
        out.contains("authenticator-app\tdisabled\tall users"),
        "{out}"
    );

    // Security info offers the other methods only, and refuses the registration.
    let user = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let (st, _, add) = page(&user, &s, "/myapps/security-info/add").await;
    assert_eq!(st, 200, "{add}");
    assert!(add.contains("Recovery codes"), "{add}");
    assert!(
        !add.contains("/myapps/security-info/authenticator"),
        "{add}"
    );
    let csrf = csrf(&add);
    let r = user
        .post(format!("{}/myapps/security-info/authenticator", s.base))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("SESAME900134"), "{html}");
    assert!(!html.contains("totp-uri"), "{html}");

    // Enabled for a group B.Simon is not in: still refused; for one they are in: offered.
    s.cli_ok(&["group", "add", "Phones"]);
    s.cli_ok(&["group", "add", "Others"]);
    s.cli_ok(&["group", "add-member", "Phones", "--user", DEMO_UPN]);
    s.cli_ok(&[
        "methods-policy",
        "set",
        "--method",
        "authenticator-app",
        "--enabled",
        "true",
        "--groups",
        "Others",
    ]);
    let (_, _, add) = page(&user, &s, "/myapps/security-info/add").await;
    assert!(
        !add.contains("/myapps/security-info/authenticator"),
        "{add}"
    );
    s.cli_ok(&[
        "methods-policy",
        "set",
        "--method",
        "authenticator-app",
        "--groups",
        "Phones",
    ]);
    let (_, _, add) = page(&user, &s, "/myapps/security-info/add").await;
    assert!(add.contains("/myapps/security-info/authenticator"), "{add}");

    // Bad input: a clear, coded refusal, nothing changed.
    let before = s.cli_ok(&["methods-policy", "show"]);
    let e = stderr_of(
        &s,
        &[
            "methods-policy",
            "set",
            "--method",
            "sms",
            "--enabled",
            "true",
        ],
    );
    assert!(
        e.contains("SESAME910004") && e.contains("passkey, authenticator-app or recovery-codes"),
        "{e}"
    );
    let e = stderr_of(
        &s,
        &[
            "methods-policy",
            "set",
            "--method",
            "passkey",
            "--groups",
            "Nope",
        ],
    );
    assert!(
        e.contains("SESAME910004") && e.contains("no group \"Nope\""),
        "{e}"
    );
    let e = stderr_of(
        &s,
        &[
            "methods-policy",
            "set",
            "--method",
            "passkey",
            "--aaguids",
            "not-a-uuid",
        ],
    );
    assert!(
        e.contains("SESAME910004") && e.contains("is not an AAGUID"),
        "{e}"
    );
    let e = stderr_of(
        &s,
        &[
            "methods-policy",
            "set",
            "--method",
            "recovery-codes",
            "--aaguids",
            "08987058-cadc-4b81-b6e1-30de50dcbe96",
        ],
    );
    assert!(e.contains("passkeys only"), "{e}");
    assert_eq!(s.cli_ok(&["methods-policy", "show"]), before);

    // The REST API: read, replace, bad input refused with 422 and its code.
    let t = token(&s);
    let (st, p) = api(
        &s,
        &t,
        Method::GET,
        "/api/v1/authentication-methods-policy",
        None,
    )
    .await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(p["authenticator_app"]["groups"], json!(["Phones"]));
    let body = json!({
        "passkey": {"enabled": true, "groups": [], "aaguids": ["08987058-CADC-4b81-b6e1-30de50dcbe96"]},
        "authenticator_app": {"enabled": true},
        "recovery_codes": {"enabled": false, "groups": []}
    });
    let (st, p) = api(
        &s,
        &t,
        Method::PUT,
        "/api/v1/authentication-methods-policy",
        Some(body),
    )
    .await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(
        p["passkey"]["aaguids"],
        json!(["08987058-cadc-4b81-b6e1-30de50dcbe96"])
    );
    assert_eq!(p["recovery_codes"]["enabled"], false);
    assert_eq!(p["authenticator_app"]["groups"], json!([]));
    for bad in [
        json!({"passkey": {"enabled": true, "aaguids": ["xyz"]}, "authenticator_app": {"enabled": true}, "recovery_codes": {"enabled": true}}),
        json!({"passkey": {"enabled": true, "groups": ["Nope"]}, "authenticator_app": {"enabled": true}, "recovery_codes": {"enabled": true}}),
    ] {
        let (st, p) = api(
            &s,
            &t,
            Method::PUT,
            "/api/v1/authentication-methods-policy",
            Some(bad),
        )
        .await;
        assert_eq!(st, 422, "{p}");
        assert_eq!(p["code"], "SESAME910004", "{p}");
    }
    let (_, p) = api(
        &s,
        &t,
        Method::GET,
        "/api/v1/authentication-methods-policy",
        None,
    )
    .await;
    assert_eq!(p["recovery_codes"]["enabled"], false);

    // The portal page (Global Administrators), and the audit log of each change.
    let admin = admin(&s).await;
    let (st, _, html) = page(&admin, &s, "/admin/authentication-methods").await;
    assert_eq!(st, 200, "{html}");
    assert!(
        html.contains("href=\"/admin/authentication-methods\""),
        "{html}"
    );
    assert!(
        html.contains("08987058-cadc-4b81-b6e1-30de50dcbe96"),
        "{html}"
    );
    let f = forms(&html)
        .into_iter()
        .find(|f| f.get("method") == Some("recovery-codes"))
        .unwrap();
    let (st, _, html) = submit(&admin, &s.base, &f.set("enabled", "true")).await;
    assert_eq!(st, 200, "{html}");
    assert!(html.contains("Recovery codes saved."), "{html}");
    let f = forms(&html)
        .into_iter()
        .find(|f| f.get("method") == Some("passkey"))
        .unwrap();
    let (_, _, html) = submit(&admin, &s.base, &f.set("aaguids", "bad")).await;
    assert!(html.contains("SESAME910004"), "{html}");
    let audit = s.cli_ok(&["--json", "audit"]);
    assert!(
        audit.matches("methods.policy.update").count() >= 5,
        "{audit}"
    );
    let (st, _) = api(
        &s,
        "sesame_wrong",
        Method::GET,
        "/api/v1/authentication-methods-policy",
        None,
    )
    .await;
    assert_eq!(st, 401);
}

#[tokio::test]
async fn aaguid_allow_list_refuses_a_passkey() {
    let s = Server::start_localhost();
    s.cli_ok(&[
        "methods-policy",
        "set",
        "--method",
        "passkey",
        "--enabled",
        "true",
        "--aaguids",
        "08987058-cadc-4b81-b6e1-30de50dcbe96",
    ]);
    let mut a = Authenticator {
        key: EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap(),
        id: vec![7; 32],
        count: 1,
    };
    let user = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let register = |user: reqwest::Client| {
        let s = &s;
        let a = &a;
        async move {
            let (_, _, add) = page(&user, s, "/myapps/security-info/add").await;
            let begin = post_form(&add, "/myapps/security-info/passkey");
            let (st, _, reg) = submit(&user, &s.base, &begin).await;
            assert_eq!(st, 200, "{reg}");
            let options: Value = serde_json::from_str(&attr_of(&reg, "data-options")).unwrap();
            let challenge = options["challenge"].as_str().unwrap().to_owned();
            let form = post_form(&reg, "/myapps/security-info/passkey/confirm")
                .set("name", "Software key")
                .set(
                    "client_data_json",
                    &B64.encode(client_data("webauthn.create", &challenge, &s.base)),
                )
                .set(
                    "attestation_object",
                    &B64.encode(a.attestation("localhost")),
                )
                .set("transports", "usb");
            submit(&user, &s.base, &form).await
        }
    };
    // The software authenticator's AAGUID is all zeros: not on the list.
    let (_, _, html) = register(user.clone()).await;
    assert!(html.contains("SESAME900132"), "{html}");
    assert!(
        html.contains("00000000-0000-0000-0000-000000000000"),
        "{html}"
    );
    assert!(!s.cli_ok(&["user", "methods", DEMO_UPN]).contains("passkey"));
    // Without the restriction it is registered.
    s.cli_ok(&[
        "methods-policy",
        "set",
        "--method",
        "passkey",
        "--aaguids",
        "none",
    ]);
    let (st, url, html) = register(user.clone()).await;
    assert_eq!(st, 200, "{html}");
    assert!(url.ends_with("/myapps/security-info"), "{url}");
    assert!(s
        .cli_ok(&["user", "methods", DEMO_UPN])
        .contains("\tpasskey\tSoftware key\t"));
    // The restriction back: the registered passkey no longer signs in.
    s.cli_ok(&[
        "methods-policy",
        "set",
        "--method",
        "passkey",
        "--aaguids",
        "08987058-cadc-4b81-b6e1-30de50dcbe96",
    ]);
    a.count = 2;
    let fresh = browser();
    let (_, _, login) = get(&fresh, &format!("{}/{}/login", s.base, s.tenant)).await;
    let opts: Value = fresh
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
        &s.base,
    );
    let ad = a.auth_data("localhost", false);
    let mut msg = ad.clone();
    msg.extend(sha(&cd));
    let sig = a.key.sign(&SystemRandom::new(), &msg).unwrap();
    let r = fresh
        .post(format!("{}/{}/login/passkey", s.base, s.tenant))
        .form(&[
            ("csrf", attr_of(&login, "data-csrf")),
            ("ceremony", opts["ceremony"].as_str().unwrap().to_owned()),
            ("credential_id", B64.encode(&a.id)),
            ("client_data_json", B64.encode(&cd)),
            ("authenticator_data", B64.encode(&ad)),
            ("signature", B64.encode(sig.as_ref())),
            ("user_handle", String::new()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-sesame-error"], "SESAME900132");
    // Passkeys disabled: not offered.
    s.cli_ok(&[
        "methods-policy",
        "set",
        "--method",
        "passkey",
        "--enabled",
        "false",
    ]);
    let (_, _, add) = page(&user, &s, "/myapps/security-info/add").await;
    assert!(!add.contains("/myapps/security-info/passkey\""), "{add}");
}

/// Signs B.Simon in to the test SP: the page after the password.
async fn sign_in_to_sp(b: &reqwest::Client, s: &Server, id: &str) -> String {
    let mut r = authn_request(s, id);
    r.force_authn = true;
    let html = get(b, &redirect_request(s, &r, Some("rs"), None)).await.2;
    assert!(is_login_page(&html), "{html}");
    let r = submit_login(b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD).await;
    r.text().await.unwrap()
}

/// With the authenticator app disabled by the Authentication methods policy, a user with
/// no method under an MFA policy is offered the creation of a passkey, not an
/// authenticator app that could not be registered.
#[tokio::test]
async fn the_interrupt_offers_a_passkey_when_the_authenticator_app_is_disabled() {
    let s = Server::start();
    s.add_sp(&[]);
    s.cli_ok(&[
        "methods-policy",
        "set",
        "--method",
        "authenticator-app",
        "--enabled",
        "false",
    ]);
    s.cli_ok(&[
        "policy", "add", "--name", "MFA", "--users", DEMO_UPN, "--apps", SP_ENTITY, "--grant",
        "mfa", "--state", "on",
    ]);
    s.wait_config();
    let b = browser();
    let html = sign_in_to_sp(&b, &s, "_p1").await;
    assert!(html.contains("More information required"), "{html}");
    assert!(html.contains("accepts a passkey or security key"), "{html}");
    let f = post_form(&html, &format!("/{}/login/register", s.tenant));
    let (_, _, html) = submit(&b, &s.base, &f).await;
    assert!(!html.contains("totp-uri"), "{html}");
    assert!(html.to_lowercase().contains("passkey"), "{html}");
}

#[tokio::test]
async fn require_reregister_sends_the_next_mfa_sign_in_to_registration() {
    let Some(py) = pyotp() else { return };
    let s = Server::start();
    s.add_sp(&[]);
    s.cli_ok(&[
        "policy",
        "add",
        "--name",
        "MFA",
        "--users",
        DEMO_UPN,
        "--apps",
        SP_ENTITY,
        "--grant",
        "mfa",
        "--sign-in-frequency",
        "every-time",
        "--state",
        "on",
    ]);
    s.wait_config();

    // First sign-in: registration of an authenticator app.
    let b = browser();
    let html = sign_in_to_sp(&b, &s, "_r1").await;
    assert!(html.contains("More information required"), "{html}");
    let f = post_form(&html, &format!("/{}/login/register", s.tenant));
    let (_, _, html) = submit(&b, &s.base, &f).await;
    let uri = code_text(&html, "totp-uri");
    let f = post_form(&html, &format!("/{}/login/register", s.tenant));
    let (_, _, html) = submit(&b, &s.base, &f.set("code", &totp(&py, &uri, -1))).await;
    assert!(is_auto_post(&html), "{html}");

    // The administrator requires re-registration (CLI).
    let out = s.cli_ok(&["user", "methods", DEMO_UPN, "--require-reregister"]);
    assert!(
        out.contains("1 authenticator app and recovery-code method no longer accepted"),
        "{out}"
    );

    // The next sign-in that needs MFA: "More information required", and the old app's
    // code is no longer accepted.
    let b = browser();
    let html = sign_in_to_sp(&b, &s, "_r2").await;
    assert!(html.contains("More information required"), "{html}");
    let r = b
        .post(format!("{}/{}/login/verify", s.base, s.tenant))
        .form(&[
            (
                "p",
                form(&html)
                    .1
                    .iter()
                    .find(|(k, _)| k == "p")
                    .unwrap()
                    .1
                    .as_str(),
            ),
            ("code", &totp(&py, &uri, 0)),
        ])
        .send()
        .await
        .unwrap();
    let refused = r.text().await.unwrap();
    assert!(refused.contains("More information required"), "{refused}");
    assert!(!is_auto_post(&refused));
    // A new app registered there completes the sign-in.
    let f = post_form(&html, &format!("/{}/login/register", s.tenant));
    let (_, _, html) = submit(&b, &s.base, &f).await;
    let uri2 = code_text(&html, "totp-uri");
    assert_ne!(uri, uri2);
    let f = post_form(&html, &format!("/{}/login/register", s.tenant));
    let (_, _, html) = submit(&b, &s.base, &f.set("code", &totp(&py, &uri2, 0))).await;
    assert!(is_auto_post(&html), "{html}");

    // The old method is listed as retired; the API lists it so, and can require again.
    let t = token(&s);
    let (st, list) = api(
        &s,
        &t,
        Method::GET,
        &format!("/api/v1/users/{DEMO_UPN}/authentication-methods"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{list}");
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{list}");
    // Both may be created in the same second (then ordered by id): find them by the flag.
    let retired: Vec<&Value> = rows
        .iter()
        .filter(|r| r["reregister_required"] == true)
        .collect();
    assert_eq!(retired.len(), 1, "{list}");
    let (st, r) = api(
        &s,
        &t,
        Method::POST,
        &format!("/api/v1/users/{DEMO_UPN}/authentication-methods/require-reregister"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["retired_methods"], 1);
    // Delete the old one through the API; an unknown id is 404.
    let old = retired[0]["id"].as_str().unwrap();
    let (st, _) = api(
        &s,
        &t,
        Method::DELETE,
        &format!("/api/v1/users/{DEMO_UPN}/authentication-methods/{old}"),
        None,
    )
    .await;
    assert_eq!(st, 204);
    let (st, p) = api(
        &s,
        &t,
        Method::DELETE,
        &format!("/api/v1/users/{DEMO_UPN}/authentication-methods/{old}"),
        None,
    )
    .await;
    assert_eq!(st, 404, "{p}");
    assert_eq!(p["code"], "SESAME910005");
    let (st, _) = api(
        &s,
        &t,
        Method::POST,
        "/api/v1/users/nobody@contoso.com/authentication-methods/require-reregister",
        None,
    )
    .await;
    assert_eq!(st, 404);

    // The portal's button.
    let admin = admin(&s).await;
    let uid = s.cli_ok(&["--json", "user", "show", DEMO_UPN]);
    let uid: Value = serde_json::from_str(&uid).unwrap();
    let uid = uid["id"].as_str().unwrap().to_owned();
    let (_, _, html) = page(&admin, &s, &format!("/admin/users/{uid}")).await;
    assert!(html.contains("re-registration required"), "{html}");
    let f = post_form(
        &html,
        &format!("/admin/users/{uid}/methods/require-reregister"),
    );
    let (st, _, html) = submit(&admin, &s.base, &f).await;
    assert_eq!(st, 200, "{html}");
    assert!(html.contains("must register MFA again"), "{html}");
    let audit = s.cli_ok(&["--json", "audit"]);
    assert!(
        audit.matches("user.method.require_reregister").count() >= 3,
        "{audit}"
    );
    // Bad input: an unknown user.
    let e = stderr_of(
        &s,
        &[
            "user",
            "methods",
            "nobody@contoso.com",
            "--require-reregister",
        ],
    );
    assert!(e.contains("nobody@contoso.com"), "{e}");
}

#[tokio::test]
async fn revoke_sessions_sends_the_old_cookie_to_sign_in() {
    let s = Server::start();
    let t = token(&s);
    let check = |b: reqwest::Client| {
        let s = &s;
        async move {
            let r = b.get(format!("{}/myapps", s.base)).send().await.unwrap();
            r.url().path().to_owned()
        }
    };
    // CLI: two sessions revoked, both cookies sent to sign in.
    let b1 = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let b2 = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    assert_eq!(check(b1.clone()).await, "/myapps");
    let out: Value =
        serde_json::from_str(&s.cli_ok(&["--json", "user", "revoke-sessions", DEMO_UPN])).unwrap();
    assert_eq!(out["revoked_sessions"], 2, "{out}");
    // Another process's change: the server drops its memory of sessions within a second.
    s.wait_config();
    assert_ne!(check(b1.clone()).await, "/myapps");
    assert_ne!(check(b2.clone()).await, "/myapps");
    let out = s.cli_ok(&["user", "revoke-sessions", DEMO_UPN]);
    assert!(
        out.contains("revoked 0 sessions of B.Simon@contoso.com"),
        "{out}"
    );

    // API.
    let b3 = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let (st, r) = api(
        &s,
        &t,
        Method::POST,
        &format!("/api/v1/users/{DEMO_UPN}/revoke-sessions"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["revoked_sessions"], 1);
    assert_ne!(check(b3).await, "/myapps");

    // Portal button.
    let b4 = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let admin = admin(&s).await;
    let uid: Value =
        serde_json::from_str(&s.cli_ok(&["--json", "user", "show", DEMO_UPN])).unwrap();
    let uid = uid["id"].as_str().unwrap().to_owned();
    let (_, _, html) = page(&admin, &s, &format!("/admin/users/{uid}")).await;
    assert!(html.contains(">Revoke sessions</button>"), "{html}");
    let f = post_form(&html, &format!("/admin/users/{uid}/revoke-sessions"));
    let (st, _, html) = submit(&admin, &s.base, &f.clone()).await;
    assert_eq!(st, 200, "{html}");
    assert!(
        html.contains("1 session of B.Simon@contoso.com revoked"),
        "{html}"
    );
    assert_ne!(check(b4).await, "/myapps");
    // Without the CSRF token: refused.
    let (st, _, _) = submit(&admin, &s.base, &f.set("csrf", "x")).await;
    assert_eq!(st, 403);

    let audit = s.cli_ok(&["--json", "audit"]);
    assert_eq!(audit.matches("user.sessions.revoke").count(), 4, "{audit}");
    let e = stderr_of(&s, &["user", "revoke-sessions", "nobody@contoso.com"]);
    assert!(e.contains("nobody@contoso.com"), "{e}");
}

#[tokio::test]
async fn removing_the_last_method_under_an_mfa_policy_warns_and_asks_to_confirm() {
    let s = Server::start();
    let b = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    // Recovery codes: the user's one method.
    let (_, _, html) = page(&b, &s, "/myapps/security-info/recovery").await;
    let (st, _, html) = submit(
        &b,
        &s.base,
        &post_form(&html, "/myapps/security-info/recovery"),
    )
    .await;
    assert_eq!(st, 200, "{html}");
    let list = &html[html.find("id=\"recovery-codes\"").expect(&html)..];
    let codes: Vec<String> = list[..list.find("</ul>").unwrap()]
        .split("<code>")
        .skip(1)
        .map(|c| c[..c.find("</code>").unwrap()].to_owned())
        .collect();
    let id = s.cli_ok(&["--json", "user", "methods", DEMO_UPN]);
    let id: Value = serde_json::from_str(&id).unwrap();
    let id = id[0]["id"].as_str().unwrap().to_owned();
    let remove = format!("/myapps/security-info/methods/{id}/remove");

    // No policy requires MFA: no warning.
    let (_, _, html) = page(&b, &s, &remove).await;
    assert!(!html.contains("mfa-warning"), "{html}");

    // A report-only policy does not count; one that is On does.
    s.cli_ok(&[
        "policy",
        "add",
        "--name",
        "MFA",
        "--users",
        DEMO_UPN,
        "--grant",
        "mfa",
        "--state",
        "report-only",
    ]);
    let (_, _, html) = page(&b, &s, &remove).await;
    assert!(!html.contains("mfa-warning"), "{html}");
    s.cli_ok(&["policy", "set", "MFA", "--state", "on"]);
    let (_, _, html) = page(&b, &s, &remove).await;
    assert!(html.contains("id=\"mfa-warning\""), "{html}");
    assert!(html.contains("you will be asked to register one at your next sign-in that needs multifactor authentication"), "{html}");
    // Without the confirmation: refused, nothing removed.
    let f = post_form(&html, &remove).set("proof_recovery", &codes[0]);
    let (st, _, again) = submit(&b, &s.base, &f.clone().without("confirm_last")).await;
    assert_eq!(st, 422, "{again}");
    assert!(again.contains("Confirm that you understand"), "{again}");
    assert!(s
        .cli_ok(&["user", "methods", DEMO_UPN])
        .contains("recovery"));
    // Confirmed: removed.
    let (st, url, done) = submit(&b, &s.base, &f.set("confirm_last", "true")).await;
    assert_eq!(st, 200, "{done}");
    assert!(url.ends_with("/myapps/security-info"), "{url}");
    assert!(!s
        .cli_ok(&["user", "methods", DEMO_UPN])
        .contains("recovery"));
}
