//! A user's authentication methods beyond the password: registration, verification,
//! listing, renaming and removal of authenticator apps ([`totp`], RFC 6238) and recovery
//! codes ([`recovery`]), and passkeys and security keys ([`passkey`], WebAuthn). The records are
//! [`crate::model::AuthMethod`], one list per user; the edges (Security info in My Apps,
//! the user page of the admin portal, `sesame user methods`) call the functions of this
//! module and render.
//!
//! Rules kept here, whichever edge calls:
//! - a TOTP secret is sealed with the master key, bound to its user, from the moment it
//!   is generated; a registration begun is stored server-side for [`PENDING_SECS`] and
//!   confirmed once, with a first code;
//! - a code is accepted once (the last accepted time step is stored; a code of that step
//!   or an earlier one is a replay) and within one step of the clock either way;
//! - adding or removing a method needs a proof from an existing method, when the user has
//!   one ([`Proof`]); the edges also ask for a sign-in in the last
//!   [`RECENT_SIGN_IN_SECS`] ([`recent_sign_in`]);
//! - code attempts are throttled per user and per client address: after [`LOCK_AFTER`]
//!   failures the second factor (not the password) is locked for [`LOCK_SECS`];
//! - only the methods the Authentication methods policy enables for the user
//!   ([`policy`]) are registered or accepted, and a passkey only of an allowed
//!   authenticator model; methods retired by Require re-register MFA ([`admin`]) are
//!   listed and no longer accepted ([`usable`]);
//! - every change is written to the audit log.

pub mod admin;
pub mod passkey;
pub mod policy;
pub mod recovery;
pub mod totp;

use crate::admin::audit::{self, Change};
use crate::admin::Actor;
use crate::authentication::password::address;
use crate::directory::User;
use crate::model::{AuthMethod, MethodKind, PendingMethod};
use crate::store::{Store, StoreError};
use crate::tenant::{MasterKey, TenantError};
use std::net::IpAddr;

/// How long a registration begun can be confirmed, seconds.
pub const PENDING_SECS: i64 = 600;
/// How recent a sign-in must be to add or remove a method, seconds.
pub const RECENT_SIGN_IN_SECS: i64 = 600;
/// Failed code attempts (of a user, or from an address) before the second factor locks.
pub const LOCK_AFTER: i64 = 10;
/// How long the second factor stays locked, seconds.
pub const LOCK_SECS: i64 = 900;
/// An address's failure count forgets one failure every this many seconds.
pub const ADDRESS_DECAY_SECS: i64 = 60;
/// The issuer authenticator apps show next to the account.
pub const ISSUER: &str = "Sesame";
/// Longest name of a method, characters.
pub const NAME_MAX: usize = 64;

