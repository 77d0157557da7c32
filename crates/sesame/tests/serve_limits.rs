//! The limits of `sesame serve` against clients without credentials, black-box on raw
//! sockets: the header-read timeout (a request head trickled line by line), the idle
//! timeout (a keep-alive connection left open, a connection that sends nothing), the cap
//! on open connections and its log line; Strict-Transport-Security over HTTPS, /metrics
//! on its own address, and the RelayState cap (`SESAME900020`).

use crate::common::*;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What one short read of a socket saw.
enum Seen {
    /// The server closed (or reset) the connection.
    Closed,
    /// Bytes (a response).
    Data(Vec<u8>),
    /// Nothing yet.
    Nothing,
}

/// Reads once, waiting at most `wait`.
fn read_once(c: &mut TcpStream, wait: Duration) -> Seen {
    c.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 4096];
    match c.read(&mut buf) {
        Ok(0) => Seen::Closed,
        Ok(n) => Seen::Data(buf[..n].to_vec()),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Seen::Nothing,
        Err(_) => Seen::Closed,
    }
}

/// How long until the server closes `c` (reading whatever it answers meanwhile); `None`
/// when it is still open after `limit`.
fn closed_after(c: &mut TcpStream, start: Instant, limit: Duration) -> Option<Duration> {
    while start.elapsed() < limit {
        if let Seen::Closed = read_once(c, Duration::from_millis(100)) {
            return Some(start.elapsed());
        }
    }
    None
}

fn connect(port: u16) -> TcpStream {
    TcpStream::connect(("127.0.0.1", port)).unwrap()
}

