//! Conditional Access at the edges: the portal's New policy form, a policy's page to
//! edit it and Delete, New location and Delete (refused while a policy names it), with
//! CSRF, the access room's refusals shown above the form with their code and the form
//! kept, and 403 for anyone but a Global Administrator; and the REST API's
//! `/api/v1/conditional-access/…` (policies, named locations, What If) with its problem
//! details and roles.

use crate::common::*;
use reqwest::{Client, Method};
use serde_json::{json, Value};

const NEW_POLICY: &str = "/admin/conditional-access/policies/new";
const NEW_LOCATION: &str = "/admin/conditional-access/locations/new";

/// The policy `name` as `sesame policy show --json` gives it.
fn show(s: &Server, name: &str) -> Value {
    serde_json::from_str(&s.cli_ok(&["--json", "policy", "show", name])).unwrap()
}

fn policy_count(s: &Server) -> usize {
    let v: Value = serde_json::from_str(&s.cli_ok(&["--json", "policy", "list"])).unwrap();
    v.as_array().unwrap().len()
}

fn location_count(s: &Server) -> usize {
    let v: Value = serde_json::from_str(&s.cli_ok(&["--json", "location", "list"])).unwrap();
    v.as_array().unwrap().len()
}

/// The New policy form of `b`'s session.
async fn new_policy_form(b: &Client, s: &Server) -> Form {
    let (st, _, html) = page(b, s, NEW_POLICY).await;
    assert_eq!(st, 200, "{html}");
    post_form(&html, NEW_POLICY)
}

/// `form` with the checkbox `name` = `value` checked (besides those already checked).
fn check(mut form: Form, name: &str, value: &str) -> Form {
    form.fields.push((name.to_owned(), value.to_owned()));
    form
}

