//! Forgot my password as a user sees it, against a real server and a real SMTP server
//! (aiosmtpd), the mails parsed with Python's `email` package: the link from the sign-in
//! page, the same answer for every account, the mail and its link, the token moved out of
//! the URL, the new password (policy first), every session ended, the notice; a used,
//! changed, cut, expired or superseded link; Settings → Password reset (None, Selected
//! groups, All); the throttle per user name; a user with an authenticator app must give
//! its code (pyotp), and a wrong one is counted; CSRF.

use crate::common::*;
use crate::mail::{parse_eml, python, SmtpServer};
use std::path::PathBuf;
use std::process::Command;

const UPN: &str = "r.moreno@contoso.com";
const FIRST: &str = "Correct-Horse-42";
const NEXT: &str = "river lamp orange violin";
const SENT: &str = "If an account with that user name exists and can reset its password, we have sent a link to its mail address. The link is valid for 15 minutes.";

struct Fixture {
    s: Server,
    smtp: SmtpServer,
    py: String,
    tmp: PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.tmp);
    }
}

fn add_user(s: &Server, upn: &str, mail: &str) {
    s.cli_ok(&[
        "user",
        "add",
        "--upn",
        upn,
        "--display-name",
        "R. Moreno",
        "--mail",
        mail,
        "--password",
        FIRST,
    ]);
}

