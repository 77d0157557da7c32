//! The methods' rules on the store of the test run (SQLite, or PostgreSQL when
//! SESAME_TEST_DATABASE_URL is set), with the clock injected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

use super::*;
use crate::model::NewUser;
use crate::store::suite::test_store;

const NOW: i64 = 1_800_000_015; // 15 s into a step

fn master() -> MasterKey {
    MasterKey::from_text(&"k".repeat(40)).unwrap()
}

fn at(now: i64) -> Attempt {
    Attempt {
        ip: IpAddr::from([192, 0, 2, 7]),
        now,
    }
}

/// A proof by an authenticator app's code.
fn code(c: &str) -> Proof<'_> {
    Proof {
        code: c,
        recovery_code: "",
        recent_passkey: false,
    }
}

/// A proof by a recovery code.
fn rec(c: &str) -> Proof<'_> {
    Proof {
        code: "",
        recovery_code: c,
        recent_passkey: false,
    }
}

fn by(actor: &Actor) -> By<'_> {
    By {
        actor,
        correlation_id: "",
    }
}

async fn user(s: &Store, upn: &str) -> User {
    s.create_user(
        &NewUser {
            upn: upn.into(),
            display_name: "A".into(),
            ..NewUser::default()
        },
        NOW,
    )
    .await
    .unwrap()
}

/// Registers an authenticator app for `u` confirmed at `now`; returns it and its secret.
async fn register(s: &Store, mk: &MasterKey, u: &User, now: i64) -> (AuthMethod, Vec<u8>) {
    let reg = begin_totp(s, mk, u, now).await.unwrap();
    let p = s
        .pending_method(&u.id, &reg.pending_id, now)
        .await
        .unwrap()
        .unwrap();
    let secret = mk
        .open_in(&secret_context(&u.id), &p.secret_sealed)
        .unwrap();
    assert_eq!(totp::base32(&secret), reg.secret_base32);
    let m = confirm_totp(
        s,
        mk,
        u,
        TotpConfirmation {
            pending_id: &reg.pending_id,
            name: "Phone",
            code: &totp::code_at(&secret, now),
            proof: Proof::default(),
            browser: "",
        },
        at(now),
        by(&Actor::System),
    )
    .await
    .unwrap();
    (m, secret)
}

#[test]
fn sealed_secrets_open_only_for_their_user() {
    let mk = master();
    let sealed = mk.seal_in(&secret_context("u1"), b"secret bytes").unwrap();
    assert_ne!(sealed, b"secret bytes");
    assert_eq!(
        mk.open_in(&secret_context("u1"), &sealed).unwrap(),
        b"secret bytes"
    );
    assert!(mk.open_in(&secret_context("u2"), &sealed).is_err());
    assert!(mk.open(&sealed).is_err());
    let other = MasterKey::from_text(&"x".repeat(40)).unwrap();
    assert!(other.open_in(&secret_context("u1"), &sealed).is_err());
}

#[test]
fn recent_sign_in_is_ten_minutes() {
    assert!(recent_sign_in(1000, 1600));
    assert!(!recent_sign_in(1000, 1601));
}

