//! The password policy of new passwords (set by the user, by a reset, by an administrator
//! or the CLI; passwords already stored keep working): a minimum length (tenant setting
//! `password_min_length`, default [`DEFAULT_MIN_LENGTH`]), at most
//! [`password::MAX_LENGTH`] characters, and no banned word. Banned are the organisation's
//! own words (tenant setting `password_banned_words`, one per line), the organisation's
//! name, the user's name, and [`COMMON`]: a short list written for Sesame of the most
//! obvious passwords (not taken from a published list).

use super::password::{self, PasswordError};
use crate::store::{Store, StoreError};

/// The setting holding the minimum length.
pub const MIN_LENGTH_KEY: &str = "password_min_length";
/// The setting holding the organisation's banned words, one per line.
pub const BANNED_WORDS_KEY: &str = "password_banned_words";
/// The setting holding the organisation's name (shared with the mail room).
const ORGANIZATION_NAME_KEY: &str = "organization_name";
/// The minimum length when none is set.
pub const DEFAULT_MIN_LENGTH: usize = 12;
/// Banned words shorter than this are ignored (they would refuse too much).
const MIN_WORD: usize = 4;

/// The most obvious passwords and password stems, written for Sesame (lower case). A
/// new password is refused when it contains one of them.
pub const COMMON: &[&str] = &[
    "password",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "qwerty",
    "qwertz",
    "azerty",
    "abc123",
    "abcdef",
    "111111",
    "000000",
    "letmein",
    "welcome",
    "iloveyou",
    "admin",
    "login",
    "monkey",
    "dragon",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "master",
    "secret",
    "changeme",
    "trustno1",
    "sesame",
    "opensesame",
];

/// The policy in force.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Policy {
    /// Shortest new password accepted.
    pub min_length: usize,
    /// The organisation's banned words (lower case).
    pub banned: Vec<String>,
    /// The organisation's name, banned too ('' when unset).
    pub organization: String,
}

/// Reads the policy from the tenant settings.
pub async fn load(store: &Store) -> Result<Policy, StoreError> {
    let min_length = store
        .setting(MIN_LENGTH_KEY)
        .await?
        .and_then(|v| v.trim().parse::<usize>().ok())
        .map_or(DEFAULT_MIN_LENGTH, |n| n.clamp(1, password::MAX_LENGTH));
    let banned = parse_words(&store.setting(BANNED_WORDS_KEY).await?.unwrap_or_default());
    let organization = store
        .setting(ORGANIZATION_NAME_KEY)
        .await?
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    Ok(Policy {
        min_length,
        banned,
        organization,
    })
}

/// The banned words of a setting or form value: one per line (commas also separate),
/// trimmed, lower case, empty lines dropped.
pub fn parse_words(v: &str) -> Vec<String> {
    let mut out: Vec<String> = v
        .split(['\n', ','])
        .map(|w| w.trim().to_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    out.dedup();
    out
}

impl Policy {
    /// Checks `pw` as a new password of the user `upn`; the error says which rule failed.
    pub fn check(&self, upn: &str, pw: &str) -> Result<(), PasswordError> {
        let n = pw.chars().count();
        if n < self.min_length {
            return Err(PasswordError::Policy(format!(
                "password: too short ({n} characters); use at least {}",
                self.min_length
            )));
        }
        if n > password::MAX_LENGTH {
            return Err(PasswordError::Policy(format!(
                "password: too long ({n} characters); use at most {}",
                password::MAX_LENGTH
            )));
        }
        let lower = pw.to_lowercase();
        if let Some(w) = COMMON.iter().find(|w| lower.contains(**w)) {
            return Err(PasswordError::Policy(format!(
                "password: contains \"{w}\", one of the most common passwords; choose \
                 another, for example a few unrelated words"
            )));
        }
        let own = self
            .banned
            .iter()
            .map(String::as_str)
            .chain(std::iter::once(self.organization.as_str()))
            .filter(|w| w.chars().count() >= MIN_WORD);
        for w in own {
            if lower.contains(w) {
                return Err(PasswordError::Policy(format!(
                    "password: contains \"{w}\", a word banned by your organisation; \
                     choose another"
                )));
            }
        }
        let name = upn.split('@').next().unwrap_or("").to_lowercase();
        for part in name
            .split(['.', '_', '-'])
            .filter(|p| p.chars().count() >= MIN_WORD)
        {
            if lower.contains(part) {
                return Err(PasswordError::Policy(format!(
                    "password: contains your user name (\"{part}\"); choose another"
                )));
            }
        }
        Ok(())
    }
}

/// Longest list of banned words accepted (the check runs on every new password).
pub const MAX_BANNED_WORDS: usize = 1000;

/// Validates and stores the policy's settings (a form's values): the minimum length, 8
/// to [`password::MAX_LENGTH`], and the banned words. Returns the policy saved, or what
/// is wrong with which field.
pub async fn save(store: &Store, min_length: &str, words: &str) -> Result<Policy, SaveError> {
    let n = min_length
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (password::MIN_LENGTH..=password::MAX_LENGTH).contains(n))
        .ok_or_else(|| {
            SaveError::Invalid(format!(
                "Minimum length: {:?} is not a whole number from {} to {}; 12 is the default.",
                min_length.trim(),
                password::MIN_LENGTH,
                password::MAX_LENGTH
            ))
        })?;
    let banned = parse_words(words);
    if banned.len() > MAX_BANNED_WORDS {
        return Err(SaveError::Invalid(format!(
            "Banned words: {} words; give at most {MAX_BANNED_WORDS}.",
            banned.len()
        )));
    }
    store.set_setting(MIN_LENGTH_KEY, &n.to_string()).await?;
    store
        .set_setting(BANNED_WORDS_KEY, &banned.join("\n"))
        .await?;
    Ok(load(store).await?)
}

/// Why the policy's settings were not saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// A field's value is not accepted; the text names the field and the fix.
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks `pw` as a new password of `upn` under the tenant's policy.
pub async fn check_new_password(
    store: &Store,
    upn: &str,
    pw: &str,
) -> Result<(), super::DirectoryError> {
    load(store).await?.check(upn, pw)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            min_length: 12,
            banned: parse_words("Contoso\nwidget, \n"),
            organization: "fabrikam".into(),
        }
    }

    #[test]
    fn each_rule_says_what_failed() {
        let p = policy();
        let e = |pw: &str| p.check("b.simon@contoso.com", pw).unwrap_err().to_string();
        assert!(e("short").contains("too short (5 characters); use at least 12"));
        assert!(e("MyPassword-is-long").contains("\"password\""));
        assert!(e("Contoso-river-lamp").contains("banned by your organisation"));
        assert!(e("fabrikam river lamp").contains("\"fabrikam\""));
        assert!(e("simon river lamp 7").contains("user name"));
        assert!(e(&"x".repeat(300)).contains("too long"));
        p.check("b.simon@contoso.com", "correct horse battery")
            .unwrap();
    }

    #[test]
    fn words_are_parsed_per_line_and_comma() {
        assert_eq!(parse_words(" A\nb, c \n\n"), vec!["a", "b", "c"]);
    }
}
