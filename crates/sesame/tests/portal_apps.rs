//! The admin portal's Enterprise applications, black-box against the real binary: the
//! Convene seed flow through the portal's forms, a Webex-style metadata upload, claims,
//! certificates, a sanitised logo; CSRF and role refusals on every POST; the audit log.

use crate::common::*;

const CONVENE_ACS: &str = "https://portal.convene.me.uk/saml/acs/4f2c9a";
const CONVENE_ID: &str = "https://portal.convene.me.uk";

/// A signed-in browser: (following redirects, not following), one cookie jar.
struct Admin {
    follow: reqwest::Client,
    manual: reqwest::Client,
    base: String,
}

async fn sign_in(s: &Server, upn: &str, pw: &str) -> Admin {
    let (follow, manual) = browser_pair();
    // An admin page sends an unsigned browser to the login page, and back after it.
    let r = follow
        .get(format!("{}/admin/apps", s.base))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(is_login_page(&html), "{html}");
    let r = submit_login(&follow, &s.base, &html, upn, pw).await;
    assert_eq!(r.url().path(), "/admin/apps", "{}", r.status());
    Admin {
        follow,
        manual,
        base: s.base.clone(),
    }
}

async fn sign_in_admin(s: &Server) -> Admin {
    sign_in(s, ADMIN_UPN, &admin_password(s)).await
}

fn csrf_of(html: &str) -> String {
    let i = html
        .find("name=\"csrf-token\" content=\"")
        .unwrap_or_else(|| panic!("no csrf meta in {html}"));
    let rest = &html[i + "name=\"csrf-token\" content=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

impl Admin {
    async fn page(&self, path: &str) -> (u16, String) {
        let r = self
            .follow
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn csrf(&self) -> String {
        csrf_of(&self.page("/admin/apps").await.1)
    }

    /// POSTs a form without following the redirect: (status, Location, body, error code).
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String, String, String) {
        let r = self
            .manual
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let loc = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let code = r
            .headers()
            .get("x-sesame-error")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, loc, r.text().await.unwrap(), code)
    }

    /// POSTs with this session's CSRF token and expects 303; returns Location.
    async fn post_ok(&self, path: &str, fields: &[(&str, &str)]) -> String {
        let csrf = self.csrf().await;
        let mut f: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        f.extend_from_slice(fields);
        let (status, loc, body, _) = self.post(path, &f).await;
        assert_eq!(status, 303, "POST {path}: {body}");
        loc
    }

    /// POSTs with the CSRF token; returns (status, body).
    async fn post_csrf(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let csrf = self.csrf().await;
        let mut f: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        f.extend_from_slice(fields);
        let (status, _, body, _) = self.post(path, &f).await;
        (status, body)
    }
}

fn app_id_from(loc: &str) -> String {
    loc.trim_start_matches("/admin/apps/")
        .split(['?', '/'])
        .next()
        .unwrap()
        .to_owned()
}

fn user_id(s: &Server, upn: &str) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&s.cli_ok(&["user", "show", upn, "--json"])).unwrap();
    v["id"].as_str().unwrap().to_owned()
}

fn app_json(s: &Server, id: &str) -> serde_json::Value {
    serde_json::from_str(&s.cli_ok(&["app", "show", id, "--json"])).unwrap()
}

/// The audit actions the portal recorded on `app_id` (changes made with the CLI in the
/// test's set-up are audited too, as `cli`: they are left out here).
async fn audit_actions(s: &Server, app_id: &str) -> Vec<String> {
    let store = sesame::store::Store::open(&s.database_url(), 2)
        .await
        .unwrap();
    let rows = store
        .audit_list(&sesame::store::AuditFilter {
            target_id: Some(app_id.to_owned()),
            ..Default::default()
        })
        .await
        .unwrap();
    let portal: Vec<_> = rows.into_iter().filter(|r| r.actor_kind != "cli").collect();
    for r in &portal {
        assert_eq!(r.actor_kind, "user");
        assert!(!r.correlation_id.is_empty());
    }
    portal.into_iter().map(|r| r.action).collect()
}

