//! The password policy of new passwords (set by the user, by a reset, by an administrator
//! or the CLI; passwords already stored keep working): a minimum length (tenant setting
//! `password_min_length`, default [`DEFAULT_MIN_LENGTH`]), at most
//! [`password::MAX_LENGTH`] characters, and no banned word. Banned are the organisation's
//! own words (tenant setting `password_banned_words`, one per line), the organisation's
//! name, the user's name, and the most common passwords: Openwall's published
//! `password.lst` (3546 entries, public domain, in `password.lst` beside this file) and
//! Sesame's own name, matched by [`common_match`].

use super::password::{self, PasswordError};
use crate::store::{Store, StoreError};
use std::collections::HashSet;
use std::sync::LazyLock;

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

/// The published list of common passwords shipped in the binary: Openwall's
/// `password.lst` (John the Ripper, compiled by Solar Designer 1996–2011, public domain;
/// its `#!comment` header, kept verbatim in the file, is that statement).
const PUBLISHED_LIST: &str = include_str!("password.lst");

/// Entries of the list this long or longer are refused inside a password when they make
/// up half of it or more; shorter ones only as the whole password. A passphrase of
/// ordinary words ("orange copper summer") passes although each word is an entry.
pub const MIN_CONTAINED: usize = 6;

/// Sesame's own words, refused anywhere inside a password (lower case).
const PRODUCT_WORDS: &[&str] = &["sesame"];

/// The published list, lower case, parsed once.
fn common_list() -> &'static HashSet<String> {
    static LIST: LazyLock<HashSet<String>> = LazyLock::new(|| parse_list(PUBLISHED_LIST));
    &LIST
}

/// The entries of the list at least [`MIN_CONTAINED`] characters long, parsed once.
fn contained_entries() -> &'static [String] {
    static LONG: LazyLock<Vec<String>> = LazyLock::new(|| {
        let mut v: Vec<String> = common_list()
            .iter()
            .filter(|w| w.chars().count() >= MIN_CONTAINED)
            .cloned()
            .collect();
        v.sort();
        v
    });
    &LONG
}

/// The entries of a list in `password.lst`'s format: one per line, `#!comment` lines
/// skipped, lower case, empty lines dropped.
fn parse_list(text: &str) -> HashSet<String> {
    text.lines()
        .filter(|l| !l.starts_with("#!comment"))
        .map(|l| l.trim().to_lowercase())
        .filter(|l| !l.is_empty())
        .collect()
}

/// How many distinct entries (lower case) the published list holds.
pub fn common_list_len() -> usize {
    common_list().len()
}

/// Why a password matched the list of common passwords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommonMatch {
    /// The whole password is this entry, once lower-cased, with common substitutions
    /// undone and trailing digits and symbols removed.
    Is(String),
    /// This entry (of [`MIN_CONTAINED`] characters or more) makes up half of the
    /// password or more, or the password contains one of Sesame's own words.
    Contains(String),
}

/// The forms of a password compared with the list: lower case as typed, with trailing
/// digits and symbols removed, with the common substitutions undone (`@`→a, `0`→o,
/// `1`→i or l, `3`→e, `4`→a, `5`→s, `$`→s, `7`→t), and both.
fn forms(pw: &str) -> Vec<String> {
    let lower = pw.to_lowercase();
    let strip = |s: &str| s.trim_end_matches(|c: char| !c.is_alphabetic()).to_string();
    let undo = |s: &str, one: char| {
        s.chars()
            .map(|c| match c {
                '@' | '4' => 'a',
                '0' => 'o',
                '1' => one,
                '3' => 'e',
                '5' | '$' => 's',
                '7' => 't',
                c => c,
            })
            .collect::<String>()
    };
    let stripped = strip(&lower);
    let mut out = vec![lower.clone(), stripped.clone()];
    for one in ['i', 'l'] {
        let undone = undo(&lower, one);
        out.push(strip(&undone));
        out.push(undone);
        out.push(undo(&stripped, one));
    }
    out.retain(|f| !f.is_empty());
    out.sort();
    out.dedup();
    out
}

