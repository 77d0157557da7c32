//! SIGKILL consistency: configuration changes made by the CLI while the CLI itself and
//! the server are killed with SIGKILL at random moments leave a consistent store.
//!
//! The schedule (which change, which process is killed, after how many milliseconds)
//! comes from a fixed seed; the assertions hold whatever the timing, because each one
//! allows exactly the two outcomes a transaction may have — the change committed or not:
//!
//! * after every killed CLI, each field it was changing reads either the old or the new
//!   value, never a mix (an app's Identifiers and Reply URLs together; a user's
//!   department and job title together);
//! * every change acknowledged (the CLI exited 0) is there afterwards, also after the
//!   server was killed and restarted;
//! * at the end, with the server just killed: `PRAGMA integrity_check` is `ok`, no
//!   foreign key dangles, every application has exactly one default Identifier, one
//!   default Reply URL and exactly one active signing certificate; and the server starts
//!   again and signs B.Simon in to the demo application.
//!
//! SQLite only (the integrity check is SQLite's); restart persistence of sessions, keys
//! and logs is `sso_flows::restart_keeps_sessions_keys_and_logs`.

use crate::common::{
    browser, form, free_port, get, is_auto_post, is_login_page, sesame_command, spawn_serve,
    submit_login, ADMIN_PASSWORD, DEMO_PASSWORD, DEMO_UPN,
};
use serde_json::Value;
use sqlx::Row as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const APP: &str = "Durable";
const USER: &str = "kill.test@contoso.com";
const GROUP: &str = "Staff";
/// Steps of the schedule; every `SERVER_KILL_EVERY`th kills the server mid-change.
const STEPS: u64 = 32;
const SERVER_KILL_EVERY: u64 = 7;

/// xorshift64*: the schedule is the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

fn command(dir: &Path) -> Command {
    let mut c = sesame_command();
    c.arg("--data-dir").arg(dir);
    c
}

fn cli(dir: &Path, args: &[&str]) -> Output {
    command(dir).args(args).output().unwrap()
}

