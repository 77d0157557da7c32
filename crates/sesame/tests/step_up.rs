//! Passkeys in the second step, through the real server with the software authenticator
//! of `passkeys`: "Require phishing-resistant MFA" sends a password sign-in to
//! "More information required" (a passkey created within the sign-in) and then to the
//! second step offering only passkeys (step-up), whose answer completes the original
//! request with the X509 class; a wrong answer is refused on the page and logged; the
//! interrupted sign-in has its row; IsPassive is answered NoPassive; ForceAuthn asks for
//! the password and the passkey again. A RequestedAuthnContext of X509 steps a password
//! session up to a passkey (NoAuthnContext for a user with none), Webex's
//! `PasswordProtectedTransport;X509` gets the class of what the session did, and an MFA
//! policy is satisfied by a passkey.

use crate::common::*;
use crate::passkeys::{attr_of, client_data, sha, Authenticator};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use sesame_saml::messages::{
    AuthnRequest, Comparison, RequestedAuthnContext, AC_PASSWORD_PROTECTED_TRANSPORT,
};

const X509: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:X509";

fn authenticator() -> Authenticator {
    Authenticator {
        key: EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap(),
        id: vec![7; 32],
        count: 1,
    }
}

/// A request of the test SP asking for `classes` (exact); none when empty.
fn request(s: &Server, id: &str, classes: &[&str]) -> AuthnRequest {
    let mut r = authn_request(s, id);
    if !classes.is_empty() {
        r.requested_authn_context = Some(RequestedAuthnContext {
            comparison: Comparison::Exact,
            class_refs: classes.iter().map(|c| (*c).to_owned()).collect(),
        });
    }
    r
}

/// Starts a sign-in: the page the browser lands on.
async fn start(b: &reqwest::Client, s: &Server, r: &AuthnRequest, relay: &str) -> String {
    get(b, &redirect_request(s, r, Some(relay), None)).await.2
}

fn class_of(xml: &str) -> String {
    let i = xml
        .find("AuthnContextClassRef>")
        .expect("no AuthnContextClassRef")
        + 21;
    let j = xml[i..].find('<').unwrap() + i;
    xml[i..j].to_owned()
}