/// A server sending mail to a fresh aiosmtpd, with [`UPN`] (who has a mail address).
fn fixture() -> Option<Fixture> {
    let py = python()?;
    let tmp = std::env::temp_dir().join(format!("sesame-reset-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&tmp).unwrap();
    let port = free_port();
    let smtp = SmtpServer::start(&py, port, &tmp.join("inbox"), &[]);
    let url = format!("smtp://127.0.0.1:{port}?starttls=off");
    let s = Server::start_args(&["--smtp-url", &url, "--mail-from", "sesame@contoso.com"]);
    add_user(&s, UPN, UPN);
    Some(Fixture { s, smtp, py, tmp })
}

/// Asks for a reset of `upn` in `b` through the form; returns the status and the page.
async fn ask(b: &reqwest::Client, s: &Server, upn: &str) -> (u16, String) {
    let (st, _, html) = get(b, &format!("{}/passwordreset", s.base)).await;
    assert_eq!(st, 200, "{html}");
    let f = post_form(&html, "/passwordreset").set("username", upn);
    let (st, _, body) = submit(b, &s.base, &f).await;
    (st, body)
}

/// Waits for `n` mails in all, then parses the last one.
async fn mail(f: &Fixture, n: usize) -> serde_json::Value {
    let msgs = f.smtp.wait_for(n);
    parse_eml(&f.py, &msgs[n - 1])
}

/// The reset link in a parsed mail's text part.
fn link_in(m: &serde_json::Value) -> String {
    let text = m["parts"][0]["text"].as_str().unwrap();
    let start = text.find("http").expect("a link in the mail");
    let rest = &text[start..];
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    rest[..end].to_owned()
}

/// The mails received after a short wait (the outbox sends within a second or two).
fn settled(f: &Fixture, expected: usize) -> usize {
    let _ = f.smtp.wait_for(expected);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    f.smtp.messages().len()
}

async fn audit_actions(s: &Server) -> Vec<String> {
    let store = sesame::store::Store::open(&s.database_url(), 1)
        .await
        .unwrap();
    use sqlx::Row;
    let rows = sqlx::query("SELECT action FROM audit_log ORDER BY time_ms")
        .fetch_all(store.pool())
        .await
        .unwrap();
    let v = rows
        .iter()
        .map(|r| r.try_get::<String, _>("action").unwrap())
        .collect();
    store.close().await;
    v
}

/// Opens `link` in `b` (following the redirect): the page of the link's step.
async fn open(b: &reqwest::Client, link: &str) -> (u16, String, String) {
    let r = b.get(link).send().await.unwrap();
    let st = r.status().as_u16();
    let url = r.url().to_string();
    let code = r
        .headers()
        .get("x-sesame-error")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = r.text().await.unwrap();
    assert!(!url.contains("t="), "the token stayed in the URL: {url}");
    (st, code, body)
}

async fn error_of(link: &str) -> (u16, String) {
    let b = browser();
    let r = b.get(link).send().await.unwrap();
    let st = r.status().as_u16();
    let code = r
        .headers()
        .get("x-sesame-error")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = r.text().await.unwrap();
    assert!(body.contains(&code), "{body}");
    (st, code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_link_by_mail_sets_a_new_password_and_ends_every_session() {
    let Some(f) = fixture() else { return };
    let s = &f.s;
    let other = sign_in(s, UPN, FIRST).await;

    // Forgot my password on the sign-in page, with the waiting sign-in kept.
    let b = browser();
    let (_, _, login) = get(&b, &format!("{}/{}/login?p=abc", s.base, s.tenant)).await;
    assert!(
        links(&login).iter().any(|l| l == "/passwordreset?p=abc"),
        "{login}"
    );
    let (st, _, html) = get(&b, &format!("{}/passwordreset?p=abc", s.base)).await;
    assert_eq!(st, 200);
    assert!(
        links(&html)
            .iter()
            .any(|l| l == &format!("/{}/login?p=abc", s.tenant)),
        "{html}"
    );

    // A forged CSRF token: refused, nothing sent.
    let form = post_form(&html, "/passwordreset").set("username", UPN);
    let (st, _, body) = submit(&b, &s.base, &form.set("csrf", "forged")).await;
    assert_eq!(st, 403, "{body}");
    assert!(body.contains("SESAME900004"), "{body}");

    let audits = audit_actions(s).await.len();
    let form = post_form(&body, "/passwordreset").set("username", UPN);
    let (st, _, body) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains(SENT), "{body}");
    let m = mail(&f, 1).await;
    assert_eq!(m["to"], format!("\"R. Moreno\" <{UPN}>"), "{m}");
    assert_eq!(m["subject"], "Reset your password");
    let text = m["parts"][0]["text"].as_str().unwrap();
    assert!(text.contains("15 minutes"), "{text}");
    assert!(
        text.contains("If you did not ask, ignore this mail; your password is unchanged."),
        "{text}"
    );
    assert!(
        m["parts"][1]["text"].as_str().unwrap().contains("href="),
        "{m}"
    );
    let link = link_in(&m);
    assert!(
        link.starts_with(&format!("{}/passwordreset/confirm?t=", s.base)),
        "{link}"
    );
    let token = link.split_once("?t=").unwrap().1.to_owned();
    let actions = audit_actions(s).await;
    assert!(
        actions[audits..].contains(&"user.password.reset_requested".to_owned()),
        "{actions:?}"
    );

    // The token leaves the URL at once: a Strict cookie scoped to the reset pages.
    let nb = browser_no_redirect();
    let r = nb.get(&link).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], "/passwordreset/confirm");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    let c = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(c.starts_with("sesame_reset="), "{c}");
    assert!(
        c.contains("HttpOnly")
            && c.contains("SameSite=Strict")
            && c.contains("Path=/passwordreset"),
        "{c}"
    );

    // Without the cookie, the page asks to continue, then says what is missing.
    let (st, _, html) = get(&nb, &format!("{}/passwordreset/confirm", s.base)).await;
    assert_eq!(st, 200, "{html}");
    let (st, code) = error_of(&format!("{}/passwordreset/confirm?go=1", s.base)).await;
    assert_eq!((st, code.as_str()), (400, "SESAME930012"));

    // The new password: the policy first, then the change.
    let rb = browser();
    let (st, _, html) = open(&rb, &link).await;
    assert_eq!(st, 200, "{html}");
    assert!(html.contains("Choose a new password"), "{html}");
    let pf = |html: &str| post_form(html, "/passwordreset/confirm");
    let (st, _, body) = submit(
        &rb,
        &s.base,
        &pf(&html)
            .set("new", NEXT)
            .set("confirm", "river lamp orange viola"),
    )
    .await;
    assert_eq!(st, 422, "{body}");
    assert!(
        body.contains("SESAME910011") && body.contains("differ"),
        "{body}"
    );
    let (st, _, body) = submit(
        &rb,
        &s.base,
        &pf(&body)
            .set("new", "short-one")
            .set("confirm", "short-one"),
    )
    .await;
    assert_eq!(st, 422, "{body}");
    assert!(
        body.contains("SESAME910011") && body.contains("too short (9 characters); use at least 12"),
        "{body}"
    );
    let (st, _, body) = submit(
        &rb,
        &s.base,
        &pf(&body)
            .set("new", NEXT)
            .set("confirm", NEXT)
            .set("csrf", "forged"),
    )
    .await;
    assert_eq!(st, 403, "{body}");
    let (st, _, body) = submit(
        &rb,
        &s.base,
        &pf(&body).set("new", NEXT).set("confirm", NEXT),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    assert!(
        body.contains("Your password was reset. Sign in with the new one."),
        "{body}"
    );
    let actions = audit_actions(s).await;
    assert!(
        actions.contains(&"user.password.reset".to_owned()),
        "{actions:?}"
    );

    // Every session ended; the old password refused, the new one accepted.
    let (_, _, html) = page(&other, s, "/myapps").await;
    assert!(
        is_login_page(&html),
        "the other session still works: {html}"
    );
    let _ = sign_in(s, UPN, NEXT).await;
    let b2 = browser();
    let (_, _, login) = get(&b2, &format!("{}/{}/login", s.base, s.tenant)).await;
    let r = submit_login(&b2, &s.base, &login, UPN, FIRST).await;
    assert!(
        is_login_page(&r.text().await.unwrap()),
        "the old password still works"
    );

    // The notice.
    let m = mail(&f, 2).await;
    assert_eq!(m["subject"], "Your password was changed");

    // The link a second time; changed; cut short.
    assert_eq!(error_of(&link).await, (410, "SESAME930003".into()));
    let mut changed = token.clone();
    let last = changed.pop().unwrap();
    changed.push(if last == 'A' { 'B' } else { 'A' });
    let base = format!("{}/passwordreset/confirm?t=", s.base);
    assert_eq!(
        error_of(&format!("{base}{changed}")).await,
        (400, "SESAME930001".into())
    );
    assert_eq!(
        error_of(&format!("{base}{}", &token[..token.len() - 5])).await,
        (400, "SESAME930001".into())
    );

    // A newer link ends the older one.
    ask(&b, s, UPN).await;
    let older = link_in(&mail(&f, 3).await);
    ask(&b, s, UPN).await;
    let newer = link_in(&mail(&f, 4).await);
    assert_eq!(error_of(&older).await, (410, "SESAME930003".into()));
    let (st, _, html) = open(&browser(), &newer).await;
    assert_eq!(st, 200, "{html}");

    // Expired: the link's end moved into the past in the database (the server's clock is
    // the system's).
    let store = sesame::store::Store::open(&s.database_url(), 1)
        .await
        .unwrap();
    sqlx::query("UPDATE account_links SET expires_at = $1")
        .bind(1_i64)
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;
    assert_eq!(error_of(&newer).await, (410, "SESAME930002".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_is_the_same_for_every_account_and_only_an_allowed_one_gets_mail() {
    let Some(f) = fixture() else { return };
    let s = &f.s;
    add_user(s, "off.user@contoso.com", "off.user@contoso.com");
    s.cli_ok(&["user", "set", "off.user@contoso.com", "--enabled", "false"]);
    s.cli_ok(&[
        "user",
        "add",
        "--upn",
        "no.mail@contoso.com",
        "--display-name",
        "No Mail",
        "--password",
        FIRST,
    ]);
    add_user(s, "outside@contoso.com", "outside@contoso.com");
    s.cli_ok(&["group", "add", "Password reset users"]);
    s.cli_ok(&["group", "add", "Sales"]);
    s.cli_ok(&["group", "add-member", "Sales", "--user", UPN]);
    s.cli_ok(&[
        "group",
        "add-member",
        "Password reset users",
        "--group",
        "Sales",
    ]);

    // Settings → Password reset: Selected needs a group that exists; audited.
    let a = admin(s).await;
    let (st, _, html) = page(&a, s, "/admin/settings").await;
    assert_eq!(st, 200);
    assert!(links(&html)
        .iter()
        .any(|l| l == "/admin/settings/password-reset"));
    let (st, _, html) = page(&a, s, "/admin/settings/password-reset").await;
    assert_eq!(st, 200, "{html}");
    assert!(
        html.contains("value=\"all\" checked"),
        "All by default: {html}"
    );
    let form = || post_form(&html, "/admin/settings/password-reset");
    let audits = audit_count(s).await;
    for (scope, groups) in [("selected", ""), ("selected", "Nobody here"), ("some", "")] {
        let (st, _, body) = submit(
            &a,
            &s.base,
            &form().set("scope", scope).set("groups", groups),
        )
        .await;
        assert_eq!(st, 422, "{scope} {groups}: {body}");
        assert!(body.contains("SESAME930013"), "{body}");
    }
    let (st, _, body) = submit(
        &a,
        &s.base,
        &form().set("csrf", "forged").set("scope", "none"),
    )
    .await;
    assert_eq!(st, 403, "{body}");
    assert_eq!(audit_count(s).await, audits);
    let (st, _, body) = submit(
        &a,
        &s.base,
        &form()
            .set("scope", "selected")
            .set("groups", "password reset users"),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    assert!(
        body.contains("the members of Password reset users"),
        "{body}"
    );
    assert_eq!(audit_count(s).await, audits + 1);

    // Unknown, disabled, without mail, outside the groups: the same page, no mail.
    let b = browser();
    let mut answers = Vec::new();
    for upn in [
        "nobody@contoso.com",
        "off.user@contoso.com",
        "no.mail@contoso.com",
        "outside@contoso.com",
        UPN,
    ] {
        let (st, body) = ask(&b, s, upn).await;
        answers.push((st, body));
    }
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "the answers differ"
    );
    assert_eq!(answers[0].0, 200);
    // The requests are handled in order: when the member's mail is there, the others
    // were handled already, and sent nothing.
    assert_eq!(settled(&f, 1), 1);
    let m = parse_eml(&f.py, &f.smtp.messages()[0]);
    assert_eq!(m["to"], format!("\"R. Moreno\" <{UPN}>"), "{m}");

    // None: nobody; the member's link no longer works either.
    let link = link_in(&m);
    let (st, _, body) = submit(&a, &s.base, &form().set("scope", "none")).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(error_of(&link).await, (403, "SESAME930011".into()));
    ask(&b, s, UPN).await;
    // The queue decides when it handles the request, under the setting of that moment:
    // let it handle this one (and send nothing) before the setting changes again.
    assert_eq!(settled(&f, 1), 1, "a mail under None");
    // All: the one outside the groups gets mail now (and nothing came for None).
    let (st, _, body) = submit(&a, &s.base, &form().set("scope", "all")).await;
    assert_eq!(st, 200, "{body}");
    ask(&b, s, "outside@contoso.com").await;
    assert_eq!(settled(&f, 2), 2);
    let m = parse_eml(&f.py, &f.smtp.messages()[1]);
    assert_eq!(m["to"], "\"R. Moreno\" <outside@contoso.com>", "{m}");

    // The REST API reads and sets the same setting.
    let secret = s
        .cli_ok(&["token", "create", "--name", "settings"])
        .trim()
        .to_owned();
    let api = reqwest::Client::new();
    let url = format!("{}/api/v1/settings/password-reset", s.base);
    let v: serde_json::Value = api
        .get(&url)
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v, serde_json::json!({"scope": "all", "groups": []}));
    let r = api
        .put(&url)
        .bearer_auth(&secret)
        .json(&serde_json::json!({"scope": "selected", "groups": ["Nobody here"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("SESAME930013"));
    let r = api
        .put(&url)
        .bearer_auth(&secret)
        .json(&serde_json::json!({"scope": "selected", "groups": ["Sales"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        v,
        serde_json::json!({"scope": "selected", "groups": ["Sales"]})
    );
    let (_, _, html) = page(&a, s, "/admin/settings/password-reset").await;
    assert!(html.contains("value=\"selected\" checked"), "{html}");
}

// ---------------------------------------------------------------------------------------
// With an authenticator app

/// pyotp's code for `uri` at Unix time `t`.
fn totp_at(py: &str, uri: &str, t: i64) -> String {
    let out = Command::new(py)
        .args([
            "-c",
            "import pyotp, sys\nprint(pyotp.parse_uri(sys.argv[1]).at(int(sys.argv[2])))",
            uri,
            &t.to_string(),
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

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Registers an authenticator app for the signed-in `b` through Security info; returns
/// the `otpauth://` URI and the 30-second step whose code was used.
async fn register_totp(b: &reqwest::Client, s: &Server, py: &str) -> (String, i64) {
    let (st, _, html) = page(b, s, "/myapps/security-info/add").await;
    assert_eq!(st, 200, "{html}");
    let f = post_form(&html, "/myapps/security-info/authenticator");
    let (st, _, html) = submit(b, &s.base, &f).await;
    assert_eq!(st, 200, "{html}");
    let start = html.find("<code id=\"totp-uri\"").expect(&html);
    let after = &html[start..];
    let uri = unescape(
        &after[after.find('>').unwrap() + 1..after.find("</code>").unwrap()]
            .replace("&#38;", "&amp;"),
    );
    let step = unix_now().div_euclid(30);
    let code = totp_at(py, &uri, step * 30 + 1);
    let f = post_form(&html, "/myapps/security-info/authenticator/confirm")
        .set("code", &code)
        .set("name", "Phone");
    let (st, _, body) = submit(b, &s.base, &f).await;
    assert_eq!(st, 200, "{body}");
    (uri, step)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_with_an_authenticator_app_gives_its_code_and_requests_are_throttled() {
    let Some(f) = fixture() else { return };
    let s = &f.s;
    let ok = Command::new(&f.py)
        .args(["-c", "import pyotp"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: pyotp is not installed");
        return;
    }
    let u = sign_in(s, UPN, FIRST).await;
    let (uri, step) = register_totp(&u, s, &f.py).await;
    // Registering the app mails the user first (a security mail), before any reset.
    let added = mail(&f, 1).await;
    assert!(
        added["subject"]
            .as_str()
            .unwrap_or("")
            .contains("sign-in method"),
        "{added}"
    );

    let b = browser();
    ask(&b, s, UPN).await;
    let link = link_in(&mail(&f, 2).await);
    let (st, _, html) = open(&b, &link).await;
    assert_eq!(st, 200, "{html}");
    assert!(html.contains("Code from the authenticator app"), "{html}");
    assert!(!html.contains("name=\"new\""), "{html}");

    // The password step cannot be skipped to.
    let (st, _, body) = submit(
        &b,
        &s.base,
        &post_form(&html, "/passwordreset/confirm")
            .set("step", "password")
            .set("new", NEXT)
            .set("confirm", NEXT),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("Code from the authenticator app"), "{body}");

    // A wrong code: refused, and counted in the second factor's throttle.
    let wrong = {
        let right = totp_at(&f.py, &uri, (step + 1) * 30 + 1);
        if right == "000000" {
            "111111".to_owned()
        } else {
            "000000".to_owned()
        }
    };
    let (st, _, body) = submit(
        &b,
        &s.base,
        &post_form(&body, "/passwordreset/confirm").set("code", &wrong),
    )
    .await;
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("SESAME"), "{body}");
    let store = sesame::store::Store::open(&s.database_url(), 1)
        .await
        .unwrap();
    let user = store.user_by_upn(UPN).await.unwrap().unwrap();
    let counted = store
        .lockout_get(&format!("mfa:user:{}", user.id))
        .await
        .unwrap();
    assert_eq!(counted.failures, 1, "the wrong code was not counted");
    store.close().await;

    // The right code (the next step's: the registration used this one), then the
    // new password.
    let code = totp_at(&f.py, &uri, (step + 1) * 30 + 1);
    let (st, _, html) = submit(
        &b,
        &s.base,
        &post_form(&body, "/passwordreset/confirm").set("code", &code),
    )
    .await;
    assert_eq!(st, 200, "{html}");
    assert!(html.contains("Choose a new password"), "{html}");
    let (st, _, body) = submit(
        &b,
        &s.base,
        &post_form(&html, "/passwordreset/confirm")
            .set("new", NEXT)
            .set("confirm", NEXT),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("Your password was reset"), "{body}");
    let _ = mail(&f, 3).await; // the notice

    // Throttled per user name: 5 mails an hour; the 6th request sends nothing (the
    // same page), and the next user's mail comes after it.
    for _ in 0..5 {
        let (st, body) = ask(&b, s, UPN).await;
        assert_eq!(st, 200);
        assert!(body.contains(SENT));
    }
    add_user(s, "next.user@contoso.com", "next.user@contoso.com");
    ask(&b, s, "next.user@contoso.com").await;
    assert_eq!(settled(&f, 3 + 4 + 1), 3 + 4 + 1);
    let to: Vec<String> = f
        .smtp
        .messages()
        .iter()
        .map(|m| parse_eml(&f.py, m)["to"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        to.iter().filter(|t| t.contains("next.user@")).count(),
        1,
        "{to:?}"
    );
}

// ---------------------------------------------------------------------------------------
// With a passkey

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_whose_method_is_a_passkey_proves_it_with_the_passkey() {
    use crate::passkeys::{attr_of, client_data, sha, Authenticator};
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use base64::Engine as _;

    let Some(py) = python() else { return };
    // Passkeys need a host name: the mail goes to the mail folder of this server.
    let s = Server::start_localhost();
    add_user(&s, UPN, UPN);
    let mut a = Authenticator {
        key: EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap(),
        id: vec![9; 32],
        count: 1,
    };
    let u = sign_in(&s, UPN, FIRST).await;
    let (_, _, add) = page(&u, &s, "/myapps/security-info/add").await;
    let (st, _, reg) = submit(
        &u,
        &s.base,
        &post_form(&add, "/myapps/security-info/passkey"),
    )
    .await;
    assert_eq!(st, 200, "{reg}");
    let options: serde_json::Value = serde_json::from_str(&attr_of(&reg, "data-options")).unwrap();
    let form = post_form(&reg, "/myapps/security-info/passkey/confirm")
        .set("name", "Key")
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
    let (st, _, html) = submit(&u, &s.base, &form).await;
    assert_eq!(st, 200, "{html}");

    let b = browser();
    ask(&b, &s, UPN).await;
    let dir = s.dir.join("mail");
    let eml = (0..150)
        .find_map(|_| {
            let found = std::fs::read_dir(&dir).ok().and_then(|d| {
                // The passkey's registration mailed the user too: the reset's mail is
                // the one with its subject.
                d.filter_map(|e| e.ok().map(|e| e.path())).find(|p| {
                    p.extension().is_some_and(|x| x == "eml")
                        && std::fs::read_to_string(p)
                            .is_ok_and(|t| t.contains("Subject: Reset your password"))
                })
            });
            if found.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            found
        })
        .expect("the reset mail in the mail folder");
    let link = link_in(&parse_eml(&py, &eml));
    let r = b.get(&link).send().await.unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(
        html.contains(">Use a passkey or security key</button>"),
        "{html}"
    );
    assert!(!html.contains("Code from the authenticator app"), "{html}");

    // One answer of the ceremony bound to this link; a forged signature first.
    let answer = |a: &mut Authenticator, opts: &serde_json::Value, forge: bool, csrf: &str| {
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
        vec![
            ("csrf", csrf.to_owned()),
            ("step", "passkey".to_owned()),
            ("ceremony", opts["ceremony"].as_str().unwrap().to_owned()),
            ("credential_id", B64.encode(&a.id)),
            ("client_data_json", B64.encode(&cd)),
            ("authenticator_data", B64.encode(&ad)),
            ("signature", B64.encode(sig.as_ref())),
            ("user_handle", String::new()),
        ]
    };
    let options_url = format!("{}/passwordreset/confirm/passkey/options", s.base);
    let opts: serde_json::Value = b
        .post(&options_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        opts["publicKey"]["allowCredentials"][0]["id"],
        B64.encode(&a.id),
        "{opts}"
    );
    let forged = answer(&mut a, &opts, true, &attr_of(&html, "data-csrf"));
    let r = b
        .post(format!("{}/passwordreset/confirm", s.base))
        .form(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Use a passkey or security key"), "{html}");
    let opts: serde_json::Value = b
        .post(&options_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let good = answer(&mut a, &opts, false, &attr_of(&html, "data-csrf"));
    let r = b
        .post(format!("{}/passwordreset/confirm", s.base))
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Choose a new password"), "{html}");
    let (st, _, body) = submit(
        &b,
        &s.base,
        &post_form(&html, "/passwordreset/confirm")
            .set("new", NEXT)
            .set("confirm", NEXT),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("Your password was reset"), "{body}");
    let _ = sign_in(&s, UPN, NEXT).await;
}
