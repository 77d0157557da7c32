//! Conditional Access over HTTP and the CLI: an MFA policy for one application sends the
//! sign-in to "More information required" (an authenticator app set up with a code from
//! pyotp) or to "Verify your identity", then completes the original request with its
//! RelayState and InResponseTo; a second application within the sign-in frequency does
//! not ask; a Block shows SESAME53003 with a RequestDenied Response for the application
//! and names the policy in the sign-in log only; report-only is never enforced; the
//! lockout guard, strict CIDRs and What If from the CLI.

use crate::common::*;
use std::process::Command;

const SP2_ENTITY: &str = "https://sp2.example.test/entity";
const SP2_ACS: &str = "https://sp2.example.test/acs";

/// The Python with pyotp (SESAME_TEST_PYTHON, the workspace's `.venv`, or `python3`), or
/// `None` outside CI.
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
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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

fn request_to(
    s: &Server,
    entity: &str,
    acs: &str,
    id: &str,
) -> sesame_saml::messages::AuthnRequest {
    let mut r = authn_request(s, id);
    r.issuer = entity.into();
    r.acs_url = Some(acs.into());
    r
}

/// Starts a sign-in at `entity` with RelayState `relay`: the page the browser lands on.
async fn start(
    b: &reqwest::Client,
    s: &Server,
    r: &sesame_saml::messages::AuthnRequest,
    relay: &str,
) -> String {
    get(b, &redirect_request(s, r, Some(relay), None)).await.2
}

fn add_sp2(s: &Server) -> String {
    let out = s.cli_ok(&[
        "app",
        "add",
        "--custom",
        "--name",
        "Second SP",
        "--identifier",
        SP2_ENTITY,
        "--reply-url",
        SP2_ACS,
    ]);
    let id = uuid_in(&out);
    s.cli_ok(&["app", "assign", &id, "--user", DEMO_UPN]);
    id
}

/// The sign-in log rows of the demo user, newest first (waiting for the batch writer).
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