#[tokio::test]
async fn new_policy_form_creates_edits_and_deletes_a_policy() {
    let s = Server::start();
    let app = s.add_sp(&[]);
    s.cli_ok(&["group", "add", "Break glass"]);
    let b = admin(&s).await;
    let (st, _, html) = page(&b, &s, "/admin/conditional-access").await;
    assert_eq!(st, 200, "{html}");
    assert!(links(&html).iter().any(|l| l == NEW_POLICY), "{html}");

    // The form in Azure's words, Report-only by default.
    let form = new_policy_form(&b, &s).await;
    let (_, _, html) = page(&b, &s, NEW_POLICY).await;
    for words in [
        "Assignments",
        "Target resources",
        "Select applications",
        "Sesame admin portal",
        "Conditions",
        "Any location",
        "Block access",
        "Require multifactor authentication",
        "Require phishing-resistant MFA",
        "Sign-in frequency",
        "Every time",
        "Enable policy",
        "Report-only",
        "Test SP",
        "Break glass",
    ] {
        assert!(html.contains(words), "{words} missing:\n{html}");
    }
    assert_eq!(form.get("state"), Some("report-only"));
    assert!(form.get("csrf").is_some_and(|c| !c.is_empty()));

    // Create: MFA for one application, B.Simon only, every time, On.
    let form = check(form, "apps", &app)
        .set("name", "MFA for the test SP")
        .set("users_scope", "select")
        .set("users", DEMO_UPN)
        .set("target", "select")
        .set("grant", "mfa")
        .set("frequency", "every-time")
        .set("state", "on");
    let (st, url, html) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 200, "{html}");
    assert!(url.ends_with("/admin/conditional-access"), "{url}");
    assert!(
        html.contains("Policy MFA for the test SP created (On)."),
        "{html}"
    );
    let p = show(&s, "MFA for the test SP");
    assert_eq!(p["users"], json!([DEMO_UPN]), "{p}");
    assert_eq!(p["apps"], json!(["Test SP"]), "{p}");
    assert_eq!(p["grant"], "mfa");
    assert_eq!(p["state"], "on");
    assert_eq!(p["sign_in_frequency"], "every-time");
    let id = p["id"].as_str().unwrap().to_owned();

    // Its own page: the same form, filled in.
    let edit_path = format!("/admin/conditional-access/policies/{id}");
    assert!(links(&html).contains(&edit_path), "{html}");
    let (st, _, html) = page(&b, &s, &edit_path).await;
    assert_eq!(st, 200, "{html}");
    let form = post_form(&html, &edit_path);
    assert_eq!(form.get("name"), Some("MFA for the test SP"));
    assert_eq!(form.get("users_scope"), Some("select"));
    assert_eq!(form.get("users"), Some(DEMO_UPN));
    assert_eq!(form.get("target"), Some("select"));
    assert_eq!(form.get("apps"), Some(app.as_str()));
    assert_eq!(form.get("grant"), Some("mfa"));
    assert_eq!(form.get("frequency"), Some("every-time"));
    assert_eq!(form.get("state"), Some("on"));

    // Edit: 4 hours, Report-only, a new name; the rest as it was.
    let form = form
        .set("name", "MFA for Test SP")
        .set("frequency", "h")
        .set("frequency_value", "4")
        .set("state", "report-only");
    let (st, _, html) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 200, "{html}");
    assert!(
        html.contains("Policy MFA for Test SP saved (Report-only)."),
        "{html}"
    );
    let p = show(&s, &id);
    assert_eq!(p["name"], "MFA for Test SP");
    assert_eq!(p["sign_in_frequency"], "4h");
    assert_eq!(p["state"], "report-only");
    assert_eq!(p["apps"], json!(["Test SP"]), "{p}");

    // A refusal on the policy's page: the code above the form, the form as typed,
    // nothing saved.
    let (_, _, html) = page(&b, &s, &edit_path).await;
    let form = post_form(&html, &edit_path)
        .set("users", "nobody@contoso.com")
        .set("name", "Renamed, not saved");
    let (st, _, html) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 422, "{html}");
    assert!(html.contains("SESAME910004"), "{html}");
    assert!(html.contains("nobody@contoso.com"), "{html}");
    let again = post_form(&html, &edit_path);
    assert_eq!(again.get("name"), Some("Renamed, not saved"));
    assert_eq!(again.get("users"), Some("nobody@contoso.com"));
    assert_eq!(show(&s, &id)["name"], "MFA for Test SP");

    // Delete, behind a confirmation.
    let (_, _, html) = page(&b, &s, "/admin/conditional-access").await;
    let action = format!("/admin/conditional-access/policies/{id}/delete");
    let delete_tag = tags(&html, "form")
        .into_iter()
        .find(|t| attr(t, "action").as_deref() == Some(action.as_str()))
        .unwrap_or_else(|| panic!("no Delete form:\n{html}"));
    assert!(
        attr(delete_tag, "data-confirm").is_some_and(|c| c.contains("MFA for Test SP")),
        "{delete_tag}"
    );
    let (st, _, html) = submit(&b, &s.base, &post_form(&html, &action)).await;
    assert_eq!(st, 200, "{html}");
    assert!(html.contains("Policy MFA for Test SP deleted."), "{html}");
    assert_eq!(policy_count(&s), 0);

    let audit = s.cli_ok(&["audit"]);
    for a in [
        "access.policy.add",
        "access.policy.update",
        "access.policy.delete",
    ] {
        assert!(audit.contains(a), "{a} missing:\n{audit}");
    }
}

