//! Every SSO error code, end to end against the real binary: error pages (code, HTTP
//! status, correlation id) and errors returned to the application as SAML Responses.

use crate::common::*;
use sesame_saml::messages::{Comparison, NameIdPolicy, RequestedAuthnContext, StatusCode};
use sesame_saml::time::Timestamp;

async fn page_code(b: &reqwest::Client, url: &str) -> (u16, String, String) {
    error_code(b.get(url).send().await.unwrap()).await
}

fn assert_error_page(got: &(u16, String, String), status: u16, code: &str) {
    assert_eq!((got.0, got.1.as_str()), (status, code), "{}", got.2);
    assert!(got.2.contains(code));
    assert!(got.2.contains("Correlation id"));
    assert!(got.2.contains("Timestamp"));
}

/// Errors in the request itself: shown as pages, never sent to an unregistered URL.
#[tokio::test(flavor = "multi_thread")]
async fn request_errors() {
    let s = Server::start();
    let app = s.add_sp(&[]);
    let certs = idp_certs(&s, &app).await;
    let b = browser();

    let mut r = authn_request(&s, "_e1");
    r.issuer = "https://unknown.example/sp".into();
    assert_error_page(
        &page_code(&b, &redirect_request(&s, &r, None, None)).await,
        400,
        "SESAME700016",
    );

    let mut r = authn_request(&s, "_e2");
    r.destination = Some(format!("{}/other-tenant/saml2", s.base));
    assert_error_page(
        &page_code(&b, &redirect_request(&s, &r, None, None)).await,
        400,
        "SESAME75008",
    );

    let mut r = authn_request(&s, "_e3");
    r.acs_url = Some("https://evil.example/acs".into());
    let got = page_code(&b, &redirect_request(&s, &r, None, None)).await;
    assert_error_page(&got, 400, "SESAME50011");
    assert!(!got.2.contains("SAMLResponse"));
    let mut r = authn_request(&s, "_e3b");
    r.acs_url = Some(format!("{SP_ACS}/"));
    assert_error_page(
        &page_code(&b, &redirect_request(&s, &r, None, None)).await,
        400,
        "SESAME50011",
    );
    let mut r = authn_request(&s, "_e3c");
    r.acs_url = None;
    r.acs_index = Some(7);
    assert_error_page(
        &page_code(&b, &redirect_request(&s, &r, None, None)).await,
        400,
        "SESAME50011",
    );

    let mut r = authn_request(&s, "_e4");
    r.issue_instant = Timestamp::from(std::time::SystemTime::now()).plus_seconds(-600);
    assert_error_page(
        &page_code(&b, &redirect_request(&s, &r, None, None)).await,
        400,
        "SESAME76026",
    );

    let mut r = authn_request(&s, "_e5");
    r.protocol_binding = Some("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact".into());
    assert_error_page(
        &page_code(&b, &redirect_request(&s, &r, None, None)).await,
        400,
        "SESAME900010",
    );

    // Replay: the same request ID twice.
    let r = authn_request(&s, "_replayed");
    let url = redirect_request(&s, &r, None, None);
    let first = b.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(is_login_page(&first));
    assert_error_page(&page_code(&b, &url).await, 400, "SESAME900001");

    // Messages that are not SAML.
    assert_error_page(&page_code(&b, &s.login_url()).await, 400, "SESAME750054");
    assert_error_page(
        &page_code(&b, &format!("{}?SAMLRequest=%%%", s.login_url())).await,
        400,
        "SESAME75005",
    );
    assert_error_page(
        &page_code(&b, &format!("{}/not-a-tenant/saml2?SAMLRequest=x", s.base)).await,
        404,
        "SESAME90002",
    );
    assert_error_page(
        &page_code(
            &b,
            &format!(
                "{}/{}/apps/00000000-0000-0000-0000-000000000000/launch",
                s.base, s.tenant
            ),
        )
        .await,
        404,
        "SESAME900009",
    );

    // Errors that go back to the application: NameIDPolicy and RequestedAuthnContext.
    let mut r = authn_request(&s, "_nameid");
    r.name_id_policy = Some(NameIdPolicy {
        format: Some("urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName".into()),
        allow_create: None,
        sp_name_qualifier: None,
    });
    let html = b
        .get(redirect_request(&s, &r, None, None))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (action, xml, _) = auto_post_response(&html);
    assert_eq!(action, SP_ACS);
    let (resp, a) = verify_response(&xml, &certs);
    assert!(a.is_none());
    assert_eq!(resp.status.sub_code, Some(StatusCode::InvalidNameIDPolicy));
    assert_eq!(resp.in_response_to.as_deref(), Some("_nameid"));

    // A class no sign-in reaches (X509 is reached by a passkey: the request waits for
    // the sign-in, and only a user without a passkey is answered 75011, in `step_up`).
    let mut r = authn_request(&s, "_ctx");
    r.requested_authn_context = Some(RequestedAuthnContext {
        comparison: Comparison::Exact,
        class_refs: vec!["urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard".into()],
    });
    let html = b
        .get(redirect_request(&s, &r, None, None))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (_, xml, _) = auto_post_response(&html);
    let (resp, _) = verify_response(&xml, &certs);
    assert_eq!(resp.status.sub_code, Some(StatusCode::NoAuthnContext));
    assert!(resp.status.message.unwrap().contains("SESAME75011"));

    // The failures are in the sign-in log with their codes.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let out = s.cli_ok(&["signins", "--failures", "--json"]);
    for code in [
        "SESAME700016",
        "SESAME75008",
        "SESAME50011",
        "SESAME76026",
        "SESAME900001",
        "SESAME75011",
    ] {
        assert!(out.contains(code), "{code} not logged: {out}");
    }
}

