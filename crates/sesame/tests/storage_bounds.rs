//! What an unauthenticated request or any account holder can make Sesame keep: the
//! sign-in log's list queries (filtered in SQL, without the stored SAML messages), the
//! rows a failed request writes, the pending requests, and the per-address rate limit.

use crate::common::Server;
use reqwest::Client;
use serde_json::Value;
use sesame::store::{SigninRow, Store};

/// Creates a token with the CLI; returns its secret.
fn token(s: &Server) -> String {
    let secret = s
        .cli_ok(&["token", "create", "--name", "storage-test"])
        .trim()
        .to_owned();
    assert!(secret.starts_with("sesame_"), "{secret}");
    secret
}

fn row(i: i64, result: &str) -> SigninRow {
    SigninRow {
        id: format!("row-{i:04}"),
        time_ms: 1_700_000_000_000 + i,
        user_id: None,
        upn: "ann@contoso.com".into(),
        app_id: None,
        app_name: String::new(),
        client_ip: "192.0.2.1".into(),
        result: result.into(),
        error_code: String::new(),
        request_id: String::new(),
        correlation_id: "c".into(),
        details: String::new(),
        saml_request: "<AuthnRequest/>".repeat(100),
        saml_response: "<Response/>".repeat(100),
    }
}

async fn get_json(s: &Server, t: &str, path: &str) -> Value {
    let r = Client::new()
        .get(format!("{}{path}", s.base))
        .bearer_auth(t)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

/// `?status=success` is filtered before the limit: 284 rows, the newest 234 of them
/// failures, still give 50 successes; the list carries no SAML messages, the detail does.
#[tokio::test(flavor = "multi_thread")]
async fn signins_status_filter_is_applied_before_the_limit() {
    let s = Server::start();
    let t = token(&s);
    let store = Store::open(&s.database_url(), 2).await.unwrap();
    let rows: Vec<SigninRow> = (0..284)
        .map(|i| row(i, if i < 50 { "success" } else { "failure" }))
        .collect();
    store.signins_insert(&rows).await.unwrap();
    let list = get_json(&s, &t, "/api/v1/signins?status=success&limit=50").await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 50);
    assert!(list.iter().all(|r| r["result"] == "success"));
    let failures = get_json(&s, &t, "/api/v1/signins?status=failure&limit=1000").await;
    assert!(failures.as_array().unwrap().len() >= 234);
    // The list queries leave the messages in the database.
    let listed = store
        .signins_list(&sesame::store::SigninFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(listed
        .iter()
        .all(|r| r.saml_request.is_empty() && r.saml_response.is_empty()));
    let one = get_json(&s, &t, "/api/v1/signins/row-0001").await;
    assert!(one["saml_request"]
        .as_str()
        .unwrap()
        .contains("AuthnRequest"));
}

/// Bytes of the SAML messages and details kept in the sign-in log, of the pending
/// requests' payloads, and how many pending requests there are.
async fn kept(store: &Store) -> (i64, i64, i64) {
    let log: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(LENGTH(saml_request) + LENGTH(saml_response) \
         + LENGTH(details)), 0) AS BIGINT) FROM signin_logs",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    let pending: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(LENGTH(payload)), 0) AS BIGINT) FROM pending_requests",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pending_requests")
        .fetch_one(store.pool())
        .await
        .unwrap();
    (log, pending, n)
}

async fn signin_rows(store: &Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM signin_logs")
        .fetch_one(store.pool())
        .await
        .unwrap()
}

