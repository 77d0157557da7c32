//! When an application's signing certificate expires, as its administrators see it: the
//! Notification Email Addresses (a list, stored comma-separated in `apps.notification_email`;
//! a single address stored before is a list of one), the reminder thresholds (60, 30 and 7
//! days before, the last day, and once expired) and the warning shown in the portal and by
//! `sesame app list` within 60 days of expiry. The reminders themselves are sent by
//! `crate::notifications`.

use super::AppError;

/// Seconds in a day.
const DAY: i64 = 86_400;
/// Within this many days of expiry an app is marked and the first reminder is sent.
pub const WARN_DAYS: i64 = 60;
/// The most addresses an application may notify.
pub const MAX_ADDRESSES: usize = 20;

/// A reminder about a certificate's expiry, sent once per certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Threshold {
    /// 60 days or fewer left.
    Days60,
    /// 30 days or fewer left.
    Days30,
    /// 7 days or fewer left.
    Days7,
    /// The last 24 hours.
    Today,
    /// Past expiry.
    Expired,
}

impl Threshold {
    /// The key recorded in `cert_expiry_notices`.
    pub fn key(self) -> &'static str {
        match self {
            Threshold::Days60 => "60d",
            Threshold::Days30 => "30d",
            Threshold::Days7 => "7d",
            Threshold::Today => "today",
            Threshold::Expired => "expired",
        }
    }

    /// The reminder due for a certificate expiring at `not_after` at `now` (the tightest
    /// one reached), if any.
    pub fn due(not_after: i64, now: i64) -> Option<Threshold> {
        let left = not_after - now;
        if left <= 0 {
            return Some(Threshold::Expired);
        }
        let days = days_left(not_after, now);
        Some(match days {
            ..=1 => Threshold::Today,
            2..=7 => Threshold::Days7,
            8..=30 => Threshold::Days30,
            31..=WARN_DAYS => Threshold::Days60,
            _ => return None,
        })
    }
}

/// Whole days left before `not_after`, rounded up (0 once expired): a certificate that
/// expires in 59 days and an hour has 60 days left.
pub fn days_left(not_after: i64, now: i64) -> i64 {
    let left = not_after - now;
    if left <= 0 {
        0
    } else {
        (left + DAY - 1) / DAY
    }
}

/// How an application's active certificate stands: `None` when more than 60 days are
/// left, else the warning shown in the portal and the CLI.
pub fn warning(not_after: i64, now: i64) -> Option<String> {
    let date = date_of(not_after);
    if not_after <= now {
        return Some(format!("The active signing certificate expired on {date}"));
    }
    let days = days_left(not_after, now);
    (days <= WARN_DAYS).then(|| {
        format!(
            "The active signing certificate expires on {date} ({days} day{})",
            if days == 1 { "" } else { "s" }
        )
    })
}

/// The short mark of an application in lists within 60 days of expiry:
/// `Certificate expires in 12 days`, `Certificate expired`.
pub fn mark(not_after: i64, now: i64) -> Option<String> {
    if not_after <= now {
        return Some("Certificate expired".into());
    }
    let days = days_left(not_after, now);
    (days <= WARN_DAYS).then(|| {
        format!(
            "Certificate expires in {days} day{}",
            if days == 1 { "" } else { "s" }
        )
    })
}

/// A Unix time as a UTC date, `2026-12-05`.
pub fn date_of(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .map(|d| d.date().to_string())
        .unwrap_or_else(|_| t.to_string())
}

/// Parses Notification Email Addresses given by a person: separated by commas, semicolons
/// or line breaks, blanks ignored, duplicates (any case) dropped. Refuses anything that is
/// not a plain address.
pub fn parse_addresses(raw: &str) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for part in raw.split([',', ';', '\n', '\r']) {
        let a = part.trim();
        if a.is_empty() {
            continue;
        }
        if !valid_address(a) {
            return Err(AppError::Invalid {
                field: "Notification Email Addresses",
                reason: format!(
                    "{a:?} is not an email address; give addresses like admin@contoso.com, \
                     one per line or separated by commas"
                ),
            });
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(a)) {
            out.push(a.to_owned());
        }
    }
    if out.len() > MAX_ADDRESSES {
        return Err(AppError::Invalid {
            field: "Notification Email Addresses",
            reason: format!(
                "{} addresses given; at most {MAX_ADDRESSES} are allowed (use a distribution list)",
                out.len()
            ),
        });
    }
    Ok(out)
}

/// The stored form of a list of addresses (`a@x.com, b@y.com`; '' for none).
pub fn join_addresses(list: &[String]) -> String {
    list.join(", ")
}

/// The addresses in a stored value (one address stored before is a list of one). Values
/// that are not addresses are skipped.
pub fn stored_addresses(stored: &str) -> Vec<String> {
    stored
        .split([',', ';', '\n', '\r'])
        .map(str::trim)
        .filter(|a| valid_address(a))
        .map(str::to_owned)
        .collect()
}

fn valid_address(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && e.len() <= 254
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ',' | ';' | '<' | '>'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_by_days_left() {
        let exp = 1_000 * DAY;
        assert_eq!(Threshold::due(exp, exp - 61 * DAY), None);
        assert_eq!(Threshold::due(exp, exp - 60 * DAY), Some(Threshold::Days60));
        assert_eq!(Threshold::due(exp, exp - 59 * DAY), Some(Threshold::Days60));
        assert_eq!(Threshold::due(exp, exp - 30 * DAY), Some(Threshold::Days30));
        assert_eq!(Threshold::due(exp, exp - 29 * DAY), Some(Threshold::Days30));
        assert_eq!(Threshold::due(exp, exp - 7 * DAY), Some(Threshold::Days7));
        assert_eq!(Threshold::due(exp, exp - 3600), Some(Threshold::Today));
        assert_eq!(Threshold::due(exp, exp), Some(Threshold::Expired));
        assert_eq!(Threshold::due(exp, exp + DAY), Some(Threshold::Expired));
    }

    #[test]
    fn warning_within_sixty_days() {
        let exp = 1_000 * DAY;
        assert_eq!(warning(exp, exp - 90 * DAY), None);
        let w = warning(exp, exp - 59 * DAY).unwrap();
        assert!(w.contains("expires on") && w.ends_with("(59 days)"), "{w}");
        assert!(warning(exp, exp + 1).unwrap().contains("expired on"));
        assert_eq!(mark(exp, exp - 90 * DAY), None);
        assert_eq!(
            mark(exp, exp - DAY).unwrap(),
            "Certificate expires in 1 day"
        );
        assert_eq!(mark(exp, exp).unwrap(), "Certificate expired");
    }

    #[test]
    fn addresses_one_per_line_or_commas() {
        let got = parse_addresses(" a@contoso.com,\nb@fabrikam.com ;A@contoso.com\r\n\n").unwrap();
        assert_eq!(got, ["a@contoso.com", "b@fabrikam.com"]);
        assert_eq!(join_addresses(&got), "a@contoso.com, b@fabrikam.com");
        assert_eq!(stored_addresses("a@contoso.com, b@fabrikam.com"), got);
        assert_eq!(stored_addresses("old@contoso.com"), ["old@contoso.com"]);
        assert!(stored_addresses("").is_empty());
        assert!(parse_addresses("").unwrap().is_empty());
        assert!(parse_addresses("a@contoso.com, not-an-address").is_err());
        assert!(parse_addresses("a@b@contoso.com").is_err());
    }
}
