//! The "Set up single sign-on with SAML" page and what surrounds it, black-box against the
//! real binary: SP metadata that announces signed requests without a certificate (portal,
//! CLI, API), the request-signature state on the summary card and in the Test checklist,
//! the labels of the summary card, the Test page's sign-in modes, the token preview's
//! assignment line, and how the App Federation Metadata URL is served.

use crate::common::*;

const SP_ID: &str = "https://signing.example.com/sp";

/// SP metadata saying `AuthnRequestsSigned="true"`, without a signing certificate.
fn signing_metadata_without_certificate() -> String {
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{SP_ID}">
  <md:SPSSODescriptor AuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://signing.example.com/acs" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>"#
    )
}

fn add_custom(s: &Server, name: &str) -> String {
    let out = s.cli_ok(&["app", "add", "--custom", "--name", name]);
    uuid_in(&out)
}

fn app_json(s: &Server, id: &str) -> serde_json::Value {
    serde_json::from_str(&s.cli_ok(&["app", "show", id, "--json"])).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_without_a_certificate_leaves_signed_requests_off_in_the_portal() {
    let s = Server::start();
    let id = add_custom(&s, "Signer");
    s.wait_config();
    let b = admin(&s).await;
    let (st, _, html) = page(&b, &s, &format!("/admin/apps/{id}/sso/basic")).await;
    assert_eq!(st, 200, "{html}");
    let upload = post_form(&html, &format!("/admin/apps/{id}/sso/metadata"))
        .set("metadata", &signing_metadata_without_certificate());
    let (st, _, filled) = submit(&b, &s.base, &upload).await;
    assert_eq!(st, 200, "{filled}");
    let filled = unescape(&filled);
    assert!(filled.contains("Filled from the metadata file"), "{filled}");
    assert!(filled.contains("flash warn"), "{filled}");
    assert!(
        filled.contains("the metadata says the application signs its AuthnRequests but holds no signing certificate; upload the application's certificate, then turn on Require signed AuthnRequests"),
        "{filled}"
    );
    let save = post_form(&filled, &format!("/admin/apps/{id}/sso/basic"));
    assert_eq!(save.get("require_signed_requests"), None, "{filled}");
    let (st, _, saved) = submit(&b, &s.base, &save).await;
    assert_eq!(st, 200, "{saved}");
    assert!(saved.contains("Basic SAML Configuration saved."), "{saved}");
    assert_eq!(app_json(&s, &id)["require_signed_requests"], false);

    // Turning the switch on without a certificate is refused, naming the field.
    let (_, _, html) = page(&b, &s, &format!("/admin/apps/{id}/sso/basic")).await;
    let on = post_form(&html, &format!("/admin/apps/{id}/sso/basic"))
        .set("require_signed_requests", "1");
    let (st, _, refused) = submit(&b, &s.base, &on).await;
    assert_eq!(st, 422, "{refused}");
    let refused = unescape(&refused);
    assert!(
        refused.contains("Require signed AuthnRequests: cannot be on while the application has no signing certificate"),
        "{refused}"
    );
    assert!(
        refused.contains("id=\"require_signed_requests-error\""),
        "{refused}"
    );
    assert_eq!(app_json(&s, &id)["require_signed_requests"], false);
}

#[test]
fn metadata_without_a_certificate_leaves_signed_requests_off_in_the_cli() {
    let s = Server::start();
    let id = add_custom(&s, "Signer");
    let path = s.dir.join("signer.xml");
    std::fs::write(&path, signing_metadata_without_certificate()).unwrap();
    let out = s.cli(&["app", "set", &id, "--sp-metadata", path.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: Require signed AuthnRequests is off: the metadata says the application signs its AuthnRequests but holds no signing certificate"),
        "{err}"
    );
    let v = app_json(&s, &id);
    assert_eq!(v["require_signed_requests"], false);
    assert_eq!(v["identifiers"][0]["value"], SP_ID);
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_without_a_certificate_leaves_signed_requests_off_in_the_api() {
    let s = Server::start();
    let id = add_custom(&s, "Signer");
    let secret = s
        .cli_ok(&["token", "create", "--name", "saml-page"])
        .trim()
        .to_owned();
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/apps/{id}/saml/metadata", s.base))
        .bearer_auth(&secret)
        .header("content-type", "application/xml")
        .body(signing_metadata_without_certificate())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["authn_requests_signed"], true);
    assert_eq!(v["saml"]["require_signed_requests"], false, "{v}");
    assert!(
        v["warning"]
            .as_str()
            .unwrap_or_default()
            .contains("holds no signing certificate; upload the application's certificate"),
        "{v}"
    );
}

/// The text of the summary card's row `th` (tags and entities left as they are).
fn row<'a>(html: &'a str, th: &str) -> &'a str {
    let start = html
        .find(&format!("<th>{th}</th>"))
        .unwrap_or_else(|| panic!("no row {th} in {html}"));
    let rest = &html[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

/// Section 1 (Basic SAML Configuration) of the SAML page.
fn section_1(html: &str) -> &str {
    let start = html.find("id=\"s1\"").expect("section 1");
    let end = html.find("id=\"s2\"").expect("section 2");
    &html[start..end]
}

#[tokio::test(flavor = "multi_thread")]
async fn summary_card_labels_only_gallery_values_and_shows_request_signing() {
    let s = Server::start();
    // Miro from the gallery: its Identifier and Sign on URL pre-filled, the Reply URL typed.
    let miro = uuid_in(&s.cli_ok(&[
        "app",
        "add",
        "--gallery",
        "miro",
        "--name",
        "Miro",
        "--reply-url",
        "https://miro.com/sso/saml/3074457/77",
    ]));
    s.wait_config();
    let b = admin(&s).await;
    let (st, _, html) = page(&b, &s, &format!("/admin/apps/{miro}/sso/saml")).await;
    assert_eq!(st, 200, "{html}");
    assert!(!section_1(&html).contains("(default)"), "{html}");
    let id_row = row(&html, "Identifier (Entity ID)");
    assert!(
        id_row.contains("<code>https://miro.com/</code>"),
        "{id_row}"
    );
    assert!(id_row.contains("(gallery default)"), "{id_row}");
    let reply_row = row(&html, "Reply URL (Assertion Consumer Service URL)");
    assert!(
        reply_row.contains("<code>https://miro.com/sso/saml/3074457/77</code>"),
        "{reply_row}"
    );
    assert!(
        !reply_row.contains("gallery"),
        "typed by the administrator: {reply_row}"
    );
    assert!(!reply_row.contains("default"), "{reply_row}");
    assert!(
        row(&html, "Sign on URL").contains("(fixed by the gallery)"),
        "{html}"
    );
    assert!(
        row(&html, "Signed AuthnRequests").contains("not required"),
        "{html}"
    );

    // Several Reply URLs: the default one is called so, without the word alone.
    s.cli_ok(&[
        "app",
        "set",
        &miro,
        "--reply-url",
        "https://miro.com/sso/saml/3074457/77",
        "--reply-url",
        "https://miro.com/sso/saml/3074458/78",
    ]);
    s.wait_config();
    let (_, _, html) = page(&b, &s, &format!("/admin/apps/{miro}/sso/saml")).await;
    let reply_row = row(&html, "Reply URL (Assertion Consumer Service URL)");
    assert_eq!(
        reply_row.matches("(default Reply URL)").count(),
        1,
        "{reply_row}"
    );
    assert!(!section_1(&html).contains("(default)"), "{html}");

    // Signed requests required with a certificate: counted.
    let cert = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../saml/tests/fixtures/test-rsa-cert.pem");
    s.cli_ok(&[
        "app",
        "set",
        &miro,
        "--sp-cert",
        cert.to_str().unwrap(),
        "--require-signed-requests",
        "true",
    ]);
    s.wait_config();
    let (_, _, html) = page(&b, &s, &format!("/admin/apps/{miro}/sso/saml")).await;
    assert!(
        row(&html, "Signed AuthnRequests").contains("required (1 certificate)"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn set_up_section_shows_whole_values_and_the_steps_as_a_list() {
    let s = Server::start();
    let id = uuid_in(&s.cli_ok(&[
        "app",
        "add",
        "--gallery",
        "convene",
        "--name",
        "Convene",
        "--identifier",
        "https://portal.convene.me.uk",
        "--reply-url",
        "https://portal.convene.me.uk/saml/acs/4f2c9a",
    ]));
    s.wait_config();
    let b = admin(&s).await;
    let (st, _, html) = page(&b, &s, &format!("/admin/apps/{id}/sso/saml")).await;
    assert_eq!(st, 200, "{html}");
    // The whole value, as text that wraps (not a box cut at its width), and its Copy button.
    let login = format!("{}/{}/saml2", s.base, s.tenant);
    assert!(
        html.contains(&format!(
            "<code class=\"copyable\" id=\"login-url\">{login}</code>"
        )),
        "{html}"
    );
    assert!(html.contains("data-copy=\"login-url\""), "{html}");
    assert!(
        html.contains("<code class=\"copyable\" id=\"idp-id\">"),
        "{html}"
    );
    assert!(
        html.contains("<code class=\"copyable\" id=\"logout-url\">"),
        "{html}"
    );
    assert!(
        html.contains("<code class=\"copyable\" id=\"fed-url\">"),
        "{html}"
    );
    assert!(!html.contains("readonly id=\"login-url\""), "{html}");
    // The steps: an ordered list of prose, values as code, no monospace block.
    assert!(html.contains("<h3>Configure Convene</h3>"), "{html}");
    assert!(html.contains("<ol class=\"steps\"><li>"), "{html}");
    assert!(
        html.contains("<code>support@convene.me.uk</code>"),
        "{html}"
    );
    assert!(!html.contains("<pre class=\"instructions\">"), "{html}");
    assert!(
        !html.contains("Convene&#39;s") && !html.contains("Convene's"),
        "{html}"
    );
    // The gallery card renders the same list.
    let (_, _, card) = page(&b, &s, "/admin/gallery/cisco-webex-meetings").await;
    assert!(card.contains("<ol class=\"steps\"><li>"), "{card}");
    assert!(!card.contains("<pre class=\"instructions\">"), "{card}");
    assert!(
        !card.contains("Meetings&#39;s") && !card.contains("Meetings's"),
        "{card}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn test_page_warns_of_sp_only_apps_and_says_how_the_user_is_assigned() {
    let s = Server::start();
    let id = uuid_in(&s.cli_ok(&[
        "app",
        "add",
        "--gallery",
        "imagen",
        "--name",
        "Imagen (acme)",
        "--identifier",
        "https://acme.imagencloud.com/sp-entityid",
        "--reply-url",
        "https://acme.imagencloud.com/saml/module.php/saml/sp/saml2-acs.php/imagenweb",
        "--sign-on-url",
        "https://acme.imagencloud.com/site/login",
    ]));
    s.cli_ok(&["group", "add", "Editors"]);
    s.cli_ok(&["group", "add", "Staff"]);
    s.cli_ok(&["group", "add-member", "Editors", "--user", DEMO_UPN]);
    s.cli_ok(&["group", "add-member", "Staff", "--group", "Editors"]);
    s.cli_ok(&["app", "assign", &id, "--group", "Staff"]);
    s.wait_config();
    let b = admin(&s).await;
    let test = format!("/admin/apps/{id}/sso/test");
    let (st, _, html) = page(&b, &s, &test).await;
    assert_eq!(st, 200, "{html}");
    let html = unescape(&html);
    assert!(html.contains("Test IdP-initiated instead"), "{html}");
    assert!(
        html.contains("Imagen documents SP-initiated sign-in only; an IdP-initiated response may be refused by it."),
        "{html}"
    );

    let (st, _, html) = page(&b, &s, &format!("{test}?user={DEMO_UPN}")).await;
    assert_eq!(st, 200, "{html}");
    let html = unescape(&html);
    assert!(
        html.contains("<td id=\"assignment\">assigned through group Staff</td>"),
        "{html}"
    );
    // The checklist: request signatures first, the vendor named by its display name only.
    assert!(html.contains("<h3>What Imagen expects</h3>"), "{html}");
    assert!(!html.contains("imagen (Imagen)"), "{html}");
    let signing = &html[html
        .find("id=\"check-request-signing\"")
        .expect("signing row")..];
    let signing = &signing[..signing.find("</tr>").unwrap()];
    assert!(signing.contains("Pass"), "{signing}");
    assert!(signing.contains("Signed AuthnRequests"), "{signing}");
    assert!(signing.contains("not required"), "{signing}");

    // Assigned directly as well; then a custom app that requires no assignment.
    s.cli_ok(&["app", "assign", &id, "--user", DEMO_UPN]);
    let custom = add_custom(&s, "Open app");
    s.cli_ok(&[
        "app",
        "set",
        &custom,
        "--identifier",
        "https://open.example.com",
        "--reply-url",
        "https://open.example.com/acs",
        "--assignment-required",
        "false",
    ]);
    s.wait_config();
    let (_, _, html) = page(&b, &s, &format!("{test}?user={DEMO_UPN}")).await;
    assert!(
        unescape(&html).contains("assigned directly and through group Staff"),
        "{html}"
    );
    let (st, _, html) = page(
        &b,
        &s,
        &format!("/admin/apps/{custom}/sso/test?user={DEMO_UPN}"),
    )
    .await;
    assert_eq!(st, 200, "{html}");
    let html = unescape(&html);
    assert!(
        html.contains("not assigned (assignment not required)"),
        "{html}"
    );
    assert!(html.contains("<h3>Checks</h3>"), "{html}");
    assert!(html.contains("id=\"check-request-signing\""), "{html}");
    assert!(
        !html.contains("documents SP-initiated sign-in only"),
        "{html}"
    );
}

/// An application stored requiring signed requests without a certificate (before that
/// was refused): it loads, the card and the checklist say every sign-in is refused, and
/// it can still be renamed.
#[tokio::test(flavor = "multi_thread")]
async fn a_stored_app_requiring_signatures_without_a_certificate_is_shown_as_failing() {
    let s = Server::start();
    let id = add_custom(&s, "Legacy");
    s.cli_ok(&[
        "app",
        "set",
        &id,
        "--identifier",
        "https://legacy.example.com",
        "--reply-url",
        "https://legacy.example.com/acs",
    ]);
    let store = sesame::store::Store::open(&s.database_url(), 1)
        .await
        .unwrap();
    let mut app = store.app_by_id(&id).await.unwrap().unwrap();
    app.saml.require_signed_requests = true;
    store.save_app(&app).await.unwrap();
    store.close().await;
    s.cli_ok(&["app", "set", &id, "--name", "Legacy (renamed)"]);
    s.wait_config();
    let b = admin(&s).await;
    let (st, _, html) = page(&b, &s, &format!("/admin/apps/{id}/sso/saml")).await;
    assert_eq!(st, 200, "{html}");
    let r = unescape(row(&html, "Signed AuthnRequests"));
    assert!(r.contains("Every sign-in refused"), "{r}");
    assert!(
        r.contains("no certificate of the application is uploaded"),
        "{r}"
    );
    let (_, _, html) = page(
        &b,
        &s,
        &format!("/admin/apps/{id}/sso/test?user={ADMIN_UPN}"),
    )
    .await;
    let html = unescape(&html);
    let signing = &html[html
        .find("id=\"check-request-signing\"")
        .expect("signing row")..];
    assert!(
        signing[..signing.find("</tr>").unwrap()].contains("Fail"),
        "{html}"
    );
    assert!(
        html.contains("Warning: signed AuthnRequests are required, but no certificate"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn app_federation_metadata_url_is_shown_inline_unless_downloaded() {
    let s = Server::start();
    let id = s.add_sp(&[]);
    let url = format!(
        "{}/{}/federationmetadata/2007-06/federationmetadata.xml?appid={id}",
        s.base, s.tenant
    );
    let get = |url: String, accept: &'static str| async move {
        let r = reqwest::Client::new()
            .get(url)
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        let h = r.headers().clone();
        let header = |n: &str| {
            h.get(n)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        (
            r.status().as_u16(),
            header("content-type"),
            header("content-disposition"),
            r.text().await.unwrap(),
        )
    };
    // A browser: XML it displays.
    let (st, ct, cd, body) = get(
        url.clone(),
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    )
    .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(ct, "text/xml; charset=utf-8");
    assert_eq!(cd, "inline");
    let md = sesame_saml::metadata::parse_entities(&body).unwrap();
    assert_eq!(md.len(), 1, "{body}");
    // `?download`: a file to save.
    let (st, ct, cd, body) = get(format!("{url}&download"), "text/html").await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(ct, "application/samlmetadata+xml; charset=utf-8");
    assert_eq!(cd, "attachment; filename=\"Test_SP.xml\"");
    assert!(body.contains("EntityDescriptor"), "{body}");
    // A client asking for SAML metadata gets that type.
    let (st, ct, _, body) = get(url.clone(), "application/samlmetadata+xml").await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(ct, "application/samlmetadata+xml; charset=utf-8");
    assert!(sesame_saml::metadata::parse_entities(&body).is_ok());
}

/// The Webex sample metadata without its signing certificate.
fn webex_metadata_without_certificate() -> String {
    let xml = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/sp-metadata-webex.xml"),
    )
    .unwrap();
    let start = xml.find("<md:KeyDescriptor").unwrap();
    let end = xml.find("</md:KeyDescriptor>").unwrap() + "</md:KeyDescriptor>".len();
    format!("{}{}", &xml[..start], &xml[end..])
}

#[tokio::test(flavor = "multi_thread")]
async fn gallery_add_with_metadata_without_a_certificate_warns() {
    let s = Server::start();
    let b = admin(&s).await;
    let (st, _, card) = page(&b, &s, "/admin/gallery/cisco-webex-meetings").await;
    assert_eq!(st, 200, "{card}");
    let add = post_form(&card, "/admin/gallery/cisco-webex-meetings")
        .set("name", "Cisco Webex Meetings")
        .set("metadata", &webex_metadata_without_certificate());
    let (st, url, html) = submit(&b, &s.base, &add).await;
    assert_eq!(st, 200, "{html}");
    let html = unescape(&html);
    assert!(html.contains("flash warn"), "{html}");
    assert!(
        html.contains("Application added. Require signed AuthnRequests is off: the metadata says the application signs its AuthnRequests but holds no signing certificate"),
        "{html}"
    );
    let v = app_json(&s, &id_in(&url));
    assert_eq!(v["require_signed_requests"], false, "{v}");
    assert_eq!(
        v["identifiers"][0]["value"],
        "https://acme.webex.com/dispatcher/SAML2AuthService"
    );
}
