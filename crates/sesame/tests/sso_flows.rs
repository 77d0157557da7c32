//! End-to-end SSO flows against the real binary: SP-initiated (Redirect and POST),
//! IdP-initiated, ForceAuthn, IsPassive, single logout, restart persistence.

use crate::common::*;
use sesame_saml::messages::{StatusCode, NAMEID_EMAIL};

const CLAIMS: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/";

/// The demo flow a newcomer clicks: /testapp → Sign in → password → back at /testapp
/// with the NameID and the claims shown.
#[tokio::test(flavor = "multi_thread")]
async fn testapp_sp_initiated_redirect() {
    let s = Server::start();
    let b = browser();
    let (st, url, html) = get(&b, &format!("{}/testapp", s.base)).await;
    assert_eq!(st, 200, "{html}");
    assert!(url.ends_with("/testapp"));
    let (st, url, html) = get(&b, &format!("{}/testapp/login", s.base)).await;
    assert_eq!(st, 200);
    assert!(url.contains("/login?p="), "{url}");
    assert!(is_login_page(&html));
    let r = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD).await;
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(is_auto_post(&html), "{html}");
    let (action, fields) = form(&html);
    assert_eq!(action, format!("{}/testapp/acs", s.base));
    let r = b.post(&action).form(&fields).send().await.unwrap();
    let st = r.status().as_u16();
    let page = r.text().await.unwrap();
    assert_eq!(st, 200, "{page}");
    assert!(page.contains("Signed in to the test application"), "{page}");
    assert!(page.contains("<code>B.Simon@contoso.com</code>"));
    assert!(page.contains(NAMEID_EMAIL));
    for c in ["givenname", "surname", "emailaddress", "name"] {
        assert!(page.contains(&format!("{CLAIMS}{c}")), "claim {c} missing");
    }
    assert!(!page.contains("✘"), "{page}");
    // The session is reused: a second sign-in goes straight back.
    let (st, url, html) = get(&b, &format!("{}/testapp/login", s.base)).await;
    assert_eq!(st, 200);
    assert!(is_auto_post(&html), "{url}: {html}");
}

