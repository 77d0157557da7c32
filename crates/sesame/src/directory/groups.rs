//! Groups: members are users and groups; membership is resolved transitively and cycles
//! are refused.

use super::{AddMember, DirectoryError, Group, MemberKind, User};
use crate::clock::now_unix;
use crate::model::MemberRef;
use crate::store::{Store, StoreError, StoreResult};
use serde::Serialize;

/// The direct members of a group.
#[derive(Debug, Clone, Serialize)]
pub struct GroupMembers {
    /// Member users.
    pub users: Vec<User>,
    /// Member groups.
    pub groups: Vec<Group>,
}

pub(super) fn validate_name(name: &str) -> Result<(), DirectoryError> {
    let bad = |reason: &str| DirectoryError::Invalid {
        field: "group name",
        reason: reason.to_owned(),
    };
    if name.is_empty() {
        return Err(bad("is empty"));
    }
    if name.chars().count() > 256 {
        return Err(bad("is longer than 256 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("contains control characters"));
    }
    if uuid::Uuid::parse_str(name).is_ok() {
        return Err(bad(
            "looks like an object id; give the group a name people can read",
        ));
    }
    Ok(())
}

/// Creates a group. Names are unique case-insensitively.
pub async fn create_group(
    store: &Store,
    name: &str,
    description: &str,
) -> Result<Group, DirectoryError> {
    let name = name.trim();
    validate_name(name)?;
    if description.chars().count() > 1024 {
        return Err(DirectoryError::Invalid {
            field: "description",
            reason: "is longer than 1024 characters".into(),
        });
    }
    let taken = || DirectoryError::Conflict(format!("a group named {name} already exists"));
    if store.group_by_name(name).await?.is_some() {
        return Err(taken());
    }
    store
        .create_group(name, description, now_unix())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => taken(),
            other => other.into(),
        })
}

/// The group with this object id or (case-insensitive) name.
pub async fn resolve_group(store: &Store, id_or_name: &str) -> Result<Group, DirectoryError> {
    let key = id_or_name.trim();
    if let Some(g) = store.group_by_id(key).await? {
        return Ok(g);
    }
    if let Some(g) = store.group_by_name(key).await? {
        return Ok(g);
    }
    Err(DirectoryError::NotFound(format!(
        "no group has the name or id {key}; `sesame group list` shows them"
    )))
}

async fn describe(store: &Store, m: &MemberRef) -> Result<String, DirectoryError> {
    Ok(match m {
        MemberRef::User(id) => match store.user_by_id(id).await? {
            Some(u) => format!("user {}", u.upn),
            None => {
                return Err(DirectoryError::NotFound(format!(
                    "no user has the object id {id}"
                )))
            }
        },
        MemberRef::Group(id) => match store.group_by_id(id).await? {
            Some(g) => format!("group {}", g.name),
            None => {
                return Err(DirectoryError::NotFound(format!(
                    "no group has the object id {id}"
                )))
            }
        },
    })
}

/// Adds a member to `group_id`. Adding a group that contains `group_id` (directly or not),
/// or the group itself, is refused: "adding group X to Y would create a cycle".
/// Adding an existing member is a no-op.
pub async fn add_member(
    store: &Store,
    group_id: &str,
    member: &MemberRef,
) -> Result<(), DirectoryError> {
    let group = store.group_by_id(group_id).await?.ok_or_else(|| {
        DirectoryError::NotFound(format!("no group has the object id {group_id}"))
    })?;
    describe(store, member).await?;
    let (id, kind) = match member {
        MemberRef::User(id) => (id, MemberKind::User),
        MemberRef::Group(id) => (id, MemberKind::Group),
    };
    match store.add_group_member(&group.id, id, kind).await? {
        AddMember::Added | AddMember::AlreadyMember => Ok(()),
        AddMember::WouldCycle => {
            let name = match store.group_by_id(id).await? {
                Some(g) => g.name,
                None => id.clone(),
            };
            Err(DirectoryError::Conflict(format!(
                "adding group {name} to {} would create a cycle (group {} is already a member of {name}, directly or through other groups)",
                group.name, group.name
            )))
        }
    }
}

/// Removes a direct member from `group_id`.
pub async fn remove_member(
    store: &Store,
    group_id: &str,
    member: &MemberRef,
) -> Result<(), DirectoryError> {
    let group = store.group_by_id(group_id).await?.ok_or_else(|| {
        DirectoryError::NotFound(format!("no group has the object id {group_id}"))
    })?;
    let what = describe(store, member).await?;
    let id = match member {
        MemberRef::User(id) | MemberRef::Group(id) => id,
    };
    if store.remove_group_member(&group.id, id).await? {
        Ok(())
    } else {
        Err(DirectoryError::NotFound(format!(
            "{what} is not a direct member of group {}",
            group.name
        )))
    }
}

/// Deletes a group with its memberships and app assignments.
pub async fn delete_group(store: &Store, group_id: &str) -> Result<(), DirectoryError> {
    if store.delete_group(group_id).await? {
        Ok(())
    } else {
        Err(DirectoryError::NotFound(format!(
            "no group has the object id {group_id}"
        )))
    }
}

/// The direct members of a group, users by UPN and groups by name.
pub async fn group_members(store: &Store, group_id: &str) -> Result<GroupMembers, DirectoryError> {
    let mut users = Vec::new();
    let mut groups = Vec::new();
    for (id, kind) in store.group_member_ids(group_id).await? {
        match kind {
            MemberKind::User => {
                if let Some(u) = store.user_by_id(&id).await? {
                    users.push(u);
                }
            }
            MemberKind::Group => {
                if let Some(g) = store.group_by_id(&id).await? {
                    groups.push(g);
                }
            }
        }
    }
    users.sort_by_key(|u| u.upn.to_lowercase());
    groups.sort_by_key(|g| g.name.to_lowercase());
    Ok(GroupMembers { users, groups })
}

/// Every group the user belongs to, directly or through nested groups.
pub async fn user_groups_transitive(store: &Store, user_id: &str) -> StoreResult<Vec<Group>> {
    store.user_groups_transitive(user_id).await
}
