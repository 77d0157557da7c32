//! Several Sesame nodes on one PostgreSQL database, behind one public URL: the state a
//! node needs is in the database, so a browser can move between nodes; a replayed request
//! ID, a lockout and a configuration change hold across them; a node killed with SIGKILL
//! loses nothing acknowledged; a database restart makes requests fail cleanly (503) and
//! then recover without restarting Sesame.
//!
//! The "load balancer" is the test's HTTP client: every node is reached under the same
//! host name (`sesame.lb.test`, resolved to the node's port), so cookies are shared by the
//! nodes exactly as behind a real load balancer.
//!
//! These tests need PostgreSQL: SESAME_TEST_DATABASE_URL (scripts/postgres.sh). Under CI
//! (CI=true) its absence is a failure, never a silent skip. The tests of this module take
//! one lock, so that the database restart cannot disturb the others; it would disturb the
//! tests of the other modules too, so they run alone on their server:
//! `scripts/postgres.sh cargo test -p sesame --test integration multinode::`, as
//! scripts/test.sh does after the other tests.

use crate::common::test_db::{self, TestDb};
use crate::common::*;
use sesame_saml::bindings::redirect::{encode_query, redirect_url};
use sesame_saml::bindings::MessageKind;
use sesame_saml::messages::AuthnRequest;
use sesame_saml::time::Timestamp;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const HOST: &str = "sesame.lb.test";
const PUBLIC: &str = "http://sesame.lb.test";

/// One test of this module at a time (one of them restarts the database).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The PostgreSQL admin URL, or `None` (outside CI) when the tests cannot run.
fn pg_admin() -> Option<String> {
    match test_db::admin_url() {
        Some(u) => Some(u),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => panic!(
            "CI=true and SESAME_TEST_DATABASE_URL is not set: the multi-node tests need \
             PostgreSQL (scripts/test.sh starts one with scripts/postgres.sh)"
        ),
        None => {
            eprintln!(
                "multinode: SESAME_TEST_DATABASE_URL is not set; these tests need PostgreSQL \
                 (run `scripts/postgres.sh cargo test -p sesame --test integration multinode::`). \
                 NOT RUN."
            );
            None
        }
    }
}

/// Nodes sharing one database and one master key file.
struct Cluster {
    db: TestDb,
    root: PathBuf,
    key_file: PathBuf,
    nodes: usize,
}

struct Node {
    child: Option<Child>,
    port: u16,
    tenant: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Node {
    /// SIGKILL.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            let _ = c.wait();
        }
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl Cluster {
    fn new(admin: &str) -> Cluster {
        let id = uuid::Uuid::new_v4().to_string();
        let root = std::env::temp_dir().join(format!("sesame-mn-{id}"));
        std::fs::create_dir_all(&root).unwrap();
        let key_file = root.join("master.key");
        // 32 random bytes, base64: what every node is given.
        std::fs::write(&key_file, "q0hW8rWl3m0y8fRkq5cZb6t2JgqkQe1oXyG1o3m2kVQ=\n").unwrap();
        Cluster {
            db: TestDb::ensure(admin, &format!("mn_{id}"), true),
            root,
            key_file,
            nodes: 0,
        }
    }

    /// A `sesame` command on the shared database and master key.
    fn command(&self) -> Command {
        let mut c = sesame_command();
        c.env("SESAME_DATABASE_URL", &self.db.url)
            .env("SESAME_MASTER_KEY_FILE", &self.key_file)
            .env("SESAME_DEMO_PASSWORD", DEMO_PASSWORD)
            .env("SESAME_ADMIN_PASSWORD", ADMIN_PASSWORD);
        c
    }

    /// Starts a node (its own data dir: nothing in it is needed on PostgreSQL).
    fn start(&mut self, extra: &[&str]) -> Node {
        self.nodes += 1;
        let dir = self.root.join(format!("node{}", self.nodes));
        let port = free_port();
        let mut c = self.command();
        c.arg("--data-dir")
            .arg(&dir)
            .arg("serve")
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--public-url",
                PUBLIC,
            ])
            .args(extra)
            // Every request of these tests comes from 127.0.0.1, hundreds a second: the
            // per-address rate limit of the SSO pages would answer them, not the nodes.
            .env("SESAME_SSO_RATE_LIMIT", "off")
            .stderr(Stdio::inherit());
        let (child, _, tenant) = spawn_serve(&mut c);
        // Listening is printed before serving: wait until it answers.
        let node = Node {
            child: Some(child),
            port,
            tenant,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(node.addr()).is_err() {
            assert!(
                Instant::now() < deadline,
                "node does not accept connections"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        node
    }

    /// A CLI command on the shared store.
    fn cli(&self, args: &[&str]) -> Output {
        self.command()
            .arg("--data-dir")
            .arg(self.root.join("cli"))
            .args(args)
            .output()
            .unwrap()
    }

    fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "sesame {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// B.Simon and the test SP, assigned to B.Simon; returns the app's id.
    fn add_sp(&self) -> String {
        let mut child = self
            .command()
            .arg("--data-dir")
            .arg(self.root.join("cli"))
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
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "user add: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = self.cli_ok(&[
            "app",
            "add",
            "--custom",
            "--name",
            "Test SP",
            "--identifier",
            SP_ENTITY,
            "--reply-url",
            SP_ACS,
        ]);
        let id = uuid_in(&out);
        self.cli_ok(&["app", "assign", &id, "--user", DEMO_UPN]);
        id
    }
}

