//! Granting and taking administrator roles (`sesame role assign UPN ROLE`, the portal's
//! Roles page, `POST /api/v1/roles`), each change audited.

use super::audit::{self, Change};
use super::{Actor, Principal, Role};
use crate::directory::{user_by_upn_required, DirectoryError, User};
use crate::store::{Store, StoreError};
use serde::Serialize;

/// Errors of role changes.
#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    /// The role name is not one Sesame has.
    #[error("unknown role \"{0}\": the roles are \"Global Administrator\" and \"Application Administrator\"")]
    UnknownRole(String),
    /// The user does not exist (or another directory error).
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// Taking the role would leave the installation without a Global Administrator.
    #[error("{0} is the last Global Administrator: assign the role to someone else first")]
    LastGlobalAdministrator(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A user holding a role.
#[derive(Debug, Clone, Serialize)]
pub struct RoleHolder {
    /// The role.
    pub role: Role,
    /// The user's object id.
    pub user_id: String,
    /// The user's UPN.
    pub upn: String,
    /// The user's display name.
    pub display_name: String,
}

/// The roles of a user (unknown stored names are ignored).
pub async fn roles_of(store: &Store, user_id: &str) -> Result<Vec<Role>, StoreError> {
    Ok(store
        .user_roles(user_id)
        .await?
        .iter()
        .filter_map(|r| Role::parse(r))
        .collect())
}

/// The principal of a signed-in user: the user and its roles (possibly none).
pub async fn principal_of(store: &Store, user: &User) -> Result<Principal, StoreError> {
    Ok(Principal {
        actor: Actor::User {
            id: user.id.clone(),
            upn: user.upn.clone(),
        },
        roles: roles_of(store, &user.id).await?,
    })
}

/// Parses a role name given by an administrator.
pub fn parse_role(name: &str) -> Result<Role, RoleError> {
    Role::parse(name).ok_or_else(|| RoleError::UnknownRole(name.to_owned()))
}

/// Grants `role` to the user `upn`; false when the user already had it.
pub async fn assign(
    store: &Store,
    actor: &Actor,
    upn: &str,
    role: Role,
    correlation_id: &str,
) -> Result<bool, RoleError> {
    let user = user_by_upn_required(store, upn).await?;
    let added = store.user_role_add(&user.id, role.as_str()).await?;
    if added {
        let change = Change::new("role.assign", "role", &user.id, &user.upn)
            .after(&serde_json::json!({"upn": user.upn, "role": role}));
        audit::record(store, actor, change, correlation_id).await?;
    }
    Ok(added)
}

/// Takes `role` from the user `upn`; false when the user did not have it. The last
/// Global Administrator keeps the role.
pub async fn remove(
    store: &Store,
    actor: &Actor,
    upn: &str,
    role: Role,
    correlation_id: &str,
) -> Result<bool, RoleError> {
    let user = user_by_upn_required(store, upn).await?;
    if role == Role::GlobalAdministrator {
        let holders = store.role_holders().await?;
        let globals: Vec<_> = holders
            .iter()
            .filter(|(_, r)| Role::parse(r) == Some(Role::GlobalAdministrator))
            .collect();
        if globals.len() == 1 && globals[0].0 == user.id {
            return Err(RoleError::LastGlobalAdministrator(user.upn));
        }
    }
    let removed = store.user_role_remove(&user.id, role.as_str()).await?;
    if removed {
        let change = Change::new("role.remove", "role", &user.id, &user.upn)
            .before(&serde_json::json!({"upn": user.upn, "role": role}));
        audit::record(store, actor, change, correlation_id).await?;
    }
    Ok(removed)
}

/// Every user holding a role, by role then UPN.
pub async fn holders(store: &Store) -> Result<Vec<RoleHolder>, StoreError> {
    let mut out = Vec::new();
    for (user_id, role) in store.role_holders().await? {
        let Some(role) = Role::parse(&role) else {
            continue;
        };
        if let Some(u) = store.user_by_id(&user_id).await? {
            out.push(RoleHolder {
                role,
                user_id,
                upn: u.upn,
                display_name: u.display_name,
            });
        }
    }
    out.sort_by_key(|a| (a.role, a.upn.to_lowercase()));
    Ok(out)
}
