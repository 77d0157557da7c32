//! Conditional Access records: named locations (CIDR ranges, IPv4 and IPv6, optionally
//! trusted) and policies in Entra's vocabulary (Assignments, Target resources,
//! Conditions, Grant, Session, state), with the strict CIDR parser and the parsers of the
//! words administrators type (`block`, `mfa`, `4h`, `report-only`…). Their evaluation
//! lives in `crate::access`.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// A network, `ADDRESS/BITS`, parsed strictly: the prefix length is required and the
/// address has no bits set past it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    bits: u8,
}

impl Cidr {
    /// Parses `ADDRESS/BITS` (`10.0.0.0/8`, `2001:db8::/32`); the error says what is wrong.
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let Some((ip, bits)) = s.split_once('/') else {
            return Err(format!(
                "\"{s}\" is not a CIDR range: give an address and a prefix length, like 203.0.113.0/24 or 2001:db8::/32"
            ));
        };
        let addr: IpAddr = ip
            .parse()
            .map_err(|_| format!("\"{s}\" is not a CIDR range: \"{ip}\" is not an IP address"))?;
        let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
        let bits = bits
            .parse::<u8>()
            .ok()
            .filter(|b| *b <= max && !bits.starts_with('+'))
            .ok_or_else(|| {
                format!("\"{s}\" is not a CIDR range: the prefix length must be 0 to {max}")
            })?;
        let c = Cidr { addr, bits };
        if c.network() != addr {
            return Err(format!(
                "\"{s}\" is not a CIDR range: the address has bits set past /{bits}; did you mean {}/{bits}?",
                c.network()
            ));
        }
        Ok(c)
    }

    fn network(&self) -> IpAddr {
        match self.addr {
            IpAddr::V4(a) => IpAddr::V4((u32::from(a) & mask32(self.bits)).into()),
            IpAddr::V6(a) => IpAddr::V6((u128::from(a) & mask128(self.bits)).into()),
        }
    }

    /// Whether `ip` is in this range (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                u32::from(n) & mask32(self.bits) == u32::from(a) & mask32(self.bits)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                u128::from(n) & mask128(self.bits) == u128::from(a) & mask128(self.bits)
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.bits)
    }
}

fn mask32(bits: u8) -> u32 {
    if bits == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(bits))
    }
}

fn mask128(bits: u8) -> u128 {
    if bits == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(bits))
    }
}

/// A named location: a list of CIDR ranges, optionally marked trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedLocation {
    /// Its id (UUID).
    pub id: String,
    /// Its name, unique.
    pub name: String,
    /// Its ranges, as normalised text (`203.0.113.0/24`).
    pub ranges: Vec<String>,
    /// Marked trusted.
    pub trusted: bool,
    /// When it was created (Unix seconds).
    pub created_at: i64,
}

impl NamedLocation {
    /// Whether `ip` is in one of its ranges (a stored range that no longer parses matches
    /// nothing).
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.ranges
            .iter()
            .filter_map(|r| Cidr::parse(r).ok())
            .any(|c| c.contains(ip))
    }
}

/// What a policy grants when it applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GrantControl {
    /// Block access.
    Block,
    /// Require multifactor authentication.
    Mfa,
    /// Require phishing-resistant MFA (a passkey).
    PhishingResistant,
}

impl GrantControl {
    /// The word of the CLI and of the stored policy: `block`, `mfa`, `phishing-resistant`.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantControl::Block => "block",
            GrantControl::Mfa => "mfa",
            GrantControl::PhishingResistant => "phishing-resistant",
        }
    }

    /// Parses the word of [`GrantControl::as_str`].
    pub fn parse(s: &str) -> Option<GrantControl> {
        match s.trim().to_ascii_lowercase().as_str() {
            "block" => Some(GrantControl::Block),
            "mfa" => Some(GrantControl::Mfa),
            "phishing-resistant" => Some(GrantControl::PhishingResistant),
            _ => None,
        }
    }

    /// Entra's label: `Block access`, `Require multifactor authentication`, …
    pub fn label(self) -> &'static str {
        match self {
            GrantControl::Block => "Block access",
            GrantControl::Mfa => "Require multifactor authentication",
            GrantControl::PhishingResistant => "Require phishing-resistant MFA",
        }
    }
}

/// Whether a policy is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyState {
    /// Enforced.
    On,
    /// Not evaluated.
    Off,
    /// Evaluated and reported in the sign-in log, never enforced.
    ReportOnly,
}

impl PolicyState {
    /// `on`, `off`, `report-only`.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyState::On => "on",
            PolicyState::Off => "off",
            PolicyState::ReportOnly => "report-only",
        }
    }

    /// Parses the word of [`PolicyState::as_str`].
    pub fn parse(s: &str) -> Option<PolicyState> {
        match s.trim().to_ascii_lowercase().as_str() {
            "on" => Some(PolicyState::On),
            "off" => Some(PolicyState::Off),
            "report-only" => Some(PolicyState::ReportOnly),
            _ => None,
        }
    }
}

/// Session control: how long a second factor done once satisfies the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignInFrequency {
    /// Only a factor done during this very sign-in.
    EveryTime,
    /// A factor done in the last this many seconds.
    Seconds(i64),
}

impl Default for SignInFrequency {
    fn default() -> Self {
        // The session's own lifetime bounds it anyway.
        SignInFrequency::Seconds(24 * 3600)
    }
}

