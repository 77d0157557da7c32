//! The server's integration tests, in one test binary (`--test integration`): each
//! module is one area, driving the real `sesame` binary (the CLI, and `sesame serve`
//! like a browser or an SP would) or the library's public API; `common` holds the
//! helpers they share. One binary links the server once, where a binary per area linked
//! it once each.
//!
//! Select an area by its module path: `cargo test -p sesame --test integration sso_flows::`;
//! the multi-node tests (`multinode::`) need PostgreSQL (scripts/postgres.sh).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;

mod add_by_name;
mod admin_apps;
mod admin_users;
mod api;
mod cert_expiry;
mod claim_names;
mod claims;
mod cli;
mod conditional_access;
mod conditional_access_edges;
mod directory_pages;
mod durability;
mod gallery_seeds;
mod invitations;
mod mail;
mod methods_admin;
mod mfa_totp;
mod multinode;
mod operations;
mod passkeys;
mod password_reset;
mod portal_apps;
mod portal_directory;
mod portal_security;
mod runtime_seed;
mod saml_page;
mod self_service;
mod serve_edge;
mod serve_limits;
mod sessions;
mod sessions_page;
mod sso_errors;
mod sso_flows;
mod sso_hot_path;
mod step_up;
mod storage_bounds;
mod throttle;
