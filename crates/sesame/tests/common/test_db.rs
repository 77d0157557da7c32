//! The database a black-box test runs on. SQLite in the test's data dir by default; when
//! SESAME_TEST_DATABASE_URL names a PostgreSQL server (scripts/postgres.sh starts one),
//! each test gets a database of its own on it (`CREATE DATABASE sesame_test_<id>`
//! through that admin URL, with `psql`), dropped when the test ends, so tests stay
//! independent and can run in parallel.

use std::path::Path;
use std::process::Command;

/// The PostgreSQL admin URL the tests run against, when set.
pub fn admin_url() -> Option<String> {
    std::env::var("SESAME_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// `url` with its database name replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{db}", &base[..host_part_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

fn psql(admin: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([
            admin,
            "-X",
            "-q",
            "-t",
            "-A",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .output()
        .expect("psql is needed to run the tests on PostgreSQL (scripts/postgres.sh installs it)");
    assert!(
        out.status.success(),
        "psql {sql:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A database name for `key` (letters, digits and `_` only).
pub fn database_name(key: &str) -> String {
    let clean: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let tail = &clean[clean.len().saturating_sub(40)..];
    format!("sesame_test_{tail}")
}

/// A PostgreSQL database of one test.
pub struct TestDb {
    pub url: String,
    pub name: String,
    admin: String,
    drop_at_end: bool,
}

impl TestDb {
    /// Creates (when missing) the database named after `key`; `drop_at_end` drops it when
    /// this value is dropped.
    pub fn ensure(admin: &str, key: &str, drop_at_end: bool) -> TestDb {
        let name = database_name(key);
        let exists = psql(
            admin,
            &format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
        );
        if exists != "1" {
            psql(admin, &format!("CREATE DATABASE {name}"));
        }
        TestDb {
            url: with_database(admin, &name),
            name,
            admin: admin.to_owned(),
            drop_at_end,
        }
    }

    /// Keeps the database after this value is dropped (a restart reopens it).
    pub fn keep(&mut self) {
        self.drop_at_end = false;
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.drop_at_end {
            let _ = Command::new("psql")
                .args([
                    self.admin.as_str(),
                    "-X",
                    "-q",
                    "-c",
                    &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
                ])
                .output();
        }
    }
}

/// The database of the test whose data dir is `dir`: on PostgreSQL a database named after
/// the dir (created when missing, so a restart on the same dir finds it again), else
/// `None` (SQLite in the data dir).
pub fn for_data_dir(dir: &Path, drop_at_end: bool) -> Option<TestDb> {
    let admin = admin_url()?;
    let key = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    Some(TestDb::ensure(&admin, &key, drop_at_end))
}

/// The database URL a test on `dir` uses: PostgreSQL's when set, else SQLite's file.
pub fn url_for(dir: &Path, db: Option<&TestDb>) -> String {
    match db {
        Some(d) => d.url.clone(),
        None => format!("sqlite:{}", dir.join("sesame.db").display()),
    }
}
