//! The NameID value sent to an application: persistent pseudonyms (HMAC keyed from the
//! master key), transient random values, or the configured source.

use super::evaluation::*;
use crate::model::claims::*;
use crate::tenant::MasterKey;
use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use std::fmt;

/// The key of an application's persistent NameIDs: HMAC-SHA256 keyed by
/// HMAC-SHA256(tenant secret, app id), where the tenant secret is derived (HKDF-SHA256)
/// from the master key and the tenant id. Stable across sessions and restarts; different
/// between two applications; reveals nothing about the user without the master key.
#[derive(Clone)]
pub struct PersistentKey(hmac::Key);

impl fmt::Debug for PersistentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersistentKey(…)")
    }
}

impl PersistentKey {
    /// The key of `app_id` in `tenant_id`.
    pub fn derive(master: &MasterKey, tenant_id: &str, app_id: &str) -> PersistentKey {
        let secret = master.derive_key(&format!("sesame persistent nameid v1 {tenant_id}"));
        PersistentKey::from_secret(&secret, app_id)
    }

    /// The key of `app_id` under a tenant secret.
    pub fn from_secret(tenant_secret: &[u8], app_id: &str) -> PersistentKey {
        let tenant = hmac::Key::new(hmac::HMAC_SHA256, tenant_secret);
        let app_key = hmac::sign(&tenant, app_id.as_bytes());
        PersistentKey(hmac::Key::new(hmac::HMAC_SHA256, app_key.as_ref()))
    }

    /// The persistent NameID of `user_id`: base64url (no padding) of 32 bytes.
    pub fn pseudonym(&self, user_id: &str) -> String {
        B64URL.encode(hmac::sign(&self.0, user_id.as_bytes()).as_ref())
    }
}

/// The NameID value for `format_uri` (the format sent): persistent, the pseudonym (the
/// object id when no key is given); transient, a fresh random value; otherwise the
/// configured source's first value, the UPN when that is empty.
pub fn nameid_value(
    ctx: &ClaimContext<'_>,
    cfg: &NameIdConfig,
    format_uri: &str,
    key: Option<&PersistentKey>,
) -> String {
    match format_uri {
        NAMEID_PERSISTENT => match key {
            Some(k) => k.pseudonym(&ctx.user.id),
            None => ctx.user.id.clone(),
        },
        NAMEID_TRANSIENT => crate::ids::random_id(),
        _ => {
            let v = evaluate_one(ctx, &cfg.source);
            if v.is_empty() {
                ctx.user.upn.clone()
            } else {
                v
            }
        }
    }
}
