//! Passkeys and FIDO2 security keys (WebAuthn Level 2): the relying party at Sesame's
//! public URL (RP ID: its host name; origin: its scheme, host and port), registration
//! from Security info and the discoverable-credential sign-in ("Sign in with a passkey").
//!
//! - A ceremony's challenge is 32 random bytes, stored server-side as its SHA-256 for
//!   [`CEREMONY_SECS`], bound to its purpose and, for a registration, to the user;
//!   answered once (the row is deleted by the first answer, at any node).
//! - Registration accepts attestation `none` (and other formats without checking their
//!   statement); the credential id, COSE public key, counter, AAGUID and transports are
//!   stored with an [`AuthMethod`] of kind `passkey`. Adding one needs a proof from an
//!   existing method like the other kinds ([`super::Proof`]).
//! - The Authentication methods policy ([`super::policy`]) is checked at registration
//!   and at sign-in: passkeys enabled for the user, and the authenticator's AAGUID on
//!   the allow-list when there is one.
//! - Sign-in finds the passkey by its credential id (no user name), checks the user
//!   handle (the user's object id) when the browser sends one, the signature and the
//!   counter: one that does not increase is refused and logged as a possible cloned key.
//!   Failures count on the client address's second-factor throttle.
//! - The second step of a sign-in ("Use a passkey or security key", and step-up to a
//!   passkey) names the signed-in user's passkeys in `allowCredentials`; its challenge is
//!   bound to the user and to the sign-in in progress (the pending sign-in's id), and the
//!   passkey that answers must be one of that user's.
//!
//! The checks themselves are pure functions in [`verify`]; the CBOR they read is
//! [`cbor`]'s.

pub mod cbor;
pub mod verify;

use super::{check_name, user_key, verify_existing, Attempt};
use super::{check_throttle_address, failed_address, new_id, record, By, MethodError, Proof};
use crate::admin::audit::Change;
use crate::authentication::password::address;
use crate::directory::User;
use crate::model::{AuthMethod, MethodKind, PasskeyChallenge, PasskeyCredential};
use crate::store::Store;
use crate::tenant::{MasterKey, TenantError};
use serde_json::json;
pub use verify::{AssertionResponse, PasskeyError, RegistrationResponse, RelyingParty};

/// How long a ceremony can be answered, seconds.
pub const CEREMONY_SECS: i64 = 300;
/// Unanswered sign-in ceremonies one client address may have at once.
pub const CEREMONIES_PER_ADDRESS: i64 = 50;
/// What a registration's challenge is for.
const REGISTER: &str = "register";
/// What a sign-in's challenge is for.
const SIGN_IN: &str = "sign-in";
/// What the challenge of a sign-in's second step is for (followed by the pending
/// sign-in's id).
const SECOND_STEP: &str = "second-step:";

/// A ceremony begun: its id (sent back with the answer) and the options the browser's
/// `navigator.credentials.create`/`get` takes (binary values base64url).
#[derive(Debug, Clone)]
pub struct Ceremony {
    /// The ceremony's id.
    pub id: String,
    /// The `publicKey` options.
    pub options: serde_json::Value,
}

fn random_challenge() -> Result<[u8; 32], MethodError> {
    let mut c = [0u8; 32];
    aws_lc_rs::rand::fill(&mut c)
        .map_err(|_| TenantError::MasterKey("the system random generator failed".into()))?;
    Ok(c)
}

async fn issue(
    store: &Store,
    purpose: &str,
    user_id: &str,
    at: Attempt,
) -> Result<(String, [u8; 32]), MethodError> {
    let challenge = random_challenge()?;
    let c = PasskeyChallenge {
        id: new_id(),
        purpose: purpose.to_owned(),
        user_id: user_id.to_owned(),
        challenge_hash: verify::challenge_hash(&challenge),
        client: address(at.ip),
        created_at: at.now,
        expires_at: at.now + CEREMONY_SECS,
    };
    store.passkey_challenge_insert(&c).await?;
    Ok((c.id, challenge))
}

