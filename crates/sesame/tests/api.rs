//! The REST API, black-box: the real binary on 127.0.0.1:0 with a temporary data dir (and
//! a PostgreSQL database of its own when SESAME_TEST_DATABASE_URL is set), API tokens made
//! with the CLI, the portal's session cookie for the CSRF checks.

use crate::common::{
    browser_pair, submit_login, Server, ADMIN_PASSWORD, ADMIN_UPN, DEMO_PASSWORD, DEMO_UPN,
};
use reqwest::cookie::CookieStore as _;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;

const CONVENE_ENTITY: &str = "https://portal.convene.me.uk/saml";
const CONVENE_ACS: &str = "https://portal.convene.me.uk/saml/acs/4f9c2e1a";

/// Creates a token with the CLI; returns its secret.
fn token(s: &Server, name: &str, extra: &[&str]) -> String {
    let mut args = vec!["token", "create", "--name", name];
    args.extend_from_slice(extra);
    let secret = s.cli_ok(&args).trim().to_owned();
    assert!(secret.starts_with("sesame_"), "{secret}");
    secret
}

struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a problem details body with `status` and `code`; returns it.
    fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert!(
            self.content_type().starts_with("application/problem+json"),
            "{} {}",
            self.content_type(),
            self.body
        );
        let p = self.json();
        assert_eq!(p["status"], status, "{p}");
        assert_eq!(p["code"], code, "{p}");
        assert_eq!(p["type"], format!("urn:sesame:error:{code}"), "{p}");
        for k in ["title", "detail", "instance", "correlation_id"] {
            assert!(
                p[k].as_str().is_some_and(|v| !v.is_empty()),
                "{k} missing: {p}"
            );
        }
        let rid = self.headers.get("x-request-id").unwrap().to_str().unwrap();
        assert_eq!(p["correlation_id"], rid);
        p
    }
}

/// One API call with a bearer token (or none), a JSON body when given.
async fn call(
    s: &Server,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let c = Client::new();
    let mut r = c.request(method, format!("{}{path}", s.base));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.text().await.unwrap();
    Reply {
        status,
        headers,
        body,
    }
}

async fn ok(s: &Server, t: &str, method: Method, path: &str, body: Option<Value>) -> Value {
    let r = call(s, Some(t), method.clone(), path, body).await;
    assert!(
        r.status.is_success(),
        "{method} {path}: {} {}",
        r.status,
        r.body
    );
    if r.body.is_empty() {
        Value::Null
    } else {
        r.json()
    }
}

/// A signed-in browser session: the client (its cookie jar) and the session's CSRF token.
struct Session {
    client: Client,
    csrf: String,
}

async fn sign_in(s: &Server, upn: &str, pw: &str) -> Session {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = Client::builder()
        .cookie_provider(Arc::clone(&jar))
        .redirect(reqwest::redirect::Policy::limited(10))
        .build()
        .unwrap();
    let login = format!("{}/{}/login", s.base, s.tenant);
    let html = client
        .get(&login)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Without a pending request the login goes on to My Apps (whatever it answers, the
    // session cookie is set).
    submit_login(&client, &s.base, &html, upn, pw).await;
    let url = reqwest::Url::parse(&s.base).unwrap();
    let cookies = jar.cookies(&url).unwrap();
    let cookies = cookies.to_str().unwrap();
    let session = cookies
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == "sesame_session")
        .map(|(_, v)| v.to_owned())
        .unwrap_or_else(|| panic!("no session cookie after signing in as {upn}: {cookies}"));
    Session {
        client,
        csrf: sesame::web::auth::csrf_for(&session),
    }
}

