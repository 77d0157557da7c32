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