/// Errors that come from the application's configuration, changed with the CLI while
/// the server runs (in force within a second).
#[tokio::test(flavor = "multi_thread")]
async fn application_errors() {
    let s = Server::start();
    let app = s.add_sp(&[]);
    let certs = idp_certs(&s, &app).await;
    let b = browser();

    // Not assigned (50105): a second user.
    s.cli_ok(&[
        "user",
        "add",
        "--upn",
        "alice@contoso.com",
        "--password",
        "Amber-River-11",
    ]);
    let (_, _, html) = get(
        &b,
        &redirect_request(&s, &authn_request(&s, "_u1"), None, None),
    )
    .await;
    let got =
        error_code(submit_login(&b, &s.base, &html, "alice@contoso.com", "Amber-River-11").await)
            .await;
    assert_error_page(&got, 403, "SESAME50105");

    // Disabled app (7000112).
    s.cli_ok(&["app", "set", &app, "--enabled", "false"]);
    s.wait_config();
    assert_error_page(
        &page_code(
            &b,
            &redirect_request(&s, &authn_request(&s, "_d1"), None, None),
        )
        .await,
        403,
        "SESAME7000112",
    );
    s.cli_ok(&["app", "set", &app, "--enabled", "true"]);

    // Signed requests required (76021), wrong key (50006), right key accepted; SHA-1
    // refused when SHA-256 is required.
    let cert = fixture("test-rsa-cert.pem");
    s.cli_ok(&[
        "app",
        "set",
        &app,
        "--require-signed-requests",
        "true",
        "--sp-cert",
        cert.to_str().unwrap(),
    ]);
    s.wait_config();
    assert_error_page(
        &page_code(
            &b,
            &redirect_request(&s, &authn_request(&s, "_s1"), None, None),
        )
        .await,
        400,
        "SESAME76021",
    );
    let other = other_key();
    assert_error_page(
        &page_code(
            &b,
            &redirect_request(&s, &authn_request(&s, "_s2"), None, Some(&other)),
        )
        .await,
        400,
        "SESAME50006",
    );
    let key = sp_key();
    // Signed by POST binding too (enveloped signature), with the right key.
    let (b2, manual) = browser_pair();
    let signed = authn_request(&s, "_s3")
        .to_signed_xml(
            &key,
            None,
            sesame_saml::crypto::SignatureAlgorithm::RsaSha256,
        )
        .unwrap();
    let r = manual
        .post(s.login_url())
        .form(&[("SAMLRequest", sesame_saml::bindings::post::encode(&signed))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    let html = b2
        .get(format!("{}{loc}", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(is_login_page(&html), "{html}");
    let html = submit_login(&b2, &s.base, &html, DEMO_UPN, DEMO_PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    let (resp, _) = verify_response(&auto_post_response(&html).1, &certs);
    assert_eq!(resp.in_response_to.as_deref(), Some("_s3"));
    // By Redirect with the right key: the session answers.
    let html = b2
        .get(redirect_request(
            &s,
            &authn_request(&s, "_s4"),
            None,
            Some(&key),
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(is_auto_post(&html), "{html}");
    // A tampered POST signature.
    let tampered = signed.replace("_s3", "_s5");
    let r = manual
        .post(s.login_url())
        .form(&[(
            "SAMLRequest",
            sesame_saml::bindings::post::encode(&tampered),
        )])
        .send()
        .await
        .unwrap();
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    assert_error_page(
        &page_code(&b2, &format!("{}{loc}", s.base)).await,
        400,
        "SESAME50006",
    );
}

/// Errors about the user: wrong password (the same for unknown names), disabled, locked,
/// CSRF; sessions refused after disabling, unassigning or a password change.
#[tokio::test(flavor = "multi_thread")]
async fn user_errors_and_lockout() {
    let s = Server::start();
    let app = s.add_sp(&[]);
    let b = browser();
    let (_, _, html) = get(
        &b,
        &redirect_request(&s, &authn_request(&s, "_p1"), None, None),
    )
    .await;

    // Wrong password and unknown user: the same code and message.
    let (st1, c1, p1) =
        error_code(submit_login(&b, &s.base, &html, DEMO_UPN, "wrong-password").await).await;
    let (st2, c2, p2) =
        error_code(submit_login(&b, &s.base, &p1, "nobody@contoso.com", "wrong-password").await)
            .await;
    assert_eq!((st1, c1.as_str()), (200, "SESAME50126"));
    assert_eq!((st2, c2.as_str()), (200, "SESAME50126"));
    let msg = |p: &str| p[p.find("role=\"alert\"").unwrap()..p.find("<small>").unwrap()].to_owned();
    assert_eq!(msg(&p1), msg(&p2));
    assert!(is_login_page(&p2));

    // CSRF: a form without this browser's token.
    let other = browser();
    let (_, fields) = form(&p2);
    let pending = field(&fields, "p").unwrap().to_owned();
    let r = other
        .post(format!("{}/{}/login", s.base, s.tenant))
        .form(&[
            ("p", pending.as_str()),
            ("csrf", "forged"),
            ("username", DEMO_UPN),
            ("password", DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await.1, "SESAME900004");

    // The right password signs in.
    let html = submit_login(&b, &s.base, &p2, DEMO_UPN, DEMO_PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    assert!(is_auto_post(&html));

    // Unassigning refuses the session at the next request.
    s.cli_ok(&["app", "unassign", &app, "--user", DEMO_UPN]);
    s.wait_config();
    let got = page_code(
        &b,
        &redirect_request(&s, &authn_request(&s, "_p2"), None, None),
    )
    .await;
    assert_error_page(&got, 403, "SESAME50105");
    s.cli_ok(&["app", "assign", &app, "--user", DEMO_UPN]);
    let html = b
        .get(redirect_request(&s, &authn_request(&s, "_p3"), None, None))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(is_auto_post(&html));

    // A password change ends the session.
    let out = s
        .command()
        .args(["user", "set", DEMO_UPN, "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(b"Amber-Lantern-77\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let html = b
        .get(redirect_request(&s, &authn_request(&s, "_p4"), None, None))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        is_login_page(&html),
        "the session must be refused after a password change"
    );
    let html = submit_login(&b, &s.base, &html, DEMO_UPN, "Amber-Lantern-77")
        .await
        .text()
        .await
        .unwrap();
    assert!(is_auto_post(&html));

    // Disabling the user refuses the session, and the sign-in.
    s.cli_ok(&["user", "disable", DEMO_UPN]);
    let html = b
        .get(redirect_request(&s, &authn_request(&s, "_p5"), None, None))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(is_login_page(&html));
    let got =
        error_code(submit_login(&b, &s.base, &html, DEMO_UPN, "Amber-Lantern-77").await).await;
    assert_error_page(&got, 403, "SESAME50057");
    s.cli_ok(&["user", "enable", DEMO_UPN]);

    // Lockout: 10 failures lock the name for 60 s — even the right password is refused —
    // and an unknown name behaves the same. Each name from an address of its own
    // (127.0.0.2, 127.0.0.3): the failures above still count at 127.0.0.1, successes do
    // not clear an address's count.
    for (i, upn) in [DEMO_UPN, "ghost@contoso.com"].into_iter().enumerate() {
        let lb = reqwest::Client::builder()
            .cookie_store(true)
            .local_address(std::net::IpAddr::from([127, 0, 0, 2 + i as u8]))
            .build()
            .unwrap();
        let (_, _, mut html) = get(
            &lb,
            &redirect_request(
                &s,
                &authn_request(&s, &format!("_l{}", upn.len())),
                None,
                None,
            ),
        )
        .await;
        for _ in 0..10 {
            let (_, code, p) =
                error_code(submit_login(&lb, &s.base, &html, upn, "bad-password").await).await;
            assert_eq!(code, "SESAME50126");
            html = p;
        }
        let (_, code, p) =
            error_code(submit_login(&lb, &s.base, &html, upn, "Amber-Lantern-77").await).await;
        assert_eq!(code, "SESAME50053", "{upn}: {p}");
    }
}

/// Per-address throttling behind a trusted proxy: X-Forwarded-For is honoured from the
/// proxy only; after 20 failures an address waits (SESAME900006), others do not.
#[tokio::test(flavor = "multi_thread")]
async fn ip_throttling_behind_trusted_proxy() {
    let s = Server::start_args(&["--trusted-proxy", "127.0.0.1"]);
    s.add_sp(&[]);
    let b = browser();
    let (_, _, mut html) = get(
        &b,
        &redirect_request(&s, &authn_request(&s, "_t1"), None, None),
    )
    .await;
    let login = |html: &str, upn: &str, xff: &str| {
        let (action, mut data) = form(html);
        data.push(("username".into(), upn.into()));
        data.push(("password".into(), "bad-password".into()));
        b.post(format!("{}{action}", s.base))
            .header("x-forwarded-for", xff)
            .form(&data)
            .send()
    };
    for i in 0..21 {
        let (st, code, p) = error_code(
            login(&html, &format!("user{i}@contoso.com"), "203.0.113.7")
                .await
                .unwrap(),
        )
        .await;
        assert_eq!((st, code.as_str()), (200, "SESAME50126"), "attempt {i}");
        html = p;
    }
    let (st, code, p) = error_code(
        login(&html, "someone@contoso.com", "203.0.113.7")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, code.as_str()), (429, "SESAME900006"));
    // Another client address is not throttled.
    let (_, code, _) = error_code(
        login(&p, "someone@contoso.com", "198.51.100.1")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(code, "SESAME50126");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let out = s.cli_ok(&["signins", "--failures", "--json"]);
    assert!(
        out.contains("203.0.113.7") && out.contains("198.51.100.1"),
        "{out}"
    );
}
