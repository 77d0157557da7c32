//! Test harness of the SSO plane: starts the real binary (`sesame serve --demo`) on a
//! free port with a temporary data dir, and drives it like a browser (cookie jar,
//! redirects, auto-post forms). The SP side is `sesame_saml` itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)] // tests may panic

use base64::Engine as _;
use sesame_saml::bindings::redirect::{encode_query, redirect_url};
use sesame_saml::bindings::MessageKind;
use sesame_saml::crypto::{Certificate, SignatureAlgorithm, SigningKey};
use sesame_saml::dsig::{self, VerifyPolicy};
use sesame_saml::messages::{AuthnRequest, ParsedAssertion, ParsedResponse};
use sesame_saml::time::Timestamp;
use sesame_saml::xml::{self, Limits, NS_SAML};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "../test_db/mod.rs"]
pub mod test_db;

pub const DEMO_UPN: &str = "B.Simon@contoso.com";
pub const DEMO_PASSWORD: &str = "Demo-Password-42";
pub const SP_ENTITY: &str = "https://sp.example.test/entity";
pub const SP_ACS: &str = "https://sp.example.test/acs";
pub const SP_LOGOUT: &str = "https://sp.example.test/logout";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_sesame")
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../saml/tests/fixtures")
        .join(name)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running server.
pub struct Server {
    pub dir: PathBuf,
    pub port: u16,
    pub base: String,
    pub tenant: String,
    child: Option<Child>,
    pub stdout: Arc<Mutex<Vec<String>>>,
    owns_dir: bool,
    /// The test's PostgreSQL database when SESAME_TEST_DATABASE_URL is set.
    db: Option<test_db::TestDb>,
}

impl Server {
    pub fn start() -> Server {
        Server::start_args(&[])
    }

    /// Starts with extra `serve` arguments.
    pub fn start_args(extra: &[&str]) -> Server {
        let dir = std::env::temp_dir().join(format!("sesame-sso-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Server::start_with(dir, true, free_port(), extra)
    }

    /// Restarts on a kept data dir and a given port.
    pub fn start_on(dir: PathBuf, port: u16) -> Server {
        Server::start_with(dir, true, port, &[])
    }

    pub fn start_in(dir: PathBuf, owns_dir: bool) -> Server {
        Server::start_with(dir, owns_dir, free_port(), &[])
    }

    /// Starts serving HTTPS directly (`--tls-cert`/`--tls-key`), public URL https.
    pub fn start_tls(cert: &Path, key: &Path) -> Server {
        let dir = std::env::temp_dir().join(format!("sesame-sso-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let extra = [
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ];
        Server::start_scheme(dir, true, free_port(), "https", &extra)
    }

    fn start_with(dir: PathBuf, owns_dir: bool, port: u16, extra: &[&str]) -> Server {
        Server::start_scheme(dir, owns_dir, port, "http", extra)
    }

    fn start_scheme(
        dir: PathBuf,
        owns_dir: bool,
        port: u16,
        scheme: &str,
        extra: &[&str],
    ) -> Server {
        let base = format!("{scheme}://127.0.0.1:{port}");
        let db = test_db::for_data_dir(&dir, owns_dir);
        let mut cmd = Command::new(bin());
        match &db {
            Some(d) => cmd.env("SESAME_DATABASE_URL", &d.url),
            None => cmd.env_remove("SESAME_DATABASE_URL"),
        };
        let mut child = cmd
            .args(["--data-dir", dir.to_str().unwrap(), "serve", "--demo"])
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--public-url",
                &base,
            ])
            .args(extra)
            .env("SESAME_DEMO_PASSWORD", DEMO_PASSWORD)
            .env("SESAME_ADMIN_PASSWORD", "Admin-Password-42")
            .env_remove("SESAME_MASTER_KEY")
            .env_remove("SESAME_PUBLIC_URL")
            .env_remove("SESAME_LISTEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let l2 = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                l2.lock().unwrap().push(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let tenant = loop {
            if let Some(l) = lines
                .lock()
                .unwrap()
                .iter()
                .find(|l| l.starts_with("sesame: Login URL "))
            {
                let url = l.trim_start_matches("sesame: Login URL ");
                break url
                    .trim_end_matches("/saml2")
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_owned();
            }
            if let Ok(Some(st)) = child.try_wait() {
                panic!("the server exited: {st}");
            }
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(50));
        };
        Server {
            dir,
            port,
            base,
            tenant,
            child: Some(child),
            stdout: lines,
            owns_dir,
            db,
        }
    }

