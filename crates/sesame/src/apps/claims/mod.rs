//! The claims engine ("Attributes & Claims"): the Unique User Identifier (NameID), the
//! claims of an application, group claims and the role claim; one expression grammar for
//! the CLI, the API and the gallery; evaluation for the SSO hot path.
//!
//! The records — claims, NameID formats, group-claim settings and the expression grammar
//! (`user.mail`, `"text"`, `ToLowercase(user.mail)` …) — are in [`crate::model::claims`]
//! and re-exported here; this module evaluates them, derives NameIDs, keeps the SSO
//! snapshot and stores them.
//!
//! # Storage and defaults
//!
//! Claims are rows of `app_claims` (canonical expression text in `source`); the NameID is
//! `apps.nameid_source` (an expression) and `apps.nameid_format`; group claims are a row of
//! `app_group_claims`. Every application has explicit claim rows: new apps get the four
//! default claims when created (in the same transaction), and migration 0002 gave every
//! app created before it the same four rows. An app without rows therefore sends no
//! claims (the administrator removed them all), which is a legitimate configuration.

pub use crate::model::claims::*;

mod evaluation;
mod nameid;
mod snapshot;
mod storage;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic
mod tests;

pub use evaluation::{
    authentication_methods, evaluate, evaluate_one, groups_link, ClaimContext, AMR_MULTIPLE_AUTHN,
    AMR_PASSWORD, AUTHN_METHODS_CLAIM,
};
pub use nameid::{nameid_value, PersistentKey};
pub use snapshot::{load_user_data, AppClaims, SharedAppClaims, UserClaimData};
pub use storage::{
    add_claim, edit_claim, group_claims, list_claims, nameid, remove_claim, set_claim,
    set_group_claims, set_nameid,
};
