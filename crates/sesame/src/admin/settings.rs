//! Installation-wide settings an administrator can change (portal Settings page,
//! `PUT /api/v1/settings`), each change audited.

use super::audit::{self, Change};
use super::Actor;
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// The setting key of the sign-in log retention.
pub const SIGNIN_RETENTION_KEY: &str = "signin_log_retention_days";
/// Sign-in logs (which hold personal data) are kept this many days by default.
pub const DEFAULT_SIGNIN_RETENTION_DAYS: i64 = 30;
/// The longest retention accepted, days (about 5 years).
pub const MAX_SIGNIN_RETENTION_DAYS: i64 = 1830;

/// The settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// How many days sign-in log rows are kept (1–1830; default 30).
    pub signin_log_retention_days: i64,
}

/// Errors of settings changes.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A value out of range.
    #[error(
        "signin_log_retention_days must be between 1 and {MAX_SIGNIN_RETENTION_DAYS} days; got {0}"
    )]
    Retention(i64),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The settings in force.
pub async fn get(store: &Store) -> Result<Settings, StoreError> {
    let days = store
        .setting(SIGNIN_RETENTION_KEY)
        .await?
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|d| (1..=MAX_SIGNIN_RETENTION_DAYS).contains(d))
        .unwrap_or(DEFAULT_SIGNIN_RETENTION_DAYS);
    Ok(Settings {
        signin_log_retention_days: days,
    })
}

/// Changes the settings.
pub async fn set(
    store: &Store,
    actor: &Actor,
    new: &Settings,
    correlation_id: &str,
) -> Result<Settings, SettingsError> {
    let days = new.signin_log_retention_days;
    if !(1..=MAX_SIGNIN_RETENTION_DAYS).contains(&days) {
        return Err(SettingsError::Retention(days));
    }
    let before = get(store).await?;
    if before == *new {
        return Ok(before);
    }
    store
        .set_setting(SIGNIN_RETENTION_KEY, &days.to_string())
        .await?;
    let change = Change::new("settings.update", "settings", "", "settings")
        .before(&before)
        .after(new);
    audit::record(store, actor, change, correlation_id).await?;
    Ok(new.clone())
}

/// Deletes sign-in log rows older than the retention; returns how many.
pub async fn prune_signins(store: &Store, now_ms: i64) -> Result<u64, StoreError> {
    let days = get(store).await?.signin_log_retention_days;
    store
        .signins_prune(now_ms.saturating_sub(days.saturating_mul(86_400_000)))
        .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::SigninRow;

    #[tokio::test]
    async fn retention_defaults_validates_and_prunes() {
        let t = crate::store::suite::test_store().await;
        let s = &t.store;
        assert_eq!(get(s).await.unwrap().signin_log_retention_days, 30);
        let bad = Settings {
            signin_log_retention_days: 0,
        };
        assert!(matches!(
            set(s, &Actor::System, &bad, "").await,
            Err(SettingsError::Retention(0))
        ));
        let day = 86_400_000;
        let now = 1_800_000_000_000;
        let row = |id: &str, t: i64| SigninRow {
            id: id.into(),
            time_ms: t,
            user_id: None,
            upn: String::new(),
            app_id: None,
            app_name: String::new(),
            client_ip: String::new(),
            result: "success".into(),
            error_code: String::new(),
            request_id: String::new(),
            correlation_id: id.into(),
            details: String::new(),
            saml_request: String::new(),
            saml_response: String::new(),
        };
        s.signins_insert(&[row("old", now - 31 * day), row("new", now - 29 * day)])
            .await
            .unwrap();
        assert_eq!(prune_signins(s, now).await.unwrap(), 1);
        set(
            s,
            &Actor::System,
            &Settings {
                signin_log_retention_days: 7,
            },
            "",
        )
        .await
        .unwrap();
        assert_eq!(prune_signins(s, now).await.unwrap(), 1);
        let audit = s.audit_list(&Default::default()).await.unwrap();
        assert_eq!(audit[0].action, "settings.update");
    }
}
