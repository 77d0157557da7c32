//! The directory: users (Argon2id passwords) and groups with transitive membership.
//! Everything is keyed by object id (UUID); a user principal name can be renamed without
//! breaking group memberships or app assignments.

mod group_edit;
mod groups;
pub mod password;
pub mod policy;
mod users;

pub use group_edit::update_group;
pub use groups::{
    add_member, create_group, delete_group, group_members, remove_member, resolve_group,
    user_groups_transitive, GroupMembers,
};
pub use policy::check_new_password;
pub use users::{
    create_user, delete_user, set_enabled, set_password, update_user, user_by_upn_required,
    validate_upn, UserUpdate,
};

pub use crate::model::directory::{AddMember, Group, MemberKind, MemberRef, NewUser, User};
use crate::store::StoreError;
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
