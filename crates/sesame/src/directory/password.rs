//! Passwords: Argon2id with OWASP's parameters (m = 19456 KiB, t = 2, p = 1).
//!
//! Hashing and verifying take about 20 ms of CPU each (blocking): call them from
//! `tokio::task::spawn_blocking` on async paths.
//!
//! Memory: each hash needs m KiB of working blocks (19 MiB by default). They are
//! allocated so that the memory goes back to the system as soon as the hash is done
//! ([`argon2_into`]), and at most one hash per core runs at a time ([`Slots`]), so a burst
//! of sign-ins costs at most `cores × m` while it lasts and nothing after it.

use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
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

/// Largest memory cost accepted from a stored hash (256 MiB): bounds what one verification
/// of an imported or corrupted hash can allocate.
const MAX_M_COST_KIB: u32 = 256 * 1024;

/// Working blocks are allocated with at least this many (1 KiB each: just over 32 MiB).
///
/// glibc serves an allocation above its mmap threshold with its own mapping and unmaps it
/// on free, but after such a free it raises the threshold to the freed size, up to 32 MiB,
/// and its trim threshold to twice that: the next 19 MiB of blocks then come from a malloc
/// arena, and every arena keeps up to 38 MiB of freed memory from then on (seen: 181 MiB
/// resident after 30 sign-ins). A capacity above 32 MiB is always mapped, never moves the
/// thresholds, and costs nothing beyond the blocks used: untouched pages of a mapping are
/// not resident.
const MAPPED_BLOCKS: usize = 32 * 1024 + 1;

/// Runs Argon2 into `out` with freshly mapped working memory (see [`MAPPED_BLOCKS`]),
/// holding one of the [`Slots`] while it runs.
fn argon2_into(a: &Argon2<'_>, pw: &[u8], salt: &[u8], out: &mut [u8]) -> argon2::Result<()> {
    let _slot = Slots::global().acquire();
    let count = a.params().block_count();
    let mut blocks: Vec<Block> = Vec::new();
    blocks
        .try_reserve_exact(count.max(MAPPED_BLOCKS))
        .map_err(|_| argon2::Error::MemoryTooMuch)?;
    blocks.resize(count, Block::default());
    a.hash_password_into_with_memory(pw, salt, out, &mut blocks)
}

/// At most one Argon2 computation per core at a time: the work is CPU-bound, so more at
/// once only holds more memory (19 MiB each) without finishing sooner.
struct Slots {
    free: Mutex<usize>,
    released: Condvar,
}

struct Slot<'a>(&'a Slots);

impl Slots {
    fn global() -> &'static Slots {
        static SLOTS: OnceLock<Slots> = OnceLock::new();
        SLOTS.get_or_init(|| Slots {
            free: Mutex::new(std::thread::available_parallelism().map_or(2, |n| n.get())),
            released: Condvar::new(),
        })
    }

    fn acquire(&self) -> Slot<'_> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.released.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(|p| p.into_inner());
        *free += 1;
        self.0.released.notify_one();
    }
}

/// Password checks of sign-ins that may wait for a free core, beyond one running per
/// core: past that many, [`admit`] refuses at once (the sign-in answers 503 with
/// Retry-After) rather than letting the wait grow towards the request timeout. At about
/// 20 ms per check, a full queue is served in well under a second.
pub const QUEUE_PER_CORE: usize = 4;

/// Password checks of sign-ins admitted and not finished (running or waiting).
static ADMITTED: AtomicUsize = AtomicUsize::new(0);

/// A sign-in's place among the password checks ([`admit`]); dropping it frees the place.
#[derive(Debug)]
pub struct Admission(&'static AtomicUsize);

impl Drop for Admission {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How many password checks of sign-ins may be admitted at once: one running per core and
/// [`QUEUE_PER_CORE`] waiting per core.
pub fn admission_limit() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    cores * (1 + QUEUE_PER_CORE)
}

/// A place for one sign-in's password check, or `None` when [`admission_limit`] checks
/// are already running or waiting. Hold it while the check runs.
pub fn admit() -> Option<Admission> {
    admit_within(&ADMITTED, admission_limit())
}

/// Like [`admit`], for a sign-in from a familiar place (a browser known for the user, a
/// trusted location): one more place per core, so a flood from elsewhere that fills the
/// queue does not turn the user away.
pub fn admit_familiar() -> Option<Admission> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    admit_within(&ADMITTED, admission_limit() + cores)
}

fn admit_within(counter: &'static AtomicUsize, limit: usize) -> Option<Admission> {
    counter
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < limit).then_some(n + 1)
        })
        .ok()
        .map(|_| Admission(counter))
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
    let a = argon2()?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&a, pw.as_bytes(), &salt, &mut out)
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hash(format!("salt: {e}")))?;
    let hash =
        argon2::password_hash::Output::new(&out).map_err(|e| PasswordError::Hash(e.to_string()))?;
    let params = argon2::password_hash::ParamsString::try_from(a.params())
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params,
        salt: Some(salt.as_salt()),
        hash: Some(hash),
    }
    .to_string())
}

/// Whether `pw` matches the PHC `hash` (Argon2id, Argon2i or Argon2d, with the parameters
/// the string names). False for a malformed hash, or one asking for more than 256 MiB.
/// Blocking, ~20 ms.
pub fn verify_password(hash: &str, pw: &str) -> bool {
    if pw.len() > MAX_LENGTH * 4 {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    if params.m_cost() > MAX_M_COST_KIB {
        return false;
    }
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    argon2_into(
        &Argon2::new(algorithm, version, params),
        pw.as_bytes(),
        salt,
        &mut out,
    )
    .is_ok()
        && aws_lc_rs::constant_time::verify_slices_are_equal(&out, expected.as_bytes()).is_ok()
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
    fn same_hashes_as_the_argon2_crate() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // Ours verifies by the crate's verifier, and the crate's hashes (also Argon2i/d,
        // other parameters, no version field) by ours.
        let ours = hash_password("correct horse").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
        for (alg, m, t) in [
            (Algorithm::Argon2id, 19_456, 2),
            (Algorithm::Argon2i, 4096, 3),
            (Algorithm::Argon2d, 8, 1),
        ] {
            let params = Params::new(m, t, 1, None).unwrap();
            let theirs = Argon2::new(alg, Version::V0x13, params)
                .hash_password(
                    b"pw-12345678",
                    &SaltString::from_b64("c2FsdHNhbHRzYWx0").unwrap(),
                )
                .unwrap()
                .to_string();
            assert!(verify_password(&theirs, "pw-12345678"), "{theirs}");
            assert!(!verify_password(&theirs, "pw-12345679"), "{theirs}");
            let unversioned = theirs.replace("$v=19", "");
            assert!(
                verify_password(&unversioned, "pw-12345678"),
                "{unversioned}"
            );
        }
        // Too much memory asked for by a stored hash: refused without trying.
        assert!(!verify_password(
            "$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
            "password"
        ));
        assert!(!verify_password(
            "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ",
            "password"
        ));
    }

    #[test]
    fn admission_is_bounded_and_freed_on_drop() {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let held: Vec<_> = (0..3).filter_map(|_| admit_within(&COUNTER, 3)).collect();
        assert_eq!(held.len(), 3);
        assert!(
            admit_within(&COUNTER, 3).is_none(),
            "a fourth place is refused"
        );
        drop(held);
        assert!(
            admit_within(&COUNTER, 3).is_some(),
            "places are freed on drop"
        );
        assert!(admission_limit() >= 5);
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