/// Answers the second step shown in `html` with `a` ("Use a passkey or security key":
/// the options, then the signed answer; a wrong signature when `forge`).
async fn passkey_step(
    b: &reqwest::Client,
    s: &Server,
    a: &mut Authenticator,
    html: &str,
    forge: bool,
) -> (u16, Option<String>, String) {
    assert!(
        html.contains(">Use a passkey or security key</button>"),
        "{html}"
    );
    let p = attr_of(html, "data-p");
    let r = b
        .post(format!(
            "{}/{}/login/verify/passkey/options?p={p}",
            s.base, s.tenant
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let opts: serde_json::Value = r.json().await.unwrap();
    // The signed-in user's passkeys, by credential id.
    assert_eq!(
        opts["publicKey"]["allowCredentials"][0]["id"],
        B64.encode(&a.id),
        "{opts}"
    );
    assert_eq!(opts["publicKey"]["userVerification"], "preferred");
    a.count += 1;
    let cd = client_data(
        "webauthn.get",
        opts["publicKey"]["challenge"].as_str().unwrap(),
        &s.base,
    );
    let ad = a.auth_data("localhost", false);
    let mut msg = ad.clone();
    msg.extend(sha(&cd));
    if forge {
        msg.push(0);
    }
    let sig = a.key.sign(&SystemRandom::new(), &msg).unwrap();
    let answer = [
        ("p", p),
        ("ceremony", opts["ceremony"].as_str().unwrap().to_owned()),
        ("credential_id", B64.encode(&a.id)),
        ("client_data_json", B64.encode(&cd)),
        ("authenticator_data", B64.encode(&ad)),
        ("signature", B64.encode(sig.as_ref())),
        ("user_handle", String::new()),
    ];
    let r = b
        .post(format!("{}/{}/login/verify/passkey", s.base, s.tenant))
        .form(&answer)
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    let code = r
        .headers()
        .get("x-sesame-error")
        .map(|v| v.to_str().unwrap().to_owned());
    (st, code, r.text().await.unwrap())
}

/// The sign-in log rows of the demo user once one mentions `needle`.
fn signins_with(s: &Server, needle: &str) -> Vec<serde_json::Value> {
    for _ in 0..50 {
        let out = s.cli_ok(&["--json", "signins", "--user", DEMO_UPN]);
        let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
        if rows.iter().any(|r| r.to_string().contains(needle)) {
            return rows;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("no sign-in row mentions {needle:?}");
}

fn row_with<'a>(rows: &'a [serde_json::Value], needle: &str) -> &'a serde_json::Value {
    rows.iter()
        .find(|r| r.to_string().contains(needle))
        .unwrap_or_else(|| panic!("no row with {needle:?}: {rows:?}"))
}

#[tokio::test]
async fn phishing_resistant_policy_registers_then_steps_up_to_a_passkey() {
    let s = Server::start_localhost();
    s.add_sp(&[]);
    let mut a = authenticator();

    // X509 from a password session of a user with no passkey: NoAuthnContext.
    let b = browser();
    let html = start(&b, &s, &request(&s, "_x0", &[X509]), "rs-x0").await;
    assert!(is_login_page(&html), "{html}");
    let r = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD).await;
    let (action, xml, _) = auto_post_response(&r.text().await.unwrap());
    assert_eq!(action, SP_ACS);
    assert!(xml.contains("status:NoAuthnContext"), "{xml}");
    assert!(xml.contains("SESAME75011"), "{xml}");

    s.cli_ok(&[
        "policy",
        "add",
        "--name",
        "Passkeys for the SP",
        "--users",
        DEMO_UPN,
        "--apps",
        SP_ENTITY,
        "--grant",
        "phishing-resistant",
        "--state",
        "on",
    ]);
    s.wait_config();

    // The password session meets the policy: "More information required", a passkey.
    let html = start(&b, &s, &request(&s, "_pr1", &[]), "rs-pr1").await;
    assert!(html.contains("More information required"), "{html}");
    assert!(
        html.contains("requires a passkey or security key"),
        "{html}"
    );
    let next = post_form(&html, &format!("/{}/login/register", s.tenant));
    let (st, _, reg) = submit(&b, &s.base, &next).await;
    assert_eq!(st, 200, "{reg}");
    assert!(reg.contains("Create a passkey"), "{reg}");
    let options: serde_json::Value = serde_json::from_str(&attr_of(&reg, "data-options")).unwrap();
    assert_eq!(options["rp"]["id"], "localhost");
    let create = post_form(&reg, &format!("/{}/login/register", s.tenant))
        .set("name", "Software key")
        .set(
            "client_data_json",
            &B64.encode(client_data(
                "webauthn.create",
                options["challenge"].as_str().unwrap(),
                &s.base,
            )),
        )
        .set(
            "attestation_object",
            &B64.encode(a.attestation("localhost")),
        )
        .set("transports", "usb");
    let (st, url, html) = submit(&b, &s.base, &create).await;
    assert_eq!(st, 200, "{html}");
    assert!(url.contains("/login/verify?p="), "{url}");
    // Then the second step with it, and only with it.
    assert!(html.contains("Verify your identity"), "{html}");
    assert!(!html.contains("name=\"code\""), "{html}");

    // A wrong signature: refused on the page, logged.
    let (st, code, bad) = passkey_step(&b, &s, &mut a, &html, true).await;
    assert_eq!(st, 200, "{bad}");
    assert!(code.is_some_and(|c| c.starts_with("SESAME900")), "{bad}");
    assert!(bad.contains("Verify your identity"), "{bad}");

    // The passkey: the original request completes, with the X509 class.
    let (st, _, done) = passkey_step(&b, &s, &mut a, &bad, false).await;
    assert_eq!(st, 200, "{done}");
    let (action, xml, relay) = auto_post_response(&done);
    assert_eq!(action, SP_ACS);
    assert_eq!(relay.as_deref(), Some("rs-pr1"));
    assert!(xml.contains("InResponseTo=\"_pr1\""), "{xml}");
    assert!(xml.contains("status:Success"), "{xml}");
    assert_eq!(class_of(&xml), X509);

    // Within the session: no second step.
    let html = start(&b, &s, &request(&s, "_pr2", &[]), "rs").await;
    let (_, xml, _) = auto_post_response(&html);
    assert!(xml.contains("status:Success"), "{xml}");

    // ForceAuthn: the password again, then the passkey again.
    let mut r = request(&s, "_pr3", &[]);
    r.force_authn = true;
    let html = start(&b, &s, &r, "rs-pr3").await;
    assert!(is_login_page(&html), "{html}");
    let r = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD).await;
    let html = r.text().await.unwrap();
    let (_, _, done) = passkey_step(&b, &s, &mut a, &html, false).await;
    let (_, xml, relay) = auto_post_response(&done);
    assert_eq!(relay.as_deref(), Some("rs-pr3"));
    assert!(xml.contains("InResponseTo=\"_pr3\""), "{xml}");

    // IsPassive from a password session: NoPassive, no page.
    let b2 = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let mut r = request(&s, "_pr4", &[]);
    r.is_passive = true;
    let (_, xml, _) = auto_post_response(&start(&b2, &s, &r, "rs").await);
    assert!(xml.contains("status:NoPassive"), "{xml}");

    // The sign-in log: the interrupted sign-in, the refused passkey, the success.
    let rows = signins_with(&s, "second factor refused: passkey");
    let stopped = row_with(&rows, "interrupted: a passkey required");
    assert_eq!(stopped["result"], "interrupted", "{stopped}");
    let details = stopped["details"].as_str().unwrap();
    assert!(
        details.contains("policy \"Passkeys for the SP\" (Require phishing-resistant MFA): applied, not satisfied"),
        "{details}"
    );
    assert!(
        details.contains("authentication requirement multifactor"),
        "{details}"
    );
    let refused = row_with(&rows, "second factor refused: passkey");
    assert_eq!(refused["result"], "failure");
    let ok = row_with(&rows, "methods used: password, passkey");
    assert_eq!(ok["result"], "success", "{ok}");
}

