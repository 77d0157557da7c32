//! My sessions, a user's Sessions section, its REST API and CLI, and the security mails,
//! against a real server: two browsers of one user (cookie jars with their own
//! User-Agent) listed with device and address; one signed out by the other, by an
//! administrator in the portal, by the REST API and by the CLI — its next request goes
//! to sign-in; Sign out everywhere else; the CSRF token required; another user's session
//! out of reach; the ids shown never the cookie or its key. Then a real SMTP server
//! (aiosmtpd): the mail of an authenticator app registered (codes from pyotp), and the
//! lock mail queued once however often the name locks again within the hour.

use crate::common::*;
use crate::mail::{parse_eml, python, SmtpServer};
use std::process::Command;
use std::sync::Arc;

const UPN: &str = "r.moreno@contoso.com";
const OTHER: &str = "k.ito@contoso.com";
const PW: &str = "Correct-Horse-42";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/// A browser with its own cookie jar (kept, to read the session cookie) and User-Agent.
struct Browser {
    client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
}

impl Browser {
    fn new(ua: &str) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(Arc::clone(&jar))
            .user_agent(ua)
            .redirect(reqwest::redirect::Policy::limited(10))
            .build()
            .unwrap();
        Browser { client, jar }
    }

    /// The session cookie's value.
    fn session_cookie(&self, s: &Server) -> String {
        use reqwest::cookie::CookieStore;
        let url = reqwest::Url::parse(&s.base).unwrap();
        let all = self.jar.cookies(&url).unwrap();
        all.to_str()
            .unwrap()
            .split("; ")
            .find_map(|c| c.strip_prefix("sesame_session="))
            .unwrap()
            .to_owned()
    }
}

async fn signed_in(s: &Server, upn: &str, ua: &str) -> Browser {
    let b = Browser::new(ua);
    sign_in_with(&b.client, s, upn, PW).await;
    b
}

fn add_user(s: &Server, upn: &str) -> String {
    let out = s.cli_ok(&[
        "user",
        "add",
        "--upn",
        upn,
        "--display-name",
        upn,
        "--mail",
        upn,
        "--password",
        PW,
    ]);
    out[out.rfind('(').unwrap() + 1..out.rfind(')').unwrap()].to_owned()
}

/// The rows of a sessions table: (session id, row HTML).
fn rows(html: &str) -> Vec<(String, String)> {
    html.split("<tr data-session=\"")
        .skip(1)
        .map(|r| {
            let id = r[..r.find('"').unwrap()].to_owned();
            let row = r[..r.find("</tr>").unwrap()].to_owned();
            (id, row)
        })
        .collect()
}

fn row_of<'a>(rows: &'a [(String, String)], words: &str) -> &'a (String, String) {
    rows.iter()
        .find(|(_, r)| r.contains(words))
        .unwrap_or_else(|| panic!("no session of {words} in {rows:?}"))
}

/// How many `user.session.revoke` entries the audit log holds.
fn revocations(s: &Server) -> usize {
    let v: serde_json::Value =
        serde_json::from_str(&s.cli_ok(&["audit", "--json", "--action", "user.session.revoke"]))
            .unwrap();
    v.as_array().unwrap().len()
}

async fn goes_to_sign_in(b: &Browser, s: &Server) -> bool {
    let (_, _, html) = page(&b.client, s, "/myapps").await;
    is_login_page(&html)
}