/// Sends `GET /healthz` on a keep-alive connection and reads its whole answer.
fn healthz(c: &mut TcpStream) -> String {
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let start = Instant::now();
    let mut got = Vec::new();
    while !got.ends_with(b"ok\n") {
        assert!(start.elapsed() < Duration::from_secs(10), "no answer");
        match read_once(c, Duration::from_millis(200)) {
            Seen::Data(d) => got.extend(d),
            Seen::Closed => panic!("closed before answering"),
            Seen::Nothing => {}
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// A request head trickled one header line every 200 ms never completes: the connection
/// is closed at the header-read timeout (1 s here), although bytes keep arriving.
#[test]
fn a_trickled_request_head_is_cut_at_the_header_read_timeout() {
    let s = Server::start_args(&["--header-read-timeout", "1", "--idle-timeout", "60"]);
    let mut c = connect(s.port);
    let start = Instant::now();
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    let mut closed = None;
    for i in 0.. {
        if start.elapsed() > Duration::from_secs(15) {
            break;
        }
        if c.write_all(format!("X-Trickle-{i}: a\r\n").as_bytes())
            .is_err()
        {
            closed = Some(start.elapsed());
            break;
        }
        match read_once(&mut c, Duration::from_millis(200)) {
            Seen::Closed => {
                closed = Some(start.elapsed());
                break;
            }
            Seen::Data(d) => {
                let text = String::from_utf8_lossy(&d).into_owned();
                assert!(
                    !text.contains(" 200 "),
                    "the trickled request was answered: {text}"
                );
            }
            Seen::Nothing => {}
        }
    }
    let t = closed.expect("a trickling client kept its connection for 15 s");
    assert!(t >= Duration::from_millis(900), "closed too early: {t:?}");
    assert!(t < Duration::from_secs(8), "closed only after {t:?}");
    // A request whose head arrives at once is served as before.
    assert!(healthz(&mut connect(s.port)).starts_with("HTTP/1.1 200"));
}

/// A keep-alive connection after its answer, and a connection that never sends a byte,
/// are closed at the idle timeout (1 s here; the header-read timeout is longer).
#[test]
fn idle_connections_are_closed_at_the_idle_timeout() {
    let s = Server::start_args(&["--idle-timeout", "1", "--header-read-timeout", "60"]);
    let mut kept = connect(s.port);
    assert!(healthz(&mut kept).starts_with("HTTP/1.1 200"));
    let t = closed_after(&mut kept, Instant::now(), Duration::from_secs(15))
        .expect("an idle keep-alive connection stayed open 15 s");
    assert!(t < Duration::from_secs(8), "{t:?}");

    let start = Instant::now();
    let mut silent = connect(s.port);
    let t = closed_after(&mut silent, start, Duration::from_secs(15))
        .expect("a silent connection stayed open 15 s");
    assert!(t >= Duration::from_millis(900), "closed too early: {t:?}");
    assert!(t < Duration::from_secs(8), "{t:?}");
}

/// `serve` with its stderr (the server log) collected; killed on drop.
struct Logged {
    child: Child,
    port: u16,
    stderr: Arc<Mutex<Vec<String>>>,
    dir: std::path::PathBuf,
}

impl Logged {
    fn start(extra: &[&str]) -> Logged {
        let dir = std::env::temp_dir().join(format!("sesame-limits-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let mut cmd = Command::new(bin());
        cmd.env_remove("SESAME_DATABASE_URL")
            .env_remove("SESAME_MASTER_KEY")
            .env_remove("SESAME_PUBLIC_URL")
            .env_remove("SESAME_LISTEN")
            .env("SESAME_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .args(["--data-dir", dir.to_str().unwrap(), "serve", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .args(extra)
            .stderr(Stdio::piped());
        let (mut child, _stdout, _tenant) = spawn_serve(&mut cmd);
        let err = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let lines = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        Logged {
            child,
            port,
            stderr,
            dir,
        }
    }

    fn lines_with(&self, needle: &str) -> usize {
        self.stderr
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// Waits (10 s at most) for a log line containing `needle`.
    fn wait_for(&self, needle: &str) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if self.lines_with(needle) > 0 {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// With `--max-connections 3`, three open connections are served, the next ones are
/// closed at once, the log says so once for the burst, and a slot freed is reused.
#[test]
fn connections_over_the_cap_are_closed_and_logged_once() {
    let s = Logged::start(&[
        "--max-connections",
        "3",
        "--idle-timeout",
        "60",
        "--header-read-timeout",
        "60",
    ]);
    let mut open: Vec<TcpStream> = (0..3).map(|_| connect(s.port)).collect();
    for c in &mut open {
        assert!(healthz(c).starts_with("HTTP/1.1 200"));
    }
    for _ in 0..3 {
        let mut extra = connect(s.port);
        let t = closed_after(&mut extra, Instant::now(), Duration::from_secs(10))
            .expect("a connection over the cap was kept");
        assert!(t < Duration::from_secs(5), "{t:?}");
    }
    assert!(s.wait_for("connection limit reached: 3 connections are open"));
    assert_eq!(
        s.lines_with("connection limit reached"),
        1,
        "once per burst"
    );
    // The open ones still work.
    assert!(healthz(&mut open[0]).starts_with("HTTP/1.1 200"));

    // One closes: a new connection is served again (once the server saw the close).
    drop(open.pop());
    let start = Instant::now();
    loop {
        assert!(start.elapsed() < Duration::from_secs(10), "no slot freed");
        let mut c = connect(s.port);
        c.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .unwrap();
        if let Seen::Data(d) = read_once(&mut c, Duration::from_secs(2)) {
            assert!(d.starts_with(b"HTTP/1.1 200"));
            break;
        }
    }
    assert!(s.wait_for("connections are accepted again"));
}

/// A self-signed certificate for 127.0.0.1, written to `dir`.
fn self_signed(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf, Vec<u8>) {
    let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let cert = dir.join("tls-cert.pem");
    let key = dir.join("tls-key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    (cert, key, ck.cert.pem().into_bytes())
}

/// `Strict-Transport-Security` on every response when the public URL is https; none
/// over plain HTTP.
#[tokio::test(flavor = "multi_thread")]
async fn hsts_when_the_public_url_is_https() {
    let dir = std::env::temp_dir().join(format!("sesame-hsts-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key, pem) = self_signed(&dir);
    let s = Server::start_tls(&cert, &key);
    let b = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .build()
        .unwrap();
    for path in ["/healthz", "/", "/no-such-page"] {
        let r = b.get(format!("{}{path}", s.base)).send().await.unwrap();
        assert_eq!(
            r.headers()
                .get("strict-transport-security")
                .map(|v| v.to_str().unwrap().to_owned())
                .as_deref(),
            Some("max-age=31536000"),
            "{path}"
        );
    }
    let plain = Server::start();
    let r = reqwest::get(format!("{}/healthz", plain.base))
        .await
        .unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
    std::fs::remove_dir_all(&dir).ok();
}

/// `--metrics-listen`: /metrics answers on its own address, and 404 on the main one.
#[tokio::test(flavor = "multi_thread")]
async fn metrics_on_their_own_address() {
    let mport = free_port();
    let maddr = format!("127.0.0.1:{mport}");
    let s = Server::start_args(&["--metrics-listen", &maddr]);
    let r = reqwest::get(format!("{}/healthz", s.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    let r = reqwest::get(format!("{}/metrics", s.base)).await.unwrap();
    assert_eq!(r.status(), 404);
    let r = reqwest::get(format!("http://{maddr}/metrics"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("sesame_http_requests_total"));
    // Without the flag: on the main address, as before.
    let plain = Server::start();
    let r = reqwest::get(format!("{}/metrics", plain.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// A received RelayState over 2 KiB is refused with `SESAME900020` (an error page, 400);
/// one of exactly 2 KiB goes on to the sign-in page.
#[tokio::test(flavor = "multi_thread")]
async fn relay_state_over_2_kib_is_refused() {
    let s = Server::start();
    let _app = s.add_sp(&[]);
    let b = browser();
    let over = "r".repeat(2049);
    let url = redirect_request(&s, &authn_request(&s, "_rs1"), Some(&over), None);
    let (status, code, body) = error_code(b.get(&url).send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (400, "SESAME900020"), "{body}");
    assert!(body.contains("RelayState too long"), "{body}");
    let at = "r".repeat(2048);
    let url = redirect_request(&s, &authn_request(&s, "_rs2"), Some(&at), None);
    let r = b.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("x-sesame-error").is_none());
}
