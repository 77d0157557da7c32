//! Attributes & Claims shows what the assertion carries: duplicate attribute names are
//! refused wherever a claim or the group claim is written (library, CLI, portal), a
//! gallery claim of `user.groups` is the group claim, the list shows the name format
//! ("omitted" for none) and claim URIs that break only at their separators, and a
//! `urn:` name gets the `uri` hint.

use crate::common::*;
use sesame::apps::claims::{self, Claim, Expr, GroupClaims, GroupEmit, GroupScope, NameFormat};
use sesame::apps::{self, AppError, NewApp};
use sesame::model::{Identifier, ReplyUrl};
use sesame::store::Store;
use sesame::tenant::MasterKey;
use std::path::PathBuf;

struct Db {
    dir: PathBuf,
    store: Store,
    _pg: Option<test_db::TestDb>,
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn db() -> Db {
    let dir = std::env::temp_dir().join(format!("sesame-claimnames-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let pg = test_db::for_data_dir(&dir, true);
    let url = test_db::url_for(&dir, pg.as_ref());
    let store = Store::open(&url, 2).await.unwrap();
    sesame::tenant::ensure(&store, &dir, None).await.unwrap();
    Db {
        dir,
        store,
        _pg: pg,
    }
}

fn master() -> MasterKey {
    MasterKey::from_text("claim names test master key").unwrap()
}

fn groups_claim(name: &str) -> GroupClaims {
    let mut g = GroupClaims::new(GroupScope::All, GroupEmit::ObjectId);
    g.claim_name = name.to_owned();
    g
}

fn conflict(r: Result<impl std::fmt::Debug, AppError>) -> String {
    match r {
        Err(AppError::Conflict(m)) => m,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn duplicate_claim_names_are_refused() {
    let db = db().await;
    let st = &db.store;
    let app = apps::create_app(st, &master(), NewApp::custom("Dup"))
        .await
        .unwrap()
        .id;
    let uid = Claim::new("", "uid", Expr::constant("x"));
    claims::add_claim(st, &app, uid.clone()).await.unwrap();
    // Add new claim with a name already sent: refused, naming the other row.
    let m = conflict(claims::add_claim(st, &app, Claim::new("", "uid", Expr::constant("y"))).await);
    assert!(
        m.contains("the claim uid ← \"x\"") && m.contains("edit or delete"),
        "{m}"
    );
    // Editing a claim into another's name: refused; the two rows stay.
    claims::add_claim(st, &app, Claim::new("", "mail", Expr::constant("m")))
        .await
        .unwrap();
    let m = conflict(
        claims::edit_claim(
            st,
            &app,
            "mail",
            "",
            Claim::new("", "uid", Expr::constant("m")),
        )
        .await,
    );
    assert!(m.contains("uid"), "{m}");
    let names: Vec<String> = claims::list_claims(st, &app)
        .await
        .unwrap()
        .iter()
        .map(Claim::full_name)
        .collect();
    assert!(names.contains(&"uid".to_owned()) && names.contains(&"mail".to_owned()));
    // Editing a claim under its own name, and renaming it to a free one, work.
    claims::edit_claim(
        st,
        &app,
        "mail",
        "",
        Claim::new("", "mail", Expr::constant("m2")),
    )
    .await
    .unwrap();
    claims::edit_claim(
        st,
        &app,
        "mail",
        "",
        Claim::new("", "email", Expr::constant("m2")),
    )
    .await
    .unwrap();
    let names: Vec<String> = claims::list_claims(st, &app)
        .await
        .unwrap()
        .iter()
        .map(Claim::full_name)
        .collect();
    assert!(names.contains(&"email".to_owned()) && !names.contains(&"mail".to_owned()));
    // The group claim may not take a claim's name, nor a claim the group claim's.
    let m = conflict(claims::set_group_claims(st, &app, Some(groups_claim("uid"))).await);
    assert!(
        m.contains("the claim uid ← \"x\"") && m.contains("Attributes & Claims"),
        "{m}"
    );
    assert_eq!(claims::group_claims(st, &app).await.unwrap(), None);
    claims::set_group_claims(st, &app, Some(groups_claim("Group")))
        .await
        .unwrap();
    let m =
        conflict(claims::set_claim(st, &app, Claim::new("", "Group", Expr::constant("g"))).await);
    assert!(m.contains("group claim"), "{m}");
    let m =
        conflict(claims::add_claim(st, &app, Claim::new("", "Group", Expr::constant("g"))).await);
    assert!(m.contains("group claim"), "{m}");
    // The same name under a namespace is another attribute: accepted.
    claims::add_claim(
        st,
        &app,
        Claim::new("urn:example", "Group", Expr::constant("g")),
    )
    .await
    .unwrap();
    // Set (CLI, API) still replaces the claim with its own name and namespace.
    claims::set_claim(st, &app, Claim::new("", "uid", Expr::constant("z")))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_gallery_group_claim_is_the_group_claim() {
    let db = db().await;
    let st = &db.store;
    let t = sesame::gallery::template("cequence-application-security").unwrap();
    let mut new = sesame::gallery::new_app(t, "Cequence");
    new.saml.identifiers.push(Identifier {
        value: "https://contoso.s.cequence.cloud:443/saml/metadata".into(),
        is_default: true,
    });
    new.saml.reply_urls.push(ReplyUrl {
        url: "https://contoso.s.cequence.cloud/saml/acs".into(),
        index: None,
        is_default: true,
    });
    new.saml.sign_on_url = Some("https://contoso.s.cequence.cloud".into());
    let app = apps::gallery::add_from_gallery(st, &master(), t, new)
        .await
        .unwrap();
    let list = claims::list_claims(st, &app.id).await.unwrap();
    assert!(
        !list.iter().any(|c| c.full_name() == "Group"),
        "no claim row named Group: {list:?}"
    );
    assert!(
        !list.is_empty(),
        "the other claims of the template stay rows"
    );
    let g = claims::group_claims(st, &app.id).await.unwrap().unwrap();
    assert_eq!(g.claim_name, "Group");
    assert_eq!((g.scope, g.emit), (GroupScope::All, GroupEmit::ObjectId));
}

#[test]
fn name_format_omitted_and_the_urn_hint() {
    assert_eq!(
        "omitted".parse::<NameFormat>().unwrap(),
        NameFormat::Unspecified
    );
    assert_eq!(
        "unspecified".parse::<NameFormat>().unwrap(),
        NameFormat::Unspecified
    );
    assert_eq!(NameFormat::Unspecified.label(), "omitted");
    let mut c = Claim::new("", "urn:oid:0.9.2342.19200300.100.1.3", Expr::constant("x"));
    assert!(c.name_format_hint().unwrap().contains("uri"));
    c.name_format = NameFormat::Uri;
    assert_eq!(c.name_format_hint(), None);
    assert_eq!(
        Claim::new("", "uid", Expr::constant("x")).name_format_hint(),
        None
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn portal_and_cli_show_and_refuse_duplicates() {
    let s = Server::start();
    let app = s.add_sp(&[]);
    // CLI: a urn: name without the uri name format gets a hint; omitted is accepted.
    let out = s.cli_ok(&[
        "app",
        "claims",
        &app,
        "set",
        "urn:oid:0.9.2342.19200300.100.1.3",
        "--source",
        "user.mail",
        "--name-format",
        "omitted",
    ]);
    assert!(
        out.contains("hint:") && out.contains("--name-format uri"),
        "{out}"
    );
    // CLI: the group claim may not take a claim's name, nor the other way round.
    s.cli_ok(&["app", "claims", &app, "groups", "--all", "--name", "Group"]);
    let o = s.cli(&[
        "app",
        "claims",
        &app,
        "set",
        "Group",
        "--source",
        "user.mail",
    ]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("the group claim (Group Claims) already sends"),
        "{e}"
    );

    let b = admin(&s).await;
    let claims_path = format!("/admin/apps/{app}/sso/claims");
    let (st, _, list) = page(&b, &s, &claims_path).await;
    assert_eq!(st, 200, "{list}");
    assert!(list.contains("<th>Name format</th>"), "{list}");
    // The name format column says what unspecified does.
    let urn_row = list
        .split("<tr")
        .find(|r| r.contains("urn:<wbr>oid:<wbr>0.<wbr>9.<wbr>2342"))
        .unwrap_or_else(|| panic!("no urn row with line breaks at separators: {list}"));
    assert!(urn_row.contains("<td>omitted</td>"), "{urn_row}");
    // Claim URIs break only at / : and .
    assert!(
        list.contains("http:<wbr>/<wbr>/<wbr>schemas.<wbr>xmlsoap.<wbr>org/<wbr>ws/<wbr>2005/<wbr>05/<wbr>identity/<wbr>claims/<wbr>emailaddress"),
        "{list}"
    );
    // The group claim is a row of its own, linking to Group Claims.
    let group_row = list
        .split("<tr")
        .find(|r| r.contains("id=\"group-claim\""))
        .unwrap_or_else(|| panic!("no group claim row: {list}"));
    assert!(group_row.contains(">Group</code>") && group_row.contains("/sso/claims/groups"));

    // Add new claim named as the group claim: refused on the form, the name field
    // focused and described by the message.
    let (_, _, form_html) = page(&b, &s, &format!("{claims_path}/edit")).await;
    let action = format!("{claims_path}/edit");
    let form = post_form(&form_html, &action)
        .set("name", "Group")
        .set("attribute", "user.mail");
    let (st, _, body) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 422, "{body}");
    assert!(
        body.contains("the group claim (Group Claims) already sends"),
        "{body}"
    );
    assert!(body.contains("SESAME910006"), "{body}");
    let name_input = tags(&body, "input")
        .into_iter()
        .find(|t| attr(t, "id").as_deref() == Some("name"))
        .unwrap();
    assert!(has_attr(name_input, "autofocus"), "{name_input}");
    assert_eq!(attr(name_input, "aria-invalid").as_deref(), Some("true"));
    let described = attr(name_input, "aria-describedby").unwrap();
    assert!(body.contains(&format!("id=\"{described}\"")), "{body}");
    assert_eq!(body.matches(" autofocus").count(), 1);

    // Add new claim with a claim's name: refused, naming it (no silent replacement).
    let form = post_form(&form_html, &action)
        .set("name", "emailaddress")
        .set(
            "namespace",
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims",
        )
        .set("attribute", "user.givenname");
    let (st, _, body) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 422, "{body}");
    assert!(
        body.contains("emailaddress ← user.mail already sends"),
        "{body}"
    );

    // Turning the group claim's name into a claim's: refused on Group Claims.
    let (_, _, groups_html) = page(&b, &s, &format!("{claims_path}/groups")).await;
    let form = post_form(&groups_html, &format!("{claims_path}/groups"))
        .set("claim_name", "urn:oid:0.9.2342.19200300.100.1.3");
    let (st, _, body) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("edit or delete that claim first"), "{body}");
    let claim_name = tags(&body, "input")
        .into_iter()
        .find(|t| attr(t, "id").as_deref() == Some("claim_name"))
        .unwrap();
    assert!(has_attr(claim_name, "autofocus"), "{claim_name}");

    // A urn: name added by hand: the form opens with the uri hint; the saved result says it.
    assert!(form_html.contains("id=\"urn-hint\""), "{form_html}");
    let form = post_form(&form_html, &action)
        .set("name", "urn:oid:2.5.4.42")
        .set("attribute", "user.givenname");
    let (st, _, body) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 200, "{body}");
    assert!(
        body.contains("Claim saved.") && body.contains("name format uri"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_refuses_duplicate_names() {
    let s = Server::start();
    let app = s.add_sp(&[]);
    let secret = s
        .cli_ok(&["token", "create", "--name", "claims"])
        .trim()
        .to_owned();
    let c = reqwest::Client::new();
    let put = |path: String, body: serde_json::Value| {
        c.put(format!("{}{path}", s.base))
            .bearer_auth(&secret)
            .json(&body)
            .send()
    };
    // The group claim may not take the name of a claim.
    let r = put(
        format!("/api/v1/apps/{app}/group-claims"),
        serde_json::json!({"enabled": true, "claim_name": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 409);
    let p: serde_json::Value = r.json().await.unwrap();
    assert_eq!(p["code"], "SESAME910006", "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("name ← user.userprincipalname"),
        "{p}"
    );
    // Nor a claim the group claim's; `omitted` is accepted as a name format.
    let r = put(
        format!("/api/v1/apps/{app}/group-claims"),
        serde_json::json!({"enabled": true, "claim_name": "Group"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = put(
        format!("/api/v1/apps/{app}/claims"),
        serde_json::json!({"name": "Group", "source": "user.mail", "name_format": "omitted"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 409);
    let r = put(
        format!("/api/v1/apps/{app}/claims"),
        serde_json::json!({"name": "mail", "source": "user.mail", "name_format": "omitted"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["name_format"], "unspecified", "{v}");
}
