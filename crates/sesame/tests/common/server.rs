//! `sesame serve --demo` on a free port of 127.0.0.1 with a temporary data dir (and a
//! PostgreSQL database of its own when the tests run on PostgreSQL), and `sesame`
//! commands on that server's store.

use super::{bin, free_port, test_db, uuid_in, ADMIN_PASSWORD, DEMO_PASSWORD, DEMO_UPN};
use super::{SP_ACS, SP_ENTITY, SP_LOGOUT};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

    /// Restarts on a kept data dir and a given port, with extra `serve` arguments.
    pub fn start_on_args(dir: PathBuf, port: u16, extra: &[&str]) -> Server {
        Server::start_with(dir, true, port, extra)
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
        Server::start_scheme(dir, true, free_port(), "https", &extra, &[])
    }

    fn start_with(dir: PathBuf, owns_dir: bool, port: u16, extra: &[&str]) -> Server {
        Server::start_scheme(dir, owns_dir, port, "http", extra, &[])
    }

    /// Starts with extra environment variables for `serve`.
    pub fn start_env(env: &[(&str, &str)]) -> Server {
        Server::start_args_env(&[], env)
    }

    /// Starts with extra `serve` arguments and environment variables.
    pub fn start_args_env(extra: &[&str], env: &[(&str, &str)]) -> Server {
        let dir = std::env::temp_dir().join(format!("sesame-sso-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Server::start_scheme(dir, true, free_port(), "http", extra, env)
    }

    /// Starts with the public URL http://localhost:PORT (a host name, which passkeys
    /// need: browsers accept no IP address as a WebAuthn RP ID).
    pub fn start_localhost() -> Server {
        let dir = std::env::temp_dir().join(format!("sesame-sso-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Server::start_host(dir, true, free_port(), "http", "localhost", &[], &[])
    }

    fn start_scheme(
        dir: PathBuf,
        owns_dir: bool,
        port: u16,
        scheme: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        Server::start_host(dir, owns_dir, port, scheme, "127.0.0.1", extra, env)
    }

    fn start_host(
        dir: PathBuf,
        owns_dir: bool,
        port: u16,
        scheme: &str,
        host: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        let base = format!("{scheme}://{host}:{port}");
        let db = test_db::for_data_dir(&dir, owns_dir);
        let mut cmd = Command::new(bin());
        match &db {
            Some(d) => cmd.env("SESAME_DATABASE_URL", &d.url),
            None => cmd.env_remove("SESAME_DATABASE_URL"),
        };
        cmd.args(["--data-dir", dir.to_str().unwrap(), "serve", "--demo"])
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--public-url",
                &base,
            ])
            .args(extra)
            .env("SESAME_DEMO_PASSWORD", DEMO_PASSWORD)
            .env("SESAME_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env_remove("SESAME_MASTER_KEY")
            .env_remove("SESAME_PUBLIC_URL")
            .env_remove("SESAME_LISTEN")
            .envs(env.iter().copied())
            .stderr(Stdio::inherit());
        let (child, lines, tenant) = spawn_serve(&mut cmd);
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

    /// The server process's id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
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
        let id = uuid_in(&out);
        self.cli_ok(&["app", "assign", &id, "--user", DEMO_UPN]);
        self.wait_config();
        id
    }

    /// Waits for a CLI change to be in force (the server polls every 500 ms).
    pub fn wait_config(&self) {
        std::thread::sleep(Duration::from_millis(1300));
    }

    /// Sends SIGTERM and waits (graceful shutdown); a server that does not exit by
    /// itself within 20 s fails the test.
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
                    panic!("sesame serve did not exit within 20 s of SIGTERM");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Kills with SIGKILL (no graceful shutdown) and keeps the data dir (for a restart).
    pub fn kill_keep(mut self) -> PathBuf {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.owns_dir = false;
        if let Some(db) = self.db.as_mut() {
            db.keep();
        }
        self.dir.clone()
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

/// Spawns `cmd` (a `sesame … serve`) with its stdout collected line by line, and waits
/// (60 s at most) for its "Login URL" line; returns the child, the lines so far (more
/// arrive while it runs) and the tenant id that URL names.
pub fn spawn_serve(cmd: &mut Command) -> (Child, Arc<Mutex<Vec<String>>>, String) {
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
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
    (child, lines, tenant)
}
