//! Helpers shared by the directory, logs and My Apps pages: form fields, flash messages
//! across a redirect (POST-redirect-GET), a password shown once, error mapping, times.

use super::super::Flash;
use crate::web::auth::CSRF_FIELD;
use crate::web::{cookie, set_cookie, AppState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use std::collections::HashMap;

/// A posted form, field name → value (a repeated field keeps its last value).
pub(crate) type Fields = HashMap<String, String>;

/// The value of `name`, trimmed ('' when absent).
pub(crate) fn field<'a>(f: &'a Fields, name: &str) -> &'a str {
    f.get(name).map(|s| s.trim()).unwrap_or("")
}

/// The value of `name` as given (not trimmed: passwords).
pub(crate) fn raw<'a>(f: &'a Fields, name: &str) -> &'a str {
    f.get(name).map(String::as_str).unwrap_or("")
}

/// The posted CSRF token.
pub(crate) fn csrf(f: &Fields) -> &str {
    raw(f, CSRF_FIELD)
}

/// A checkbox: present with any value but `false`/`0`/''.
pub(crate) fn checked(f: &Fields, name: &str) -> bool {
    !matches!(field(f, name), "" | "false" | "0" | "off")
}

const FLASH_COOKIE: &str = "sesame_flash";
const SECRET_COOKIE: &str = "sesame_shown_once";

/// 303 to `to` with a message shown at the top of the next page.
pub(crate) fn redirect_ok(state: &AppState, to: &str, text: &str) -> Response {
    redirect_flash(state, to, "ok", text)
}

/// 303 to `to` with an error message shown at the top of the next page.
pub(crate) fn redirect_error(state: &AppState, to: &str, text: &str) -> Response {
    redirect_flash(state, to, "error", text)
}

fn redirect_flash(state: &AppState, to: &str, kind: &str, text: &str) -> Response {
    let mut r = Redirect::to(to).into_response();
    let v = format!(
        "{kind}:{}",
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC)
    );
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, FLASH_COOKIE, &v, Some(60)),
    );
    r
}

/// The message left by the previous redirect, if any; the page that shows it must also
/// send [`clear_flash`].
pub(crate) fn take_flash(headers: &HeaderMap) -> Option<Flash> {
    let v = cookie(headers, FLASH_COOKIE)?;
    let (kind, text) = v.split_once(':')?;
    let text = percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .ok()?
        .chars()
        .take(1000)
        .collect::<String>();
    match kind {
        "ok" => Flash::ok(text),
        "error" => Flash::error(text),
        _ => None,
    }
}

/// A response that shows the flash and the secret once: the cookies are removed.
pub(crate) fn shown(state: &AppState, headers: &HeaderMap, mut r: Response) -> Response {
    let h = r.headers_mut();
    if cookie(headers, FLASH_COOKIE).is_some() {
        h.append(
            header::SET_COOKIE,
            set_cookie(state, FLASH_COOKIE, "", Some(0)),
        );
    }
    if cookie(headers, SECRET_COOKIE).is_some() {
        h.append(
            header::SET_COOKIE,
            set_cookie(state, SECRET_COOKIE, "", Some(0)),
        );
    }
    r
}

/// Adds to `r` (a redirect) a secret to show once on the page of `object_id`: sealed
/// with the master key, so only Sesame can read it, and kept five minutes at most.
pub(crate) fn with_secret(
    state: &AppState,
    mut r: Response,
    object_id: &str,
    secret: &str,
) -> Response {
    let plain = format!("{object_id}\n{secret}");
    match state.master().seal(plain.as_bytes()) {
        Ok(sealed) => {
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    state,
                    SECRET_COOKIE,
                    &URL_SAFE_NO_PAD.encode(sealed),
                    Some(300),
                ),
            );
        }
        Err(e) => tracing::error!("cannot seal the password to show: {e}"),
    }
    r
}

/// The secret left for `object_id` by [`with_secret`], if any.
pub(crate) fn take_secret(
    state: &AppState,
    headers: &HeaderMap,
    object_id: &str,
) -> Option<String> {
    let v = cookie(headers, SECRET_COOKIE)?;
    let sealed = URL_SAFE_NO_PAD.decode(v).ok()?;
    let plain = String::from_utf8(state.master().open(&sealed).ok()?).ok()?;
    let (id, secret) = plain.split_once('\n')?;
    (id == object_id).then(|| secret.to_owned())
}

/// The status of a form shown again with its field errors.
pub(crate) const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// `ms` (Unix milliseconds) as `2026-12-02 04:11:46 UTC`.
pub(crate) fn time_ms(ms: i64) -> String {
    let t = sesame_saml::time::Timestamp(ms).to_xs_datetime();
    // `2026-12-02T04:11:46.123Z` → `2026-12-02 04:11:46 UTC`
    let t = t.split('.').next().unwrap_or(&t).trim_end_matches('Z');
    format!("{} UTC", t.replacen('T', " ", 1))
}

