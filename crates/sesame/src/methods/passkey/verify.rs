//! WebAuthn Level 2 relying-party checks as pure functions (no store, no clock, no
//! randomness): the client data (`clientDataJSON`), the authenticator data, the
//! attestation object of a registration (format `none` checked; other formats accepted
//! without checking their statement), COSE public keys (ES256, RS256, EdDSA) and the
//! assertion signature with its counter.

use super::cbor::{self, Value};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;

/// COSE algorithm ES256 (ECDSA P-256, SHA-256).
pub const ES256: i64 = -7;
/// COSE algorithm EdDSA (Ed25519).
pub const EDDSA: i64 = -8;
/// COSE algorithm RS256 (RSASSA-PKCS1-v1_5, SHA-256).
pub const RS256: i64 = -257;

/// Flag: user present.
pub const FLAG_UP: u8 = 0x01;
/// Flag: user verified.
pub const FLAG_UV: u8 = 0x04;
/// Flag: attested credential data included.
pub const FLAG_AT: u8 = 0x40;
/// Flag: extension data included.
pub const FLAG_ED: u8 = 0x80;

/// The longest credential id accepted, bytes (WebAuthn: 1023).
pub const CREDENTIAL_ID_MAX: usize = 1023;

/// Why a WebAuthn response is refused. Each has its code (`SESAME900120`–`SESAME900133`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasskeyError {
    /// `clientDataJSON` is not what a browser sends.
    #[error("the browser's client data cannot be read: {0}")]
    ClientData(String),
    /// The challenge is unknown, expired, already used or not this ceremony's.
    #[error("this passkey request has expired or was already used; start again")]
    Challenge,
    /// The origin is not Sesame's public URL (or the ceremony ran in a cross-origin frame).
    #[error("the passkey was used on another site ({0}); passkeys of Sesame work only at its public URL")]
    Origin(String),
    /// The authenticator data is for another relying party.
    #[error(
        "the passkey answered for another site (RP ID hash does not match Sesame's host name)"
    )]
    RpId,
    /// The authenticator did not assert user presence.
    #[error("the security key did not confirm that a person is present (touch it when it blinks)")]
    UserNotPresent,
    /// The authenticator data is malformed.
    #[error("the authenticator data cannot be read: {0}")]
    AuthenticatorData(String),
    /// The attestation object is malformed.
    #[error("the attestation object cannot be read: {0}")]
    Attestation(String),
    /// The public key is not one Sesame can check.
    #[error("the passkey's public key is not supported: {0}")]
    UnsupportedKey(String),
    /// The signature does not verify.
    #[error("the passkey's signature is not valid")]
    Signature,
    /// The signature counter did not increase: the key may have been copied.
    #[error("the security key's signature counter went from {stored} to {received}: the key may have been cloned; it is refused")]
    Counter {
        /// The counter stored.
        stored: u32,
        /// The counter received.
        received: u32,
    },
    /// No registered passkey has this credential id (or its user handle is not its user).
    #[error("this passkey is not registered with Sesame (it may have been removed)")]
    UnknownCredential,
    /// The credential is registered already.
    #[error("this passkey or security key is already registered")]
    AlreadyRegistered,
    /// The public URL's host is an IP address: no RP ID.
    #[error("passkeys need Sesame's public URL to have a host name, not an IP address ({0})")]
    NoHostName(String),
}

fn b64url(s: &str) -> Option<Vec<u8>> {
    B64URL.decode(s.trim_end_matches('=')).ok()
}

fn sha256(b: &[u8]) -> [u8; 32] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// The relying party: Sesame at its public URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// The RP ID: the public URL's host name.
    pub id: String,
    /// The origin browsers report: scheme, host and port of the public URL.
    pub origin: String,
}

impl RelyingParty {
    /// The relying party of public URL `url` (`https://sso.contoso.com[:port][/path]`);
    /// refused when its host is an IP address (browsers accept no IP as an RP ID).
    pub fn from_public_url(url: &str) -> Result<RelyingParty, PasskeyError> {
        let bad = || PasskeyError::NoHostName(url.to_owned());
        let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = if authority.starts_with('[') {
            return Err(bad());
        } else {
            authority.split(':').next().unwrap_or_default()
        };
        if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() {
            return Err(bad());
        }
        Ok(RelyingParty {
            id: host.to_ascii_lowercase(),
            origin: format!(
                "{}://{}",
                scheme.to_ascii_lowercase(),
                authority.to_ascii_lowercase()
            ),
        })
    }
}