/// Takes ceremony `id` and checks that `answered` is its challenge.
async fn take(
    store: &Store,
    id: &str,
    purpose: &str,
    user_id: &str,
    answered: &[u8],
    now: i64,
) -> Result<(), MethodError> {
    let Some(hash) = store
        .passkey_challenge_take(id.trim(), purpose, user_id, now)
        .await?
    else {
        return Err(PasskeyError::Challenge.into());
    };
    let got = verify::challenge_hash(answered);
    if aws_lc_rs::constant_time::verify_slices_are_equal(got.as_bytes(), hash.as_bytes()).is_err() {
        return Err(PasskeyError::Challenge.into());
    }
    Ok(())
}

/// Refuses a passkey of authenticator model `aaguid` for user `user_id` when the
/// Authentication methods policy does not enable passkeys for them or does not allow the
/// model.
async fn check_policy(store: &Store, user_id: &str, aaguid: &str) -> Result<(), MethodError> {
    super::check_enabled(store, user_id, MethodKind::Passkey).await?;
    if super::policy::get(store).await?.aaguid_allowed(aaguid) {
        Ok(())
    } else {
        Err(MethodError::AuthenticatorNotAllowed(aaguid.to_owned()))
    }
}

// ---------------------------------------------------------------------------------------
// Registration

/// Begins the registration of a passkey for `user`: the options of
/// `navigator.credentials.create` (ES256, RS256 and EdDSA keys; a discoverable
/// credential preferred; user verification preferred; attestation `none`; the user's
/// passkeys excluded).
pub async fn begin_registration(
    store: &Store,
    rp: &RelyingParty,
    user: &User,
    at: Attempt,
) -> Result<Ceremony, MethodError> {
    super::check_enabled(store, &user.id, MethodKind::Passkey).await?;
    let exclude: Vec<serde_json::Value> = store
        .passkeys_of_user(&user.id)
        .await?
        .iter()
        .map(|c| {
            let mut d = json!({"type": "public-key", "id": c.credential_id});
            let t: Vec<&str> = c.transports.split(',').filter(|t| !t.is_empty()).collect();
            if !t.is_empty() {
                d["transports"] = json!(t);
            }
            d
        })
        .collect();
    let (id, challenge) = issue(store, REGISTER, &user.id, at).await?;
    let display = if user.display_name.is_empty() {
        user.upn.clone()
    } else {
        user.display_name.clone()
    };
    Ok(Ceremony {
        id,
        options: json!({
            "challenge": verify::b64(&challenge),
            "rp": {"id": rp.id, "name": "Sesame"},
            "user": {"id": verify::b64(user.id.as_bytes()), "name": user.upn, "displayName": display},
            "pubKeyCredParams": [
                {"type": "public-key", "alg": verify::ES256},
                {"type": "public-key", "alg": verify::EDDSA},
                {"type": "public-key", "alg": verify::RS256},
            ],
            "timeout": CEREMONY_SECS * 1000,
            "excludeCredentials": exclude,
            "authenticatorSelection": {"residentKey": "preferred", "requireResidentKey": false, "userVerification": "preferred"},
            "attestation": "none",
        }),
    })
}

/// What completes the registration of a passkey (binary values base64url, as the
/// browser's script sends them).
#[derive(Debug, Clone, Copy)]
pub struct PasskeyConfirmation<'a> {
    /// The ceremony's id.
    pub ceremony: &'a str,
    /// The name the user gives the passkey.
    pub name: &'a str,
    /// `response.clientDataJSON`.
    pub client_data_json: &'a str,
    /// `response.attestationObject`.
    pub attestation_object: &'a str,
    /// `response.getTransports()`, comma-separated.
    pub transports: &'a str,
    /// A proof from an existing method, when the user has one.
    pub proof: Proof<'a>,
    /// The browser registering, in words ('' when unknown), for the mail to the user.
    pub browser: &'a str,
}