#[tokio::test]
async fn refusals_show_their_code_above_the_form_and_keep_it() {
    let s = Server::start();
    let b = admin(&s).await;

    // An unknown user: 422, the room's reason, the form as typed.
    let form = new_policy_form(&b, &s)
        .await
        .set("name", "Typed policy")
        .set("users_scope", "select")
        .set("users", "B.Simon@contoso.com\nnobody@contoso.com")
        .set("grant", "block");
    let (st, _, html) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 422, "{html}");
    assert!(html.contains("SESAME910004"), "{html}");
    assert!(
        html.contains("no user &#34;nobody@contoso.com&#34;"),
        "{html}"
    );
    let again = post_form(&html, NEW_POLICY);
    assert_eq!(again.get("name"), Some("Typed policy"));
    assert_eq!(
        again.get("users"),
        Some("B.Simon@contoso.com\nnobody@contoso.com")
    );
    assert_eq!(again.get("users_scope"), Some("select"));
    assert_eq!(again.get("grant"), Some("block"));

    // A sign-in frequency out of range.
    let form = new_policy_form(&b, &s)
        .await
        .set("name", "Too long")
        .set("frequency", "d")
        .set("frequency_value", "400");
    let (st, _, html) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 422, "{html}");
    assert!(
        html.contains("SESAME910004") && html.contains("400d"),
        "{html}"
    );

    // Select applications with none checked.
    let form = new_policy_form(&b, &s)
        .await
        .set("name", "No app")
        .set("target", "select");
    let (st, _, html) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 422, "{html}");
    assert!(html.contains("check at least one application"), "{html}");

    // "Don't lock yourself out": block everyone, On — refused with its explanation.
    let form = new_policy_form(&b, &s)
        .await
        .set("name", "Block everyone")
        .set("grant", "block")
        .set("state", "on");
    let (st, _, html) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 409, "{html}");
    let text = unescape(&html);
    assert!(
        text.contains("SESAME910006")
            && text.contains("lock yourself out")
            && text.contains("Exclude: groups in the portal"),
        "{html}"
    );
    assert_eq!(
        post_form(&html, NEW_POLICY).get("name"),
        Some("Block everyone")
    );

    // A form without this session's token changes nothing.
    let form = new_policy_form(&b, &s)
        .await
        .set("name", "Forged")
        .set("csrf", "forged");
    let (st, _, html) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 403, "{html}");
    assert!(html.contains("SESAME910003"), "{html}");

    // A duplicate name.
    s.cli_ok(&["policy", "add", "--name", "Taken", "--grant", "mfa"]);
    let form = new_policy_form(&b, &s).await.set("name", "taken");
    let (st, _, html) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 409, "{html}");
    assert!(html.contains("SESAME910006"), "{html}");
    assert_eq!(policy_count(&s), 1);
}

#[tokio::test]
async fn named_locations_are_added_and_deleted_unless_a_policy_names_them() {
    let s = Server::start();
    let b = admin(&s).await;
    let (_, _, html) = page(&b, &s, "/admin/conditional-access").await;
    assert!(links(&html).iter().any(|l| l == NEW_LOCATION), "{html}");
    let (st, _, html) = page(&b, &s, NEW_LOCATION).await;
    assert_eq!(st, 200, "{html}");
    assert!(html.contains("Mark as trusted location"), "{html}");
    let form = post_form(&html, NEW_LOCATION);

    // A range that does not parse: 422 with the code, the typed text kept.
    let bad = form
        .clone()
        .set("name", "Head office")
        .set("ranges", "203.0.113.0/24\n203.0.113.0/33");
    let (st, _, html) = submit(&b, &s.base, &bad).await;
    assert_eq!(st, 422, "{html}");
    assert!(
        html.contains("SESAME910004") && html.contains("203.0.113.0/33"),
        "{html}"
    );
    let again = post_form(&html, NEW_LOCATION);
    assert_eq!(again.get("name"), Some("Head office"));
    assert_eq!(again.get("ranges"), Some("203.0.113.0/24\n203.0.113.0/33"));
    assert_eq!(location_count(&s), 0);

    let good = form
        .set("name", "Head office")
        .set("ranges", "203.0.113.0/24\n2001:db8::/32")
        .set("trusted", "true");
    let (st, _, html) = submit(&b, &s.base, &good).await;
    assert_eq!(st, 200, "{html}");
    assert!(
        html.contains("Named location Head office created."),
        "{html}"
    );
    let list: Value = serde_json::from_str(&s.cli_ok(&["--json", "location", "list"])).unwrap();
    assert_eq!(
        list[0]["ranges"],
        json!(["203.0.113.0/24", "2001:db8::/32"])
    );
    assert_eq!(list[0]["trusted"], true);
    let id = list[0]["id"].as_str().unwrap().to_owned();

    // The policy form offers it.
    let (_, _, html) = page(&b, &s, NEW_POLICY).await;
    assert!(html.contains("Head office"), "{html}");
    let form = check(post_form(&html, NEW_POLICY), "exclude_locations", &id)
        .set("name", "MFA outside the office")
        .set("grant", "mfa");
    let (st, _, html) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 200, "{html}");
    assert_eq!(
        show(&s, "MFA outside the office")["exclude_locations"],
        json!(["Head office"])
    );

    // Delete refused while the policy names it, with the explanation.
    let action = format!("/admin/conditional-access/locations/{id}/delete");
    let (st, _, html) = submit(&b, &s.base, &post_form(&html, &action)).await;
    assert_eq!(st, 200, "{html}");
    let text = unescape(&html);
    assert!(
        text.contains("SESAME910006") && text.contains("MFA outside the office"),
        "{html}"
    );
    assert_eq!(location_count(&s), 1);

    s.cli_ok(&["policy", "delete", "MFA outside the office"]);
    let (_, _, html) = page(&b, &s, "/admin/conditional-access").await;
    let (st, _, html) = submit(&b, &s.base, &post_form(&html, &action)).await;
    assert_eq!(st, 200, "{html}");
    assert!(
        html.contains("Named location Head office deleted."),
        "{html}"
    );
    assert_eq!(location_count(&s), 0);
    let audit = s.cli_ok(&["audit"]);
    assert!(
        audit.contains("access.location.add") && audit.contains("access.location.delete"),
        "{audit}"
    );
}

