//! Sessions, sign-out and the server log: client input cannot forge log lines.

use crate::common::*;
use sesame_saml::bindings::redirect::{encode_query, redirect_url};
use sesame_saml::bindings::MessageKind;
use sesame_saml::messages::AuthnRequest;
use sesame_saml::time::Timestamp;
use std::process::Command;

/// A log line an attacker would like to add.
const FORGED: &str = "2026-01-01T00:00:00.000000Z ERROR forged line";

/// A tenant path segment and an Issuer carrying CR/LF and a fake log line: the real
/// server's log (its stderr) has no forged line, and shows the characters escaped.
#[tokio::test(flavor = "multi_thread")]
async fn client_input_cannot_forge_log_lines() {
    let dir = std::env::temp_dir().join(format!("sesame-log-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("stderr.log");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut cmd = Command::new(bin());
    cmd.env_remove("SESAME_DATABASE_URL")
        .arg("--data-dir")
        .arg(&dir)
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--public-url", &base])
        .env("SESAME_DEMO_PASSWORD", DEMO_PASSWORD)
        .env("SESAME_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("SESAME_LOG", "info")
        .env_remove("SESAME_MASTER_KEY")
        .env_remove("SESAME_PUBLIC_URL")
        .env_remove("SESAME_LISTEN")
        .stderr(std::fs::File::create(&log).unwrap());
    let (mut child, _, tenant) = spawn_serve(&mut cmd);
    let b = browser();

    // A tenant segment (percent-decoded by the router).
    let (st, _, _) = get(
        &b,
        &format!(
            "{base}/x%0D%0A{}/saml2?SAMLRequest=x",
            FORGED.replace(' ', "%20")
        ),
    )
    .await;
    assert_eq!(st, 404);

    // An Issuer no application has.
    let login = format!("{base}/{tenant}/saml2");
    let mut r = AuthnRequest::new(
        "_forge1",
        Timestamp::from(std::time::SystemTime::now()),
        format!("https://evil.example\r\n{FORGED}"),
    );
    r.destination = Some(login.clone());
    let q = encode_query(MessageKind::Request, &r.to_xml(), None, None).unwrap();
    let (st, _, _) = get(&b, &redirect_url(&login, &q)).await;
    assert_eq!(st, 400);

    // The log is written as events happen; give the last line a moment to land.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let text = loop {
        let text = std::fs::read_to_string(&log).unwrap();
        if text.matches("ERROR forged line").count() >= 2 || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        !text.lines().any(|l| l.starts_with(FORGED)),
        "a forged line: {text}"
    );
    assert!(!text.contains('\r'), "{text}");
    assert!(
        text.contains(&format!("x\\r\\n{FORGED}")),
        "the tenant escaped: {text}"
    );
    assert!(
        text.contains(&format!("evil.example\\r\\n{FORGED}")),
        "the Issuer escaped: {text}"
    );
}

/// An SP-initiated LogoutRequest ends the browser's session only when it carries the
/// NameID and SessionIndex the application received in it; a replayed one is refused
/// and ends nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_logout_request_ends_only_the_session_it_names() {
    use sesame_saml::messages::{LogoutRequest, NameId};
    let s = Server::start();
    let app = s.add_sp(&[]);
    let certs = idp_certs(&s, &app).await;
    let (b, manual) = browser_pair();
    let sign_in = |id: &'static str| {
        let (s, b, certs) = (&s, &b, &certs);
        async move {
            let (_, _, html) =
                get(b, &redirect_request(s, &authn_request(s, id), None, None)).await;
            let html = if is_login_page(&html) {
                submit_login(b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD)
                    .await
                    .text()
                    .await
                    .unwrap()
            } else {
                html
            };
            let (_, a) = verify_response(&auto_post_response(&html).1, certs);
            let a = a.unwrap();
            (
                a.name_id.value.clone(),
                a.authn.unwrap().session_index.unwrap(),
            )
        }
    };
    let logout = |id: &str, name_id: &str, indexes: Vec<String>| {
        let lr = LogoutRequest {
            id: id.into(),
            issue_instant: Timestamp::from(std::time::SystemTime::now()),
            destination: Some(s.login_url()),
            issuer: SP_ENTITY.into(),
            name_id: NameId::new(name_id, None),
            session_indexes: indexes,
            reason: None,
            not_on_or_after: None,
        };
        let q = encode_query(MessageKind::Request, &lr.to_xml(), None, None).unwrap();
        let (manual, url) = (&manual, redirect_url(&s.login_url(), &q));
        async move { manual.get(url).send().await.unwrap() }
    };
    let signed_in = |id: &'static str| {
        let (s, b) = (&s, &b);
        async move {
            let (_, _, html) =
                get(b, &redirect_request(s, &authn_request(s, id), None, None)).await;
            is_auto_post(&html)
        }
    };

    let (name_id, index) = sign_in("_s1").await;
    // Someone else's NameID, with this session's index, without one, or a wrong index:
    // answered, and the session stays.
    for (i, (n, ix)) in [
        ("someone.else@contoso.com", vec![index.clone()]),
        (name_id.as_str(), Vec::new()),
        (name_id.as_str(), vec!["_0000".to_owned()]),
    ]
    .into_iter()
    .enumerate()
    {
        let r = logout(&format!("_other{i}"), n, ix).await;
        assert!(r.status().is_redirection(), "{}", r.status());
        assert!(
            r.headers().get("set-cookie").is_none(),
            "the cookie is kept"
        );
        assert!(signed_in(["_k0", "_k1", "_k2"][i]).await, "case {i}");
    }

    // The NameID and SessionIndex the application received: the session ends.
    let r = logout("_mine", &name_id, vec![index.clone()]).await;
    assert!(r.status().is_redirection(), "{}", r.status());
    assert!(!signed_in("_after").await);

    // Signed in again, the same request replayed is refused and ends nothing.
    let (name_id, index) = sign_in("_s2").await;
    let r = logout("_mine", &name_id, vec![index]).await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.headers()
            .get("x-sesame-error")
            .and_then(|v| v.to_str().ok()),
        Some("SESAME900001")
    );
    assert!(signed_in("_still").await);
}
