//! Recovery codes: ten one-time codes of ten characters from an alphabet without look-alike
//! characters (no 0 or O, 1 or I), shown once as `XXXXX-XXXXX` and stored as SHA-256 hashes.
//!
//! Each code carries 50 random bits from the system generator: nobody can guess one in
//! the attempts the second-factor throttle allows, nor search a stolen hash back to its
//! code, so a fast hash is enough here; Argon2id is for what people choose (passwords),
//! not for random values of this size.

use aws_lc_rs::digest;

/// Codes in a set.
pub const COUNT: usize = 10;
/// Characters of a code (without its separator).
pub const LEN: usize = 10;
/// The alphabet: 32 characters, so one random byte's low five bits pick one without bias.
const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// Why a typed recovery code cannot be one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a recovery code is {LEN} letters and digits, like ABCDE-23456 (found {0})")]
pub struct BadRecoveryCode(pub String);

/// A new set of [`COUNT`] codes, formatted `XXXXX-XXXXX`; `None` when the system random
/// generator fails.
pub fn generate() -> Option<Vec<String>> {
    let mut bytes = [0u8; COUNT * LEN];
    aws_lc_rs::rand::fill(&mut bytes).ok()?;
    Some(
        bytes
            .chunks(LEN)
            .map(|chunk| {
                let mut s = String::with_capacity(LEN + 1);
                for (i, b) in chunk.iter().enumerate() {
                    if i == LEN / 2 {
                        s.push('-');
                    }
                    s.push(char::from(ALPHABET[usize::from(b & 31)]));
                }
                s
            })
            .collect(),
    )
}

/// The code as typed, normalised: separators and spaces dropped, upper case, and only
/// characters of the alphabet.
pub fn parse(typed: &str) -> Result<String, BadRecoveryCode> {
    let c: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if c.is_empty() {
        return Err(BadRecoveryCode("nothing".into()));
    }
    if !c.bytes().all(|b| ALPHABET.contains(&b)) {
        return Err(BadRecoveryCode(
            "characters that recovery codes do not use".into(),
        ));
    }
    if c.len() != LEN {
        return Err(BadRecoveryCode(format!("{} characters", c.len())));
    }
    Ok(c)
}

/// The stored form of a code (as generated or typed): SHA-256 of its normalised form, hex.
pub fn hash(code: &str) -> String {
    let norm: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    hex::encode(digest::digest(&digest::SHA256, norm.as_bytes()))
}

/// The stored hash among `unused` that `code` (parsed) matches, each compared in
/// constant time.
pub fn find(unused: &[String], code: &str) -> Option<String> {
    let h = hash(code);
    let mut found = None;
    for u in unused {
        if aws_lc_rs::constant_time::verify_slices_are_equal(u.as_bytes(), h.as_bytes()).is_ok()
            && found.is_none()
        {
            found = Some(u.clone());
        }
    }
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ten_distinct_codes_of_the_alphabet() {
        let codes = generate().unwrap();
        assert_eq!(codes.len(), COUNT);
        let set: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(set.len(), COUNT);
        for c in &codes {
            assert_eq!(c.len(), LEN + 1);
            assert_eq!(&c[5..6], "-");
            assert_eq!(parse(c).unwrap().len(), LEN);
        }
    }

    #[test]
    fn typed_codes_are_normalised_and_checked() {
        assert_eq!(parse(" abcde-23456 ").unwrap(), "ABCDE23456");
        assert!(parse("ABCDE-2345").is_err());
        assert!(parse("ABCDE-O2345").is_err()); // O is not in the alphabet
        assert!(parse("").is_err());
        let unused = vec![hash("ABCDE-23456"), hash("FGHJK-78923")];
        assert_eq!(find(&unused, "abcde23456"), Some(unused[0].clone()));
        assert_eq!(find(&unused, "ABCDE-23457"), None);
    }
}
