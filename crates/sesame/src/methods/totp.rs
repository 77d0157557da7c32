//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), as every authenticator
//! app computes them: HMAC-SHA-1, 6 digits, 30-second steps from the Unix epoch. Pure
//! functions of the secret and the time (`now` is always a parameter), the secret's
//! base32 form, the `otpauth://` URI an app reads, and its QR code as SVG.

use aws_lc_rs::hmac;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Seconds per time step.
pub const PERIOD: i64 = 30;
/// Digits of a code.
pub const DIGITS: usize = 6;
/// Bytes of a new secret (160 bits, RFC 4226's recommended length).
pub const SECRET_LEN: usize = 20;
/// Steps accepted either side of the current one (clock drift, typing time).
pub const WINDOW: i64 = 1;

/// The time step of Unix time `now`.
pub fn step_of(now: i64) -> i64 {
    now.div_euclid(PERIOD)
}

/// The HOTP value (RFC 4226 §5.3) of `secret` at counter `counter`, truncated to
/// [`DIGITS`] digits.
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &counter.to_be_bytes());
    let h = tag.as_ref();
    let offset = usize::from(h[h.len() - 1] & 0x0f);
    let bin = (u32::from(h[offset] & 0x7f) << 24)
        | (u32::from(h[offset + 1]) << 16)
        | (u32::from(h[offset + 2]) << 8)
        | u32::from(h[offset + 3]);
    bin % 10u32.pow(DIGITS as u32)
}

/// The code of `secret` for time step `step`, zero-padded to [`DIGITS`] digits.
pub fn code_at_step(secret: &[u8], step: i64) -> String {
    format!(
        "{:0width$}",
        hotp(secret, u64::try_from(step).unwrap_or(0)),
        width = DIGITS
    )
}

/// The code of `secret` at Unix time `now`.
pub fn code_at(secret: &[u8], now: i64) -> String {
    code_at_step(secret, step_of(now))
}

/// Why a typed code cannot be a code at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the code must be {DIGITS} digits (found {0})")]
pub struct BadCode(pub String);

/// The code as typed, without spaces: exactly [`DIGITS`] ASCII digits.
pub fn parse_code(typed: &str) -> Result<String, BadCode> {
    let c: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if c.is_empty() {
        return Err(BadCode("nothing".into()));
    }
    if !c.chars().all(|ch| ch.is_ascii_digit()) {
        return Err(BadCode("characters other than digits".into()));
    }
    if c.len() != DIGITS {
        return Err(BadCode(format!("{} digits", c.len())));
    }
    Ok(c)
}

/// The time step within [`WINDOW`] of `now` whose code is `code` (already parsed), if
/// any. Every step of the window is compared, in constant time, so the answer's timing
/// does not say which one matched.
pub fn matching_step(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    let current = step_of(now);
    let mut found = None;
    for step in current - WINDOW..=current + WINDOW {
        let expected = code_at_step(secret, step);
        if aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), code.as_bytes())
            .is_ok()
            && found.is_none()
        {
            found = Some(step);
        }
    }
    found
}

/// RFC 4648 base32 without padding: how authenticator apps take a secret.
pub fn base32(data: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let mut buf: u64 = 0;
    let mut bits = 0u32;
    for &b in data {
        buf = (buf << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buf >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buf << (5 - bits)) & 31) as usize]));
    }
    out
}

/// What the label and the query values of an `otpauth://` URI escape.
const URI_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// The `otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`
/// URI of Google Authenticator's key-URI format, which every app reads.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let issuer_e = utf8_percent_encode(issuer, URI_ESCAPE).to_string();
    let account_e = utf8_percent_encode(account, URI_ESCAPE);
    format!(
        "otpauth://totp/{issuer_e}:{account_e}?secret={}&issuer={issuer_e}&algorithm=SHA1&digits={DIGITS}&period={PERIOD}",
        base32(secret)
    )
}

/// `text` as a QR code in an inline SVG element (dark modules on white, a quiet zone),
/// without an XML declaration; `None` when it is too long for a QR code.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg")?;
    Some(svg[start..].to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: the SHA-1 secret and its 8-digit codes; the 6-digit codes
    /// are their last six digits.
    const RFC_SECRET: &[u8] = b"12345678901234567890";
    const RFC_VECTORS: &[(i64, &str)] = &[
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn rfc6238_test_vectors() {
        for (t, eight) in RFC_VECTORS {
            assert_eq!(code_at(RFC_SECRET, *t), eight[2..], "T = {t}");
        }
    }

    #[test]
    fn rfc4226_hotp_vectors() {
        // RFC 4226 Appendix D, counters 0..9.
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (c, v) in expected.iter().enumerate() {
            assert_eq!(hotp(RFC_SECRET, c as u64), *v);
        }
    }

    #[test]
    fn one_step_either_side_is_accepted_two_are_not() {
        let now = 1_700_000_015;
        let s = step_of(now);
        for (delta, ok) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = code_at_step(RFC_SECRET, s + delta);
            assert_eq!(
                matching_step(RFC_SECRET, &code, now),
                ok.then_some(s + delta),
                "step {delta:+}"
            );
        }
    }

    #[test]
    fn codes_of_the_wrong_form_are_refused_clearly() {
        assert_eq!(parse_code(" 123 456 ").unwrap(), "123456");
        assert!(parse_code("12345")
            .unwrap_err()
            .to_string()
            .contains("5 digits"));
        assert!(parse_code("1234567").is_err());
        assert!(parse_code("12a456")
            .unwrap_err()
            .to_string()
            .contains("other than digits"));
        assert!(parse_code("").is_err());
        assert!(parse_code("١٢٣٤٥٦").is_err()); // non-ASCII digits
    }

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn uri_and_qr_code() {
        let uri = otpauth_uri("Sesame", "alice@example.com", RFC_SECRET);
        assert_eq!(
            uri,
            "otpauth://totp/Sesame:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Sesame&algorithm=SHA1&digits=6&period=30"
        );
        assert!(otpauth_uri("My Org", "a b", b"x").starts_with("otpauth://totp/My%20Org:a%20b?"));
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(!svg.contains("<script"));
    }
}
