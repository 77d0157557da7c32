//! The storage suite: the store's queries on the backend of the test run — SQLite in a
//! temporary file, or, when SESAME_TEST_DATABASE_URL names a PostgreSQL server
//! (scripts/postgres.sh), a database of its own created on it for each test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

use super::*;
use crate::model::{AddMember, MemberKind, NewUser};
use sqlx::Connection;

/// A fresh, migrated store; dropped with its database (PostgreSQL) or file (SQLite).
pub(crate) struct TestStore {
    pub store: Store,
    dir: std::path::PathBuf,
    pg: Option<(String, String)>,
}

impl Drop for TestStore {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((admin, name)) = &self.pg {
            let _ = std::process::Command::new("psql")
                .args([
                    admin.as_str(),
                    "-X",
                    "-q",
                    "-c",
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ])
                .output();
        }
    }
}

fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let s = base.find("://").map_or(0, |i| i + 3);
    let end = base[s..].find('/').map_or(base.len(), |i| s + i);
    match query {
        Some(q) => format!("{}/{db}?{q}", &base[..end]),
        None => format!("{}/{db}", &base[..end]),
    }
}

pub(crate) async fn test_store() -> TestStore {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let dir = std::env::temp_dir().join(format!("sesame-store-{id}"));
    std::fs::create_dir_all(&dir).unwrap();
    match std::env::var("SESAME_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        Some(admin) => {
            sqlx::any::install_default_drivers();
            let name = format!("sesame_test_unit_{id}");
            let mut c = sqlx::AnyConnection::connect(&admin).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut c)
                .await
                .unwrap();
            c.close().await.unwrap();
            let store = Store::open(&with_database(&admin, &name), 4).await.unwrap();
            assert_eq!(store.backend(), Backend::Postgres);
            TestStore {
                store,
                dir,
                pg: Some((admin, name)),
            }
        }
        None => {
            let url = format!("sqlite:{}", dir.join("sesame.db").display());
            let store = Store::open(&url, 4).await.unwrap();
            TestStore {
                store,
                dir,
                pg: None,
            }
        }
    }
}

async fn with_tenant(s: &Store) -> crate::model::Tenant {
    let t = crate::model::Tenant {
        id: uuid::Uuid::new_v4().to_string(),
        public_url: "https://sso.example.com".into(),
    };
    let admin = NewUser {
        upn: "admin@sesame.local".into(),
        ..NewUser::default()
    };
    assert!(s
        .create_tenant_with_admin(&t, &admin, "Global Administrator", 1_700_000_000)
        .await
        .unwrap());
    // A second creation (another process at the same moment) writes nothing.
    assert!(!s
        .create_tenant_with_admin(&t, &admin, "Global Administrator", 1_700_000_000)
        .await
        .unwrap());
    t
}

#[tokio::test]
async fn migrations_are_idempotent_and_known() {
    let t = test_store().await;
    assert!(t.store.ping().await);
    assert!(t.store.migrate().await.unwrap().is_empty());
    let applied = t.store.applied_migrations().await;
    assert_eq!(applied.last().copied(), Some(t.store.latest_migration()));
}

