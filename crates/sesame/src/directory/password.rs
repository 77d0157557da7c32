//! Passwords: Argon2id with OWASP's parameters (m = 19456 KiB, t = 2, p = 1).
//!
//! Hashing and verifying take about 20 ms of CPU each (blocking): call them from
//! `tokio::task::spawn_blocking` on async paths.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;
use thiserror::Error;

/// Shortest password accepted.
pub const MIN_LENGTH: usize = 8;
/// Longest password accepted (bounds the hashing work an attacker can ask for).
pub const MAX_LENGTH: usize = 256;

/// Password errors.
#[derive(Debug, Error)]
pub enum PasswordError {
    /// The password does not meet the policy.
    #[error("{0}")]
    Policy(String),
    /// Hashing failed (the system random generator or the hasher).
    #[error("password hashing failed: {0}")]
    Hash(String),
}

fn argon2() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(19_456, 2, 1, None)
        .map_err(|e| PasswordError::Hash(format!("Argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Checks the password policy: 8 to 256 characters.
pub fn check_policy(pw: &str) -> Result<(), PasswordError> {
    let n = pw.chars().count();
    if n < MIN_LENGTH {
        return Err(PasswordError::Policy(format!(
            "password: too short ({n} characters); use at least {MIN_LENGTH}"
        )));
    }
    if n > MAX_LENGTH {
        return Err(PasswordError::Policy(format!(
            "password: too long ({n} characters); use at most {MAX_LENGTH}"
        )));
    }
    Ok(())
}

/// Hashes `pw` (PHC string, Argon2id, random 16-byte salt). Blocking, ~20 ms.
pub fn hash_password(pw: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt)
        .map_err(|_| PasswordError::Hash("the system random generator failed".into()))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hash(format!("salt: {e}")))?;
    argon2()?
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `pw` matches the PHC `hash`. False for a malformed hash. Blocking, ~20 ms.
pub fn verify_password(hash: &str, pw: &str) -> bool {
    if pw.len() > MAX_LENGTH * 4 {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    // The parameters come from the PHC string itself; Argon2::default() only supplies
    // the algorithm table.
    Argon2::default()
        .verify_password(pw.as_bytes(), &parsed)
        .is_ok()
}

static DUMMY: OnceLock<Option<String>> = OnceLock::new();

/// Spends the same time as [`verify_password`] against a real hash, and returns false:
/// call it for unknown users so timing does not tell whether a user exists.
pub fn verify_against_dummy(pw: &str) -> bool {
    let dummy = DUMMY.get_or_init(|| hash_password("sesame-dummy-password-never-valid").ok());
    if let Some(h) = dummy {
        let _ = verify_password(h, pw);
    }
    false
}

/// A random 20-character password (letters and digits, ~119 bits), for generated
/// initial passwords.
pub fn generate_password() -> Result<String, PasswordError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut out = String::with_capacity(20);
    while out.len() < 20 {
        let mut buf = [0u8; 32];
        aws_lc_rs::rand::fill(&mut buf)
            .map_err(|_| PasswordError::Hash("the system random generator failed".into()))?;
        for b in buf {
            // Rejection sampling keeps the distribution uniform.
            let limit = 256 - (256 % ALPHABET.len());
            if usize::from(b) < limit && out.len() < 20 {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(&h, "correct horse"));
        assert!(!verify_password(&h, "wrong horse"));
        assert!(!verify_password("not a hash", "x"));
        assert!(!verify_against_dummy("anything"));
    }

    #[test]
    fn policy_and_generation() {
        assert!(check_policy("short").is_err());
        assert!(check_policy("long enough").is_ok());
        let p = generate_password().unwrap();
        assert_eq!(p.len(), 20);
        assert!(check_policy(&p).is_ok());
        assert_ne!(p, generate_password().unwrap());
    }
}