fn field(s: &str, what: &str) -> Result<Vec<u8>, MethodError> {
    verify::unb64(s).filter(|b| !b.is_empty()).ok_or_else(|| {
        PasskeyError::ClientData(format!("{what} is missing or not base64url")).into()
    })
}

fn transports(s: &str) -> String {
    const KNOWN: [&str; 6] = ["usb", "nfc", "ble", "internal", "hybrid", "smart-card"];
    let mut out: Vec<&str> = s
        .split(',')
        .map(str::trim)
        .filter(|t| KNOWN.contains(t))
        .collect();
    out.dedup();
    out.join(",")
}

/// Completes a registration of `user`: the attestation checked against the relying
/// party and the ceremony's challenge (used up), the proof of an existing method, then
/// the passkey recorded.
#[allow(clippy::too_many_arguments)] // each is one thing the rule needs
pub async fn finish_registration(
    store: &Store,
    master: &MasterKey,
    rp: &RelyingParty,
    user: &User,
    c: PasskeyConfirmation<'_>,
    at: Attempt,
    by: By<'_>,
) -> Result<AuthMethod, MethodError> {
    let name = check_name(c.name)?;
    let r = RegistrationResponse {
        client_data_json: field(c.client_data_json, "clientDataJSON")?,
        attestation_object: field(c.attestation_object, "attestationObject")?,
    };
    let (cred, challenge) = verify::registration(rp, &r)?;
    take(store, c.ceremony, REGISTER, &user.id, &challenge, at.now).await?;
    check_policy(store, &user.id, &verify::aaguid_text(&cred.aaguid)).await?;
    verify_existing(store, master, &user.id, c.proof, at).await?;
    let m = AuthMethod {
        id: new_id(),
        user_id: user.id.clone(),
        kind: MethodKind::Passkey,
        name,
        secret_sealed: Vec::new(),
        last_step: 0,
        created_at: at.now,
        last_used_at: 0,
    };
    let pc = PasskeyCredential {
        method_id: m.id.clone(),
        user_id: user.id.clone(),
        credential_id: verify::b64(&cred.credential_id),
        public_key: cred.public_key,
        sign_count: i64::from(cred.sign_count),
        aaguid: verify::aaguid_text(&cred.aaguid),
        transports: transports(c.transports),
    };
    let from = crate::mail::security::From {
        address: at.ip.to_string(),
        browser: c.browser.to_owned(),
    };
    let notice =
        crate::mail::security::method_added(store, user, m.kind.label(), &m.name, at.now, &from)
            .await?;
    if !store.passkey_insert(&m, &pc, notice.as_ref()).await? {
        return Err(PasskeyError::AlreadyRegistered.into());
    }
    if notice.is_some() {
        crate::mail::outbox::counted();
    }
    store.lockout_clear(&user_key(&user.id)).await?;
    record(
        store,
        by,
        Change::new("user.method.add", "user", &user.id, &user.upn).after(&json!({
            "method": &m,
            "credential": &pc,
        })),
    )
    .await;
    Ok(m)
}

// ---------------------------------------------------------------------------------------
// Sign-in

/// Begins a sign-in with a passkey (a discoverable credential: no user named, empty
/// `allowCredentials`, user verification preferred). At most
/// [`CEREMONIES_PER_ADDRESS`] unanswered at once per client address.
pub async fn begin_sign_in(
    store: &Store,
    rp: &RelyingParty,
    at: Attempt,
) -> Result<Ceremony, MethodError> {
    check_throttle_address(store, at.ip, at.now).await?;
    let waiting = store
        .passkey_challenges_of_client(&address(at.ip), at.now)
        .await?;
    if waiting >= CEREMONIES_PER_ADDRESS {
        return Err(MethodError::Locked {
            retry_after: CEREMONY_SECS,
        });
    }
    let (id, challenge) = issue(store, SIGN_IN, "", at).await?;
    Ok(Ceremony {
        id,
        options: json!({
            "challenge": verify::b64(&challenge),
            "rpId": rp.id,
            "timeout": CEREMONY_SECS * 1000,
            "userVerification": "preferred",
            "allowCredentials": [],
        }),
    })
}

