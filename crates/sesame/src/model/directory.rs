//! Directory records: users, groups, the kinds of group members and the outcome of
//! adding one. Plain data; the rules (password policy, cycles, uniqueness) live in
//! `crate::directory`.

use serde::Serialize;
use std::collections::BTreeMap;

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
    /// Require password change at next sign-in: set by an administrator, cleared when
    /// the user sets a new password.
    pub password_change_required: bool,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// A user to create. `password_hash` is a PHC string from `crate::directory::password::hash_password`.
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

/// A member to add or remove, by object id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberRef {
    /// A user's object id.
    User(String),
    /// A group's object id.
    Group(String),
}
