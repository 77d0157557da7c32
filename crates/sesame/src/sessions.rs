//! A user's sessions as the user (My sessions) and their administrators (the user page,
//! the REST API, `sesame user sessions`) see them: each active session with its device
//! in words, the address and time it started from, when it was last seen and the
//! applications it signed in to; **Sign out** of one session and **Sign out everywhere
//! else**, audit-logged (`user.session.revoke`).
//!
//! A session is named by an opaque id derived one-way from its key (never the cookie
//! nor the hash the store looks it up by), so a page or an API answer cannot leak a
//! usable cookie. The browser's details are cleaned here ([`clean_user_agent`]) before
//! the session is stored (`sso::flow::start_session`).

use crate::admin::audit::{self, Change};
use crate::admin::Actor;
use crate::directory::User;
use crate::ids::push_hex;
use crate::store::{SessionRecord, Store, StoreError};
use serde::Serialize;
use serde_json::json;

/// Idle lifetime of a session, seconds (8 h).
pub const IDLE_SECS: i64 = 8 * 3600;
/// The longest User-Agent kept, characters.
pub const USER_AGENT_MAX: usize = 256;
/// The longest raw User-Agent shown when it is not recognised, characters.
const SHOWN_MAX: usize = 60;

/// Why a session operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The user has no active session with this id.
    #[error("no such session")]
    NotFound,
    /// The store could not answer.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One active session, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionView {
    /// The session's opaque id ([`public_id`]).
    pub id: String,
    /// The device and browser in words ("Chrome on Windows").
    pub device: String,
    /// The browser's User-Agent as stored.
    pub user_agent: String,
    /// The client address the session started from ('' when unknown).
    pub address: String,
    /// When the user signed in (Unix seconds).
    pub signed_in_at: i64,
    /// Last activity recorded (Unix seconds; written every few minutes).
    pub last_seen: i64,
    /// How the user authenticated (`pwd`, `passkey`, with later factors: `pwd totp`).
    pub methods: String,
    /// The applications the session signed in to, by name.
    pub apps: Vec<String>,
    /// Whether this is the session of the browser asking.
    pub current: bool,
}

/// The opaque id of the session stored under `id_hash`: 32 hex characters of a
/// domain-separated SHA-256 of the key. One-way: it tells nothing about the cookie or
/// the key, and cannot be used to look the session up without the user's list.
pub fn public_id(id_hash: &str) -> String {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(b"sesame session public id\0");
    ctx.update(id_hash.as_bytes());
    let d = ctx.finish();
    let mut s = String::with_capacity(32);
    push_hex(&mut s, &d.as_ref()[..16]);
    s
}

/// A User-Agent header as stored: control characters removed, spaces trimmed, at most
/// [`USER_AGENT_MAX`] characters.
pub fn clean_user_agent(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_control())
        .take(USER_AGENT_MAX)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The device and browser of a User-Agent in words: "Chrome on Windows", "Firefox on
/// Linux", "Safari on iPhone"; a User-Agent not recognised is shown shortened, an empty
/// one as "Unknown browser".
pub fn describe(user_agent: &str) -> String {
    let ua = user_agent.trim();
    if ua.is_empty() {
        return "Unknown browser".into();
    }
    let has = |s: &str| ua.contains(s);
    let browser = if has("Edg/") || has("EdgA/") || has("EdgiOS/") {
        Some("Edge")
    } else if has("OPR/") {
        Some("Opera")
    } else if has("Firefox/") || has("FxiOS/") {
        Some("Firefox")
    } else if has("Chrome/") || has("CriOS/") || has("Chromium/") {
        Some("Chrome")
    } else if has("Safari/") && has("Version/") {
        Some("Safari")
    } else {
        None
    };
    let os = if has("iPhone") {
        Some("iPhone")
    } else if has("iPad") {
        Some("iPad")
    } else if has("Android") {
        Some("Android")
    } else if has("Windows") {
        Some("Windows")
    } else if has("CrOS") {
        Some("ChromeOS")
    } else if has("Mac OS X") || has("Macintosh") {
        Some("macOS")
    } else if has("Linux") || has("X11") {
        Some("Linux")
    } else {
        None
    };
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        _ if ua.chars().count() > SHOWN_MAX => {
            let mut s: String = ua.chars().take(SHOWN_MAX).collect();
            s.push('…');
            s
        }
        _ => ua.to_owned(),
    }
}

/// Whether a stored session is still usable at `now` as far as its lifetimes and the
/// user's revocations go (the SSO path judges the same: `sso::session::judge`).
fn active(s: &SessionRecord, user: &User, now: i64) -> bool {
    now < s.expires_at
        && now - s.last_seen <= IDLE_SECS
        && s.created_at_ms >= user.sessions_valid_after.saturating_mul(1000)
}

/// The methods of a session in words: `pwd@1 totp@5` → `pwd totp`.
fn methods_of(s: &SessionRecord) -> String {
    let m: Vec<&str> = s
        .methods
        .split_whitespace()
        .map(|m| m.split('@').next().unwrap_or(m))
        .collect();
    if m.is_empty() {
        s.auth_method.clone()
    } else {
        m.join(" ")
    }
}

