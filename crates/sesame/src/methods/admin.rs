//! What an administrator does to a user's sign-in, in Entra's words: **Require
//! re-register MFA** (the user's authenticator apps and recovery codes are retired —
//! kept and listed, no longer accepted — so the next sign-in that needs a second factor
//! goes to "More information required"; passkeys stay usable) and **Revoke sessions**
//! (every session of the user ends, at every node); and changes of the Authentication
//! methods policy ([`set_policy`], [`save_policy`]). All audit-logged; the portal, the
//! REST API and the CLI call them.

use super::policy::{self, MethodsPolicy, PolicyError, PolicyMethod, SettingChange};
use super::{record, By, MethodError};
use crate::admin::audit::Change;
use crate::directory::User;
use crate::store::{Store, StoreError};
use serde_json::json;

/// Retires `user`'s authenticator apps and recovery codes; returns how many methods were
/// retired now (0: none, or already retired).
pub async fn require_reregister(
    store: &Store,
    user: &User,
    now: i64,
    by: By<'_>,
) -> Result<u64, MethodError> {
    let n = store.methods_retire(&user.id, now).await?;
    record(
        store,
        by,
        Change::new(
            "user.method.require_reregister",
            "user",
            &user.id,
            &user.upn,
        )
        .after(&json!({ "retired_methods": n })),
    )
    .await;
    Ok(n)
}

/// Ends every session of `user` (and refuses any created before `now_ms`, Unix
/// milliseconds), at every node; returns how many sessions ended.
pub async fn revoke_sessions(
    store: &Store,
    user: &User,
    now_ms: i64,
    by: By<'_>,
) -> Result<u64, MethodError> {
    let n = store.user_sessions_end(&user.id, now_ms).await?;
    record(
        store,
        by,
        Change::new("user.sessions.revoke", "user", &user.id, &user.upn)
            .after(&json!({ "revoked_sessions": n })),
    )
    .await;
    Ok(n)
}

/// Saves `after` in place of the stored policy, audit-logged (`methods.policy.update`).
pub async fn save_policy(
    store: &Store,
    after: &MethodsPolicy,
    now: i64,
    by: By<'_>,
) -> Result<MethodsPolicy, PolicyError> {
    let before = policy::get(store).await?;
    let body = serde_json::to_string(after)
        .map_err(|e| StoreError::Corrupt(format!("Authentication methods policy: {e}")))?;
    store.methods_policy_put(&body, now).await?;
    record(
        store,
        by,
        Change::new(
            "methods.policy.update",
            "authentication_methods_policy",
            "default",
            "Authentication methods policy",
        )
        .before(&before)
        .after(after),
    )
    .await;
    Ok(after.clone())
}

/// Changes method `m` of the stored policy and saves it.
pub async fn set_policy(
    store: &Store,
    m: PolicyMethod,
    change: SettingChange,
    now: i64,
    by: By<'_>,
) -> Result<MethodsPolicy, PolicyError> {
    let p = policy::changed(store, policy::get(store).await?, m, change).await?;
    save_policy(store, &p, now, by).await
}