/// Why a method operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum MethodError {
    /// The typed code cannot be a code (length, characters).
    #[error("{0}")]
    BadCode(String),
    /// The code is not the current one (or the recovery code is not one of the set).
    #[error("the code is not correct; check the time of your device and try again")]
    WrongCode,
    /// The code was already used.
    #[error("this code was already used; wait for the next code of your app")]
    Replayed,
    /// Too many failed attempts: the second factor is locked.
    #[error("too many wrong codes; try again in {retry_after} seconds")]
    Locked {
        /// Seconds to wait.
        retry_after: i64,
    },
    /// The registration expired, was confirmed already, or is not this user's.
    #[error("this registration has expired or was already completed; start again")]
    RegistrationExpired,
    /// No such method for this user.
    #[error("no such authentication method")]
    NotFound,
    /// The user has a method, and no code from it was given.
    #[error("give a code from your authenticator app, or one of your recovery codes")]
    ProofRequired,
    /// The name given cannot be used.
    #[error("{0}")]
    InvalidName(String),
    /// A passkey's answer is refused.
    #[error(transparent)]
    Passkey(#[from] passkey::PasskeyError),
    /// The Authentication methods policy does not enable this kind of method for the user.
    #[error("{} is not enabled for you by your organisation's Authentication methods policy; use another method, or ask your administrator", .0.label())]
    NotEnabled(MethodKind),
    /// The Authentication methods policy does not allow this authenticator model.
    #[error("this security key or passkey provider (AAGUID {0}) is not allowed by your organisation's Authentication methods policy; use an allowed one, or ask your administrator which")]
    AuthenticatorNotAllowed(String),
    /// A secret cannot be sealed or opened.
    #[error(transparent)]
    Key(#[from] TenantError),
    /// The store could not answer.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether a session authenticated at `auth_time` may add or remove a method at `now`.
pub fn recent_sign_in(auth_time: i64, now: i64) -> bool {
    now - auth_time <= RECENT_SIGN_IN_SECS
}

/// The sealing context of user `user_id`'s TOTP secrets.
fn secret_context(user_id: &str) -> Vec<u8> {
    format!("sesame totp secret v1\0{user_id}").into_bytes()
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A name as typed: trimmed, not empty, at most [`NAME_MAX`] characters, no control
/// characters.
pub fn check_name(name: &str) -> Result<String, MethodError> {
    let n = name.trim();
    if n.is_empty() {
        return Err(MethodError::InvalidName("give the method a name".into()));
    }
    if n.chars().count() > NAME_MAX {
        return Err(MethodError::InvalidName(format!(
            "a name has at most {NAME_MAX} characters"
        )));
    }
    if n.chars().any(char::is_control) {
        return Err(MethodError::InvalidName(
            "a name cannot contain control characters".into(),
        ));
    }
    Ok(n.to_owned())
}

// ---------------------------------------------------------------------------------------
// The throttle

fn user_key(user_id: &str) -> String {
    format!("mfa:user:{user_id}")
}

fn address_key(ip: IpAddr) -> String {
    format!("mfa:ip:{}", address(ip))
}

/// Refuses while the user's or the address's second factor is locked.
async fn check_throttle(
    store: &Store,
    user_id: &str,
    ip: IpAddr,
    now: i64,
) -> Result<(), MethodError> {
    for key in [user_key(user_id), address_key(ip)] {
        let l = store.lockout_get(&key).await?;
        if l.locked_until > now {
            return Err(MethodError::Locked {
                retry_after: l.locked_until - now,
            });
        }
    }
    Ok(())
}

/// Refuses while the address's second factor is locked (a passkey sign-in, whose user
/// is not known before it succeeds).
async fn check_throttle_address(store: &Store, ip: IpAddr, now: i64) -> Result<(), MethodError> {
    let l = store.lockout_get(&address_key(ip)).await?;
    if l.locked_until > now {
        return Err(MethodError::Locked {
            retry_after: l.locked_until - now,
        });
    }
    Ok(())
}

/// Counts a failed attempt from the address (no user known); the error to answer: `err`,
/// or [`MethodError::Locked`] when this failure locks the address's second factor.
async fn failed_address(store: &Store, ip: IpAddr, now: i64, err: MethodError) -> MethodError {
    let ak = address_key(ip);
    if let Ok(f) = store
        .lockout_record_decaying(&ak, now, ADDRESS_DECAY_SECS)
        .await
    {
        if f >= LOCK_AFTER && store.lockout_lock(&ak, now + LOCK_SECS, true).await.is_ok() {
            tracing::warn!("second factor locked for an address after {LOCK_AFTER} failures");
            return MethodError::Locked {
                retry_after: LOCK_SECS,
            };
        }
    }
    err
}

/// Counts a failed attempt of the user from the address; the error to answer: `err`, or
/// [`MethodError::Locked`] when this failure locks the second factor.
async fn failed(
    store: &Store,
    user_id: &str,
    ip: IpAddr,
    now: i64,
    err: MethodError,
) -> MethodError {
    let mut locked = false;
    let uk = user_key(user_id);
    if let Ok(f) = store.lockout_record_failure(&uk, now).await {
        if f >= LOCK_AFTER && store.lockout_lock(&uk, now + LOCK_SECS, true).await.is_ok() {
            locked = true;
        }
    }
    let ak = address_key(ip);
    if let Ok(f) = store
        .lockout_record_decaying(&ak, now, ADDRESS_DECAY_SECS)
        .await
    {
        if f >= LOCK_AFTER && store.lockout_lock(&ak, now + LOCK_SECS, true).await.is_ok() {
            locked = true;
        }
    }
    if locked {
        tracing::warn!(
            user_id,
            "second factor locked after {LOCK_AFTER} failed codes"
        );
        notify_locked(store, user_id, ip, now).await;
        MethodError::Locked {
            retry_after: LOCK_SECS,
        }
    } else {
        err
    }
}

/// Mails "Your account was locked" to the user whose second factor just locked (at most
/// once an hour: `mail::security`); a failure is logged, the lock stands either way.
async fn notify_locked(store: &Store, user_id: &str, ip: IpAddr, now: i64) {
    let user = match store.user_by_id(user_id).await {
        Ok(Some(u)) => u,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(user_id, "second factor locked: no notice queued: {e}");
            return;
        }
    };
    let from = crate::mail::security::From {
        address: ip.to_string(),
        browser: String::new(),
    };
    if let Err(e) = crate::mail::security::notify_locked(
        store,
        &user,
        crate::mail::security::Locked::SecondFactor,
        now,
        now + LOCK_SECS,
        &from,
    )
    .await
    {
        tracing::warn!(user_id, "second factor locked: no notice queued: {e}");
    }
}

// ---------------------------------------------------------------------------------------
// Verification

/// A proof from one of the user's existing methods, as typed: a code of an authenticator
/// app, or a recovery code (either may be empty).
#[derive(Debug, Clone, Copy, Default)]
pub struct Proof<'a> {
    /// A code of a registered authenticator app.
    pub code: &'a str,
    /// One of the user's recovery codes.
    pub recovery_code: &'a str,
    /// The session signed in with one of the user's passkeys in the last
    /// [`RECENT_SIGN_IN_SECS`] (the edge reads it from the session): that sign-in is the
    /// proof of possession of an existing method.
    pub recent_passkey: bool,
}

/// Where and when an attempt is made: what the throttle counts.
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    /// The client address.
    pub ip: IpAddr,
    /// Unix seconds.
    pub now: i64,
}