/// `clientDataJSON` as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientData {
    /// The challenge, decoded.
    pub challenge: Vec<u8>,
}

/// Checks `clientDataJSON` of a ceremony of type `kind` (`webauthn.create`,
/// `webauthn.get`): its type, its origin (the RP's), not cross-origin; returns the
/// challenge for the caller to compare with the one it stored.
pub fn client_data(rp: &RelyingParty, json: &[u8], kind: &str) -> Result<ClientData, PasskeyError> {
    let bad = |m: &str| PasskeyError::ClientData(m.to_owned());
    let v: serde_json::Value = serde_json::from_slice(json).map_err(|_| bad("not JSON"))?;
    let t = v
        .get("type")
        .and_then(|t| t.as_str())
        .ok_or_else(|| bad("no type"))?;
    if t != kind {
        return Err(bad(&format!("type is {t:?}, expected {kind:?}")));
    }
    let challenge = v
        .get("challenge")
        .and_then(|c| c.as_str())
        .and_then(b64url)
        .ok_or_else(|| bad("no challenge"))?;
    let origin = v
        .get("origin")
        .and_then(|o| o.as_str())
        .ok_or_else(|| bad("no origin"))?;
    if origin != rp.origin {
        return Err(PasskeyError::Origin(origin.chars().take(200).collect()));
    }
    if v.get("crossOrigin").and_then(|c| c.as_bool()) == Some(true) {
        return Err(PasskeyError::Origin(format!(
            "{origin} in a frame of another site"
        )));
    }
    Ok(ClientData { challenge })
}

/// The attested credential of a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestedCredential {
    /// The authenticator's model (16 bytes).
    pub aaguid: [u8; 16],
    /// The credential id.
    pub credential_id: Vec<u8>,
    /// The public key, COSE_Key as received.
    pub public_key: Vec<u8>,
}

/// Authenticator data as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthData {
    /// SHA-256 of the RP ID the authenticator answered for.
    pub rp_id_hash: [u8; 32],
    /// The flags byte.
    pub flags: u8,
    /// The signature counter.
    pub sign_count: u32,
    /// The attested credential (registrations).
    pub attested: Option<AttestedCredential>,
}

impl AuthData {
    /// Whether the user was verified (PIN, biometrics).
    pub fn user_verified(&self) -> bool {
        self.flags & FLAG_UV != 0
    }
}

/// Reads authenticator data.
pub fn auth_data(b: &[u8]) -> Result<AuthData, PasskeyError> {
    let bad = |m: &str| PasskeyError::AuthenticatorData(m.to_owned());
    if b.len() < 37 {
        return Err(bad("shorter than 37 bytes"));
    }
    let mut rp_id_hash = [0u8; 32];
    rp_id_hash.copy_from_slice(&b[..32]);
    let flags = b[32];
    let sign_count = u32::from_be_bytes([b[33], b[34], b[35], b[36]]);
    let mut rest = &b[37..];
    let attested = if flags & FLAG_AT != 0 {
        if rest.len() < 18 {
            return Err(bad("the attested credential data is cut short"));
        }
        let mut aaguid = [0u8; 16];
        aaguid.copy_from_slice(&rest[..16]);
        let n = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
        if n == 0 || n > CREDENTIAL_ID_MAX {
            return Err(bad("the credential id length is out of range"));
        }
        let id = rest
            .get(18..18 + n)
            .ok_or_else(|| bad("the credential id is cut short"))?;
        rest = &rest[18 + n..];
        let (_, used) = cbor::decode_prefix(rest).map_err(|e| bad(&e.to_string()))?;
        let public_key = rest[..used].to_vec();
        rest = &rest[used..];
        Some(AttestedCredential {
            aaguid,
            credential_id: id.to_vec(),
            public_key,
        })
    } else {
        None
    };
    if flags & FLAG_ED != 0 {
        let (_, used) = cbor::decode_prefix(rest).map_err(|e| bad(&e.to_string()))?;
        rest = &rest[used..];
    }
    if !rest.is_empty() {
        return Err(bad("unexpected bytes at the end"));
    }
    Ok(AuthData {
        rp_id_hash,
        flags,
        sign_count,
        attested,
    })
}

fn check_rp_and_presence(rp: &RelyingParty, d: &AuthData) -> Result<(), PasskeyError> {
    let want = sha256(rp.id.as_bytes());
    if aws_lc_rs::constant_time::verify_slices_are_equal(&want, &d.rp_id_hash).is_err() {
        return Err(PasskeyError::RpId);
    }
    if d.flags & FLAG_UP == 0 {
        return Err(PasskeyError::UserNotPresent);
    }
    Ok(())
}

