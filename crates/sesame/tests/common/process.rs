//! The `sesame` binary as the tests run it: none of the developer's SESAME_* variables,
//! stdin fed from a thread; [`Env`], a data dir of its own per test for the
//! administration CLI; and the two outcomes every command is checked for (success, or a
//! refusal in one line).

use super::test_db;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The `sesame` binary the tests run.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_sesame")
}

/// A `sesame` command without any of the SESAME_* variables of the test's environment.
pub fn sesame_command() -> Command {
    let mut cmd = Command::new(bin());
    for (k, _) in std::env::vars() {
        if k.starts_with("SESAME_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// Runs `cmd` with `stdin` (written from a thread, so a large input cannot deadlock
/// against the output pipes, and an early exit is fine).
pub fn run_with_stdin(cmd: &mut Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&data); // the binary may stop reading early: that's fine
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// The first UUID (an object id) in a command's output.
pub fn uuid_in(out: &str) -> String {
    out.split_whitespace()
        .find(|w| w.len() == 36 && w.chars().filter(|c| *c == '-').count() == 4)
        .unwrap_or_else(|| panic!("no id in {out:?}"))
        .to_owned()
}

/// A data dir of its own, removed at the end of the test.
pub struct Env {
    pub dir: PathBuf,
    pub vars: Vec<(String, String)>,
    /// The test's PostgreSQL database when SESAME_TEST_DATABASE_URL is set.
    pub db: Option<test_db::TestDb>,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Env {
    pub fn new() -> Env {
        let dir = std::env::temp_dir().join(format!("sesame-admin-{}", uuid::Uuid::new_v4()));
        let db = test_db::for_data_dir(&dir, true);
        let vars = match &db {
            Some(d) => vec![("SESAME_DATABASE_URL".to_owned(), d.url.clone())],
            None => Vec::new(),
        };
        Env { dir, vars, db }
    }

    /// The database URL of this test (PostgreSQL's when the tests run on it, else the
    /// SQLite file in the data dir).
    pub fn database_url(&self) -> String {
        test_db::url_for(&self.dir, self.db.as_ref())
    }

    pub fn data_dir(&self) -> String {
        self.dir.to_string_lossy().into_owned()
    }

    /// Runs `sesame ARGS --data-dir DIR` with `stdin`.
    pub fn run_stdin(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut cmd = sesame_command();
        cmd.envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .args(args)
            .arg("--data-dir")
            .arg(&self.dir);
        run_with_stdin(&mut cmd, stdin)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_stdin(args, b"")
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_success(&out, args);
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs with --json and expects success; returns the parsed JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.push("--json");
        let s = self.ok(&a);
        serde_json::from_str(&s).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {s}"))
    }

    /// Runs and expects a refusal: exit 1, one line on stderr (after any first-run notice),
    /// nothing on stdout. Returns the error line.
    pub fn refused(&self, args: &[&str]) -> String {
        let out = self.run(args);
        refused(&out, args)
    }
}

pub fn assert_success(out: &Output, args: &[&str]) {
    assert!(
        out.status.success(),
        "{args:?}: exit {:?}, stderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn refused(out: &Output, args: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?}: expected exit 1, stderr: {stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "{args:?}: stdout not empty: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("sesame: created tenant"))
        .collect();
    assert_eq!(lines.len(), 1, "{args:?}: expected one line, got: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    lines[0].to_owned()
}
