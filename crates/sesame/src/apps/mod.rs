//! Enterprise applications: properties, Basic SAML Configuration and its validation
//! ([`config`]), assignments and app roles ([`assignments`]), per-app signing
//! certificates with keys sealed by the master key ([`certs`]), the claims engine
//! (NameID, claims, group and role claims: [`claims`]), applications from the gallery
//! ([`gallery`]), and the Federation Metadata XML every app publishes. The records are in
//! [`crate::model`]; this module re-exports them.

pub mod assignments;
pub mod certs;
pub mod claims;
pub mod config;
mod error;
pub mod expiry;
pub mod gallery;
mod lifecycle;
mod readiness;
mod view;

pub use crate::model::app::{App, NewApp};
pub use assignments::{
    add_role, assign, assigned_through, list_assignments, remove_role, unassign, user_assignment,
    AssignedThrough, Assignment, AssignmentView, Principal,
};
pub use certs::AppCertificate;
pub use config::{
    apply_sp_metadata, Identifier, ReplyUrl, RequestSigning, SamlConfig, SignMode, SigningAlg,
    SpMetadataApplied,
};
pub use error::AppError;
pub use lifecycle::{create_app, delete_app, resolve_app, save_app};
pub use readiness::{
    check_placeholders, cli_option, is_saml_configured, join_and, missing_sentence,
    missing_settings, placeholder_message, placeholders, vendor_of,
};
pub use view::{federation_metadata_xml, AppView, PUBLISHED_NAMEID_FORMATS};
