//! App roles and the assignment of users and groups to applications (with an optional
//! role; `""` is "Default Access"). Group assignments count for every member, nested
//! groups included; [`assigned_through`] says which of them assign a user.

use super::AppError;
pub use crate::directory::MemberRef as Principal;
pub use crate::model::app::Assignment;
use crate::model::MemberKind;
use crate::store::{Store, StoreResult};
use serde::Serialize;

/// An assignment as shown to administrators.
#[derive(Debug, Clone, Serialize)]
pub struct AssignmentView {
    /// `user` | `group`.
    pub principal_kind: &'static str,
    /// Object id.
    pub principal_id: String,
    /// UPN or group name.
    pub principal_name: String,
    /// Role; `""` for Default Access.
    pub role: String,
}

fn validate_role(role: &str) -> Result<(), AppError> {
    if role.is_empty() {
        return Err(AppError::Invalid {
            field: "role",
            reason: "is empty".into(),
        });
    }
    if role.chars().count() > 120 || role.chars().any(char::is_control) {
        return Err(AppError::Invalid {
            field: "role",
            reason: "must be at most 120 characters without control characters".into(),
        });
    }
    Ok(())
}

async fn require_app(store: &Store, app_id: &str) -> Result<super::App, AppError> {
    store
        .app_by_id(app_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no application has the id {app_id}")))
}

/// Adds an app role. Adding an existing role is a no-op.
pub async fn add_role(store: &Store, app_id: &str, role: &str) -> Result<(), AppError> {
    let role = role.trim();
    validate_role(role)?;
    require_app(store, app_id).await?;
    store.add_app_role(app_id, role).await?;
    Ok(())
}

/// Removes an app role; refused while users or groups are assigned with it.
pub async fn remove_role(store: &Store, app_id: &str, role: &str) -> Result<(), AppError> {
    let app = require_app(store, app_id).await?;
    let role = role.trim();
    let roles = store.app_roles(app_id).await?;
    if !roles.iter().any(|r| r == role) {
        return Err(AppError::NotFound(format!(
            "application {} has no role {role}",
            app.name
        )));
    }
    let users = store
        .app_assignments(app_id)
        .await?
        .into_iter()
        .filter(|a| a.role == role)
        .count();
    if users > 0 {
        return Err(AppError::Conflict(format!(
            "role {role} is assigned to {users} user(s) or group(s) of application {}; unassign them first \
             (`sesame app unassign APP --user UPN --role {role}`)",
            app.name
        )));
    }
    store.remove_app_role(app_id, role).await?;
    Ok(())
}

fn split(p: &Principal) -> (&str, MemberKind) {
    match p {
        Principal::User(id) => (id, MemberKind::User),
        Principal::Group(id) => (id, MemberKind::Group),
    }
}

async fn principal_name(store: &Store, p: &Principal) -> Result<String, AppError> {
    match p {
        Principal::User(id) => store
            .user_by_id(id)
            .await?
            .map(|u| format!("user {}", u.upn))
            .ok_or_else(|| AppError::NotFound(format!("no user has the object id {id}"))),
        Principal::Group(id) => store
            .group_by_id(id)
            .await?
            .map(|g| format!("group {}", g.name))
            .ok_or_else(|| AppError::NotFound(format!("no group has the object id {id}"))),
    }
}

/// Assigns a user or group to the app, with `role` (which must be an app role) or
/// Default Access. Assigning twice is a no-op.
pub async fn assign(
    store: &Store,
    app_id: &str,
    principal: &Principal,
    role: Option<&str>,
) -> Result<(), AppError> {
    let app = require_app(store, app_id).await?;
    principal_name(store, principal).await?;
    let role = role.map(str::trim).unwrap_or("");
    if !role.is_empty() && !store.app_roles(app_id).await?.iter().any(|r| r == role) {
        return Err(AppError::NotFound(format!(
            "application {} has no role {role}; add it with `sesame app role APP add {role}`",
            app.name
        )));
    }
    let (id, kind) = split(principal);
    store.assign(app_id, id, kind, role).await?;
    Ok(())
}

/// Removes the assignment of a user or group: with `role`, only that one; otherwise all
/// of them.
pub async fn unassign(
    store: &Store,
    app_id: &str,
    principal: &Principal,
    role: Option<&str>,
) -> Result<(), AppError> {
    let app = require_app(store, app_id).await?;
    let name = principal_name(store, principal).await?;
    let (id, _) = split(principal);
    let role = role.map(str::trim);
    let n = store.unassign(app_id, id, role).await?;
    if n == 0 {
        return Err(AppError::NotFound(match role {
            Some(r) => format!(
                "{name} is not assigned to application {} with role {r}",
                app.name
            ),
            None => format!("{name} is not assigned to application {}", app.name),
        }));
    }
    Ok(())
}

/// Assignments of the app, users and groups named.
pub async fn list_assignments(
    store: &Store,
    app_id: &str,
) -> Result<Vec<AssignmentView>, AppError> {
    let mut out = Vec::new();
    for a in store.app_assignments(app_id).await? {
        let (kind, name) = match a.principal_kind {
            MemberKind::User => (
                "user",
                store
                    .user_by_id(&a.principal_id)
                    .await?
                    .map(|u| u.upn)
                    .unwrap_or_default(),
            ),
            MemberKind::Group => (
                "group",
                store
                    .group_by_id(&a.principal_id)
                    .await?
                    .map(|g| g.name)
                    .unwrap_or_default(),
            ),
        };
        out.push(AssignmentView {
            principal_kind: kind,
            principal_id: a.principal_id,
            principal_name: name,
            role: a.role,
        });
    }
    out.sort_by(|a, b| {
        (a.principal_kind, a.principal_name.to_lowercase(), &a.role).cmp(&(
            b.principal_kind,
            b.principal_name.to_lowercase(),
            &b.role,
        ))
    });
    Ok(out)
}

/// Whether the user is assigned to the app, directly or through (nested) groups: `None`
/// when not; otherwise the roles held, sorted, `""` standing for Default Access.
pub async fn user_assignment(
    store: &Store,
    app_id: &str,
    user_id: &str,
) -> StoreResult<Option<Vec<String>>> {
    let roles = store.user_assignment_roles(app_id, user_id).await?;
    Ok(if roles.is_empty() { None } else { Some(roles) })
}

/// How a user is assigned to an app: directly, and through which of their groups (nested
/// membership included).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignedThrough {
    /// The user is assigned themself.
    pub direct: bool,
    /// The names of the user's groups that are assigned, sorted.
    pub groups: Vec<String>,
}