/// Checks `proof` against the user's methods: a recent sign-in with one of their
/// passkeys, a TOTP code accepted once, or an unused recovery code, used up. With no method registered there is nothing to prove.
/// Throttled; a success clears the user's failure count.
pub async fn verify_existing(
    store: &Store,
    master: &MasterKey,
    user_id: &str,
    proof: Proof<'_>,
    at: Attempt,
) -> Result<(), MethodError> {
    let methods = usable(store, user_id).await?;
    if methods.is_empty() {
        return Ok(());
    }
    if proof.recent_passkey && methods.iter().any(|m| m.kind == MethodKind::Passkey) {
        return Ok(());
    }
    check_throttle(store, user_id, at.ip, at.now).await?;
    if !proof.code.trim().is_empty() {
        let code = totp::parse_code(proof.code).map_err(|e| MethodError::BadCode(e.to_string()))?;
        let mut replayed = false;
        for m in methods.iter().filter(|m| m.kind == MethodKind::Totp) {
            let secret = master.open_in(&secret_context(user_id), &m.secret_sealed)?;
            if let Some(step) = totp::matching_step(&secret, &code, at.now) {
                if store.method_accept_step(&m.id, step, at.now).await? {
                    store.lockout_clear(&user_key(user_id)).await?;
                    return Ok(());
                }
                replayed = true;
            }
        }
        let err = if replayed {
            MethodError::Replayed
        } else {
            MethodError::WrongCode
        };
        return Err(failed(store, user_id, at.ip, at.now, err).await);
    }
    if !proof.recovery_code.trim().is_empty() {
        let code = recovery::parse(proof.recovery_code)
            .map_err(|e| MethodError::BadCode(e.to_string()))?;
        for m in methods.iter().filter(|m| m.kind == MethodKind::Recovery) {
            let unused = store.recovery_unused(&m.id).await?;
            if let Some(h) = recovery::find(&unused, &code) {
                if store.recovery_use(&m.id, &h, at.now).await? {
                    store.lockout_clear(&user_key(user_id)).await?;
                    return Ok(());
                }
            }
        }
        return Err(failed(store, user_id, at.ip, at.now, MethodError::WrongCode).await);
    }
    Err(MethodError::ProofRequired)
}