impl SignInFrequency {
    /// Parses `every-time`, `4h`, `1d` (1 to 365 days, 1 to 8760 hours).
    pub fn parse(s: &str) -> Result<SignInFrequency, String> {
        let t = s.trim().to_ascii_lowercase();
        if t == "every-time" {
            return Ok(SignInFrequency::EveryTime);
        }
        let bad = || {
            format!("\"{s}\" is not a sign-in frequency: give every-time, a number of hours like 4h, or of days like 1d")
        };
        // The unit is the last character, which may take several bytes ("4é").
        let unit_at = t.char_indices().last().map_or(0, |(i, _)| i);
        let (n, unit) = t.split_at(unit_at);
        let n: i64 = n
            .parse()
            .ok()
            .filter(|n| *n >= 1 && !t.starts_with('+'))
            .ok_or_else(bad)?;
        match unit {
            "h" if n <= 8760 => Ok(SignInFrequency::Seconds(n * 3600)),
            "d" if n <= 365 => Ok(SignInFrequency::Seconds(n * 86400)),
            _ => Err(bad()),
        }
    }

    /// `every-time`, `4h`, `1d`.
    pub fn as_text(self) -> String {
        match self {
            SignInFrequency::EveryTime => "every-time".into(),
            SignInFrequency::Seconds(s) if s % 86400 == 0 => format!("{}d", s / 86400),
            SignInFrequency::Seconds(s) => format!("{}h", s / 3600),
        }
    }
}

/// Target resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "ids")]
pub enum TargetResources {
    /// All applications (the Sesame admin portal included, as in Entra).
    All,
    /// These applications (ids).
    Apps(Vec<String>),
    /// The Sesame admin portal itself.
    AdminPortal,
}

/// A Conditional Access policy. Users, groups, applications and locations are named by
/// id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Its id (UUID).
    pub id: String,
    /// Its name, unique.
    pub name: String,
    /// Assignments: every user.
    pub all_users: bool,
    /// Assignments: these users (ids).
    #[serde(default)]
    pub users: Vec<String>,
    /// Assignments: members of these groups (ids, transitively).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Assignments excluded: these users.
    #[serde(default)]
    pub exclude_users: Vec<String>,
    /// Assignments excluded: members of these groups.
    #[serde(default)]
    pub exclude_groups: Vec<String>,
    /// Target resources.
    pub target: TargetResources,
    /// Conditions: the client address is in one of these named locations (empty: any
    /// location).
    #[serde(default)]
    pub locations: Vec<String>,
    /// Conditions: the client address is not in any of these.
    #[serde(default)]
    pub exclude_locations: Vec<String>,
    /// Grant.
    pub grant: GrantControl,
    /// Session: sign-in frequency.
    #[serde(default)]
    pub sign_in_frequency: SignInFrequency,
    /// Enable policy.
    pub state: PolicyState,
    /// When it was created (Unix seconds).
    pub created_at: i64,
    /// When it was last changed (Unix seconds).
    pub updated_at: i64,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn cidrs_parse_strictly() {
        for ok in [
            "10.0.0.0/8",
            "203.0.113.7/32",
            "2001:db8::/32",
            "::/0",
            "0.0.0.0/0",
        ] {
            assert!(Cidr::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0.1/24",
            "2001:db8::1/32",
            "2001:db8::/129",
            "10.0.0/8",
            "banana/8",
            "10.0.0.0/+8",
            "10.0.0.0/-1",
            "",
        ] {
            let e = Cidr::parse(bad).unwrap_err();
            assert!(e.contains("is not a CIDR range"), "{bad}: {e}");
        }
        assert!(Cidr::parse("10.0.0.1/24")
            .unwrap_err()
            .contains("10.0.0.0/24"));
    }

    #[test]
    fn cidrs_contain_v4_v6_and_mapped() {
        let c = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(c.contains("203.0.113.9".parse().unwrap()));
        assert!(c.contains("::ffff:203.0.113.9".parse().unwrap()));
        assert!(!c.contains("203.0.114.9".parse().unwrap()));
        let c = Cidr::parse("2001:db8:1::/48").unwrap();
        assert!(c.contains("2001:db8:1:2::5".parse().unwrap()));
        assert!(!c.contains("2001:db8:2::5".parse().unwrap()));
        assert!(!c.contains("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn words_parse() {
        assert_eq!(GrantControl::parse("MFA"), Some(GrantControl::Mfa));
        assert_eq!(GrantControl::parse("allow"), None);
        assert_eq!(
            PolicyState::parse("report-only"),
            Some(PolicyState::ReportOnly)
        );
        assert_eq!(
            SignInFrequency::parse("every-time"),
            Ok(SignInFrequency::EveryTime)
        );
        assert_eq!(
            SignInFrequency::parse("4h"),
            Ok(SignInFrequency::Seconds(14400))
        );
        assert_eq!(
            SignInFrequency::parse("1d"),
            Ok(SignInFrequency::Seconds(86400))
        );
        for bad in [
            "0h",
            "4",
            "h",
            "4m",
            "-1d",
            "366d",
            "",
            "4é",
            "~ël Ë,\u{1F600}",
            "é",
        ] {
            assert!(SignInFrequency::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(SignInFrequency::Seconds(86400).as_text(), "1d");
        assert_eq!(SignInFrequency::Seconds(4 * 3600).as_text(), "4h");
    }
}
