//! The portal kit, shared by every area (applications, directory, logs, My Apps): the
//! posted form ([`Fields`]), flash messages across a redirect (POST-redirect-GET, in a
//! short-lived cookie: [`redirect_ok`], [`Flashed`]), a password shown once, times,
//! query strings and pages of lists. Errors are [`super::error::PortalError`].

use super::layout::Flash;
use crate::admin::audit::{self, Change};
use crate::web::auth::SignedIn;
use crate::web::auth::CSRF_FIELD;
use crate::web::http::{cookie, set_cookie};
use crate::web::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// A posted form: its (name, value) pairs in order (a field may repeat).
#[derive(Debug, Default)]
pub(crate) struct Fields(Vec<(String, String)>);

impl<'de> serde::Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Fields, D::Error> {
        Vec::<(String, String)>::deserialize(d).map(Fields)
    }
}

impl Fields {
    /// The first value of `name` as given (not trimmed: passwords), '' when absent.
    pub(crate) fn raw(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed ('' when absent).
    pub(crate) fn field(&self, name: &str) -> &str {
        self.raw(name).trim()
    }

    /// Every value of `name`, in order.
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A checkbox: present with any value but `false`/`0`/`off`/''.
    pub(crate) fn checked(&self, name: &str) -> bool {
        self.0
            .iter()
            .any(|(n, v)| n == name && !matches!(v.trim(), "" | "false" | "0" | "off"))
    }

    /// The posted CSRF token.
    pub(crate) fn csrf(&self) -> &str {
        self.raw(CSRF_FIELD)
    }

    /// Sets `name` to `value` (in place of any value it had).
    pub(crate) fn set(&mut self, name: &str, value: &str) {
        self.0.retain(|(n, _)| n != name);
        self.0.push((name.to_owned(), value.to_owned()));
    }
}

const FLASH_COOKIE: &str = "sesame_flash";
const SECRET_COOKIE: &str = "sesame_shown_once";

/// 303 to `to` with a message shown at the top of the next page.
pub(crate) fn redirect_ok(state: &AppState, to: &str, text: &str) -> Response {
    redirect_flash(state, to, "ok", text)
}

/// 303 to `to` with a warning (done, but needing attention) shown at the top of the
/// next page.
pub(crate) fn redirect_warn(state: &AppState, to: &str, text: &str) -> Response {
    redirect_flash(state, to, "warn", text)
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

/// The message left by the previous redirect, if any (removed by [`clear_shown`]).
fn take_flash(headers: &HeaderMap) -> Option<Flash> {
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
        "warn" => Flash::warn(text),
        "error" => Flash::error(text),
        _ => None,
    }
}

/// The flash left by the previous redirect, as a handler argument.
pub(crate) struct Flashed(pub Option<Flash>);

impl<S: Send + Sync> FromRequestParts<S> for Flashed {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Flashed(take_flash(&parts.headers)))
    }
}

/// The show-once cookies (flash, secret) a request carries.
pub(crate) fn shown_once(headers: &HeaderMap) -> Vec<&'static str> {
    [FLASH_COOKIE, SECRET_COOKIE]
        .into_iter()
        .filter(|name| cookie(headers, name).is_some())
        .collect()
}

/// Removes the show-once cookies `names` once a page has shown them: every HTML page
/// that is not a redirect (the portal's middleware calls this).
pub(crate) fn clear_shown(state: &AppState, names: &[&'static str], r: &mut Response) {
    let html = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !html || r.status().is_redirection() {
        return;
    }
    for name in names {
        r.headers_mut()
            .append(header::SET_COOKIE, set_cookie(state, name, "", Some(0)));
    }
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

/// Records a change made in the portal by the signed-in administrator. The change is
/// already made: a failure to record it is logged, not shown.
pub(crate) async fn record(state: &AppState, si: &SignedIn, headers: &HeaderMap, change: Change) {
    let action = change.action;
    if let Err(e) = audit::record(
        state.store(),
        &si.principal.actor,
        change,
        &crate::web::http::correlation(headers),
    )
    .await
    {
        tracing::error!("audit log: cannot record {action}: {e}");
    }
}

/// 303 See Other to `to` (no flash).
pub(crate) fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
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

/// A pager: links to the previous and next pages of a list.
#[derive(Debug, Default)]
pub(crate) struct Pager {
    pub page: i64,
    pub prev: String,
    pub next: String,
}

impl Pager {
    /// The pager of page `page` of a list whose URL without `page` is `base` (ending in
    /// `?` or `&`), when there is a next page or not.
    pub(crate) fn new(base: &str, page: i64, has_next: bool) -> Pager {
        Pager {
            page,
            prev: if page > 1 {
                format!("{base}page={}", page - 1)
            } else {
                String::new()
            },
            next: if has_next {
                format!("{base}page={}", page + 1)
            } else {
                String::new()
            },
        }
    }
}

/// `n` and the noun for it: `1 application`, `2 applications`, `0 applications`.
pub(crate) fn count(n: impl std::fmt::Display, singular: &str, plural: &str) -> String {
    let n = n.to_string();
    let noun = if n == "1" { singular } else { plural };
    format!("{n} {noun}")
}

/// The banner "Email delivery is failing" while `mail::health` says so (Settings → Email
/// and Enterprise applications show it), or `None`. A store failure shows no banner.
pub(crate) async fn mail_failing_banner(state: &AppState) -> Option<String> {
    let now = crate::clock::now_unix();
    let since = crate::mail::health::check(state.store(), now)
        .await
        .ok()??;
    Some(format!(
        "Email delivery is failing: no email was delivered since {} (UTC). Check the SMTP \
         server and the Email log in Settings → Email.",
        crate::notifications::mail_alert::date_time(since)
    ))
}

/// `flash`, else the banner "Email delivery is failing" when it is.
pub(crate) async fn flash_or_mail_banner(
    state: &AppState,
    flash: Option<super::layout::Flash>,
) -> Option<super::layout::Flash> {
    match flash {
        Some(f) => Some(f),
        None => mail_failing_banner(state)
            .await
            .and_then(super::layout::Flash::warn),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Fields {
        Fields(
            pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn fields_of_a_posted_form() {
        let mut f = form(&[
            ("name", "  Convene "),
            ("principal", "user:1"),
            ("principal", "group:2"),
            ("enabled", "1"),
            ("visible", "false"),
            ("block", "true"),
            ("csrf", "tok"),
        ]);
        assert_eq!(f.raw("name"), "  Convene ");
        assert_eq!(f.field("name"), "Convene");
        assert_eq!(f.field("missing"), "");
        assert_eq!(f.all("principal"), ["user:1", "group:2"]);
        assert!(f.checked("enabled") && f.checked("block"));
        assert!(!f.checked("visible") && !f.checked("missing"));
        assert_eq!(f.csrf(), "tok");
        f.set("principal", "user:3");
        assert_eq!(f.all("principal"), ["user:3"]);
    }

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

    #[test]
    fn counts_say_one_or_many() {
        assert_eq!(
            count(1usize, "application", "applications"),
            "1 application"
        );
        assert_eq!(count(0u32, "application", "applications"), "0 applications");
        assert_eq!(count(2i64, "member", "members"), "2 members");
    }
}
