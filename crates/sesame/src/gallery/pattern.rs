//! URL patterns of gallery templates: literal text with placeholders written as the
//! vendors' documents write them (`https://portal.convene.me.uk/saml/acs/<UID>`,
//! `https://<SUBDOMAIN>.imagencloud.com/sp-entityid`).
//!
//! The syntax and what a placeholder matches are those of `gallery/README.md`
//! ("Placeholders"): `<NAME>` with NAME `[A-Za-z][A-Za-z0-9_. -]{0,63}`; in the authority
//! of a `scheme://` pattern a placeholder stands for dot-separated DNS labels, in the path
//! for one segment (no `/`, `?`, `#`), in the query for one value (no `&`, `#`). A pattern
//! without placeholders matches only itself.
//!
//! Matching is anchored at both ends; the scheme and authority compare
//! ASCII-case-insensitively (as [`crate::model::app::reply_urls_match`] does),
//! everything else byte for byte, with no other normalisation.

use std::fmt;

/// Longest placeholder name.
const MAX_NAME: usize = 64;
/// Longest pattern.
pub const MAX_PATTERN: usize = 256;

/// Where a placeholder sits, which decides what it may stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// DNS labels separated by dots.
    Host,
    /// One path segment.
    Path,
    /// One query value.
    Query,
}

fn common_refused(b: u8) -> bool {
    b.is_ascii_whitespace() || b.is_ascii_control() || b"<>\"\\".contains(&b)
}

impl Class {
    fn allows(self, b: u8) -> bool {
        match self {
            Class::Host => b.is_ascii_alphanumeric() || b == b'-' || b == b'.',
            Class::Path => !common_refused(b) && !b"/?#".contains(&b),
            Class::Query => !common_refused(b) && !b"&#".contains(&b),
        }
    }

    /// Whether a whole captured span is acceptable (host: no empty label).
    fn accepts(self, span: &[u8]) -> bool {
        match self {
            Class::Host => span.split(|b| *b == b'.').all(|l| !l.is_empty()),
            Class::Path | Class::Query => !span.is_empty(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Literal text (lowercased when it lies in the scheme or authority).
    Lit(String),
    /// A placeholder.
    Hole { name: String, class: Class },
}

/// A parsed URL pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    parts: Vec<Part>,
    /// The pattern starts with `scheme://`: the value's scheme and authority are folded.
    fold: bool,
}

/// Why a pattern does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PatternError {}

/// The length of `scheme://` at the start of `s`, when it starts with one.
fn scheme_len(s: &str) -> Option<usize> {
    let i = s.find("://")?;
    let scheme = &s[..i];
    let mut b = scheme.bytes();
    let ok = b.next().is_some_and(|c| c.is_ascii_alphabetic())
        && b.all(|c| c.is_ascii_alphanumeric() || b"+.-".contains(&c));
    ok.then_some(i + 3)
}

/// The end of the authority (byte offset) of a value starting with `scheme://`.
fn value_authority_end(s: &str) -> Option<usize> {
    let after = scheme_len(s)?;
    Some(
        s[after..]
            .find(['/', '?', '#'])
            .map_or(s.len(), |i| after + i),
    )
}

impl Pattern {
    /// Parses `text` (see the module documentation).
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        let err = |m: String| Err(PatternError(format!("pattern {text:?}: {m}")));
        if text.is_empty() {
            return err("is empty".into());
        }
        if text.len() > MAX_PATTERN {
            return err(format!("is longer than {MAX_PATTERN} characters"));
        }
        // Whitespace is refused outside placeholders only (names may hold spaces).
        let scheme = scheme_len(text);
        let mut parts: Vec<Part> = Vec::new();
        let mut lit = String::new();
        // Position state over the literal text: 0 scheme, 1 authority, 2 path, 3 query.
        let mut state = if scheme.is_some() { 0u8 } else { 2u8 };
        let mut pos = 0usize;
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if state == 0 && scheme.is_some_and(|e| pos >= e) {
                state = 1;
            }
            if c == '<' {
                let Some(close) = rest.find('>') else {
                    return err(format!(
                        "the placeholder at byte {pos} is not closed with >"
                    ));
                };
                let name = &rest[1..close];
                let valid = name.len() <= MAX_NAME
                    && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
                    && !name.ends_with(' ')
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_. -".contains(&b));
                if !valid {
                    return err(format!(
                        "placeholder <{name}>: a name is a letter then up to 63 letters, digits, _, ., - or spaces"
                    ));
                }
                if state == 0 {
                    return err(format!("placeholder <{name}> is in the scheme"));
                }
                if lit.is_empty() && matches!(parts.last(), Some(Part::Hole { .. })) {
                    return err(format!(
                        "placeholder <{name}> follows another one with nothing between them"
                    ));
                }
                if !lit.is_empty() {
                    parts.push(Part::Lit(std::mem::take(&mut lit)));
                }
                let class = match state {
                    1 => Class::Host,
                    2 => Class::Path,
                    _ => Class::Query,
                };
                parts.push(Part::Hole {
                    name: name.to_owned(),
                    class,
                });
                pos += close + 1;
                rest = &rest[close + 1..];
                continue;
            }
            if c == '>' {
                return err(format!("stray > at byte {pos}"));
            }
            if c.is_whitespace() || c.is_control() {
                return err("contains spaces or control characters".into());
            }
            match (state, c) {
                (1, '/') => state = 2,
                (1, '?') | (2, '?') => state = 3,
                _ => {}
            }
            if c == '#' {
                return err("has a fragment (#)".into());
            }
            // Scheme and authority literals compare case-insensitively.
            let folded = if state <= 1 {
                c.to_ascii_lowercase()
            } else {
                c
            };
            lit.push(folded);
            pos += c.len_utf8();
            rest = &rest[c.len_utf8()..];
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Pattern {
            text: text.to_owned(),
            parts,
            fold: scheme.is_some(),
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern has no placeholder (it matches only itself).
    pub fn is_literal(&self) -> bool {
        self.placeholders().next().is_none()
    }

    /// The placeholder names, in order.
    pub fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Hole { name, .. } => Some(name.as_str()),
            Part::Lit(_) => None,
        })
    }