#[tokio::test]
async fn directory_queries_booleans_and_recursive_groups() {
    let t = test_store().await;
    let s = &t.store;
    let tenant = with_tenant(s).await;
    assert_eq!(s.tenant().await.unwrap().unwrap(), tenant);
    let v0 = s.config_version().await.unwrap();

    let u = s
        .create_user(
            &NewUser {
                upn: "Ann@Contoso.com".into(),
                display_name: "Ann".into(),
                ..NewUser::default()
            },
            10,
        )
        .await
        .unwrap();
    assert!(s.config_version().await.unwrap() > v0);
    assert!(u.enabled);
    // Case-insensitive unique UPN.
    let dup = s
        .create_user(
            &NewUser {
                upn: "ann@contoso.com".into(),
                ..NewUser::default()
            },
            11,
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    let mut u2 = s.user_by_upn("ANN@contoso.com").await.unwrap().unwrap();
    u2.enabled = false;
    s.update_user(&u2).await.unwrap();
    assert!(!s.user_by_id(&u.id).await.unwrap().unwrap().enabled);
    // LIKE with escaping.
    assert_eq!(s.list_users(Some("ann")).await.unwrap().len(), 1);
    assert_eq!(s.list_users(Some("%")).await.unwrap().len(), 0);

    // Nested groups: a ⊂ b ⊂ c, and c into a is a cycle.
    let a = s.create_group("A", "", 1).await.unwrap();
    let b = s.create_group("B", "", 1).await.unwrap();
    let c = s.create_group("C", "", 1).await.unwrap();
    assert_eq!(
        s.add_group_member(&a.id, &u.id, MemberKind::User)
            .await
            .unwrap(),
        AddMember::Added
    );
    assert_eq!(
        s.add_group_member(&b.id, &a.id, MemberKind::Group)
            .await
            .unwrap(),
        AddMember::Added
    );
    assert_eq!(
        s.add_group_member(&c.id, &b.id, MemberKind::Group)
            .await
            .unwrap(),
        AddMember::Added
    );
    assert_eq!(
        s.add_group_member(&a.id, &c.id, MemberKind::Group)
            .await
            .unwrap(),
        AddMember::WouldCycle
    );
    assert_eq!(
        s.add_group_member(&a.id, &u.id, MemberKind::User)
            .await
            .unwrap(),
        AddMember::AlreadyMember
    );
    let names: Vec<String> = s
        .user_groups_transitive(&u.id)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert_eq!(names, ["A", "B", "C"]);
    assert!(s.delete_group(&b.id).await.unwrap());
    assert_eq!(s.user_groups_transitive(&u.id).await.unwrap().len(), 1);
    assert!(s.delete_user(&u.id).await.unwrap());
    assert!(s.user_by_id(&u.id).await.unwrap().is_none());
}

#[tokio::test]
async fn sso_plane_tables() {
    let t = test_store().await;
    let s = &t.store;
    with_tenant(s).await;
    let admin = s.user_by_upn("admin@sesame.local").await.unwrap().unwrap();

    // Replay cache: first use wins, a replay is refused, a stale entry is taken over.
    assert!(s
        .replay_check_and_insert("sp", "_1", 100, 50)
        .await
        .unwrap());
    assert!(!s
        .replay_check_and_insert("sp", "_1", 200, 60)
        .await
        .unwrap());
    assert!(s
        .replay_check_and_insert("sp", "_1", 300, 150)
        .await
        .unwrap());
    assert_eq!(s.replay_purge(400).await.unwrap(), 1);

    // Lockouts.
    let l = Lockout {
        failures: 3,
        locked_until: 99,
        updated_at: 10,
    };
    s.lockout_put("user:x", &l).await.unwrap();
    assert_eq!(s.lockout_get("user:x").await.unwrap(), l);
    s.lockout_put("user:x", &Lockout { failures: 4, ..l })
        .await
        .unwrap();
    assert_eq!(s.lockout_get("user:x").await.unwrap().failures, 4);
    s.lockout_clear("user:x").await.unwrap();
    assert_eq!(s.lockout_get("user:x").await.unwrap(), Lockout::default());
    // A decaying counter forgets one event per interval, keeps a partly elapsed
    // interval, forgets nothing when the clock goes back, and starts again when empty.
    for _ in 0..3 {
        assert!(s.lockout_record_decaying("ip:x", 1000, 60).await.unwrap() <= 3);
    }
    assert_eq!(
        s.lockout_record_decaying("ip:x", 1150, 60).await.unwrap(),
        2
    );
    let d = s.lockout_get("ip:x").await.unwrap();
    assert_eq!((d.failures, d.updated_at), (2, 1120));
    assert_eq!(d.decayed(1179, 60), 2);
    assert_eq!(d.decayed(1180, 60), 1);
    assert_eq!(s.lockout_record_decaying("ip:x", 900, 60).await.unwrap(), 3);
    assert_eq!(
        s.lockout_record_decaying("ip:x", 5000, 60).await.unwrap(),
        1
    );
    assert_eq!(s.lockout_get("ip:x").await.unwrap().updated_at, 5000);
    s.lockout_clear("ip:x").await.unwrap();

    // Pending requests.
    s.pending_put("p1", "{}", 100).await.unwrap();
    assert_eq!(
        s.pending_get("p1", 50).await.unwrap().as_deref(),
        Some("{}")
    );
    assert_eq!(s.pending_get("p1", 150).await.unwrap(), None);
    assert_eq!(s.pending_purge(150).await.unwrap(), 1);

    // Sessions, with the user's state, and their applications.
    let rec = SessionRecord {
        id_hash: "h1".into(),
        user_id: admin.id.clone(),
        auth_method: "pwd".into(),
        auth_time: 1,
        created_at: 1,
        created_at_ms: 1000,
        last_seen: 1,
        expires_at: 1000,
        methods: "pwd@1".into(),
        user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0".into(),
        client_ip: "192.0.2.7".into(),
    };
    s.session_insert(&rec).await.unwrap();
    let swu = s.session_with_user("h1").await.unwrap().unwrap();
    assert!(swu.user_enabled);
    assert_eq!(swu.session, rec);
    s.session_add_method("h1", "totp", 5).await.unwrap();
    let swu = s.session_with_user("h1").await.unwrap().unwrap();
    assert_eq!(swu.session.methods, "pwd@1 totp@5");
    let app = SessionApp {
        app_id: "app".into(),
        name_id: "n".into(),
        name_id_format: "f".into(),
        session_index: "i".into(),
    };
    s.session_app_upsert("h1", &app).await.unwrap();
    s.session_app_upsert("h1", &app).await.unwrap();
    assert_eq!(s.session_apps("h1").await.unwrap(), vec![app]);
    s.session_touch("h1", 5).await.unwrap();
    assert_eq!(s.sessions_purge(2000, 0).await.unwrap(), 1);
    assert!(s.session_with_user("h1").await.unwrap().is_none());

    // Sign-in logs and their filters.
    let row = |i: i64, result: &str| SigninRow {
        id: format!("r{i}"),
        time_ms: i,
        user_id: None,
        upn: "Ann@contoso.com".into(),
        app_id: Some("app".into()),
        app_name: "App".into(),
        client_ip: "127.0.0.1".into(),
        result: result.into(),
        error_code: String::new(),
        request_id: String::new(),
        correlation_id: "c".into(),
        details: String::new(),
        saml_request: String::new(),
        saml_response: String::new(),
    };
    s.signins_insert(&[row(1, "success"), row(2, "failure"), row(3, "success")])
        .await
        .unwrap();
    // A retried batch is not written twice.
    s.signins_insert(&[row(3, "success")]).await.unwrap();
    let all = s.signins_list(&SigninFilter::default()).await.unwrap();
    assert_eq!(all.iter().map(|r| r.time_ms).collect::<Vec<_>>(), [3, 2, 1]);
    let f = SigninFilter {
        upn: Some("ann@CONTOSO.com".into()),
        failures_only: true,
        since_ms: Some(2),
        ..SigninFilter::default()
    };
    assert_eq!(s.signins_list(&f).await.unwrap().len(), 1);
}

#[tokio::test]
async fn backup_and_restore_round_trip() {
    let src = test_store().await;
    let s = &src.store;
    with_tenant(s).await;
    let u = s
        .create_user(
            &NewUser {
                upn: "b@contoso.com".into(),
                ..NewUser::default()
            },
            1,
        )
        .await
        .unwrap();
    let g = s.create_group("G", "d", 1).await.unwrap();
    s.add_group_member(&g.id, &u.id, MemberKind::User)
        .await
        .unwrap();
    let b = s.backup(7).await.unwrap();
    assert_eq!(b.document["format"], BACKUP_FORMAT);
    assert_eq!(b.document["version"], BACKUP_VERSION);
    assert!(b.rows >= 5);

    let dst = test_store().await;
    let d = &dst.store;
    assert_eq!(
        d.restore(&b.document, RestoreMode::EmptyOnly)
            .await
            .unwrap(),
        b.rows
    );
    assert_eq!(d.user_by_upn("b@contoso.com").await.unwrap().unwrap(), u);
    assert_eq!(d.user_groups_transitive(&u.id).await.unwrap()[0].name, "G");
    // The restored version is past the source's: running caches reload.
    assert!(d.config_version().await.unwrap() > s.config_version().await.unwrap());
    // Not into a store with data, unless forced.
    let again = d.restore(&b.document, RestoreMode::EmptyOnly).await;
    assert!(
        matches!(&again, Err(StoreError::Backup(m)) if m.contains("not empty")),
        "{again:?}"
    );
    d.restore(&b.document, RestoreMode::Replace).await.unwrap();
    assert_eq!(d.list_users(None).await.unwrap().len(), 2);
    // Refused: another format, a newer version, an unknown table.
    let mut bad = b.document.clone();
    bad["format"] = "other".into();
    assert!(d.restore(&bad, RestoreMode::Replace).await.is_err());
    let mut bad = b.document.clone();
    bad["version"] = 2.into();
    assert!(d.restore(&bad, RestoreMode::Replace).await.is_err());
    let mut bad = b.document.clone();
    bad["tables"]["nope"] = serde_json::json!({"columns": [], "rows": []});
    assert!(d.restore(&bad, RestoreMode::Replace).await.is_err());
}

#[test]
fn unavailability_is_told_apart() {
    assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
    assert!(is_unavailable(&sqlx::Error::Io(std::io::Error::from(
        std::io::ErrorKind::ConnectionRefused
    ))));
    assert!(!is_unavailable(&sqlx::Error::RowNotFound));
    assert!(StoreError::Db(sqlx::Error::PoolClosed).is_unavailable());
    assert!(!StoreError::Conflict("x".into()).is_unavailable());
}

#[tokio::test]
async fn unreachable_database_is_named_without_its_password() {
    let cfg = PoolConfig {
        acquire_timeout: Duration::from_secs(2),
        ..PoolConfig::new(2)
    };
    let e = Store::open_with("postgres://sesame:hunter2@127.0.0.1:1/sesame", &cfg)
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(e.is_unavailable(), "{msg}");
    assert!(
        msg.contains("postgres://sesame:***@127.0.0.1:1/sesame"),
        "{msg}"
    );
    assert!(!msg.contains("hunter2"), "{msg}");
}

#[tokio::test]
async fn authentication_methods_single_use_and_cascade() {
    use crate::model::{AuthMethod, MethodKind, PendingMethod};
    let t = test_store().await;
    let s = &t.store;
    let u = s
        .create_user(
            &NewUser {
                upn: "mfa@example.com".into(),
                ..NewUser::default()
            },
            100,
        )
        .await
        .unwrap();
    let m = AuthMethod {
        id: "m1".into(),
        user_id: u.id.clone(),
        kind: MethodKind::Totp,
        name: "Phone".into(),
        secret_sealed: vec![0, 1, 2, 255],
        last_step: 10,
        created_at: 100,
        last_used_at: 100,
    };
    // A pending registration is confirmed once, and not after it expires.
    let p = PendingMethod {
        id: "p1".into(),
        user_id: u.id.clone(),
        kind: MethodKind::Totp,
        secret_sealed: vec![0, 1, 2, 255],
        created_at: 100,
        expires_at: 700,
    };
    s.pending_method_insert(&p).await.unwrap();
    assert_eq!(
        s.pending_method(&u.id, "p1", 100).await.unwrap(),
        Some(p.clone())
    );
    assert_eq!(s.pending_method("other", "p1", 100).await.unwrap(), None);
    assert_eq!(s.pending_method(&u.id, "p1", 700).await.unwrap(), None);
    assert!(!s.pending_method_confirm("p1", &m, 700, None).await.unwrap());
    assert!(s.pending_method_confirm("p1", &m, 200, None).await.unwrap());
    assert!(!s.pending_method_confirm("p1", &m, 200, None).await.unwrap());
    assert_eq!(s.methods_of_user(&u.id).await.unwrap(), vec![m.clone()]);
    // Steps: only a later one wins.
    assert!(!s.method_accept_step("m1", 10, 300).await.unwrap());
    assert!(s.method_accept_step("m1", 11, 300).await.unwrap());
    assert!(!s.method_accept_step("m1", 11, 300).await.unwrap());
    let got = s.method_of_user(&u.id, "m1").await.unwrap().unwrap();
    assert_eq!((got.last_step, got.last_used_at), (11, 300));
    assert!(s.method_rename(&u.id, "m1", "Tablet").await.unwrap());
    assert!(!s.method_rename("other", "m1", "x").await.unwrap());
    // Recovery codes: a set replaces the previous one; each code is used once.
    let r = |id: &str| AuthMethod {
        id: id.into(),
        kind: MethodKind::Recovery,
        name: "Recovery codes".into(),
        secret_sealed: Vec::new(),
        last_step: 0,
        ..m.clone()
    };
    s.recovery_replace(&r("r1"), &["a".into(), "b".into()], None)
        .await
        .unwrap();
    s.recovery_replace(&r("r2"), &["c".into(), "d".into()], None)
        .await
        .unwrap();
    assert_eq!(s.recovery_unused("r1").await.unwrap(), Vec::<String>::new());
    assert_eq!(s.recovery_unused("r2").await.unwrap(), vec!["c", "d"]);
    assert!(s.recovery_use("r2", "c", 400).await.unwrap());
    assert!(!s.recovery_use("r2", "c", 401).await.unwrap());
    assert!(!s.recovery_use("r2", "a", 401).await.unwrap());
    assert_eq!(s.recovery_unused("r2").await.unwrap(), vec!["d"]);
    let all = s.methods_of_user(&u.id).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].last_used_at, 400);
    // Deleting a method deletes its codes; deleting the user deletes its methods.
    assert!(s.method_delete(&u.id, "m1").await.unwrap());
    assert!(!s.method_delete(&u.id, "m1").await.unwrap());
    s.pending_method_insert(&PendingMethod {
        id: "p2".into(),
        ..p.clone()
    })
    .await
    .unwrap();
    assert_eq!(s.pending_methods_purge(700).await.unwrap(), 1);
    assert!(s.delete_user(&u.id).await.unwrap());
    assert!(s.methods_of_user(&u.id).await.unwrap().is_empty());
    assert!(s.recovery_unused("r2").await.unwrap().is_empty());
}

