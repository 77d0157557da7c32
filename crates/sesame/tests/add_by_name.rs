//! Adding a gallery application by its name alone, as in Azure: the app exists at once
//! with its Login URL, IdP Identifier, certificate and App Federation Metadata URL, says
//! "SAML not configured" (portal, CLI, REST API) until its Basic SAML Configuration has
//! what it needs, refuses single sign-on meanwhile (SESAME900060) and has no My Apps
//! tile. Also: placeholders copied from a vendor's document named in refusals, the
//! single-instance refusal linking the existing app, and the empty gallery search.

use crate::common::*;

const CONVENE_ID: &str = "https://portal.convene.me.uk";
const CONVENE_ACS: &str = "https://portal.convene.me.uk/saml/acs/4f2c9a";

fn app_json(s: &Server, id: &str) -> serde_json::Value {
    serde_json::from_str(&s.cli_ok(&["app", "show", id, "--json"])).unwrap()
}

/// A page's text with the entities askama writes turned back into characters.
fn plain(html: &str) -> String {
    unescape(
        &html
            .replace("&#60;", "<")
            .replace("&#62;", ">")
            .replace("&#34;", "\"")
            .replace("&#38;", "&"),
    )
}

fn stderr_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A signed-in admin browser (following redirects) and one that does not follow them,
/// sharing a cookie jar.
async fn admin_pair(s: &Server) -> (reqwest::Client, reqwest::Client) {
    let (follow, manual) = browser_pair();
    sign_in_with(&follow, s, ADMIN_UPN, &admin_password(s)).await;
    (follow, manual)
}

async fn text(b: &reqwest::Client, url: &str) -> (u16, String) {
    let r = b.get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// POSTs the gallery card's Add form with this session's CSRF token: (status, Location,
/// body).
async fn add_on_card(
    s: &Server,
    follow: &reqwest::Client,
    manual: &reqwest::Client,
    gallery: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let (_, card) = text(follow, &format!("{}/admin/gallery/{gallery}", s.base)).await;
    let token = csrf(&card);
    let mut f: Vec<(&str, &str)> = vec![("csrf", &token)];
    f.extend_from_slice(fields);
    let r = manual
        .post(format!("{}/admin/gallery/{gallery}", s.base))
        .form(&f)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, loc, r.text().await.unwrap())
}