/// A custom SP, by HTTP-Redirect: every field of the Response (Destination, Issuers,
/// NameID, Conditions, bearer confirmation, SessionIndex, the default claims).
#[tokio::test(flavor = "multi_thread")]
async fn sp_initiated_redirect_response_fields() {
    let s = Server::start();
    let app = s.add_sp(&[]);
    let certs = idp_certs(&s, &app).await;
    assert_eq!(certs.len(), 1);
    let b = browser();
    let req = authn_request(&s, "_req1");
    let (_, _, html) = get(&b, &redirect_request(&s, &req, Some("state-1"), None)).await;
    assert!(is_login_page(&html), "{html}");
    let html = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    let (action, xml, relay) = auto_post_response(&html);
    assert_eq!(action, SP_ACS);
    assert_eq!(relay.as_deref(), Some("state-1"));
    let (resp, a) = verify_response(&xml, &certs);
    assert!(resp.status.is_success());
    assert_eq!(resp.destination.as_deref(), Some(SP_ACS));
    assert_eq!(resp.in_response_to.as_deref(), Some("_req1"));
    assert_eq!(resp.issuer.as_deref(), Some(s.idp_issuer().as_str()));
    let a = a.unwrap();
    assert_eq!(a.issuer, s.idp_issuer());
    assert_eq!(a.name_id.value, DEMO_UPN);
    assert_eq!(a.name_id.format.as_deref(), Some(NAMEID_EMAIL));
    let c = a.conditions.as_ref().unwrap();
    assert!(c.allows_audience(SP_ENTITY));
    let issued = a.issue_instant.unix_seconds();
    assert_eq!(c.not_before.unwrap().unix_seconds(), issued - 60);
    assert_eq!(c.not_on_or_after.unwrap().unix_seconds(), issued + 70 * 60);
    let sc = a.bearer_confirmations().next().unwrap();
    assert_eq!(sc.recipient.as_deref(), Some(SP_ACS));
    assert_eq!(sc.in_response_to.as_deref(), Some("_req1"));
    assert_eq!(sc.not_on_or_after.unwrap().unix_seconds(), issued + 300);
    let authn = a.authn.as_ref().unwrap();
    assert!(authn
        .session_index
        .as_deref()
        .is_some_and(|s| !s.is_empty()));
    assert_eq!(a.attribute_values(&format!("{CLAIMS}givenname")), ["B"]);
    assert_eq!(a.attribute_values(&format!("{CLAIMS}surname")), ["Simon"]);
    assert_eq!(
        a.attribute_values(&format!("{CLAIMS}emailaddress")),
        [DEMO_UPN]
    );
    assert_eq!(a.attribute_values(&format!("{CLAIMS}name")), [DEMO_UPN]);

    // Second request: the session answers without a password.
    let req = authn_request(&s, "_req2");
    let (_, _, html) = get(&b, &redirect_request(&s, &req, None, None)).await;
    let (_, xml, relay) = auto_post_response(&html);
    assert_eq!(relay, None);
    let (resp, _) = verify_response(&xml, &certs);
    assert_eq!(resp.in_response_to.as_deref(), Some("_req2"));

    // The sign-in log has the successes (batched: within about a second).
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let out = s.cli_ok(&["signins", "--app", &app, "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = rows.as_array().unwrap();
    assert!(
        rows.iter().filter(|r| r["result"] == "success").count() >= 2,
        "{out}"
    );
    assert!(rows.iter().any(|r| r["request_id"] == "_req1"));
}

/// HTTP-POST binding: a cross-site POST is stored and continued by a same-site GET.
#[tokio::test(flavor = "multi_thread")]
async fn sp_initiated_post_binding() {
    let s = Server::start();
    let app = s.add_sp(&[]);
    let certs = idp_certs(&s, &app).await;
    let b = browser_no_redirect();
    let req = authn_request(&s, "_post1");
    let value = sesame_saml::bindings::post::encode(&req.to_xml());
    let r = b
        .post(s.login_url())
        .form(&[("SAMLRequest", value.as_str()), ("RelayState", "rs-post")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        loc.starts_with(&format!("/{}/saml2/continue?p=", s.tenant)),
        "{loc}"
    );
    let r = b.get(format!("{}{loc}", s.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    let html = b
        .get(format!("{}{loc}", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(is_login_page(&html));
    let html = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    let (_, xml, relay) = auto_post_response(&html);
    assert_eq!(relay.as_deref(), Some("rs-post"));
    let (resp, a) = verify_response(&xml, &certs);
    assert_eq!(resp.in_response_to.as_deref(), Some("_post1"));
    assert_eq!(a.unwrap().name_id.value, DEMO_UPN);
    // The continuation is single-use.
    let r = b
        .get(format!("{}/{}/saml2/continue?p=_nope", s.base, s.tenant))
        .send()
        .await
        .unwrap();
    let (st, code, _) = error_code(r).await;
    assert_eq!((st, code.as_str()), (400, "SESAME900005"));
}

/// IdP-initiated: the launch URL posts an unsolicited Response to the default Reply URL
/// with the Relay State; with a Sign on URL it redirects there unless ?mode=idp.
#[tokio::test(flavor = "multi_thread")]
async fn idp_initiated_launch() {
    let s = Server::start();
    let app = s.add_sp(&["--relay-state", "https://sp.example.test/home"]);
    let certs = idp_certs(&s, &app).await;
    let b = browser();
    let launch = format!("{}/{}/apps/{app}/launch", s.base, s.tenant);
    let (_, _, html) = get(&b, &launch).await;
    assert!(is_login_page(&html));
    let html = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    let (action, xml, relay) = auto_post_response(&html);
    assert_eq!(action, SP_ACS);
    assert_eq!(relay.as_deref(), Some("https://sp.example.test/home"));
    let (resp, a) = verify_response(&xml, &certs);
    assert_eq!(resp.in_response_to, None);
    let a = a.unwrap();
    assert!(a.conditions.as_ref().unwrap().allows_audience(SP_ENTITY));
    assert_eq!(
        a.bearer_confirmations().next().unwrap().in_response_to,
        None
    );

    // With a Sign on URL, the tile starts SP-initiated SSO at the app.
    s.cli_ok(&[
        "app",
        "set",
        &app,
        "--sign-on-url",
        "https://sp.example.test/login",
    ]);
    s.wait_config();
    let nb = browser_no_redirect();
    let r = nb.get(&launch).send().await.unwrap();
    assert!(r.status().is_redirection());
    assert_eq!(r.headers()["location"], "https://sp.example.test/login");
    // ?mode=idp forces IdP-initiated (the session answers at once).
    let (_, _, html) = get(&b, &format!("{launch}?mode=idp")).await;
    assert!(is_auto_post(&html));

    // The built-in test app accepts IdP-initiated responses.
    let out = s.cli_ok(&["app", "list", "--json"]);
    let apps: serde_json::Value = serde_json::from_str(&out).unwrap();
    let test_app = apps
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Sesame Test App")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, _, html) = get(
        &b,
        &format!("{}/{}/apps/{test_app}/launch", s.base, s.tenant),
    )
    .await;
    let (action, fields) = form(&html);
    let page = b
        .post(&action)
        .form(&fields)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Signed in to the test application"), "{page}");
    assert!(page.contains("unsolicited"));
}

/// ForceAuthn asks for the password again; IsPassive without a session gets NoPassive,
/// with a session a normal Response.
#[tokio::test(flavor = "multi_thread")]
async fn force_authn_and_is_passive() {
    let s = Server::start();
    let app = s.add_sp(&[]);
    let certs = idp_certs(&s, &app).await;
    let b = browser();
    let mut req = authn_request(&s, "_passive1");
    req.is_passive = true;
    let (_, _, html) = get(&b, &redirect_request(&s, &req, None, None)).await;
    let (action, xml, _) = auto_post_response(&html);
    assert_eq!(action, SP_ACS);
    let (resp, a) = verify_response(&xml, &certs);
    assert!(a.is_none());
    assert_eq!(resp.status.code, StatusCode::Responder);
    assert_eq!(resp.status.sub_code, Some(StatusCode::NoPassive));
    assert_eq!(resp.in_response_to.as_deref(), Some("_passive1"));

    // Sign in, then IsPassive works.
    let (_, _, html) = get(
        &b,
        &redirect_request(&s, &authn_request(&s, "_r1"), None, None),
    )
    .await;
    let html = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    assert!(is_auto_post(&html));
    let mut req = authn_request(&s, "_passive2");
    req.is_passive = true;
    let (_, _, html) = get(&b, &redirect_request(&s, &req, None, None)).await;
    let (resp, _) = verify_response(&auto_post_response(&html).1, &certs);
    assert!(resp.status.is_success());

    // ForceAuthn: the login page again, and a new AuthnInstant.
    let mut req = authn_request(&s, "_force");
    req.force_authn = true;
    let (_, _, html) = get(&b, &redirect_request(&s, &req, None, None)).await;
    assert!(is_login_page(&html), "{html}");
    let html = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    let (resp, a) = verify_response(&auto_post_response(&html).1, &certs);
    assert_eq!(resp.in_response_to.as_deref(), Some("_force"));
    assert!(a.unwrap().authn.is_some());
}

/// SP-initiated single logout by Redirect: the session ends, a LogoutResponse goes to the
/// Logout URL; the next AuthnRequest asks for the password again.
#[tokio::test(flavor = "multi_thread")]
async fn single_logout() {
    use sesame_saml::bindings::redirect::{decode_query, encode_query, redirect_url};
    use sesame_saml::messages::{LogoutRequest, LogoutResponse, NameId};
    let s = Server::start();
    let app = s.add_sp(&[]);
    let certs = idp_certs(&s, &app).await;
    let (b, manual) = browser_pair();
    let (_, _, html) = get(
        &b,
        &redirect_request(&s, &authn_request(&s, "_a1"), None, None),
    )
    .await;
    let html = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    let (_, a) = verify_response(&auto_post_response(&html).1, &certs);
    let a = a.unwrap();
    let lr = LogoutRequest {
        id: "_lo1".into(),
        issue_instant: sesame_saml::time::Timestamp::from(std::time::SystemTime::now()),
        destination: Some(s.login_url()),
        issuer: SP_ENTITY.into(),
        name_id: NameId::new(a.name_id.value.clone(), a.name_id.format.as_deref()),
        session_indexes: vec![a.authn.unwrap().session_index.unwrap()],
        reason: None,
        not_on_or_after: None,
    };
    let q = encode_query(
        sesame_saml::bindings::MessageKind::Request,
        &lr.to_xml(),
        Some("bye"),
        None,
    )
    .unwrap();
    let r = manual
        .get(redirect_url(&s.login_url(), &q))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let url = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(url.starts_with(SP_LOGOUT), "{url}");
    let m = decode_query(url.split_once('?').unwrap().1).unwrap();
    assert!(
        m.is_signed(),
        "the LogoutResponse is signed with the app's key"
    );
    m.verify_signature(&certs, &Default::default()).unwrap();
    assert_eq!(m.relay_state.as_deref(), Some("bye"));
    let resp = LogoutResponse::parse(&m.xml).unwrap();
    assert!(resp.status.is_success());
    assert_eq!(resp.in_response_to.as_deref(), Some("_lo1"));
    assert_eq!(resp.destination.as_deref(), Some(SP_LOGOUT));
    // The session is gone.
    let (_, _, html) = get(
        &b,
        &redirect_request(&s, &authn_request(&s, "_a2"), None, None),
    )
    .await;
    assert!(is_login_page(&html));

    // IdP-initiated sign-out lists the session's apps with a Logout URL.
    let html = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    assert!(is_auto_post(&html));
    let page = crate::sessions::sign_out(&b, &s)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("You signed out"));
    assert!(
        page.contains(&format!("<iframe src=\"{SP_LOGOUT}?SAMLRequest=")),
        "{page}"
    );
    let (_, _, html) = get(
        &b,
        &redirect_request(&s, &authn_request(&s, "_a3"), None, None),
    )
    .await;
    assert!(is_login_page(&html));
}

/// Restarting keeps users, apps, keys, sessions and logs.
#[tokio::test(flavor = "multi_thread")]
async fn restart_keeps_sessions_keys_and_logs() {
    let s = Server::start();
    let app = s.add_sp(&[]);
    let certs = idp_certs(&s, &app).await;
    let b = browser();
    let (_, _, html) = get(
        &b,
        &redirect_request(&s, &authn_request(&s, "_before"), None, None),
    )
    .await;
    let html = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    assert!(is_auto_post(&html));
    let port = s.port;
    let dir = s.stop_keep();
    // Same port, so the browser's cookie (host-scoped) is sent to the new process.
    let s2 = Server::start_on(dir, port);
    let certs2 = idp_certs(&s2, &app).await;
    assert_eq!(certs, certs2, "the signing key survives a restart");
    let (_, _, html) = get(
        &b,
        &redirect_request(&s2, &authn_request(&s2, "_after"), None, None),
    )
    .await;
    assert!(
        is_auto_post(&html),
        "the session survives a restart: {html}"
    );
    let (resp, _) = verify_response(&auto_post_response(&html).1, &certs2);
    assert_eq!(resp.in_response_to.as_deref(), Some("_after"));
    let out = s2.cli_ok(&["signins", "--json"]);
    assert!(
        out.contains("_before"),
        "the log written before the restart is kept: {out}"
    );
}

/// A LogoutResponse coming back from an application (after IdP-initiated sign-out) is
/// checked like a request: its signature verified with the app's SP certificate when it
/// is signed (Redirect and POST), refused unsigned when the app requires signed
/// requests, refused from an unknown Issuer.
#[tokio::test(flavor = "multi_thread")]
async fn logout_response_signature_checked() {
    use sesame_saml::bindings::redirect::{encode_query, redirect_url};
    use sesame_saml::bindings::MessageKind;
    use sesame_saml::crypto::SignatureAlgorithm;
    use sesame_saml::messages::{LogoutResponse, Status};
    let s = Server::start();
    let cert = fixture("test-rsa-cert.pem");
    let app = s.add_sp(&["--sp-cert", cert.to_str().unwrap()]);
    let b = browser();
    let response = |id: &str, issuer: &str| LogoutResponse {
        id: id.into(),
        in_response_to: Some("_idp-lr".into()),
        issue_instant: sesame_saml::time::Timestamp::from(std::time::SystemTime::now()),
        destination: Some(s.login_url()),
        issuer: issuer.into(),
        status: Status::success(),
    };
    let by_redirect = |r: &LogoutResponse, key: Option<&sesame_saml::crypto::SigningKey>| {
        let q = encode_query(
            MessageKind::Response,
            &r.to_xml(),
            None,
            key.map(|k| (k, SignatureAlgorithm::RsaSha256)),
        )
        .unwrap();
        redirect_url(&s.login_url(), &q)
    };
    let sp = sp_key();
    let other = other_key();

    // Signed with the registered certificate's key: accepted.
    let (st, _, page) = get(&b, &by_redirect(&response("_lr1", SP_ENTITY), Some(&sp))).await;
    assert_eq!(st, 200, "{page}");
    assert!(page.contains("You signed out"), "{page}");
    // Signed with another key: refused.
    let (st, code, page) = error_code(
        b.get(by_redirect(&response("_lr2", SP_ENTITY), Some(&other)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, code.as_str()), (400, "SESAME50006"), "{page}");
    // By POST: the enveloped signature, right and wrong key.
    let post = |xml: String| {
        b.post(s.login_url())
            .form(&[("SAMLResponse", sesame_saml::bindings::post::encode(&xml))])
            .send()
    };
    let good = response("_lr3", SP_ENTITY)
        .to_signed_xml(&sp, None, SignatureAlgorithm::RsaSha256)
        .unwrap();
    let r = post(good).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("You signed out"));
    let bad = response("_lr4", SP_ENTITY)
        .to_signed_xml(&other, None, SignatureAlgorithm::RsaSha256)
        .unwrap();
    let (st, code, page) = error_code(post(bad).await.unwrap()).await;
    assert_eq!((st, code.as_str()), (400, "SESAME50006"), "{page}");
    // A signed message whose content was changed after signing.
    let tampered = response("_lr5", SP_ENTITY)
        .to_signed_xml(&sp, None, SignatureAlgorithm::RsaSha256)
        .unwrap()
        .replace("_idp-lr", "_idp-lX");
    let (_, code, _) = error_code(post(tampered).await.unwrap()).await;
    assert_eq!(code, "SESAME50006");
    // Unsigned: accepted while the app does not require signed requests…
    let (st, _, page) = get(&b, &by_redirect(&response("_lr6", SP_ENTITY), None)).await;
    assert_eq!(st, 200, "{page}");
    // …refused once it does.
    s.cli_ok(&["app", "set", &app, "--require-signed-requests", "true"]);
    s.wait_config();
    let (st, code, page) = error_code(
        b.get(by_redirect(&response("_lr7", SP_ENTITY), None))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, code.as_str()), (400, "SESAME76021"), "{page}");
    let (st, _, page) = get(&b, &by_redirect(&response("_lr8", SP_ENTITY), Some(&sp))).await;
    assert_eq!(st, 200, "{page}");
    // From an Issuer that is no application's Identifier.
    let (st, code, page) = error_code(
        b.get(by_redirect(
            &response("_lr9", "https://unknown.example/sp"),
            None,
        ))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((st, code.as_str()), (400, "SESAME700016"), "{page}");
}