#[tokio::test]
async fn conditional_access_locations_and_policies() {
    use crate::model::{
        GrantControl, NamedLocation, Policy, PolicyState, SignInFrequency, TargetResources,
    };
    let t = test_store().await;
    let s = &t.store;
    with_tenant(s).await;
    let v0 = s.config_version().await.unwrap();
    let loc = NamedLocation {
        id: "l1".into(),
        name: "Office".into(),
        ranges: vec!["203.0.113.0/24".into(), "2001:db8::/32".into()],
        trusted: true,
        created_at: 5,
    };
    s.location_insert(&loc).await.unwrap();
    assert!(s.config_version().await.unwrap() > v0);
    assert_eq!(s.locations().await.unwrap(), vec![loc.clone()]);
    // Names are unique.
    let dup = NamedLocation {
        id: "l2".into(),
        ..loc.clone()
    };
    assert!(s.location_insert(&dup).await.is_err());

    let mut p = Policy {
        id: "p1".into(),
        name: "MFA for Convene".into(),
        all_users: false,
        users: vec!["u1".into()],
        groups: vec!["g1".into()],
        exclude_users: vec![],
        exclude_groups: vec!["g2".into()],
        target: TargetResources::Apps(vec!["a1".into()]),
        locations: vec![],
        exclude_locations: vec!["l1".into()],
        grant: GrantControl::Mfa,
        sign_in_frequency: SignInFrequency::Seconds(4 * 3600),
        state: PolicyState::ReportOnly,
        created_at: 7,
        updated_at: 7,
    };
    s.policy_upsert(&p).await.unwrap();
    assert_eq!(s.policies().await.unwrap(), vec![p.clone()]);
    p.state = PolicyState::On;
    p.target = TargetResources::AdminPortal;
    p.updated_at = 9;
    let v1 = s.config_version().await.unwrap();
    s.policy_upsert(&p).await.unwrap();
    assert!(s.config_version().await.unwrap() > v1);
    assert_eq!(s.policies().await.unwrap(), vec![p.clone()]);
    assert!(s.policy_delete("p1").await.unwrap());
    assert!(!s.policy_delete("p1").await.unwrap());
    assert!(s.policies().await.unwrap().is_empty());
    assert!(s.location_delete("l1").await.unwrap());
    assert!(s.locations().await.unwrap().is_empty());
}