#[tokio::test]
async fn only_global_administrators_edit_policies_in_the_portal() {
    let s = Server::start();
    s.cli_ok(&["policy", "add", "--name", "Existing", "--grant", "mfa"]);
    let id = show(&s, "Existing")["id"].as_str().unwrap().to_owned();
    // A user without a role, then an Application Administrator.
    let user = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let (st, _, _) = page(&user, &s, NEW_POLICY).await;
    assert_eq!(st, 403);
    s.cli_ok(&["role", "assign", DEMO_UPN, "Application Administrator"]);
    let app_admin = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    for path in [
        "/admin/conditional-access".to_owned(),
        NEW_POLICY.to_owned(),
        NEW_LOCATION.to_owned(),
        format!("/admin/conditional-access/policies/{id}"),
    ] {
        let (st, _, html) = page(&app_admin, &s, &path).await;
        assert_eq!(st, 403, "{path}: {html}");
        assert!(html.contains("SESAME910002"), "{html}");
    }
    // A POST with a valid token of the session is refused too.
    let (_, _, html) = page(&app_admin, &s, "/admin/apps").await;
    let token = csrf(&html);
    let form = Form {
        method: "post".into(),
        enctype: String::new(),
        action: format!("/admin/conditional-access/policies/{id}/delete"),
        fields: vec![("csrf".into(), token)],
    };
    let (st, _, html) = submit(&app_admin, &s.base, &form).await;
    assert_eq!(st, 403, "{html}");
    assert_eq!(policy_count(&s), 1);
}

// ---------------------------------------------------------------------------------------
// REST API

/// A token made with the CLI (`extra`: a role).
fn token(s: &Server, name: &str, extra: &[&str]) -> String {
    let mut args = vec!["token", "create", "--name", name];
    args.extend_from_slice(extra);
    let secret = s.cli_ok(&args).trim().to_owned();
    assert!(secret.starts_with("sesame_"), "{secret}");
    secret
}

/// One call: (status, JSON body or null).
async fn call(s: &Server, t: &str, m: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut r = Client::new()
        .request(m, format!("{}{path}", s.base))
        .bearer_auth(t);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    let st = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let v = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    };
    (st, v)
}