/// A COSE public key Sesame can verify with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// ES256: the uncompressed point (0x04 ‖ x ‖ y).
    Es256(Vec<u8>),
    /// RS256: modulus and exponent.
    Rs256 {
        /// Modulus.
        n: Vec<u8>,
        /// Public exponent.
        e: Vec<u8>,
    },
    /// EdDSA (Ed25519): the 32-byte key.
    Ed25519(Vec<u8>),
}

impl PublicKey {
    /// The key of a COSE_Key.
    pub fn from_cose(cose: &[u8]) -> Result<PublicKey, PasskeyError> {
        let bad = |m: &str| PasskeyError::UnsupportedKey(m.to_owned());
        let k = cbor::decode(cose).map_err(|e| bad(&e.to_string()))?;
        let kty = k
            .get_int(1)
            .and_then(Value::as_int)
            .ok_or_else(|| bad("no key type"))?;
        let alg = k
            .get_int(3)
            .and_then(Value::as_int)
            .ok_or_else(|| bad("no algorithm"))?;
        let bytes = |label: i128| k.get_int(label).and_then(Value::as_bytes);
        match (kty, alg) {
            (2, a) if a == i128::from(ES256) => {
                if k.get_int(-1).and_then(Value::as_int) != Some(1) {
                    return Err(bad("ES256 key not on curve P-256"));
                }
                let (Some(x), Some(y)) = (bytes(-2), bytes(-3)) else {
                    return Err(bad("ES256 key without coordinates"));
                };
                if x.len() != 32 || y.len() != 32 {
                    return Err(bad("ES256 coordinates are not 32 bytes"));
                }
                let mut p = Vec::with_capacity(65);
                p.push(4);
                p.extend_from_slice(x);
                p.extend_from_slice(y);
                Ok(PublicKey::Es256(p))
            }
            (3, a) if a == i128::from(RS256) => {
                let (Some(n), Some(e)) = (bytes(-1), bytes(-2)) else {
                    return Err(bad("RS256 key without modulus or exponent"));
                };
                if n.len() < 256 {
                    return Err(bad("RSA key shorter than 2048 bits"));
                }
                Ok(PublicKey::Rs256 {
                    n: n.to_vec(),
                    e: e.to_vec(),
                })
            }
            (1, a) if a == i128::from(EDDSA) => {
                if k.get_int(-1).and_then(Value::as_int) != Some(6) {
                    return Err(bad("EdDSA key not Ed25519"));
                }
                let x = bytes(-2).ok_or_else(|| bad("Ed25519 key without x"))?;
                if x.len() != 32 {
                    return Err(bad("Ed25519 key is not 32 bytes"));
                }
                Ok(PublicKey::Ed25519(x.to_vec()))
            }
            (kty, alg) => Err(bad(&format!("key type {kty}, algorithm {alg}"))),
        }
    }

    /// Whether `sig` is this key's signature of `msg`.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        use aws_lc_rs::signature::{self as s, UnparsedPublicKey};
        match self {
            PublicKey::Es256(p) => UnparsedPublicKey::new(&s::ECDSA_P256_SHA256_ASN1, p)
                .verify(msg, sig)
                .is_ok(),
            PublicKey::Rs256 { n, e } => s::RsaPublicKeyComponents { n, e }
                .verify(&s::RSA_PKCS1_2048_8192_SHA256, msg, sig)
                .is_ok(),
            PublicKey::Ed25519(p) => UnparsedPublicKey::new(&s::ED25519, p)
                .verify(msg, sig)
                .is_ok(),
        }
    }
}

/// A registration's response as the browser sends it (each field base64url).
#[derive(Debug, Clone, Default)]
pub struct RegistrationResponse {
    /// `response.clientDataJSON`.
    pub client_data_json: Vec<u8>,
    /// `response.attestationObject`.
    pub attestation_object: Vec<u8>,
}

/// A credential a registration proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredential {
    /// The credential id.
    pub credential_id: Vec<u8>,
    /// The COSE public key.
    pub public_key: Vec<u8>,
    /// The counter at registration.
    pub sign_count: u32,
    /// The authenticator's AAGUID.
    pub aaguid: [u8; 16],
    /// Whether the user was verified.
    pub user_verified: bool,
    /// The attestation format (`none`, `packed`, …).
    pub fmt: String,
}

