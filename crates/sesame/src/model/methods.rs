//! A user's authentication methods as stored: one list per user, each method of a kind
//! (authenticator app, recovery codes; passkeys later), with its name, when it was
//! created and last used, and what it needs to be checked (a TOTP secret sealed with the
//! master key, the hashes of the recovery codes). Registration, verification and removal
//! live in `crate::methods`.

use serde::Serialize;

/// The kind of an authentication method, as stored (`kind` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MethodKind {
    /// An authenticator app: RFC 6238 time-based one-time codes.
    Totp,
    /// A set of one-time recovery codes.
    Recovery,
    /// A passkey or FIDO2 security key (WebAuthn).
    Passkey,
}

impl MethodKind {
    /// The stored name: `totp`, `recovery`, `passkey`.
    pub fn as_str(self) -> &'static str {
        match self {
            MethodKind::Totp => "totp",
            MethodKind::Recovery => "recovery",
            MethodKind::Passkey => "passkey",
        }
    }

    /// The kind of a stored name.
    pub fn parse(s: &str) -> Option<MethodKind> {
        match s {
            "totp" => Some(MethodKind::Totp),
            "recovery" => Some(MethodKind::Recovery),
            "passkey" => Some(MethodKind::Passkey),
            _ => None,
        }
    }

    /// What a person calls it: `Authenticator app`, `Recovery codes`, `Passkey`.
    pub fn label(self) -> &'static str {
        match self {
            MethodKind::Totp => "Authenticator app",
            MethodKind::Recovery => "Recovery codes",
            MethodKind::Passkey => "Passkey",
        }
    }
}

/// One authentication method of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthMethod {
    /// Its id (UUID).
    pub id: String,
    /// The user's object id.
    pub user_id: String,
    /// Its kind.
    pub kind: MethodKind,
    /// The name the user gave it.
    pub name: String,
    /// The TOTP secret sealed with the master key (empty for other kinds). Never
    /// serialised: the audit log and `--json` never carry it.
    #[serde(skip)]
    pub secret_sealed: Vec<u8>,
    /// The last accepted TOTP time step (0: none yet): a code of this step or an earlier
    /// one is refused, so a code is accepted once only.
    #[serde(skip)]
    pub last_step: i64,
    /// When it was registered (Unix seconds).
    pub created_at: i64,
    /// When it was last used to verify (Unix seconds; 0: never).
    pub last_used_at: i64,
}

/// A registration begun and not yet confirmed: the secret the user's app is shown,
/// sealed, for a few minutes, used once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMethod {
    /// Its id (random, in the confirmation form).
    pub id: String,
    /// The user registering.
    pub user_id: String,
    /// The kind being registered.
    pub kind: MethodKind,
    /// The secret, sealed with the master key.
    pub secret_sealed: Vec<u8>,
    /// When it began (Unix seconds).
    pub created_at: i64,
    /// When it can no longer be confirmed (Unix seconds).
    pub expires_at: i64,
}

/// The credential of a passkey (an [`AuthMethod`] of kind [`MethodKind::Passkey`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PasskeyCredential {
    /// The method it belongs to.
    pub method_id: String,
    /// The user's object id.
    pub user_id: String,
    /// The credential id, base64url without padding.
    pub credential_id: String,
    /// The COSE public key as registered. Not serialised.
    #[serde(skip)]
    pub public_key: Vec<u8>,
    /// The last signature counter accepted.
    pub sign_count: i64,
    /// The authenticator's AAGUID (8-4-4-4-12 hex).
    pub aaguid: String,
    /// The transports the browser reported, comma-separated.
    pub transports: String,
}

/// A WebAuthn challenge issued and not yet answered, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyChallenge {
    /// Its id (given to the browser with the challenge).
    pub id: String,
    /// `register` or `sign-in`.
    pub purpose: String,
    /// The user registering ('' for a sign-in).
    pub user_id: String,
    /// SHA-256 of the challenge, hex.
    pub challenge_hash: String,
    /// The client address that asked.
    pub client: String,
    /// When it was issued (Unix seconds).
    pub created_at: i64,
    /// When it can no longer be answered (Unix seconds).
    pub expires_at: i64,
}