impl AssignedThrough {
    /// Whether the user is assigned at all.
    pub fn assigned(&self) -> bool {
        self.direct || !self.groups.is_empty()
    }

    /// How the token preview says it: "assigned directly", "assigned through group
    /// Sales", "assigned directly and through groups Sales and Support", or "not
    /// assigned (…)" — with `assignment_required` saying what that means.
    pub fn describe(&self, assignment_required: bool) -> String {
        let groups = match self.groups.as_slice() {
            [] => String::new(),
            [one] => format!("group {one}"),
            [init @ .., last] => format!("groups {} and {last}", init.join(", ")),
        };
        match (self.direct, groups.is_empty()) {
            (true, true) => "assigned directly".to_owned(),
            (true, false) => format!("assigned directly and through {groups}"),
            (false, false) => format!("assigned through {groups}"),
            (false, true) if assignment_required => {
                "not assigned (assignment is required: sign-in would be refused)".to_owned()
            }
            (false, true) => "not assigned (assignment not required)".to_owned(),
        }
    }
}

/// Whether and how `user_id` is assigned to `app_id` (see [`AssignedThrough`]).
pub async fn assigned_through(
    store: &Store,
    app_id: &str,
    user_id: &str,
) -> StoreResult<AssignedThrough> {
    let assignments = store.app_assignments(app_id).await?;
    let direct = assignments
        .iter()
        .any(|a| a.principal_kind == MemberKind::User && a.principal_id == user_id);
    let mut groups: Vec<String> = store
        .user_groups_transitive(user_id)
        .await?
        .into_iter()
        .filter(|g| {
            assignments
                .iter()
                .any(|a| a.principal_kind == MemberKind::Group && a.principal_id == g.id)
        })
        .map(|g| g.name)
        .collect();
    groups.sort_by_key(|g| g.to_lowercase());
    groups.dedup();
    Ok(AssignedThrough { direct, groups })
}

#[cfg(test)]
mod assigned_through_tests {
    use super::AssignedThrough;

    #[test]
    fn describes_how_a_user_is_assigned() {
        let a = |direct: bool, groups: &[&str]| AssignedThrough {
            direct,
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        };
        assert_eq!(a(true, &[]).describe(true), "assigned directly");
        assert_eq!(
            a(false, &["Sales"]).describe(true),
            "assigned through group Sales"
        );
        assert_eq!(
            a(false, &["Sales", "Support", "Temps"]).describe(true),
            "assigned through groups Sales, Support and Temps"
        );
        assert_eq!(
            a(true, &["Sales", "Support"]).describe(false),
            "assigned directly and through groups Sales and Support"
        );
        assert_eq!(
            a(false, &[]).describe(false),
            "not assigned (assignment not required)"
        );
        assert!(a(false, &[])
            .describe(true)
            .contains("sign-in would be refused"));
    }
}
