//! Password sign-in and its limits. The numbers are constants of this module, documented
//! for administrators in docs/deploy.md ("Limits and abuse protection").
//!
//! - A name that failed [`LOCK_AFTER`] times waits before its next attempt: [`LOCK_SECS`],
//!   doubling with each further failure up to [`LOCK_MAX_SECS`]: the name is locked, and
//!   a known user with a mail address is told so ("Your account was locked", at most
//!   once an hour: `crate::mail::security`). While it waits, attempts
//!   are refused without checking the password. A name has two counters: one for
//!   unfamiliar places and one for familiar ones — a browser known for the user (signed
//!   in as them before, `super::device`, or holding their session) or a client address
//!   in a trusted named location. Failures from elsewhere never delay the familiar
//!   counter, so an attacker cannot keep the user out of their own browser or office.
//!   A success clears only the counter it was counted on.
//! - Each client address (an IPv6 address with its /64) may fail [`IP_FREE_FAILURES`]
//!   times; then each further failure makes it wait, doubling up to [`IP_MAX_WAIT`]. Its
//!   count forgets one failure every [`IP_DECAY_SECS`]; a success never clears it.
//! - Successes are bounded too, per name ([`NAME_SUCCESS_BURST`], then one every
//!   [`NAME_SUCCESS_LEAK_SECS`]) and per address ([`IP_SUCCESS_BURST`], then one every
//!   [`IP_SUCCESS_LEAK_SECS`]); past them an attempt is refused before any hashing.
//! - Password checks wait for a core in a bounded queue (`directory::password::admit`):
//!   when it is full, the attempt is refused at once ([`Refused::Busy`]); familiar places
//!   have one more place per core, so a flood from elsewhere does not turn them away.
//!
//! Unknown names are handled exactly like known ones: the same counters, the same
//! answer, and a verification against a dummy hash so the timing is the same. The
//! counters are kept in the store, so attempts at several nodes add up.

use super::Refused;
use crate::directory::{password as hashing, User};
use crate::store::{Lockout, Store};
use std::net::IpAddr;

/// Failures of a name (on one of its counters) before each further attempt must wait.
pub const LOCK_AFTER: i64 = 10;
/// The first wait of a name, seconds; it doubles with each further failure.
pub const LOCK_SECS: i64 = 60;
/// Longest wait of a name, seconds.
pub const LOCK_MAX_SECS: i64 = 900;
/// Failures from one address before it is throttled.
pub const IP_FREE_FAILURES: i64 = 20;
/// Longest wait imposed on one address, seconds.
pub const IP_MAX_WAIT: i64 = 900;
/// An address's failure count forgets one failure every this many seconds.
pub const IP_DECAY_SECS: i64 = 60;
/// Successful sign-ins of one name accepted at once.
pub const NAME_SUCCESS_BURST: i64 = 30;
/// After the burst, one more successful sign-in of a name every this many seconds.
pub const NAME_SUCCESS_LEAK_SECS: i64 = 2;
/// Successful sign-ins from one address accepted at once.
pub const IP_SUCCESS_BURST: i64 = 60;
/// After the burst, one more successful sign-in from an address every this many seconds.
pub const IP_SUCCESS_LEAK_SECS: i64 = 1;
/// Retry-After of an attempt refused because the password checks are queued full, seconds.
pub const BUSY_RETRY_AFTER: i64 = 1;

/// Where an attempt comes from, as far as the edge can tell.
#[derive(Debug, Clone, Default)]
pub struct Place {
    /// The client address is in a trusted named location.
    pub trusted_location: bool,
    /// The users this browser is known for (its verified known-device marks, and the
    /// user of its current session).
    pub known_for: Vec<String>,
}

fn name(upn: &str) -> String {
    upn.trim().to_lowercase()
}

/// The address as counted: an IPv4 address, or the /64 of an IPv6 one (one subscriber's
/// usual allocation). The second factor's throttle (`crate::methods`) counts the same way.
pub fn address(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let net = u128::from(v6) & (u128::MAX << 64);
                format!("{}/64", std::net::Ipv6Addr::from(net))
            }
        },
        v4 => v4.to_string(),
    }
}