/// Matches `pw` against the published list of common passwords and Sesame's own words:
/// refused when one of its [`forms`] equals an entry, or contains an entry of
/// [`MIN_CONTAINED`] characters or more that makes up half of that form or more, or
/// contains one of Sesame's own words.
pub fn common_match(pw: &str) -> Option<CommonMatch> {
    let forms = forms(pw);
    let list = common_list();
    if let Some(f) = forms.iter().find(|f| list.contains(f.as_str())) {
        return Some(CommonMatch::Is(f.clone()));
    }
    for w in contained_entries() {
        let n = w.chars().count();
        if forms
            .iter()
            .any(|f| 2 * n >= f.chars().count() && f.contains(w.as_str()))
        {
            return Some(CommonMatch::Contains(w.clone()));
        }
    }
    PRODUCT_WORDS
        .iter()
        .find(|w| forms.iter().any(|f| f.contains(*w)))
        .map(|w| CommonMatch::Contains((*w).to_string()))
}

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
        match common_match(pw) {
            Some(CommonMatch::Is(w)) => {
                return Err(PasswordError::Policy(format!(
                    "password: is \"{w}\", one of the most common passwords (once lower-cased, \
                     with digits or symbols at the end removed and letters written as digits or \
                     symbols read back); choose another, for example a few unrelated words"
                )));
            }
            Some(CommonMatch::Contains(w)) => {
                return Err(PasswordError::Policy(format!(
                    "password: contains \"{w}\", one of the most common passwords; choose \
                     another, for example a few unrelated words"
                )));
            }
            None => {}
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
        assert!(e("MyPassword-42!").contains("\"password\""));
        assert!(e("Contoso-river-lamp").contains("banned by your organisation"));
        assert!(e("fabrikam river lamp").contains("\"fabrikam\""));
        assert!(e("simon river lamp 7").contains("user name"));
        assert!(e(&"x".repeat(300)).contains("too long"));
        p.check("b.simon@contoso.com", "correct horse battery")
            .unwrap();
    }

    #[test]
    fn the_published_list_is_shipped_whole() {
        let entries = PUBLISHED_LIST
            .lines()
            .filter(|l| !l.starts_with("#!comment"))
            .count();
        // Its header counts the empty password as one of its 3546 entries.
        assert_eq!(entries, 3546);
        assert!(PUBLISHED_LIST.starts_with(
            "#!comment: This list has been compiled by Solar Designer of Openwall Project"
        ));
        assert!(common_list_len() > 3000);
        assert!(common_list().contains("password"));
    }

    #[test]
    fn common_passwords_are_refused_in_their_usual_disguises() {
        let is = |pw: &str, w: &str| {
            assert_eq!(common_match(pw), Some(CommonMatch::Is(w.into())), "{pw}")
        };
        is("Password123!", "password");
        is("P@ssw0rd2024", "password");
        is("qwertyuiop12", "qwertyuiop");
        is("iloveyou1234", "iloveyou");
        is("TRUSTNO1", "trustno1");
        is("5unsh1ne!!", "sunshine");
        assert_eq!(
            common_match("my-password-99"),
            Some(CommonMatch::Contains("password".into()))
        );
        assert_eq!(
            common_match("open sesame river"),
            Some(CommonMatch::Contains("sesame".into()))
        );
        let p = policy();
        let e = |pw: &str| p.check("b.simon@contoso.com", pw).unwrap_err().to_string();
        assert!(e("Password123!").contains("is \"password\", one of the most common"));
    }

    #[test]
    fn passphrases_are_accepted() {
        for pw in [
            "Quiet-Lantern-42",
            "correct horse battery staple",
            "Harbour-Lamp-42",
            "Amber-River-42",
            "Correct-Horse-42",
            "Demo-Pass-e2e-2026",
            "orange copper summer",
            "my-password-is-long-enough",
        ] {
            assert_eq!(common_match(pw), None, "{pw}");
            policy().check("b.simon@contoso.com", pw).unwrap();
        }
    }

    #[test]
    fn words_are_parsed_per_line_and_comma() {
        assert_eq!(parse_words(" A\nb, c \n\n"), vec!["a", "b", "c"]);
    }
}
