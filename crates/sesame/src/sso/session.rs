//! SSO sessions: an opaque random cookie (32 bytes from the OS generator), stored
//! server-side only as its SHA-256 (a stolen database holds no usable cookie); idle and
//! absolute lifetimes; refused when the user is disabled or deleted, or changed their
//! password after the session started. The session records how and when the user
//! authenticated, so MFA can plug in later.

use crate::ids::push_hex;
use crate::store::{SessionRecord, SessionWithUser};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// The session cookie's name.
pub const COOKIE: &str = "sesame_session";
/// Idle lifetime, seconds (8 h).
pub const IDLE_SECS: i64 = crate::sessions::IDLE_SECS;
/// Absolute lifetime, seconds (24 h).
pub const ABSOLUTE_SECS: i64 = 24 * 3600;
/// `last_seen` is written at most this often, seconds (no write per request).
pub const TOUCH_EVERY_SECS: i64 = 300;
/// Authentication method of a password sign-in.
pub const METHOD_PASSWORD: &str = "pwd";
/// Authentication method of a sign-in with a passkey or security key (WebAuthn: a
/// public-key proof of possession, with user verification preferred).
pub const METHOD_PASSKEY: &str = "passkey";

/// A new cookie value and the hash stored for it.
pub fn new_cookie() -> Option<(String, String)> {
    let mut b = [0u8; 32];
    aws_lc_rs::rand::fill(&mut b).ok()?;
    let value = URL_SAFE_NO_PAD.encode(b);
    let hash = hash_cookie(&value);
    Some((value, hash))
}

/// SHA-256 of a cookie value, lowercase hex: the session's key in the store.
pub fn hash_cookie(value: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, value.as_bytes());
    let mut s = String::with_capacity(64);
    push_hex(&mut s, d.as_ref());
    s
}

/// The SessionIndex of a session at an application: derived (SHA-256, domain-separated)
/// from the session's key and the app's id, so it stays the same for every Response of
/// the session to that app, whichever node sends it, and the session's record of the app
/// is written only when something changes. One-way: it tells nothing about the cookie,
/// and two apps see unrelated values.
pub fn session_index(id_hash: &str, app_id: &str) -> String {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(b"sesame session index\0");
    ctx.update(id_hash.as_bytes());
    ctx.update(b"\0");
    ctx.update(app_id.as_bytes());
    let d = ctx.finish();
    let mut s = String::with_capacity(33);
    s.push('_');
    push_hex(&mut s, &d.as_ref()[..16]);
    s
}

/// Whether a cookie value has the shape Sesame issues (43 base64url characters), so junk
/// never reaches the database.
pub fn plausible_cookie(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Where a session starts from: the browser's User-Agent header as sent and the client
/// address, stored with the session (cleaned and bounded) for My sessions.
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// The User-Agent header ('' when absent).
    pub user_agent: String,
    /// The client address ('' when unknown).
    pub address: String,
}

/// A new session record for `user_id`, authenticated now (`now_ms`, Unix milliseconds)
/// with `method`, from `client`.
pub fn new_record(
    id_hash: String,
    user_id: &str,
    method: &str,
    now_ms: i64,
    client: &Client,
) -> SessionRecord {
    let now = now_ms.div_euclid(1000);
    SessionRecord {
        id_hash,
        user_id: user_id.to_owned(),
        auth_method: method.to_owned(),
        auth_time: now,
        created_at: now,
        created_at_ms: now_ms,
        last_seen: now,
        expires_at: now + ABSOLUTE_SECS,
        methods: format!("{method}@{now}"),
        user_agent: crate::sessions::clean_user_agent(&client.user_agent),
        client_ip: client.address.chars().take(64).collect(),
    }
}

/// What a stored session is worth at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Usable; `touch` when `last_seen` should be written (rarely).
    Valid { touch: bool },
    /// Past its absolute or idle lifetime.
    Expired,
    /// The user is disabled, or their password was reset since (compared in
    /// milliseconds: a session started earlier in the same second is refused too).
    Revoked,
}

/// Judges a stored session at `now`.
pub fn judge(s: &SessionWithUser, now: i64) -> Verdict {
    let r = &s.session;
    if now >= r.expires_at || now - r.last_seen > IDLE_SECS {
        return Verdict::Expired;
    }
    if !s.user_enabled || r.created_at_ms < s.sessions_valid_after_ms {
        return Verdict::Revoked;
    }
    Verdict::Valid {
        touch: now - r.last_seen >= TOUCH_EVERY_SECS,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;

    fn s(now: i64) -> SessionWithUser {
        SessionWithUser {
            session: new_record(
                "h".into(),
                "u",
                METHOD_PASSWORD,
                now * 1000,
                &Client::default(),
            ),
            upn: "a@b".into(),
            user_enabled: true,
            sessions_valid_after_ms: 0,
            password_change_required: false,
        }
    }

    #[test]
    fn cookies_are_random_and_hashed() {
        let (v1, h1) = new_cookie().unwrap();
        let (v2, _) = new_cookie().unwrap();
        assert_ne!(v1, v2);
        assert!(plausible_cookie(&v1));
        assert!(!plausible_cookie("short"));
        assert_eq!(h1, hash_cookie(&v1));
        assert_eq!(h1.len(), 64);
    }

    #[test]
    fn session_indexes_are_stable_per_session_and_app() {
        let a = session_index("h1", "app1");
        assert_eq!(a, session_index("h1", "app1"));
        assert_ne!(a, session_index("h1", "app2"));
        assert_ne!(a, session_index("h2", "app1"));
        assert_eq!(a.len(), 33);
        assert!(a.starts_with('_'));
    }

    #[test]
    fn lifetimes_and_revocation() {
        let t = 1_000_000;
        assert_eq!(judge(&s(t), t + 10), Verdict::Valid { touch: false });
        assert_eq!(judge(&s(t), t + 301), Verdict::Valid { touch: true });
        assert_eq!(judge(&s(t), t + IDLE_SECS + 1), Verdict::Expired);
        let mut x = s(t);
        x.session.last_seen = t + ABSOLUTE_SECS - 10;
        assert_eq!(judge(&x, t + ABSOLUTE_SECS), Verdict::Expired);
        let mut x = s(t);
        x.user_enabled = false;
        assert_eq!(judge(&x, t + 1), Verdict::Revoked);
        let mut x = s(t);
        x.sessions_valid_after_ms = (t + 1) * 1000;
        assert_eq!(judge(&x, t + 2), Verdict::Revoked);
    }

    /// A reset later in the same second as the session's start refuses it; a session
    /// started after the reset, in that same second, stays valid.
    #[test]
    fn revocation_is_compared_in_milliseconds() {
        let t = 1_000_000;
        let mut x = SessionWithUser {
            session: new_record(
                "h".into(),
                "u",
                METHOD_PASSWORD,
                t * 1000 + 200,
                &Client::default(),
            ),
            ..s(t)
        };
        x.sessions_valid_after_ms = t * 1000 + 700;
        assert_eq!(x.session.created_at, t);
        assert_eq!(judge(&x, t), Verdict::Revoked);
        x.session = new_record(
            "h".into(),
            "u",
            METHOD_PASSWORD,
            t * 1000 + 900,
            &Client::default(),
        );
        assert_eq!(judge(&x, t), Verdict::Valid { touch: false });
    }
}