#[tokio::test]
async fn registration_is_confirmed_once_and_codes_are_accepted_once() {
    let t = test_store().await;
    let (s, mk) = (&t.store, master());
    let u = user(s, "alice@example.com").await;
    let reg = begin_totp(s, &mk, &u, NOW).await.unwrap();
    assert!(reg
        .uri
        .starts_with("otpauth://totp/Sesame:alice@example.com?secret="));
    assert!(reg.qr_svg.starts_with("<svg"));
    // The registration shows the same secret again, to its user only.
    let again = totp_registration(s, &mk, &u, &reg.pending_id, NOW + 60)
        .await
        .unwrap();
    assert_eq!(again.secret_base32, reg.secret_base32);
    let bob = user(s, "bob@example.com").await;
    assert!(matches!(
        totp_registration(s, &mk, &bob, &reg.pending_id, NOW).await,
        Err(MethodError::RegistrationExpired)
    ));
    // Expired after ten minutes.
    assert!(matches!(
        totp_registration(s, &mk, &u, &reg.pending_id, NOW + PENDING_SECS).await,
        Err(MethodError::RegistrationExpired)
    ));

    let (m, secret) = register(s, &mk, &u, NOW).await;
    assert_eq!(m.kind, MethodKind::Totp);
    assert_eq!(m.last_step, totp::step_of(NOW));
    // The stored secret is sealed, never the secret itself.
    let stored = s.methods_of_user(&u.id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0]
        .secret_sealed
        .windows(secret.len())
        .any(|w| w == secret));

    // The code just used for the registration is a replay.
    let code_now = totp::code_at(&secret, NOW);
    let r = verify_existing(s, &mk, &u.id, code(&code_now), at(NOW)).await;
    assert!(matches!(r, Err(MethodError::Replayed)), "{r:?}");
    // Two steps ahead: refused; one step ahead: accepted, once.
    let plus2 = totp::code_at(&secret, NOW + 60);
    let r = verify_existing(s, &mk, &u.id, code(&plus2), at(NOW)).await;
    assert!(matches!(r, Err(MethodError::WrongCode)), "{r:?}");
    let plus1 = totp::code_at(&secret, NOW + 30);
    verify_existing(s, &mk, &u.id, code(&plus1), at(NOW))
        .await
        .unwrap();
    assert!(matches!(
        verify_existing(s, &mk, &u.id, code(&plus1), at(NOW + 1)).await,
        Err(MethodError::Replayed)
    ));
    // Codes of the wrong form say so, and are not counted as guesses.
    assert!(matches!(
        verify_existing(s, &mk, &u.id, code("12345"), at(NOW)).await,
        Err(MethodError::BadCode(_))
    ));
    // Nothing typed: a proof is required.
    assert!(matches!(
        verify_existing(s, &mk, &u.id, Proof::default(), at(NOW)).await,
        Err(MethodError::ProofRequired)
    ));
}