/// `sesame app add --gallery convene --name Convene` works without any other option: the
/// id on stdout, what is still needed and the `app set` options on stderr; `show`,
/// `list` and `--json` say "SAML not configured"; the metadata URL answers at once;
/// launch and SP-initiated sign-in are refused with SESAME900060; My Apps has no tile
/// until the values are set.
#[tokio::test(flavor = "multi_thread")]
async fn cli_add_by_name_then_configure() {
    let s = Server::start();
    let out = s.cli(&["app", "add", "--gallery", "convene", "--name", "Convene"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let id = uuid_in(&String::from_utf8_lossy(&out.stdout));
    let note = stderr_of(&out);
    assert!(note.contains("SAML not configured"), "{note}");
    assert!(
        note.contains("Identifier (Entity ID) and Reply URL (Assertion Consumer Service URL). Convene gives you these values."),
        "{note}"
    );
    assert!(
        note.contains(&format!(
            "sesame app set {id} --identifier URI --reply-url URL"
        )),
        "{note}"
    );

    let v = app_json(&s, &id);
    assert_eq!(v["saml_configured"], false, "{v}");
    assert_eq!(
        v["missing"],
        serde_json::json!([
            "Identifier (Entity ID)",
            "Reply URL (Assertion Consumer Service URL)"
        ])
    );
    let shown = s.cli_ok(&["app", "show", &id]);
    assert!(
        shown.contains("SAML not configured: needs Identifier (Entity ID) and Reply URL"),
        "{shown}"
    );
    let listed = s.cli_ok(&["app", "list"]);
    let line = listed.lines().find(|l| l.starts_with(&id)).unwrap();
    assert!(line.ends_with("\tSAML not configured"), "{line}");

    // The App Federation Metadata URL exists as soon as the app does.
    s.wait_config();
    let b = browser();
    let meta = v["federation_metadata_url"].as_str().unwrap();
    let r = b.get(meta).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("EntityDescriptor"));

    // Launch: refused before anything is sent (not even the fixed Sign on URL).
    s.cli_ok(&["app", "assign", &id, "--user", DEMO_UPN]);
    s.wait_config();
    let launch = format!("{}/{}/apps/{id}/launch", s.base, s.tenant);
    let r = browser_no_redirect().get(&launch).send().await.unwrap();
    let (status, code, page) = error_code(r).await;
    assert_eq!((status, code.as_str()), (400, "SESAME900060"), "{page}");
    assert!(!is_auto_post(&page));

    // My Apps: no tile for B.Simon yet.
    let user = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let (_, my) = text(&user, &format!("{}/myapps", s.base)).await;
    assert!(!my.contains(&format!("/apps/{id}/launch")), "{my}");

    // Saving the guide's Reply URL with its placeholder names the placeholder.
    let o = s.cli(&[
        "app",
        "set",
        &id,
        "--reply-url",
        "https://portal.convene.me.uk/saml/acs/<UID>",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr_of(&o).contains("replace <UID> with the value Convene gives you"),
        "{}",
        stderr_of(&o)
    );

    // Configured: the tile appears, the state says so everywhere.
    s.cli_ok(&[
        "app",
        "set",
        &id,
        "--identifier",
        CONVENE_ID,
        "--reply-url",
        CONVENE_ACS,
    ]);
    let v = app_json(&s, &id);
    assert_eq!(v["saml_configured"], true, "{v}");
    assert_eq!(v["missing"], serde_json::json!([]));
    let listed = s.cli_ok(&["app", "list"]);
    let line = listed.lines().find(|l| l.starts_with(&id)).unwrap();
    assert!(line.ends_with("\tSAML configured"), "{line}");
    s.wait_config();
    let (_, my) = text(&user, &format!("{}/myapps", s.base)).await;
    assert!(my.contains(&format!("/apps/{id}/launch")), "{my}");
}

/// An SP-initiated request that reaches an app without a Reply URL is refused with
/// SESAME900060, and nothing is posted anywhere.
#[tokio::test(flavor = "multi_thread")]
async fn sp_initiated_request_to_an_unconfigured_app_is_refused() {
    let s = Server::start();
    s.cli_ok(&[
        "app",
        "add",
        "--custom",
        "--name",
        "Half",
        "--identifier",
        SP_ENTITY,
    ]);
    s.wait_config();
    let b = browser();
    let url = redirect_request(&s, &authn_request(&s, "_half1"), None, None);
    let r = b.get(&url).send().await.unwrap();
    let (status, code, page) = error_code(r).await;
    assert_eq!((status, code.as_str()), (400, "SESAME900060"), "{page}");
    assert!(!is_auto_post(&page));
    // Signed in, the same.
    let user = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let url = redirect_request(&s, &authn_request(&s, "_half2"), None, None);
    let r = user.get(&url).send().await.unwrap();
    let (status, code, page) = error_code(r).await;
    assert_eq!((status, code.as_str()), (400, "SESAME900060"), "{page}");
    assert!(!is_auto_post(&page));
}

/// Cequence (no Reply URL in its document) is added by name and its metadata URL
/// answers right away; the REST API's gallery create needs only the name too and
/// reports `saml_configured` and `missing`.
#[tokio::test(flavor = "multi_thread")]
async fn cequence_by_name_cli_and_api() {
    let s = Server::start();
    let id = uuid_in(&s.cli_ok(&[
        "app",
        "add",
        "--gallery",
        "cequence-application-security",
        "--name",
        "Cequence",
    ]));
    let v = app_json(&s, &id);
    assert_eq!(
        v["missing"],
        serde_json::json!([
            "Identifier (Entity ID)",
            "Reply URL (Assertion Consumer Service URL)",
            "Sign on URL"
        ])
    );
    s.wait_config();
    let r = browser()
        .get(v["federation_metadata_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    let token = s
        .cli_ok(&["token", "create", "--name", "t"])
        .trim()
        .to_owned();
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/apps", s.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "Cequence 2", "gallery_id": "cequence-application-security"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let app: serde_json::Value = r.json().await.unwrap();
    assert_eq!(app["saml_configured"], false, "{app}");
    assert_eq!(app["missing"].as_array().unwrap().len(), 3, "{app}");
    // The OpenAPI document describes the new fields.
    let doc: serde_json::Value = reqwest::get(format!("{}/api/openapi.json", s.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let props = &doc["components"]["schemas"]["AppDto"]["properties"];
    assert!(props.get("saml_configured").is_some() && props.get("missing").is_some());
}

/// The portal: Convene's Add panel needs only the name (its vendor values optional, the
/// hint shown once); Add lands on the SAML page saying "SAML not configured" and what is
/// needed; the applications list shows the state; ServusConnect (all values fixed) is
/// configured at once and its panel does not ask for values.
#[tokio::test(flavor = "multi_thread")]
async fn portal_add_by_name() {
    let s = Server::start();
    let (follow, manual) = admin_pair(&s).await;
    let (_, card) = text(&follow, &format!("{}/admin/gallery/convene", s.base)).await;
    assert!(
        card.contains("Optional: the values Convene gives you"),
        "{card}"
    );
    for t in tags(&card, "input") {
        if attr(t, "name").as_deref() == Some("identifier")
            || attr(t, "name").as_deref() == Some("reply_url")
        {
            assert!(!has_attr(t, "required"), "{t}");
        }
    }
    assert!(!card.contains("cannot store"), "{card}");
    let hint = "Convene support (support@convene.me.uk) gives you the Identifier:";
    assert_eq!(card.matches(hint).count(), 1, "{card}");

    let (status, loc, body) =
        add_on_card(&s, &follow, &manual, "convene", &[("name", "Convene")]).await;
    assert_eq!(status, 303, "{body}");
    assert!(loc.ends_with("/sso/saml"), "{loc}");
    let id = loc
        .trim_start_matches("/admin/apps/")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    // The App Federation Metadata URL answers at once (the portal reloads the server's
    // configuration when it adds an app), before any Identifier or Reply URL exists.
    let meta = app_json(&s, &id)["federation_metadata_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = browser().get(&meta).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("EntityDescriptor"));
    let (_, setup) = text(&follow, &format!("{}{loc}", s.base)).await;
    assert!(setup.contains("SAML not configured."), "{setup}");
    assert!(
        setup.contains("Still needed: Identifier (Entity ID) and Reply URL (Assertion Consumer Service URL). Convene gives you these values."),
        "{setup}"
    );
    let (_, list) = text(&follow, &format!("{}/admin/apps", s.base)).await;
    assert!(
        list.contains(&format!(
            "href=\"/admin/apps/{id}/sso/saml\">SAML not configured</a>"
        )),
        "{list}"
    );

    // ServusConnect: every value fixed.
    let (_, card) = text(&follow, &format!("{}/admin/gallery/servusconnect", s.base)).await;
    assert!(!card.contains("Optional: the values"), "{card}");
    assert!(card.contains("is ready for single sign-on"), "{card}");
    let (status, loc, body) = add_on_card(
        &s,
        &follow,
        &manual,
        "servusconnect",
        &[("name", "ServusConnect")],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let (_, setup) = text(&follow, &format!("{}{loc}", s.base)).await;
    assert!(!setup.contains("SAML not configured."), "{setup}");
    let sid = loc
        .trim_start_matches("/admin/apps/")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(app_json(&s, &sid)["saml_configured"], true);
}

/// Placeholders copied from a vendor's document are named, and the field marked; the
/// second instance of a single-instance app is refused naming and linking the first;
/// no message says "Convene's".
#[tokio::test(flavor = "multi_thread")]
async fn placeholders_and_single_instance_in_the_portal() {
    let s = Server::start();
    let (follow, manual) = admin_pair(&s).await;
    let (status, _, body) = add_on_card(
        &s,
        &follow,
        &manual,
        "convene",
        &[
            ("name", "Convene"),
            ("reply_url", "https://portal.convene.me.uk/saml/acs/<UID>"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        plain(&body).contains("replace <UID> with the value Convene gives you"),
        "{body}"
    );
    let reply = tags(&body, "input")
        .into_iter()
        .find(|t| attr(t, "name").as_deref() == Some("reply_url"))
        .unwrap();
    assert_eq!(
        attr(reply, "aria-invalid").as_deref(),
        Some("true"),
        "{reply}"
    );
    // A value that fits no pattern: the message has no "Convene's".
    let (status, _, body) = add_on_card(
        &s,
        &follow,
        &manual,
        "convene",
        &[
            ("name", "Convene"),
            ("reply_url", "https://x.example.com/acs"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("does not match the pattern Convene uses"),
        "{body}"
    );
    assert!(
        !body.contains("Convene&#x27;s") && !body.contains("Convene's"),
        "{body}"
    );

    // Cequence: a literal <CUSTOMERNAME> is named, not "invalid international domain name".
    let (status, _, body) = add_on_card(
        &s,
        &follow,
        &manual,
        "cequence-application-security",
        &[
            ("name", "Cequence"),
            (
                "identifier",
                "https://<CUSTOMERNAME>.s.cequence.cloud:443/saml/metadata",
            ),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        plain(&body).contains(
            "replace <CUSTOMERNAME> with the value Cequence Application Security gives you"
        ),
        "{body}"
    );
    assert!(!body.contains("international domain"), "{body}");

    // Single instance: the refusal names the existing app by its name and links it.
    let (status, loc, _) =
        add_on_card(&s, &follow, &manual, "convene", &[("name", "Board portal")]).await;
    assert_eq!(status, 303);
    let id = loc
        .trim_start_matches("/admin/apps/")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let (status, _, body) = add_on_card(
        &s,
        &follow,
        &manual,
        "convene",
        &[("name", "Convene again")],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains(&format!("<a href=\"/admin/apps/{id}\">Board portal</a>")),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "Convene is already added as Board portal (app {id})"
        )),
        "{body}"
    );
}

/// An empty gallery search says so in a status region with a link to create an app;
/// My Apps carries the status region its client-side filter fills.
#[tokio::test(flavor = "multi_thread")]
async fn empty_searches_are_announced() {
    let s = Server::start();
    let (follow, _) = admin_pair(&s).await;
    let (_, page) = text(&follow, &format!("{}/admin/apps/new?q=zzqq", s.base)).await;
    let i = page
        .find("data-empty-for=\"gallery\"")
        .expect("status region");
    let region = &page[page[..i].rfind('<').unwrap()..];
    assert!(
        region.starts_with("<div class=\"empty-result\" role=\"status\" aria-live=\"polite\""),
        "{region}"
    );
    let msg = &region[..region.find("</div>").unwrap()];
    assert!(
        msg.contains("No application matches “<span data-empty-query>zzqq</span>”."),
        "{msg}"
    );
    assert!(!msg.contains(" hidden"), "{msg}");
    assert!(
        msg.contains("<a href=\"/admin/apps/new/custom\">Create your own application</a>"),
        "{msg}"
    );
    // With results, the region is there for the client-side filter, its message hidden.
    let (_, page) = text(&follow, &format!("{}/admin/apps/new?q=Convene", s.base)).await;
    assert!(page.contains("<p data-empty-msg hidden>"), "{page}");

    let user = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let (_, my) = text(&user, &format!("{}/myapps", s.base)).await;
    assert!(
        my.contains("role=\"status\" aria-live=\"polite\" data-empty-for=\"apps\""),
        "{my}"
    );
}
