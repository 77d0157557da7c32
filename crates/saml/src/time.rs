//! xs:dateTime formatting and parsing; time is always passed in, never read from a clock.
//!
//! SAML time values are xs:dateTime in UTC (saml-core §1.3.3). Sesame writes them with
//! millisecond precision and a `Z` (`2026-11-22T05:00:00.123Z`, the shape Azure AD uses),
//! and reads any valid xs:dateTime: an optional fraction of any length (truncated to the
//! millisecond), `Z`, a `±hh:mm` offset, or no zone at all (taken as UTC, as SAML requires
//! UTC anyway). Years are limited to 0001–9999.

use crate::error::{Error, Result};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// An instant, in milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

const MS_PER_SEC: i64 = 1000;
const MS_PER_DAY: i64 = 86_400_000;

impl Timestamp {
    /// The instant `secs` seconds after the Unix epoch.
    pub const fn from_unix_seconds(secs: i64) -> Self {
        Timestamp(secs.saturating_mul(MS_PER_SEC))
    }

    /// Whole seconds since the Unix epoch (rounded towards minus infinity).
    pub const fn unix_seconds(self) -> i64 {
        self.0.div_euclid(MS_PER_SEC)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// This instant moved by `secs` seconds (saturating).
    pub const fn plus_seconds(self, secs: i64) -> Self {
        Timestamp(self.0.saturating_add(secs.saturating_mul(MS_PER_SEC)))
    }

    /// This instant moved by `ms` milliseconds (saturating).
    pub const fn plus_millis(self, ms: i64) -> Self {
        Timestamp(self.0.saturating_add(ms))
    }

    /// xs:dateTime in UTC with milliseconds: `2026-11-22T05:00:00.123Z`.
    pub fn to_xs_datetime(&self) -> String {
        let mut s = String::with_capacity(24);
        self.write_xs_datetime(&mut s);
        s
    }

    /// Appends [`Timestamp::to_xs_datetime`] to `out` (no allocation beyond `out`'s growth).
    pub fn write_xs_datetime(&self, out: &mut String) {
        let days = self.0.div_euclid(MS_PER_DAY);
        let ms_of_day = self.0.rem_euclid(MS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        let secs = ms_of_day / 1000;
        let ms = ms_of_day % 1000;
        let (hh, mm, ss) = (secs / 3600, (secs / 60) % 60, secs % 60);
        // Years outside 0..=9999 cannot come out of parse_xs_datetime; written as-is.
        if (0..=9999).contains(&y) {
            push_digits(out, y, 4);
        } else {
            out.push_str(&y.to_string());
        }
        out.push('-');
        push_digits(out, m, 2);
        out.push('-');
        push_digits(out, d, 2);
        out.push('T');
        push_digits(out, hh, 2);
        out.push(':');
        push_digits(out, mm, 2);
        out.push(':');
        push_digits(out, ss, 2);
        out.push('.');
        push_digits(out, ms, 3);
        out.push('Z');
    }

    /// Parses an xs:dateTime (see the module documentation for what is accepted).
    pub fn parse_xs_datetime(s: &str) -> Result<Timestamp> {
        parse(s.trim()).ok_or_else(|| Error::DateTime(truncate_for_error(s)))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_xs_datetime())
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Err(e) => Timestamp(
                i64::try_from(e.duration().as_millis())
                    .map(|v| -v)
                    .unwrap_or(i64::MIN),
            ),
        }
    }
}