#[tokio::test]
async fn a_pending_registration_is_single_use() {
    let t = test_store().await;
    let (s, mk) = (&t.store, master());
    let u = user(s, "carol@example.com").await;
    let reg = begin_totp(s, &mk, &u, NOW).await.unwrap();
    let p = s
        .pending_method(&u.id, &reg.pending_id, NOW)
        .await
        .unwrap()
        .unwrap();
    let secret = mk
        .open_in(&secret_context(&u.id), &p.secret_sealed)
        .unwrap();
    let c = |code| TotpConfirmation {
        pending_id: &reg.pending_id,
        name: "Phone",
        code,
        proof: Proof::default(),
        browser: "",
    };
    let first = totp::code_at(&secret, NOW);
    confirm_totp(s, &mk, &u, c(&first), at(NOW), by(&Actor::System))
        .await
        .unwrap();
    let next = totp::code_at(&secret, NOW + 30);
    let r = confirm_totp(s, &mk, &u, c(&next), at(NOW + 30), by(&Actor::System)).await;
    assert!(matches!(r, Err(MethodError::RegistrationExpired)), "{r:?}");
    assert_eq!(s.methods_of_user(&u.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn recovery_codes_are_single_use_and_regenerating_replaces_them() {
    let t = test_store().await;
    let (s, mk) = (&t.store, master());
    let u = user(s, "dave@example.com").await;
    let codes = regenerate_recovery(
        s,
        &mk,
        &u,
        Proof::default(),
        at(NOW),
        by(&Actor::System),
        "",
    )
    .await
    .unwrap();
    assert_eq!(codes.len(), 10);
    // Regenerating needs a proof now that a method exists; using a code uses it up.
    assert!(matches!(
        regenerate_recovery(
            s,
            &mk,
            &u,
            Proof::default(),
            at(NOW),
            by(&Actor::System),
            ""
        )
        .await,
        Err(MethodError::ProofRequired)
    ));
    verify_existing(s, &mk, &u.id, rec(&codes[0].to_lowercase()), at(NOW))
        .await
        .unwrap();
    assert!(matches!(
        verify_existing(s, &mk, &u.id, rec(&codes[0]), at(NOW)).await,
        Err(MethodError::WrongCode)
    ));
    let m = s.methods_of_user(&u.id).await.unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(recovery_codes_left(s, &m[0].id).await.unwrap(), 9);
    assert_eq!(m[0].last_used_at, NOW);
    let fresh = regenerate_recovery(s, &mk, &u, rec(&codes[1]), at(NOW), by(&Actor::System), "")
        .await
        .unwrap();
    assert_ne!(fresh, codes);
    // The old set is gone.
    assert!(matches!(
        verify_existing(s, &mk, &u.id, rec(&codes[2]), at(NOW)).await,
        Err(MethodError::WrongCode)
    ));
    let m = s.methods_of_user(&u.id).await.unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(recovery_codes_left(s, &m[0].id).await.unwrap(), 10);
}

#[tokio::test]
async fn ten_failures_lock_the_second_factor() {
    let t = test_store().await;
    let (s, mk) = (&t.store, master());
    let u = user(s, "erin@example.com").await;
    let (_, secret) = register(s, &mk, &u, NOW).await;
    let window: Vec<String> = (-1..=1)
        .map(|d| totp::code_at(&secret, NOW + 30 * d))
        .collect();
    let wrong = ["000000", "111111", "222222", "333333"]
        .into_iter()
        .find(|w| !window.iter().any(|c| c == w))
        .unwrap();
    let p = code(wrong);
    for i in 1..LOCK_AFTER {
        let r = verify_existing(s, &mk, &u.id, p, at(NOW)).await;
        assert!(
            matches!(r, Err(MethodError::WrongCode)),
            "attempt {i}: {r:?}"
        );
    }
    let r = verify_existing(s, &mk, &u.id, p, at(NOW)).await;
    assert!(matches!(r, Err(MethodError::Locked { .. })), "{r:?}");
    // Even the right code is refused while locked.
    let right = totp::code_at(&secret, NOW + 30);
    assert!(matches!(
        verify_existing(s, &mk, &u.id, code(&right), at(NOW + 1)).await,
        Err(MethodError::Locked { .. })
    ));
    // The password's own counters are untouched.
    assert_eq!(
        s.lockout_get("user:erin@example.com")
            .await
            .unwrap()
            .failures,
        0
    );
    // After the lock, the right code passes again.
    let later = totp::code_at(&secret, NOW + LOCK_SECS + 1);
    verify_existing(s, &mk, &u.id, code(&later), at(NOW + LOCK_SECS + 1))
        .await
        .unwrap();
}

#[tokio::test]
async fn rename_and_remove() {
    let t = test_store().await;
    let (s, mk) = (&t.store, master());
    let u = user(s, "frank@example.com").await;
    let (m, secret) = register(s, &mk, &u, NOW).await;
    let r = rename(s, &u, &m.id, "  Work phone ", by(&Actor::System))
        .await
        .unwrap();
    assert_eq!(r.name, "Work phone");
    assert!(matches!(
        rename(s, &u, &m.id, "", by(&Actor::System)).await,
        Err(MethodError::InvalidName(_))
    ));
    // Removing needs a code.
    assert!(matches!(
        remove(
            s,
            &mk,
            &u,
            &m.id,
            Proof::default(),
            at(NOW),
            by(&Actor::System)
        )
        .await,
        Err(MethodError::ProofRequired)
    ));
    let plus1 = totp::code_at(&secret, NOW + 30);
    remove(
        s,
        &mk,
        &u,
        &m.id,
        code(&plus1),
        at(NOW + 30),
        by(&Actor::System),
    )
    .await
    .unwrap();
    assert!(s.methods_of_user(&u.id).await.unwrap().is_empty());
    // Another user's method is not found.
    let (m2, _) = register(s, &mk, &u, NOW + 90).await;
    let other = user(s, "gina@example.com").await;
    assert!(matches!(
        admin_delete(s, &other, &m2.id, by(&Actor::System)).await,
        Err(MethodError::NotFound)
    ));
    admin_delete(s, &u, &m2.id, by(&Actor::System))
        .await
        .unwrap();
    let audit = s
        .audit_list(&crate::store::AuditFilter::default())
        .await
        .unwrap();
    assert!(audit.iter().any(|a| a.action == "user.method.delete"));
    assert!(audit.iter().all(|a| !a.after_json.contains("secret")));
}

#[tokio::test]
async fn ten_failures_from_one_address_lock_it_for_every_user() {
    let t = test_store().await;
    let (s, mk) = (&t.store, master());
    let mut users = Vec::new();
    for upn in ["h1@example.com", "h2@example.com", "h3@example.com"] {
        let u = user(s, upn).await;
        let codes = regenerate_recovery(
            s,
            &mk,
            &u,
            Proof::default(),
            at(NOW),
            by(&Actor::System),
            "",
        )
        .await
        .unwrap();
        users.push((u, codes));
    }
    let wrong = rec("ABCDE-23456");
    for i in 0..LOCK_AFTER {
        let (u, _) = &users[usize::from(i >= LOCK_AFTER / 2)];
        let r = verify_existing(s, &mk, &u.id, wrong, at(NOW)).await;
        if i + 1 < LOCK_AFTER {
            assert!(
                matches!(r, Err(MethodError::WrongCode)),
                "attempt {i}: {r:?}"
            );
        } else {
            assert!(matches!(r, Err(MethodError::Locked { .. })), "{r:?}");
        }
    }
    // A third user from the same address is refused, right code or not; from another
    // address the right code passes.
    let (u3, codes3) = &users[2];
    assert!(matches!(
        verify_existing(s, &mk, &u3.id, rec(&codes3[0]), at(NOW)).await,
        Err(MethodError::Locked { .. })
    ));
    let elsewhere = Attempt {
        ip: IpAddr::from([198, 51, 100, 1]),
        now: NOW,
    };
    verify_existing(s, &mk, &u3.id, rec(&codes3[0]), elsewhere)
        .await
        .unwrap();
}

#[tokio::test]
async fn retired_methods_are_listed_and_not_accepted() {
    let t = test_store().await;
    let (s, mk) = (&t.store, master());
    let u = user(s, "carol@example.com").await;
    let (_, secret) = register(s, &mk, &u, NOW).await;
    let codes = regenerate_recovery(
        s,
        &mk,
        &u,
        code(&totp::code_at(&secret, NOW + 30)),
        at(NOW + 30),
        by(&Actor::System),
        "",
    )
    .await
    .unwrap();
    let n = admin::require_reregister(s, &u, NOW + 40, by(&Actor::System))
        .await
        .unwrap();
    assert_eq!(n, 2);
    // Again: nothing more to retire.
    assert_eq!(
        admin::require_reregister(s, &u, NOW + 41, by(&Actor::System))
            .await
            .unwrap(),
        0
    );
    assert_eq!(list(s, &u.id).await.unwrap().len(), 2);
    assert!(usable(s, &u.id).await.unwrap().is_empty());
    assert_eq!(retired(s, &u.id).await.unwrap().len(), 2);
    // No usable method: nothing to prove, so the old code proves nothing either way; a
    // new app registered without a proof is usable at once.
    verify_existing(
        s,
        &mk,
        &u.id,
        code(&totp::code_at(&secret, NOW + 60)),
        at(NOW + 60),
    )
    .await
    .unwrap();
    let (m2, secret2) = register(s, &mk, &u, NOW + 90).await;
    assert_eq!(usable(s, &u.id).await.unwrap(), vec![m2]);
    assert!(matches!(
        verify_existing(
            s,
            &mk,
            &u.id,
            code(&totp::code_at(&secret, NOW + 120)),
            at(NOW + 120)
        )
        .await,
        Err(MethodError::WrongCode)
    ));
    assert!(matches!(
        verify_existing(s, &mk, &u.id, rec(&codes[0]), at(NOW + 120)).await,
        Err(MethodError::WrongCode)
    ));
    verify_existing(
        s,
        &mk,
        &u.id,
        code(&totp::code_at(&secret2, NOW + 150)),
        at(NOW + 150),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn the_policy_refuses_disabled_methods_and_checks_its_input() {
    let t = test_store().await;
    let (s, mk) = (&t.store, master());
    let u = user(s, "dave@example.com").await;
    let (_, secret) = register(s, &mk, &u, NOW).await;
    let off = policy::SettingChange {
        enabled: Some(false),
        ..policy::SettingChange::default()
    };
    admin::set_policy(
        s,
        policy::PolicyMethod::AuthenticatorApp,
        off,
        NOW,
        by(&Actor::System),
    )
    .await
    .unwrap();
    assert!(matches!(
        begin_totp(s, &mk, &u, NOW + 1).await,
        Err(MethodError::NotEnabled(MethodKind::Totp))
    ));
    // The registered app is no longer accepted.
    assert!(usable(s, &u.id).await.unwrap().is_empty());
    // Bad input: nothing saved.
    let before = policy::get(s).await.unwrap();
    for change in [
        policy::SettingChange {
            target: Some(policy::Target::Groups(vec!["Nope".into()])),
            ..policy::SettingChange::default()
        },
        policy::SettingChange {
            aaguids: Some(vec!["zz".into()]),
            ..policy::SettingChange::default()
        },
    ] {
        assert!(matches!(
            admin::set_policy(
                s,
                policy::PolicyMethod::Passkey,
                change,
                NOW,
                by(&Actor::System)
            )
            .await,
            Err(policy::PolicyError::Invalid(_))
        ));
    }
    assert_eq!(policy::get(s).await.unwrap(), before);
    let _ = secret;
}