/// The fields a browser would submit from the form `id` of `html`: text, hidden and
/// number inputs, checked radios and checkboxes, textareas.
fn form_fields(html: &str, id: &str) -> Vec<(String, String)> {
    let start = html.find(&format!("id=\"{id}\"")).unwrap();
    let end = start + html[start..].find("</form>").unwrap();
    let form = &html[start..end];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let p = format!(" {name}=\"");
        let i = tag.find(&p)? + p.len();
        Some(unescape(&tag[i..i + tag[i..].find('"')?]))
    };
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(i) = form[pos..].find("<input ") {
        let at = pos + i;
        let tag = &form[at..at + form[at..].find('>').unwrap()];
        pos = at + 6;
        let Some(name) = attr(tag, "name") else {
            continue;
        };
        let ty = attr(tag, "type").unwrap_or_default();
        if (ty == "radio" || ty == "checkbox") && !tag.contains(" checked") {
            continue;
        }
        out.push((name, attr(tag, "value").unwrap_or_default()));
    }
    let mut pos = 0;
    while let Some(i) = form[pos..].find("<textarea ") {
        let at = pos + i;
        let open_end = at + form[at..].find('>').unwrap();
        let tag = &form[at..open_end];
        let close = open_end + form[open_end..].find("</textarea>").unwrap();
        if let Some(name) = attr(tag, "name") {
            out.push((name, unescape(&form[open_end + 1..close])));
        }
        pos = close;
    }
    out
}

