//! Sesame, the identity provider: everything but the command-line edge.
//!
//! Dependencies point one way: `web` → `sso` / `apps` / `directory` → `store`; every
//! module may use `sesame_saml` (the protocol library), which uses none of them.

pub mod admin;
pub mod apps;
pub mod clock;
pub mod config;
pub mod directory;
pub mod gallery;
pub mod ids;
pub mod model;
pub mod sso;
pub mod store;
pub mod tenant;
pub mod web;
pub mod xmlfmt;
