//! REST API tokens: `sesame token create|list|revoke`, `/api/v1/tokens`, and the
//! `Authorization: Bearer …` check of the API.
//!
//! A token is `sesame_` followed by 32 random bytes (aws-lc-rs), base64url: shown once at
//! creation, stored as its SHA-256 only. It acts with one role (Global Administrator by
//! default), expires (90 days by default) and can be revoked. Its use is recorded in
//! `last_used_at` at most once a minute, off the request path.

use super::audit::{self, Change};
use super::{Actor, Principal, Role};
use crate::store::{Store, StoreError, TokenRow};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Serialize;

/// What every token starts with (recognisable in logs, secret scanners and config files).
pub const PREFIX: &str = "sesame_";
/// Default lifetime of a new token: 90 days.
pub const DEFAULT_LIFETIME_SECS: i64 = 90 * 86_400;
/// The longest lifetime accepted: about 5 years.
pub const MAX_LIFETIME_SECS: i64 = 1830 * 86_400;
/// `last_used_at` is written at most this often per token.
pub const TOUCH_INTERVAL_SECS: i64 = 60;

/// Errors of token operations. Messages say what was wrong and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// A field value is refused.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field (`name`, `expires`, `role`).
        field: &'static str,
        /// Why, and what is accepted.
        reason: String,
    },
    /// Another token that is not revoked has this name.
    #[error("a token named {0} already exists; choose another name or revoke it first (`sesame token revoke {0}`)")]
    NameTaken(String),
    /// No token has this id or name.
    #[error("no API token has the id or name {0}; `sesame token list` shows them")]
    NotFound(String),
    /// The bearer token is unknown, expired or revoked.
    #[error("{0}")]
    BadToken(&'static str),
    /// The random generator failed.
    #[error("cannot generate a token: the system random generator failed")]
    Random,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    /// Token id (UUID).
    pub id: String,
    /// Name.
    pub name: String,
    /// The role it acts with.
    pub role: String,
    /// Who created it.
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Unix seconds (at most a minute stale).
    pub last_used_at: Option<i64>,
    /// Unix seconds.
    pub revoked_at: Option<i64>,
    /// `active`, `expired` or `revoked`.
    pub status: &'static str,
}

impl TokenInfo {
    /// The listing of a stored row, its status judged at `now`.
    pub fn of(t: &TokenRow, now: i64) -> TokenInfo {
        TokenInfo {
            id: t.id.clone(),
            name: t.name.clone(),
            role: t.role.clone(),
            created_by: t.created_by.clone(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
            status: if t.revoked_at.is_some() {
                "revoked"
            } else if t.expires_at <= now {
                "expired"
            } else {
                "active"
            },
        }
    }
}

/// A new token: its listing, and the secret (shown once).
#[derive(Debug, Clone, Serialize)]
pub struct CreatedToken {
    /// The token as listed.
    pub token: TokenInfo,
    /// The secret to send as `Authorization: Bearer …`. Never shown again.
    pub secret: String,
}

/// An authenticated token: its principal and whether `last_used_at` should be written.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The token as an actor with its one role.
    pub principal: Principal,
    /// The token's id.
    pub id: String,
    /// `last_used_at` is older than [`TOUCH_INTERVAL_SECS`]: write it (off the request path).
    pub touch: bool,
}

/// Hex SHA-256 of a token secret.
pub fn hash(secret: &str) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes()).as_ref())
}