#[tokio::test]
async fn my_sessions_lists_browsers_and_signs_them_out() {
    let s = Server::start();
    add_user(&s, UPN);
    add_user(&s, OTHER);
    let here = signed_in(&s, UPN, FIREFOX).await;
    let there = signed_in(&s, UPN, CHROME).await;

    // My Apps links to My sessions, which lists both browsers.
    let (_, _, html) = page(&here.client, &s, "/myapps").await;
    assert!(
        links(&html).iter().any(|l| l == "/myapps/sessions"),
        "{html}"
    );
    let (st, _, html) = page(&here.client, &s, "/myapps/sessions").await;
    assert_eq!(st, 200, "{html}");
    let list = rows(&html);
    assert_eq!(list.len(), 2, "{html}");
    let (mine, mine_row) = row_of(&list, "Firefox on Linux");
    assert!(mine_row.contains("This browser"), "{mine_row}");
    assert!(mine_row.contains("127.0.0.1"), "{mine_row}");
    let (theirs, theirs_row) = row_of(&list, "Chrome on Windows");
    assert!(!theirs_row.contains("This browser"), "{theirs_row}");
    assert!(theirs_row.contains("127.0.0.1"), "{theirs_row}");
    // Ids are opaque: neither cookie nor the key it is looked up by appears.
    for b in [&here, &there] {
        let c = b.session_cookie(&s);
        assert!(!html.contains(&c));
        assert!(!html.contains(&sesame::sso::session::hash_cookie(&c)));
    }
    assert_eq!(mine.len(), 32);
    // The current session has no Sign out; the other one has.
    let action = format!("/myapps/sessions/{theirs}/revoke");
    assert!(forms(&html)
        .iter()
        .all(|f| f.action != format!("/myapps/sessions/{mine}/revoke")));

    // Without the CSRF token: refused, nothing ended.
    let f = post_form(&html, &action);
    let (st, _, _) = submit(&here.client, &s.base, &f.clone().set("csrf", "forged")).await;
    assert_eq!(st, 403);
    assert!(!goes_to_sign_in(&there, &s).await);

    // Sign out the other browser: its next request goes to sign-in; this one stays.
    let (st, _, body) = submit(&here.client, &s.base, &f).await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("Chrome on Windows signed out"), "{body}");
    assert!(goes_to_sign_in(&there, &s).await);
    assert!(!goes_to_sign_in(&here, &s).await);
    // Again: that session is gone.
    let (st, _, _) = submit(&here.client, &s.base, &f).await;
    assert_eq!(st, 404);

    // Another user's session is out of reach by its id.
    let stranger = signed_in(&s, OTHER, IPHONE).await;
    let (_, _, html) = page(&stranger.client, &s, "/myapps/sessions").await;
    let (their_id, _) = row_of(&rows(&html), "Safari on iPhone").clone();
    let (_, _, mine_page) = page(&here.client, &s, "/myapps/sessions").await;
    let forged = Form {
        method: "post".into(),
        enctype: String::new(),
        action: format!("/myapps/sessions/{their_id}/revoke"),
        fields: vec![("csrf".into(), csrf(&mine_page))],
    };
    let (st, _, _) = submit(&here.client, &s.base, &forged).await;
    assert_eq!(st, 404);
    assert!(!goes_to_sign_in(&stranger, &s).await);

    // Sign out everywhere else: every other session of the user ends, this one stays,
    // and the other user's is untouched.
    let phone = signed_in(&s, UPN, IPHONE).await;
    let laptop = signed_in(&s, UPN, CHROME).await;
    let (_, _, html) = page(&here.client, &s, "/myapps/sessions").await;
    assert_eq!(rows(&html).len(), 3, "{html}");
    let f = post_form(&html, "/myapps/sessions/revoke-others");
    let (st, _, _) = submit(&here.client, &s.base, &f.clone().without("csrf")).await;
    assert_eq!(st, 403);
    let (st, _, body) = submit(&here.client, &s.base, &f).await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("2 other sessions signed out"), "{body}");
    assert!(goes_to_sign_in(&phone, &s).await);
    assert!(goes_to_sign_in(&laptop, &s).await);
    assert!(!goes_to_sign_in(&here, &s).await);
    assert!(!goes_to_sign_in(&stranger, &s).await);
    let (_, _, html) = page(&here.client, &s, "/myapps/sessions").await;
    assert_eq!(rows(&html).len(), 1);
    assert!(!html.contains("Sign out everywhere else"));

    // Each sign-out is in the audit log.
    assert_eq!(revocations(&s), 2);
}

