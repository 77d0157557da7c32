//! Invitations as an administrator and the invited user see them, against a real server
//! and a real SMTP server (aiosmtpd): New user → "Send an invitation", the mail parsed
//! with Python's `email` package, the link moved out of the address bar, the password
//! policy on the invitation page, signed in to My Apps; a used, changed or cut link
//! refused with its code; `sesame user invite` (mail, `--print-link`, `--force`), `sesame
//! user add --invite`, the REST endpoint; and a Conditional Access policy that requires
//! MFA of the invited user: an authenticator app registered (pyotp) before My Apps.
//!
//! Expiry is tested in `selfservice::invite`'s unit tests with the clock passed in: the
//! server reads the system clock, and a test does not wait 7 days.

use crate::common::*;
use crate::mail::{parse_eml, python, SmtpServer};
use std::process::Command;

const UPN: &str = "n.okafor@contoso.com";
const GOOD: &str = "river lamp orange violin";

/// A server sending mail to a fresh aiosmtpd; the SMTP URL.
fn server_with_smtp(py: &str) -> (Server, SmtpServer, std::path::PathBuf, String) {
    let tmp = std::env::temp_dir().join(format!("sesame-invite-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&tmp).unwrap();
    let port = free_port();
    let smtp = SmtpServer::start(py, port, &tmp.join("inbox"), &[]);
    let url = format!("smtp://127.0.0.1:{port}?starttls=off");
    let s = Server::start_args(&["--smtp-url", &url, "--mail-from", "sesame@contoso.com"]);
    (s, smtp, tmp, url)
}

/// The `/invitation?t=…` part of a link.
fn path_of(link: &str) -> String {
    let i = link
        .find("/invitation?t=")
        .unwrap_or_else(|| panic!("no invitation link in {link}"));
    link[i..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches(['"', '<', '>', '.'])
        .to_owned()
}

/// The link of an invitation mail (its text part), as a path.
fn link_in_mail(py: &str, path: &std::path::Path) -> (serde_json::Value, String) {
    let m = parse_eml(py, path);
    let text = m["parts"][0]["text"].as_str().unwrap().to_owned();
    (m, path_of(&text))
}

/// A browser without automatic redirects (the steps are looked at one by one), with a
/// cookie jar.
fn step_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Opens the invitation `path` as a browser: the link (checked, then moved to the cookie
/// by a refresh), then the form page. (status, x-sesame-error, body) of the page the
/// user ends on.
async fn open(b: &reqwest::Client, s: &Server, path: &str) -> (u16, String, String) {
    let r = b.get(format!("{}{path}", s.base)).send().await.unwrap();
    let st = r.status().as_u16();
    let code = r
        .headers()
        .get("x-sesame-error")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(
        r.headers()
            .get("referrer-policy")
            .and_then(|v| v.to_str().ok()),
        Some("no-referrer")
    );
    if st != 200 {
        return (st, code, r.text().await.unwrap());
    }
    let refresh = r
        .headers()
        .get("refresh")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(refresh, "0; url=/invitation", "the token stays in the URL");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("sesame_invitation="))
        .expect("no invitation cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(cookie.contains("Path=/invitation"), "{cookie}");
    let r = b
        .get(format!("{}/invitation", s.base))
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    let code = r
        .headers()
        .get("x-sesame-error")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (st, code, r.text().await.unwrap())
}

/// Posts the invitation form of `html` with `new` and `confirm`: (status, Location, body).
async fn set_password(
    b: &reqwest::Client,
    s: &Server,
    html: &str,
    new: &str,
    confirm: &str,
) -> (u16, String, String) {
    let f = post_form(html, "/invitation")
        .set("new", new)
        .set("confirm", confirm);
    let r = send(b, &format!("{}/invitation", s.base), &f, &[]).await;
    let st = r.status().as_u16();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (st, loc, r.text().await.unwrap())
}

async fn audit_actions(s: &Server, prefix: &str) -> Vec<sesame::store::AuditRow> {
    let store = sesame::store::Store::open(&s.database_url(), 1)
        .await
        .unwrap();
    let rows = sesame::admin::audit::list(
        &store,
        &sesame::store::AuditFilter {
            action_prefix: Some(prefix.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    store.close().await;
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_create_and_invite_then_the_user_sets_a_password_and_reaches_my_apps() {
    let Some(py) = python() else { return };
    let (s, smtp, tmp, _) = server_with_smtp(&py);
    let a = admin(&s).await;

    // New user → "Send an invitation".
    let (st, _, html) = page(&a, &s, "/admin/users/new").await;
    assert_eq!(st, 200);
    assert!(
        html.contains("Send an invitation (the user sets their own password)"),
        "{html}"
    );
    let form = post_form(&html, "/admin/users/new")
        .set("display_name", "N. Okafor")
        .set("upn", UPN)
        .set("mail", UPN)
        .set("password_mode", "invite");
    // Without the CSRF token: refused, nothing created.
    let (st, _, _) = submit(&a, &s.base, &form.clone().set("csrf", "forged")).await;
    assert_eq!(st, 403);
    let (st, url, body) = submit(&a, &s.base, &form).await;
    assert_eq!(st, 200, "{body}");
    assert!(url.contains("/admin/users/"), "{url}");
    let body = unescape(&body);
    assert!(
        body.contains(&format!("Invitation sent to {UPN}")),
        "{body}"
    );
    assert!(body.contains("Invitation sent 20"), "{body}");
    assert!(body.contains("Resend invitation"), "{body}");
    let user_page = url.clone();

    // The mail.
    let msgs = tokio::task::spawn_blocking(move || smtp.wait_for(1))
        .await
        .unwrap();
    let (m, link) = link_in_mail(&py, &msgs[0]);
    assert_eq!(m["subject"], "You are invited to Sesame", "{m}");
    assert_eq!(m["to"], format!("\"N. Okafor\" <{UPN}>"), "{m}");
    assert_eq!(m["type"], "multipart/alternative");
    let text = m["parts"][0]["text"].as_str().unwrap();
    assert!(text.contains(UPN) && text.contains("expires on 20"), "{m}");
    let html_part = m["parts"][1]["text"].as_str().unwrap();
    assert_eq!(m["parts"][1]["type"], "text/html");
    assert!(html_part.contains(&link.replace('&', "&amp;")), "{m}");
    assert!(!html_part.contains("<img") && !html_part.contains("<script"));
    assert!(!html_part.contains("src="), "remote content: {html_part}");
    // The audit row of the send holds no token.
    let token = link.split_once("?t=").unwrap().1.to_owned();
    let sent = audit_actions(&s, "user.invitation.send").await;
    assert_eq!(sent.len(), 1);
    assert!(
        !sent[0].after_json.contains(&token),
        "{}",
        sent[0].after_json
    );
    assert!(!sent[0]
        .after_json
        .contains(token.split_once('.').unwrap().1));

    // A changed or cut link: SESAME930001.
    let b = step_browser();
    let mut changed = link.clone();
    let last = changed.pop().unwrap();
    changed.push(if last == 'A' { 'B' } else { 'A' });
    let cut = link[..link.len() - 10].to_owned();
    for bad in [changed, cut, "/invitation?t=nothing".to_owned()] {
        let (st, code, body) = open(&b, &s, &bad).await;
        assert_eq!((st, code.as_str()), (400, "SESAME930001"), "{bad}: {body}");
        assert!(body.contains("resend the invitation"), "{body}");
    }
    // No invitation in the browser at all.
    let (st, code, _) = open(&step_browser(), &s, "/invitation").await;
    assert_eq!((st, code.as_str()), (400, "SESAME930001"));

    // The link: the form names the user.
    let (st, _, html) = open(&b, &s, &link).await;
    assert_eq!(st, 200, "{html}");
    assert!(
        html.contains("Welcome, N. Okafor") && html.contains(UPN),
        "{html}"
    );
    // A policy refusal names the rule; differing passwords are refused.
    let (st, _, body) = set_password(&b, &s, &html, "short-one", "short-one").await;
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("SESAME910011"), "{body}");
    assert!(body.contains("too short"), "{body}");
    let (st, _, body) = set_password(&b, &s, &body, GOOD, "river lamp orange viola").await;
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("differ"), "{body}");
    // A forged CSRF token: refused, nothing set.
    let f = post_form(&body, "/invitation")
        .set("new", GOOD)
        .set("confirm", GOOD)
        .set("csrf", "forged");
    let r = send(&b, &format!("{}/invitation", s.base), &f, &[]).await;
    assert_eq!(r.status().as_u16(), 403);
    let html = r.text().await.unwrap();
    // The password: signed in, on to My Apps.
    let (st, loc, body) = set_password(&b, &s, &html, GOOD, GOOD).await;
    assert_eq!((st, loc.as_str()), (303, "/myapps"), "{body}");
    let (st, _, apps) = page(&b, &s, "/myapps").await;
    assert_eq!(st, 200);
    assert!(!is_login_page(&apps), "not signed in: {apps}");
    assert!(apps.contains(UPN) || apps.contains("N. Okafor"), "{apps}");
    let accepted = audit_actions(&s, "user.invitation.accept").await;
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].actor, UPN);

    // The link a second time: SESAME930003.
    let (st, code, body) = open(&step_browser(), &s, &link).await;
    assert_eq!((st, code.as_str()), (410, "SESAME930003"), "{body}");
    // The password signs in.
    let _ = sign_in(&s, UPN, GOOD).await;
    // The user's page says accepted; inviting again asks for a confirmation (force).
    let (_, _, html) = get(&a, &user_page).await;
    assert!(html.contains("Accepted 20"), "{html}");
    let id = id_in(&user_page);
    let f = post_form(&html, &format!("/admin/users/{id}/invitation"));
    assert_eq!(f.get("force"), Some("true"));
    let (_, _, body) = submit(&a, &s.base, &f.clone().without("force")).await;
    assert!(body.contains("SESAME930031"), "{body}");
    let _ = std::fs::remove_dir_all(&tmp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_and_rest_invitations_resend_print_and_refuse_with_codes() {
    let Some(py) = python() else { return };
    let (s, smtp, tmp, smtp_url) = server_with_smtp(&py);

    // `user add` without a password: the generated one, as before.
    let out = s.cli_ok(&[
        "user",
        "add",
        "--upn",
        "p.one@contoso.com",
        "--mail",
        "p.one@contoso.com",
    ]);
    assert!(out.contains("generated password (shown once): "), "{out}");
    // --invite where this command sees no mail server: refused, nothing created.
    let out = s.cli(&[
        "user",
        "add",
        "--upn",
        "c.two@contoso.com",
        "--mail",
        "c.two@contoso.com",
        "--invite",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SESAME930033"));
    assert!(!s.cli_ok(&["user", "list"]).contains("c.two@contoso.com"));
    // With SESAME_SMTP_URL: created without a password, the invitation queued.
    let with_smtp = |args: &[&str]| {
        let out = s
            .command()
            .env("SESAME_SMTP_URL", &smtp_url)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = with_smtp(&["user", "add", "--upn", "c.two@contoso.com", "--invite"]);
    assert!(!ok && err.contains("SESAME930030"), "{out}{err}");
    let (ok, out, err) = with_smtp(&[
        "user",
        "add",
        "--upn",
        "c.two@contoso.com",
        "--display-name",
        "C. Two",
        "--mail",
        "c.two@contoso.com",
        "--invite",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("created user c.two@contoso.com"), "{out}");
    assert!(
        out.contains("invitation for c.two@contoso.com queued to c.two@contoso.com")
            && out.contains("it expires 20"),
        "{out}"
    );
    let (_, out, err) = with_smtp(&[
        "user",
        "add",
        "--upn",
        "d.three@contoso.com",
        "--mail",
        "d.three@contoso.com",
    ]);
    assert!(out.contains("generated password"), "{out}");
    assert!(err.contains("--invite"), "no hint: {err}");

    // Resend: the first mail's link ends.
    let msgs = {
        let smtp = &smtp;
        smtp.wait_for(1)
    };
    let (_, first) = link_in_mail(&py, &msgs[0]);
    let out = s.cli_ok(&["user", "invite", "c.two@contoso.com"]);
    assert!(out.contains("queued to c.two@contoso.com"), "{out}");
    let (st, code, _) = open(&step_browser(), &s, &first).await;
    assert_eq!((st, code.as_str()), (410, "SESAME930003"));
    let msgs = smtp.wait_for(2);
    let (_, second) = link_in_mail(
        &py,
        msgs.iter()
            .max_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap())
            .unwrap(),
    );
    assert_ne!(first, second);
    let (st, _, html) = open(&step_browser(), &s, &second).await;
    assert_eq!(st, 200, "{html}");

    // A user with a password: refused unless forced.
    let out = s.cli(&["user", "invite", "p.one@contoso.com"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("SESAME930031"));
    // --print-link: the link on stdout (no mail), audited as printed.
    let out = s.cli_ok(&[
        "user",
        "invite",
        "p.one@contoso.com",
        "--print-link",
        "--force",
    ]);
    assert!(
        out.contains("invitation link for p.one@contoso.com"),
        "{out}"
    );
    let printed = path_of(&out);
    let b = step_browser();
    let (st, _, html) = open(&b, &s, &printed).await;
    assert_eq!(st, 200, "{html}");
    let (st, loc, _) = set_password(&b, &s, &html, GOOD, GOOD).await;
    assert_eq!((st, loc.as_str()), (303, "/myapps"));
    let _ = sign_in(&s, "p.one@contoso.com", GOOD).await;

    // A user without a mail address: SESAME930030 by mail; --print-link works.
    s.cli_ok(&["user", "add", "--upn", "e.four@contoso.com"]);
    let out = s.cli(&["user", "invite", "e.four@contoso.com", "--force"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("SESAME930030"));
    let v: serde_json::Value = serde_json::from_str(&s.cli_ok(&[
        "--json",
        "user",
        "invite",
        "e.four@contoso.com",
        "--print-link",
        "--force",
    ]))
    .unwrap();
    assert!(
        v["link"].as_str().unwrap().contains("/invitation?t="),
        "{v}"
    );
    let rows = audit_actions(&s, "user.invitation.send").await;
    assert!(rows.iter().any(|r| r.after_json.contains("\"printed\"")));
    assert!(rows.iter().all(|r| r.actor_kind == "cli"));

    // REST.
    let t = s
        .cli_ok(&["token", "create", "--name", "invites"])
        .trim()
        .to_owned();
    let client = reqwest::Client::new();
    let post = |user: &str, body: Option<&str>| {
        let mut r = client
            .post(format!("{}/api/v1/users/{user}/invitation", s.base))
            .bearer_auth(&t);
        if let Some(b) = body {
            r = r
                .header("content-type", "application/json")
                .body(b.to_owned());
        }
        r.send()
    };
    let r = post("e.four@contoso.com", None).await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("SESAME930030"));
    let r = post("d.three@contoso.com", None).await.unwrap();
    assert_eq!(r.status().as_u16(), 409);
    assert!(r.text().await.unwrap().contains("SESAME930031"));
    let r = post("d.three@contoso.com", Some("{\"forse\": true}"))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let r = post("d.three@contoso.com", Some("{\"force\": true}"))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["sent_to"], "d.three@contoso.com");
    assert!(v["expires_at"].as_i64().unwrap() > 0);
    let doc: serde_json::Value = client
        .get(format!("{}/api/openapi.json", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/v1/users/{user}/invitation"]["post"].is_object());
    let rows = audit_actions(&s, "user.invitation.send").await;
    assert!(rows.iter().any(|r| r.actor_kind == "token"));
    let msgs = smtp.wait_for(3);
    assert!(msgs.len() >= 3);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// pyotp's code of `uri` now.
fn totp_now(py: &str, uri: &str) -> String {
    let out = Command::new(py)
        .args([
            "-c",
            "import pyotp, sys; print(pyotp.parse_uri(sys.argv[1]).now())",
            uri,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_an_mfa_policy_the_invited_user_registers_an_authenticator_app_first() {
    let Some(py) = python() else { return };
    let has_pyotp = Command::new(&py)
        .args(["-c", "import pyotp"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_pyotp {
        eprintln!("SKIPPED: pyotp is not installed next to aiosmtpd");
        return;
    }
    let s = Server::start();
    s.cli_ok(&["user", "add", "--upn", UPN, "--display-name", "N. Okafor"]);
    s.cli_ok(&[
        "policy",
        "add",
        "--name",
        "MFA for N",
        "--users",
        UPN,
        "--grant",
        "mfa",
        "--state",
        "on",
    ]);
    s.wait_config();
    let out = s.cli_ok(&["user", "invite", UPN, "--print-link", "--force"]);
    let link = path_of(&out);

    let b = step_browser();
    let (st, _, html) = open(&b, &s, &link).await;
    assert_eq!(st, 200, "{html}");
    let (st, loc, _) = set_password(&b, &s, &html, GOOD, GOOD).await;
    assert_eq!(st, 303);
    assert!(
        loc.starts_with(&format!("/{}/login/verify?p=", s.tenant)),
        "not to the registration: {loc}"
    );
    let (st, _, html) = page(&b, &s, &loc).await;
    assert_eq!(st, 200);
    assert!(html.contains("More information required"), "{html}");
    let f = post_form(&html, &format!("/{}/login/register", s.tenant));
    let (st, _, html) = submit(&b, &s.base, &f).await;
    assert_eq!(st, 200, "{html}");
    let uri = code_text(&html, "totp-uri");
    let f = post_form(&html, &format!("/{}/login/register", s.tenant));
    let mut done = false;
    for _ in 0..3 {
        let r = send(
            &b,
            &format!("{}{}", s.base, f.action),
            &f.clone().set("code", &totp_now(&py, &uri)),
            &[],
        )
        .await;
        let st = r.status().as_u16();
        let to = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        if st == 303 && to == "/myapps" {
            done = true;
            break;
        }
        let body = r.text().await.unwrap();
        assert!(body.contains("SESAME9001"), "{st} {to}: {body}");
    }
    assert!(done, "the registration did not lead to My Apps");
    let (st, _, apps) = page(&b, &s, "/myapps").await;
    assert_eq!(st, 200);
    assert!(!is_login_page(&apps));
    let methods = s.cli_ok(&["user", "methods", UPN]);
    assert!(
        methods.contains("Authenticator app") || methods.contains("totp"),
        "{methods}"
    );
}