/// Seconds until a decaying counter holding `count` is back under `burst`.
fn retry_after(l: &Lockout, count: i64, burst: i64, leak: i64, now: i64) -> i64 {
    let elapsed = (now - l.updated_at).max(0) % leak;
    ((count - burst + 1) * leak - elapsed).max(1)
}

/// Refuses when the decaying success counter `key` is full.
async fn check_successes(
    store: &Store,
    key: &str,
    burst: i64,
    leak: i64,
    now: i64,
) -> Result<(), Refused> {
    let l = store.lockout_get(key).await?;
    let count = l.decayed(now, leak);
    if count >= burst {
        return Err(Refused::TooFrequent {
            retry_after: retry_after(&l, count, burst, leak, now),
        });
    }
    Ok(())
}

/// Mails "Your account was locked" to a known user whose name just locked (at most once
/// an hour, however often the name locks again: `mail::security`). A failure is logged;
/// the lock stands either way.
async fn notify_locked(store: &Store, user: &User, ip: IpAddr, now: i64, until: i64) {
    let from = crate::mail::security::From {
        address: ip.to_string(),
        browser: String::new(),
    };
    if let Err(e) = crate::mail::security::notify_locked(
        store,
        user,
        crate::mail::security::Locked::Password,
        now,
        until,
        &from,
    )
    .await
    {
        tracing::warn!(upn = %user.upn, "password sign-in locked: no notice queued: {e}");
    }
}

