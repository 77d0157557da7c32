//! The SSO hot path's memory (`sso::hot`) changes where data comes from, never
//! which checks run: a replayed request ID is refused also after a restart, a session
//! ended or a user disabled is refused at once (or within the configuration's second),
//! the SessionIndex of a session and app stays stable; and the sign-in log keeps the
//! request and the Response sent (without their SignatureValue content).

use crate::common::*;
use std::time::{Duration, Instant};

/// The text of every `<SignatureValue>` (or `<ds:SignatureValue>`) of `xml`.
fn signature_values(xml: &str) -> Vec<String> {
    element_texts(xml, &["SignatureValue", "ds:SignatureValue"])
}

/// The text of every `<tag>…</tag>` element of `xml`, for each of `tags`.
fn element_texts(xml: &str, tags: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for tag in tags {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        let mut rest = xml;
        while let Some(i) = rest.find(&open) {
            rest = &rest[i + open.len()..];
            let end = rest.find(&close).unwrap();
            out.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    out
}

/// The sign-in log rows of `app` (the server writes them at least every second).
fn rows_of(s: &Server, app: &str, want: usize) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = s.cli_ok(&["signins", "--app", app, "--json"]);
        let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
        if rows.len() >= want || Instant::now() > deadline {
            return rows;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn signin_log_keeps_request_and_response_without_signature_values() {
    let s = Server::start();
    let app = s.add_sp(&[]);
    let b = browser();
    // SP-initiated, with the password; then with the session.
    let req = authn_request(&s, "_log1");
    let (_, _, html) = get(&b, &redirect_request(&s, &req, None, None)).await;
    assert!(is_login_page(&html), "{html}");
    let html = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    let (_, sent1, _) = auto_post_response(&html);
    let req = authn_request(&s, "_log2");
    let (_, _, html) = get(&b, &redirect_request(&s, &req, None, None)).await;
    let (_, sent2, _) = auto_post_response(&html);
    // An error that goes back to the app as a Response: IsPassive without a session.
    let mut req = authn_request(&s, "_log3");
    req.is_passive = true;
    let (_, _, html) = get(&browser(), &redirect_request(&s, &req, None, None)).await;
    let (_, sent3, _) = auto_post_response(&html);
    assert!(sent3.contains("NoPassive"), "{sent3}");

    let rows = rows_of(&s, &app, 3);
    for (id, sent, result) in [
        ("_log1", &sent1, "success"),
        ("_log2", &sent2, "success"),
        ("_log3", &sent3, "failure"),
    ] {
        let r = rows
            .iter()
            .find(|r| r["request_id"] == id)
            .unwrap_or_else(|| panic!("no row for {id}: {rows:?}"));
        assert_eq!(r["result"], result, "{r}");
        let request = r["saml_request"].as_str().unwrap();
        assert!(request.contains("AuthnRequest"), "{id}: {request}");
        assert!(request.contains(&format!("ID=\"{id}\"")), "{id}: {request}");
        let response = r["saml_response"].as_str().unwrap();
        assert!(
            response.contains(&format!("InResponseTo=\"{id}\"")),
            "{id}: {response}"
        );
        let values = signature_values(sent);
        assert!(!values.is_empty(), "the Response sent is signed");
        for v in values {
            assert!(!v.trim().is_empty());
            assert!(
                !response.contains(v.as_str()),
                "{id}: a SignatureValue is kept"
            );
        }
        assert!(response.contains("SignatureValue></"), "{id}: {response}");
        // The signing certificate (in each Signature's KeyInfo) is left out too.
        let certs = element_texts(sent, &["X509Certificate", "ds:X509Certificate"]);
        assert!(!certs.is_empty(), "{id}: {sent}");
        assert!(
            !response.contains(certs[0].as_str()),
            "{id}: the certificate is kept"
        );
        assert!(response.contains("X509Certificate></"), "{id}: {response}");
        // Everything else is what was sent: with those values removed, the same.
        let mut expected = sent.clone();
        for v in signature_values(sent).into_iter().chain(certs) {
            expected = expected.replace(&v, "");
        }
        assert_eq!(response, expected, "{id}");
    }
    let r1 = rows.iter().find(|r| r["request_id"] == "_log1").unwrap();
    assert!(r1["saml_response"]
        .as_str()
        .unwrap()
        .contains("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"));
}

#[tokio::test(flavor = "multi_thread")]
async fn replayed_request_is_refused_after_a_restart() {
    let s = Server::start();
    let _app = s.add_sp(&[]);
    let b = browser();
    let req = authn_request(&s, "_restart_replay");
    let url = redirect_request(&s, &req, None, None);
    let (_, _, html) = get(&b, &url).await;
    assert!(is_login_page(&html), "{html}");
    let port = s.port;
    let dir = s.stop_keep();
    let s = Server::start_on(dir, port);
    let r = browser().get(&url).send().await.unwrap();
    let (st, code, _) = error_code(r).await;
    assert_eq!((st, code.as_str()), (400, "SESAME900001"));
    // A fresh ID still works after the restart.
    let req = authn_request(&s, "_restart_fresh");
    let (_, _, html) = get(&b, &redirect_request(&s, &req, None, None)).await;
    assert!(is_login_page(&html), "{html}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ended_sessions_and_disabled_users_are_refused() {
    let s = Server::start();
    let _app = s.add_sp(&[]);
    let sign_in = |id: &'static str| {
        let s = &s;
        async move {
            let b = browser();
            let req = authn_request(s, id);
            let (_, _, html) = get(&b, &redirect_request(s, &req, None, None)).await;
            let html = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD)
                .await
                .text()
                .await
                .unwrap();
            assert!(is_auto_post(&html), "{html}");
            b
        }
    };
    let sso = |b: reqwest::Client, id: String| {
        let s = &s;
        async move {
            let req = authn_request(s, &id);
            get(&b, &redirect_request(s, &req, None, None)).await.2
        }
    };

    // The session answers, with the same SessionIndex for the same app every time.
    let b = sign_in("_hp_a").await;
    let mut indexes = Vec::new();
    for i in 0..3 {
        let html = sso(b.clone(), format!("_hp_a{i}")).await;
        assert!(is_auto_post(&html), "{html}");
        let (_, xml, _) = auto_post_response(&html);
        let at = xml.find("SessionIndex=\"").unwrap() + "SessionIndex=\"".len();
        indexes.push(xml[at..at + xml[at..].find('"').unwrap()].to_owned());
    }
    assert!(indexes.windows(2).all(|w| w[0] == w[1]), "{indexes:?}");

    // Signed out: the same cookie is refused at once.
    let st = crate::sessions::sign_out(&b, &s).await.status();
    assert_eq!(st, 200);
    let html = sso(b.clone(), "_hp_after_signout".into()).await;
    assert!(is_login_page(&html), "{html}");

    // The user disabled by the CLI: the session is refused within about a second.
    let b = sign_in("_hp_b").await;
    assert!(is_auto_post(&sso(b.clone(), "_hp_b1".into()).await));
    s.cli_ok(&["user", "disable", DEMO_UPN]);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut n = 0;
    loop {
        n += 1;
        let html = sso(b.clone(), format!("_hp_b_dis{n}")).await;
        if !is_auto_post(&html) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a disabled user still signs in after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    s.cli_ok(&["user", "enable", DEMO_UPN]);
}