/// Checks a registration against the relying party; returns the credential and the
/// challenge it answered (the caller compares it with the one it stored).
pub fn registration(
    rp: &RelyingParty,
    r: &RegistrationResponse,
) -> Result<(NewCredential, Vec<u8>), PasskeyError> {
    let cd = client_data(rp, &r.client_data_json, "webauthn.create")?;
    let bad = |m: &str| PasskeyError::Attestation(m.to_owned());
    let att = cbor::decode(&r.attestation_object).map_err(|e| bad(&e.to_string()))?;
    let fmt = att
        .get_text("fmt")
        .and_then(Value::as_text)
        .ok_or_else(|| bad("no fmt"))?;
    let stmt = att.get_text("attStmt").ok_or_else(|| bad("no attStmt"))?;
    if fmt == "none" && stmt != &Value::Map(Vec::new()) {
        return Err(bad("fmt none with a statement"));
    }
    let ad = att
        .get_text("authData")
        .and_then(Value::as_bytes)
        .ok_or_else(|| bad("no authData"))?;
    let d = auth_data(ad)?;
    check_rp_and_presence(rp, &d)?;
    let Some(c) = d.attested.clone() else {
        return Err(PasskeyError::AuthenticatorData(
            "no attested credential in a registration".into(),
        ));
    };
    PublicKey::from_cose(&c.public_key)?;
    Ok((
        NewCredential {
            credential_id: c.credential_id,
            public_key: c.public_key,
            sign_count: d.sign_count,
            aaguid: c.aaguid,
            user_verified: d.user_verified(),
            fmt: fmt.to_owned(),
        },
        cd.challenge,
    ))
}

/// An assertion's response as the browser sends it.
#[derive(Debug, Clone, Default)]
pub struct AssertionResponse {
    /// The credential id (`rawId`).
    pub credential_id: Vec<u8>,
    /// `response.clientDataJSON`.
    pub client_data_json: Vec<u8>,
    /// `response.authenticatorData`.
    pub authenticator_data: Vec<u8>,
    /// `response.signature`.
    pub signature: Vec<u8>,
    /// `response.userHandle` (empty when none).
    pub user_handle: Vec<u8>,
}

/// What a verified assertion tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asserted {
    /// The counter to store.
    pub sign_count: u32,
    /// Whether the user was verified.
    pub user_verified: bool,
}

/// The challenge an assertion answers (checked before the key is looked up: type and
/// origin first).
pub fn assertion_challenge(
    rp: &RelyingParty,
    a: &AssertionResponse,
) -> Result<Vec<u8>, PasskeyError> {
    Ok(client_data(rp, &a.client_data_json, "webauthn.get")?.challenge)
}

/// Checks an assertion with the stored key and counter: RP ID hash, user presence, the
/// signature over authenticatorData ‖ SHA-256(clientDataJSON), and a counter that
/// increases when either counter is non-zero.
pub fn assertion(
    rp: &RelyingParty,
    a: &AssertionResponse,
    cose_key: &[u8],
    stored_count: u32,
) -> Result<Asserted, PasskeyError> {
    client_data(rp, &a.client_data_json, "webauthn.get")?;
    let d = auth_data(&a.authenticator_data)?;
    check_rp_and_presence(rp, &d)?;
    let key = PublicKey::from_cose(cose_key)?;
    let mut msg = a.authenticator_data.clone();
    msg.extend_from_slice(&sha256(&a.client_data_json));
    if !key.verify(&msg, &a.signature) {
        return Err(PasskeyError::Signature);
    }
    if (d.sign_count != 0 || stored_count != 0) && d.sign_count <= stored_count {
        return Err(PasskeyError::Counter {
            stored: stored_count,
            received: d.sign_count,
        });
    }
    Ok(Asserted {
        sign_count: d.sign_count,
        user_verified: d.user_verified(),
    })
}

/// An AAGUID as text (`8-4-4-4-12` hex, like a UUID).
pub fn aaguid_text(a: &[u8; 16]) -> String {
    uuid::Uuid::from_bytes(*a).hyphenated().to_string()
}

/// SHA-256 of a challenge, hex: what the store keeps.
pub fn challenge_hash(challenge: &[u8]) -> String {
    let mut s = String::with_capacity(64);
    crate::ids::push_hex(&mut s, &sha256(challenge));
    s
}

/// Base64url without padding.
pub fn b64(b: &[u8]) -> String {
    B64URL.encode(b)
}

/// Decodes base64url (padding tolerated); `None` when it is not base64url.
pub fn unb64(s: &str) -> Option<Vec<u8>> {
    b64url(s.trim())
}
