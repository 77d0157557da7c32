//! A per-address rate limit for the pages anyone can call without an account: the SAML
//! endpoint (`/{tenant}/saml2`, its continuation) and the sign-in page. A GCRA (a token
//! bucket without a timer) per client address, an IPv6 address counted by its /64 (one
//! host usually holds the whole /64); over the limit, `429` with `Retry-After` and
//! SESAME900041, and nothing is stored for the request.
//!
//! The limit is `sesame serve --sso-rate-limit RATE/BURST` (or `SESAME_SSO_RATE_LIMIT`:
//! requests per second per address, and how many may come at once), default
//! [`DEFAULT_RATE`]/[`DEFAULT_BURST`]; `off` turns it off (behind a proxy that limits
//! already, or for a benchmark from one address).

use super::http::{error_page, ClientIp};
use super::state::AppState;
use crate::sso::{ErrorCode, SsoError};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Requests per second per address, sustained.
pub const DEFAULT_RATE: u32 = 20;
/// Requests per address that may arrive at once.
pub const DEFAULT_BURST: u32 = 200;
/// Addresses tracked at most; past this, addresses whose bucket is full again are
/// forgotten (and, if all are busy, the oldest half).
const MAX_KEYS: usize = 100_000;

/// The limiter: for each address, the theoretical arrival time of its next request.
#[derive(Debug)]
pub struct RateLimit {
    /// Time between two requests at the sustained rate.
    interval: Duration,
    /// How far ahead of now an address's next arrival may run (burst − 1 intervals).
    tolerance: Duration,
    start: Instant,
    tat: Mutex<HashMap<IpAddr, Duration>>,
}

/// The key of `ip`: an IPv4 address (also IPv4-mapped IPv6) as is, an IPv6 address by its
/// /64.
pub fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & (u128::MAX << 64);
                IpAddr::V6(bits.into())
            }
        },
        v4 => v4,
    }
}

impl RateLimit {
    /// `rate` requests per second, `burst` at once (both at least 1).
    pub fn new(rate: u32, burst: u32) -> RateLimit {
        let interval = Duration::from_secs(1) / rate.max(1);
        RateLimit {
            interval,
            tolerance: interval * (burst.max(1) - 1),
            start: Instant::now(),
            tat: Mutex::new(HashMap::new()),
        }
    }

    /// From `SESAME_SSO_RATE_LIMIT` (`RATE/BURST` or `off`); `None`: off. An unreadable
    /// value keeps the default, with a warning.
    pub fn from_env() -> Option<RateLimit> {
        let v = std::env::var("SESAME_SSO_RATE_LIMIT").unwrap_or_default();
        RateLimit::from_setting(&v)
    }

    /// From a `--sso-rate-limit` value (`RATE/BURST`, `off`, or empty for the default);
    /// `None`: off. An unreadable value keeps the default, with a warning.
    pub fn from_setting(v: &str) -> Option<RateLimit> {
        let v = v.trim();
        if v.eq_ignore_ascii_case("off") {
            return None;
        }
        if v.is_empty() {
            return Some(RateLimit::new(DEFAULT_RATE, DEFAULT_BURST));
        }
        let parsed = v.split_once('/').and_then(|(r, b)| {
            let r = r.trim().parse::<u32>().ok().filter(|r| *r > 0)?;
            let b = b.trim().parse::<u32>().ok().filter(|b| *b > 0)?;
            Some((r, b))
        });
        match parsed {
            Some((r, b)) => Some(RateLimit::new(r, b)),
            None => {
                tracing::warn!(
                    "--sso-rate-limit (SESAME_SSO_RATE_LIMIT) {v:?} is not RATE/BURST (e.g. 20/200) or off; using {DEFAULT_RATE}/{DEFAULT_BURST}"
                );
                Some(RateLimit::new(DEFAULT_RATE, DEFAULT_BURST))
            }
        }
    }

    /// Whether a request from `ip` at `now` may pass; `Err`: the seconds to wait.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let now = now.saturating_duration_since(self.start);
        let mut tat = match self.tat.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if tat.len() >= MAX_KEYS {
            tat.retain(|_, t| *t > now);
            if tat.len() >= MAX_KEYS {
                let mut times: Vec<Duration> = tat.values().copied().collect();
                times.sort_unstable();
                if let Some(&median) = times.get(times.len() / 2) {
                    tat.retain(|_, t| *t > median);
                }
            }
        }
        let k = key(ip);
        let t = tat.get(&k).copied().unwrap_or(now).max(now);
        let allowed_at = t.saturating_sub(self.tolerance);
        if now < allowed_at {
            let wait = allowed_at - now;
            return Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
        }
        tat.insert(k, t + self.interval);
        Ok(())
    }
}

/// The middleware: answers 429 (SESAME900041, `Retry-After`) over the limit.
pub async fn limit(
    State((state, limiter)): State<(AppState, Arc<RateLimit>)>,
    req: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let ip = match ClientIp::from_request_parts(&mut parts, &state).await {
        Ok(ip) => ip,
        Err(never) => match never {},
    };
    if let Err(wait) = limiter.check(ip.0, Instant::now()) {
        tracing::debug!(client = %ip.0, "rate limit: refused, retry in {wait} s");
        let corr = ip.1.unwrap_or_else(super::http::correlation_id);
        let e = SsoError::new(
            ErrorCode::RateLimited,
            format!("try again in {wait} seconds"),
        );
        let mut r = error_page(&e, &corr);
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        return r;
    }
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn burst_then_the_sustained_rate() {
        let l = RateLimit::new(10, 5);
        let t0 = l.start;
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        for _ in 0..5 {
            assert!(l.check(ip, t0).is_ok());
        }
        assert_eq!(l.check(ip, t0), Err(1));
        // Another address has its own bucket.
        assert!(l.check("192.0.2.8".parse().unwrap(), t0).is_ok());
        // 100 ms later, one more.
        let t1 = t0 + Duration::from_millis(100);
        assert!(l.check(ip, t1).is_ok());
        assert!(l.check(ip, t1).is_err());
        // After a full second, a burst again.
        let t2 = t1 + Duration::from_secs(1);
        for _ in 0..5 {
            assert!(l.check(ip, t2).is_ok());
        }
    }

    #[test]
    fn ipv6_counts_by_its_64() {
        let l = RateLimit::new(1, 2);
        let t0 = l.start;
        assert!(l.check("2001:db8:1:2::1".parse().unwrap(), t0).is_ok());
        assert!(l.check("2001:db8:1:2:ffff::9".parse().unwrap(), t0).is_ok());
        assert!(l
            .check("2001:db8:1:2:aaaa::3".parse().unwrap(), t0)
            .is_err());
        assert!(l.check("2001:db8:1:3::1".parse().unwrap(), t0).is_ok());
        assert_eq!(
            key("::ffff:192.0.2.1".parse().unwrap()),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn retry_after_is_the_wait_rounded_up() {
        let l = RateLimit::new(1, 1);
        let t0 = l.start;
        let ip: IpAddr = "198.51.100.1".parse().unwrap();
        assert!(l.check(ip, t0).is_ok());
        assert_eq!(l.check(ip, t0), Err(1));
        assert_eq!(l.check(ip, t0 + Duration::from_millis(999)), Err(1));
        assert!(l.check(ip, t0 + Duration::from_secs(1)).is_ok());
    }
}
