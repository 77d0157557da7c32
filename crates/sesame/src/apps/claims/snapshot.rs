//! The claims configuration of an application as the SSO cache keeps it in memory, and
//! the per-user data (groups, roles) loaded only when that configuration needs it.

use super::nameid::*;
use super::storage::*;
use crate::apps::{App, AppError};
use crate::model::claims::*;
use crate::model::Group;
use crate::store::{Store, StoreResult};
use crate::tenant::{MasterKey, Tenant};
use std::sync::Arc;

/// An application's claims configuration as the SSO cache holds it.
#[derive(Debug, Clone, Default)]
pub struct AppClaims {
    /// The claims, in order.
    pub claims: Vec<Claim>,
    /// NameID.
    pub nameid: NameIdConfig,
    /// Group claims, when on.
    pub group_claims: Option<GroupClaims>,
    /// Object ids of the groups assigned to the app.
    pub assigned_groups: Vec<String>,
    /// Whether the app defines at least one role (only then are a user's roles loaded).
    pub has_roles: bool,
    /// The persistent NameID key (absent without a master key).
    pub persistent_key: Option<PersistentKey>,
}

impl AppClaims {
    /// Loads the configuration of `app`; the persistent key is derived when `master` is
    /// given.
    pub async fn load(
        store: &Store,
        app: &App,
        tenant: &Tenant,
        master: Option<&MasterKey>,
    ) -> Result<AppClaims, AppError> {
        let claims = list_claims(store, &app.id).await?;
        let nameid = nameid_of(app)?;
        let group_claims = group_claims(store, &app.id).await?;
        let assignments = store.app_assignments(&app.id).await?;
        let assigned_groups = assignments
            .iter()
            .filter(|a| a.principal_kind == crate::directory::MemberKind::Group)
            .map(|a| a.principal_id.clone())
            .collect();
        let has_roles = !store.app_roles(&app.id).await?.is_empty();
        Ok(AppClaims {
            claims,
            nameid,
            group_claims,
            assigned_groups,
            has_roles,
            persistent_key: master.map(|m| PersistentKey::derive(m, &tenant.id, &app.id)),
        })
    }

    /// Whether evaluation reads the user's groups.
    pub fn needs_groups(&self) -> bool {
        self.group_claims.is_some()
            || self.nameid.source.uses(SourceAttribute::Groups)
            || self
                .claims
                .iter()
                .any(|c| c.source.uses(SourceAttribute::Groups))
    }
}

/// What SSO loads per user, only when the app's configuration needs it.
#[derive(Debug, Clone, Default)]
pub struct UserClaimData {
    /// Transitive groups (empty unless needed).
    pub groups: Vec<Group>,
    /// The app roles held (empty unless the app defines roles).
    pub roles: Vec<String>,
}

/// Loads the user's groups when a claim needs them, and their app roles when the app has
/// roles (`known_roles`: the roles the assignment check already read, reused).
pub async fn load_user_data(
    store: &Store,
    app_id: &str,
    cfg: &AppClaims,
    user_id: &str,
    known_roles: Option<Vec<String>>,
) -> StoreResult<UserClaimData> {
    let groups = if cfg.needs_groups() {
        store.user_groups_transitive(user_id).await?
    } else {
        Vec::new()
    };
    let roles = if cfg.has_roles {
        match known_roles {
            Some(r) => r,
            None => store.user_assignment_roles(app_id, user_id).await?,
        }
    } else {
        Vec::new()
    };
    Ok(UserClaimData { groups, roles })
}

/// Shared so the cache can hold one copy per app.
pub type SharedAppClaims = Arc<AppClaims>;
