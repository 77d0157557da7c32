//! Outbound email against a real SMTP server (aiosmtpd, tests/mail/smtp_server.py, from
//! the test venv): the test message over STARTTLS with AUTH, parsed by Python's `email`
//! package (headers, both parts); AUTH refused, recorded with the server's reply and
//! retried by backoff on a moved clock (the worker's `now` is passed in); the server down
//! then up; a node killed (SIGKILL) while sending, its message sent exactly once after
//! the lease; folder mode's `.eml`; header injection and bad addresses refused with their
//! codes, nothing queued.

use crate::common::test_db;
use crate::common::*;
use sesame::mail::{self, MailConfig, MailFlags, Worker};
use sesame::model::OutboxStatus;
use sesame::store::Store;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Python with aiosmtpd: SESAME_TEST_PYTHON, else the workspace's `.venv` (where
/// scripts/test.sh installs tests/interop/requirements.txt), else `python3`. Outside CI a
/// missing aiosmtpd skips the test loudly; under CI=true it fails.
pub fn python() -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = [
        std::env::var("SESAME_TEST_PYTHON").ok(),
        Some(root.join(".venv/bin/python").display().to_string()),
        Some("python3".to_owned()),
    ];
    for c in candidates.into_iter().flatten() {
        let ok = Command::new(&c)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(c);
        }
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !ci,
        "aiosmtpd is missing: install tests/interop/requirements.txt into .venv \
         (scripts/test.sh does) or set SESAME_TEST_PYTHON to a python with aiosmtpd"
    );
    eprintln!("SKIPPED: aiosmtpd is not installed (pip install aiosmtpd into .venv)");
    None
}

/// A self-signed certificate for `localhost` and 127.0.0.1 (also the CA to trust).
pub struct TestCert {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TestCert {
    pub fn new(dir: &Path) -> TestCert {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
            .unwrap();
        let cert = dir.join("smtp-cert.pem");
        let key = dir.join("smtp-key.pem");
        std::fs::write(&cert, ck.cert.pem()).unwrap();
        std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
        TestCert { cert, key }
    }
}

/// The test SMTP server: messages land in `dir` as NNNN.eml (+ NNNN.json, the envelope).
pub struct SmtpServer {
    child: Option<Child>,
    python: String,
    pub port: u16,
    pub dir: PathBuf,
    args: Vec<String>,
}

impl SmtpServer {
    /// Starts on `port` with extra arguments (`--cert`, `--key`, `--user`, `--password`).
    pub fn start(python: &str, port: u16, dir: &Path, extra: &[&str]) -> SmtpServer {
        std::fs::create_dir_all(dir).unwrap();
        let mut s = SmtpServer {
            child: None,
            python: python.to_owned(),
            port,
            dir: dir.to_owned(),
            args: extra.iter().map(|s| (*s).to_owned()).collect(),
        };
        s.restart();
        s
    }

    /// Starts again (after [`SmtpServer::kill`]) on the same port and folder.
    pub fn restart(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/mail/smtp_server.py");
        let mut child = Command::new(&self.python)
            .arg(script)
            .args(["--port", &self.port.to_string(), "--dir"])
            .arg(&self.dir)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP server did not start");
        self.child = Some(child);
    }

    /// Stops it at once.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The messages received so far, in order.
    pub fn messages(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        v.sort();
        v
    }