fn truncate_for_error(s: &str) -> String {
    const MAX: usize = 64;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn push_digits(out: &mut String, v: i64, width: u32) {
    let mut div = 10i64.pow(width.saturating_sub(1));
    let mut v = v;
    while div > 0 {
        let d = (v / div) % 10;
        out.push(char::from(b'0' + d as u8));
        v %= div;
        div /= 10;
    }
}

/// Days since 1970-01-01 of the proleptic Gregorian date `y-m-d` (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let mp = (m + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + d - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of `days` since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

/// Reads exactly `n` ASCII digits at `*pos`.
fn digits(b: &[u8], pos: &mut usize, n: usize) -> Option<i64> {
    let slice = b.get(*pos..*pos + n)?;
    let mut v = 0i64;
    for &c in slice {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    *pos += n;
    Some(v)
}

fn expect(b: &[u8], pos: &mut usize, c: u8) -> Option<()> {
    if b.get(*pos) == Some(&c) {
        *pos += 1;
        Some(())
    } else {
        None
    }
}

fn parse(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    let mut p = 0;
    let year = digits(b, &mut p, 4)?;
    expect(b, &mut p, b'-')?;
    let month = digits(b, &mut p, 2)?;
    expect(b, &mut p, b'-')?;
    let day = digits(b, &mut p, 2)?;
    expect(b, &mut p, b'T')?;
    let hour = digits(b, &mut p, 2)?;
    expect(b, &mut p, b':')?;
    let minute = digits(b, &mut p, 2)?;
    expect(b, &mut p, b':')?;
    let second = digits(b, &mut p, 2)?;
    let mut millis = 0i64;
    let mut fraction_nonzero = false;
    if b.get(p) == Some(&b'.') {
        p += 1;
        let start = p;
        while b.get(p).is_some_and(u8::is_ascii_digit) {
            let d = i64::from(b[p] - b'0');
            let k = p - start;
            if k < 3 {
                millis += d * 10i64.pow(2 - k as u32);
            }
            fraction_nonzero |= d != 0;
            p += 1;
        }
        if p == start {
            return None; // "12:00:00." has no fraction digits
        }
    }
    let offset_min = match b.get(p) {
        None => 0,
        Some(b'Z') => {
            p += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            p += 1;
            let oh = digits(b, &mut p, 2)?;
            expect(b, &mut p, b':')?;
            let om = digits(b, &mut p, 2)?;
            if om > 59 || oh > 14 || (oh == 14 && om != 0) {
                return None;
            }
            let total = oh * 60 + om;
            if sign == b'-' {
                -total
            } else {
                total
            }
        }
        Some(_) => return None,
    };
    if p != b.len() {
        return None;
    }
    if year == 0 || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    // 24:00:00 (with no fraction) is the end of the day in xs:dateTime.
    let end_of_day = hour == 24 && minute == 0 && second == 0 && !fraction_nonzero;
    if (hour > 23 && !end_of_day) || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_min * 60;
    Some(Timestamp(secs * MS_PER_SEC + millis))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;
    use std::time::Duration;

    fn p(s: &str) -> i64 {
        Timestamp::parse_xs_datetime(s).unwrap().0
    }

    #[test]
    fn formats_with_millis() {
        assert_eq!(Timestamp(0).to_xs_datetime(), "1970-01-01T00:00:00.000Z");
        let t = Timestamp(1_795_323_600_123);
        assert_eq!(t.to_xs_datetime(), "2026-11-22T05:00:00.123Z");
        let mut s = String::from("x=");
        t.write_xs_datetime(&mut s);
        assert_eq!(s, "x=2026-11-22T05:00:00.123Z");
        assert_eq!(t.to_string(), "2026-11-22T05:00:00.123Z");
        assert_eq!(Timestamp(-1).to_xs_datetime(), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            Timestamp::parse_xs_datetime("9999-12-31T23:59:59.999Z")
                .unwrap()
                .to_xs_datetime(),
            "9999-12-31T23:59:59.999Z"
        );
        assert_eq!(
            Timestamp::parse_xs_datetime("0001-01-01T00:00:00Z")
                .unwrap()
                .to_xs_datetime(),
            "0001-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn parses_variants() {
        assert_eq!(p("2026-11-22T05:00:00Z"), 1_795_323_600_000);
        assert_eq!(p("2026-11-22T05:00:00.123Z"), 1_795_323_600_123);
        assert_eq!(p("2026-11-22T05:00:00.1Z"), 1_795_323_600_100);
        assert_eq!(p("2026-11-22T05:00:00.1239999999Z"), 1_795_323_600_123);
        assert_eq!(p("2026-11-22T06:30:00+01:30"), 1_795_323_600_000);
        assert_eq!(p("2026-11-22T00:00:00-05:00"), 1_795_323_600_000);
        assert_eq!(p("2026-11-22T05:00:00"), 1_795_323_600_000);
        assert_eq!(p("  2026-11-22T05:00:00Z\n"), 1_795_323_600_000);
        assert_eq!(
            p("2024-02-29T00:00:00Z"),
            days_from_civil(2024, 2, 29) * MS_PER_DAY
        );
        assert_eq!(p("2026-11-21T24:00:00Z"), p("2026-11-22T00:00:00Z"));
    }

    #[test]
    fn refuses_garbage() {
        for bad in [
            "",
            "garbage",
            "2026-11-22",
            "2026-11-22 05:00:00Z",
            "2026-11-22T05:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "2026-11-22T25:00:00Z",
            "2026-11-22T24:00:01Z",
            "2026-11-22T23:60:00Z",
            "2026-11-22T23:59:60Z",
            "2026-11-22T05:00:00.Z",
            "2026-11-22T05:00:00.12aZ",
            "2026-11-22T05:00:00+15:00",
            "2026-11-22T05:00:00+01:60",
            "2026-11-22T05:00:00+0100",
            "2026-11-22T05:00:00ZZ",
            "-2026-11-22T05:00:00Z",
            "+2026-11-22T05:00:00Z",
            "2026-1-22T05:00:00Z",
            "２026-11-22T05:00:00Z",
        ] {
            assert!(
                matches!(Timestamp::parse_xs_datetime(bad), Err(Error::DateTime(_))),
                "{bad:?} accepted"
            );
        }
        let long = "x".repeat(1000);
        let Err(Error::DateTime(shown)) = Timestamp::parse_xs_datetime(&long) else {
            panic!()
        };
        assert!(shown.len() < 80);
    }

    #[test]
    fn civil_round_trip() {
        for days in (-800_000..3_000_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn seconds_and_system_time() {
        let t = Timestamp::from_unix_seconds(1_700_000_000);
        assert_eq!(t.0, 1_700_000_000_000);
        assert_eq!(t.unix_seconds(), 1_700_000_000);
        assert_eq!(t.plus_seconds(300).unix_seconds(), 1_700_000_300);
        assert_eq!(t.plus_seconds(-300).unix_seconds(), 1_699_999_700);
        assert_eq!(Timestamp(-1).unix_seconds(), -1);
        assert_eq!(Timestamp(i64::MAX).plus_seconds(10), Timestamp(i64::MAX));
        let st = UNIX_EPOCH + Duration::from_millis(1_700_000_000_456);
        assert_eq!(Timestamp::from(st), Timestamp(1_700_000_000_456));
        let before = UNIX_EPOCH - Duration::from_millis(5);
        assert_eq!(Timestamp::from(before), Timestamp(-5));
        assert!(Timestamp(1) < Timestamp(2));
    }
}