async fn session_call(
    s: &Server,
    sess: &Session,
    method: Method,
    path: &str,
    csrf: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut r = sess.client.request(method, format!("{}{path}", s.base));
    if let Some(c) = csrf {
        r = r.header("x-csrf-token", c);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    Reply {
        status: resp.status(),
        headers: resp.headers().clone(),
        body: resp.text().await.unwrap(),
    }
}

#[tokio::test]
async fn token_lifecycle_by_the_cli() {
    let s = Server::start();
    // No credentials: 401 with a Bearer challenge.
    let r = call(&s, None, Method::GET, "/api/v1/users", None).await;
    r.problem(401, "SESAME910001");
    assert!(r
        .headers
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("Bearer"));

    let secret = token(&s, "ci-deploy", &[]);
    // Listed without the secret, by name, with its role and a 90-day expiry.
    let list = s.cli_ok(&["token", "list", "--json"]);
    assert!(!list.contains(&secret), "{list}");
    assert!(!list.contains("token_hash"), "{list}");
    let list: Value = serde_json::from_str(&list).unwrap();
    let t = &list[0];
    assert_eq!(t["name"], "ci-deploy");
    assert_eq!(t["role"], "Global Administrator");
    assert_eq!(t["status"], "active");
    let life = t["expires_at"].as_i64().unwrap() - t["created_at"].as_i64().unwrap();
    assert_eq!(life, 90 * 86_400);
    assert!(t["last_used_at"].is_null());

    // Used.
    let users = ok(&s, &secret, Method::GET, "/api/v1/users", None).await;
    assert!(users
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["upn"] == DEMO_UPN));
    // last_used_at is written off the request path.
    let mut used = false;
    for _ in 0..50 {
        let l: Value = serde_json::from_str(&s.cli_ok(&["token", "list", "--json"])).unwrap();
        if l[0]["last_used_at"].is_i64() {
            used = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(used, "last_used_at never written");
    // The API lists it too, without a secret.
    let api_list = call(&s, Some(&secret), Method::GET, "/api/v1/tokens", None).await;
    assert!(!api_list.body.contains(&secret));
    assert_eq!(api_list.json()[0]["name"], "ci-deploy");

    // Unknown and malformed tokens.
    call(
        &s,
        Some("sesame_not-a-token"),
        Method::GET,
        "/api/v1/users",
        None,
    )
    .await
    .problem(401, "SESAME910007");
    let r = Client::new()
        .get(format!("{}/api/v1/users", s.base))
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Expired.
    let short = token(&s, "short", &["--expires", "1s"]);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let p = call(&s, Some(&short), Method::GET, "/api/v1/users", None)
        .await
        .problem(401, "SESAME910007");
    assert!(p["detail"].as_str().unwrap().contains("expired"), "{p}");

    // Bad --expires values are refused in one line.
    let out = s.cli(&["token", "create", "--name", "x", "--expires", "soon"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expires"));

    // Revoked (by name).
    s.cli_ok(&["token", "revoke", "ci-deploy"]);
    let p = call(&s, Some(&secret), Method::GET, "/api/v1/users", None)
        .await
        .problem(401, "SESAME910007");
    assert!(p["detail"].as_str().unwrap().contains("revoked"), "{p}");
    let l: Value = serde_json::from_str(&s.cli_ok(&["token", "list", "--json"])).unwrap();
    assert!(l
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == "ci-deploy" && t["status"] == "revoked"));

    // An Application Administrator token: apps yes, users writes/roles/tokens/settings/audit no.
    let app_admin = token(&s, "apps-only", &["--role", "Application Administrator"]);
    ok(&s, &app_admin, Method::GET, "/api/v1/apps", None).await;
    ok(&s, &app_admin, Method::GET, "/api/v1/users", None).await;
    for (m, p, b) in [
        (
            Method::POST,
            "/api/v1/users",
            Some(json!({"upn": "x@contoso.com"})),
        ),
        (Method::POST, "/api/v1/groups", Some(json!({"name": "X"}))),
        (Method::GET, "/api/v1/roles", None),
        (Method::GET, "/api/v1/tokens", None),
        (Method::GET, "/api/v1/settings", None),
        (Method::GET, "/api/v1/audit", None),
    ] {
        call(&s, Some(&app_admin), m, p, b)
            .await
            .problem(403, "SESAME910002");
    }

    // Token changes are audited, without secrets.
    let audit = s.cli_ok(&["audit", "--json", "--action", "token."]);
    assert!(audit.contains("token.create") && audit.contains("token.revoke"));
    assert!(!audit.contains(&secret) && !audit.contains(&short));
}

#[tokio::test]
async fn the_convene_seed_flow_by_api_is_audited() {
    let s = Server::start();
    let t = token(&s, "convene-admin", &[]);
    // The demo's B.Simon goes, and the seed creates B.Simon.
    let r = call(
        &s,
        Some(&t),
        Method::DELETE,
        &format!("/api/v1/users/{DEMO_UPN}"),
        None,
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let created = ok(
        &s,
        &t,
        Method::POST,
        "/api/v1/users",
        Some(json!({"upn": DEMO_UPN, "display_name": "B.Simon", "mail": "B.Simon@contoso.com"})),
    )
    .await;
    let password = created["password"].as_str().unwrap().to_owned();
    assert!(password.len() >= 12, "{created}");
    let user_id = created["user"]["id"].as_str().unwrap().to_owned();

    // Add Convene from the gallery with its Identifier and Reply URL.
    let gallery = ok(&s, &t, Method::GET, "/api/v1/gallery?search=convene", None).await;
    assert!(gallery
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["id"] == "convene"));
    let app = ok(
        &s,
        &t,
        Method::POST,
        "/api/v1/apps",
        Some(json!({
            "name": "Convene",
            "gallery_id": "convene",
            "saml": {
                "identifiers": [{"value": CONVENE_ENTITY}],
                "reply_urls": [{"url": CONVENE_ACS, "is_default": true}],
            }
        })),
    )
    .await;
    let id = app["id"].as_str().unwrap().to_owned();
    assert_eq!(app["gallery_id"], "convene");
    assert_eq!(app["saml"]["reply_urls"][0]["url"], CONVENE_ACS);
    assert_eq!(app["saml"]["identifiers"][0]["is_default"], true);
    assert_eq!(app["certificates"].as_array().unwrap().len(), 1);

    // A Reply URL that does not fit the template's pattern is refused with 422.
    call(
        &s,
        Some(&t),
        Method::PUT,
        &format!("/api/v1/apps/{id}/saml"),
        Some(json!({"reply_urls": [{"url": "https://evil.example.com/acs"}]})),
    )
    .await
    .problem(422, "SESAME910004");

    // NameID from user.mail.
    let n = ok(
        &s,
        &t,
        Method::PUT,
        &format!("/api/v1/apps/{id}/nameid"),
        Some(json!({"source": "user.mail", "format": "emailAddress"})),
    )
    .await;
    assert_eq!(n["source"], "user.mail");
    let n = ok(
        &s,
        &t,
        Method::GET,
        &format!("/api/v1/apps/{id}/nameid"),
        None,
    )
    .await;
    assert_eq!(n["source"], "user.mail");

    // Download the Base64 certificate, the raw one and the metadata.
    let pem = call(
        &s,
        Some(&t),
        Method::GET,
        &format!("/api/v1/apps/{id}/certificate.pem"),
        None,
    )
    .await;
    assert_eq!(pem.status, 200);
    assert!(
        pem.body.starts_with("-----BEGIN CERTIFICATE-----"),
        "{}",
        pem.body
    );
    assert_eq!(pem.content_type(), "application/x-pem-file");
    let der = Client::new()
        .get(format!("{}/api/v1/apps/{id}/certificate.cer", s.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(der.status(), 200);
    assert_eq!(der.bytes().await.unwrap()[0], 0x30);
    let md = call(
        &s,
        Some(&t),
        Method::GET,
        &format!("/api/v1/apps/{id}/federation-metadata.xml"),
        None,
    )
    .await;
    assert!(md.body.contains("EntityDescriptor"), "{}", md.body);

    // Assign B.Simon.
    let a = ok(
        &s,
        &t,
        Method::POST,
        &format!("/api/v1/apps/{id}/assignments"),
        Some(json!({"user": DEMO_UPN})),
    )
    .await;
    assert_eq!(a[0]["principal_id"], user_id.as_str());
    let apps = ok(
        &s,
        &t,
        Method::GET,
        &format!("/api/v1/users/{DEMO_UPN}/apps"),
        None,
    )
    .await;
    assert_eq!(apps[0]["id"], id.as_str());

    // The preview: NameID from user.mail, the vendor's check passes.
    let p = ok(
        &s,
        &t,
        Method::GET,
        &format!("/api/v1/apps/{id}/preview?user={DEMO_UPN}"),
        None,
    )
    .await;
    assert_eq!(p["name_id"], "B.Simon@contoso.com", "{p}");
    assert_eq!(p["problems"], 0, "{p}");
    assert!(p["assertion_xml"].as_str().unwrap().contains("Assertion"));

    // The audit log holds each change with the token's name, and no secrets.
    let audit = ok(&s, &t, Method::GET, "/api/v1/audit?limit=100", None).await;
    let rows = audit.as_array().unwrap();
    for action in [
        "user.delete",
        "user.create",
        "app.create",
        "app.nameid.update",
        "app.assign",
    ] {
        let row = rows
            .iter()
            .find(|r| r["action"] == action)
            .unwrap_or_else(|| panic!("no {action} in {audit}"));
        assert_eq!(row["actor"], "convene-admin", "{row}");
        assert_eq!(row["actor_kind"], "token", "{row}");
        assert!(!row["correlation_id"].as_str().unwrap().is_empty(), "{row}");
    }
    let text = audit.to_string();
    assert!(
        !text.contains(&password),
        "the password is in the audit log"
    );
    assert!(!text.contains(&t), "the token is in the audit log");
    assert!(
        !text.contains("$argon2"),
        "a password hash is in the audit log"
    );
    // Filters.
    let only = ok(
        &s,
        &t,
        Method::GET,
        "/api/v1/audit?action=app.&since=1h",
        None,
    )
    .await;
    assert!(only
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["action"].as_str().unwrap().starts_with("app.")));

    // B.Simon signs in with the password the API returned.
    let sess = sign_in(&s, DEMO_UPN, &password).await;
    drop(sess);
}

#[tokio::test]
async fn crud_of_every_resource() {
    let s = Server::start();
    let t = token(&s, "crud", &[]);
    // Users.
    let u = ok(
        &s,
        &t,
        Method::POST,
        "/api/v1/users",
        Some(
            json!({"upn": "ann@contoso.com", "password": "Correct-Horse-42", "given_name": "Ann"}),
        ),
    )
    .await;
    assert!(u["password"].is_null());
    let uid = u["user"]["id"].as_str().unwrap().to_owned();
    let found = ok(&s, &t, Method::GET, "/api/v1/users?search=ann", None).await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    let got = ok(&s, &t, Method::GET, &format!("/api/v1/users/{uid}"), None).await;
    assert_eq!(got["given_name"], "Ann");
    let upd = ok(
        &s,
        &t,
        Method::PATCH,
        "/api/v1/users/ann@contoso.com",
        Some(json!({"department": "Sales", "extension_attributes": {"extensionattribute1": "x"}})),
    )
    .await;
    assert_eq!(upd["department"], "Sales");
    assert_eq!(upd["extension_attributes"]["extensionattribute1"], "x");
    let d = ok(
        &s,
        &t,
        Method::POST,
        &format!("/api/v1/users/{uid}/disable"),
        None,
    )
    .await;
    assert_eq!(d["enabled"], false);
    let e = ok(
        &s,
        &t,
        Method::POST,
        &format!("/api/v1/users/{uid}/enable"),
        None,
    )
    .await;
    assert_eq!(e["enabled"], true);
    let pw = ok(
        &s,
        &t,
        Method::POST,
        &format!("/api/v1/users/{uid}/password"),
        Some(json!({})),
    )
    .await;
    assert!(pw["password"].as_str().unwrap().len() >= 12);
    call(
        &s,
        Some(&t),
        Method::POST,
        &format!("/api/v1/users/{uid}/password"),
        Some(json!({"password": "short"})),
    )
    .await
    .problem(422, "SESAME910004");

    // Groups and members (nested).
    let g = ok(
        &s,
        &t,
        Method::POST,
        "/api/v1/groups",
        Some(json!({"name": "Sales", "description": "d"})),
    )
    .await;
    let gid = g["id"].as_str().unwrap().to_owned();
    let g2 = ok(
        &s,
        &t,
        Method::POST,
        "/api/v1/groups",
        Some(json!({"name": "EMEA"})),
    )
    .await;
    let m = ok(
        &s,
        &t,
        Method::POST,
        &format!("/api/v1/groups/{gid}/members"),
        Some(json!({"user": "ann@contoso.com"})),
    )
    .await;
    assert_eq!(m["users"][0]["upn"], "ann@contoso.com");
    ok(
        &s,
        &t,
        Method::POST,
        "/api/v1/groups/EMEA/members",
        Some(json!({"group": "Sales"})),
    )
    .await;
    // A cycle is a conflict.
    call(
        &s,
        Some(&t),
        Method::POST,
        &format!("/api/v1/groups/{gid}/members"),
        Some(json!({"group": "EMEA"})),
    )
    .await
    .problem(409, "SESAME910006");
    let ug = ok(
        &s,
        &t,
        Method::GET,
        &format!("/api/v1/users/{uid}/groups"),
        None,
    )
    .await;
    assert_eq!(ug.as_array().unwrap().len(), 2, "{ug}");
    let renamed = ok(
        &s,
        &t,
        Method::PATCH,
        "/api/v1/groups/Sales",
        Some(json!({"name": "Sales EU"})),
    )
    .await;
    assert_eq!(renamed["name"], "Sales EU");
    ok(&s, &t, Method::GET, "/api/v1/groups?search=eu", None).await;
    let m = ok(
        &s,
        &t,
        Method::DELETE,
        &format!("/api/v1/groups/{gid}/members/{uid}"),
        None,
    )
    .await;
    assert!(m["users"].as_array().unwrap().is_empty());
    assert_eq!(
        call(
            &s,
            Some(&t),
            Method::DELETE,
            &format!("/api/v1/groups/{}", g2["id"].as_str().unwrap()),
            None
        )
        .await
        .status,
        204
    );

    // A custom app: properties, Basic SAML Configuration, metadata, claims, certificates,
    // roles and assignments.
    let app = ok(
        &s,
        &t,
        Method::POST,
        "/api/v1/apps",
        Some(json!({"name": "Custom", "saml": {
            "identifiers": [{"value": "https://sp.example.com/a"}, {"value": "https://sp.example.com/b", "is_default": true}],
            "reply_urls": [{"url": "https://sp.example.com/acs", "index": 1}],
            "sign_on_url": "https://sp.example.com/login",
            "relay_state": "/home"
        }})),
    )
    .await;
    let id = app["id"].as_str().unwrap().to_owned();
    assert_eq!(app["saml"]["identifiers"][1]["is_default"], true);
    assert_eq!(app["saml"]["reply_urls"][0]["index"], 1);
    let p = ok(
        &s,
        &t,
        Method::PATCH,
        &format!("/api/v1/apps/{id}"),
        Some(json!({"visible": false, "notes": "n"})),
    )
    .await;
    assert_eq!(p["visible"], false);
    let saml = ok(
        &s,
        &t,
        Method::PUT,
        &format!("/api/v1/apps/{id}/saml"),
        Some(json!({"logout_url": "https://sp.example.com/logout", "sign_on_url": ""})),
    )
    .await;
    assert_eq!(saml["logout_url"], "https://sp.example.com/logout");
    assert!(saml["sign_on_url"].is_null());
    let saml = ok(
        &s,
        &t,
        Method::GET,
        &format!("/api/v1/apps/{id}/saml"),
        None,
    )
    .await;
    assert_eq!(saml["relay_state"], "/home");
    let metadata = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://webex.example.com/sp">
<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://webex.example.com/acs" index="0" isDefault="true"/>
</md:SPSSODescriptor></md:EntityDescriptor>"#;
    let r = Client::new()
        .post(format!("{}/api/v1/apps/{id}/saml/metadata", s.base))
        .bearer_auth(&t)
        .header("content-type", "application/xml")
        .body(metadata)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let applied: Value = r.json().await.unwrap();
    assert_eq!(applied["entity_id"], "https://webex.example.com/sp");
    assert!(applied["saml"]["reply_urls"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["url"] == "https://webex.example.com/acs"));
    let r = Client::new()
        .post(format!("{}/api/v1/apps/{id}/saml/metadata", s.base))
        .bearer_auth(&t)
        .body("<not-metadata/>")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let c = ok(
        &s,
        &t,
        Method::PUT,
        &format!("/api/v1/apps/{id}/claims"),
        Some(json!({"name": "department", "namespace": "", "source": "user.department"})),
    )
    .await;
    assert_eq!(c["full_name"], "department");
    let claims = ok(
        &s,
        &t,
        Method::GET,
        &format!("/api/v1/apps/{id}/claims"),
        None,
    )
    .await;
    assert!(claims
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "department"));
    call(
        &s,
        Some(&t),
        Method::PUT,
        &format!("/api/v1/apps/{id}/claims"),
        Some(json!({"name": "x", "source": "user.nope"})),
    )
    .await
    .problem(422, "SESAME910004");
    let left = ok(
        &s,
        &t,
        Method::DELETE,
        &format!("/api/v1/apps/{id}/claims?name=department"),
        None,
    )
    .await;
    assert!(!left
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "department"));
    let gc = ok(
        &s,
        &t,
        Method::PUT,
        &format!("/api/v1/apps/{id}/group-claims"),
        Some(json!({"enabled": true, "scope": "all", "emit": "name"})),
    )
    .await;
    assert_eq!(gc["emit"], "name");
    let gc = ok(
        &s,
        &t,
        Method::GET,
        &format!("/api/v1/apps/{id}/group-claims"),
        None,
    )
    .await;
    assert_eq!(gc["enabled"], true);
    let newc = ok(
        &s,
        &t,
        Method::POST,
        &format!("/api/v1/apps/{id}/certificates"),
        None,
    )
    .await;
    assert_eq!(newc["active"], false);
    let thumb = newc["thumbprint"].as_str().unwrap().to_owned();
    let old = ok(
        &s,
        &t,
        Method::GET,
        &format!("/api/v1/apps/{id}/certificates"),
        None,
    )
    .await;
    let old_thumb = old
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["active"] == true)
        .unwrap()["thumbprint"]
        .as_str()
        .unwrap()
        .to_owned();
    call(
        &s,
        Some(&t),
        Method::DELETE,
        &format!("/api/v1/apps/{id}/certificates/{old_thumb}"),
        None,
    )
    .await
    .problem(409, "SESAME910006");
    let act = ok(
        &s,
        &t,
        Method::POST,
        &format!("/api/v1/apps/{id}/certificates/{thumb}/activate"),
        None,
    )
    .await;
    assert_eq!(act["active"], true);
    let r = call(
        &s,
        Some(&t),
        Method::DELETE,
        &format!("/api/v1/apps/{id}/certificates/{old_thumb}"),
        None,
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let roles = ok(
        &s,
        &t,
        Method::POST,
        &format!("/api/v1/apps/{id}/roles"),
        Some(json!({"role": "Reader"})),
    )
    .await;
    assert_eq!(roles, json!(["Reader"]));
    ok(
        &s,
        &t,
        Method::POST,
        &format!("/api/v1/apps/{id}/assignments"),
        Some(json!({"user": uid, "role": "Reader"})),
    )
    .await;
    ok(
        &s,
        &t,
        Method::POST,
        &format!("/api/v1/apps/{id}/assignments"),
        Some(json!({"group": "Sales EU"})),
    )
    .await;
    let a = ok(
        &s,
        &t,
        Method::GET,
        &format!("/api/v1/apps/{id}/assignments"),
        None,
    )
    .await;
    assert_eq!(a.as_array().unwrap().len(), 2);
    let a = ok(
        &s,
        &t,
        Method::DELETE,
        &format!("/api/v1/apps/{id}/assignments/ann@contoso.com?role=Reader"),
        None,
    )
    .await;
    assert_eq!(a.as_array().unwrap().len(), 1);
    ok(
        &s,
        &t,
        Method::DELETE,
        &format!("/api/v1/apps/{id}/roles/Reader"),
        None,
    )
    .await;
    let all = ok(&s, &t, Method::GET, "/api/v1/apps?search=cust", None).await;
    assert_eq!(all.as_array().unwrap().len(), 1);

    // Gallery.
    let cat = ok(
        &s,
        &t,
        Method::GET,
        "/api/v1/gallery?category=Collaboration",
        None,
    )
    .await;
    for g in cat.as_array().unwrap() {
        assert!(g["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "Collaboration"));
    }
    let card = ok(&s, &t, Method::GET, "/api/v1/gallery/convene", None).await;
    assert_eq!(card["name"], "Convene");
    call(&s, Some(&t), Method::GET, "/api/v1/gallery/nope", None)
        .await
        .problem(404, "SESAME910005");

    // Roles.
    let r = ok(
        &s,
        &t,
        Method::POST,
        "/api/v1/roles",
        Some(json!({"upn": "ann@contoso.com", "role": "Application Administrator"})),
    )
    .await;
    assert!(r
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["upn"] == "ann@contoso.com"));
    let r = ok(
        &s,
        &t,
        Method::DELETE,
        "/api/v1/roles/Application%20Administrator/ann@contoso.com",
        None,
    )
    .await;
    assert!(!r
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["upn"] == "ann@contoso.com"));
    call(
        &s,
        Some(&t),
        Method::DELETE,
        &format!("/api/v1/roles/Global%20Administrator/{ADMIN_UPN}"),
        None,
    )
    .await
    .problem(409, "SESAME910006");
    call(
        &s,
        Some(&t),
        Method::POST,
        "/api/v1/roles",
        Some(json!({"upn": "ann@contoso.com", "role": "root"})),
    )
    .await
    .problem(422, "SESAME910004");

    // Tokens by API.
    let nt = call(
        &s,
        Some(&t),
        Method::POST,
        "/api/v1/tokens",
        Some(json!({"name": "api-made", "expires": "30d"})),
    )
    .await;
    assert_eq!(nt.status, 201, "{}", nt.body);
    let nt = nt.json();
    let secret = nt["secret"].as_str().unwrap().to_owned();
    ok(&s, &secret, Method::GET, "/api/v1/apps", None).await;
    let rv = ok(
        &s,
        &t,
        Method::DELETE,
        &format!("/api/v1/tokens/{}", nt["token"]["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(rv["status"], "revoked");
    call(&s, Some(&secret), Method::GET, "/api/v1/apps", None)
        .await
        .problem(401, "SESAME910007");

    // Settings.
    let st = ok(&s, &t, Method::GET, "/api/v1/settings", None).await;
    assert_eq!(st["signin_log_retention_days"], 30);
    let st = ok(
        &s,
        &t,
        Method::PUT,
        "/api/v1/settings",
        Some(json!({"signin_log_retention_days": 7})),
    )
    .await;
    assert_eq!(st["signin_log_retention_days"], 7);
    call(
        &s,
        Some(&t),
        Method::PUT,
        "/api/v1/settings",
        Some(json!({"signin_log_retention_days": 0})),
    )
    .await
    .problem(422, "SESAME910004");

    // Sign-in logs: a failed sign-in, then its details.
    let (b, _) = browser_pair();
    let login = format!("{}/{}/login", s.base, s.tenant);
    let html = b.get(&login).send().await.unwrap().text().await.unwrap();
    submit_login(&b, &s.base, &html, DEMO_UPN, "wrong-password").await;
    let mut rows = Value::Null;
    for _ in 0..50 {
        rows = ok(
            &s,
            &t,
            Method::GET,
            &format!("/api/v1/signins?user={DEMO_UPN}&status=failure&since=1h"),
            None,
        )
        .await;
        if !rows.as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let row = &rows[0];
    assert_ne!(row["result"], "success");
    let det = ok(
        &s,
        &t,
        Method::GET,
        &format!("/api/v1/signins/{}", row["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(det["error_code"], row["error_code"]);
    assert!(det["error_fix"].is_string(), "{det}");
    call(&s, Some(&t), Method::GET, "/api/v1/signins/nope", None)
        .await
        .problem(404, "SESAME910005");
    call(
        &s,
        Some(&t),
        Method::GET,
        "/api/v1/signins?since=yesterday",
        None,
    )
    .await
    .problem(422, "SESAME910004");

    // Deletes.
    assert_eq!(
        call(
            &s,
            Some(&t),
            Method::DELETE,
            &format!("/api/v1/apps/{id}"),
            None
        )
        .await
        .status,
        204
    );
    call(
        &s,
        Some(&t),
        Method::GET,
        &format!("/api/v1/apps/{id}"),
        None,
    )
    .await
    .problem(404, "SESAME910005");
    assert_eq!(
        call(
            &s,
            Some(&t),
            Method::DELETE,
            &format!("/api/v1/groups/{gid}"),
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(
        call(
            &s,
            Some(&t),
            Method::DELETE,
            &format!("/api/v1/users/{uid}"),
            None
        )
        .await
        .status,
        204
    );
    call(
        &s,
        Some(&t),
        Method::GET,
        &format!("/api/v1/users/{uid}"),
        None,
    )
    .await
    .problem(404, "SESAME910005");
}

#[tokio::test]
async fn problem_details_for_bad_input() {
    let s = Server::start();
    let t = token(&s, "p", &[]);
    let raw = |body: &'static str, ct: Option<&'static str>| {
        let mut r = Client::new()
            .post(format!("{}/api/v1/users", s.base))
            .bearer_auth(&t)
            .body(body);
        if let Some(c) = ct {
            r = r.header("content-type", c);
        }
        r
    };
    // 400: JSON syntax.
    let r = raw("{\"upn\":", Some("application/json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["code"], "SESAME910004");
    // 415: not JSON.
    let r = raw("upn=x", Some("application/x-www-form-urlencoded"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // 422: the wrong shape, an unknown field, an invalid UPN.
    for body in [
        json!({"upn": 5}),
        json!({"upn": "a@b.c", "root": true}),
        json!({"upn": "not a upn"}),
    ] {
        call(&s, Some(&t), Method::POST, "/api/v1/users", Some(body))
            .await
            .problem(422, "SESAME910004");
    }
    // 400: a bad query parameter.
    call(&s, Some(&t), Method::GET, "/api/v1/signins?limit=abc", None)
        .await
        .problem(400, "SESAME910004");
    call(&s, Some(&t), Method::GET, "/api/v1/audit?limit=0", None)
        .await
        .problem(422, "SESAME910004");
    // 409: already exists.
    let p = call(
        &s,
        Some(&t),
        Method::POST,
        "/api/v1/users",
        Some(json!({"upn": DEMO_UPN})),
    )
    .await
    .problem(409, "SESAME910006");
    assert!(p["detail"].as_str().unwrap().contains(DEMO_UPN), "{p}");
    // 404: unknown ids and paths; 405: a method the path does not take.
    let p = call(
        &s,
        Some(&t),
        Method::GET,
        "/api/v1/apps/00000000-0000-0000-0000-000000000000",
        None,
    )
    .await
    .problem(404, "SESAME910005");
    assert_eq!(
        p["instance"],
        "/api/v1/apps/00000000-0000-0000-0000-000000000000"
    );
    call(&s, Some(&t), Method::GET, "/api/v1/nothing/here", None)
        .await
        .problem(404, "SESAME910005");
    let r = call(&s, Some(&t), Method::PUT, "/api/v1/users", None).await;
    r.problem(405, "SESAME910004");
    assert!(r.headers.contains_key("allow"));
    // 401, 403.
    call(&s, None, Method::GET, "/api/v1/apps", None)
        .await
        .problem(401, "SESAME910001");
    let app_admin = token(&s, "apps", &["--role", "Application Administrator"]);
    call(
        &s,
        Some(&app_admin),
        Method::DELETE,
        &format!("/api/v1/users/{DEMO_UPN}"),
        None,
    )
    .await
    .problem(403, "SESAME910002");
    // 413: a body over 512 KiB.
    let big = "x".repeat(600 * 1024);
    let r = Client::new()
        .post(format!("{}/api/v1/groups", s.base))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body(format!("{{\"name\":\"{big}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

/// A concrete path for an OpenAPI path template.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                out.push('x');
            }
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

#[tokio::test]
async fn every_route_refuses_missing_credentials_csrf_and_non_administrators() {
    let s = Server::start();
    let doc: Value = Client::new()
        .get(format!("{}/api/openapi.json", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    let admin = sign_in(&s, ADMIN_UPN, ADMIN_PASSWORD).await;
    let member = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    // The admin's session works with its CSRF token (a read, then a change).
    let r = session_call(&s, &admin, Method::GET, "/api/v1/users", None, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = session_call(
        &s,
        &admin,
        Method::POST,
        "/api/v1/groups",
        Some(&admin.csrf),
        Some(json!({"name": "ByCookie"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);

    let mut changes = 0;
    let mut reads = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let p = concrete(path);
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            // Every operation documents its problem responses.
            for status in ["401", "403", "404", "422"] {
                assert!(
                    op["responses"][status].is_object(),
                    "{method} {path}: no {status}"
                );
            }
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = Some(json!({}));
            let what = format!("{method} {path}");
            let r = call(&s, None, m.clone(), &p, body.clone()).await;
            assert_eq!(r.status, 401, "{what}: {}", r.body);
            r.problem(401, "SESAME910001");
            if method == "get" {
                reads += 1;
                let r = session_call(&s, &member, m.clone(), &p, None, None).await;
                r.problem(403, "SESAME910002");
                continue;
            }
            changes += 1;
            let r = session_call(&s, &admin, m.clone(), &p, None, body.clone()).await;
            assert_eq!(r.status, 403, "{what} without CSRF: {}", r.body);
            r.problem(403, "SESAME910003");
            let r = session_call(&s, &admin, m.clone(), &p, Some("wrong"), body.clone()).await;
            r.problem(403, "SESAME910003");
            let r =
                session_call(&s, &member, m.clone(), &p, Some(&member.csrf), body.clone()).await;
            assert_eq!(r.status, 403, "{what} as a non-administrator: {}", r.body);
            r.problem(403, "SESAME910002");
        }
    }
    assert!(changes >= 30, "only {changes} state-changing routes");
    assert!(reads >= 20, "only {reads} read routes");
}

#[tokio::test]
async fn cli_changes_are_audited() {
    let s = Server::start();
    s.cli_ok(&[
        "user",
        "add",
        "--upn",
        "ann@contoso.com",
        "--password",
        "Correct-Horse-42",
    ]);
    s.cli_ok(&["group", "add", "Sales"]);
    s.cli_ok(&["group", "add-member", "Sales", "--user", "ann@contoso.com"]);
    let id = s
        .cli_ok(&[
            "app",
            "add",
            "--custom",
            "--name",
            "Cli App",
            "--identifier",
            "https://cli.example.com",
            "--reply-url",
            "https://cli.example.com/acs",
        ])
        .trim()
        .to_owned();
    s.cli_ok(&["app", "assign", &id, "--user", "ann@contoso.com"]);
    s.cli_ok(&["app", "claims", &id, "nameid", "--source", "user.mail"]);
    s.cli_ok(&["app", "cert", &id, "--new"]);
    s.cli_ok(&["user", "disable", "ann@contoso.com"]);
    s.cli_ok(&[
        "role",
        "assign",
        "ann@contoso.com",
        "Application Administrator",
    ]);
    let roles = s.cli_ok(&["role", "list"]);
    assert!(roles.contains("ann@contoso.com"), "{roles}");
    s.cli_ok(&[
        "role",
        "remove",
        "ann@contoso.com",
        "Application Administrator",
    ]);
    let rows: Value =
        serde_json::from_str(&s.cli_ok(&["audit", "--json", "--since", "1h"])).unwrap();
    let rows = rows.as_array().unwrap();
    for action in [
        "user.create",
        "group.create",
        "group.member.add",
        "app.create",
        "app.assign",
        "app.nameid.update",
        "app.cert.new",
        "user.disable",
        "role.assign",
        "role.remove",
    ] {
        let row = rows
            .iter()
            .find(|r| r["action"] == action)
            .unwrap_or_else(|| panic!("no {action} row"));
        assert_eq!(row["actor_kind"], "cli", "{row}");
    }
    let text = serde_json::to_string(rows).unwrap();
    assert!(!text.contains("Correct-Horse-42"));
    // The text form: one line a change.
    let out = s.cli_ok(&["audit", "--action", "user."]);
    assert!(out.lines().count() >= 2, "{out}");
    // The same log by API.
    let t = token(&s, "reader", &[]);
    let api = ok(&s, &t, Method::GET, "/api/v1/audit?actor_kind=cli", None).await;
    assert!(api.as_array().unwrap().len() >= 10);
}

#[tokio::test]
async fn a_json_array_is_not_an_object_body() {
    let s = Server::start();
    let t = token(&s, "arr", &[]);
    // serde would read `[null, null]` as a struct of options: the API refuses it.
    for (m, p) in [
        (Method::PATCH, format!("/api/v1/users/{DEMO_UPN}")),
        (Method::PUT, "/api/v1/settings".to_owned()),
    ] {
        call(&s, Some(&t), m, &p, Some(json!([null, null])))
            .await
            .problem(422, "SESAME910004");
    }
}

#[tokio::test]
async fn dates_are_accepted_for_expiry_and_since() {
    let s = Server::start();
    // An RFC 3339 date as --expires: the token ends then.
    let now = sesame::tenant::now_unix();
    let day = sesame_saml::time::Timestamp::from_unix_seconds(now + 365 * 86_400).to_xs_datetime();
    let day = &day[..10];
    let midnight = sesame_saml::time::Timestamp::parse_xs_datetime(&format!("{day}T00:00:00Z"))
        .unwrap()
        .unix_seconds();
    let secret = token(&s, "dated", &["--expires", day]);
    let l: Value = serde_json::from_str(&s.cli_ok(&["token", "list", "--json"])).unwrap();
    assert_eq!(l[0]["expires_at"], midnight);
    // since as a date-time: rows after it.
    let rows = ok(
        &s,
        &secret,
        Method::GET,
        "/api/v1/audit?since=2020-01-01T00:00:00Z",
        None,
    )
    .await;
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["action"] == "token.create"));
    let rows = ok(
        &s,
        &secret,
        Method::GET,
        "/api/v1/audit?since=2999-01-01",
        None,
    )
    .await;
    assert!(rows.as_array().unwrap().is_empty());
}

/// An application's Notification Email Addresses by the API: read in the application,
/// written with PATCH (validated as the portal does: a bad address is SESAME910004 and
/// changes nothing; audited); and a user's Require password change at next sign-in.
#[tokio::test(flavor = "multi_thread")]
async fn notification_addresses_and_password_change_required_by_api() {
    let s = Server::start();
    let t = token(&s, "notify-admin", &[]);
    let app = ok(
        &s,
        &t,
        Method::POST,
        "/api/v1/apps",
        Some(json!({"name": "Notify App"})),
    )
    .await;
    let id = app["id"].as_str().unwrap().to_owned();
    assert_eq!(app["notification_email_addresses"], json!([]), "{app}");
    let path = format!("/api/v1/apps/{id}");
    let r = call(
        &s,
        Some(&t),
        Method::PATCH,
        &path,
        Some(json!({"notification_email_addresses": ["ops@contoso.com", "not an address"]})),
    )
    .await;
    let p = r.problem(422, "SESAME910004");
    assert!(
        p["detail"].as_str().unwrap().contains("not an address"),
        "{p}"
    );
    let got = ok(&s, &t, Method::GET, &path, None).await;
    assert_eq!(got["notification_email_addresses"], json!([]));
    let changed = ok(
        &s,
        &t,
        Method::PATCH,
        &path,
        Some(json!({"notification_email_addresses": ["ops@contoso.com", "OPS@contoso.com", "security@contoso.com"]})),
    )
    .await;
    assert_eq!(
        changed["notification_email_addresses"],
        json!(["ops@contoso.com", "security@contoso.com"]),
        "{changed}"
    );
    let got = ok(&s, &t, Method::GET, &path, None).await;
    assert_eq!(
        got["notification_email_addresses"],
        changed["notification_email_addresses"]
    );
    let audit = s.cli_ok(&["audit", "--json"]);
    assert!(audit.contains("app.cert.update"), "{audit}");

    let user = format!("/api/v1/users/{DEMO_UPN}");
    let u = ok(&s, &t, Method::GET, &user, None).await;
    assert_eq!(u["password_change_required"], false);
    let u = ok(
        &s,
        &t,
        Method::PATCH,
        &user,
        Some(json!({"password_change_required": true})),
    )
    .await;
    assert_eq!(u["password_change_required"], true, "{u}");
    let audit = s.cli_ok(&["audit", "--json"]);
    assert!(audit.contains("user.password_change_required"), "{audit}");
}