#[tokio::test]
async fn mfa_policy_for_one_app_asks_once_then_completes_the_request() {
    let Some(py) = pyotp() else { return };
    let s = Server::start();
    s.add_sp(&[]);
    add_sp2(&s);
    s.cli_ok(&[
        "policy",
        "add",
        "--name",
        "MFA for the test SP",
        "--users",
        DEMO_UPN,
        "--apps",
        SP_ENTITY,
        "--grant",
        "mfa",
        "--sign-in-frequency",
        "4h",
        "--state",
        "on",
    ]);
    s.cli_ok(&[
        "policy",
        "add",
        "--name",
        "MFA for the second SP",
        "--apps",
        SP2_ENTITY,
        "--grant",
        "mfa",
        "--state",
        "on",
    ]);
    s.wait_config();

    // Password, then "More information required": B.Simon has no method yet.
    let b = browser();
    let html = start(&b, &s, &request_to(&s, SP_ENTITY, SP_ACS, "_ca1"), "rs-ca1").await;
    assert!(is_login_page(&html), "{html}");
    let r = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD).await;
    assert!(r.url().path().ends_with("/login/verify"), "{}", r.url());
    let html = r.text().await.unwrap();
    assert!(html.contains("More information required"), "{html}");
    let f = post_form(&html, &format!("/{}/login/register", s.tenant));
    let (st, _, html) = submit(&b, &s.base, &f).await;
    assert_eq!(st, 200, "{html}");
    assert!(html.contains("autocomplete=\"one-time-code\" inputmode=\"numeric\""));
    let uri = code_text(&html, "totp-uri");
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");

    // A wrong code is refused on the page; the right one completes the original request.
    let f = post_form(&html, &format!("/{}/login/register", s.tenant));
    let (st, _, bad) = submit(&b, &s.base, &f.clone().set("code", "000000")).await;
    assert_eq!(st, 200);
    assert!(
        bad.contains("SESAME900101") || bad.contains("SESAME900102"),
        "{bad}"
    );
    let (_, _, html) = submit(&b, &s.base, &f.clone().set("code", &totp(&py, &uri, 0))).await;
    let (action, xml, relay) = auto_post_response(&html);
    assert_eq!(action, SP_ACS);
    assert_eq!(relay.as_deref(), Some("rs-ca1"));
    assert!(xml.contains("InResponseTo=\"_ca1\""), "{xml}");
    assert!(xml.contains("urn:oasis:names:tc:SAML:2.0:status:Success"));

    // The second application, within the sign-in frequency: no second step.
    let html = start(
        &b,
        &s,
        &request_to(&s, SP2_ENTITY, SP2_ACS, "_ca2"),
        "rs-ca2",
    )
    .await;
    let (action, xml, relay) = auto_post_response(&html);
    assert_eq!(action, SP2_ACS);
    assert_eq!(relay.as_deref(), Some("rs-ca2"));
    assert!(xml.contains("InResponseTo=\"_ca2\""));
    // After a password and a code: REFEDS MFA by default, the strongest requested class.
    assert!(xml.contains("https://refeds.org/profile/mfa"), "{xml}");
    let mut r = request_to(&s, SP2_ENTITY, SP2_ACS, "_ca2b");
    r.requested_authn_context = Some(sesame_saml::messages::RequestedAuthnContext {
        comparison: sesame_saml::messages::Comparison::Exact,
        class_refs: vec![
            sesame_saml::messages::AC_PASSWORD_PROTECTED_TRANSPORT.into(),
            "urn:oasis:names:tc:SAML:2.0:ac:classes:X509".into(),
        ],
    });
    let (_, xml, _) = auto_post_response(&start(&b, &s, &r, "rs").await);
    assert!(
        xml.contains(">urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport<"),
        "X509 is never claimed after a password and a code: {xml}"
    );

    // ForceAuthn: the password again, and the code again (a new session).
    let mut r = request_to(&s, SP_ENTITY, SP_ACS, "_ca3");
    r.force_authn = true;
    let html = start(&b, &s, &r, "rs-ca3").await;
    let r = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD).await;
    let html = r.text().await.unwrap();
    assert!(html.contains("Verify your identity"), "{html}");
    assert!(html.contains("autocomplete=\"one-time-code\" inputmode=\"numeric\""));
    let f = post_form(&html, &format!("/{}/login/verify", s.tenant));
    let (_, _, html) = submit(&b, &s.base, &f.clone().set("code", &totp(&py, &uri, 1))).await;
    let (action, xml, relay) = auto_post_response(&html);
    assert_eq!(action, SP_ACS);
    assert_eq!(relay.as_deref(), Some("rs-ca3"));
    assert!(xml.contains("InResponseTo=\"_ca3\""));

    // IsPassive without the second factor: NoPassive, no prompt.
    let b2 = browser();
    let html = start(&b2, &s, &request_to(&s, SP_ENTITY, SP_ACS, "_ca4"), "rs").await;
    let r = submit_login(&b2, &s.base, &html, DEMO_UPN, DEMO_PASSWORD).await;
    assert!(r.text().await.unwrap().contains("Verify your identity"));
    let mut p = request_to(&s, SP2_ENTITY, SP2_ACS, "_ca5");
    p.is_passive = true;
    let html = start(&b2, &s, &p, "rs-p").await;
    let (_, xml, _) = auto_post_response(&html);
    assert!(xml.contains("status:NoPassive"), "{xml}");

    // The sign-in log: the requirement, the methods and each policy's result.
    let rows = signins_with(&s, "authentication requirement multifactor");
    let text = serde_json::to_string(&rows).unwrap();
    assert!(
        text.contains("methods used: password, authenticator app"),
        "{text}"
    );
    assert!(text.contains("policy \\\"MFA for the test SP\\\" (Require multifactor authentication): applied, satisfied"), "{text}");
}

#[tokio::test]
async fn block_answers_53003_and_request_denied_report_only_never_enforced() {
    let s = Server::start();
    s.add_sp(&[]);
    s.cli_ok(&[
        "policy",
        "add",
        "--name",
        "Report block",
        "--apps",
        SP_ENTITY,
        "--grant",
        "block",
        "--state",
        "report-only",
    ]);
    s.wait_config();
    let b = browser();
    let html = start(&b, &s, &request_to(&s, SP_ENTITY, SP_ACS, "_b1"), "rs-b1").await;
    let r = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD).await;
    let html = r.text().await.unwrap();
    let (_, xml, _) = auto_post_response(&html);
    assert!(
        xml.contains("status:Success"),
        "report-only must not block: {xml}"
    );
    // A request for the REFEDS MFA class after a password alone: step-up, not SESAME75011.
    let mut r = request_to(&s, SP_ENTITY, SP_ACS, "_mfa1");
    r.requested_authn_context = Some(sesame_saml::messages::RequestedAuthnContext {
        comparison: sesame_saml::messages::Comparison::Exact,
        class_refs: vec!["https://refeds.org/profile/mfa".into()],
    });
    let r = get(&b, &redirect_request(&s, &r, Some("rs"), None)).await;
    assert!(r.1.contains("/login/verify"), "{} {}", r.1, r.2);
    assert!(r.2.contains("More information required"), "{}", r.2);
    let rows = signins_with(&s, "report-only: would block (not enforced)");
    let b1 = rows
        .iter()
        .find(|r| r["request_id"] == "_b1")
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert_eq!(b1["result"], "success", "{rows:?}");

    s.cli_ok(&[
        "policy",
        "set",
        "Report block",
        "--state",
        "on",
        "--name",
        "Block the SP",
    ]);
    s.wait_config();
    let html = start(&b, &s, &request_to(&s, SP_ENTITY, SP_ACS, "_b2"), "rs-b2").await;
    assert!(html.contains("SESAME53003"), "{html}");
    assert!(
        !html.contains("Block the SP"),
        "the user's page names no policy"
    );
    let (action, xml, relay) = auto_post_response(&html);
    assert_eq!(action, SP_ACS);
    assert_eq!(relay.as_deref(), Some("rs-b2"));
    assert!(
        xml.contains("status:Responder") && xml.contains("status:RequestDenied"),
        "{xml}"
    );
    assert!(xml.contains("InResponseTo=\"_b2\""));
    let rows = signins_with(&s, "blocked by the policy \\\"Block the SP\\\"");
    assert_eq!(rows[0]["error_code"], "SESAME53003", "{rows:?}");
}

