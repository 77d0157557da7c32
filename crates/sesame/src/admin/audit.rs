//! The audit log: every state change from the portal, the REST API and the CLI is
//! recorded with who made it, what, when, and the object before and after, with
//! secrets redacted ([`redact`]).

use super::Actor;
use crate::store::{AuditFilter, AuditRow, Store, StoreResult};
use serde::Serialize;
use serde_json::Value;

/// Keys whose values never reach the audit log (compared case-insensitively, also as
/// suffixes: `password_hash`, `key_sealed`, `token_secret`).
const SECRET_KEYS: &[&str] = &[
    "password",
    "password_hash",
    "secret",
    "token",
    "token_hash",
    "key",
    "key_sealed",
    "private_key",
    "master_key",
];

/// What [`redact`] writes instead of a secret.
pub const REDACTED: &str = "[redacted]";

fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    SECRET_KEYS
        .iter()
        .any(|s| k == *s || k.ends_with(&format!("_{s}")))
}

/// Replaces every secret value in `v` (at any depth) with [`REDACTED`].
pub fn redact(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                if is_secret(k) && !val.is_null() {
                    *val = Value::String(REDACTED.into());
                } else {
                    redact(val);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact),
        _ => {}
    }
}

/// The JSON of `v` with secrets redacted ('' for `None`).
pub fn snapshot<T: Serialize + ?Sized>(v: Option<&T>) -> String {
    let Some(v) = v else {
        return String::new();
    };
    match serde_json::to_value(v) {
        Ok(mut j) => {
            redact(&mut j);
            j.to_string()
        }
        Err(_) => String::new(),
    }
}

/// One change to record.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// `user.create`, `app.saml.update`, `role.assign`, …
    pub action: &'static str,
    /// `user`, `group`, `app`, `token`, `role`, `setting`, …
    pub target_kind: &'static str,
    /// The object's id.
    pub target_id: String,
    /// The object's name.
    pub target_name: String,
    /// JSON before (already redacted: build it with [`snapshot`]).
    pub before: String,
    /// JSON after (already redacted).
    pub after: String,
}

impl Change {
    /// A change of `action` on `target_kind` `target_id` (`target_name`).
    pub fn new(
        action: &'static str,
        target_kind: &'static str,
        target_id: impl Into<String>,
        target_name: impl Into<String>,
    ) -> Change {
        Change {
            action,
            target_kind,
            target_id: target_id.into(),
            target_name: target_name.into(),
            ..Change::default()
        }
    }

    /// With the object before the change.
    #[must_use]
    pub fn before<T: Serialize + ?Sized>(mut self, v: &T) -> Change {
        self.before = snapshot(Some(v));
        self
    }

    /// With the object after the change.
    #[must_use]
    pub fn after<T: Serialize + ?Sized>(mut self, v: &T) -> Change {
        self.after = snapshot(Some(v));
        self
    }
}

/// Records `change` made by `actor` (with the request's correlation id, '' for the CLI).
/// A failure to write is returned: callers log it, and the CLI reports it.
pub async fn record(
    store: &Store,
    actor: &Actor,
    change: Change,
    correlation_id: &str,
) -> StoreResult<()> {
    let row = AuditRow {
        id: uuid::Uuid::new_v4().to_string(),
        time_ms: now_ms(),
        actor_kind: actor.kind().into(),
        actor: actor.name().into(),
        actor_id: actor.id().into(),
        action: change.action.into(),
        target_kind: change.target_kind.into(),
        target_id: change.target_id,
        target_name: change.target_name,
        before_json: change.before,
        after_json: change.after,
        correlation_id: correlation_id.into(),
    };
    store.audit_insert(&row).await
}

/// Audit rows matching `f`, newest first.
pub async fn list(store: &Store, f: &AuditFilter) -> StoreResult<Vec<AuditRow>> {
    store.audit_list(f).await
}

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0),
    )
    .unwrap_or(i64::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let mut v = json!({
            "upn": "a@b", "password": "hunter2", "nested": {"password_hash": "$argon2id$",
            "certs": [{"key_sealed": "AAA", "thumbprint": "AB"}]}, "token": null
        });
        redact(&mut v);
        assert_eq!(v["upn"], "a@b");
        assert_eq!(v["password"], REDACTED);
        assert_eq!(v["nested"]["password_hash"], REDACTED);
        assert_eq!(v["nested"]["certs"][0]["key_sealed"], REDACTED);
        assert_eq!(v["nested"]["certs"][0]["thumbprint"], "AB");
        assert!(v["token"].is_null());
        assert!(!snapshot(Some(&json!({"secret": "s"}))).contains("\"s\""));
    }

    #[tokio::test]
    async fn records_and_lists() {
        let t = crate::store::suite::test_store().await;
        let store = &t.store;
        let actor = Actor::User {
            id: "u1".into(),
            upn: "Admin@x".into(),
        };
        let c = Change::new("user.create", "user", "id1", "B.Simon")
            .after(&json!({"upn": "B.Simon", "password": "x"}));
        record(store, &actor, c, "corr").await.unwrap();
        record(
            store,
            &Actor::cli(),
            Change::new("app.delete", "app", "a1", "X"),
            "",
        )
        .await
        .unwrap();
        let all = list(store, &AuditFilter::default()).await.unwrap();
        assert_eq!(all.len(), 2);
        let users = list(
            store,
            &AuditFilter {
                action_prefix: Some("user.".into()),
                actor: Some("admin@x".into()),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].actor_kind, "user");
        assert!(
            !users[0].after_json.contains("\"x\""),
            "{}",
            users[0].after_json
        );
    }

    /// The store's audit search over rows recorded through the audit log.
    #[tokio::test]
    async fn audit_by_target_name_and_id() {
        let t = crate::store::suite::test_store().await;
        let s = &t.store;
        let c = Change::new("group.create", "group", "g1", "Sales");
        record(s, &Actor::System, c, "").await.unwrap();
        let c = Change::new("user.create", "user", "u1", "B.Simon@contoso.com");
        record(s, &Actor::System, c, "").await.unwrap();
        assert_eq!(s.audit_count().await.unwrap(), 2);
        let f = crate::store::AuditSearch {
            target: Some("sales".into()),
            ..crate::store::AuditSearch::default()
        };
        let rows = s.audit_search(&f).await.unwrap();
        assert_eq!(rows.len(), 1);
        let f = crate::store::AuditSearch {
            target: Some("u1".into()),
            action_prefix: Some("user.".into()),
            actor: Some("SESAME".into()),
            ..crate::store::AuditSearch::default()
        };
        let rows = s.audit_search(&f).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert!(s.audit_by_id(&rows[0].id).await.unwrap().is_some());
    }
}