fn cli_ok(dir: &Path, args: &[&str]) -> String {
    let out = cli(dir, args);
    assert!(
        out.status.success(),
        "sesame {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    serde_json::from_str(&cli_ok(dir, &a)).unwrap()
}

/// `sesame serve --demo` on `dir`, on a new port; returns once it listens.
struct Serve {
    child: Child,
    base: String,
}

impl Serve {
    fn start(dir: &Path) -> Serve {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut c = command(dir);
        c.args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--public-url", &base])
            .env("SESAME_DEMO_PASSWORD", DEMO_PASSWORD)
            .env("SESAME_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .stderr(Stdio::null());
        let (child, _, _) = spawn_serve(&mut c);
        Serve { child, base }
    }

    fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the test knows of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    /// The generation `n` of the app's Identifiers and Reply URLs.
    app: u64,
    /// The generation of the user's department and job title.
    user: u64,
    /// Whether the user is in the group.
    member: bool,
    /// Thumbprints of the app's certificates, and the active one.
    certs: Vec<String>,
    active: String,
}

fn read_state(dir: &Path) -> State {
    let app = json(dir, &["app", "show", APP]);
    let ids: Urls = app["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["value"].as_str().unwrap().to_owned(),
                i["is_default"].as_bool().unwrap(),
            )
        })
        .collect();
    let replies: Urls = app["reply_urls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["url"].as_str().unwrap().to_owned(),
                r["is_default"].as_bool().unwrap(),
            )
        })
        .collect();
    // Identifiers and Reply URLs of one generation, written by one `app set`.
    let n: u64 = ids[0]
        .0
        .trim_start_matches("https://durable.example/")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (want_ids, want_replies) = app_lists(n);
    assert_eq!(ids, want_ids, "Identifiers of one generation: {app}");
    assert_eq!(
        replies, want_replies,
        "Reply URLs of the same generation: {app}"
    );
    let certs: Vec<&Value> = app["certificates"].as_array().unwrap().iter().collect();
    let active: Vec<String> = certs
        .iter()
        .filter(|c| c["active"].as_bool().unwrap())
        .map(|c| c["thumbprint"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(active.len(), 1, "exactly one active certificate: {app}");

    let user = json(dir, &["user", "show", USER]);
    let dept = user["department"].as_str().unwrap();
    let title = user["job_title"].as_str().unwrap();
    let u: u64 = dept.trim_start_matches('D').parse().unwrap();
    assert_eq!(
        title,
        format!("J{u}"),
        "department and job title of one change"
    );

    let group = json(dir, &["group", "show", GROUP]);
    let member = group["members"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["upn"].as_str() == Some(USER));
    State {
        app: n,
        user: u,
        member,
        certs: certs
            .iter()
            .map(|c| c["thumbprint"].as_str().unwrap().to_owned())
            .collect(),
        active: active[0].clone(),
    }
}

/// URLs with their "is default" flag.
type Urls = Vec<(String, bool)>;

/// The Identifiers and Reply URLs `app set` writes for generation `n`.
fn app_lists(n: u64) -> (Urls, Urls) {
    (
        vec![
            (format!("https://durable.example/{n}"), true),
            (format!("https://durable.example/{n}/alt"), false),
        ],
        vec![
            (format!("https://durable.example/acs/{n}"), true),
            (format!("https://durable.example/acs3/{n}"), false),
        ],
    )
}

/// One configuration change: its arguments and the state it leads to from `s`.
fn change(rng: &mut Rng, step: u64, s: &State) -> (Vec<String>, State) {
    let mut next = s.clone();
    let n = step + 1;
    let args: Vec<String> = match rng.below(10) {
        0..=3 => {
            next.app = n;
            let (ids, replies) = app_lists(n);
            vec![
                "app".into(),
                "set".into(),
                APP.into(),
                "--identifier".into(),
                ids[0].0.clone(),
                "--identifier".into(),
                ids[1].0.clone(),
                "--reply-url".into(),
                replies[0].0.clone(),
                "--reply-url".into(),
                format!("3={}", replies[1].0),
                "--default-reply-url".into(),
                replies[0].0.clone(),
            ]
        }
        4..=6 => {
            next.user = n;
            vec![
                "user".into(),
                "set".into(),
                USER.into(),
                "--department".into(),
                format!("D{n}"),
                "--job-title".into(),
                format!("J{n}"),
            ]
        }
        7 | 8 => {
            next.member = !s.member;
            let verb = if s.member {
                "remove-member"
            } else {
                "add-member"
            };
            vec![
                "group".into(),
                verb.into(),
                GROUP.into(),
                "--user".into(),
                USER.into(),
            ]
        }
        _ => match s.certs.iter().find(|t| **t != s.active) {
            // Activate the inactive certificate (rollover), or create one.
            Some(t) => {
                next.active = t.clone();
                vec![
                    "app".into(),
                    "cert".into(),
                    APP.into(),
                    "--activate".into(),
                    t.clone(),
                ]
            }
            None => {
                // The new thumbprint is unknown until it exists: read back.
                next.certs.push(String::new());
                vec!["app".into(), "cert".into(), APP.into(), "--new".into()]
            }
        },
    };
    (args, next)
}

/// After a change that may or may not have committed: the store holds exactly `before`
/// or exactly `after` (a new certificate's thumbprint is not known in advance).
fn assert_old_or_new(got: &State, before: &State, after: &State, what: &[String]) {
    // Certificates are compared as sets (two created in the same second may be listed in
    // either order); an empty thumbprint in `b` stands for one not known in advance.
    let same = |a: &State, b: &State| {
        let known: Vec<&String> = b.certs.iter().filter(|t| !t.is_empty()).collect();
        a.app == b.app
            && a.user == b.user
            && a.member == b.member
            && a.active == b.active
            && a.certs.len() == b.certs.len()
            && known.iter().all(|t| a.certs.contains(t))
    };
    assert!(
        same(got, before) || same(got, after),
        "{what:?} left a state that is neither before nor after:\n got    {got:?}\n before {before:?}\n after  {after:?}"
    );
}

/// Checks the SQLite file itself, with the server down.
async fn check_database(db: &Path) {
    let url = format!("sqlite:{}", db.display());
    let opts: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .unwrap();
    let rows = sqlx::query("PRAGMA integrity_check")
        .fetch_all(&pool)
        .await
        .unwrap();
    let result: Vec<String> = rows.iter().map(|r| r.get::<String, _>(0)).collect();
    assert_eq!(result, ["ok"], "PRAGMA integrity_check");
    let dangling = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(
        dangling.is_empty(),
        "{} dangling foreign keys",
        dangling.len()
    );
    let apps = sqlx::query(
        "SELECT a.name, \
           (SELECT COUNT(*) FROM app_identifiers i WHERE i.app_id = a.id AND i.is_default = 1), \
           (SELECT COUNT(*) FROM app_reply_urls r WHERE r.app_id = a.id AND r.is_default = 1), \
           (SELECT COUNT(*) FROM app_certificates c WHERE c.app_id = a.id), \
           (SELECT COUNT(*) FROM app_certificates c WHERE c.app_id = a.id AND c.active = 1) \
         FROM apps a",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(apps.len(), 2, "the demo app and {APP}");
    for r in &apps {
        let name: String = r.get(0);
        let counts: [i64; 4] = [r.get(1), r.get(2), r.get(3), r.get(4)];
        assert_eq!(counts[0], 1, "{name}: one default Identifier");
        assert_eq!(counts[1], 1, "{name}: one default Reply URL");
        assert!(counts[2] >= 1, "{name}: a certificate");
        assert_eq!(counts[3], 1, "{name}: one active certificate");
    }
    pool.close().await;
}

/// Keeps the server writing (pending sign-in requests) while it may be killed.
fn background_load(base: String) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let b = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        loop {
            let _ = b.get(format!("{base}/testapp/login")).send().await;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_configuration_changes_leaves_a_consistent_store() {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("sesame-durability-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut server = Serve::start(&dir);
    let (ids, replies) = app_lists(0);
    cli_ok(
        &dir,
        &[
            "app",
            "add",
            "--custom",
            "--name",
            APP,
            "--identifier",
            &ids[0].0,
            "--identifier",
            &ids[1].0,
            "--reply-url",
            &replies[0].0,
            "--reply-url",
            &format!("3={}", replies[1].0),
        ],
    );
    cli_ok(
        &dir,
        &["user", "add", "--upn", USER, "--password", "Amber-River-42"],
    );
    cli_ok(
        &dir,
        &[
            "user",
            "set",
            USER,
            "--department",
            "D0",
            "--job-title",
            "J0",
        ],
    );
    cli_ok(&dir, &["group", "add", GROUP]);
    let mut state = read_state(&dir);
    assert_eq!((state.app, state.user, state.member), (0, 0, false));

    let mut rng = Rng(0x5E5A_3E00_D15C_A11E);
    let mut load = background_load(server.base.clone());
    let (mut acked, mut cli_kills, mut server_kills, mut killed_committed) = (0, 0, 0, 0);
    for step in 0..STEPS {
        let (args, after) = change(&mut rng, step, &state);
        let mut child = command(&dir)
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let kill_server = step % SERVER_KILL_EVERY == SERVER_KILL_EVERY - 1;
        let kill_cli = !kill_server && rng.below(3) != 0;
        let status = if kill_server {
            // The server dies mid-change; the CLI's change is unaffected.
            std::thread::sleep(Duration::from_millis(rng.below(40)));
            load.abort();
            server.kill();
            server_kills += 1;
            Some(child.wait().unwrap())
        } else if kill_cli {
            std::thread::sleep(Duration::from_millis(rng.below(30)));
            match child.try_wait().unwrap() {
                Some(st) => Some(st),
                None => {
                    let _ = child.kill(); // SIGKILL
                    let _ = child.wait();
                    cli_kills += 1;
                    None
                }
            }
        } else {
            Some(child.wait().unwrap())
        };
        let got = read_state(&dir);
        match status {
            Some(st) => {
                assert!(st.success(), "sesame {args:?} failed: {st}");
                acked += 1;
                assert_old_or_new(&got, &after, &after, &args);
            }
            None => {
                assert_old_or_new(&got, &state, &after, &args);
                if got != state {
                    killed_committed += 1;
                }
            }
        }
        state = got;
        if kill_server {
            server = Serve::start(&dir);
            load = background_load(server.base.clone());
        }
    }
    load.abort();
    eprintln!(
        "{STEPS} changes: {acked} acknowledged, {cli_kills} CLIs killed ({killed_committed} of them after their commit), {server_kills} server kills"
    );
    // A CLI change takes ~40 ms here; most kills land before, during or just after it.
    assert!(cli_kills >= 3, "only {cli_kills} CLI processes were killed");
    assert!(server_kills >= 4);
    assert!(acked >= 10, "only {acked} changes acknowledged");

    // The last change, and the server killed while it is made.
    let (args, after) = change(&mut rng, STEPS, &state);
    let mut child = command(&dir)
        .args(&args)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(5));
    server.kill();
    assert!(child.wait().unwrap().success());
    let got = read_state(&dir);
    assert_old_or_new(&got, &after, &after, &args);
    check_database(&dir.join("sesame.db")).await;

    // Everything acknowledged is there after a restart, and SSO works.
    let server = Serve::start(&dir);
    assert_eq!(read_state(&dir), got);
    let b = browser();
    let (st, url, html) = get(&b, &format!("{}/testapp/login", server.base)).await;
    assert_eq!(st, 200, "{url}: {html}");
    assert!(is_login_page(&html), "{html}");
    let r = submit_login(&b, &server.base, &html, DEMO_UPN, DEMO_PASSWORD).await;
    let html = r.text().await.unwrap();
    assert!(is_auto_post(&html), "{html}");
    let (action, fields) = form(&html);
    let page = b
        .post(&action)
        .form(&fields)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Signed in to the test application"), "{page}");
    assert!(!page.contains("✘"), "{page}");
    drop(server);
    std::fs::remove_dir_all(&dir).ok();
}