    /// Waits (30 s at most) until `n` messages have arrived.
    pub fn wait_for(&self, n: usize) -> Vec<PathBuf> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} messages arrived",
                m.len()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A message parsed by Python's `email` package: headers and the parts' types and text.
pub fn parse_eml(python: &str, path: &Path) -> serde_json::Value {
    let code = r#"
import email, json, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
parts = [{"type": p.get_content_type(), "text": p.get_content()} for p in m.walk() if not p.is_multipart()]
print(json.dumps({"from": str(m["From"]), "to": str(m["To"]), "subject": str(m["Subject"]),
  "type": m.get_content_type(), "date": str(m["Date"] or ""), "message_id": str(m["Message-ID"] or ""),
  "bcc": str(m["Bcc"] or ""), "parts": parts}))
"#;
    let out = Command::new(python)
        .args(["-c", code])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A temporary dir and the store of a test that drives the worker itself.
struct Lib {
    dir: PathBuf,
    _db: Option<test_db::TestDb>,
    store: Store,
}

impl Lib {
    async fn new() -> Lib {
        let dir = std::env::temp_dir().join(format!("sesame-mail-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = test_db::for_data_dir(&dir, true);
        let store = Store::open(&test_db::url_for(&dir, db.as_ref()), 2)
            .await
            .unwrap();
        Lib {
            dir,
            _db: db,
            store,
        }
    }

    fn worker(&self, smtp_url: &str) -> Worker {
        let cfg = MailConfig::resolve(
            &MailFlags {
                smtp_url: Some(smtp_url.to_owned()),
                mail_from: Some("Sesame <sesame@contoso.com>".into()),
            },
            &self.dir,
        )
        .unwrap();
        Worker::new(self.store.clone(), &cfg).unwrap()
    }

    async fn queue(&self, to: &str, now: i64) -> String {
        let m = mail::message::test_message(to, "Contoso", "https://sso.contoso.com");
        mail::outbox::queue(&self.store, "test", &m, now)
            .await
            .unwrap()
    }
}

impl Drop for Lib {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn test_message_over_starttls_with_auth_is_received_and_parsed() {
    let Some(py) = python() else { return };
    let tmp = std::env::temp_dir().join(format!("sesame-smtp-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&tmp).unwrap();
    let tc = TestCert::new(&tmp);
    let port = free_port();
    let smtp = SmtpServer::start(
        &py,
        port,
        &tmp.join("inbox"),
        &[
            "--cert",
            tc.cert.to_str().unwrap(),
            "--key",
            tc.key.to_str().unwrap(),
            "--user",
            "relay@contoso.com",
            "--password",
            "S3cret-relay",
        ],
    );
    let url = format!(
        "smtp://relay%40contoso.com:S3cret-relay@localhost:{port}?starttls=required&tls-ca={}",
        tc.cert.display()
    );
    let server = Server::start_args(&["--smtp-url", &url, "--mail-from", "sesame@contoso.com"]);
    let lines = server.stdout.lock().unwrap().join("\n");
    assert!(
        lines.contains("sesame: email SMTP smtp://relay@contoso.com:***@localhost"),
        "{lines}"
    );
    assert!(
        !lines.contains("S3cret-relay"),
        "the password is printed: {lines}"
    );

    let out = server.cli_ok(&["mail", "test", "--to", "b.simon@contoso.com", "--wait"]);
    assert!(out.contains("sent"), "{out}");
    let msgs = smtp.wait_for(1);
    let m = parse_eml(&py, &msgs[0]);
    assert_eq!(m["from"], "Sesame <sesame@contoso.com>", "{m}");
    assert_eq!(m["to"], "b.simon@contoso.com");
    assert_eq!(m["subject"], "Test email from Sesame");
    assert_eq!(m["type"], "multipart/alternative");
    assert!(!m["date"].as_str().unwrap().is_empty());
    let log: serde_json::Value =
        serde_json::from_str(&server.cli_ok(&["mail", "log", "--json"])).unwrap();
    assert_eq!(
        m["message_id"],
        format!("<{}@contoso.com>", log[0]["id"].as_str().unwrap())
    );
    let parts = m["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2, "{m}");
    assert_eq!(parts[0]["type"], "text/plain");
    assert_eq!(parts[1]["type"], "text/html");
    let admin = format!("{}/admin", server.base);
    assert!(parts[0]["text"].as_str().unwrap().contains(&admin), "{m}");
    assert!(parts[1]["text"]
        .as_str()
        .unwrap()
        .contains(&format!("href=\"{admin}\"")));
    assert!(!parts[1]["text"].as_str().unwrap().contains("<img"));
    let env: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(msgs[0].with_extension("json")).unwrap())
            .unwrap();
    assert_eq!(env["mail_from"], "sesame@contoso.com");
    assert_eq!(env["rcpt_tos"][0], "b.simon@contoso.com");

    // The Email log, as JSON, and the metrics.
    let log: serde_json::Value =
        serde_json::from_str(&server.cli_ok(&["mail", "log", "--json"])).unwrap();
    assert_eq!(log[0]["status"], "sent", "{log}");
    assert_eq!(log[0]["attempts"], 1);
    let metrics = http_get(server.port, "/metrics");
    assert!(metrics.contains("sesame_mail_sent_total 1"), "{metrics}");
    assert!(metrics.contains("sesame_mail_outbox_queued 0"), "{metrics}");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The body of `GET path` on 127.0.0.1:`port` (HTTP/1.0, so the server closes).
fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n").unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_refused_is_recorded_and_retried_by_backoff() {
    let Some(py) = python() else { return };
    let lib = Lib::new().await;
    let port = free_port();
    let smtp = SmtpServer::start(
        &py,
        port,
        &lib.dir.join("inbox"),
        &["--user", "relay", "--password", "right"],
    );
    let wrong = lib.worker(&format!("smtp://relay:wrong@127.0.0.1:{port}?starttls=off"));
    let t0 = 1_900_000_000;
    let id = lib.queue("b.simon@contoso.com", t0).await;

    let pass = wrong.run_once(t0).await.unwrap();
    assert_eq!((pass.sent, pass.retried, pass.failed), (0, 1, 0));
    let m = lib.store.outbox_get(&id).await.unwrap().unwrap();
    assert_eq!(m.status, OutboxStatus::Queued);
    assert_eq!(m.attempts, 1);
    assert_eq!(m.next_attempt_at, t0 + 60);
    let err = m.last_error.unwrap();
    assert!(err.starts_with("SESAME920003"), "{err}");
    assert!(err.contains("535"), "the server's reply is kept: {err}");
    assert!(
        !err.contains("wrong"),
        "the password leaked into the log: {err}"
    );

    // Not due before its backoff; then the delays double, up to 8 attempts.
    assert_eq!(wrong.run_once(t0 + 59).await.unwrap(), Default::default());
    let mut now = t0 + 60;
    let mut delays = Vec::new();
    for attempt in 2..=8 {
        let pass = wrong.run_once(now).await.unwrap();
        let m = lib.store.outbox_get(&id).await.unwrap().unwrap();
        assert_eq!(m.attempts, attempt);
        if attempt < 8 {
            assert_eq!(pass.retried, 1);
            assert_eq!(m.status, OutboxStatus::Queued);
            delays.push(m.next_attempt_at - now);
            now = m.next_attempt_at;
        } else {
            assert_eq!(pass.failed, 1);
            assert_eq!(m.status, OutboxStatus::Failed);
            assert!(m.last_error.unwrap().contains("535"));
        }
    }
    assert_eq!(delays, [120, 240, 480, 960, 1920, 3600]);
    assert!(smtp.messages().is_empty());

    // A second message: the password corrected before its retry, it is delivered.
    let id2 = lib.queue("b.simon@contoso.com", now).await;
    wrong.run_once(now).await.unwrap();
    let right = lib.worker(&format!("smtp://relay:right@127.0.0.1:{port}?starttls=off"));
    assert_eq!(right.run_once(now + 59).await.unwrap().sent, 0);
    assert_eq!(right.run_once(now + 60).await.unwrap().sent, 1);
    let m = lib.store.outbox_get(&id2).await.unwrap().unwrap();
    assert_eq!(
        (m.status, m.attempts, m.sent_at),
        (OutboxStatus::Sent, 2, Some(now + 60))
    );
    assert_eq!(smtp.wait_for(1).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_down_then_up_is_delivered_after_the_retry() {
    let Some(py) = python() else { return };
    let lib = Lib::new().await;
    let port = free_port();
    let w = lib.worker(&format!("smtp://127.0.0.1:{port}?starttls=off"));
    let t0 = 1_900_000_000;
    let id = lib.queue("b.simon@contoso.com", t0).await;
    assert_eq!(w.run_once(t0).await.unwrap().retried, 1);
    let m = lib.store.outbox_get(&id).await.unwrap().unwrap();
    assert!(
        m.last_error.as_deref().unwrap().starts_with("SESAME920002"),
        "{m:?}"
    );
    let smtp = SmtpServer::start(&py, port, &lib.dir.join("inbox"), &[]);
    assert_eq!(w.run_once(t0 + 60).await.unwrap().sent, 1);
    assert_eq!(smtp.wait_for(1).len(), 1);
    // Sent is final: later passes send nothing more.
    assert_eq!(w.run_once(t0 + 100_000).await.unwrap(), Default::default());
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_recipient_fails_at_once_and_the_lease_guards_claims() {
    let Some(py) = python() else { return };
    let lib = Lib::new().await;
    let port = free_port();
    let _smtp = SmtpServer::start(&py, port, &lib.dir.join("inbox"), &[]);
    let t0 = 1_900_000_000;
    // A claim taken by a node that then died: nobody else takes it until its lease ends.
    let id = lib.queue("b.simon@contoso.com", t0).await;
    let claimed = lib
        .store
        .outbox_claim("dead-node", t0 + mail::outbox::LEASE_SECS, t0, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let w = lib.worker(&format!("smtp://127.0.0.1:{port}?starttls=off"));
    assert_eq!(w.run_once(t0 + 1).await.unwrap(), Default::default());
    let p = w.run_once(t0 + mail::outbox::LEASE_SECS).await.unwrap();
    assert_eq!(p.sent, 1);
    let m = lib.store.outbox_get(&id).await.unwrap().unwrap();
    assert_eq!((m.status, m.attempts), (OutboxStatus::Sent, 2));
    // The dead node's late answer changes nothing.
    assert!(!lib
        .store
        .outbox_finish(
            &id,
            "dead-node",
            OutboxStatus::Failed,
            t0,
            Some("late"),
            None
        )
        .await
        .unwrap());
    assert_eq!(
        lib.store.outbox_get(&id).await.unwrap().unwrap().status,
        OutboxStatus::Sent
    );

    // A 5xx answer to the recipient: failed at once, with the server's reply.
    let id = lib.queue("nobody@contoso.com", t0).await;
    let p = w.run_once(t0 + 1000).await.unwrap();
    assert_eq!((p.sent, p.retried, p.failed), (0, 0, 1));
    let m = lib.store.outbox_get(&id).await.unwrap().unwrap();
    assert_eq!((m.status, m.attempts), (OutboxStatus::Failed, 1));
    let err = m.last_error.unwrap();
    assert!(err.starts_with("SESAME920004"), "{err}");
    assert!(err.contains("550") && err.contains("User unknown"), "{err}");
}

#[test]
fn killed_while_sending_is_sent_exactly_once_after_restart() {
    let Some(py) = python() else { return };
    // A tarpit: accepts the SMTP connection and never answers, so the message stays
    // claimed ("sending") while the server is killed.
    let tarpit = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tarpit_port = tarpit.local_addr().unwrap().port();
    let tarpit_url = format!("smtp://127.0.0.1:{tarpit_port}?starttls=off");
    let server = Server::start_args(&[
        "--smtp-url",
        &tarpit_url,
        "--mail-from",
        "sesame@contoso.com",
    ]);
    let out = server.cli_ok(&["mail", "test", "--to", "b.simon@contoso.com"]);
    let id = uuid_in(&out);
    let (_conn, _) = tarpit.accept().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log: serde_json::Value =
            serde_json::from_str(&server.cli_ok(&["mail", "log", "--json"])).unwrap();
        if log[0]["status"] == "sending" {
            break;
        }
        assert!(Instant::now() < deadline, "never claimed: {log}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let port = server.port;
    let db_url = server.database_url();
    let dir = server.kill_keep();

    // The lease ends (the clock moved past it): a worker on the same store sends it once.
    let smtp_port = free_port();
    let smtp = SmtpServer::start(&py, smtp_port, &dir.join("inbox"), &[]);
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}?starttls=off");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = Store::open(&db_url, 2).await.unwrap();
        let cfg = MailConfig::resolve(
            &MailFlags {
                smtp_url: Some(smtp_url.clone()),
                mail_from: Some("sesame@contoso.com".into()),
            },
            &dir,
        )
        .unwrap();
        let w = Worker::new(store.clone(), &cfg).unwrap();
        let now = sesame::clock::now_unix();
        assert_eq!(
            w.run_once(now).await.unwrap().sent,
            0,
            "sent before the lease ended"
        );
        assert_eq!(
            w.run_once(now + mail::outbox::LEASE_SECS + 1)
                .await
                .unwrap()
                .sent,
            1
        );
        store.close().await;
    });
    assert_eq!(smtp.wait_for(1).len(), 1);

    // The restarted server sends what is queued next, and never the first one again.
    let server = Server::start_on_args(
        dir,
        port,
        &["--smtp-url", &smtp_url, "--mail-from", "sesame@contoso.com"],
    );
    server.cli_ok(&["mail", "test", "--to", "second@contoso.com", "--wait"]);
    std::thread::sleep(Duration::from_millis(1500));
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    let log: serde_json::Value =
        serde_json::from_str(&server.cli_ok(&["mail", "log", "--json"])).unwrap();
    let first = log
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id.as_str())
        .unwrap();
    assert_eq!(first["status"], "sent");
    assert_eq!(first["attempts"], 2);
}

#[test]
fn folder_mode_writes_an_eml() {
    let Some(py) = python() else { return };
    let server = Server::start();
    let lines = server.stdout.lock().unwrap().join("\n");
    assert!(lines.contains("messages are written to"), "{lines}");
    let out = server.cli_ok(&["mail", "test", "--to", "b.simon@contoso.com", "--wait"]);
    assert!(out.contains("sent"), "{out}");
    let files: Vec<PathBuf> = std::fs::read_dir(server.dir.join("mail"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let m = parse_eml(&py, &files[0]);
    assert_eq!(m["to"], "b.simon@contoso.com");
    assert_eq!(m["from"], "Sesame <sesame@localhost>");
    assert_eq!(m["parts"].as_array().unwrap().len(), 2);
}

#[test]
fn header_injection_and_bad_addresses_are_refused() {
    let env = Env::new();
    for to in [
        "b.simon@contoso.com\r\nBcc: victim@example.com",
        "b.simon@contoso.com\nSubject: x",
        "not an address",
        "",
    ] {
        let err = env.refused(&["mail", "test", "--to", to]);
        assert!(err.contains("SESAME920001"), "{to:?}: {err}");
    }
    let err = env.refused(&[
        "mail",
        "test",
        "--to",
        "b.simon@contoso.com",
        "--mail-from",
        "Ops\r\nBcc: x@example.com <ops@contoso.com>",
    ]);
    assert!(err.contains("SESAME920001"), "{err}");
    let err = env.refused(&[
        "mail",
        "test",
        "--to",
        "b.simon@contoso.com",
        "--smtp-url",
        "smtp://relay:hunter2@mail.contoso.com?starttls=sometimes",
    ]);
    assert!(err.contains("SESAME920005"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    let err = env.refused(&[
        "mail",
        "test",
        "--to",
        "b.simon@contoso.com",
        "--smtp-url",
        "smtp://mail.contoso.com",
    ]);
    assert!(
        err.contains("SESAME920005") && err.contains("SESAME_MAIL_FROM"),
        "{err}"
    );
    // Nothing was queued.
    let log = env.json(&["mail", "log"]);
    assert_eq!(log.as_array().map(Vec::len), Some(0), "{log}");
    // No SMTP server and no data dir: nowhere to write.
    let out = sesame_command()
        .args([
            "--data-dir",
            "/nonexistent/sesame-data",
            "mail",
            "test",
            "--to",
            "a@contoso.com",
        ])
        .env_remove("SESAME_SMTP_URL")
        .env_remove("SESAME_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SESAME920005"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_email_page_shows_the_settings_sends_a_test_and_logs_it() {
    let Some(py) = python() else { return };
    let tmp = std::env::temp_dir().join(format!("sesame-smtp-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&tmp).unwrap();
    let tc = TestCert::new(&tmp);
    let port = free_port();
    let smtp = SmtpServer::start(
        &py,
        port,
        &tmp.join("inbox"),
        &[
            "--cert",
            tc.cert.to_str().unwrap(),
            "--key",
            tc.key.to_str().unwrap(),
            "--user",
            "relay@contoso.com",
            "--password",
            "S3cret-relay",
        ],
    );
    let url = format!(
        "smtp://relay%40contoso.com:S3cret-relay@localhost:{port}?starttls=required&tls-ca={}",
        tc.cert.display()
    );
    let s = Server::start_args(&["--smtp-url", &url, "--mail-from", "sesame@contoso.com"]);
    let b = admin(&s).await;
    let (st, _, html) = page(&b, &s, "/admin/settings").await;
    assert_eq!(st, 200);
    assert!(links(&html).iter().any(|l| l == "/admin/settings/email"));
    let (st, _, html) = page(&b, &s, "/admin/settings/email").await;
    assert_eq!(st, 200, "{html}");
    assert!(html.contains(&format!("localhost:{port}")), "{html}");
    assert!(html.contains("STARTTLS (required)"));
    assert!(html.contains("relay@contoso.com (password set, not shown)"));
    assert!(!html.contains("S3cret-relay"), "the password is shown");
    assert!(html.contains("No email has been queued yet."));

    // A recipient with a header of its own is refused, nothing queued.
    let form = post_form(&html, "/admin/settings/email/test")
        .set("to", "b.simon@contoso.com\r\nBcc: victim@example.com");
    let (st, _, body) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("SESAME920001"), "{body}");
    assert!(body.contains("No email has been queued yet."));

    // The organisation's name, audited, then the test message signed with it.
    let audits = audit_count(&s).await;
    let form = post_form(&html, "/admin/settings/email/organization")
        .set("organization_name", "Contoso\nBcc: x@example.com");
    let (st, _, body) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 422, "{body}");
    let form =
        post_form(&html, "/admin/settings/email/organization").set("organization_name", "Contoso");
    let (st, _, body) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("Saved: email is signed"), "{body}");
    assert_eq!(audit_count(&s).await, audits + 1);
    let form = post_form(&body, "/admin/settings/email/test").set("to", "b.simon@contoso.com");
    let (st, _, body) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 200, "{body}");
    assert!(
        body.contains("Test email to b.simon@contoso.com queued"),
        "{body}"
    );
    assert_eq!(audit_count(&s).await, audits + 2);
    let msgs = tokio::task::spawn_blocking(move || smtp.wait_for(1))
        .await
        .unwrap();
    let m = parse_eml(&py, &msgs[0]);
    assert_eq!(m["from"], "Contoso <sesame@contoso.com>", "{m}");
    assert_eq!(m["subject"], "Test email from Contoso");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, _, html) = page(&b, &s, "/admin/settings/email").await;
        if html.contains("<td>Sent ") {
            assert!(html.contains("id=\"email-log\""));
            break;
        }
        assert!(Instant::now() < deadline, "not shown as sent: {html}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_server_set_in_the_portal_is_sealed_and_used() {
    let Some(py) = python() else { return };
    let s = Server::start();
    let port = free_port();
    let smtp = SmtpServer::start(
        &py,
        port,
        &s.dir.join("inbox"),
        &["--user", "relay@contoso.com", "--password", "p@ss:w/rd"],
    );
    let b = admin(&s).await;
    let (_, _, html) = page(&b, &s, "/admin/settings/email").await;
    assert!(html.contains("messages are written to"), "{html}");
    let form = post_form(&html, "/admin/settings/email/smtp");
    // A bad port is refused, nothing stored.
    let bad = form.clone().set("host", "127.0.0.1").set("port", "99999");
    let (st, _, body) = submit(&b, &s.base, &bad).await;
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("is not a port"), "{body}");
    let form = form
        .set("host", "127.0.0.1")
        .set("port", &port.to_string())
        .set("security", "off")
        .set("user", "relay@contoso.com")
        .set("password", "p@ss:w/rd")
        .set("from", "sesame@contoso.com")
        .set("action", "save");
    let (st, _, body) = submit(&b, &s.base, &form).await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("SMTP server saved"), "{body}");
    assert!(body.contains(&format!("127.0.0.1:{port}")), "{body}");
    assert!(body.contains("relay@contoso.com (password set, not shown)"));
    assert!(
        !body.contains("p@ss:w/rd") && !body.contains("p%40ss"),
        "{body}"
    );

    // Stored sealed: neither the setting nor the audit log holds the password.
    let store = Store::open(&s.database_url(), 1).await.unwrap();
    let raw = store
        .setting(mail::config::SMTP_SETTING_KEY)
        .await
        .unwrap()
        .unwrap();
    assert!(!raw.contains("relay") && !raw.contains("p@ss"));
    let audit = store
        .audit_list(&sesame::store::AuditFilter {
            since_ms: None,
            action_prefix: Some("settings.update".into()),
            actor: None,
            target_id: None,
            limit: 10,
        })
        .await
        .unwrap();
    let row = format!("{audit:?}");
    assert!(row.contains("SMTP server"), "{row}");
    assert!(!row.contains("p@ss") && !row.contains("p%40ss"), "{row}");

    // The worker follows the setting: the test message goes through that server.
    let test = post_form(&body, "/admin/settings/email/test").set("to", "b.simon@contoso.com");
    let (st, _, _) = submit(&b, &s.base, &test).await;
    assert_eq!(st, 200);
    let smtp = tokio::task::spawn_blocking(move || {
        smtp.wait_for(1);
        smtp
    })
    .await
    .unwrap();
    let m = parse_eml(&py, &smtp.messages()[0]);
    assert_eq!(m["from"], "Sesame <sesame@contoso.com>");

    // Saved again with the password left empty: kept. Then removed: the mail folder.
    let (_, _, html) = page(&b, &s, "/admin/settings/email").await;
    let again = post_form(&html, "/admin/settings/email/smtp").set("action", "save");
    assert_eq!(again.get("password"), Some(""));
    let (st, _, body) = submit(&b, &s.base, &again).await;
    assert_eq!(st, 200, "{body}");
    let kept = mail::config::stored_smtp_raw(&store)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(kept, raw, "sealed anew");
    // The password still works (the server requires AUTH).
    let test = post_form(&body, "/admin/settings/email/test").set("to", "second@contoso.com");
    assert_eq!(submit(&b, &s.base, &test).await.0, 200);
    let smtp = tokio::task::spawn_blocking(move || {
        smtp.wait_for(2);
        smtp
    })
    .await
    .unwrap();
    assert_eq!(smtp.messages().len(), 2);
    let remove = post_form(&body, "/admin/settings/email/smtp").set("action", "remove");
    let (st, _, body) = submit(&b, &s.base, &remove).await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("SMTP server removed"), "{body}");
    assert!(body.contains("messages are written to"));
    assert!(mail::config::stored_smtp_raw(&store)
        .await
        .unwrap()
        .is_none());
    store.close().await;
}

/// Settings → Email's Admin alert addresses: a bad address refused (SESAME910004, the
/// field marked), a good list saved and audited; while delivery is failing (a message
/// retrying for over an hour against an SMTP port nothing listens on) the page and the
/// Enterprise applications list show the banner, and `/metrics` the gauge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_alert_addresses_are_saved_and_a_failing_delivery_shows_a_banner() {
    let url = format!("smtp://127.0.0.1:{}?starttls=off", free_port());
    let s = Server::start_args(&["--smtp-url", &url, "--mail-from", "sesame@contoso.com"]);
    let a = admin(&s).await;
    let (st, _, html) = page(&a, &s, "/admin/settings/email").await;
    assert_eq!(st, 200, "{html}");
    assert!(
        !html.contains("Email delivery is failing: no email"),
        "{html}"
    );
    let form = || post_form(&html, "/admin/settings/email/alerts");
    let audits = audit_count(&s).await;
    let (st, _, body) = submit(
        &a,
        &s.base,
        &form().set("admin_alert_addresses", "ops@contoso.com, not-an-address"),
    )
    .await;
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("SESAME910004"), "{body}");
    assert!(body.contains("alerts-error"), "{body}");
    assert_eq!(audit_count(&s).await, audits);
    let (st, _, body) = submit(
        &a,
        &s.base,
        &form().set(
            "admin_alert_addresses",
            "ops@contoso.com\noncall@contoso.com",
        ),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    assert!(
        body.contains("admin alerts go to ops@contoso.com, oncall@contoso.com"),
        "{body}"
    );
    assert_eq!(audit_count(&s).await, audits + 1);

    // A message queued two hours ago, tried once and waiting for a retry.
    let store = sesame::store::Store::open(&s.database_url(), 1)
        .await
        .unwrap();
    let now = sesame::clock::now_unix();
    let m = mail::message::test_message("b.simon@contoso.com", "Contoso", "");
    let id = mail::outbox::queue(&store, "test", &m, now - 7200)
        .await
        .unwrap();
    for _ in 0..100 {
        if store.outbox_get(&id).await.unwrap().unwrap().attempts > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    store.close().await;
    for path in ["/admin/settings/email", "/admin/apps", "/admin"] {
        let (st, _, html) = page(&a, &s, path).await;
        assert_eq!(st, 200);
        assert!(
            html.contains("Email delivery is failing: no email"),
            "{path}: {html}"
        );
    }
    let (_, _, metrics) = get(&browser(), &format!("{}/metrics", s.base)).await;
    let gauge = metrics
        .lines()
        .find_map(|l| l.strip_prefix("sesame_mail_failing_since_seconds "))
        .unwrap_or_else(|| panic!("{metrics}"));
    assert!(gauge.parse::<f64>().unwrap() >= 7200.0, "{gauge}");
}
