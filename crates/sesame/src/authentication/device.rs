//! Known devices: a browser that signed in as a user carries a long-lived mark of it, a
//! cookie signed with a secret only Sesame holds (HMAC-SHA-256). The mark proves nothing
//! by itself — the password is still checked — but it makes the browser familiar for that
//! user: its failures count on the name's familiar counter, so the delays an attacker
//! causes from elsewhere do not stop the user signing in from it
//! ([`super::password`]).
//!
//! The value lists at most [`MAX_USERS`] marks, `USER_ID.ISSUED.TAG`, newest first, joined
//! by `~`; a mark older than [`KNOWN_DEVICE_SECS`], with a tag that does not verify or of
//! an odd shape is ignored.

use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// The cookie's name.
pub const COOKIE: &str = "sesame_device";
/// How long a browser stays known after its last sign-in as a user, seconds (90 days).
pub const KNOWN_DEVICE_SECS: i64 = 90 * 86_400;
/// Users one browser is known for (a shared computer: the most recent ones).
pub const MAX_USERS: usize = 5;

/// What a mark's tag signs.
fn message(user_id: &str, issued: i64) -> Vec<u8> {
    format!("sesame known device v1\0{user_id}\0{issued}").into_bytes()
}

fn tag(key: &[u8; 32], user_id: &str, issued: i64) -> hmac::Tag {
    hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, key),
        &message(user_id, issued),
    )
}

fn plausible_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The verified marks of a cookie value at `now`: (user id, issued).
fn marks(key: &[u8; 32], value: &str, now: i64) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = Vec::new();
    for mark in value.split('~').take(MAX_USERS) {
        let mut parts = mark.splitn(3, '.');
        let (Some(id), Some(issued), Some(t)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let Ok(issued) = issued.parse::<i64>() else {
            continue;
        };
        if !plausible_id(id) || issued > now || now - issued > KNOWN_DEVICE_SECS {
            continue;
        }
        let Ok(t) = URL_SAFE_NO_PAD.decode(t) else {
            continue;
        };
        let k = hmac::Key::new(hmac::HMAC_SHA256, key);
        if hmac::verify(&k, &message(id, issued), &t).is_ok() && !out.iter().any(|(u, _)| u == id) {
            out.push((id.to_owned(), issued));
        }
    }
    out
}

/// The users a cookie value marks this browser as known for, at `now`.
pub fn users(key: &[u8; 32], value: &str, now: i64) -> Vec<String> {
    marks(key, value, now).into_iter().map(|(u, _)| u).collect()
}

/// The cookie value after `user_id` signed in at `now`: its new mark first, then the
/// other users' marks still valid, at most [`MAX_USERS`].
pub fn remember(key: &[u8; 32], value: Option<&str>, user_id: &str, now: i64) -> String {
    let mut out = vec![format!(
        "{user_id}.{now}.{}",
        URL_SAFE_NO_PAD.encode(tag(key, user_id, now).as_ref())
    )];
    if let Some(v) = value {
        for (id, issued) in marks(key, v, now) {
            if id != user_id && out.len() < MAX_USERS {
                out.push(format!(
                    "{id}.{issued}.{}",
                    URL_SAFE_NO_PAD.encode(tag(key, &id, issued).as_ref())
                ));
            }
        }
    }
    out.join("~")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn a_mark_names_its_user_until_it_expires() {
        let v = remember(&KEY, None, "u-1", 1000);
        assert_eq!(users(&KEY, &v, 1000), vec!["u-1".to_owned()]);
        assert_eq!(users(&KEY, &v, 1000 + KNOWN_DEVICE_SECS), vec!["u-1"]);
        assert!(users(&KEY, &v, 1001 + KNOWN_DEVICE_SECS).is_empty());
        // Another key, a changed user or instant: nothing.
        assert!(users(&[8; 32], &v, 1000).is_empty());
        assert!(users(&KEY, &v.replace("u-1", "u-2"), 1000).is_empty());
        assert!(users(&KEY, &v.replace(".1000.", ".1001."), 1001).is_empty());
        assert!(users(&KEY, "junk~a.b.c~..", 1000).is_empty());
    }

    #[test]
    fn several_users_newest_first_at_most_max() {
        let mut v = remember(&KEY, None, "u-0", 1000);
        for i in 1..=MAX_USERS {
            v = remember(&KEY, Some(&v), &format!("u-{i}"), 1000 + i as i64);
        }
        let got = users(&KEY, &v, 2000);
        assert_eq!(got.len(), MAX_USERS);
        assert_eq!(got[0], format!("u-{MAX_USERS}"));
        assert!(!got.contains(&"u-0".to_owned()));
        // Signing in again moves the user first without a duplicate.
        let v = remember(&KEY, Some(&v), "u-2", 3000);
        let got = users(&KEY, &v, 3000);
        assert_eq!(got[0], "u-2");
        assert_eq!(got.iter().filter(|u| *u == "u-2").count(), 1);
    }
}