// ---------------------------------------------------------------------------------------
// Listing, renaming, removing

/// The user's methods, oldest first.
pub async fn list(store: &Store, user_id: &str) -> Result<Vec<AuthMethod>, MethodError> {
    Ok(store.methods_of_user(user_id).await?)
}

/// The user's methods that are accepted as a second factor and as a proof: not retired
/// by Require re-register MFA, of a kind the Authentication methods policy enables for
/// the user. Oldest first.
pub async fn usable(store: &Store, user_id: &str) -> Result<Vec<AuthMethod>, MethodError> {
    let all = store.methods_of_user(user_id).await?;
    if all.is_empty() {
        return Ok(all);
    }
    let retired = store.methods_retired(user_id).await?;
    let enabled = policy::enabled_for(store, user_id).await?;
    Ok(all
        .into_iter()
        .filter(|m| enabled.allows(m.kind) && !retired.contains(&m.id))
        .collect())
}

/// Refuses when methods of `kind` are not enabled for user `user_id` by the
/// Authentication methods policy.
pub async fn check_enabled(
    store: &Store,
    user_id: &str,
    kind: MethodKind,
) -> Result<(), MethodError> {
    if policy::enabled_for(store, user_id).await?.allows(kind) {
        Ok(())
    } else {
        Err(MethodError::NotEnabled(kind))
    }
}

/// The ids of the user's methods retired by Require re-register MFA.
pub async fn retired(store: &Store, user_id: &str) -> Result<Vec<String>, MethodError> {
    Ok(store.methods_retired(user_id).await?)
}

/// Recovery codes of method `id` not used yet.
pub async fn recovery_codes_left(store: &Store, id: &str) -> Result<usize, MethodError> {
    Ok(store.recovery_unused(id).await?.len())
}

/// Who makes a change, for the audit log.
#[derive(Debug, Clone, Copy)]
pub struct By<'a> {
    /// The actor (the user themselves, an administrator, the CLI).
    pub actor: &'a Actor,
    /// The request's correlation id ('' for the CLI).
    pub correlation_id: &'a str,
}

/// The "A new sign-in method was added to your account" mail for method `m` of `user`,
/// registered from `at` with `browser`, for the store function recording `m` to queue in its
/// transaction (`None` without a mail address).
async fn added_notice(
    store: &Store,
    user: &User,
    m: &AuthMethod,
    at: Attempt,
    browser: &str,
) -> Result<Option<crate::model::OutboxMessage>, MethodError> {
    let from = crate::mail::security::From {
        address: at.ip.to_string(),
        browser: browser.to_owned(),
    };
    Ok(
        crate::mail::security::method_added(store, user, m.kind.label(), &m.name, at.now, &from)
            .await?,
    )
}

async fn record(store: &Store, by: By<'_>, change: Change) {
    let action = change.action;
    if let Err(e) = audit::record(store, by.actor, change, by.correlation_id).await {
        tracing::error!("audit log: cannot record {action}: {e}");
    }
}

/// Renames method `id` of `user`.
pub async fn rename(
    store: &Store,
    user: &User,
    id: &str,
    name: &str,
    by: By<'_>,
) -> Result<AuthMethod, MethodError> {
    let name = check_name(name)?;
    let before = store
        .method_of_user(&user.id, id)
        .await?
        .ok_or(MethodError::NotFound)?;
    if !store.method_rename(&user.id, id, &name).await? {
        return Err(MethodError::NotFound);
    }
    let after = AuthMethod {
        name,
        ..before.clone()
    };
    record(
        store,
        by,
        Change::new("user.method.rename", "user", &user.id, &user.upn)
            .before(&before)
            .after(&after),
    )
    .await;
    Ok(after)
}

/// Removes method `id` of `user` after checking `proof` (a code of any of their methods,
/// the one removed included).
pub async fn remove(
    store: &Store,
    master: &MasterKey,
    user: &User,
    id: &str,
    proof: Proof<'_>,
    at: Attempt,
    by: By<'_>,
) -> Result<AuthMethod, MethodError> {
    let m = store
        .method_of_user(&user.id, id)
        .await?
        .ok_or(MethodError::NotFound)?;
    verify_existing(store, master, &user.id, proof, at).await?;
    delete_unchecked(store, user, m, by).await
}