/// Waits until the sign-in log writer has written `n` rows (it writes every 100 ms).
async fn wait_rows(store: &Store, n: i64) {
    for _ in 0..100 {
        if signin_rows(store).await >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{} sign-in rows, {n} expected", signin_rows(store).await);
}

/// The server's resident memory, KiB (Linux).
fn rss_kib(s: &Server) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", s.pid()?)).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// An AuthnRequest from `issuer` with a 250,000-character text node.
fn padded_request(s: &Server, id: &str, issuer: &str) -> String {
    format!(
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{id}\" Version=\"2.0\" \
         IssueInstant=\"{}\" Destination=\"{}\" \
         AssertionConsumerServiceURL=\"{}\"><saml:Issuer>{issuer}</saml:Issuer>\
         <samlp:Extensions><x>{}</x></samlp:Extensions></samlp:AuthnRequest>",
        sesame_saml::time::Timestamp::from(std::time::SystemTime::now()).to_xs_datetime(),
        s.login_url(),
        crate::common::SP_ACS,
        "A".repeat(250_000)
    )
}

fn redirect_url_of(s: &Server, xml: &str) -> String {
    let q = sesame_saml::bindings::redirect::encode_query(
        sesame_saml::bindings::MessageKind::Request,
        xml,
        None,
        None,
    )
    .unwrap();
    sesame_saml::bindings::redirect::redirect_url(&s.login_url(), &q)
}

/// An anonymous flood of oversized messages — (a) 100 Redirect requests from an unknown
/// Issuer, (b) 50 for a known application without a session, (c) 20 POST-binding
/// messages of 250,000 bytes and 20 small ones from an unknown Issuer — keeps at most a
/// few KiB per request (before: 64 KiB per sign-in log row in (a), a 250 KB pending
/// request in (b) and (c)), and the server's memory stays bounded.
#[tokio::test(flavor = "multi_thread")]
async fn anonymous_flood_keeps_little() {
    let s = Server::start_env(&[("SESAME_SSO_RATE_LIMIT", "off")]);
    s.add_sp(&[]);
    let store = Store::open(&s.database_url(), 2).await.unwrap();
    let b = crate::common::browser_no_redirect();
    let rows0 = signin_rows(&store).await;
    let (log0, pending0, _) = kept(&store).await;

    // (a) An unknown Issuer.
    for i in 0..100 {
        let xml = padded_request(&s, &format!("_a{i}"), "https://nobody.example.test/");
        let r = b.get(redirect_url_of(&s, &xml)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 400);
    }
    wait_rows(&store, rows0 + 100).await;
    let (log_a, pending_a, _) = kept(&store).await;
    let per_row_a = (log_a - log0) / 100;
    eprintln!("(a) sign-in log: {} bytes per request", per_row_a);
    assert!(per_row_a < 3 * 1024, "{per_row_a} bytes per row");
    assert_eq!(pending_a, pending0);

    // (b) The known application, no session: the request is too large to keep.
    for i in 0..50 {
        let xml = padded_request(&s, &format!("_b{i}"), crate::common::SP_ENTITY);
        let r = b.get(redirect_url_of(&s, &xml)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 413);
        assert_eq!(r.headers()["x-sesame-error"], "SESAME900040");
    }
    wait_rows(&store, rows0 + 150).await;
    let (log_b, pending_b, n_b) = kept(&store).await;
    eprintln!(
        "(b) pending: {} bytes in {n_b} rows; sign-in log: {} bytes per request",
        pending_b - pending0,
        (log_b - log_a) / 50
    );
    assert_eq!(pending_b, pending0, "no pending request kept");
    assert!((log_b - log_a) / 50 < 3 * 1024);

    // (c) POST-binding: a large body, and small ones from an unknown Issuer.
    use base64::Engine as _;
    let b64 = |x: &str| base64::engine::general_purpose::STANDARD.encode(x);
    for i in 0..20 {
        let big = format!("<r>{}</r>", "B".repeat(250_000));
        let r = b
            .post(s.login_url())
            .form(&[("SAMLRequest", b64(&big))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 413, "{i}");
        assert_eq!(r.headers()["x-sesame-error"], "SESAME900040");
        let small = format!(
            "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
             xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_c{i}\" Version=\"2.0\" \
             IssueInstant=\"2026-01-01T00:00:00Z\"><saml:Issuer>https://nobody.example.test/</saml:Issuer>\
             </samlp:AuthnRequest>"
        );
        let r = b
            .post(s.login_url())
            .form(&[("SAMLRequest", b64(&small))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{i}");
        assert_eq!(r.headers()["x-sesame-error"], "SESAME700016");
    }
    wait_rows(&store, rows0 + 190).await;
    let (log_c, pending_c, n_c) = kept(&store).await;
    eprintln!(
        "(c) pending: {} bytes in {n_c} rows; sign-in log: {} bytes per request",
        pending_c - pending0,
        (log_c - log_b) / 40
    );
    assert_eq!(pending_c, pending0, "no pending request kept");
    assert!((log_c - log_b) / 40 < 3 * 1024);
    let total = (log_c - log0) + (pending_c - pending0);
    eprintln!("flood of 210 requests: {total} bytes kept in all");
    assert!(total < 600 * 1024, "{total}");
    if let Some(rss) = rss_kib(&s) {
        eprintln!("server RSS after the flood: {} MiB", rss / 1024);
        assert!(rss < 256 * 1024, "RSS {rss} KiB");
    }
    // A well-formed POST from the known application is still kept and continued.
    let req = crate::common::authn_request(&s, "_c_ok");
    let r = b
        .post(s.login_url())
        .form(&[("SAMLRequest", b64(&req.to_xml()))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(kept(&store).await.2, n_c + 1);
}

/// Over the per-address limit, the SAML endpoint and the sign-in page answer 429 with
/// Retry-After and SESAME900041, and keep nothing for the request. (The limit is 1 per
/// second with bursts of 5: however slow the machine, at most 5 + the seconds elapsed
/// pass before the first 429.)
#[tokio::test(flavor = "multi_thread")]
async fn saml_endpoint_and_login_page_are_rate_limited() {
    let s = Server::start_env(&[("SESAME_SSO_RATE_LIMIT", "1/5")]);
    let store = Store::open(&s.database_url(), 2).await.unwrap();
    let b = crate::common::browser_no_redirect();
    let login = format!("{}/{}/login", s.base, s.tenant);
    let t0 = std::time::Instant::now();
    let mut passed = 0u64;
    let refused = loop {
        let r = b.get(&login).send().await.unwrap();
        if r.status().as_u16() == 429 {
            break r;
        }
        assert_eq!(r.status().as_u16(), 200);
        passed += 1;
        assert!(passed < 100, "no 429 after {passed} requests");
    };
    let elapsed = t0.elapsed().as_secs();
    assert!(
        (5..=6 + elapsed).contains(&passed),
        "{passed} passed in {elapsed} s"
    );
    assert_eq!(refused.headers()["x-sesame-error"], "SESAME900041");
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=5).contains(&wait), "{wait}");
    // The SAML endpoint shares the address's budget; a refused request writes no
    // sign-in log row (an accepted one, a malformed message, writes one).
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let rows0 = signin_rows(&store).await;
    let mut accepted = 0;
    let mut limited = false;
    for _ in 0..20 {
        let r = b
            .get(format!("{}?SAMLRequest=x", s.login_url()))
            .send()
            .await
            .unwrap();
        if r.status().as_u16() == 429 {
            assert_eq!(r.headers()["x-sesame-error"], "SESAME900041");
            limited = true;
        } else {
            accepted += 1;
        }
    }
    assert!(limited);
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(signin_rows(&store).await, rows0 + accepted);
    // The rest of the server is not limited.
    let r = b.get(format!("{}/healthz", s.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

/// `sesame app set APP --capture-messages 1h` captures the application's messages for an
/// hour; `off` stops; longer than 7 days is refused. The portal's sign-in detail says how.
#[tokio::test(flavor = "multi_thread")]
async fn capture_messages_switch() {
    let s = Server::start_env(&[("SESAME_SSO_RATE_LIMIT", "off")]);
    let app = s.add_sp(&[]);
    let store = Store::open(&s.database_url(), 2).await.unwrap();
    let before = sesame::tenant::now_unix() * 1000;
    let out = s.cli_ok(&["app", "set", &app, "--capture-messages", "1h"]);
    assert!(out.contains("keeps the SAML messages"), "{out}");
    let until = store.capture_until(&app).await.unwrap().unwrap();
    assert!(
        (before + 3_600_000..=before + 3_660_000).contains(&until),
        "{until} {before}"
    );
    let refused = s.cli(&["app", "set", &app, "--capture-messages", "9d"]);
    assert!(!refused.status.success());
    s.cli_ok(&["app", "set", &app, "--capture-messages", "off"]);
    assert_eq!(store.capture_until(&app).await.unwrap(), None);
    // The detail page of a sign-in tells the administrator.
    store.signins_insert(&[row(9999, "success")]).await.unwrap();
    let b = crate::common::admin(&s).await;
    let (status, _, html) = crate::common::page(&b, &s, "/admin/signins/row-9999").await;
    assert_eq!(status, 200);
    assert!(html.contains("--capture-messages 1h"), "{html}");
}

/// One address keeps at most 200 pending requests (sign-ins waiting for the password);
/// the next is refused with 429 SESAME900041 and stores nothing.
#[tokio::test(flavor = "multi_thread")]
async fn pending_requests_per_address_are_capped() {
    let s = Server::start_env(&[("SESAME_SSO_RATE_LIMIT", "off")]);
    s.add_sp(&[]);
    let store = Store::open(&s.database_url(), 2).await.unwrap();
    let b = crate::common::browser_no_redirect();
    let (_, _, n0) = kept(&store).await;
    let mut waiting = 0;
    let mut refused = None;
    for i in 0..230 {
        let req = crate::common::authn_request(&s, &format!("_p{i}"));
        let r = b
            .get(crate::common::redirect_request(&s, &req, None, None))
            .send()
            .await
            .unwrap();
        match r.status().as_u16() {
            303 => waiting += 1,
            429 => {
                assert_eq!(r.headers()["x-sesame-error"], "SESAME900041");
                refused.get_or_insert(i);
            }
            other => panic!("{i}: {other}"),
        }
    }
    assert_eq!(n0 + waiting, 200, "{waiting} kept");
    assert_eq!(refused, Some(200 - n0));
    assert_eq!(kept(&store).await.2, 200);
}