#[tokio::test]
async fn cli_refuses_lockout_bad_cidrs_and_unknown_names_and_answers_what_if() {
    let s = Server::start();
    let app = s.add_sp(&[]);
    // Every Global Administrator would need MFA and none has a method.
    let e = refused(
        &s.cli(&[
            "policy", "add", "--name", "All MFA", "--grant", "mfa", "--state", "on",
        ]),
        &[],
    );
    assert!(e.contains("Don't lock yourself out"), "{e}");
    // With an excluded group of emergency-access accounts it is accepted.
    s.cli_ok(&["group", "add", "Emergency access"]);
    s.cli_ok(&[
        "policy",
        "add",
        "--name",
        "All MFA",
        "--grant",
        "mfa",
        "--state",
        "on",
        "--exclude-groups",
        "Emergency access",
    ]);
    for (args, needle) in [
        (
            vec!["location", "add", "Bad", "--cidr", "10.0.0.1/8"],
            "did you mean 10.0.0.0/8",
        ),
        (
            vec!["location", "add", "Bad", "--cidr", "300.0.0.0/8"],
            "is not a CIDR range",
        ),
        (
            vec!["location", "add", "Bad", "--cidr", "2001:db8::/129"],
            "prefix length",
        ),
        (
            vec![
                "policy",
                "add",
                "--name",
                "X",
                "--grant",
                "block",
                "--users",
                "nobody@x.test",
            ],
            "no user",
        ),
        (
            vec![
                "policy", "add", "--name", "X", "--grant", "block", "--groups", "Nope",
            ],
            "no group",
        ),
        (
            vec![
                "policy", "add", "--name", "X", "--grant", "block", "--apps", "Nope",
            ],
            "no application",
        ),
        (
            vec![
                "policy",
                "add",
                "--name",
                "X",
                "--grant",
                "block",
                "--locations",
                "Nope",
            ],
            "no named location",
        ),
        (
            vec!["policy", "add", "--name", "X", "--grant", "allow"],
            "not a grant control",
        ),
    ] {
        let e = refused(&s.cli(&args), &args);
        assert!(e.contains(needle), "{args:?}: {e}");
    }
    // Nothing half-written.
    assert!(
        !s.cli_ok(&["policy", "list"]).contains("\tX\t")
            && !s.cli_ok(&["policy", "list"]).starts_with("X\t")
    );
    assert!(s
        .cli_ok(&["location", "list"])
        .contains("no named location"));

    s.cli_ok(&[
        "location",
        "add",
        "Office",
        "--cidr",
        "203.0.113.0/24,2001:db8:1::/48",
        "--trusted",
        "true",
    ]);
    s.cli_ok(&[
        "policy",
        "add",
        "--name",
        "Block outside",
        "--apps",
        &app,
        "--grant",
        "block",
        "--exclude-locations",
        "Office",
        "--state",
        "on",
    ]);
    let out = s.cli_ok(&[
        "policy",
        "what-if",
        "--user",
        DEMO_UPN,
        "--app",
        &app,
        "--ip",
        "2001:db8:1::5",
    ]);
    assert!(
        out.contains("not applied: the client address is in an excluded location (Office)"),
        "{out}"
    );
    assert!(
        out.contains("result: multifactor authentication required by \"All MFA\""),
        "{out}"
    );
    let v: serde_json::Value = serde_json::from_str(&s.cli_ok(&[
        "--json",
        "policy",
        "what-if",
        "--user",
        DEMO_UPN,
        "--app",
        &app,
        "--ip",
        "192.0.2.7",
    ]))
    .unwrap();
    assert_eq!(v["decision"]["decision"], "block", "{v}");
    // A location in use cannot be deleted; every change is audited.
    let e = refused(&s.cli(&["location", "delete", "Office"]), &[]);
    assert!(e.contains("used by the policies Block outside"), "{e}");
    // The portal's Conditional Access page: policies, named locations, What If. The
    // administrator is an emergency-access account, excluded from "All MFA".
    s.cli_ok(&[
        "group",
        "add-member",
        "Emergency access",
        "--user",
        ADMIN_UPN,
    ]);
    s.wait_config();
    let b = admin(&s).await;
    let (st, _, html) = page(&b, &s, "/admin/conditional-access").await;
    assert_eq!(st, 200, "{html}");
    assert!(
        html.contains("Block outside") && html.contains("203.0.113.0/24"),
        "{html}"
    );
    assert!(links(&html)
        .iter()
        .any(|l| l == "/admin/conditional-access"));
    let (_, _, html) = page(
        &b,
        &s,
        &format!("/admin/conditional-access?user={DEMO_UPN}&app={app}&ip=192.0.2.7"),
    )
    .await;
    assert!(
        html.contains("<strong>Result:</strong> Blocked by Block outside."),
        "{html}"
    );
    let audit = s.cli_ok(&["audit"]);
    assert!(
        audit.contains("access.policy.add") && audit.contains("access.location.add"),
        "{audit}"
    );
}