    pub fn login_url(&self) -> String {
        format!("{}/{}/saml2", self.base, self.tenant)
    }

    pub fn idp_issuer(&self) -> String {
        format!("{}/{}/", self.base, self.tenant)
    }

    /// The database URL of this server (PostgreSQL's when the tests run on it, else the
    /// SQLite file in the data dir).
    pub fn database_url(&self) -> String {
        test_db::url_for(&self.dir, self.db.as_ref())
    }

    /// A `sesame` command on this server's store (data dir and database URL).
    pub fn command(&self) -> Command {
        let mut c = Command::new(bin());
        c.arg("--data-dir")
            .arg(&self.dir)
            .env("SESAME_DATABASE_URL", self.database_url())
            .env_remove("SESAME_MASTER_KEY");
        c
    }

    /// Runs a CLI command on the same data dir.
    pub fn cli(&self, args: &[&str]) -> Output {
        let out = Command::new(bin())
            .env("SESAME_DATABASE_URL", self.database_url())
            .arg("--data-dir")
            .arg(&self.dir)
            .args(args)
            .env_remove("SESAME_MASTER_KEY")
            .output()
            .unwrap();
        out
    }

    pub fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "sesame {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Adds a custom app for the test SP and assigns B.Simon; returns its id. Waits until
    /// the server sees it.
    pub fn add_sp(&self, extra: &[&str]) -> String {
        let mut args = vec![
            "app",
            "add",
            "--custom",
            "--name",
            "Test SP",
            "--identifier",
            SP_ENTITY,
            "--reply-url",
            SP_ACS,
            "--logout-url",
            SP_LOGOUT,
        ];
        args.extend_from_slice(extra);
        let out = self.cli_ok(&args);
        let id = out
            .split_whitespace()
            .find(|w| w.len() == 36 && w.chars().filter(|c| *c == '-').count() == 4)
            .unwrap_or_else(|| panic!("no app id in {out:?}"))
            .to_owned();
        self.cli_ok(&["app", "assign", &id, "--user", DEMO_UPN]);
        self.wait_config();
        id
    }

    /// Waits for a CLI change to be in force (the server polls every 500 ms).
    pub fn wait_config(&self) {
        std::thread::sleep(Duration::from_millis(1300));
    }

    /// Sends SIGTERM and waits (graceful shutdown).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                if let Ok(Some(_)) = c.try_wait() {
                    break;
                }
                if Instant::now() > deadline {
                    let _ = c.kill();
                    let _ = c.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Stops and keeps the data dir (for a restart).
    pub fn stop_keep(mut self) -> PathBuf {
        self.stop();
        self.owns_dir = false;
        if let Some(db) = self.db.as_mut() {
            db.keep();
        }
        self.dir.clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A browser: cookie jar, follows redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::limited(10))
        .build()
        .unwrap()
}

/// Two views of one browser (one cookie jar): following redirects, and not.
pub fn browser_pair() -> (reqwest::Client, reqwest::Client) {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let follow = reqwest::Client::builder()
        .cookie_provider(Arc::clone(&jar))
        .redirect(reqwest::redirect::Policy::limited(10))
        .build()
        .unwrap();
    let manual = reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (follow, manual)
}

/// A browser that does not follow redirects.
pub fn browser_no_redirect() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of `attr="…"` after `from` in `html`.
fn attr_after<'a>(html: &'a str, from: usize, attr: &str) -> Option<&'a str> {
    let pat = format!("{attr}=\"");
    let i = html[from..].find(&pat)? + from + pat.len();
    let j = html[i..].find('"')? + i;
    Some(&html[i..j])
}

/// The form of a page: its action and hidden fields.
pub fn form(html: &str) -> (String, Vec<(String, String)>) {
    let f = html.find("<form").expect("no form in the page");
    let action = unescape(attr_after(html, f, "action").unwrap());
    let mut fields = Vec::new();
    let mut pos = f;
    while let Some(i) = html[pos..].find("<input type=\"hidden\"") {
        let at = pos + i;
        let name = attr_after(html, at, "name").unwrap().to_owned();
        let value = unescape(attr_after(html, at, "value").unwrap());
        fields.push((name, value));
        pos = at + 10;
    }
    (action, fields)
}

pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Whether a page is the login form.
pub fn is_login_page(html: &str) -> bool {
    html.contains("name=\"password\"")
}

