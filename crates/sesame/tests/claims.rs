//! The claims engine end to end: its storage (defaults for new apps, the 0002 migration of
//! older apps, set / remove / NameID / group claims), the 150-group overage and role
//! claims through (nested) group assignment with real directory data, and real SSO
//! through the server (`sesame serve`) with claims configured by the CLI: bare names,
//! urn:oid names with the URI name format, transformations, group and role claims,
//! persistent NameIDs stable across sessions and different between apps, transient
//! NameIDs new per session, and `sesame app preview`.

use crate::common::*;
use sesame::apps::claims::{
    self, Claim, ClaimContext, Expr, GroupClaims, GroupEmit, GroupScope, NameFormat, NameIdConfig,
    NameIdFormat, SourceAttribute, DEFAULT_NAMESPACE, GROUPS_CLAIM, GROUPS_LINK_CLAIM, ROLE_CLAIM,
};
use sesame::apps::{self, NewApp, Principal};
use sesame::directory::{self, MemberRef, NewUser};
use sesame::store::Store;
use sesame::tenant::MasterKey;
use sesame_saml::messages::{AuthnRequest, ParsedAssertion, NAMEID_PERSISTENT, NAMEID_TRANSIENT};
use sesame_saml::time::Timestamp;
use std::path::PathBuf;

const NS: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/";

// ---------------------------------------------------------------------------------------
// In-process: the store and the engine over real directory data

