//! Helpers shared by the integration tests. Every test drives the real `sesame` binary
//! (`CARGO_BIN_EXE_sesame`) on a temporary data dir of its own, on SQLite in that dir, or
//! on a PostgreSQL database of its own when SESAME_TEST_DATABASE_URL is set:
//!
//! - [`test_db`]: which database a test runs on;
//! - `process`: `sesame` commands with a clean environment, [`Env`] for the
//!   administration CLI, success and one-line refusals;
//! - `server`: `sesame serve --demo` on a free port ([`Server`]);
//! - `browser`: cookie-jar clients, the SSO pages' forms, the test SP's requests and a
//!   strict SP's verification of the Responses;
//! - `portal`: signing in to the portal, CSRF tokens, links and forms of its pages.
//!
//! A test module takes what it needs with `use crate::common::*;`.

mod browser;
mod portal;
mod process;
mod server;
pub mod test_db;

pub use browser::*;
pub use portal::*;
pub use process::*;
pub use server::*;

use std::path::PathBuf;

/// The demo user `serve --demo` creates, and the password the tests give it.
pub const DEMO_UPN: &str = "B.Simon@contoso.com";
pub const DEMO_PASSWORD: &str = "Quiet-Lantern-42";
/// The initial administrator, and the password the tests give it
/// (SESAME_ADMIN_PASSWORD).
pub const ADMIN_UPN: &str = "admin@sesame.local";
pub const ADMIN_PASSWORD: &str = "Admin-Password-42";
/// The test SP.
pub const SP_ENTITY: &str = "https://sp.example.test/entity";
pub const SP_ACS: &str = "https://sp.example.test/acs";
pub const SP_LOGOUT: &str = "https://sp.example.test/logout";

/// A file of `sesame-saml`'s test fixtures (keys and certificates).
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../saml/tests/fixtures")
        .join(name)
}

/// A free TCP port of 127.0.0.1 (free when asked; the server binds it right after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