/// A browser reaching `node` under the public host name, with the cookie jar `jar`
/// (share a jar between nodes to move the browser between them).
fn via(node: &Node, jar: &Arc<reqwest::cookie::Jar>) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(Arc::clone(jar))
        .resolve(HOST, node.addr())
        .redirect(reqwest::redirect::Policy::limited(10))
        .timeout(Duration::from_secs(40))
        .build()
        .unwrap()
}

fn login_url(tenant: &str) -> String {
    format!("{PUBLIC}/{tenant}/saml2")
}

/// A Redirect-binding AuthnRequest URL of the test SP.
fn request_url(tenant: &str, id: &str) -> String {
    let mut r = AuthnRequest::new(id, Timestamp::from(std::time::SystemTime::now()), SP_ENTITY);
    r.destination = Some(login_url(tenant));
    r.acs_url = Some(SP_ACS.into());
    let q = encode_query(MessageKind::Request, &r.to_xml(), None, None).unwrap();
    redirect_url(&login_url(tenant), &q)
}

/// (status, x-sesame-error, body) of a GET.
async fn fetch(b: &reqwest::Client, url: &str) -> (u16, String, String) {
    error_code(b.get(url).send().await.unwrap()).await
}

/// Signs B.Simon in through `b` (at whatever node it reaches); returns the SSO page.
async fn sign_in(b: &reqwest::Client, tenant: &str, id: &str) -> String {
    let (st, _, html) = fetch(b, &request_url(tenant, id)).await;
    assert_eq!(st, 200);
    assert!(is_login_page(&html), "expected the sign-in page: {html}");
    let r = submit_login(b, PUBLIC, &html, DEMO_UPN, DEMO_PASSWORD).await;
    r.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sso_replay_lockout_and_configuration_across_nodes() {
    let Some(admin) = pg_admin() else { return };
    let _serial = SERIAL.lock().await;
    let mut cluster = Cluster::new(&admin);
    let a = cluster.start(&[]);
    let b = cluster.start(&[]);
    assert_eq!(a.tenant, b.tenant);
    let tenant = a.tenant.clone();
    let app = cluster.add_sp();

    // Sign in at node A; the same browser continues SSO at node B, without the
    // sign-in page.
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let (at_a, at_b) = (via(&a, &jar), via(&b, &jar));
    // The change just made by the CLI is in force at both within a second.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let html = sign_in(&at_a, &tenant, "_mn_1").await;
    assert!(is_auto_post(&html), "{html}");
    let (st, code, html) = fetch(&at_b, &request_url(&tenant, "_mn_2")).await;
    assert_eq!((st, code.as_str()), (200, ""), "{html}");
    assert!(is_auto_post(&html), "node B asked to sign in again: {html}");
    let (action, xml, _) = auto_post_response(&html);
    assert_eq!(action, SP_ACS);
    assert!(xml.contains("InResponseTo=\"_mn_2\""));

    // A request ID seen at A is refused at B (and the other way round).
    let (st, code, _) = fetch(&at_b, &request_url(&tenant, "_mn_1")).await;
    assert_eq!((st, code.as_str()), (400, "SESAME900001"));
    let (st, code, _) = fetch(&at_a, &request_url(&tenant, "_mn_2")).await;
    assert_eq!((st, code.as_str()), (400, "SESAME900001"));

    // A configuration change made at A (the CLI on the shared database) is in force
    // at B within a second: the SSO path there refuses the disabled app.
    let mut delays = Vec::new();
    for (round, (enabled, want)) in [
        ("false", "SESAME7000112"),
        ("true", ""),
        ("false", "SESAME7000112"),
        ("true", ""),
    ]
    .into_iter()
    .enumerate()
    {
        cluster.cli_ok(&["app", "set", &app, "--enabled", enabled]);
        let acked = Instant::now();
        let mut n = 0;
        let seen = loop {
            n += 1;
            let (_, code, _) = fetch(
                &at_b,
                &request_url(&tenant, &format!("_mn_cfg_{round}_{n}")),
            )
            .await;
            if code == want {
                break acked.elapsed();
            }
            assert!(
                acked.elapsed() < Duration::from_secs(10),
                "node B still answers {code:?} 10 s after the change"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        delays.push(seen);
    }
    let max = delays.iter().max().copied().unwrap_or_default();
    println!(
        "multinode: configuration change at A in force at B after {:?} (max {max:?})",
        delays
            .iter()
            .map(|d| format!("{} ms", d.as_millis()))
            .collect::<Vec<_>>()
    );
    assert!(
        max < Duration::from_secs(3),
        "a configuration change took {max:?} to reach node B (expected about a second)"
    );

    // A lockout counted at A holds at B: 10 wrong passwords at A lock the name, and
    // the right password at B is refused.
    let jar2 = Arc::new(reqwest::cookie::Jar::default());
    let (a2, b2) = (via(&a, &jar2), via(&b, &jar2));
    // (Node A too has seen the app enabled again: it polls on its own schedule.)
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut n = 0;
    let mut page = loop {
        n += 1;
        let (_, _, page) = fetch(&a2, &request_url(&tenant, &format!("_mn_lock_a{n}"))).await;
        if is_login_page(&page) {
            break page;
        }
        assert!(
            Instant::now() < deadline,
            "node A does not show the sign-in page: {page}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for i in 0..10 {
        let (st, code, next) =
            error_code(submit_login(&a2, PUBLIC, &page, DEMO_UPN, "wrong-password").await).await;
        assert_eq!(st, 200, "attempt {i}");
        assert_eq!(code, "SESAME50126", "attempt {i}");
        page = next;
    }
    let (_, _, page_b) = fetch(&b2, &request_url(&tenant, "_mn_lock_b")).await;
    assert!(is_login_page(&page_b));
    let (_, code, _) =
        error_code(submit_login(&b2, PUBLIC, &page_b, DEMO_UPN, DEMO_PASSWORD).await).await;
    assert_eq!(code, "SESAME50053", "the lock counted at A must hold at B");
    drop((a, b));
}

/// One SSO request of the stream: (node, request id, acknowledged at, succeeded).
type Sent = (usize, String, Instant, bool);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_killed_during_a_stream_of_sso_requests() {
    let Some(admin) = pg_admin() else { return };
    let _serial = SERIAL.lock().await;
    let mut cluster = Cluster::new(&admin);
    let a = cluster.start(&[]);
    let b = cluster.start(&[]);
    let tenant = a.tenant.clone();
    cluster.add_sp();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let clients = [via(&a, &jar), via(&b, &jar)];
    assert!(is_auto_post(&sign_in(&clients[0], &tenant, "_k_0").await));

    let a = Arc::new(Mutex::new(a));
    let start = Instant::now();
    let run_for = Duration::from_secs(6);
    let kill_at = Duration::from_millis(2500);
    let killed_at: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));

    // Configuration changes, each acknowledged by the CLI's exit status.
    let cl = Arc::new(cluster);
    let changes = {
        let cl = Arc::clone(&cl);
        std::thread::spawn(move || {
            let mut acked = Vec::new();
            let mut n = 0;
            while start.elapsed() < run_for {
                n += 1;
                let name = format!("mn-group-{n}");
                if cl.cli(&["group", "add", &name]).status.success() {
                    acked.push(name);
                }
            }
            acked
        })
    };
    // The killer.
    let killer = {
        let a = Arc::clone(&a);
        let killed_at = Arc::clone(&killed_at);
        tokio::spawn(async move {
            tokio::time::sleep(kill_at).await;
            a.lock().unwrap().kill();
            *killed_at.lock().unwrap() = Some(Instant::now());
        })
    };
    // SSO requests spread over both nodes, four at a time.
    let mut workers = Vec::new();
    for w in 0..4usize {
        let clients = clients.clone();
        let tenant = tenant.clone();
        workers.push(tokio::spawn(async move {
            let mut sent: Vec<Sent> = Vec::new();
            let mut n = 0usize;
            while start.elapsed() < run_for {
                n += 1;
                let node = (w + n) % 2;
                let id = format!("_k_{}_{w}_{n}", ["a", "b"][node]);
                let ok = match clients[node].get(request_url(&tenant, &id)).send().await {
                    Ok(r) => {
                        let st = r.status().as_u16();
                        st == 200 && is_auto_post(&r.text().await.unwrap_or_default())
                    }
                    Err(_) => false,
                };
                sent.push((node, id, Instant::now(), ok));
                if !ok && node == 0 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            sent
        }));
    }
    let mut sent: Vec<Sent> = Vec::new();
    for w in workers {
        sent.extend(w.await.unwrap());
    }
    killer.await.unwrap();
    let acked_groups = changes.join().unwrap();
    let killed = killed_at.lock().unwrap().unwrap();

    // Node B kept serving: every request to it succeeded, before and after the kill.
    let b_total = sent.iter().filter(|s| s.0 == 1).count();
    let b_after = sent.iter().filter(|s| s.0 == 1 && s.2 > killed).count();
    let b_failed: Vec<&Sent> = sent.iter().filter(|s| s.0 == 1 && !s.3).collect();
    assert!(
        b_after > 10,
        "too few requests reached node B after the kill ({b_after})"
    );
    assert!(
        b_failed.is_empty(),
        "node B failed {} of {b_total} requests: {:?}",
        b_failed.len(),
        &b_failed[..b_failed.len().min(5)]
    );
    let a_ok = sent.iter().filter(|s| s.0 == 0 && s.3).count();
    assert!(
        a_ok > 10,
        "node A answered too few requests before the kill ({a_ok})"
    );

    // Every acknowledged configuration change is there.
    assert!(
        acked_groups.len() >= 3,
        "too few configuration changes ({})",
        acked_groups.len()
    );
    let listed: serde_json::Value =
        serde_json::from_str(&cl.cli_ok(&["group", "list", "--json"])).unwrap();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    for g in &acked_groups {
        assert!(
            names.contains(&g.as_str()),
            "acknowledged change lost: group {g}"
        );
    }

    // Sign-in log rows: node B's all there (after its flush), node A's all but at most
    // the last second before the kill.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let out = Command::new("psql")
        .args([
            cl.db.url.as_str(),
            "-X",
            "-q",
            "-t",
            "-A",
            "-c",
            "SELECT request_id FROM signin_logs WHERE request_id LIKE '\\_k\\_%'",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let logged: std::collections::HashSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let missing_b: Vec<&Sent> = sent
        .iter()
        .filter(|s| s.0 == 1 && s.3 && !logged.contains(&s.1))
        .collect();
    assert!(
        missing_b.is_empty(),
        "node B lost {} sign-in log rows",
        missing_b.len()
    );
    let a_missing: Vec<&Sent> = sent
        .iter()
        .filter(|s| s.0 == 0 && s.3 && !logged.contains(&s.1))
        .collect();
    let a_old_missing = a_missing
        .iter()
        .filter(|s| s.2 + Duration::from_secs(1) < killed)
        .count();
    println!(
        "multinode: SIGKILL of node A after {} ms: {} requests ({} to B after the kill, all served), {} configuration changes acknowledged and kept, {} of node A's {a_ok} log rows lost (all from its last second)",
        kill_at.as_millis(),
        sent.len(),
        b_after,
        acked_groups.len(),
        a_missing.len()
    );
    assert_eq!(
        a_old_missing, 0,
        "node A lost sign-in log rows older than one second before the kill"
    );
    drop(b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_restart_under_load_is_503_then_recovers() {
    let Some(admin) = pg_admin() else { return };
    let Some(pg_ctl) = std::env::var("SESAME_TEST_PG_CTL")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "CI=true and SESAME_TEST_PG_CTL is not set (scripts/postgres.sh sets it)"
        );
        eprintln!("multinode: SESAME_TEST_PG_CTL is not set; the restart test needs it. NOT RUN.");
        return;
    };
    let _serial = SERIAL.lock().await;
    let mut cluster = Cluster::new(&admin);
    // A short acquire timeout, so that the outage is seen as 503s rather than as
    // slow successes.
    let a = cluster.start(&["--db-acquire-timeout", "1"]);
    let tenant = a.tenant.clone();
    cluster.add_sp();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let browser = via(&a, &jar);
    assert!(is_auto_post(&sign_in(&browser, &tenant, "_r_0").await));
    let ready = format!("{PUBLIC}/readyz");
    assert_eq!(
        browser.get(&ready).send().await.unwrap().status().as_u16(),
        200
    );

    let start = Instant::now();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..3usize {
        let browser = browser.clone();
        let tenant = tenant.clone();
        let stop = Arc::clone(&stop);
        workers.push(tokio::spawn(async move {
            // (status, error code, took, at)
            let mut seen: Vec<(u16, String, Duration, Duration)> = Vec::new();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let t0 = Instant::now();
                let r = browser
                    .get(request_url(&tenant, &format!("_r_{w}_{n}")))
                    .send()
                    .await
                    .unwrap();
                let st = r.status().as_u16();
                let (_, code, body) = error_code(r).await;
                if st == 200 {
                    assert!(
                        is_auto_post(&body),
                        "a 200 that is not the SSO answer: {body}"
                    );
                }
                seen.push((st, code, t0.elapsed(), start.elapsed()));
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            seen
        }));
    }
    // Load first, then the database goes away for three seconds.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let down_at = start.elapsed();
    let st = Command::new(&pg_ctl).arg("stop").status().unwrap();
    assert!(st.success(), "pg_ctl stop");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let not_ready = browser.get(&ready).send().await.unwrap().status().as_u16();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let st = Command::new(&pg_ctl).arg("start").status().unwrap();
    assert!(st.success(), "pg_ctl start");
    let up_at = start.elapsed();
    // Recovery without restarting Sesame.
    let deadline = Instant::now() + Duration::from_secs(20);
    let recovered = loop {
        let (st, _, body) = fetch(
            &browser,
            &request_url(&tenant, &format!("_r_rec_{}", start.elapsed().as_millis())),
        )
        .await;
        if st == 200 && is_auto_post(&body) {
            break start.elapsed();
        }
        assert!(
            Instant::now() < deadline,
            "Sesame did not recover after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut seen = Vec::new();
    for w in workers {
        seen.extend(w.await.unwrap());
    }
    assert_eq!(
        not_ready, 503,
        "/readyz must say 503 while the database is down"
    );
    assert_eq!(
        browser.get(&ready).send().await.unwrap().status().as_u16(),
        200
    );

    let unavailable = seen.iter().filter(|s| s.0 == 503).count();
    let ok = seen.iter().filter(|s| s.0 == 200).count();
    let slowest = seen.iter().map(|s| s.2).max().unwrap_or_default();
    println!(
        "multinode: database down {:?}..{:?}: {} requests, {ok} served, {unavailable} answered 503, slowest {slowest:?}, serving again at {recovered:?}",
        down_at, up_at, seen.len()
    );
    for (st, code, took, at) in &seen {
        assert!(
            *st == 200 || (*st == 503 && code == "SESAME900011"),
            "at {at:?}: status {st} {code} (only 200 or a 503 page are clean)"
        );
        assert!(
            *took < Duration::from_secs(10),
            "a request hung for {took:?}"
        );
    }
    assert!(unavailable > 0, "no request saw the outage");
    assert!(
        seen.iter().any(|s| s.0 == 200 && s.3 > up_at),
        "no success after the restart"
    );
    drop(a);
}

/// Signs `b` in to the portal (My Apps) with B.Simon's password, at whatever node it
/// reaches.
async fn portal_sign_in(b: &reqwest::Client, tenant: &str) {
    let (st, _, html) = get(b, &format!("{PUBLIC}/{tenant}/login")).await;
    assert_eq!(st, 200, "{html}");
    let r = submit_login(b, PUBLIC, &html, DEMO_UPN, DEMO_PASSWORD).await;
    let url = r.url().to_string();
    let body = r.text().await.unwrap();
    assert!(url.ends_with("/myapps"), "sign-in ended at {url}: {body}");
}

/// The secret of an `otpauth://` URI (RFC 4648 base32).
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

/// Security info → Add sign-in method → Authenticator app through `b` (signed in),
/// confirmed with the code of the step before now; returns the app's secret.
async fn add_authenticator(b: &reqwest::Client) -> Vec<u8> {
    let (st, _, add) = get(b, &format!("{PUBLIC}/myapps/security-info/add")).await;
    assert_eq!(st, 200, "{add}");
    let (st, _, reg) = submit(
        b,
        PUBLIC,
        &post_form(&add, "/myapps/security-info/authenticator"),
    )
    .await;
    assert_eq!(st, 200, "{reg}");
    let start = reg.find("<code id=\"totp-uri\"").expect("no otpauth URI");
    let uri = &reg[start..];
    let uri = unescape(&uri[uri.find('>').unwrap() + 1..uri.find("</code>").unwrap()])
        .replace("&#38;", "&");
    let secret = otpauth_secret(&uri);
    let f = post_form(&reg, "/myapps/security-info/authenticator/confirm")
        .set(
            "code",
            &sesame::methods::totp::code_at(&secret, unix_now() - 30),
        )
        .set("name", "Phone");
    let (st, url, html) = submit(b, PUBLIC, &f).await;
    assert!(
        st == 200 && url.ends_with("/myapps/security-info"),
        "{st} {url}: {html}"
    );
    secret
}

/// Passkey ceremonies are kept in the database: a registration begun at node A is
/// finished at node B, and a passkey sign-in begun at A is finished at B.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passkey_ceremonies_begun_at_one_node_finish_at_the_other() {
    use crate::passkeys::{attr_of, client_data, sha, Authenticator};
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use base64::Engine as _;
    let Some(admin) = pg_admin() else { return };
    let _serial = SERIAL.lock().await;
    let mut cluster = Cluster::new(&admin);
    let a = cluster.start(&[]);
    let b = cluster.start(&[]);
    let tenant = a.tenant.clone();
    cluster.add_sp();
    let rp_id = HOST;
    let mut key = Authenticator {
        key: EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap(),
        id: vec![7; 32],
        count: 1,
    };

    // Registration: the options at A, the authenticator's answer at B.
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let (at_a, at_b) = (via(&a, &jar), via(&b, &jar));
    portal_sign_in(&at_a, &tenant).await;
    let (_, _, add) = get(&at_a, &format!("{PUBLIC}/myapps/security-info/add")).await;
    let (st, _, reg) = submit(
        &at_a,
        PUBLIC,
        &post_form(&add, "/myapps/security-info/passkey"),
    )
    .await;
    assert_eq!(st, 200, "{reg}");
    let options: serde_json::Value = serde_json::from_str(&attr_of(&reg, "data-options")).unwrap();
    assert_eq!(options["rp"]["id"], rp_id);
    let challenge = options["challenge"].as_str().unwrap();
    let form = post_form(&reg, "/myapps/security-info/passkey/confirm")
        .set("name", "Software key")
        .set(
            "client_data_json",
            &B64.encode(client_data("webauthn.create", challenge, PUBLIC)),
        )
        .set("attestation_object", &B64.encode(key.attestation(rp_id)))
        .set("transports", "usb");
    let (st, url, html) = submit(&at_b, PUBLIC, &form).await;
    assert_eq!(st, 200, "{html}");
    assert!(url.ends_with("/myapps/security-info"), "{url}: {html}");
    assert!(
        html.contains("Passkey &#34;Software key&#34; added."),
        "{html}"
    );

    // Sign-in: the sign-in page and the options at A, the assertion at B.
    let jar2 = Arc::new(reqwest::cookie::Jar::default());
    let (fresh_a, fresh_b) = (via(&a, &jar2), via(&b, &jar2));
    let (_, _, login) = get(&fresh_a, &format!("{PUBLIC}/{tenant}/login")).await;
    let csrf = attr_of(&login, "data-csrf");
    let opts: serde_json::Value = fresh_a
        .post(format!("{PUBLIC}/{tenant}/login/passkey/options"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(opts["publicKey"]["rpId"], rp_id);
    key.count = 2;
    let cd = client_data(
        "webauthn.get",
        opts["publicKey"]["challenge"].as_str().unwrap(),
        PUBLIC,
    );
    let ad = key.auth_data(rp_id, false);
    let mut msg = ad.clone();
    msg.extend(sha(&cd));
    let sig = key.key.sign(&SystemRandom::new(), &msg).unwrap();
    let answer = [
        ("csrf", csrf),
        ("ceremony", opts["ceremony"].as_str().unwrap().to_owned()),
        ("credential_id", B64.encode(&key.id)),
        ("client_data_json", B64.encode(&cd)),
        ("authenticator_data", B64.encode(&ad)),
        ("signature", B64.encode(sig.as_ref())),
        ("user_handle", String::new()),
    ];
    let r = fresh_b
        .post(format!("{PUBLIC}/{tenant}/login/passkey"))
        .form(&answer)
        .send()
        .await
        .unwrap();
    let url = r.url().to_string();
    let html = r.text().await.unwrap();
    assert!(url.ends_with("/myapps"), "{url}: {html}");
    assert!(html.contains("My Apps"), "{html}");
    // The session made at B serves SSO at A.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (st, _, html) = fetch(&fresh_a, &request_url(&tenant, "_pk_1")).await;
    assert_eq!(st, 200);
    assert!(is_auto_post(&html), "{html}");
    drop((a, b));
}

/// Conditional Access across nodes: a policy added on the shared database (the CLI, "at
/// A") is enforced at node B within seconds; the second step of a sign-in begun at A (the
/// password at A) is finished at B with the authenticator app's code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_access_and_the_second_step_across_nodes() {
    let Some(admin) = pg_admin() else { return };
    let _serial = SERIAL.lock().await;
    let mut cluster = Cluster::new(&admin);
    let a = cluster.start(&[]);
    let b = cluster.start(&[]);
    let tenant = a.tenant.clone();
    cluster.add_sp();

    // B.Simon adds an authenticator app (at A).
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let portal = via(&a, &jar);
    portal_sign_in(&portal, &tenant).await;
    let secret = add_authenticator(&portal).await;

    // No policy yet: a password alone signs in at B.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let jar0 = Arc::new(reqwest::cookie::Jar::default());
    let html = sign_in(&via(&b, &jar0), &tenant, "_ca_mn_0").await;
    assert!(is_auto_post(&html), "{html}");

    // The policy, added at A; B asks for the second factor within seconds.
    cluster.cli_ok(&[
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
    let acked = Instant::now();
    let mut n = 0;
    let took = loop {
        n += 1;
        let jar_n = Arc::new(reqwest::cookie::Jar::default());
        let html = sign_in(&via(&b, &jar_n), &tenant, &format!("_ca_mn_p{n}")).await;
        if html.contains("Verify your identity") {
            break acked.elapsed();
        }
        assert!(is_auto_post(&html), "{html}");
        assert!(
            acked.elapsed() < Duration::from_secs(10),
            "node B does not enforce the policy 10 s after it was added"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    println!("multinode: a policy added at A is enforced at B after {took:?}");
    assert!(took < Duration::from_secs(4), "{took:?}");
    // Node A too (it polls on its own schedule).
    let deadline = Instant::now() + Duration::from_secs(10);

    // The password at A, the code at B: the original request completes at B. A browser
    // of its own for each try: a try A answered before it enforced the policy leaves a
    // session, and the next request of that browser would not reach the sign-in page.
    let mut n = 0;
    let (at_a, at_b, verify) = loop {
        n += 1;
        let jar2 = Arc::new(reqwest::cookie::Jar::default());
        let (at_a, at_b) = (via(&a, &jar2), via(&b, &jar2));
        let html = sign_in(&at_a, &tenant, &format!("_ca_mn_a{n}")).await;
        if html.contains("Verify your identity") {
            break (at_a, at_b, html);
        }
        assert!(Instant::now() < deadline, "node A does not enforce: {html}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let f = post_form(&verify, &format!("/{tenant}/login/verify"))
        .set("code", &sesame::methods::totp::code_at(&secret, unix_now()));
    let (st, _, html) = submit(&at_b, PUBLIC, &f).await;
    assert_eq!(st, 200, "{html}");
    let (action, xml, _) = auto_post_response(&html);
    assert_eq!(action, SP_ACS);
    assert!(
        xml.contains(&format!("InResponseTo=\"_ca_mn_a{n}\"")),
        "{xml}"
    );
    assert!(xml.contains("https://refeds.org/profile/mfa"), "{xml}");
    // The session finished at B has both factors: SSO at A asks nothing more.
    let (_, _, html) = fetch(&at_a, &request_url(&tenant, "_ca_mn_after")).await;
    assert!(is_auto_post(&html), "{html}");
    drop((a, b));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_send_each_queued_message_exactly_once() {
    let Some(admin) = pg_admin() else { return };
    let Some(py) = crate::mail::python() else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let mut cluster = Cluster::new(&admin);
    let smtp_port = free_port();
    let smtp = crate::mail::SmtpServer::start(&py, smtp_port, &cluster.root.join("inbox"), &[]);
    let url = format!("smtp://127.0.0.1:{smtp_port}?starttls=off");
    let args = [
        "--smtp-url",
        url.as_str(),
        "--mail-from",
        "sesame@contoso.com",
    ];
    let _a = cluster.start(&args);
    let _b = cluster.start(&args);

    // Forty messages made visible at once (one transaction): both workers race for them.
    const N: usize = 40;
    let store = sesame::store::Store::open(&cluster.db.url, 2)
        .await
        .unwrap();
    let mut tx = store.pool().begin().await.unwrap();
    for i in 0..N {
        let m =
            sesame::mail::message::test_message(&format!("user{i}@contoso.com"), "Contoso", PUBLIC);
        sesame::mail::enqueue(&mut tx, "test", &m, sesame::clock::now_unix())
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    store.close().await;

    let msgs = tokio::task::spawn_blocking(move || {
        smtp.wait_for(N);
        // Time for a duplicate to arrive, if there were one.
        std::thread::sleep(Duration::from_secs(3));
        smtp.messages()
    })
    .await
    .unwrap();
    assert_eq!(msgs.len(), N);
    let mut seen = std::collections::BTreeSet::new();
    for m in &msgs {
        let env: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(m.with_extension("json")).unwrap())
                .unwrap();
        let to = env["rcpt_tos"][0].as_str().unwrap().to_owned();
        assert!(seen.insert(to.clone()), "{to} received twice");
    }
    assert_eq!(seen.len(), N);
    let log: serde_json::Value =
        serde_json::from_str(&cluster.cli_ok(&["mail", "log", "--json"])).unwrap();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), N);
    assert!(log
        .iter()
        .all(|m| m["status"] == "sent" && m["attempts"] == 1));
}