    /// The pattern with every placeholder replaced by a plausible value (`contoso` in
    /// the host, `a1b2c3` elsewhere).
    pub fn sample(&self) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Lit(text) => text.as_str(),
                Part::Hole {
                    class: Class::Host, ..
                } => "contoso",
                Part::Hole { .. } => "a1b2c3",
            })
            .collect()
    }

    /// Whether `value` fits the pattern.
    pub fn matches(&self, value: &str) -> bool {
        self.captures(value).is_some()
    }

    /// What each placeholder stands for in `value`, when it fits.
    pub fn captures<'v>(&self, value: &'v str) -> Option<Vec<(&str, &'v str)>> {
        let folded: String = match value_authority_end(value) {
            Some(end) if self.fold => {
                let mut s = value[..end].to_ascii_lowercase();
                s.push_str(&value[end..]);
                s
            }
            _ => value.to_owned(),
        };
        let mut caps: Vec<(usize, usize)> = Vec::new();
        let mut budget = 100_000u32;
        if !match_from(&self.parts, folded.as_bytes(), 0, &mut caps, &mut budget) {
            return None;
        }
        // ASCII lowercasing keeps byte offsets, so the spans index `value` too.
        Some(
            self.placeholders()
                .zip(caps)
                .map(|(n, (a, b))| (n, value.get(a..b).unwrap_or("")))
                .collect(),
        )
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Backtracking match of `parts` against `s[at..]`, recording placeholder spans.
/// `budget` bounds the work (a value is at most a few KiB and patterns have a few
/// placeholders, so it is never reached by real values).
fn match_from(
    parts: &[Part],
    s: &[u8],
    at: usize,
    caps: &mut Vec<(usize, usize)>,
    budget: &mut u32,
) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    let Some((first, rest)) = parts.split_first() else {
        return at == s.len();
    };
    match first {
        Part::Lit(text) => {
            let t = text.as_bytes();
            s.get(at..at + t.len()) == Some(t) && match_from(rest, s, at + t.len(), caps, budget)
        }
        Part::Hole { class, .. } => {
            let mut end = at;
            while end < s.len() && class.allows(s[end]) {
                end += 1;
            }
            while end > at {
                if class.accepts(&s[at..end]) {
                    caps.push((at, end));
                    if match_from(rest, s, end, caps, budget) {
                        return true;
                    }
                    caps.pop();
                }
                end -= 1;
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convene_reply_url() {
        let p = Pattern::parse("https://portal.convene.me.uk/saml/acs/<UID>").unwrap();
        assert_eq!(p.placeholders().collect::<Vec<_>>(), ["UID"]);
        assert!(p.matches("https://portal.convene.me.uk/saml/acs/8c1f2e"));
        assert!(p.matches("https://PORTAL.convene.me.uk/saml/acs/8c1f2e"));
        assert!(p.matches("HTTPS://Portal.Convene.ME.uk/saml/acs/8c1f2e"));
        assert!(!p.matches("https://portal.convene.me.uk/SAML/acs/8c1f2e"));
        assert!(!p.matches("https://portal.convene.me.uk/saml/acs/"));
        assert!(!p.matches("https://portal.convene.me.uk/saml/acs/a/b"));
        assert!(!p.matches("https://portal.convene.me.uk/saml/acs/a?x=1"));
        assert!(!p.matches("https://portal.convene.me.uk.evil.example/saml/acs/1"));
        assert!(!p.matches("http://portal.convene.me.uk/saml/acs/a"));
        assert!(!p.matches("https://x"));
        assert_eq!(
            p.captures("https://portal.convene.me.uk/saml/acs/Ab-9"),
            Some(vec![("UID", "Ab-9")])
        );
    }

    #[test]
    fn host_placeholders_are_dns_labels() {
        let p = Pattern::parse("https://<SUBDOMAIN>.imagencloud.com/sp-entityid").unwrap();
        assert!(p.matches("https://acme.imagencloud.com/sp-entityid"));
        assert!(p.matches("https://ACME.imagencloud.com/sp-entityid"));
        assert!(p.matches("https://eu.acme.imagencloud.com/sp-entityid"));
        assert!(!p.matches("https://.imagencloud.com/sp-entityid"));
        assert!(!p.matches("https://a..b.imagencloud.com/sp-entityid"));
        assert!(!p.matches("https://evil.example/x.imagencloud.com/sp-entityid"));
        assert!(!p.matches("https://evil.example?.imagencloud.com/sp-entityid"));
        assert!(!p.matches("https://user@acme.imagencloud.com/sp-entityid"));
        let c = Pattern::parse("https://<CUSTOMERNAME>.s.cequence.cloud").unwrap();
        assert!(c.matches("https://acme.s.cequence.cloud"));
        assert!(!c.matches("https://evil.example@acme.s.cequence.cloud"));
        assert!(!c.matches("https://evil.example:8443.s.cequence.cloud"));
        let c =
            Pattern::parse("https://<CUSTOMERNAME>.s.cequence.cloud:443/saml/metadata").unwrap();
        assert!(c.matches("https://acme.s.cequence.cloud:443/saml/metadata"));
        assert!(!c.matches("https://acme.s.cequence.cloud/saml/metadata"));
        let w = Pattern::parse("https://<customername>.my.webex.com").unwrap();
        assert!(w.matches("https://acme.my.webex.com"));
        assert!(!w.matches("https://acme.my.webex.com.evil.example"));
        assert!(!w.matches("https://acme.my.webex.com/"));
    }

    #[test]
    fn query_and_literal_patterns() {
        let q = Pattern::parse("https://sso.online.tableau.com/public/sp/SSO?alias=<entity id>")
            .unwrap();
        assert!(
            q.matches("https://sso.online.tableau.com/public/sp/SSO?alias=https://x.example/a?b")
        );
        assert!(!q.matches("https://sso.online.tableau.com/public/sp/SSO?alias=a&b=c"));
        let l = Pattern::parse("https://www.dropbox.com/saml_login").unwrap();
        assert!(l.is_literal());
        assert!(l.matches("https://www.dropbox.com/saml_login"));
        assert!(l.matches("https://WWW.dropbox.com/saml_login"));
        assert!(!l.matches("https://www.dropbox.com/saml_login/"));
        let n = Pattern::parse("<companyname>.zoom.us").unwrap();
        assert!(n.matches("acme.zoom.us"));
        assert!(!n.matches("ACME.ZOOM.US"));
        let u = Pattern::parse("urn:amazon:cognito:sp:<POOL ID>").unwrap();
        assert!(u.matches("urn:amazon:cognito:sp:us-east-1_rlgU6e3y5"));
        assert!(!u.matches("urn:amazon:cognito:sp:a/b"));
    }

    #[test]
    fn bad_patterns() {
        for bad in [
            "",
            "https://x.example/<UID",
            "https://x.example/<1UID>",
            "https://x.example/<UID >",
            "https://x.example/<>",
            "https://x.example/<A><B>",
            "https://x.example/a>b/<C>",
            "https://x.example/<A>#frag",
            "https://x.example/a b/<A>",
        ] {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
        let long = format!("https://x.example/{}", "a".repeat(MAX_PATTERN));
        assert!(Pattern::parse(&long).is_err());
        assert!(Pattern::parse(
            "https://x.example/<DOMAIN NAME>/<sys_id of the sso configuration>"
        )
        .is_ok());
    }
}