/// Removes method `id` of `user` without a proof: what an administrator does
/// (`sesame user methods UPN --delete ID`, the portal's user page).
pub async fn admin_delete(
    store: &Store,
    user: &User,
    id: &str,
    by: By<'_>,
) -> Result<AuthMethod, MethodError> {
    let m = store
        .method_of_user(&user.id, id)
        .await?
        .ok_or(MethodError::NotFound)?;
    delete_unchecked(store, user, m, by).await
}

async fn delete_unchecked(
    store: &Store,
    user: &User,
    m: AuthMethod,
    by: By<'_>,
) -> Result<AuthMethod, MethodError> {
    if !store.method_delete(&user.id, &m.id).await? {
        return Err(MethodError::NotFound);
    }
    record(
        store,
        by,
        Change::new("user.method.delete", "user", &user.id, &user.upn).before(&m),
    )
    .await;
    Ok(m)
}

// ---------------------------------------------------------------------------------------
// Authenticator app registration

/// A registration of an authenticator app in progress: what the page shows.
#[derive(Debug, Clone)]
pub struct TotpRegistration {
    /// The registration's id (carried by the confirmation form).
    pub pending_id: String,
    /// The secret in base32, for typing into an app by hand.
    pub secret_base32: String,
    /// The `otpauth://` URI.
    pub uri: String,
    /// The URI as a QR code, an inline SVG element.
    pub qr_svg: String,
    /// When it can no longer be confirmed (Unix seconds).
    pub expires_at: i64,
}

fn registration_view(
    user: &User,
    pending_id: &str,
    secret: &[u8],
    expires_at: i64,
) -> TotpRegistration {
    let uri = totp::otpauth_uri(ISSUER, &user.upn, secret);
    TotpRegistration {
        pending_id: pending_id.to_owned(),
        secret_base32: totp::base32(secret),
        qr_svg: totp::qr_svg(&uri).unwrap_or_default(),
        uri,
        expires_at,
    }
}

/// Begins the registration of an authenticator app for `user`: a new random secret,
/// sealed, kept for [`PENDING_SECS`].
pub async fn begin_totp(
    store: &Store,
    master: &MasterKey,
    user: &User,
    now: i64,
) -> Result<TotpRegistration, MethodError> {
    check_enabled(store, &user.id, MethodKind::Totp).await?;
    let mut secret = [0u8; totp::SECRET_LEN];
    aws_lc_rs::rand::fill(&mut secret)
        .map_err(|_| TenantError::MasterKey("the system random generator failed".into()))?;
    let p = PendingMethod {
        id: new_id(),
        user_id: user.id.clone(),
        kind: MethodKind::Totp,
        secret_sealed: master.seal_in(&secret_context(&user.id), &secret)?,
        created_at: now,
        expires_at: now + PENDING_SECS,
    };
    store.pending_method_insert(&p).await?;
    Ok(registration_view(user, &p.id, &secret, p.expires_at))
}

/// The registration `pending_id` of `user` again (to show its page once more).
pub async fn totp_registration(
    store: &Store,
    master: &MasterKey,
    user: &User,
    pending_id: &str,
    now: i64,
) -> Result<TotpRegistration, MethodError> {
    let p = store
        .pending_method(&user.id, pending_id, now)
        .await?
        .ok_or(MethodError::RegistrationExpired)?;
    let secret = master.open_in(&secret_context(&user.id), &p.secret_sealed)?;
    Ok(registration_view(user, &p.id, &secret, p.expires_at))
}

/// What confirms the registration of an authenticator app.
#[derive(Debug, Clone, Copy)]
pub struct TotpConfirmation<'a> {
    /// The registration's id.
    pub pending_id: &'a str,
    /// The name the user gives the app.
    pub name: &'a str,
    /// The first code of the new app.
    pub code: &'a str,
    /// A proof from an existing method, when the user has one.
    pub proof: Proof<'a>,
    /// The browser registering, in words ('' when unknown), for the mail to the user.
    pub browser: &'a str,
}