/// An assertion as the browser's script sends it (binary values base64url).
#[derive(Debug, Clone, Copy, Default)]
pub struct SignInAnswer<'a> {
    /// The ceremony's id.
    pub ceremony: &'a str,
    /// `rawId`.
    pub credential_id: &'a str,
    /// `response.clientDataJSON`.
    pub client_data_json: &'a str,
    /// `response.authenticatorData`.
    pub authenticator_data: &'a str,
    /// `response.signature`.
    pub signature: &'a str,
    /// `response.userHandle` ('' when none).
    pub user_handle: &'a str,
}

/// A passkey sign-in verified: the user (read from the store, enabled or not: the
/// caller refuses a disabled one as the password sign-in does) and the passkey used.
#[derive(Debug, Clone)]
pub struct PasskeySignIn {
    /// The user.
    pub user: User,
    /// The passkey's method id.
    pub method_id: String,
    /// Whether the authenticator verified the user (PIN, biometrics).
    pub user_verified: bool,
}

/// The ceremony an answer must belong to: its purpose, and the user it was issued for
/// ('' for a discoverable sign-in, which names no user).
struct Bound<'a> {
    purpose: &'a str,
    user_id: &'a str,
}

async fn verify_sign_in(
    store: &Store,
    rp: &RelyingParty,
    a: SignInAnswer<'_>,
    bound: Bound<'_>,
    now: i64,
) -> Result<PasskeySignIn, MethodError> {
    let resp = AssertionResponse {
        credential_id: field(a.credential_id, "the credential id")?,
        client_data_json: field(a.client_data_json, "clientDataJSON")?,
        authenticator_data: field(a.authenticator_data, "authenticatorData")?,
        signature: field(a.signature, "the signature")?,
        user_handle: verify::unb64(a.user_handle).unwrap_or_default(),
    };
    let challenge = verify::assertion_challenge(rp, &resp)?;
    take(
        store,
        a.ceremony,
        bound.purpose,
        bound.user_id,
        &challenge,
        now,
    )
    .await?;
    let cred = store
        .passkey_by_credential(&verify::b64(&resp.credential_id))
        .await?
        .ok_or(PasskeyError::UnknownCredential)?;
    // A second step's passkey must be the signed-in user's.
    if !bound.user_id.is_empty() && cred.user_id != bound.user_id {
        return Err(PasskeyError::UnknownCredential.into());
    }
    if !resp.user_handle.is_empty() && resp.user_handle != cred.user_id.as_bytes() {
        return Err(PasskeyError::UnknownCredential.into());
    }
    let stored = u32::try_from(cred.sign_count).unwrap_or(u32::MAX);
    let ok = match verify::assertion(rp, &resp, &cred.public_key, stored) {
        Ok(ok) => ok,
        Err(e @ PasskeyError::Counter { .. }) => {
            tracing::warn!(
                user_id = cred.user_id,
                method_id = cred.method_id,
                "passkey refused: {e} (possible cloned authenticator)"
            );
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    if !store
        .passkey_used(
            &cred.method_id,
            cred.sign_count,
            i64::from(ok.sign_count),
            now,
        )
        .await?
    {
        return Err(PasskeyError::Counter {
            stored,
            received: ok.sign_count,
        }
        .into());
    }
    let user = store
        .user_by_id(&cred.user_id)
        .await?
        .ok_or(PasskeyError::UnknownCredential)?;
    check_policy(store, &user.id, &cred.aaguid).await?;
    Ok(PasskeySignIn {
        user,
        method_id: cred.method_id,
        user_verified: ok.user_verified,
    })
}

/// Completes a sign-in with a passkey: the ceremony's challenge (used up), the passkey
/// found by its credential id, its signature and counter. Throttled per client address:
/// failures count towards the second factor's lock of the address.
pub async fn finish_sign_in(
    store: &Store,
    rp: &RelyingParty,
    a: SignInAnswer<'_>,
    at: Attempt,
) -> Result<PasskeySignIn, MethodError> {
    check_throttle_address(store, at.ip, at.now).await?;
    let bound = Bound {
        purpose: SIGN_IN,
        user_id: "",
    };
    match verify_sign_in(store, rp, a, bound, at.now).await {
        Ok(s) => Ok(s),
        Err(e @ (MethodError::Store(_) | MethodError::Key(_))) => Err(e),
        Err(e) => Err(failed_address(store, at.ip, at.now, e).await),
    }
}

// ---------------------------------------------------------------------------------------
// The second step of a sign-in

/// Begins the second step of `user_id`'s sign-in `pending` with a passkey:
/// `allowCredentials` lists the user's passkeys (with their transports), user
/// verification preferred. `None` when the user has no passkey. At most
/// [`CEREMONIES_PER_ADDRESS`] unanswered at once per client address.
pub async fn begin_second_step(
    store: &Store,
    rp: &RelyingParty,
    user_id: &str,
    pending: &str,
    at: Attempt,
) -> Result<Option<Ceremony>, MethodError> {
    check_throttle_address(store, at.ip, at.now).await?;
    let allow: Vec<serde_json::Value> = store
        .passkeys_of_user(user_id)
        .await?
        .iter()
        .map(|c| {
            let mut d = json!({"type": "public-key", "id": c.credential_id});
            let t: Vec<&str> = c.transports.split(',').filter(|t| !t.is_empty()).collect();
            if !t.is_empty() {
                d["transports"] = json!(t);
            }
            d
        })
        .collect();
    if allow.is_empty() {
        return Ok(None);
    }
    let waiting = store
        .passkey_challenges_of_client(&address(at.ip), at.now)
        .await?;
    if waiting >= CEREMONIES_PER_ADDRESS {
        return Err(MethodError::Locked {
            retry_after: CEREMONY_SECS,
        });
    }
    let purpose = format!("{SECOND_STEP}{pending}");
    let (id, challenge) = issue(store, &purpose, user_id, at).await?;
    Ok(Some(Ceremony {
        id,
        options: json!({
            "challenge": verify::b64(&challenge),
            "rpId": rp.id,
            "timeout": CEREMONY_SECS * 1000,
            "userVerification": "preferred",
            "allowCredentials": allow,
        }),
    }))
}

/// Completes the second step of `user_id`'s sign-in `pending` with a passkey: the
/// ceremony's challenge (issued for this user and this sign-in, used up), the passkey
/// one of the user's, its signature and counter. Throttled as [`finish_sign_in`].
pub async fn finish_second_step(
    store: &Store,
    rp: &RelyingParty,
    user_id: &str,
    pending: &str,
    a: SignInAnswer<'_>,
    at: Attempt,
) -> Result<PasskeySignIn, MethodError> {
    check_throttle_address(store, at.ip, at.now).await?;
    let purpose = format!("{SECOND_STEP}{pending}");
    let bound = Bound {
        purpose: &purpose,
        user_id,
    };
    match verify_sign_in(store, rp, a, bound, at.now).await {
        Ok(s) => Ok(s),
        // A store failure, or the policy's refusal of a genuine passkey, is no guess.
        Err(
            e @ (MethodError::Store(_)
            | MethodError::Key(_)
            | MethodError::NotEnabled(_)
            | MethodError::AuthenticatorNotAllowed(_)),
        ) => Err(e),
        Err(e) => Err(failed_address(store, at.ip, at.now, e).await),
    }
}

/// The AAGUID and transports of each of `user_id`'s passkeys, by method id.
pub async fn credentials(
    store: &Store,
    user_id: &str,
) -> Result<Vec<PasskeyCredential>, MethodError> {
    Ok(store.passkeys_of_user(user_id).await?)
}

#[cfg(test)]
mod tests;