#[tokio::test]
async fn administrators_list_and_sign_out_sessions_in_the_portal_the_api_and_the_cli() {
    let s = Server::start();
    let id = add_user(&s, UPN);
    let a = signed_in(&s, UPN, FIREFOX).await;
    let b = signed_in(&s, UPN, CHROME).await;
    let c = signed_in(&s, UPN, IPHONE).await;
    let d = signed_in(&s, UPN, "curl/8.5.0").await;

    // The portal's user page lists the four; Sign out ends one.
    let admin = admin(&s).await;
    let (st, _, html) = page(&admin, &s, &format!("/admin/users/{id}")).await;
    assert_eq!(st, 200);
    assert!(html.contains("id=\"sessions\""), "{html}");
    let list = rows(&html);
    assert_eq!(list.len(), 4, "{html}");
    row_of(&list, "curl/8.5.0");
    let (sid, _) = row_of(&list, "Firefox on Linux");
    let action = format!("/admin/users/{id}/sessions/{sid}/revoke");
    let f = post_form(&html, &action);
    let (st, _, _) = submit(&admin, &s.base, &f.clone().set("csrf", "x")).await;
    assert_eq!(st, 403);
    let (st, _, body) = submit(&admin, &s.base, &f).await;
    assert_eq!(st, 200, "{body}");
    assert!(goes_to_sign_in(&a, &s).await);
    assert!(!goes_to_sign_in(&b, &s).await);

    // The REST API lists three and deletes one; an unknown id is 404.
    let token = s
        .cli_ok(&["token", "create", "--name", "sessions"])
        .trim()
        .to_owned();
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/users/{UPN}/sessions", s.base);
    let r = http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let list: serde_json::Value = r.json().await.unwrap();
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 3, "{list:?}");
    let chrome = list
        .iter()
        .find(|v| v["device"] == "Chrome on Windows")
        .unwrap();
    assert_eq!(chrome["address"], "127.0.0.1");
    assert_eq!(chrome["user_agent"], CHROME);
    let cid = chrome["id"].as_str().unwrap();
    assert_ne!(cid, b.session_cookie(&s));
    let r = http
        .delete(format!("{url}/{cid}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(goes_to_sign_in(&b, &s).await);
    let r = http
        .delete(format!("{url}/{cid}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let doc: serde_json::Value = reqwest::get(format!("{}/api/openapi.json", s.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/v1/users/{user}/sessions"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/users/{user}/sessions/{session}"]["delete"].is_object());

    // The CLI lists two and signs one out.
    let list = s.cli_ok(&["user", "sessions", UPN, "--json"]);
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    let text = s.cli_ok(&["user", "sessions", UPN]);
    assert!(text.contains("Safari on iPhone"), "{text}");
    let iphone = list
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["device"] == "Safari on iPhone")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = s.cli_ok(&["user", "sessions", UPN, "--revoke", &iphone]);
    assert!(out.contains("signed out session"), "{out}");
    assert!(goes_to_sign_in(&c, &s).await);
    assert!(!goes_to_sign_in(&d, &s).await);
    let err = refused(
        &s.cli(&["user", "sessions", UPN, "--revoke", &iphone]),
        &["user", "sessions"],
    );
    assert!(err.contains("no active session"), "{err}");

    // Three sign-outs, three audit entries.
    assert_eq!(revocations(&s), 3);
}

/// pyotp's current code of `uri`.
fn totp_now(py: &str, uri: &str) -> String {
    let out = Command::new(py)
        .args([
            "-c",
            "import pyotp, sys; print(pyotp.parse_uri(sys.argv[1]).now())",
            uri,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The `otpauth://` URI shown on an authenticator registration page.
fn otpauth(html: &str) -> String {
    let start = html.find("<code id=\"totp-uri\"").unwrap();
    let after = &html[start..];
    let text = &after[after.find('>').unwrap() + 1..after.find("</code>").unwrap()];
    unescape(&text.replace("&#38;", "&amp;").replace("&#61;", "="))
}

async fn outbox_of_kind(s: &Server, kind: &str) -> i64 {
    let store = sesame::store::Store::open(&s.database_url(), 1)
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE kind = $1")
        .bind(kind)
        .fetch_one(store.pool())
        .await
        .unwrap();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_mails_on_a_new_method_and_once_per_lock() {
    let Some(py) = python() else { return };
    let pyotp_ok = Command::new(&py)
        .args(["-c", "import pyotp"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !pyotp_ok {
        eprintln!("SKIPPED: pyotp is not installed");
        return;
    }
    let tmp = std::env::temp_dir().join(format!("sesame-secmail-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&tmp).unwrap();
    let port = free_port();
    let smtp = SmtpServer::start(&py, port, &tmp.join("inbox"), &[]);
    let url = format!("smtp://127.0.0.1:{port}?starttls=off");
    let s = Server::start_args(&["--smtp-url", &url, "--mail-from", "sesame@contoso.com"]);
    add_user(&s, UPN);
    // A user without a mail address gets none.
    s.cli_ok(&["user", "add", "--upn", OTHER, "--password", PW]);

    // An authenticator app registered in Security info.
    let b = signed_in(&s, UPN, FIREFOX).await;
    let (_, _, html) = page(&b.client, &s, "/myapps/security-info/add").await;
    let f = post_form(&html, "/myapps/security-info/authenticator");
    let (st, _, reg) = submit(&b.client, &s.base, &f).await;
    assert_eq!(st, 200, "{reg}");
    let uri = otpauth(&reg);
    let secret = uri
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let f = post_form(&reg, "/myapps/security-info/authenticator/confirm")
        .set("code", &totp_now(&py, &uri))
        .set("name", "Work phone");
    let (st, _, body) = submit(&b.client, &s.base, &f).await;
    assert_eq!(st, 200, "{body}");
    let mails = smtp.wait_for(1);
    let m = parse_eml(&py, &mails[0]);
    assert!(m["to"].as_str().unwrap().contains(UPN), "{m}");
    assert_eq!(
        m["subject"], "A new sign-in method was added to your account",
        "{m}"
    );
    let all = m.to_string();
    assert!(
        all.contains("Authenticator app \\\"Work phone\\\""),
        "{all}"
    );
    assert!(all.contains("127.0.0.1 (Firefox on Linux)"), "{all}");
    assert!(
        all.contains("If this was not you, contact your administrator"),
        "{all}"
    );
    assert!(all.contains("/myapps/security-info"), "{all}");
    assert!(all.contains("/myapps/sessions"), "{all}");
    assert!(all.contains("text/html"), "{all}");
    assert!(!all.contains(&secret), "the mail holds the secret: {all}");

    // Ten wrong passwords lock the name: one mail.
    let wrong = |upn: &'static str| {
        let s = &s;
        async move {
            let b = Browser::new(CHROME);
            let (_, _, html) = get(&b.client, &format!("{}/{}/login", s.base, s.tenant)).await;
            let r = submit_login(&b.client, &s.base, &html, upn, "wrong-password-1").await;
            r.text().await.unwrap()
        }
    };
    for _ in 0..10 {
        wrong(UPN).await;
    }
    let body = wrong(UPN).await;
    assert!(body.contains("SESAME"), "{body}");
    let mails = smtp.wait_for(2);
    let m = parse_eml(&py, &mails[1]);
    assert_eq!(m["subject"], "Your account was locked", "{m}");
    assert!(m["to"].as_str().unwrap().contains(UPN), "{m}");
    let all = m.to_string();
    assert!(all.contains("127.0.0.1"), "{all}");
    assert!(
        all.contains("If this was not you, contact your administrator"),
        "{all}"
    );
    assert!(!all.contains("wrong-password-1"));
    assert_eq!(outbox_of_kind(&s, "account-locked").await, 1);

    // The wait over (its end moved back in the store), the spray goes on and locks the
    // name again and again: no further mail within the hour.
    let store = sesame::store::Store::open(&s.database_url(), 1)
        .await
        .unwrap();
    for _ in 0..3 {
        sqlx::query("UPDATE lockouts SET locked_until = 0 WHERE key = $1")
            .bind(format!("user:{UPN}"))
            .execute(store.pool())
            .await
            .unwrap();
        wrong(UPN).await;
        let l = store.lockout_get(&format!("user:{UPN}")).await.unwrap();
        assert!(l.locked_until > 0, "not locked again: {l:?}");
    }
    assert_eq!(outbox_of_kind(&s, "account-locked").await, 1);
    // An hour after the last mail (its time moved back), the next lock mails again.
    sqlx::query("UPDATE users SET lock_notice_at = lock_notice_at - 3600 WHERE upn = $1")
        .bind(UPN)
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE lockouts SET locked_until = 0 WHERE key = $1")
        .bind(format!("user:{UPN}"))
        .execute(store.pool())
        .await
        .unwrap();
    wrong(UPN).await;
    assert_eq!(outbox_of_kind(&s, "account-locked").await, 2);

    // A user without a mail address locks without any mail (the address's own throttle,
    // which this spray reached, cleared first).
    sqlx::query("DELETE FROM lockouts WHERE key LIKE 'ip:%'")
        .execute(store.pool())
        .await
        .unwrap();
    for _ in 0..10 {
        wrong(OTHER).await;
    }
    let l = store.lockout_get(&format!("user:{OTHER}")).await.unwrap();
    assert!(l.locked_until > 0, "{l:?}");
    assert_eq!(outbox_of_kind(&s, "account-locked").await, 2);
    smtp.wait_for(3);
}