/// Confirms registration `c.pending_id` of `user` with the app's first code (within one
/// step of `at.now`): the method is recorded, with that step as its last accepted one,
/// and the registration is used up.
pub async fn confirm_totp(
    store: &Store,
    master: &MasterKey,
    user: &User,
    c: TotpConfirmation<'_>,
    at: Attempt,
    by: By<'_>,
) -> Result<AuthMethod, MethodError> {
    let name = check_name(c.name)?;
    check_enabled(store, &user.id, MethodKind::Totp).await?;
    let code = totp::parse_code(c.code).map_err(|e| MethodError::BadCode(e.to_string()))?;
    let p = store
        .pending_method(&user.id, c.pending_id, at.now)
        .await?
        .ok_or(MethodError::RegistrationExpired)?;
    check_throttle(store, &user.id, at.ip, at.now).await?;
    // The new app's code first, so that a mistyped one does not use up the proof.
    let secret = master.open_in(&secret_context(&user.id), &p.secret_sealed)?;
    let Some(step) = totp::matching_step(&secret, &code, at.now) else {
        return Err(failed(store, &user.id, at.ip, at.now, MethodError::WrongCode).await);
    };
    verify_existing(store, master, &user.id, c.proof, at).await?;
    let m = AuthMethod {
        id: new_id(),
        user_id: user.id.clone(),
        kind: MethodKind::Totp,
        name,
        secret_sealed: p.secret_sealed,
        last_step: step,
        created_at: at.now,
        last_used_at: at.now,
    };
    let notice = added_notice(store, user, &m, at, c.browser).await?;
    if !store
        .pending_method_confirm(c.pending_id, &m, at.now, notice.as_ref())
        .await?
    {
        return Err(MethodError::RegistrationExpired);
    }
    if notice.is_some() {
        crate::mail::outbox::counted();
    }
    store.lockout_clear(&user_key(&user.id)).await?;
    record(
        store,
        by,
        Change::new("user.method.add", "user", &user.id, &user.upn).after(&m),
    )
    .await;
    Ok(m)
}

// ---------------------------------------------------------------------------------------
// Recovery codes

/// Generates a new set of recovery codes for `user` (after checking `proof` when the user
/// has a method), replacing any earlier set, and returns the codes: the only time they
/// are seen. `browser` (in words, '' when unknown) goes into the mail to the user.
pub async fn regenerate_recovery(
    store: &Store,
    master: &MasterKey,
    user: &User,
    proof: Proof<'_>,
    at: Attempt,
    by: By<'_>,
    browser: &str,
) -> Result<Vec<String>, MethodError> {
    check_enabled(store, &user.id, MethodKind::Recovery).await?;
    verify_existing(store, master, &user.id, proof, at).await?;
    let codes = recovery::generate()
        .ok_or_else(|| TenantError::MasterKey("the system random generator failed".into()))?;
    let hashes: Vec<String> = codes.iter().map(|c| recovery::hash(c)).collect();
    let before = store
        .methods_of_user(&user.id)
        .await?
        .into_iter()
        .find(|m| m.kind == MethodKind::Recovery);
    let m = AuthMethod {
        id: new_id(),
        user_id: user.id.clone(),
        kind: MethodKind::Recovery,
        name: MethodKind::Recovery.label().to_owned(),
        secret_sealed: Vec::new(),
        last_step: 0,
        created_at: at.now,
        last_used_at: 0,
    };
    let notice = added_notice(store, user, &m, at, browser).await?;
    store.recovery_replace(&m, &hashes, notice.as_ref()).await?;
    if notice.is_some() {
        crate::mail::outbox::counted();
    }
    let mut change = Change::new(
        if before.is_some() {
            "user.method.recovery.regenerate"
        } else {
            "user.method.add"
        },
        "user",
        &user.id,
        &user.upn,
    )
    .after(&m);
    if let Some(b) = &before {
        change = change.before(b);
    }
    record(store, by, change).await;
    Ok(codes)
}

#[cfg(test)]
mod tests;