/// The active sessions of `user` at `now`, newest first; the one stored under
/// `current` (the asking browser's key, if any) is marked.
pub async fn list(
    store: &Store,
    user: &User,
    current: Option<&str>,
    now: i64,
) -> Result<Vec<SessionView>, SessionError> {
    let sessions = store.sessions_of_user(&user.id).await?;
    let apps = store.session_app_names_of_user(&user.id).await?;
    Ok(sessions
        .iter()
        .filter(|s| active(s, user, now))
        .map(|s| SessionView {
            id: public_id(&s.id_hash),
            device: describe(&s.user_agent),
            user_agent: s.user_agent.clone(),
            address: s.client_ip.clone(),
            signed_in_at: s.auth_time,
            last_seen: s.last_seen,
            methods: methods_of(s),
            apps: apps
                .iter()
                .filter(|(h, _)| *h == s.id_hash)
                .map(|(_, n)| n.clone())
                .collect(),
            current: current == Some(s.id_hash.as_str()),
        })
        .collect())
}

/// Who ends a session, for the audit log.
#[derive(Debug, Clone, Copy)]
pub struct By<'a> {
    /// The user themselves, an administrator, the CLI.
    pub actor: &'a Actor,
    /// The request's correlation id ('' for the CLI).
    pub correlation_id: &'a str,
}

async fn record(store: &Store, by: By<'_>, change: Change) {
    if let Err(e) = audit::record(store, by.actor, change, by.correlation_id).await {
        tracing::error!("audit log: cannot record user.session.revoke: {e}");
    }
}

/// Ends the session of `user` with opaque id `id`, at every node (the next request of
/// that browser goes to sign-in); returns what it was. [`SessionError::NotFound`] when
/// `user` has no active session with that id — a session of another user included.
pub async fn revoke(
    store: &Store,
    user: &User,
    id: &str,
    now: i64,
    by: By<'_>,
) -> Result<SessionView, SessionError> {
    let id = id.trim().to_ascii_lowercase();
    let sessions = store.sessions_of_user(&user.id).await?;
    let Some(s) = sessions
        .iter()
        .find(|s| active(s, user, now) && public_id(&s.id_hash) == id)
    else {
        return Err(SessionError::NotFound);
    };
    let view = list(store, user, None, now)
        .await?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or(SessionError::NotFound)?;
    if store
        .user_sessions_end_some(&user.id, std::slice::from_ref(&s.id_hash))
        .await?
        == 0
    {
        return Err(SessionError::NotFound);
    }
    record(
        store,
        by,
        Change::new("user.session.revoke", "user", &user.id, &user.upn).before(&json!({
            "sessions": [{ "id": &view.id, "device": &view.device, "address": &view.address }],
        })),
    )
    .await;
    Ok(view)
}

/// Sign out everywhere else: ends every session of `user` but the one stored under
/// `keep` (this browser's), at every node; returns how many ended.
pub async fn revoke_others(
    store: &Store,
    user: &User,
    keep: &str,
    now: i64,
    by: By<'_>,
) -> Result<u64, SessionError> {
    let others: Vec<SessionView> = list(store, user, Some(keep), now)
        .await?
        .into_iter()
        .filter(|v| !v.current)
        .collect();
    let hashes: Vec<String> = store
        .sessions_of_user(&user.id)
        .await?
        .into_iter()
        .map(|s| s.id_hash)
        .filter(|h| h != keep)
        .collect();
    let n = store.user_sessions_end_some(&user.id, &hashes).await?;
    let ended: Vec<_> = others
        .iter()
        .map(|v| json!({ "id": &v.id, "device": &v.device, "address": &v.address }))
        .collect();
    record(
        store,
        by,
        Change::new("user.session.revoke", "user", &user.id, &user.upn)
            .before(&json!({ "sessions": ended }))
            .after(&json!({ "revoked_sessions": n, "kept": public_id(keep) })),
    )
    .await;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_in_words() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome on Windows",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            ("curl/8.5.0", "curl/8.5.0"),
            ("", "Unknown browser"),
        ];
        for (ua, words) in cases {
            assert_eq!(describe(ua), words, "{ua}");
        }
        let long = "x".repeat(100);
        let d = describe(&long);
        assert_eq!(d.chars().count(), SHOWN_MAX + 1);
        assert!(d.ends_with('…'));
    }

    #[test]
    fn user_agents_are_bounded_and_clean() {
        assert_eq!(clean_user_agent(" a\r\nb\u{7}c "), "abc");
        assert_eq!(clean_user_agent(&"y".repeat(1000)).len(), USER_AGENT_MAX);
        assert_eq!(
            clean_user_agent(&"é".repeat(300)).chars().count(),
            USER_AGENT_MAX
        );
    }

    #[test]
    fn public_ids_are_opaque_and_stable() {
        let a = public_id("abc");
        assert_eq!(a, public_id("abc"));
        assert_ne!(a, public_id("abd"));
        assert_eq!(a.len(), 32);
        assert!(!a.contains("abc"));
    }
}
