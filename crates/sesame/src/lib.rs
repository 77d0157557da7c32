//! Sesame, the identity provider: everything but the command-line edge.
//!
//! Dependencies point one way, down:
//!
//! - the floor: `clock` (the time), `ids` (random identifiers), `config`, `xmlfmt`, and
//!   `model`, the records (applications, SAML configuration, assignments, users, groups,
//!   stored certificates, claims, the tenant);
//! - `store`, which reads and writes those records and knows nothing above the floor;
//! - the use cases: `directory`, `tenant`, `admin`, `gallery` (templates and their
//!   checks) and `apps` (applications, creating them from the gallery included);
//! - `authentication`, how a person proves who they are (the password today), `methods`
//!   (a user's further authentication methods) and `access` (Conditional Access: named
//!   locations, policies, their evaluation);
//! - `mail`, outbound email (messages, SMTP or the mail folder, the outbox), and
//!   `selfservice`, a user's own password (setting it, reset links, invitations);
//! - `sso`, the protocol flows;
//! - `web` and, in the binary, `cli`, the edges.
//!
//! Every module may use `sesame_saml` (the protocol library), which uses none of them.
//! The table in `layering.rs` lists which module may use which, and its test fails when
//! a use goes against it.

pub mod access;
pub mod admin;
pub mod apps;
pub mod authentication;
pub mod clock;
pub mod config;
pub mod directory;
pub mod gallery;
pub mod ids;
#[cfg(test)]
mod layering;
pub mod mail;
pub mod methods;
pub mod model;
pub mod notifications;
pub mod selfservice;
pub mod sessions;
pub mod sso;
pub mod store;
pub mod tenant;
pub mod web;
pub mod xmlfmt;
