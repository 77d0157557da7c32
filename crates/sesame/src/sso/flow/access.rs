//! Conditional Access in the sign-in: the snapshot's policies evaluated (`crate::access`)
//! for a session signing in to an application or to the admin portal, from its client
//! address, with the methods the session used. The caller enforces the decision: the
//! Response, the second step, or the refusal. The policies come from the snapshot and the
//! user's group ids from its memo: a signed-in request reads nothing more for them.

use super::{internal, Flow};
use crate::access::eval::{self, Evaluation, Resource, Subject};
use crate::model::PolicyState;
use crate::sso::SsoError;
use crate::store::SessionWithUser;
use std::net::IpAddr;
use std::sync::Arc;

impl Flow<'_> {
    /// The evaluation of the policies for the session `s` signing in to `app_id` (`None`:
    /// the admin portal) from `ip` at `now`, the sign-in having begun at `since` (what a
    /// sign-in frequency of "every time" counts from). The user's groups are read only
    /// when a policy names groups, and then once per configuration snapshot.
    pub async fn conditional_access(
        &self,
        app_id: Option<&str>,
        s: &SessionWithUser,
        ip: IpAddr,
        now: i64,
        since: i64,
    ) -> Result<Evaluation, SsoError> {
        let policies = &self.cache.policies;
        let needs_groups = policies.iter().any(|p| {
            p.state != PolicyState::Off && !(p.groups.is_empty() && p.exclude_groups.is_empty())
        });
        let groups = if needs_groups {
            Some(self.group_ids(&s.session.user_id).await?)
        } else {
            None
        };
        let used = eval::session_methods(&s.session.methods);
        let subject = Subject {
            user_id: &s.session.user_id,
            groups: groups.as_deref().map_or(&[][..], |v| v.as_slice()),
            resource: app_id.map_or(Resource::AdminPortal, Resource::App),
            ip: Some(ip),
            now,
            since,
            used: &used,
        };
        Ok(eval::evaluate(policies, &self.cache.locations, &subject))
    }

    /// The ids of the groups `user_id` is transitively a member of, from the snapshot's
    /// memo or the store (a membership change is a configuration change: `sso::hot`), so
    /// that policies naming groups cost no database read per request.
    async fn group_ids(&self, user_id: &str) -> Result<Arc<Vec<String>>, SsoError> {
        let memo = &self.cache.memo;
        if let Some(ids) = memo.group_ids(user_id) {
            return Ok(ids);
        }
        let ids = Arc::new(
            crate::access::group_ids_of(self.store, user_id)
                .await
                .map_err(|e| SsoError::internal(&e))?,
        );
        memo.put_group_ids(user_id, Arc::clone(&ids));
        Ok(ids)
    }

    /// Records that the session `id_hash` used `method` at `now` (a second factor), and
    /// forgets the session the snapshot's memo holds.
    pub async fn record_method(
        &self,
        id_hash: &str,
        method: &str,
        now: i64,
    ) -> Result<(), SsoError> {
        self.store
            .session_add_method(id_hash, method, now)
            .await
            .map_err(internal)?;
        self.cache.memo.forget_session(id_hash);
        Ok(())
    }
}