struct Db {
    dir: PathBuf,
    store: Store,
    /// The test's PostgreSQL database when SESAME_TEST_DATABASE_URL is set.
    _pg: Option<test_db::TestDb>,
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sesame-claims-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn db() -> Db {
    let dir = temp_dir();
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
    MasterKey::from_text("claims test master key").unwrap()
}

async fn new_app(store: &Store, name: &str) -> String {
    apps::create_app(store, &master(), NewApp::custom(name))
        .await
        .unwrap()
        .id
}

async fn new_user(store: &Store, upn: &str) -> directory::User {
    directory::create_user(
        store,
        NewUser {
            upn: upn.into(),
            given_name: "B".into(),
            surname: "Simon".into(),
            mail: upn.into(),
            ..NewUser::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn new_apps_get_the_default_claims_and_nameid() {
    let d = db().await;
    let app = new_app(&d.store, "Defaults").await;
    let list = claims::list_claims(&d.store, &app).await.unwrap();
    assert_eq!(list, claims::default_claims());
    let names: Vec<String> = list.iter().map(Claim::full_name).collect();
    assert_eq!(
        names,
        ["givenname", "surname", "emailaddress", "name"].map(|n| format!("{NS}{n}"))
    );
    let n = claims::nameid(&d.store, &app).await.unwrap();
    assert_eq!(n, NameIdConfig::default());
    assert_eq!(
        n.source,
        Expr::Attribute(SourceAttribute::UserPrincipalName)
    );
    assert_eq!(n.format, NameIdFormat::EmailAddress);
    assert_eq!(claims::group_claims(&d.store, &app).await.unwrap(), None);
}

#[tokio::test]
async fn set_replace_remove_and_conflicts() {
    let d = db().await;
    let s = &d.store;
    let app = new_app(s, "Claims").await;
    let v0 = s.config_version().await.unwrap();
    // A Webex-style bare name.
    claims::set_claim(
        s,
        &app,
        Claim::new("", "uid", claims::parse_expression("user.mail").unwrap()),
    )
    .await
    .unwrap();
    assert!(
        s.config_version().await.unwrap() > v0,
        "a claim change bumps the version"
    );
    // Replacing keeps its place.
    claims::set_claim(
        s,
        &app,
        Claim::new(
            "",
            "uid",
            claims::parse_expression("ToLowercase(ExtractMailPrefix(user.mail))").unwrap(),
        ),
    )
    .await
    .unwrap();
    let mut oid = Claim::new(
        "",
        "urn:oid:0.9.2342.19200300.100.1.3",
        claims::parse_expression("user.mail").unwrap(),
    );
    oid.name_format = NameFormat::Uri;
    claims::set_claim(s, &app, oid.clone()).await.unwrap();
    claims::remove_claim(s, &app, "surname", DEFAULT_NAMESPACE)
        .await
        .unwrap();
    let list = claims::list_claims(s, &app).await.unwrap();
    let names: Vec<String> = list.iter().map(Claim::full_name).collect();
    assert_eq!(
        names,
        [
            format!("{NS}givenname"),
            format!("{NS}emailaddress"),
            format!("{NS}name"),
            "uid".into(),
            "urn:oid:0.9.2342.19200300.100.1.3".into(),
        ]
    );
    assert_eq!(
        list[3].source.to_string(),
        "ToLowercase(ExtractMailPrefix(user.mail))"
    );
    assert_eq!(list[4], oid);
    // The same attribute name through another namespace split is refused.
    let e = claims::set_claim(
        s,
        &app,
        Claim::new(
            "http://schemas.xmlsoap.org/ws/2005/05/identity",
            "claims/givenname",
            Expr::constant("x"),
        ),
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string().contains("already sends this attribute name"),
        "{e}"
    );
    // Removing what does not exist, or on an unknown app.
    let e = claims::remove_claim(s, &app, "surname", DEFAULT_NAMESPACE)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("has no claim"), "{e}");
    assert!(claims::set_claim(s, "no-such-app", oid).await.is_err());
    // A namespace must be a URI.
    let e = claims::set_claim(s, &app, Claim::new("claims", "x", Expr::constant("v")))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not a URI"), "{e}");
    // Deleting the app deletes its claims and group claims.
    claims::set_group_claims(
        s,
        &app,
        Some(GroupClaims::new(GroupScope::All, GroupEmit::Name)),
    )
    .await
    .unwrap();
    apps::delete_app(s, &app).await.unwrap();
    assert!(s.app_claim_rows(&app).await.unwrap().is_empty());
    assert!(s.app_group_claims(&app).await.unwrap().is_none());
}

#[tokio::test]
async fn nameid_and_group_settings_round_trip() {
    let d = db().await;
    let s = &d.store;
    let app = new_app(s, "NameID").await;
    for (src, fmt) in [
        ("user.mail", NameIdFormat::Default),
        ("ToLowercase(user.mail)", NameIdFormat::Unspecified),
        ("user.objectid", NameIdFormat::Persistent),
        ("user.userprincipalname", NameIdFormat::Transient),
        ("user.employeeid", NameIdFormat::WindowsDomainQualifiedName),
    ] {
        let cfg = NameIdConfig {
            source: claims::parse_expression(src).unwrap(),
            format: fmt,
        };
        claims::set_nameid(s, &app, cfg.clone()).await.unwrap();
        assert_eq!(claims::nameid(s, &app).await.unwrap(), cfg);
    }
    let e = claims::set_nameid(
        s,
        &app,
        NameIdConfig {
            source: claims::parse_expression("user.groups").unwrap(),
            format: NameIdFormat::Unspecified,
        },
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("several values"), "{e}");
    let mut g = GroupClaims::new(GroupScope::AssignedToApp, GroupEmit::Name);
    g.claim_name = "memberOf".into();
    claims::set_group_claims(s, &app, Some(g.clone()))
        .await
        .unwrap();
    assert_eq!(claims::group_claims(s, &app).await.unwrap(), Some(g));
    claims::set_group_claims(
        s,
        &app,
        Some(GroupClaims {
            claim_name: " ".into(),
            ..GroupClaims::new(GroupScope::All, GroupEmit::ObjectId)
        }),
    )
    .await
    .unwrap();
    assert_eq!(
        claims::group_claims(s, &app)
            .await
            .unwrap()
            .unwrap()
            .claim_name,
        GROUPS_CLAIM
    );
    claims::set_group_claims(s, &app, None).await.unwrap();
    assert_eq!(claims::group_claims(s, &app).await.unwrap(), None);
}

/// An app created before migration 0002 (no claim rows) gets the four default rows, and
/// keeps sending what it sent.
#[tokio::test]
async fn migration_0002_gives_older_apps_the_default_claims() {
    let dir = temp_dir();
    let pg = test_db::for_data_dir(&dir, true);
    let (url, dialect) = match &pg {
        Some(d) => (d.url.clone(), "postgres"),
        None => (
            format!("sqlite:{}?mode=rwc", dir.join("sesame.db").display()),
            "sqlite",
        ),
    };
    // The schema as of 0001 only.
    let only_first = dir.join("m");
    std::fs::create_dir_all(&only_first).unwrap();
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dialect)
            .join("0001_initial.sql"),
        only_first.join("0001_initial.sql"),
    )
    .unwrap();
    {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let m = sqlx::migrate::Migrator::new(only_first.as_path())
            .await
            .unwrap();
        m.run(&pool).await.unwrap();
        sqlx::query(
            "INSERT INTO apps (id, name, created_at, updated_at) VALUES ('old-app', 'Old', 1, 1)",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    let store = Store::open(&url, 2).await.unwrap();
    let list = claims::list_claims(&store, "old-app").await.unwrap();
    assert_eq!(list, claims::default_claims());
    assert_eq!(
        claims::nameid(&store, "old-app").await.unwrap(),
        NameIdConfig::default()
    );
    store.close().await;
    drop(pg);
    let _ = std::fs::remove_dir_all(&dir);
}

/// 151 groups → groups.link; 150 → every group. Roles held through a nested group.
#[tokio::test]
async fn overage_and_roles_with_directory_data() {
    let d = db().await;
    let s = &d.store;
    let app = new_app(s, "Groups").await;
    let user = new_user(s, "many.groups@contoso.com").await;
    let mut ids = Vec::new();
    for i in 0..151 {
        let g = directory::create_group(s, &format!("G{i:03}"), "")
            .await
            .unwrap();
        if i < 150 {
            directory::add_member(s, &g.id, &MemberRef::User(user.id.clone()))
                .await
                .unwrap();
        }
        ids.push(g.id);
    }
    // Roles: Editor through a group that contains a group the user is in (nested);
    // Viewer directly.
    apps::add_role(s, &app, "Editor").await.unwrap();
    apps::add_role(s, &app, "Viewer").await.unwrap();
    let outer = directory::create_group(s, "Outer", "").await.unwrap();
    directory::add_member(s, &outer.id, &MemberRef::Group(ids[0].clone()))
        .await
        .unwrap();
    apps::assign(s, &app, &Principal::Group(outer.id.clone()), Some("Editor"))
        .await
        .unwrap();
    apps::assign(s, &app, &Principal::User(user.id.clone()), Some("Viewer"))
        .await
        .unwrap();
    claims::set_group_claims(
        s,
        &app,
        Some(GroupClaims::new(GroupScope::All, GroupEmit::Name)),
    )
    .await
    .unwrap();

    let tenant = sesame::tenant::Tenant {
        id: "t".into(),
        public_url: "https://sso.example.com".into(),
    };
    let attrs = |cfg: &claims::AppClaims, data: &claims::UserClaimData| {
        let ctx = ClaimContext {
            user: &user,
            groups: &data.groups,
            app_groups: &cfg.assigned_groups,
            roles: &data.roles,
            group_claims: cfg.group_claims.as_ref(),
            public_url: &tenant.public_url,
            methods: "pwd@1733300000",
        };
        claims::evaluate(&ctx, &cfg.claims)
    };
    let app_row = s.app_by_id(&app).await.unwrap().unwrap();
    let cfg = claims::AppClaims::load(s, &app_row, &tenant, None)
        .await
        .unwrap();
    assert!(cfg.needs_groups() && cfg.has_roles);
    let data = claims::load_user_data(s, &app, &cfg, &user.id, None)
        .await
        .unwrap();
    // 150 direct groups + Outer (through G000) = 151: overage.
    assert_eq!(data.groups.len(), 151);
    let a = attrs(&cfg, &data);
    assert!(!a.iter().any(|x| x.name == GROUPS_CLAIM));
    let link = a.iter().find(|x| x.name == GROUPS_LINK_CLAIM).unwrap();
    assert_eq!(
        link.values,
        [format!(
            "https://sso.example.com/api/v1/users/{}/groups",
            user.id
        )]
    );
    let roles = a.iter().find(|x| x.name == ROLE_CLAIM).unwrap();
    assert_eq!(roles.values, ["Editor", "Viewer"]);

    // Leave one group: 150, all of them, by name.
    directory::remove_member(s, &ids[149], &MemberRef::User(user.id.clone()))
        .await
        .unwrap();
    let data = claims::load_user_data(s, &app, &cfg, &user.id, None)
        .await
        .unwrap();
    let a = attrs(&cfg, &data);
    let g = a.iter().find(|x| x.name == GROUPS_CLAIM).unwrap();
    assert_eq!(g.values.len(), 150);
    assert!(g.values.contains(&"Outer".to_owned()));
    assert!(g.values.contains(&"G000".to_owned()));
    assert!(!a.iter().any(|x| x.name == GROUPS_LINK_CLAIM));

    // Only the groups assigned to the app: Outer.
    claims::set_group_claims(
        s,
        &app,
        Some(GroupClaims::new(
            GroupScope::AssignedToApp,
            GroupEmit::ObjectId,
        )),
    )
    .await
    .unwrap();
    let cfg = claims::AppClaims::load(s, &app_row, &tenant, None)
        .await
        .unwrap();
    let a = attrs(&cfg, &data);
    let g = a.iter().find(|x| x.name == GROUPS_CLAIM).unwrap();
    assert_eq!(g.values, std::slice::from_ref(&outer.id));

    // An app without roles and without group settings loads neither.
    let plain = new_app(s, "Plain").await;
    let plain_row = s.app_by_id(&plain).await.unwrap().unwrap();
    let cfg = claims::AppClaims::load(s, &plain_row, &tenant, None)
        .await
        .unwrap();
    assert!(!cfg.needs_groups() && !cfg.has_roles);
    let data = claims::load_user_data(s, &plain, &cfg, &user.id, None)
        .await
        .unwrap();
    assert!(data.groups.is_empty() && data.roles.is_empty());
}

// ---------------------------------------------------------------------------------------
// Through the server

const SP2_ENTITY: &str = "https://sp2.example.test/entity";
const SP2_ACS: &str = "https://sp2.example.test/acs";

/// Signs in (password on the first time for this browser) to the app whose Identifier is
/// `entity` and returns the verified Assertion.
async fn sso(
    s: &Server,
    b: &reqwest::Client,
    app_id: &str,
    entity: &str,
    acs: &str,
    req_id: &str,
) -> ParsedAssertion {
    let mut r = AuthnRequest::new(
        req_id,
        Timestamp::from(std::time::SystemTime::now()),
        entity,
    );
    r.destination = Some(s.login_url());
    r.acs_url = Some(acs.into());
    let (_, _, mut html) = get(b, &redirect_request(s, &r, None, None)).await;
    if is_login_page(&html) {
        html = submit_login(b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD)
            .await
            .text()
            .await
            .unwrap();
    }
    assert!(is_auto_post(&html), "{html}");
    let (action, xml, _) = auto_post_response(&html);
    assert_eq!(action, acs);
    let certs = idp_certs(s, app_id).await;
    let (resp, a) = verify_response(&xml, &certs);
    assert!(resp.status.is_success());
    a.unwrap()
}

fn attr<'a>(a: &'a ParsedAssertion, name: &str) -> Option<&'a sesame_saml::messages::Attribute> {
    a.attributes.iter().find(|x| x.name == name)
}

#[tokio::test(flavor = "multi_thread")]
async fn sso_sends_the_configured_claims() {
    let s = Server::start();
    let app = s.add_sp(&[]);
    // Directory: B.Simon in Sales, Sales nested in Everyone; Everyone assigned with a role.
    s.cli_ok(&["group", "add", "Sales"]);
    s.cli_ok(&["group", "add", "Everyone"]);
    s.cli_ok(&["group", "add-member", "Sales", "--user", DEMO_UPN]);
    s.cli_ok(&["group", "add-member", "Everyone", "--group", "Sales"]);
    s.cli_ok(&["app", "role", &app, "add", "Editor"]);
    s.cli_ok(&[
        "app", "assign", &app, "--group", "Everyone", "--role", "Editor",
    ]);
    // Claims: Webex-style bare names, Imagen-style urn:oid with URI format, a
    // transformation, a constant, one with an empty source, group claims by name.
    s.cli_ok(&["app", "claims", &app, "set", "uid", "--source", "user.mail"]);
    s.cli_ok(&[
        "app",
        "claims",
        &app,
        "set",
        "firstname",
        "--source",
        "user.givenname",
    ]);
    s.cli_ok(&[
        "app",
        "claims",
        &app,
        "set",
        "urn:oid:0.9.2342.19200300.100.1.3",
        "--name-format",
        "uri",
        "--source",
        "user.mail",
    ]);
    s.cli_ok(&[
        "app",
        "claims",
        &app,
        "set",
        "username",
        "--namespace",
        "https://claims.example.test/",
        "--transform",
        "ToLowercase(Join(user.givenname, \".\", RegexReplace(user.surname, \"^S\", \"s\")))",
    ]);
    s.cli_ok(&["app", "claims", &app, "set", "tier", "--constant", "gold"]);
    s.cli_ok(&[
        "app",
        "claims",
        &app,
        "set",
        "dept",
        "--source",
        "user.department",
    ]);
    s.cli_ok(&[
        "app",
        "claims",
        &app,
        "remove",
        "surname",
        "--namespace",
        NS,
    ]);
    s.cli_ok(&["app", "claims", &app, "groups", "--all", "--as", "name"]);
    s.wait_config();

    let b = browser();
    let a = sso(&s, &b, &app, SP_ENTITY, SP_ACS, "_c1").await;
    assert_eq!(a.name_id.value, DEMO_UPN);
    assert_eq!(a.attribute_values("uid"), [DEMO_UPN]);
    assert_eq!(attr(&a, "uid").unwrap().name_format, None);
    assert_eq!(a.attribute_values("firstname"), ["B"]);
    let oid = attr(&a, "urn:oid:0.9.2342.19200300.100.1.3").unwrap();
    assert_eq!(oid.values, [DEMO_UPN]);
    assert_eq!(
        oid.name_format.as_deref(),
        Some("urn:oasis:names:tc:SAML:2.0:attrname-format:uri")
    );
    assert_eq!(
        a.attribute_values("https://claims.example.test/username"),
        ["b.simon"]
    );
    assert_eq!(a.attribute_values("tier"), ["gold"]);
    assert!(attr(&a, "dept").is_none(), "an empty source is left out");
    assert!(attr(&a, &format!("{NS}surname")).is_none(), "removed");
    assert_eq!(a.attribute_values(&format!("{NS}givenname")), ["B"]);
    let mut groups = a.attribute_values(GROUPS_CLAIM).to_vec();
    groups.sort();
    assert_eq!(groups, ["Everyone", "Sales"]);
    assert_eq!(a.attribute_values(ROLE_CLAIM), ["Editor"]);

    // The CLI lists them; the JSON is an array.
    let out = s.cli_ok(&["app", "claims", &app, "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let arr = v.as_array().unwrap();
    assert!(arr
        .iter()
        .any(|c| c["full_name"] == "uid" && c["source"] == "user.mail"));
    let text = s.cli_ok(&["app", "claims", &app, "list"]);
    assert!(text.contains("urn:oid:0.9.2342.19200300.100.1.3"), "{text}");
    assert!(
        text.contains("NameID (Unique User Identifier): user.userprincipalname (emailAddress)"),
        "{text}"
    );
    assert!(text.contains("Group claim: all groups as names"), "{text}");

    // The preview prints the same Assertion (no gallery template for a custom app).
    let out = s.cli_ok(&["app", "preview", &app, "--user", DEMO_UPN]);
    assert!(out.contains("<Assertion"), "{out}");
    assert!(out.contains("Name=\"uid\""), "{out}");
    assert!(
        out.contains("<AttributeValue>gold</AttributeValue>") || out.contains(">gold<"),
        "{out}"
    );
    assert!(out.contains("custom application"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn persistent_and_transient_nameids() {
    let s = Server::start();
    let app1 = s.add_sp(&[]);
    let out = s.cli_ok(&[
        "app",
        "add",
        "--custom",
        "--name",
        "Second SP",
        "--identifier",
        SP2_ENTITY,
        "--reply-url",
        SP2_ACS,
    ]);
    let app2 = out.trim().to_owned();
    s.cli_ok(&["app", "assign", &app2, "--user", DEMO_UPN]);
    for app in [&app1, &app2] {
        s.cli_ok(&["app", "claims", app, "nameid", "--format", "PERSISTENT"]);
    }
    s.wait_config();
    let b1 = browser();
    let a1 = sso(&s, &b1, &app1, SP_ENTITY, SP_ACS, "_p1").await;
    assert_eq!(a1.name_id.format.as_deref(), Some(NAMEID_PERSISTENT));
    let p = a1.name_id.value.clone();
    assert_eq!(p.len(), 43, "{p}");
    assert!(!p.contains("Simon"));
    // Another session (another browser): the same value.
    let b2 = browser();
    let again = sso(&s, &b2, &app1, SP_ENTITY, SP_ACS, "_p2").await;
    assert_eq!(again.name_id.value, p);
    // Another app: another value.
    let other = sso(&s, &b2, &app2, SP2_ENTITY, SP2_ACS, "_p3").await;
    assert_eq!(other.name_id.format.as_deref(), Some(NAMEID_PERSISTENT));
    assert_ne!(other.name_id.value, p);

    // Transient: new for every session.
    s.cli_ok(&["app", "claims", &app1, "nameid", "--format", "transient"]);
    s.wait_config();
    let t1 = sso(&s, &browser(), &app1, SP_ENTITY, SP_ACS, "_t1").await;
    let t2 = sso(&s, &browser(), &app1, SP_ENTITY, SP_ACS, "_t2").await;
    assert_eq!(t1.name_id.format.as_deref(), Some(NAMEID_TRANSIENT));
    assert_ne!(t1.name_id.value, t2.name_id.value);
    assert_ne!(t1.name_id.value, p);

    // The source drives the other formats; a bad format is refused with the list.
    s.cli_ok(&[
        "app",
        "claims",
        &app1,
        "nameid",
        "--source",
        "ToUppercase(ExtractMailPrefix(user.mail))",
        "--format",
        "unspecified",
    ]);
    s.wait_config();
    let u = sso(&s, &browser(), &app1, SP_ENTITY, SP_ACS, "_u1").await;
    assert_eq!(u.name_id.value, "B.SIMON");
    let bad = s.cli(&["app", "claims", &app1, "nameid", "--format", "email"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("windowsDomainQualifiedName"));
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_errors_and_preview_against_the_gallery() {
    let s = Server::start();
    let app = s.add_sp(&[]);
    let err = |args: &[&str]| {
        let o = s.cli(args);
        assert!(!o.status.success(), "{args:?} succeeded");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let e = err(&["app", "claims", &app, "set", "x", "--source", "user.email"]);
    assert!(
        e.contains("unknown source attribute user.email") && e.contains("user.mail"),
        "{e}"
    );
    let e = err(&[
        "app",
        "claims",
        &app,
        "set",
        "x",
        "--transform",
        "Lower(user.mail)",
    ]);
    assert!(
        e.contains("unknown function Lower") && e.contains("ToLowercase(x)"),
        "{e}"
    );
    let e = err(&[
        "app",
        "claims",
        &app,
        "set",
        "x",
        "--source",
        "ToLowercase(user.mail)",
    ]);
    assert!(e.contains("--transform"), "{e}");
    let e = err(&["app", "claims", &app, "set", "x"]);
    assert!(e.contains("--source") || e.contains("required"), "{e}");
    let e = err(&["app", "claims", &app, "remove", "nope"]);
    assert!(e.contains("has no claim nope"), "{e}");
    let e = err(&["app", "claims", &app, "groups", "--off", "--as", "name"]);
    assert!(!e.is_empty());

    // A gallery app: Cequence expects a Group claim from user.groups.
    let out = s.cli_ok(&[
        "app",
        "add",
        "--gallery",
        "cequence-application-security",
        "--name",
        "Cequence",
        "--identifier",
        "https://contoso.s.cequence.cloud:443/saml/metadata",
        "--reply-url",
        "https://contoso.s.cequence.cloud/saml/acs",
        "--sign-on-url",
        "https://contoso.s.cequence.cloud",
    ]);
    let ceq = out.trim().to_owned();
    s.cli_ok(&["app", "assign", &ceq, "--user", DEMO_UPN]);
    // B.Simon is in no group: the Group claim would be missing.
    let o = s.cli(&["app", "preview", &ceq, "--user", DEMO_UPN]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(!o.status.success(), "{stdout}");
    assert!(stdout.contains("<Assertion"), "{stdout}");
    assert!(stdout.contains("FAIL claim Group"), "{stdout}");
    // In a group: the check passes.
    s.cli_ok(&["group", "add", "Security"]);
    s.cli_ok(&["group", "add-member", "Security", "--user", DEMO_UPN]);
    let out = s.cli_ok(&["app", "preview", &ceq, "--user", DEMO_UPN]);
    assert!(out.contains("ok   claim Group"), "{out}");
    assert!(
        out.contains("ok   NameID from user.userprincipalname"),
        "{out}"
    );
    // The NameID source moved away from the vendor's: refused.
    s.cli_ok(&["app", "claims", &ceq, "nameid", "--source", "user.mail"]);
    let o = s.cli(&["app", "preview", &ceq, "--user", DEMO_UPN, "--json"]);
    assert!(!o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["problems"], 1);
    assert!(v["assertion_xml"]
        .as_str()
        .unwrap()
        .starts_with("<Assertion"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not met"));
}

/// The secret of an `otpauth://` URI (RFC 4648 base32, no padding).
fn otpauth_secret(uri: &str) -> Vec<u8> {
    let q = uri.split_once('?').expect("no query in the otpauth URI").1;
    let b32 = q
        .split('&')
        .find_map(|kv| kv.strip_prefix("secret="))
        .expect("no secret in the otpauth URI");
    let (mut out, mut buf, mut bits) = (Vec::new(), 0u64, 0u32);
    for c in b32.bytes().filter(|c| *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32: {b32}"),
        };
        buf = (buf << 5) | u64::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `user.authenticationmethods` as Entra's authnmethodsreferences claim: the preview (a
/// password sign-in) shows the password value; a sign-in with a password and an
/// authenticator app's code under an MFA policy sends password and multipleauthn; it
/// cannot be a NameID.
#[tokio::test(flavor = "multi_thread")]
async fn authnmethodsreferences_says_how_the_session_signed_in() {
    use sesame::apps::claims::{AMR_MULTIPLE_AUTHN, AMR_PASSWORD, AUTHN_METHODS_CLAIM};
    use sesame::methods::totp;
    let s = Server::start();
    let app = s.add_sp(&[]);
    s.cli_ok(&[
        "app",
        "claims",
        &app,
        "set",
        "authnmethodsreferences",
        "--namespace",
        "http://schemas.microsoft.com/claims",
        "--source",
        "user.authenticationmethods",
    ]);
    let listed = s.cli_ok(&["app", "claims", &app, "list"]);
    assert!(listed.contains(AUTHN_METHODS_CLAIM), "{listed}");
    let o = s.cli(&[
        "app",
        "claims",
        &app,
        "nameid",
        "--source",
        "user.authenticationmethods",
    ]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("several values"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // The token preview is of a password sign-in.
    let v: serde_json::Value =
        serde_json::from_str(&s.cli_ok(&["app", "preview", &app, "--user", DEMO_UPN, "--json"]))
            .unwrap();
    let amr = v["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == AUTHN_METHODS_CLAIM)
        .unwrap_or_else(|| panic!("no {AUTHN_METHODS_CLAIM} in the preview: {v}"));
    assert_eq!(amr["values"], serde_json::json!([AMR_PASSWORD]));

    // A password sign-in sends the password value.
    s.wait_config();
    let a = sso(&s, &browser(), &app, SP_ENTITY, SP_ACS, "_amr1").await;
    assert_eq!(a.attribute_values(AUTHN_METHODS_CLAIM), [AMR_PASSWORD]);

    // B.Simon adds an authenticator app in Security info.
    let b = sign_in(&s, DEMO_UPN, DEMO_PASSWORD).await;
    let (_, _, add) = page(&b, &s, "/myapps/security-info/add").await;
    let (st, _, reg) = submit(
        &b,
        &s.base,
        &post_form(&add, "/myapps/security-info/authenticator"),
    )
    .await;
    assert_eq!(st, 200, "{reg}");
    let start = reg.find("<code id=\"totp-uri\"").expect("no otpauth URI");
    let uri = &reg[start..];
    let uri = unescape(&uri[uri.find('>').unwrap() + 1..uri.find("</code>").unwrap()])
        .replace("&#38;", "&");
    let secret = otpauth_secret(&uri);
    // The code of the step before now: the sign-in below uses a later step.
    let f = post_form(&reg, "/myapps/security-info/authenticator/confirm")
        .set("code", &totp::code_at(&secret, unix_now() - 30))
        .set("name", "Phone");
    let (st, url, html) = submit(&b, &s.base, &f).await;
    assert!(
        st == 200 && url.ends_with("/myapps/security-info"),
        "{st} {url}: {html}"
    );

    // Under an MFA policy: password, Verify your identity, the code; the claim says both.
    s.cli_ok(&[
        "policy",
        "add",
        "--name",
        "MFA for the test SP",
        "--apps",
        SP_ENTITY,
        "--grant",
        "mfa",
        "--state",
        "on",
    ]);
    s.wait_config();
    let fresh = browser();
    let mut r = AuthnRequest::new(
        "_amr2",
        Timestamp::from(std::time::SystemTime::now()),
        SP_ENTITY,
    );
    r.destination = Some(s.login_url());
    r.acs_url = Some(SP_ACS.into());
    let (_, _, html) = get(&fresh, &redirect_request(&s, &r, None, None)).await;
    assert!(is_login_page(&html), "{html}");
    let html = submit_login(&fresh, &s.base, &html, DEMO_UPN, DEMO_PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Verify your identity"), "{html}");
    let f = post_form(&html, &format!("/{}/login/verify", s.tenant))
        .set("code", &totp::code_at(&secret, unix_now()));
    let (_, _, html) = submit(&fresh, &s.base, &f).await;
    assert!(is_auto_post(&html), "{html}");
    let (_, xml, _) = auto_post_response(&html);
    let (resp, a) = verify_response(&xml, &idp_certs(&s, &app).await);
    assert!(resp.status.is_success());
    let a = a.unwrap();
    assert_eq!(
        a.attribute_values(AUTHN_METHODS_CLAIM),
        [AMR_PASSWORD, AMR_MULTIPLE_AUTHN]
    );
}