#[tokio::test]
async fn rest_api_manages_policies_and_locations_and_answers_what_if() {
    let s = Server::start();
    s.add_sp(&[]);
    let t = token(&s, "ca-admin", &[]);
    const P: &str = "/api/v1/conditional-access/policies";
    const L: &str = "/api/v1/conditional-access/named-locations";

    // Named locations: a bad CIDR is a problem with its code; then one is created.
    let (st, v) = call(
        &s,
        &t,
        Method::POST,
        L,
        Some(json!({"name": "Office", "ranges": ["203.0.113.0/33"]})),
    )
    .await;
    assert_eq!((st, v["code"].as_str()), (422, Some("SESAME910004")), "{v}");
    assert!(
        v["detail"].as_str().unwrap().contains("203.0.113.0/33"),
        "{v}"
    );
    let (st, loc) = call(
        &s,
        &t,
        Method::POST,
        L,
        Some(json!({"name": "Office", "ranges": ["203.0.113.0/24"], "trusted": true})),
    )
    .await;
    assert_eq!(st, 201, "{loc}");
    assert_eq!(loc["ranges"], json!(["203.0.113.0/24"]));
    let (st, list) = call(&s, &t, Method::GET, L, None).await;
    assert_eq!((st, list.as_array().unwrap().len()), (200, 1), "{list}");

    // Policies: an unknown user is refused whole.
    let (st, v) = call(
        &s,
        &t,
        Method::POST,
        P,
        Some(json!({"name": "MFA", "users": ["nobody@contoso.com"], "grant": "mfa"})),
    )
    .await;
    assert_eq!((st, v["code"].as_str()), (422, Some("SESAME910004")), "{v}");
    assert!(v["detail"].as_str().unwrap().contains("nobody@contoso.com"));
    let (st, v) = call(
        &s,
        &t,
        Method::POST,
        P,
        Some(json!({"name": "MFA", "grant": "sometimes"})),
    )
    .await;
    assert_eq!((st, v["code"].as_str()), (422, Some("SESAME910004")), "{v}");
    let (st, p) = call(
        &s,
        &t,
        Method::POST,
        P,
        Some(json!({
            "name": "MFA outside the office",
            "users": [DEMO_UPN],
            "apps": [SP_ENTITY],
            "exclude_locations": ["Office"],
            "grant": "mfa",
            "state": "on"
        })),
    )
    .await;
    assert_eq!(st, 201, "{p}");
    // The fields of `sesame policy show --json`.
    let cli = show(&s, "MFA outside the office");
    assert_eq!(p, cli);
    assert_eq!(p["apps"], json!(["Test SP"]));
    let id = p["id"].as_str().unwrap().to_owned();

    let (st, got) = call(&s, &t, Method::GET, &format!("{P}/{id}"), None).await;
    assert_eq!((st, &got), (200, &p));
    let (st, list) = call(&s, &t, Method::GET, P, None).await;
    assert_eq!((st, list.as_array().unwrap().len()), (200, 1));
    let (st, v) = call(&s, &t, Method::GET, &format!("{P}/nothing"), None).await;
    assert_eq!((st, v["code"].as_str()), (404, Some("SESAME910005")), "{v}");

    // What If: outside the office MFA is asked; inside, it is not.
    let (st, w) = call(
        &s,
        &t,
        Method::POST,
        "/api/v1/conditional-access/what-if",
        Some(json!({"user": DEMO_UPN, "app": "Test SP", "ip": "192.0.2.7"})),
    )
    .await;
    assert_eq!(st, 200, "{w}");
    assert_eq!(w["decision"]["decision"], "mfa", "{w}");
    assert_eq!(w["decision"]["policy"], "MFA outside the office");
    assert_eq!(w["policies"][0]["result"], "not-satisfied", "{w}");
    let (_, w) = call(
        &s,
        &t,
        Method::POST,
        "/api/v1/conditional-access/what-if",
        Some(json!({"user": DEMO_UPN, "app": "Test SP", "ip": "203.0.113.9"})),
    )
    .await;
    assert_eq!(w["decision"]["decision"], "allow", "{w}");
    assert_eq!(w["policies"][0]["result"], "not-applied", "{w}");
    for (body, needle) in [
        (
            json!({"user": "nobody@contoso.com", "app": "Test SP"}),
            "nobody",
        ),
        (
            json!({"user": DEMO_UPN, "app": "Test SP", "ip": "not-an-ip"}),
            "not-an-ip",
        ),
    ] {
        let (st, v) = call(
            &s,
            &t,
            Method::POST,
            "/api/v1/conditional-access/what-if",
            Some(body),
        )
        .await;
        assert_eq!((st, v["code"].as_str()), (422, Some("SESAME910004")), "{v}");
        assert!(v["detail"].as_str().unwrap().contains(needle), "{v}");
    }

    // PATCH: only the fields given change; the lockout guard answers 409.
    let (st, v) = call(
        &s,
        &t,
        Method::PATCH,
        &format!("{P}/MFA outside the office"),
        Some(json!({"state": "report-only", "sign_in_frequency": "4h"})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (v["state"].as_str(), v["sign_in_frequency"].as_str()),
        (Some("report-only"), Some("4h"))
    );
    assert_eq!(v["users"], json!([DEMO_UPN]));
    let (st, v) = call(
        &s,
        &t,
        Method::PATCH,
        &format!("{P}/{id}"),
        Some(json!({"users": ["all"], "apps": ["all"], "exclude_locations": [], "grant": "block", "state": "on"})),
    )
    .await;
    assert_eq!((st, v["code"].as_str()), (409, Some("SESAME910006")), "{v}");
    assert!(v["detail"].as_str().unwrap().contains("lock yourself out"));
    assert_eq!(show(&s, &id)["state"], "report-only");

    // A location in use is kept; deleted once no policy names it.
    let (st, v) = call(&s, &t, Method::DELETE, &format!("{L}/Office"), None).await;
    assert_eq!((st, v["code"].as_str()), (409, Some("SESAME910006")), "{v}");
    let (st, _) = call(&s, &t, Method::DELETE, &format!("{P}/{id}"), None).await;
    assert_eq!(st, 204);
    let (st, _) = call(&s, &t, Method::GET, &format!("{P}/{id}"), None).await;
    assert_eq!(st, 404);
    let (st, _) = call(&s, &t, Method::DELETE, &format!("{L}/Office"), None).await;
    assert_eq!(st, 204);
    assert_eq!(location_count(&s), 0);

    // Every change is in the audit log under the token's name.
    let audit = s.cli_ok(&["audit", "--json", "--action", "access."]);
    let rows: Vec<Value> = serde_json::from_str(&audit).unwrap();
    assert!(rows.len() >= 5, "{audit}");
    assert!(rows.iter().all(|r| r["actor"] == "ca-admin"), "{audit}");

    // The document lists the endpoints.
    let doc: Value = Client::new()
        .get(format!("{}/api/openapi.json", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        P,
        "/api/v1/conditional-access/policies/{policy}",
        L,
        "/api/v1/conditional-access/named-locations/{location}",
        "/api/v1/conditional-access/what-if",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} not in the document");
    }
}

#[tokio::test]
async fn rest_api_conditional_access_is_for_global_administrators_only() {
    let s = Server::start();
    let t = token(&s, "apps-only", &["--role", "Application Administrator"]);
    for (m, path, body) in [
        (Method::GET, "/api/v1/conditional-access/policies", None),
        (
            Method::POST,
            "/api/v1/conditional-access/policies",
            Some(json!({"name": "X", "grant": "mfa"})),
        ),
        (
            Method::GET,
            "/api/v1/conditional-access/named-locations",
            None,
        ),
        (
            Method::POST,
            "/api/v1/conditional-access/what-if",
            Some(json!({"user": DEMO_UPN, "app": "admin-portal"})),
        ),
    ] {
        let (st, v) = call(&s, &t, m, path, body).await;
        assert_eq!(
            (st, v["code"].as_str()),
            (403, Some("SESAME910002")),
            "{path}: {v}"
        );
    }
    assert_eq!(policy_count(&s), 0);
}