/// Authenticates `upn` with `password` from the client address `ip` at `now` (Unix
/// seconds) and `place`: the address's throttle and success bound, the name's delay (on
/// the counter of familiar or unfamiliar places) and success bound, a place in the
/// hashing queue, the password (a real hash for a known user with a password, the dummy
/// otherwise), the counters, and the account's state. A store that cannot answer is
/// [`Refused::Store`], never a wrong password or a skipped lock.
pub async fn password(
    store: &Store,
    ip: IpAddr,
    upn: &str,
    password: String,
    now: i64,
    place: &Place,
) -> Result<User, Refused> {
    // Per-address throttle and success bound.
    let addr = address(ip);
    let ipk = format!("ip:{addr}");
    let ip_state = store.lockout_get(&ipk).await?;
    if ip_state.locked_until > now {
        return Err(Refused::Throttled {
            retry_after: ip_state.locked_until - now,
        });
    }
    let ip_ok = format!("ok:ip:{addr}");
    check_successes(store, &ip_ok, IP_SUCCESS_BURST, IP_SUCCESS_LEAK_SECS, now).await?;

    // Per-name delay (every name, known or not), on the counter of this kind of place.
    let user = store.user_by_upn(upn).await?;
    let familiar = place.trusted_location
        || user
            .as_ref()
            .is_some_and(|u| place.known_for.contains(&u.id));
    let n = name(upn);
    let uk = if familiar {
        format!("known:{n}")
    } else {
        format!("user:{n}")
    };
    let u_state = store.lockout_get(&uk).await?;
    if u_state.locked_until > now {
        return Err(Refused::Locked {
            retry_after: u_state.locked_until - now,
        });
    }
    let user_ok = format!("ok:user:{n}");
    check_successes(
        store,
        &user_ok,
        NAME_SUCCESS_BURST,
        NAME_SUCCESS_LEAK_SECS,
        now,
    )
    .await?;

    // Verify: a real hash for a known user with a password, the dummy otherwise, with a
    // place in the bounded queue of password checks.
    let hash = match &user {
        Some(u) => store.password_hash(&u.id).await?,
        None => None,
    };
    let admission = if familiar {
        hashing::admit_familiar()
    } else {
        hashing::admit()
    };
    let Some(admission) = admission else {
        return Err(Refused::Busy {
            retry_after: BUSY_RETRY_AFTER,
        });
    };
    let verified = tokio::task::spawn_blocking(move || {
        let _admission = admission;
        match hash {
            Some(h) => hashing::verify_password(&h, &password),
            None => {
                let _ = hashing::verify_against_dummy(&password);
                false
            }
        }
    })
    .await
    .unwrap_or(false);

    if !verified {
        // Counted atomically in the database, so failures at several nodes add up.
        if let Ok(f) = store.lockout_record_failure(&uk, now).await {
            if f >= LOCK_AFTER {
                let exp = (f - LOCK_AFTER).min(10) as u32;
                let wait = (LOCK_SECS << exp).min(LOCK_MAX_SECS);
                let _ = store.lockout_lock(&uk, now + wait, false).await;
                if let Some(u) = &user {
                    notify_locked(store, u, ip, now, now + wait).await;
                }
            }
        }
        if let Ok(f) = store
            .lockout_record_decaying(&ipk, now, IP_DECAY_SECS)
            .await
        {
            if f > IP_FREE_FAILURES {
                let exp = (f - IP_FREE_FAILURES).min(10) as u32;
                let _ = store
                    .lockout_lock(&ipk, now + (1i64 << exp).min(IP_MAX_WAIT), false)
                    .await;
            }
        }
        return Err(Refused::InvalidCredentials {
            user: user.map(Box::new),
        });
    }
    // Only the counter this success was counted on starts again; the address's decays.
    let _ = store.lockout_clear(&uk).await;
    let _ = store
        .lockout_record_decaying(&user_ok, now, NAME_SUCCESS_LEAK_SECS)
        .await;
    let _ = store
        .lockout_record_decaying(&ip_ok, now, IP_SUCCESS_LEAK_SECS)
        .await;
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

    use crate::store::suite::test_store as store;

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
        let r = password(
            s,
            IP,
            " B.Simon@contoso.com ",
            "x".into(),
            1000,
            &Place::default(),
        )
        .await
        .unwrap_err();
        assert!(matches!(r, Refused::Throttled { retry_after: 30 }), "{r:?}");
        // Another address: the name's lock (case and spaces do not matter).
        let other = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
        let r = password(
            s,
            other,
            "b.simon@CONTOSO.com",
            "x".into(),
            1000,
            &Place::default(),
        )
        .await
        .unwrap_err();
        assert!(matches!(r, Refused::Locked { retry_after: 60 }), "{r:?}");
    }

    #[tokio::test]
    async fn an_unknown_name_counts_like_a_wrong_password() {
        let db = store().await;
        let s = &db.store;
        let r = password(
            s,
            IP,
            "nobody@contoso.com",
            "x".into(),
            1000,
            &Place::default(),
        )
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

    const PW: &str = "Correct-Horse-42";
    const ATTACKER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 9));
    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 10));

    async fn add_user(s: &Store, upn: &str) -> User {
        crate::directory::create_user(
            s,
            crate::directory::NewUser {
                upn: upn.into(),
                display_name: upn.into(),
                password_hash: Some(hashing::hash_password(PW).unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
    }

    async fn try_pw(
        s: &Store,
        ip: IpAddr,
        upn: &str,
        pw: &str,
        now: i64,
        place: &Place,
    ) -> Result<User, Refused> {
        password(s, ip, upn, pw.into(), now, place).await
    }

    /// Spraying from one address, with a success at the attacker's own account every 20
    /// attempts, still meets the address's throttle at the 22nd failure: a success does
    /// not clear the address's count.
    #[tokio::test]
    async fn a_success_does_not_clear_the_address() {
        let db = store().await;
        let s = &db.store;
        add_user(s, "mallory@contoso.com").await;
        let none = Place::default();
        let mut failures = 0;
        let mut throttled_at = None;
        for i in 0..63 {
            let r = if i % 21 == 20 {
                try_pw(s, ATTACKER, "mallory@contoso.com", PW, 1000, &none).await
            } else {
                let upn = format!("victim{}@contoso.com", i % 20);
                try_pw(s, ATTACKER, &upn, "guess-123", 1000, &none).await
            };
            match r {
                Ok(_) => {}
                Err(Refused::InvalidCredentials { .. }) => failures += 1,
                Err(Refused::Throttled { .. }) => {
                    throttled_at = Some(failures + 1);
                    break;
                }
                Err(e) => panic!("attempt {i}: {e:?}"),
            }
        }
        assert_eq!(throttled_at, Some(IP_FREE_FAILURES + 2));
        // The count decays: one failure forgotten per IP_DECAY_SECS.
        let later = 1000 + IP_MAX_WAIT + 5 * IP_DECAY_SECS;
        let l = s.lockout_get("ip:203.0.113.9").await.unwrap();
        assert_eq!(
            l.decayed(later, IP_DECAY_SECS),
            l.failures - IP_MAX_WAIT / IP_DECAY_SECS - 5
        );
    }

    /// The name's lock mails the user "Your account was locked" once: locking again
    /// within the hour (a spray that goes on) queues nothing more; an hour later it does.
    #[tokio::test]
    async fn a_lock_mails_the_user_at_most_once_an_hour() {
        let db = store().await;
        let s = &db.store;
        crate::directory::create_user(
            s,
            crate::directory::NewUser {
                upn: "r.moreno@contoso.com".into(),
                display_name: "R. Moreno".into(),
                mail: "r.moreno@contoso.com".into(),
                password_hash: Some(hashing::hash_password(PW).unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let none = Place::default();
        let locked_mails = |all: Vec<crate::model::OutboxMessage>| {
            all.into_iter()
                .filter(|m| m.kind == "account-locked")
                .collect::<Vec<_>>()
        };
        let mut t = 1_800_000_000;
        for i in 0..LOCK_AFTER {
            let ip = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, i as u8));
            let _ = try_pw(s, ip, "r.moreno@contoso.com", "nope-1234", t, &none).await;
        }
        let mails = locked_mails(s.outbox_list(100).await.unwrap());
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].to_addr, "r.moreno@contoso.com");
        assert_eq!(mails[0].subject, "Your account was locked");
        assert!(
            mails[0].body_text.contains("198.51.100.9"),
            "{}",
            mails[0].body_text
        );
        assert!(!mails[0].body_text.contains("nope-1234"));
        // Each wait over, one more failure locks again: no further mail within the hour.
        for _ in 0..3 {
            t += 500; // longer than the waits of the 10th to 12th failures

            let r = try_pw(s, ATTACKER, "r.moreno@contoso.com", "nope-1234", t, &none).await;
            assert!(
                matches!(r, Err(Refused::InvalidCredentials { .. })),
                "{r:?}"
            );
            let r = try_pw(s, ATTACKER, "r.moreno@contoso.com", "nope-1234", t, &none).await;
            assert!(matches!(r, Err(Refused::Locked { .. })), "{r:?}");
        }
        assert!(t < 1_800_000_000 + crate::mail::security::LOCK_NOTICE_GAP_SECS);
        assert_eq!(locked_mails(s.outbox_list(100).await.unwrap()).len(), 1);
        // An hour after the first: the next lock is mailed again.
        t = 1_800_000_000 + crate::mail::security::LOCK_NOTICE_GAP_SECS + LOCK_MAX_SECS;
        let _ = try_pw(s, ATTACKER, "r.moreno@contoso.com", "nope-1234", t, &none).await;
        assert_eq!(locked_mails(s.outbox_list(100).await.unwrap()).len(), 2);
        // An unknown name locks without any mail.
        for _ in 0..LOCK_AFTER {
            let _ = try_pw(s, HOME, "nobody@contoso.com", "nope-1234", t, &none).await;
        }
        assert_eq!(locked_mails(s.outbox_list(100).await.unwrap()).len(), 2);
    }

    /// A name waits 60 s after 10 failures, then twice as long after each further
    /// failure, up to LOCK_MAX_SECS; a success clears it.
    #[tokio::test]
    async fn delays_grow_with_each_failure_and_a_success_clears_them() {
        let db = store().await;
        let s = &db.store;
        add_user(s, "b.simon@contoso.com").await;
        let none = Place::default();
        let mut t = 1000;
        for i in 0..LOCK_AFTER {
            // Each from another address: the name's counter, not the address's.
            let ip = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, i as u8));
            let r = try_pw(s, ip, "b.simon@contoso.com", "nope-1234", t, &none).await;
            assert!(
                matches!(r, Err(Refused::InvalidCredentials { .. })),
                "{r:?}"
            );
        }
        let mut waits = Vec::new();
        for _ in 0..6 {
            let r = try_pw(s, HOME, "b.simon@contoso.com", PW, t, &none).await;
            let Err(Refused::Locked { retry_after }) = r else {
                panic!("{r:?}")
            };
            waits.push(retry_after);
            t += retry_after;
            let r = try_pw(s, ATTACKER, "b.simon@contoso.com", "nope-1234", t, &none).await;
            assert!(
                matches!(r, Err(Refused::InvalidCredentials { .. })),
                "{r:?}"
            );
        }
        assert_eq!(waits, vec![60, 120, 240, 480, 900, 900]);
        let r = try_pw(s, HOME, "b.simon@contoso.com", PW, t + 900, &none).await;
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(
            s.lockout_get("user:b.simon@contoso.com").await.unwrap(),
            Lockout::default()
        );
    }

    /// While an attacker keeps the name waiting, the user signs in from a browser known
    /// for them, or from a trusted location; a wrong password there counts on the
    /// familiar counter only.
    #[tokio::test]
    async fn a_known_device_or_trusted_location_passes_the_delay() {
        let db = store().await;
        let s = &db.store;
        let admin = add_user(s, "admin@contoso.com").await;
        let none = Place::default();
        for _ in 0..LOCK_AFTER {
            let _ = try_pw(s, ATTACKER, "admin@contoso.com", "guess-123", 1000, &none).await;
        }
        let r = try_pw(s, HOME, "admin@contoso.com", PW, 1001, &none).await;
        assert!(matches!(r, Err(Refused::Locked { .. })), "{r:?}");
        let known = Place {
            trusted_location: false,
            known_for: vec![admin.id.clone()],
        };
        let r = try_pw(s, HOME, "admin@contoso.com", "typo-1234", 1001, &known).await;
        assert!(
            matches!(r, Err(Refused::InvalidCredentials { .. })),
            "{r:?}"
        );
        let r = try_pw(s, HOME, "admin@contoso.com", PW, 1001, &known).await;
        assert_eq!(r.unwrap().id, admin.id);
        let office = Place {
            trusted_location: true,
            known_for: Vec::new(),
        };
        let r = try_pw(s, HOME, "admin@contoso.com", PW, 1002, &office).await;
        assert_eq!(r.unwrap().id, admin.id);
        // A mark for another user does not make the browser familiar for this one.
        let other = Place {
            trusted_location: false,
            known_for: vec!["someone-else".into()],
        };
        let r = try_pw(s, HOME, "admin@contoso.com", PW, 1003, &other).await;
        assert!(matches!(r, Err(Refused::Locked { .. })), "{r:?}");
        // The familiar successes left the attacker's counter alone.
        assert!(
            s.lockout_get("user:admin@contoso.com")
                .await
                .unwrap()
                .locked_until
                > 1003
        );
    }

    /// Successes are bounded per name (and per address), refused before hashing, and
    /// the bound refills with time.
    #[tokio::test]
    async fn successes_are_bounded_per_name() {
        let db = store().await;
        let s = &db.store;
        add_user(s, "b.simon@contoso.com").await;
        let none = Place::default();
        for i in 0..NAME_SUCCESS_BURST {
            let ip = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, i as u8));
            let r = try_pw(s, ip, "b.simon@contoso.com", PW, 1000, &none).await;
            assert!(r.is_ok(), "success {i}: {r:?}");
        }
        let r = try_pw(s, HOME, "b.simon@contoso.com", PW, 1000, &none).await;
        let Err(Refused::TooFrequent { retry_after }) = r else {
            panic!("{r:?}")
        };
        assert_eq!(retry_after, NAME_SUCCESS_LEAK_SECS);
        let r = try_pw(
            s,
            HOME,
            "b.simon@contoso.com",
            PW,
            1000 + NAME_SUCCESS_LEAK_SECS,
            &none,
        )
        .await;
        assert!(r.is_ok(), "{r:?}");
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address(a), "2001:db8:1:2::/64");
        assert_eq!(address(a), address(b));
        assert_ne!(address(a), address(c));
        assert_eq!(address("::ffff:192.0.2.1".parse().unwrap()), "192.0.2.1");
        assert_eq!(address(IP), "127.0.0.1");
    }
}
