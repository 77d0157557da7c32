//! [`AppState`]: what every handler shares — the store, the SSO configuration cache, the
//! sign-in log, and the few settings of the HTTP edge (secure cookies, trusted proxies).

use crate::config::IpNet;
use crate::sso::cache::CacheHandle;
use crate::sso::signin_log::SigninLog;
use crate::store::{SigninRow, Store};
use std::sync::Arc;

/// Everything the handlers share.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    cache: Arc<CacheHandle>,
    log: SigninLog,
    secure_cookies: bool,
    trusted_proxies: Vec<IpNet>,
    trusted_locations: Vec<IpNet>,
    /// `--sso-rate-limit` (`RATE/BURST` or `off`); `None`: SESAME_SSO_RATE_LIMIT or the
    /// default.
    sso_rate_limit: Option<String>,
    /// Outbound email as `sesame serve` was started with it (Settings → Email).
    mail: Option<crate::mail::MailConfig>,
    /// The queue of "Forgot my password" requests, its worker started at the first.
    reset_requests: std::sync::OnceLock<crate::selfservice::reset::Queue>,
}

impl AppState {
    /// The state of a server.
    pub fn new(
        store: Store,
        cache: Arc<CacheHandle>,
        log: SigninLog,
        public_url: &str,
        trusted_proxies: Vec<IpNet>,
    ) -> Self {
        AppState {
            inner: Arc::new(Inner {
                store,
                cache,
                log,
                secure_cookies: public_url.to_ascii_lowercase().starts_with("https://"),
                trusted_proxies,
                trusted_locations: Vec::new(),
                sso_rate_limit: None,
                mail: None,
                reset_requests: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Marks cookies `Secure` also when the public URL is not https but Sesame itself
    /// serves HTTPS (`--tls-cert`).
    #[must_use]
    pub fn with_secure_cookies(mut self, on: bool) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.secure_cookies |= on;
        }
        self
    }

    /// Sets the per-address SSO rate limit (`RATE/BURST` or `off`, `sesame serve
    /// --sso-rate-limit`).
    #[must_use]
    pub fn with_sso_rate_limit(mut self, setting: Option<String>) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.sso_rate_limit = setting;
        }
        self
    }

    /// Sets the outbound-email settings in force (shown on Settings → Email).
    #[must_use]
    pub fn with_mail(mut self, cfg: crate::mail::MailConfig) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.mail = Some(cfg);
        }
        self
    }

    /// The outbound-email settings in force, when known.
    pub(crate) fn mail(&self) -> Option<&crate::mail::MailConfig> {
        self.inner.mail.as_ref()
    }

    /// The queue of "Forgot my password" requests (its worker started on first use,
    /// from a handler, on the server's runtime).
    pub(crate) fn reset_requests(&self) -> &crate::selfservice::reset::Queue {
        self.inner
            .reset_requests
            .get_or_init(|| crate::selfservice::reset::Queue::spawn(self.inner.store.clone()))
    }

    /// The per-address SSO rate limit setting, when one was given.
    pub(crate) fn sso_rate_limit(&self) -> Option<&str> {
        self.inner.sso_rate_limit.as_deref()
    }

    /// Sets the trusted named locations: networks whose sign-ins count as familiar
    /// (`authentication::password`).
    #[must_use]
    pub fn with_trusted_locations(mut self, locations: Vec<IpNet>) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.trusted_locations = locations;
        }
        self
    }

    /// Whether `ip` is in a trusted named location.
    pub(crate) fn trusted_location(&self, ip: std::net::IpAddr) -> bool {
        self.inner.trusted_locations.iter().any(|n| n.contains(ip))
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn cache(&self) -> &Arc<CacheHandle> {
        &self.inner.cache
    }

    pub(crate) fn log(&self, row: SigninRow) {
        count_sso_result(&row.result, &row.error_code);
        self.inner.log.record(row);
    }

    /// The master key (sealing new signing keys).
    pub(crate) fn master(&self) -> &crate::tenant::MasterKey {
        self.inner.cache.master()
    }

    /// After an admin change: rebuilds the configuration snapshot at once, so the next
    /// request of the same administrator sees it (other nodes poll within a second).
    pub(crate) async fn config_changed(&self) {
        if let Err(e) = self.inner.cache.refresh_if_changed().await {
            tracing::warn!("configuration refresh failed: {e}");
        }
    }

    pub(crate) fn secure_cookies(&self) -> bool {
        self.inner.secure_cookies
    }

    /// The proxies whose `X-Forwarded-For` is believed (`http::ClientIp`).
    pub(crate) fn trusted_proxies(&self) -> &[IpNet] {
        &self.inner.trusted_proxies
    }
}

/// Counts an SSO result (`sesame_sso_results_total`, described with the other metrics
/// in `ops`) as its sign-in log row is recorded.
fn count_sso_result(result: &str, code: &str) {
    metrics::counter!(
        "sesame_sso_results_total",
        "result" => result.to_owned(),
        "code" => code.to_owned()
    )
    .increment(1);
}