#[tokio::test]
async fn convene_seed_flow_through_the_portal() {
    let s = Server::start();
    let a = sign_in_admin(&s).await;

    // New application → Browse the gallery → search "Convene" → the card.
    let (st, html) = a.page("/admin/apps/new?q=Convene").await;
    assert_eq!(st, 200);
    assert!(html.contains("href=\"/admin/gallery/convene\""), "{html}");
    assert!(
        !html.contains("href=\"/admin/gallery/cisco-webex"),
        "search filters: {html}"
    );
    let (st, html) = a.page("/admin/apps/new?category=Collaboration").await;
    assert_eq!(st, 200, "{html}");
    let (st, card) = a.page("/admin/gallery/convene").await;
    assert_eq!(st, 200);
    assert!(
        card.contains("https://portal.convene.me.uk/saml/acs/&#60;UID&#62;"),
        "{card}"
    );
    assert!(card.contains("data-patterns="), "{card}");

    // Add (the name editable).
    let loc = a
        .post_ok(
            "/admin/gallery/convene",
            &[
                ("name", "Convene"),
                ("identifier", CONVENE_ID),
                ("reply_url", CONVENE_ACS),
            ],
        )
        .await;
    let id = app_id_from(&loc);
    let (st, overview) = a.page(&loc).await;
    assert_eq!(st, 200);
    // Add lands on the application's SAML page.
    assert!(
        overview.contains("Set up single sign-on with SAML")
            && overview.contains("Application added"),
        "{overview}"
    );
    assert!(!overview.contains("SAML not configured."), "{overview}");

    // A second Convene is refused with the CLI's message.
    let (st, body) = a
        .post_csrf(
            "/admin/gallery/convene",
            &[
                ("name", "Convene 2"),
                ("identifier", "https://x.example"),
                ("reply_url", CONVENE_ACS),
            ],
        )
        .await;
    assert_eq!(st, 422);
    assert!(
        body.contains("only one instance per tenant is allowed"),
        "{body}"
    );

    // Single sign-on → the SAML page with its five sections.
    let (st, setup) = a.page(&format!("/admin/apps/{id}/sso")).await;
    assert_eq!(st, 200);
    for h in [
        "Basic SAML Configuration",
        "Attributes &amp; Claims",
        "SAML Certificates",
        "Set up Convene",
        "Test single sign-on with Convene",
        "Login URL",
        "IdP Identifier",
        "App Federation Metadata Url",
    ] {
        assert!(setup.contains(h), "{h} missing: {setup}");
    }
    assert!(setup.contains(&s.login_url()));

    // Basic SAML Configuration: a Reply URL off the pattern is refused, naming it.
    let (st, form) = a.page(&format!("/admin/apps/{id}/sso/basic")).await;
    assert_eq!(st, 200);
    assert!(
        form.contains("placeholder=\"https://portal.convene.me.uk/saml/acs/&#60;UID&#62;\""),
        "{form}"
    );
    let basic = format!("/admin/apps/{id}/sso/basic");
    let (st, body) = a
        .post_csrf(
            &basic,
            &[
                ("identifier", CONVENE_ID),
                ("identifier_default", "0"),
                ("reply_url", "https://evil.example/acs"),
                ("reply_index", ""),
                ("reply_default", "0"),
                ("sign_on_url", "https://portal.convene.me.uk/login"),
            ],
        )
        .await;
    assert_eq!(st, 422, "{body}");
    assert!(
        body.contains("https://portal.convene.me.uk/saml/acs/&#60;UID&#62;"),
        "{body}"
    );
    assert!(body.contains("aria-invalid=\"true\""), "{body}");
    assert_eq!(
        app_json(&s, &id)["reply_urls"][0]["url"].as_str(),
        Some(CONVENE_ACS),
        "nothing saved"
    );
    // Two Reply URLs, the second default with an index.
    a.post_ok(
        &basic,
        &[
            ("identifier", CONVENE_ID),
            ("identifier_default", "0"),
            ("reply_url", CONVENE_ACS),
            ("reply_index", ""),
            ("reply_url", "https://portal.convene.me.uk/saml/acs/second"),
            ("reply_index", "3"),
            ("reply_default", "1"),
            ("sign_on_url", "https://portal.convene.me.uk/login"),
        ],
    )
    .await;
    let v = app_json(&s, &id);
    assert_eq!(v["reply_urls"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["reply_urls"][1]["is_default"], true, "{v}");
    assert_eq!(v["reply_urls"][1]["index"], 3, "{v}");
    assert_eq!(v["sign_on_url"], "https://portal.convene.me.uk/login");

    // Unique User Identifier → user.mail.
    a.post_ok(
        &format!("/admin/apps/{id}/sso/claims/nameid"),
        &[
            ("format", "default"),
            ("source", "attribute"),
            ("attribute", "user.userprincipalname"),
        ],
    )
    .await;
    assert_eq!(app_json(&s, &id)["nameid_source"], "user.userprincipalname");
    a.post_ok(
        &format!("/admin/apps/{id}/sso/claims/nameid"),
        &[
            ("format", "default"),
            ("source", "attribute"),
            ("attribute", "user.mail"),
        ],
    )
    .await;
    assert_eq!(app_json(&s, &id)["nameid_source"], "user.mail");

    // Certificate (Base64): the app's active certificate.
    let (_, setup) = a.page(&format!("/admin/apps/{id}/sso/saml")).await;
    let i = setup.find("/sso/certs/").unwrap() + "/sso/certs/".len();
    let thumb = &setup[i..i + setup[i..].find('/').unwrap()];
    let r = a
        .follow
        .get(format!(
            "{}/admin/apps/{id}/sso/certs/{thumb}/base64",
            s.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let pem = r.text().await.unwrap();
    assert_eq!(pem.trim(), s.cli_ok(&["app", "cert", &id, "--pem"]).trim());
    let r = a
        .follow
        .get(format!("{}/admin/apps/{id}/sso/metadata.xml", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/samlmetadata+xml");
    assert!(r.text().await.unwrap().contains("EntityDescriptor"));

    // Assign B.Simon in Users and groups.
    let (_, add) = a.page(&format!("/admin/apps/{id}/users/add?q=Simon")).await;
    let bsimon = user_id(&s, DEMO_UPN);
    assert!(add.contains(&format!("user:{bsimon}")), "{add}");
    let p = format!("user:{bsimon}");
    a.post_ok(&format!("/admin/apps/{id}/users/add"), &[("principal", &p)])
        .await;
    let (_, users) = a.page(&format!("/admin/apps/{id}/users")).await;
    assert!(
        users.contains(DEMO_UPN) && users.contains("Default Access"),
        "{users}"
    );

    // The token preview for B.Simon passes the vendor check.
    let (st, prev) = a
        .page(&format!("/admin/apps/{id}/sso/test?user={DEMO_UPN}"))
        .await;
    assert_eq!(st, 200, "{prev}");
    assert!(
        prev.contains("saml:Assertion") || prev.contains("Assertion"),
        "{prev}"
    );
    assert!(
        prev.contains("Every claim the vendor expects is present"),
        "{prev}"
    );

    // All applications: search, status, tiles.
    let (_, list) = a.page("/admin/apps?q=conv&status=configured").await;
    assert!(
        list.contains(&format!("href=\"/admin/apps/{id}\"")),
        "{list}"
    );
    assert!(!list.contains("Sesame Test App"), "{list}");
    let (_, list) = a.page("/admin/apps?status=disabled").await;
    assert!(
        !list.contains(&format!("href=\"/admin/apps/{id}\"")),
        "{list}"
    );
    let (_, tiles) = a.page("/admin/apps?view=tiles").await;
    assert!(tiles.contains("class=\"tile\""), "{tiles}");

    let actions = audit_actions(&s, &id).await;
    for want in [
        "app.create",
        "app.saml.update",
        "app.claims.update",
        "app.assign",
    ] {
        assert!(
            actions.iter().any(|a| a == want),
            "{want} not in {actions:?}"
        );
    }
}

#[tokio::test]
async fn a_gallery_card_asks_for_every_required_value_it_does_not_fix() {
    let s = Server::start();
    let a = sign_in_admin(&s).await;
    let (_, card) = a.page("/admin/gallery/imagen").await;
    for name in ["identifier", "reply_url", "sign_on_url"] {
        assert!(card.contains(&format!("name=\"{name}\"")), "{name}: {card}");
    }
    assert!(
        card.contains("https://&#60;SUBDOMAIN&#62;.imagencloud.com/site/login"),
        "{card}"
    );
    // Without the Sign on URL Imagen's document requires: added, "SAML not configured"
    // naming the Sign on URL.
    let loc = a
        .post_ok(
            "/admin/gallery/imagen",
            &[
                ("name", "Imagen"),
                ("identifier", "https://acme.imagencloud.com/sp-entityid"),
                (
                    "reply_url",
                    "https://acme.imagencloud.com/saml/module.php/saml/sp/saml2-acs.php/imagenweb",
                ),
            ],
        )
        .await;
    let (_, setup) = a.page(&loc).await;
    assert!(
        setup.contains("SAML not configured.") && setup.contains("Still needed: Sign on URL."),
        "{setup}"
    );
    let v = app_json(&s, &app_id_from(&loc));
    assert_eq!(v["missing"], serde_json::json!(["Sign on URL"]));
    let loc = a
        .post_ok(
            "/admin/gallery/imagen",
            &[
                ("name", "Imagen 2"),
                ("identifier", "https://acme2.imagencloud.com/sp-entityid"),
                (
                    "reply_url",
                    "https://acme2.imagencloud.com/saml/module.php/saml/sp/saml2-acs.php/imagenweb",
                ),
                ("sign_on_url", "https://acme2.imagencloud.com/site/login"),
            ],
        )
        .await;
    let v = app_json(&s, &app_id_from(&loc));
    assert_eq!(v["gallery_id"], "imagen");
    assert_eq!(v["sign_on_url"], "https://acme2.imagencloud.com/site/login");
    assert_eq!(v["saml_configured"], true);
}

#[tokio::test]
async fn webex_from_the_gallery_with_its_metadata_file() {
    let s = Server::start();
    let a = sign_in_admin(&s).await;
    let (_, card) = a.page("/admin/gallery/cisco-webex-meetings").await;
    assert!(card.contains("Upload metadata file"), "{card}");
    let xml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/sp-metadata-webex.xml"
    ))
    .unwrap();
    let (st, body) = a
        .post_csrf(
            "/admin/gallery/cisco-webex-meetings",
            &[("name", "Webex"), ("metadata", "<md:EntityDescriptor")],
        )
        .await;
    assert_eq!(st, 422);
    assert!(body.contains("SESAME910008"), "{body}");
    let loc = a
        .post_ok(
            "/admin/gallery/cisco-webex-meetings",
            &[("name", "Webex"), ("metadata", &xml)],
        )
        .await;
    let v = app_json(&s, &app_id_from(&loc));
    assert_eq!(v["gallery_id"], "cisco-webex-meetings");
    assert_eq!(
        v["identifiers"][0]["value"],
        "https://acme.webex.com/dispatcher/SAML2AuthService"
    );
    assert_eq!(
        v["reply_urls"][0]["url"],
        "https://acme.webex.com/dispatcher/SAML2AuthService?siteurl=acme"
    );
}

const EVIL_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)" viewBox="0 0 10 10"><script>alert(2)</script><a href="javascript:alert(3)"><rect width="10" height="10" fill="#00f"/></a><foreignObject><p>x</p></foreignObject></svg>"##;

#[tokio::test]
async fn metadata_upload_claims_certificates_and_logo() {
    let s = Server::start();
    let a = sign_in_admin(&s).await;
    let loc = a
        .post_ok("/admin/apps/new/custom", &[("name", "Webex (acme)")])
        .await;
    let id = app_id_from(&loc);

    // Upload metadata file fills Identifier and Reply URL; Save keeps them.
    let xml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/sp-metadata-webex.xml"
    ))
    .unwrap();
    let (st, filled) = a
        .post_csrf(
            &format!("/admin/apps/{id}/sso/metadata"),
            &[("metadata", &xml)],
        )
        .await;
    assert_eq!(st, 200, "{filled}");
    assert!(filled.contains("Filled from the metadata file"), "{filled}");
    assert!(
        filled.contains("value=\"https://acme.webex.com/dispatcher/SAML2AuthService\""),
        "{filled}"
    );
    assert!(
        filled
            .contains("value=\"https://acme.webex.com/dispatcher/SAML2AuthService?siteurl=acme\""),
        "{filled}"
    );
    let mut fields = form_fields(&filled, "basic-form");
    let csrf = a.csrf().await;
    for (n, v) in fields.iter_mut() {
        if n == "csrf" {
            *v = csrf.clone();
        }
    }
    let (st, _, body, _) = a
        .post(
            &format!("/admin/apps/{id}/sso/basic"),
            &fields
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(st, 303, "{body}");
    let v = app_json(&s, &id);
    assert_eq!(
        v["identifiers"][0]["value"],
        "https://acme.webex.com/dispatcher/SAML2AuthService"
    );
    assert_eq!(
        v["reply_urls"][0]["url"],
        "https://acme.webex.com/dispatcher/SAML2AuthService?siteurl=acme"
    );
    assert_eq!(
        v["app_logout_url"],
        "https://acme.webex.com/dispatcher/SAML2LogoutService?siteurl=acme"
    );
    assert_eq!(v["sp_certificates"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["require_signed_requests"], true);
    // Bad metadata: 422 with the reason.
    let (st, body) = a
        .post_csrf(
            &format!("/admin/apps/{id}/sso/metadata"),
            &[("metadata", "<nope")],
        )
        .await;
    assert_eq!(st, 422);
    assert!(body.contains("SESAME910008"), "{body}");

    // Add new claim, then delete it.
    a.post_ok(
        &format!("/admin/apps/{id}/sso/claims/edit"),
        &[
            ("name", "uid"),
            ("namespace", ""),
            ("name_format", "unspecified"),
            ("source", "attribute"),
            ("attribute", "user.objectid"),
        ],
    )
    .await;
    let (_, claims) = a.page(&format!("/admin/apps/{id}/sso/claims")).await;
    assert!(
        claims.contains("<code class=\"uri\">uid</code>"),
        "{claims}"
    );
    // A transformation that does not parse: 422 next to the field.
    let (st, body) = a
        .post_csrf(
            &format!("/admin/apps/{id}/sso/claims/edit"),
            &[
                ("name", "lower"),
                ("name_format", "unspecified"),
                ("source", "transformation"),
                ("transformation", "ToLowercase("),
            ],
        )
        .await;
    assert_eq!(st, 422, "{body}");
    a.post_ok(
        &format!("/admin/apps/{id}/sso/claims/delete"),
        &[("name", "uid"), ("namespace", "")],
    )
    .await;
    let (_, claims) = a.page(&format!("/admin/apps/{id}/sso/claims")).await;
    assert!(
        !claims.contains("<code class=\"uri\">uid</code>"),
        "{claims}"
    );

    // New certificate, then Make certificate active.
    let before = app_json(&s, &id)["certificates"].clone();
    a.post_ok(&format!("/admin/apps/{id}/sso/certs/new"), &[])
        .await;
    let certs = app_json(&s, &id)["certificates"].clone();
    assert_eq!(certs.as_array().unwrap().len(), 2);
    let new = certs
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["active"] == false)
        .unwrap()["thumbprint"]
        .as_str()
        .unwrap()
        .to_owned();
    a.post_ok(
        &format!("/admin/apps/{id}/sso/certs/activate"),
        &[("thumbprint", &new)],
    )
    .await;
    let certs = app_json(&s, &id)["certificates"].clone();
    let active: Vec<_> = certs
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["active"] == true)
        .collect();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0]["thumbprint"], new.as_str());
    assert_ne!(before[0]["thumbprint"], new.as_str());
    // Signing option, algorithm and notification email.
    let (st, body) = a
        .post_csrf(
            &format!("/admin/apps/{id}/sso/certs"),
            &[
                ("sign_mode", "assertion"),
                ("signing_alg", "rsa-sha256"),
                ("notification_email", "not an email"),
            ],
        )
        .await;
    assert_eq!(st, 422, "{body}");
    a.post_ok(
        &format!("/admin/apps/{id}/sso/certs"),
        &[
            ("sign_mode", "assertion"),
            ("signing_alg", "rsa-sha1"),
            ("notification_email", "ops@contoso.com"),
        ],
    )
    .await;
    let v = app_json(&s, &id);
    assert_eq!(v["sign_mode"], "assertion");
    assert_eq!(v["signing_alg"], "rsa-sha1");
    let (_, page) = a.page(&format!("/admin/apps/{id}/sso/certs")).await;
    assert!(page.contains(">ops@contoso.com</textarea>"), "{page}");

    // Logo: a malicious SVG is stored sanitised and served inert.
    a.post_ok(&format!("/admin/apps/{id}/logo"), &[("logo", EVIL_SVG)])
        .await;
    let r = a
        .follow
        .get(format!("{}/admin/apps/{id}/logo", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert_eq!(
        r.headers()["content-security-policy"],
        "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let svg = r.text().await.unwrap();
    for bad in ["script", "onload", "javascript", "foreignObject", "alert"] {
        assert!(!svg.contains(bad), "{bad} in {svg}");
    }
    assert!(svg.contains("<rect"), "{svg}");
    // Unparsable: 422, named.
    let (st, body) = a
        .post_csrf(&format!("/admin/apps/{id}/logo"), &[("logo", "<svg")])
        .await;
    assert_eq!(st, 422);
    assert!(body.contains("SESAME910008"), "{body}");
    // The gallery's logos are served the same way.
    let r = a
        .follow
        .get(format!("{}/admin/gallery/convene/logo.svg", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("sandbox"));

    let actions = audit_actions(&s, &id).await;
    for want in [
        "app.create",
        "app.saml.update",
        "app.claims.update",
        "app.cert.new",
        "app.cert.activate",
        "app.cert.update",
        "app.logo.update",
    ] {
        assert!(
            actions.iter().any(|a| a == want),
            "{want} not in {actions:?}"
        );
    }
}

/// Every POST of the area, for app `id` (with whatever fields make sense).
fn posts(id: &str, thumb: &str, bsimon: &str) -> Vec<(String, Vec<(&'static str, String)>)> {
    let a = |p: &str| format!("/admin/apps/{id}{p}");
    vec![
        (
            "/admin/gallery/servusconnect".into(),
            vec![("name", "Servus".into())],
        ),
        (
            "/admin/apps/new/custom".into(),
            vec![("name", "Sneaky".into())],
        ),
        (a("/properties"), vec![("name", "Renamed".into())]),
        (a("/logo"), vec![("logo", EVIL_SVG.into())]),
        (
            a("/users/add"),
            vec![("principal", format!("user:{bsimon}"))],
        ),
        (
            a("/users/remove"),
            vec![("principal", format!("user:{bsimon}"))],
        ),
        (a("/roles"), vec![("add", "Reader".into())]),
        (
            a("/sso/basic"),
            vec![("identifier", "https://other.example".into())],
        ),
        (a("/sso/metadata"), vec![("metadata", "<x/>".into())]),
        (
            a("/sso/claims/nameid"),
            vec![
                ("source", "attribute".into()),
                ("attribute", "user.mail".into()),
            ],
        ),
        (
            a("/sso/claims/edit"),
            vec![
                ("name", "x".into()),
                ("source", "attribute".into()),
                ("attribute", "user.mail".into()),
            ],
        ),
        (
            a("/sso/claims/delete"),
            vec![
                ("name", "name".into()),
                (
                    "namespace",
                    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims".into(),
                ),
            ],
        ),
        (a("/sso/claims/groups"), vec![("enabled", "1".into())]),
        (
            a("/sso/certs"),
            vec![
                ("sign_mode", "response".into()),
                ("signing_alg", "rsa-sha1".into()),
            ],
        ),
        (a("/sso/certs/new"), vec![]),
        (a("/sso/certs/activate"), vec![("thumbprint", thumb.into())]),
        (a("/sso/certs/delete"), vec![("thumbprint", thumb.into())]),
        (a("/delete"), vec![]),
    ]
}

#[tokio::test]
async fn every_post_refuses_a_bad_csrf_token_and_non_administrators() {
    let s = Server::start();
    let id = s.add_sp(&[]);
    let bsimon = user_id(&s, DEMO_UPN);
    let thumb = app_json(&s, &id)["certificates"][0]["thumbprint"]
        .as_str()
        .unwrap()
        .to_owned();
    let snapshot = || {
        let mut v = app_json(&s, &id);
        v.as_object_mut().unwrap().remove("updated_at");
        (v, s.cli_ok(&["app", "list"]))
    };
    let before = snapshot();
    let admin = sign_in_admin(&s).await;
    let user = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let other_session = sign_in_admin(&s).await;
    let other_csrf = other_session.csrf().await;
    for (path, fields) in posts(&id, &thumb, &bsimon) {
        let base: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
        // No token.
        let (st, _, _, code) = admin.post(&path, &base).await;
        assert_eq!(
            (st, code.as_str()),
            (403, "SESAME910003"),
            "POST {path} without a token"
        );
        // A wrong token.
        let mut wrong = vec![("csrf", "0123456789abcdef")];
        wrong.extend_from_slice(&base);
        let (st, _, _, code) = admin.post(&path, &wrong).await;
        assert_eq!(
            (st, code.as_str()),
            (403, "SESAME910003"),
            "POST {path} with a wrong token"
        );
        // Another session's token.
        let mut other = vec![("csrf", other_csrf.as_str())];
        other.extend_from_slice(&base);
        let (st, _, _, code) = admin.post(&path, &other).await;
        assert_eq!(
            (st, code.as_str()),
            (403, "SESAME910003"),
            "POST {path} with another session's token"
        );
        // A user without an administrator role (refused before its token is looked at).
        let (st, _, _, code) = user.post(&path, &other).await;
        assert_eq!(
            (st, code.as_str()),
            (403, "SESAME910002"),
            "POST {path} as a non-administrator"
        );
    }
    for path in [
        "/admin/apps".to_owned(),
        "/admin/apps/new".into(),
        "/admin/gallery/convene".into(),
        format!("/admin/apps/{id}"),
        format!("/admin/apps/{id}/sso/saml"),
        format!("/admin/apps/{id}/sso/test?user={DEMO_UPN}"),
        format!("/admin/apps/{id}/sso/certs/{thumb}/base64"),
        format!("/admin/apps/{id}/logo"),
    ] {
        let (st, _) = user.page(&path).await;
        assert_eq!(st, 403, "GET {path} as a non-administrator");
    }
    s.wait_config();
    assert_eq!(snapshot(), before, "nothing changed");
    assert!(audit_actions(&s, &id).await.is_empty());
}

#[tokio::test]
async fn an_application_administrator_may_use_all_of_it() {
    let s = Server::start();
    let out = s
        .command()
        .args([
            "user",
            "add",
            "--upn",
            "apps.admin@contoso.com",
            "--display-name",
            "Apps Admin",
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(b"Amber-River-42")?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success());
    let store = sesame::store::Store::open(&s.database_url(), 2)
        .await
        .unwrap();
    let uid = user_id(&s, "apps.admin@contoso.com");
    store
        .user_role_add(&uid, "Application Administrator")
        .await
        .unwrap();
    let a = sign_in(&s, "apps.admin@contoso.com", "Amber-River-42").await;
    let (st, _) = a.page("/admin/apps").await;
    assert_eq!(st, 200);
    let loc = a
        .post_ok("/admin/apps/new/custom", &[("name", "My SP")])
        .await;
    let id = app_id_from(&loc);
    a.post_ok(
        &format!("/admin/apps/{id}/sso/basic"),
        &[
            ("identifier", SP_ENTITY),
            ("identifier_default", "0"),
            ("reply_url", SP_ACS),
            ("reply_index", ""),
            ("reply_default", "0"),
        ],
    )
    .await;
    a.post_ok(
        &format!("/admin/apps/{id}/properties"),
        &[
            ("name", "My SP"),
            ("enabled", "1"),
            ("visible", "1"),
            ("notes", "no assignment"),
        ],
    )
    .await;
    // An app role, then "Select a role" when assigning.
    a.post_ok(&format!("/admin/apps/{id}/roles"), &[("add", "Reader")])
        .await;
    let (_, add) = a.page(&format!("/admin/apps/{id}/users/add")).await;
    assert!(
        add.contains("Select a role") && add.contains("<option value=\"Reader\">"),
        "{add}"
    );
    let bsimon = user_id(&s, DEMO_UPN);
    let p = format!("user:{bsimon}");
    a.post_ok(
        &format!("/admin/apps/{id}/users/add"),
        &[("principal", &p), ("role", "Reader")],
    )
    .await;
    let (_, users) = a.page(&format!("/admin/apps/{id}/users")).await;
    assert!(users.contains("<td>Reader</td>"), "{users}");
    // Group claims: group names in the default claim.
    a.post_ok(
        &format!("/admin/apps/{id}/sso/claims/groups"),
        &[
            ("enabled", "1"),
            ("scope", "all"),
            ("emit", "name"),
            ("claim_name", ""),
        ],
    )
    .await;
    let (_, claims) = a.page(&format!("/admin/apps/{id}/sso/claims")).await;
    assert!(
        claims.contains("schemas.<wbr>microsoft.<wbr>com/<wbr>ws/<wbr>2008/<wbr>06/<wbr>identity/<wbr>claims/<wbr>groups")
            && claims.contains("names]"),
        "{claims}"
    );
    a.post_ok(&format!("/admin/apps/{id}/sso/certs/new"), &[])
        .await;
    let (st, body) = a
        .page(&format!("/admin/apps/{id}/sso/test?user={DEMO_UPN}"))
        .await;
    assert_eq!(st, 200, "{body}");
    let v = app_json(&s, &id);
    assert_eq!(v["assignment_required"], false);
    a.post_ok(&format!("/admin/apps/{id}/delete"), &[]).await;
    assert!(!s.cli_ok(&["app", "list"]).contains(&id));
    let actions = audit_actions(&s, &id).await;
    for want in [
        "app.create",
        "app.saml.update",
        "app.update",
        "app.roles.update",
        "app.assign",
        "app.claims.update",
        "app.cert.new",
        "app.delete",
    ] {
        assert!(
            actions.iter().any(|x| x == want),
            "{want} not in {actions:?}"
        );
    }
}
