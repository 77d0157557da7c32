//! Conditional Access in the sign-in: the snapshot's policies evaluated (`crate::access`)
//! for a session signing in to an application or to the admin portal, from its client
//! address, with the methods the session used. The caller enforces the decision: the
//! Response, the second step, or the refusal.

use super::{internal, Flow};
use crate::access::eval::{self, Evaluation, Resource, Subject};
use crate::model::PolicyState;
use crate::sso::SsoError;
use crate::store::SessionWithUser;
use std::net::IpAddr;

impl Flow<'_> {
    /// The evaluation of the policies for the session `s` signing in to `app_id` (`None`:
    /// the admin portal) from `ip` at `now`, the sign-in having begun at `since` (what a
    /// sign-in frequency of "every time" counts from). The user's groups are read only
    /// when a policy names groups.
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
            crate::access::group_ids_of(self.store, &s.session.user_id)
                .await
                .map_err(|e| SsoError::internal(&e))?
        } else {
            Vec::new()
        };
        let used = eval::session_methods(&s.session.methods);
        let subject = Subject {
            user_id: &s.session.user_id,
            groups: &groups,
            resource: app_id.map_or(Resource::AdminPortal, Resource::App),
            ip: Some(ip),
            now,
            since,
            used: &used,
        };
        Ok(eval::evaluate(policies, &self.cache.locations, &subject))
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
