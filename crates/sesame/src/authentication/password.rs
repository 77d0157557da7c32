//! Password sign-in: after [`LOCK_AFTER`] failures a name is locked for [`LOCK_SECS`],
//! and each client address is throttled with an exponential backoff (after
//! [`IP_FREE_FAILURES`], up to [`IP_MAX_WAIT`]) so nobody can keep an account locked for
//! ever. Unknown names are handled exactly like known ones: the same counters, the same
//! answer, and a verification against a dummy hash so the timing is the same. The
//! counters are kept in the store, so failures at several nodes add up.

use super::Refused;
use crate::directory::{password as hashing, User};
use crate::store::Store;
use std::net::IpAddr;

/// Failures before a name is locked.
pub const LOCK_AFTER: i64 = 10;
/// How long a name stays locked, seconds.
pub const LOCK_SECS: i64 = 60;
/// Failures from one address before it is throttled.
pub const IP_FREE_FAILURES: i64 = 20;
/// Longest wait imposed on one address, seconds.
pub const IP_MAX_WAIT: i64 = 900;

fn user_key(upn: &str) -> String {
    format!("user:{}", upn.trim().to_lowercase())
}

fn ip_key(ip: IpAddr) -> String {
    format!("ip:{ip}")
}

/// Authenticates `upn` with `password` from the client address `ip` at `now` (Unix
/// seconds): the address's throttle, the name's lock, the password (a real hash for a
/// known user with a password, the dummy otherwise), the counters, and the account's
/// state. A store that cannot answer is [`Refused::Store`], never a wrong password or a
/// skipped lock.
pub async fn password(
    store: &Store,
    ip: IpAddr,
    upn: &str,
    password: String,
    now: i64,
) -> Result<User, Refused> {
    // Per-address throttle.
    let ipk = ip_key(ip);
    let ip_state = store.lockout_get(&ipk).await?;
    if ip_state.locked_until > now {
        return Err(Refused::Throttled {
            retry_after: ip_state.locked_until - now,
        });
    }
    // Per-name lock (every name, known or not).
    let uk = user_key(upn);
    let u_state = store.lockout_get(&uk).await?;
    if u_state.locked_until > now {
        return Err(Refused::Locked {
            retry_after: u_state.locked_until - now,
        });
    }

    // Verify: a real hash for a known user with a password, the dummy otherwise.
    let user = store.user_by_upn(upn).await?;
    let hash = match &user {
        Some(u) => store.password_hash(&u.id).await?,
        None => None,
    };
    let verified = tokio::task::spawn_blocking(move || match hash {
        Some(h) => hashing::verify_password(&h, &password),
        None => {
            let _ = hashing::verify_against_dummy(&password);
            false
        }
    })
    .await
    .unwrap_or(false);

    if !verified {
        // Counted atomically in the database, so failures at several nodes add up.
        if let Ok(n) = store.lockout_record_failure(&uk, now).await {
            if n >= LOCK_AFTER {
                let _ = store.lockout_lock(&uk, now + LOCK_SECS, true).await;
            }
        }
        if let Ok(n) = store.lockout_record_failure(&ipk, now).await {
            if n > IP_FREE_FAILURES {
                let exp = (n - IP_FREE_FAILURES).min(10) as u32;
                let _ = store
                    .lockout_lock(&ipk, now + (1i64 << exp).min(IP_MAX_WAIT), false)
                    .await;
            }
        }
        return Err(Refused::InvalidCredentials {
            user: user.map(Box::new),
        });
    }
    let _ = store.lockout_clear(&uk).await;
    let _ = store.lockout_clear(&ipk).await;
    // A verified password belongs to a known user.
    let Some(user) = user else {
        return Err(Refused::InvalidCredentials { user: None });
    };
    if !user.enabled {
        return Err(Refused::Disabled(Box::new(user)));
    }
    Ok(user)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic
mod tests {
    use super::*;

    /// An empty store in a temporary directory (removed on drop).
    struct TempStore {
        store: Store,
        dir: std::path::PathBuf,
    }

    impl Drop for TempStore {
        fn drop(&mut self) {
            std::fs::remove_dir_all(&self.dir).ok();
        }
    }

    async fn store() -> TempStore {
        let dir = std::env::temp_dir().join(format!("sesame-authn-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite:{}", dir.join("sesame.db").display());
        TempStore {
            store: Store::open(&url, 2).await.unwrap(),
            dir,
        }
    }

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[tokio::test]
    async fn a_throttled_address_is_refused_before_the_name() {
        let db = store().await;
        let s = &db.store;
        s.lockout_record_failure("ip:127.0.0.1", 1000)
            .await
            .unwrap();
        s.lockout_lock("ip:127.0.0.1", 1030, false).await.unwrap();
        s.lockout_record_failure("user:b.simon@contoso.com", 1000)
            .await
            .unwrap();
        s.lockout_lock("user:b.simon@contoso.com", 1060, true)
            .await
            .unwrap();
        let r = password(s, IP, " B.Simon@contoso.com ", "x".into(), 1000)
            .await
            .unwrap_err();
        assert!(matches!(r, Refused::Throttled { retry_after: 30 }), "{r:?}");
        // Another address: the name's lock (case and spaces do not matter).
        let other = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
        let r = password(s, other, "b.simon@CONTOSO.com", "x".into(), 1000)
            .await
            .unwrap_err();
        assert!(matches!(r, Refused::Locked { retry_after: 60 }), "{r:?}");
    }

    #[tokio::test]
    async fn an_unknown_name_counts_like_a_wrong_password() {
        let db = store().await;
        let s = &db.store;
        let r = password(s, IP, "nobody@contoso.com", "x".into(), 1000)
            .await
            .unwrap_err();
        assert!(
            matches!(r, Refused::InvalidCredentials { user: None }),
            "{r:?}"
        );
        assert_eq!(
            s.lockout_get("user:nobody@contoso.com")
                .await
                .unwrap()
                .failures,
            1
        );
        assert_eq!(s.lockout_get("ip:127.0.0.1").await.unwrap().failures, 1);
    }
}
