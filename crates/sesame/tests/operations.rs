//! Operations: /readyz and /metrics, a clear error when the database is unreachable at
//! start, and `sesame migrate` / `backup` / `restore` — including a tenant moving from
//! SQLite to PostgreSQL (when the tests run with SESAME_TEST_DATABASE_URL; else from one
//! SQLite file to another) and signing in there with the same master key.

use crate::common::*;
use std::process::{Command, Output, Stdio};

fn sesame(dir: &std::path::Path, url: &str, args: &[&str]) -> Output {
    sesame_command()
        .arg("--data-dir")
        .arg(dir)
        .arg("--database-url")
        .arg(url)
        .args(args)
        .env("SESAME_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn readyz_and_metrics() {
    let s = Server::start();
    let r = reqwest::get(format!("{}/readyz", s.base)).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.text().await.unwrap(), "ready\n");
    assert_eq!(
        reqwest::get(format!("{}/healthz", s.base))
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    // An SSO attempt that fails (unknown Issuer), counted by its code.
    let b = browser();
    let mut req = authn_request(&s, "_ops_1");
    req.issuer = "https://unknown.example.test".into();
    let (st, code, _) = error_code(
        b.get(redirect_request(&s, &req, None, None))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, code.as_str()), (400, "SESAME700016"));

    let r = reqwest::get(format!("{}/metrics", s.base)).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = r.text().await.unwrap();
    for want in [
        "sesame_http_requests_total{route=\"/readyz\",method=\"GET\",status=\"200\"} 1",
        "sesame_http_requests_total{route=\"/{tenant}/saml2\",method=\"GET\",status=\"400\"} 1",
        "sesame_sso_results_total{result=\"failure\",code=\"SESAME700016\"} 1",
        "sesame_http_request_duration_seconds_bucket{route=\"/{tenant}/saml2\",le=\"0.5\"}",
        "# TYPE sesame_http_request_duration_seconds histogram",
        "sesame_db_pool_connections ",
        "sesame_db_pool_idle ",
        "sesame_db_pool_max 8",
    ] {
        assert!(text.contains(want), "no {want:?} in\n{text}");
    }
    // The route template, never the raw path (no tenant ids or query strings).
    assert!(!text.contains(&s.tenant), "{text}");
}

#[test]
fn unreachable_database_at_start_names_the_url_without_its_password() {
    let dir = std::env::temp_dir().join(format!("sesame-ops-{}", uuid::Uuid::new_v4()));
    let url = "postgres://sesame:s3cret-pw@127.0.0.1:1/sesame";
    for args in [
        &["serve", "--listen", "127.0.0.1:0"][..],
        &["user", "list"][..],
        &["migrate"][..],
    ] {
        let out = sesame(&dir, url, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("cannot reach the database at postgres://sesame:***@127.0.0.1:1/sesame"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("s3cret-pw"), "{args:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn backup_from_sqlite_restore_elsewhere_and_sign_in_there() {
    // The source: SQLite, built with the CLI only.
    let src = std::env::temp_dir().join(format!("sesame-ops-src-{}", uuid::Uuid::new_v4()));
    let src_url = format!("sqlite:{}", src.join("sesame.db").display());
    let out = sesame(&src, &src_url, &["migrate"]);
    assert!(ok(out, "migrate").contains("applied migration(s) 1"));
    assert!(ok(sesame(&src, &src_url, &["migrate"]), "migrate").contains("up to date"));
    let mut c = Command::new(bin());
    for (k, _) in std::env::vars() {
        if k.starts_with("SESAME_") {
            c.env_remove(k);
        }
    }
    let mut child = c
        .args([
            "--data-dir",
            src.to_str().unwrap(),
            "--database-url",
            &src_url,
        ])
        .args(["user", "add", "--upn", DEMO_UPN, "--given-name", "B"])
        .args(["--surname", "Simon", "--mail", DEMO_UPN, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(format!("{DEMO_PASSWORD}\n").as_bytes())
            .unwrap();
    }
    ok(child.wait_with_output().unwrap(), "user add");
    let out = ok(
        sesame(
            &src,
            &src_url,
            &[
                "app",
                "add",
                "--custom",
                "--name",
                "Moved SP",
                "--identifier",
                SP_ENTITY,
                "--reply-url",
                SP_ACS,
            ],
        ),
        "app add",
    );
    let app = out
        .split_whitespace()
        .find(|w| w.len() == 36 && w.chars().filter(|c| *c == '-').count() == 4)
        .unwrap()
        .to_owned();
    ok(
        sesame(&src, &src_url, &["app", "assign", &app, "--user", DEMO_UPN]),
        "assign",
    );
    let thumb_before: serde_json::Value = serde_json::from_str(&ok(
        sesame(&src, &src_url, &["app", "show", &app, "--json"]),
        "show",
    ))
    .unwrap();

    // The backup: a private file, without the master key.
    let file = src.join("backup.json");
    let out = ok(
        sesame(&src, &src_url, &["backup", "--to", file.to_str().unwrap()]),
        "backup",
    );
    assert!(out.contains("the master key is not in it"), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let text = std::fs::read_to_string(&file).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["format"], "sesame-backup");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["source_backend"], "sqlite");
    let master = std::fs::read_to_string(src.join("master.key")).unwrap();
    assert!(
        !text.contains(master.trim()),
        "the backup holds the master key"
    );

    // The target: PostgreSQL when the tests run on it, else another SQLite file.
    let dst = std::env::temp_dir().join(format!("sesame-ops-dst-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dst).unwrap();
    let db = test_db::for_data_dir(&dst, false);
    let dst_url = test_db::url_for(&dst, db.as_ref());
    let out = ok(
        sesame(
            &dst,
            &dst_url,
            &["restore", "--from", file.to_str().unwrap()],
        ),
        "restore",
    );
    assert!(out.contains("restored"), "{out}");
    // Not twice into a store that has data.
    let out = sesame(
        &dst,
        &dst_url,
        &["restore", "--from", file.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not empty") && err.contains("--force"),
        "{err}"
    );
    ok(
        sesame(
            &dst,
            &dst_url,
            &["restore", "--from", file.to_str().unwrap(), "--force"],
        ),
        "restore --force",
    );

    // The same master key; the server on the target signs with the moved key.
    std::fs::copy(src.join("master.key"), dst.join("master.key")).unwrap();
    let s = Server::start_in(dst.clone(), true);
    assert_eq!(s.database_url(), dst_url);
    let thumb_after: serde_json::Value =
        serde_json::from_str(&s.cli_ok(&["app", "show", &app, "--json"])).unwrap();
    assert_eq!(thumb_before["identifiers"], thumb_after["identifiers"]);
    let b = browser();
    let (_, _, html) = get(
        &b,
        &redirect_request(&s, &authn_request(&s, "_moved_1"), None, None),
    )
    .await;
    assert!(is_login_page(&html), "{html}");
    let html = submit_login(&b, &s.base, &html, DEMO_UPN, DEMO_PASSWORD)
        .await
        .text()
        .await
        .unwrap();
    assert!(is_auto_post(&html), "{html}");
    let (action, xml, _) = auto_post_response(&html);
    assert_eq!(action, SP_ACS);
    let certs = idp_certs(&s, &app).await;
    let (resp, assertion) = verify_response(&xml, &certs);
    assert_eq!(resp.in_response_to.as_deref(), Some("_moved_1"));
    assert!(assertion.is_some());
    drop(s);
    drop(db);
    let _ = std::fs::remove_dir_all(&src);
}