/// `s` (Unix seconds) as [`time_ms`] does.
pub(crate) fn time_s(s: i64) -> String {
    time_ms(s.saturating_mul(1000))
}

/// Parses a `datetime-local` value (`2026-12-02T04:11`, seconds optional), read as UTC,
/// into Unix milliseconds.
pub(crate) fn parse_local_time(v: &str) -> Option<i64> {
    let v = v.trim();
    let (date, time) = v.split_once('T').or_else(|| v.split_once(' '))?;
    let mut d = date.split('-');
    let year: i32 = d.next()?.parse().ok()?;
    let month: u8 = d.next()?.parse().ok()?;
    let day: u8 = d.next()?.parse().ok()?;
    let mut t = time.split(':');
    let hour: u8 = t.next()?.parse().ok()?;
    let minute: u8 = t.next()?.parse().ok()?;
    let second: u8 = match t.next() {
        Some(s) => s.split('.').next()?.parse().ok()?,
        None => 0,
    };
    let date =
        time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
    let tm = time::Time::from_hms(hour, minute, second).ok()?;
    let dt = time::PrimitiveDateTime::new(date, tm).assume_utc();
    i64::try_from(dt.unix_timestamp_nanos() / 1_000_000).ok()
}

/// Now, Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    crate::tenant::now_unix().saturating_mul(1000)
}

/// A time range of a log filter: `1h`, `24h`, `7d`, `30d`, `custom` (from–to), or ''.
/// Returns (from, to) in Unix ms, or the error to show next to the field.
pub(crate) fn time_range(
    range: &str,
    from: &str,
    to: &str,
    now: i64,
) -> Result<(Option<i64>, Option<i64>), String> {
    let hour = 3_600_000;
    // From or To given without choosing "Custom": they are what the administrator meant.
    let range = if range.is_empty() && !(from.trim().is_empty() && to.trim().is_empty()) {
        "custom"
    } else {
        range
    };
    Ok(match range {
        "" | "all" => (None, None),
        "1h" => (Some(now - hour), None),
        "24h" => (Some(now - 24 * hour), None),
        "7d" => (Some(now - 7 * 24 * hour), None),
        "30d" => (Some(now - 30 * 24 * hour), None),
        "custom" => {
            let f = if from.trim().is_empty() {
                None
            } else {
                Some(parse_local_time(from).ok_or_else(|| {
                    format!("From: {from:?} is not a date and time; use the form 2026-12-02T08:30 (UTC)")
                })?)
            };
            let t = if to.trim().is_empty() {
                None
            } else {
                Some(parse_local_time(to).ok_or_else(|| {
                    format!("To: {to:?} is not a date and time; use the form 2026-12-02T17:00 (UTC)")
                })?)
            };
            if let (Some(a), Some(b)) = (f, t) {
                if a >= b {
                    return Err("From must be before To".into());
                }
            }
            (f, t)
        }
        other => {
            return Err(format!(
                "Time range {other:?} is not one of: last hour, last 24 hours, last 7 days, last 30 days, custom"
            ))
        }
    })
}

/// `"a b"` → `"a%20b"`: a value for a query string.
pub(crate) fn q(v: &str) -> String {
    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A page number from `?page=` (1-based, at least 1, at most 100000).
pub(crate) fn page_number(v: Option<&str>) -> i64 {
    v.and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 100_000)
}

/// Rows of one page from a query asked for `per_page + 1` rows: the first `per_page`
/// of them, and whether there is a next page.
pub(crate) fn one_page<T>(mut found: Vec<T>, per_page: i64) -> (Vec<T>, bool) {
    let n = usize::try_from(per_page).unwrap_or(50);
    let has_next = found.len() > n;
    found.truncate(n);
    (found, has_next)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn times_and_ranges() {
        assert_eq!(time_ms(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(parse_local_time("1970-01-01T00:01"), Some(60_000));
        assert_eq!(parse_local_time("1970-01-01T00:00:02"), Some(2000));
        assert_eq!(parse_local_time("nonsense"), None);
        assert_eq!(parse_local_time("2026-02-30T00:00"), None);
        let now = 100 * 3_600_000;
        assert_eq!(
            time_range("1h", "", "", now).unwrap(),
            (Some(99 * 3_600_000), None)
        );
        assert!(time_range("custom", "x", "", now).is_err());
        assert!(time_range("custom", "1970-01-02T00:00", "1970-01-01T00:00", now).is_err());
        assert!(time_range("1y", "", "", now).is_err());
        assert_eq!(
            time_range("", "1970-01-01T00:01", "", now).unwrap(),
            (Some(60_000), None)
        );
        assert_eq!(page_number(Some("0")), 1);
        assert_eq!(page_number(Some("x")), 1);
        assert_eq!(page_number(Some("3")), 3);
    }
}