#[tokio::test]
async fn admin_portal_as_target_resource_asks_for_the_second_factor_or_blocks() {
    let s = Server::start();
    s.cli_ok(&["role", "assign", DEMO_UPN, "Global Administrator"]);
    // B.Simon only: the initial administrator can still sign in, so the guard accepts it.
    s.cli_ok(&[
        "policy",
        "add",
        "--name",
        "Portal MFA",
        "--users",
        DEMO_UPN,
        "--apps",
        "admin-portal",
        "--grant",
        "mfa",
        "--state",
        "on",
    ]);
    s.wait_config();
    let b = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    // My Apps is not the admin portal.
    let (st, url, _) = page(&b, &s, "/myapps").await;
    assert_eq!((st, url.contains("/login/verify")), (200, false), "{url}");
    let (st, url, html) = page(&b, &s, "/admin/apps").await;
    assert_eq!(st, 200, "{html}");
    assert!(url.contains("/login/verify"), "{url}");
    assert!(html.contains("More information required"), "{html}");

    s.cli_ok(&["policy", "set", "Portal MFA", "--grant", "block"]);
    s.wait_config();
    let (st, _, html) = page(&b, &s, "/admin/apps").await;
    assert_eq!(st, 403, "{html}");
    assert!(
        html.contains("SESAME53003") && !html.contains("Portal MFA"),
        "{html}"
    );
    signins_with(&s, "admin portal: blocked by the policy \\\"Portal MFA\\\"");
}

/// Require password change at next sign-in after the second step: password, then the
/// authenticator app's registration a policy asks for, then "Update your password" —
/// no Response until the new password is set — then the original request's Response,
/// RelayState and InResponseTo intact; the sign-in log says why it waited.
#[tokio::test]
async fn required_password_change_comes_after_the_second_step() {
    let Some(py) = pyotp() else { return };
    let s = Server::start();
    s.add_sp(&[]);
    s.cli_ok(&[
        "policy",
        "add",
        "--name",
        "MFA for the test SP",
        "--users",
        DEMO_UPN,
        "--apps",
        SP_ENTITY,
        "--grant",
        "mfa",
        "--state",
        "on",
    ]);
    s.cli_ok(&["user", "set", DEMO_UPN, "--require-password-change", "true"]);
    s.wait_config();

    let b = browser();
    let html = start(&b, &s, &request_to(&s, SP_ENTITY, SP_ACS, "_pc1"), "rs-pc1").await;
    let r = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD).await;
    let html = r.text().await.unwrap();
    assert!(html.contains("More information required"), "{html}");
    let f = post_form(&html, &format!("/{}/login/register", s.tenant));
    let (_, _, html) = submit(&b, &s.base, &f).await;
    let uri = code_text(&html, "totp-uri");
    let f = post_form(&html, &format!("/{}/login/register", s.tenant));
    let (_, url, html) = submit(&b, &s.base, &f.set("code", &totp(&py, &uri, 0))).await;
    assert!(!is_auto_post(&html), "a Response before the change: {html}");
    assert!(url.contains("/login/password?p="), "{url}");
    assert!(html.contains("Update your password"), "{html}");

    let f = post_form(&html, &format!("/{}/login/password", s.tenant));
    let (_, _, html) = submit(
        &b,
        &s.base,
        &f.set("new", "Lantern-Quartz-97")
            .set("confirm", "Lantern-Quartz-97"),
    )
    .await;
    let (action, xml, relay) = auto_post_response(&html);
    assert_eq!(action, SP_ACS);
    assert_eq!(relay.as_deref(), Some("rs-pc1"));
    assert!(xml.contains("InResponseTo=\"_pc1\""), "{xml}");
    assert!(xml.contains("urn:oasis:names:tc:SAML:2.0:status:Success"));
    signins_with(&s, "interrupted: password change required");
}
