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

/// Signs the browser `b` out as a person does: the sign-out page, then its button (a
/// POST with the session's CSRF token). The answer of the POST.
pub async fn sign_out(b: &reqwest::Client, s: &Server) -> reqwest::Response {
    let url = format!("{}/{}/signout", s.base, s.tenant);
    let (st, _, html) = get(b, &url).await;
    assert_eq!(st, 200, "{html}");
    let (action, fields) = form(&html);
    assert_eq!(action, format!("/{}/signout", s.tenant));
    let token = field(&fields, "csrf").expect("the sign-out form has a csrf field");
    b.post(&url).form(&[("csrf", token)]).send().await.unwrap()
}

/// Sign-out is a POST with the session's CSRF token: a GET (a link, an image or a page of
/// another site) only shows the confirmation page, and a POST without the token, with a
/// wrong one, or announced as cross-site, is refused; the session survives all of them.
#[tokio::test(flavor = "multi_thread")]
async fn sign_out_needs_a_post_with_the_csrf_token() {
    let s = Server::start();
    let b = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let url = format!("{}/{}/signout", s.base, s.tenant);
    let my_apps = format!("{}/myapps", s.base);
    let still_signed_in = |b: &reqwest::Client| {
        let (b, my_apps) = (b.clone(), my_apps.clone());
        async move {
            let (st, u, _) = get(&b, &my_apps).await;
            st == 200 && u.ends_with("/myapps")
        }
    };

    // My Apps signs out with a form carrying the token, not with a link.
    let (_, _, page) = get(&b, &my_apps).await;
    let token = csrf(&page);
    assert!(
        forms(&page).iter().any(|f| f.method == "post"
            && f.action == format!("/{}/signout", s.tenant)
            && f.get("csrf") == Some(token.as_str())),
        "{page}"
    );
    assert!(!page.contains(&format!("href=\"/{}/signout\"", s.tenant)));

    // A GET shows the confirmation page.
    for _ in 0..2 {
        let (st, _, html) = get(&b, &url).await;
        assert_eq!(st, 200);
        assert!(html.contains("<form method=\"post\""), "{html}");
        assert!(html.contains(DEMO_UPN), "{html}");
    }
    assert!(still_signed_in(&b).await, "a GET ended the session");

    // Refused POSTs.
    for (what, body, headers) in [
        ("without csrf", vec![], vec![]),
        ("with a wrong csrf", vec![("csrf", "not-the-token")], vec![]),
        (
            "announced cross-site",
            vec![("csrf", token.as_str())],
            vec![("sec-fetch-site", "cross-site")],
        ),
    ] {
        let mut req = b.post(&url).form(&body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let (st, code, html) = error_code(req.send().await.unwrap()).await;
        assert_eq!((st, code.as_str()), (403, "SESAME910003"), "{what}: {html}");
        assert!(html.contains("still signed in"), "{what}: {html}");
        assert!(still_signed_in(&b).await, "{what}: the session ended");
    }

    // The page's button: signed out.
    let r = sign_out(&b, &s).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("You signed out"));
    assert!(!still_signed_in(&b).await);
    let (st, _, html) = get(&b, &url).await;
    assert_eq!(st, 200);
    assert!(html.contains("You signed out"), "{html}");

    // A POST without a session goes to the sign-in page.
    let r = browser_no_redirect()
        .post(&url)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        format!("/{}/login", s.tenant).as_str()
    );
}