/// Registers `a` for the demo user in Security info.
async fn register_in_security_info(s: &Server, a: &Authenticator) {
    let user = sign_in(s, DEMO_UPN, DEMO_PASSWORD).await;
    let (_, _, add) = page(&user, s, "/myapps/security-info/add").await;
    let begin = post_form(&add, "/myapps/security-info/passkey");
    let (st, _, reg) = submit(&user, &s.base, &begin).await;
    assert_eq!(st, 200, "{reg}");
    let options: serde_json::Value = serde_json::from_str(&attr_of(&reg, "data-options")).unwrap();
    let challenge = options["challenge"].as_str().unwrap();
    let form = post_form(&reg, "/myapps/security-info/passkey/confirm")
        .set("name", "Software key")
        .set(
            "client_data_json",
            &B64.encode(client_data("webauthn.create", challenge, &s.base)),
        )
        .set(
            "attestation_object",
            &B64.encode(a.attestation("localhost")),
        );
    let (st, url, html) = submit(&user, &s.base, &form).await;
    assert_eq!(st, 200, "{html}");
    assert!(url.ends_with("/myapps/security-info"), "{url}: {html}");
}

#[tokio::test]
async fn x509_requests_step_up_and_a_passkey_satisfies_mfa() {
    let s = Server::start_localhost();
    s.add_sp(&[]);
    let mut a = authenticator();
    register_in_security_info(&s, &a).await;

    // Webex's PasswordProtectedTransport;X509 after a password: PasswordProtectedTransport.
    let b = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let webex = [AC_PASSWORD_PROTECTED_TRANSPORT, X509];
    let (_, xml, _) = auto_post_response(&start(&b, &s, &request(&s, "_w1", &webex), "rs").await);
    assert_eq!(class_of(&xml), AC_PASSWORD_PROTECTED_TRANSPORT);

    // X509 alone: step-up to the passkey (only the passkey is offered), then X509.
    let html = start(&b, &s, &request(&s, "_w2", &[X509]), "rs-w2").await;
    assert!(html.contains("Verify your identity"), "{html}");
    assert!(!html.contains("name=\"code\""), "{html}");
    let (_, _, done) = passkey_step(&b, &s, &mut a, &html, false).await;
    let (action, xml, relay) = auto_post_response(&done);
    assert_eq!(action, SP_ACS);
    assert_eq!(relay.as_deref(), Some("rs-w2"));
    assert!(xml.contains("InResponseTo=\"_w2\""), "{xml}");
    assert_eq!(class_of(&xml), X509);

    // The same session, Webex again: now X509.
    let (_, xml, _) = auto_post_response(&start(&b, &s, &request(&s, "_w3", &webex), "rs").await);
    assert_eq!(class_of(&xml), X509);

    // IsPassive X509 from a password session: NoPassive.
    let b2 = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let mut r = request(&s, "_w4", &[X509]);
    r.is_passive = true;
    let (_, xml, _) = auto_post_response(&start(&b2, &s, &r, "rs").await);
    assert!(xml.contains("status:NoPassive"), "{xml}");

    // An MFA policy: the passkey answers it (a user with no authenticator app).
    s.cli_ok(&[
        "policy", "add", "--name", "MFA", "--users", DEMO_UPN, "--apps", SP_ENTITY, "--grant",
        "mfa", "--state", "on",
    ]);
    s.wait_config();
    let html = start(&b2, &s, &request(&s, "_m1", &[]), "rs-m1").await;
    assert!(html.contains("requires a second factor"), "{html}");
    let (_, _, done) = passkey_step(&b2, &s, &mut a, &html, false).await;
    let (_, xml, relay) = auto_post_response(&done);
    assert_eq!(relay.as_deref(), Some("rs-m1"));
    assert!(xml.contains("status:Success"), "{xml}");
    let rows = signins_with(&s, "interrupted: second factor required");
    let stopped = row_with(&rows, "interrupted: second factor required");
    assert_eq!(stopped["result"], "interrupted");
    assert!(
        stopped.to_string().contains("policy \\\"MFA\\\""),
        "{stopped}"
    );
    row_with(&rows, "a passkey (X509)");
}