/// Parses a duration: a number and a unit `s`, `m`, `h`, `d` or `w` (`30d`, `12h`); a
/// bare number is minutes. `None` when it is not one.
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().ok()?;
    let mult = match unit {
        "s" => 1,
        "m" | "" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// Parses an instant given as a duration back from `now` (`2h`, `7d`) or an RFC 3339
/// date-time (`2026-01-31T00:00:00Z`, or a date `2026-01-31`); Unix seconds.
pub fn parse_since(s: &str, now: i64) -> Option<i64> {
    if let Some(d) = parse_duration(s) {
        return Some(now.saturating_sub(d));
    }
    parse_instant(s)
}

/// An RFC 3339 date-time or a date (midnight UTC), Unix seconds.
pub fn parse_instant(s: &str) -> Option<i64> {
    let s = s.trim();
    let full = if s.len() == 10 {
        format!("{s}T00:00:00Z")
    } else {
        s.to_owned()
    };
    sesame_saml::time::Timestamp::parse_xs_datetime(&full)
        .ok()
        .map(|t| t.unix_seconds())
}

/// When a token created at `now` with `--expires` `expires` ends: a duration from now
/// (`30d`, `12h`) or an RFC 3339 date; default 90 days.
pub fn expiry(expires: Option<&str>, now: i64) -> Result<i64, TokenError> {
    let bad = |reason: String| TokenError::Invalid {
        field: "expires",
        reason,
    };
    let Some(e) = expires.map(str::trim).filter(|e| !e.is_empty()) else {
        return Ok(now + DEFAULT_LIFETIME_SECS);
    };
    let at = match parse_duration(e) {
        Some(d) => now.checked_add(d),
        None => parse_instant(e),
    }
    .ok_or_else(|| {
        bad(format!(
            "{e:?} is neither a duration (30d, 12h, 90m) nor an RFC 3339 date (2026-12-31 or 2026-12-31T00:00:00Z)"
        ))
    })?;
    if at <= now {
        return Err(bad(format!("{e:?} is not in the future")));
    }
    if at - now > MAX_LIFETIME_SECS {
        return Err(bad(format!(
            "{e:?} is more than {} days away; give a shorter lifetime",
            MAX_LIFETIME_SECS / 86_400
        )));
    }
    Ok(at)
}

fn validate_name(name: &str) -> Result<String, TokenError> {
    let name = name.trim();
    let bad = |reason: &str| TokenError::Invalid {
        field: "name",
        reason: reason.to_owned(),
    };
    if name.is_empty() {
        return Err(bad(
            "is empty; name the token after what uses it (--name ci-deploy)",
        ));
    }
    if name.chars().count() > 120 {
        return Err(bad("is longer than 120 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("contains control characters"));
    }
    if name.starts_with(PREFIX) {
        return Err(bad("must not look like a token secret"));
    }
    Ok(name.to_owned())
}

fn new_secret() -> Result<String, TokenError> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| TokenError::Random)?;
    Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// Creates a token named `name` acting with `role`, expiring at `expires_at`; returns
/// it with its secret (shown once). Audited as `token.create` (without the secret).
pub async fn create(
    store: &Store,
    actor: &Actor,
    name: &str,
    role: Role,
    expires_at: i64,
    now: i64,
    correlation_id: &str,
) -> Result<CreatedToken, TokenError> {
    let name = validate_name(name)?;
    let taken = store.tokens_list().await?.iter().any(|t| {
        t.revoked_at.is_none() && t.expires_at > now && t.name.eq_ignore_ascii_case(&name)
    });
    if taken {
        return Err(TokenError::NameTaken(name));
    }
    if expires_at <= now {
        return Err(TokenError::Invalid {
            field: "expires",
            reason: "is not in the future".into(),
        });
    }
    let secret = new_secret()?;
    let row = TokenRow {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        token_hash: hash(&secret),
        role: role.as_str().to_owned(),
        created_by: actor.name().to_owned(),
        created_at: now,
        expires_at,
        last_used_at: None,
        revoked_at: None,
    };
    store.token_insert(&row).await?;
    let info = TokenInfo::of(&row, now);
    audit::record(
        store,
        actor,
        Change::new("token.create", "token", &row.id, &row.name).after(&info),
        correlation_id,
    )
    .await?;
    Ok(CreatedToken {
        token: info,
        secret,
    })
}

/// Every token, newest first, without secrets.
pub async fn list(store: &Store, now: i64) -> Result<Vec<TokenInfo>, TokenError> {
    Ok(store
        .tokens_list()
        .await?
        .iter()
        .map(|t| TokenInfo::of(t, now))
        .collect())
}

/// Revokes the token with this id, or the one not revoked with this name. Audited as
/// `token.revoke`.
pub async fn revoke(
    store: &Store,
    actor: &Actor,
    id_or_name: &str,
    now: i64,
    correlation_id: &str,
) -> Result<TokenInfo, TokenError> {
    let key = id_or_name.trim();
    let all = store.tokens_list().await?;
    let found = all
        .iter()
        .find(|t| t.id == key)
        .or_else(|| {
            all.iter()
                .find(|t| t.revoked_at.is_none() && t.name.eq_ignore_ascii_case(key))
        })
        .ok_or_else(|| TokenError::NotFound(key.to_owned()))?;
    let before = TokenInfo::of(found, now);
    if found.revoked_at.is_some() {
        return Ok(before);
    }
    store.token_revoke(&found.id, now).await?;
    let mut after_row = found.clone();
    after_row.revoked_at = Some(now);
    let after = TokenInfo::of(&after_row, now);
    audit::record(
        store,
        actor,
        Change::new("token.revoke", "token", &found.id, &found.name)
            .before(&before)
            .after(&after),
        correlation_id,
    )
    .await?;
    Ok(after)
}

/// Checks a bearer secret: known (by its hash, compared in constant time), not revoked,
/// not expired, with a role Sesame knows.
pub async fn authenticate(
    store: &Store,
    secret: &str,
    now: i64,
) -> Result<Authenticated, TokenError> {
    const UNKNOWN: &str =
        "the API token is not one Sesame issued (check that it was copied whole, starting with sesame_)";
    let secret = secret.trim();
    if !secret.starts_with(PREFIX) || secret.len() > 200 {
        return Err(TokenError::BadToken(UNKNOWN));
    }
    let h = hash(secret);
    let Some(t) = store.token_by_hash(&h).await? else {
        return Err(TokenError::BadToken(UNKNOWN));
    };
    if aws_lc_rs::constant_time::verify_slices_are_equal(t.token_hash.as_bytes(), h.as_bytes())
        .is_err()
    {
        return Err(TokenError::BadToken(UNKNOWN));
    }
    if t.revoked_at.is_some() {
        return Err(TokenError::BadToken("the API token has been revoked"));
    }
    if t.expires_at <= now {
        return Err(TokenError::BadToken("the API token has expired"));
    }
    let role = Role::parse(&t.role).ok_or(TokenError::BadToken(
        "the API token's role is unknown to this version of Sesame",
    ))?;
    let touch = t
        .last_used_at
        .is_none_or(|l| now.saturating_sub(l) >= TOUCH_INTERVAL_SECS);
    Ok(Authenticated {
        principal: Principal {
            actor: Actor::Token {
                id: t.id.clone(),
                name: t.name.clone(),
            },
            roles: vec![role],
        },
        id: t.id,
        touch,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_expiry() {
        assert_eq!(parse_duration("30d"), Some(30 * 86_400));
        assert_eq!(parse_duration("12h"), Some(12 * 3600));
        assert_eq!(parse_duration("x"), None);
        let now = 1_800_000_000;
        assert_eq!(expiry(None, now).unwrap(), now + DEFAULT_LIFETIME_SECS);
        assert_eq!(expiry(Some("12h"), now).unwrap(), now + 12 * 3600);
        assert_eq!(
            expiry(Some("2030-01-01"), now).unwrap(),
            parse_instant("2030-01-01T00:00:00Z").unwrap()
        );
        assert!(expiry(Some("2001-01-01"), now).is_err());
        assert!(expiry(Some("soon"), now).is_err());
        assert!(expiry(Some("99999d"), now).is_err());
        assert_eq!(parse_since("2h", now), Some(now - 7200));
    }

    #[tokio::test]
    async fn lifecycle() {
        let t = crate::store::suite::test_store().await;
        let s = &t.store;
        let now = 1_800_000_000;
        let a = Actor::cli();
        let c = create(s, &a, "ci", Role::GlobalAdministrator, now + 100, now, "")
            .await
            .unwrap();
        assert!(c.secret.starts_with(PREFIX));
        assert_eq!(c.secret.len(), PREFIX.len() + 43);
        assert!(matches!(
            create(s, &a, "CI", Role::GlobalAdministrator, now + 100, now, "").await,
            Err(TokenError::NameTaken(_))
        ));
        let ok = authenticate(s, &c.secret, now).await.unwrap();
        assert!(ok.touch);
        assert_eq!(ok.principal.roles, vec![Role::GlobalAdministrator]);
        s.token_touch(&ok.id, now).await.unwrap();
        assert!(!authenticate(s, &c.secret, now + 30).await.unwrap().touch);
        assert!(authenticate(s, &c.secret, now + 100).await.is_err());
        assert!(authenticate(s, "sesame_nope", now).await.is_err());
        revoke(s, &a, "ci", now, "").await.unwrap();
        assert!(authenticate(s, &c.secret, now).await.is_err());
        let l = list(s, now).await.unwrap();
        assert_eq!(l[0].status, "revoked");
        let rows = s.audit_list(&Default::default()).await.unwrap();
        assert!(rows.iter().all(|r| !r.after_json.contains(&c.secret)));
        assert_eq!(rows.len(), 2);
    }
}