/// Whether a page is the auto-post form carrying a SAMLResponse.
pub fn is_auto_post(html: &str) -> bool {
    html.contains("name=\"SAMLResponse\"")
}

/// Submits the login form of `html` (the page at `page_url`).
pub async fn submit_login(
    b: &reqwest::Client,
    base: &str,
    html: &str,
    upn: &str,
    pw: &str,
) -> reqwest::Response {
    let (action, fields) = form(html);
    let mut data: Vec<(String, String)> = fields;
    data.push(("username".into(), upn.into()));
    data.push(("password".into(), pw.into()));
    let url = if action.starts_with('/') {
        format!("{base}{action}")
    } else {
        action
    };
    b.post(url).form(&data).send().await.unwrap()
}

/// The Response XML and RelayState carried by an auto-post page, and its action.
pub fn auto_post_response(html: &str) -> (String, String, Option<String>) {
    let (action, fields) = form(html);
    let v = field(&fields, "SAMLResponse").expect("no SAMLResponse");
    let xml =
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(v).unwrap()).unwrap();
    (action, xml, field(&fields, "RelayState").map(str::to_owned))
}

/// An AuthnRequest from the test SP.
pub fn authn_request(s: &Server, id: &str) -> AuthnRequest {
    let mut r = AuthnRequest::new(id, Timestamp::from(std::time::SystemTime::now()), SP_ENTITY);
    r.destination = Some(s.login_url());
    r.acs_url = Some(SP_ACS.into());
    r
}

/// The Redirect-binding URL of a request, optionally signed.
pub fn redirect_request(
    s: &Server,
    r: &AuthnRequest,
    relay: Option<&str>,
    key: Option<&SigningKey>,
) -> String {
    let q = encode_query(
        MessageKind::Request,
        &r.to_xml(),
        relay,
        key.map(|k| (k, SignatureAlgorithm::RsaSha256)),
    )
    .unwrap();
    redirect_url(&s.login_url(), &q)
}

pub fn sp_key() -> SigningKey {
    SigningKey::from_pem(&std::fs::read_to_string(fixture("test-rsa-key.pem")).unwrap()).unwrap()
}

pub fn other_key() -> SigningKey {
    SigningKey::from_pem(&std::fs::read_to_string(fixture("other-rsa-key.pem")).unwrap()).unwrap()
}

/// The IdP signing certificates of an app, from its App Federation Metadata URL.
pub async fn idp_certs(s: &Server, app_id: &str) -> Vec<Certificate> {
    let url = format!(
        "{}/{}/federationmetadata/2007-06/federationmetadata.xml?appid={app_id}",
        s.base, s.tenant
    );
    let xml = reqwest::get(url).await.unwrap().text().await.unwrap();
    sesame_saml::metadata::parse_entities(&xml)
        .unwrap()
        .into_iter()
        .filter_map(|e| e.idp)
        .flat_map(|i| i.signing_certificates)
        .collect()
}

/// Verifies a Response like a strict SP and returns it with its Assertion (read from the
/// verified node).
pub fn verify_response(
    xml_text: &str,
    certs: &[Certificate],
) -> (ParsedResponse, Option<ParsedAssertion>) {
    let doc = xml::parse(xml_text, &Limits::MESSAGE).unwrap();
    let verified = dsig::verify_message(&doc, certs, &VerifyPolicy::default()).unwrap();
    let root = doc.root_element();
    assert!(
        verified[0] == root,
        "the Response itself must be signed (sign both is the default)"
    );
    let resp = ParsedResponse::from_element(root).unwrap();
    let a = xml::child(root, NS_SAML, "Assertion").map(|n| {
        assert!(verified.contains(&n), "the Assertion must be signed too");
        ParsedAssertion::from_element(n).unwrap()
    });
    (resp, a)
}

/// GETs `url` and returns (status, final URL, body).
pub async fn get(b: &reqwest::Client, url: &str) -> (u16, String, String) {
    let r = b.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let u = r.url().to_string();
    (status, u, r.text().await.unwrap())
}

/// The error code an error page or login page shows (`x-sesame-error`).
pub async fn error_code(r: reqwest::Response) -> (u16, String, String) {
    let status = r.status().as_u16();
    let code = r
        .headers()
        .get("x-sesame-error")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, code, r.text().await.unwrap())
}

pub fn data_dir(s: &Server) -> &Path {
    &s.dir
}
