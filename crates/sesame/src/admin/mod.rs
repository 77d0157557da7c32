//! The admin plane shared by the portal, the REST API and the CLI: administrator roles
//! and what each may do ([`Role`], [`Permission`]), who acted ([`Actor`]), and the audit
//! log of every state change ([`audit`]).
//!
//! Two roles, as in Azure AD: **Global Administrator** (everything) and **Application
//! Administrator** (enterprise applications and the gallery, sign-in logs; not users,
//! groups, roles or API tokens). A user without a role sees no admin page.

pub mod audit;
pub mod errors;
pub mod roles;
pub mod settings;
pub mod tokens;

use serde::Serialize;
use std::fmt;

/// An administrator role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Role {
    /// Everything.
    #[serde(rename = "Global Administrator")]
    GlobalAdministrator,
    /// Enterprise applications (configuration, claims, certificates, assignments) and
    /// sign-in logs.
    #[serde(rename = "Application Administrator")]
    ApplicationAdministrator,
}

/// What an administrator can be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read users and groups (to pick whom to assign).
    ReadDirectory,
    /// Create, change and delete users and groups.
    ManageDirectory,
    /// Read and change enterprise applications, their claims, certificates, assignments.
    ManageApps,
    /// Read sign-in logs and their details.
    ReadSignins,
    /// Read the audit log.
    ReadAudit,
    /// Grant and take roles, create and revoke API tokens, change settings.
    ManageRoles,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 2] = [Role::GlobalAdministrator, Role::ApplicationAdministrator];

    /// The role's name, as stored and shown: `Global Administrator`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::GlobalAdministrator => crate::tenant::GLOBAL_ADMINISTRATOR,
            Role::ApplicationAdministrator => "Application Administrator",
        }
    }

    /// Parses a role name, case-insensitively, with or without the space
    /// (`Global Administrator`, `global-administrator`, `GlobalAdministrator`).
    pub fn parse(s: &str) -> Option<Role> {
        let k: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match k.as_str() {
            "globaladministrator" | "globaladmin" => Some(Role::GlobalAdministrator),
            "applicationadministrator" | "appadmin" | "applicationadmin" => {
                Some(Role::ApplicationAdministrator)
            }
            _ => None,
        }
    }

    /// Whether this role allows `p`.
    pub fn allows(self, p: Permission) -> bool {
        match self {
            Role::GlobalAdministrator => true,
            Role::ApplicationAdministrator => matches!(
                p,
                Permission::ManageApps | Permission::ReadSignins | Permission::ReadDirectory
            ),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An administrator signed in to the portal.
    User { id: String, upn: String },
    /// A REST API token.
    Token { id: String, name: String },
    /// The command line, run by this operating-system user.
    Cli { os_user: String },
    /// Sesame itself (migrations, retention).
    System,
}

impl Actor {
    /// The CLI actor, named after the operating-system user running it (`SUDO_USER`,
    /// `USER`, `LOGNAME`, else the name of the process's uid in /etc/passwd, else
    /// `uid N`).
    pub fn cli() -> Actor {
        let os_user = ["SUDO_USER", "USER", "LOGNAME"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
            .or_else(os_user_from_uid)
            .unwrap_or_else(|| "unknown".into());
        Actor::Cli { os_user }
    }

    /// `user`, `token`, `cli` or `system`.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::User { .. } => "user",
            Actor::Token { .. } => "token",
            Actor::Cli { .. } => "cli",
            Actor::System => "system",
        }
    }

    /// The name shown in the audit log.
    pub fn name(&self) -> &str {
        match self {
            Actor::User { upn, .. } => upn,
            Actor::Token { name, .. } => name,
            Actor::Cli { os_user } => os_user,
            Actor::System => "sesame",
        }
    }

    /// The object id of the administrator or token ('' otherwise).
    pub fn id(&self) -> &str {
        match self {
            Actor::User { id, .. } | Actor::Token { id, .. } => id,
            Actor::Cli { .. } | Actor::System => "",
        }
    }
}

/// The login name of this process's real uid, from /proc/self/status and /etc/passwd.
fn os_user_from_uid() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_owned();
    let name = std::fs::read_to_string("/etc/passwd").ok().and_then(|p| {
        p.lines().find_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            (f.nth(1)? == uid).then(|| name.to_owned())
        })
    });
    Some(name.unwrap_or_else(|| format!("uid {uid}")))
}

/// An authenticated administrator (or token) and the roles it holds.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Who.
    pub actor: Actor,
    /// Its roles (a token has exactly one).
    pub roles: Vec<Role>,
}

/// Refusal of [`Principal::require`]: the principal lacks the permission.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{actor} may not {what}: it needs the {needed} role")]
pub struct Forbidden {
    /// Who was refused.
    pub actor: String,
    /// What was asked, in words.
    pub what: &'static str,
    /// The smallest role that would allow it.
    pub needed: Role,
}

impl Principal {
    /// Whether any role allows `p`.
    pub fn can(&self, p: Permission) -> bool {
        self.roles.iter().any(|r| r.allows(p))
    }

    /// Whether this principal is an administrator at all.
    pub fn is_admin(&self) -> bool {
        !self.roles.is_empty()
    }

    /// `Ok` when allowed, else a [`Forbidden`] naming the role needed.
    pub fn require(&self, p: Permission) -> Result<(), Forbidden> {
        if self.can(p) {
            return Ok(());
        }
        let needed = if Role::ApplicationAdministrator.allows(p) {
            Role::ApplicationAdministrator
        } else {
            Role::GlobalAdministrator
        };
        Err(Forbidden {
            actor: self.actor.name().to_owned(),
            what: match p {
                Permission::ReadDirectory => "read users and groups",
                Permission::ManageDirectory => "change users and groups",
                Permission::ManageApps => "manage enterprise applications",
                Permission::ReadSignins => "read sign-in logs",
                Permission::ReadAudit => "read the audit log",
                Permission::ManageRoles => "manage roles, API tokens and settings",
            },
            needed,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_allow() {
        assert_eq!(
            Role::parse("Global Administrator"),
            Some(Role::GlobalAdministrator)
        );
        assert_eq!(
            Role::parse("application-administrator"),
            Some(Role::ApplicationAdministrator)
        );
        assert_eq!(Role::parse("root"), None);
        let app_admin = Principal {
            actor: Actor::System,
            roles: vec![Role::ApplicationAdministrator],
        };
        assert!(app_admin.can(Permission::ManageApps));
        assert!(!app_admin.can(Permission::ManageDirectory));
        let e = app_admin.require(Permission::ManageRoles).unwrap_err();
        assert_eq!(e.needed, Role::GlobalAdministrator);
        let nobody = Principal {
            actor: Actor::System,
            roles: vec![],
        };
        assert!(!nobody.is_admin());
        assert!(!Actor::cli().name().is_empty());
        assert_eq!(
            nobody.require(Permission::ManageApps).unwrap_err().needed,
            Role::ApplicationAdministrator
        );
    }
}
