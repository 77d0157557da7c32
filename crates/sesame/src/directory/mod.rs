//! The directory: users (Argon2id passwords) and groups with transitive membership.
//! Everything is keyed by object id (UUID); a user principal name can be renamed without
//! breaking group memberships or app assignments.

mod group_edit;
mod groups;
pub mod password;
mod users;

pub use group_edit::update_group;
pub use groups::{
    add_member, create_group, delete_group, group_members, remove_member, resolve_group,
    user_groups_transitive, GroupMembers, MemberRef,
};
pub use users::{
    create_user, delete_user, set_enabled, set_password, update_user, user_by_upn_required,
    validate_upn, UserUpdate,
};

use crate::store::StoreError;
use serde::Serialize;
use std::collections::BTreeMap;
use thiserror::Error;

/// Directory errors. Messages say what was wrong and how to fix it.
#[derive(Debug, Error)]
pub enum DirectoryError {
    /// A field value is refused.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// No such user or group.
    #[error("{0}")]
    NotFound(String),
    /// A unique value is already taken, or a change would break a rule (cycles).
    #[error("{0}")]
    Conflict(String),
    /// A name matches several objects.
    #[error("{0}")]
    Ambiguous(String),
    /// Password policy or hashing.
    #[error(transparent)]
    Password(#[from] password::PasswordError),
    /// Storage failure.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for DirectoryError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => DirectoryError::NotFound(m),
            other => DirectoryError::Store(other),
        }
    }
}

/// A user of the directory. The password hash is never part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Object id (UUID).
    pub id: String,
    /// userPrincipalName, `name@domain`, unique case-insensitively.
    pub upn: String,
    /// Display name.
    pub display_name: String,
    /// Given name.
    pub given_name: String,
    /// Surname.
    pub surname: String,
    /// Mail address.
    pub mail: String,
    /// Department.
    pub department: String,
    /// Job title.
    pub job_title: String,
    /// Employee id.
    pub employee_id: String,
    /// Company name.
    pub company_name: String,
    /// extensionattribute1…15.
    pub extension_attributes: BTreeMap<String, String>,
    /// Account enabled (may sign in).
    pub enabled: bool,
    /// Sessions that started before this Unix second are no longer valid.
    pub sessions_valid_after: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// A user to create. `password_hash` is a PHC string from [`password::hash_password`].
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// userPrincipalName.
    pub upn: String,
    /// Display name.
    pub display_name: String,
    /// Given name.
    pub given_name: String,
    /// Surname.
    pub surname: String,
    /// Mail.
    pub mail: String,
    /// Department.
    pub department: String,
    /// Job title.
    pub job_title: String,
    /// Employee id.
    pub employee_id: String,
    /// Company name.
    pub company_name: String,
    /// extensionattribute1…15.
    pub extension_attributes: BTreeMap<String, String>,
    /// Start disabled when true.
    pub disabled: bool,
    /// Argon2id PHC hash, or none (cannot sign in with a password).
    pub password_hash: Option<String>,
}

/// A group of the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Object id (UUID).
    pub id: String,
    /// Name, unique case-insensitively.
    pub name: String,
    /// Description.
    pub description: String,
}

/// Kind of a group member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    /// A user.
    User,
    /// A group (nested).
    Group,
}

impl MemberKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MemberKind::User => "user",
            MemberKind::Group => "group",
        }
    }
}

/// Outcome of adding a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddMember {
    /// Added.
    Added,
    /// It was already a member.
    AlreadyMember,
    /// Adding this group would create a cycle; nothing was written.
    WouldCycle,
}