#[tokio::test]
async fn phishing_resistant_policy_without_usable_passkeys_is_refused_with_900150() {
    // The public URL names an IP address: no passkey can be bound to it.
    let s = Server::start();
    s.add_sp(&[]);
    s.cli_ok(&[
        "policy",
        "add",
        "--name",
        "Passkeys for the SP",
        "--users",
        DEMO_UPN,
        "--apps",
        SP_ENTITY,
        "--grant",
        "phishing-resistant",
        "--state",
        "on",
    ]);
    s.wait_config();
    let b = browser();
    let html = start(&b, &s, &request(&s, "_ip1", &[]), "rs-ip1").await;
    let r = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD).await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(r.headers()["x-sesame-error"], "SESAME900150");
    let html = r.text().await.unwrap();
    assert!(!html.contains("Passkeys for the SP"), "{html}");
    // Back to the application: RequestDenied.
    let (action, xml, relay) = auto_post_response(&html);
    assert_eq!(action, SP_ACS);
    assert_eq!(relay.as_deref(), Some("rs-ip1"));
    assert!(xml.contains("status:RequestDenied"), "{xml}");
    signins_with(&s, "blocked by the policy \\\"Passkeys for the SP\\\"");
}

#[tokio::test]
async fn phishing_resistant_policy_on_the_admin_portal_steps_up_to_a_passkey() {
    let s = Server::start_localhost();
    s.cli_ok(&["role", "assign", DEMO_UPN, "Global Administrator"]);
    s.cli_ok(&[
        "policy",
        "add",
        "--name",
        "Portal passkeys",
        "--users",
        DEMO_UPN,
        "--apps",
        "admin-portal",
        "--grant",
        "phishing-resistant",
        "--state",
        "on",
    ]);
    s.wait_config();
    let mut a = authenticator();
    let b = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let (st, url, html) = page(&b, &s, "/admin/apps").await;
    assert_eq!(st, 200, "{html}");
    assert!(url.contains("/login/verify"), "{url}");
    assert!(
        html.contains("requires a passkey or security key"),
        "{html}"
    );
    let next = post_form(&html, &format!("/{}/login/register", s.tenant));
    let (_, _, reg) = submit(&b, &s.base, &next).await;
    let options: serde_json::Value = serde_json::from_str(&attr_of(&reg, "data-options")).unwrap();
    let create = post_form(&reg, &format!("/{}/login/register", s.tenant))
        .set(
            "client_data_json",
            &B64.encode(client_data(
                "webauthn.create",
                options["challenge"].as_str().unwrap(),
                &s.base,
            )),
        )
        .set(
            "attestation_object",
            &B64.encode(a.attestation("localhost")),
        );
    let (_, _, html) = submit(&b, &s.base, &create).await;
    let (st, code, html) = passkey_step(&b, &s, &mut a, &html, false).await;
    assert_eq!((st, code), (200, None), "{html}");
    assert!(!html.contains("Verify your identity"), "{html}");
    // Back on the page asked for, and no longer asked.
    let (st, url, _) = page(&b, &s, "/admin/apps").await;
    assert_eq!(st, 200);
    assert!(url.ends_with("/admin/apps"), "{url}");
}
