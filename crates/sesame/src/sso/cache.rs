//! The in-memory configuration the SSO hot path reads: every application's settings and
//! its unsealed signing key, keyed by Identifier and by id, and its prebuilt federation
//! metadata and its claims configuration ([`AppClaims`]: no database read per sign-in
//! for it). Rebuilt when `tenant.config_version` changes; a background task polls it
//! every 500 ms, so a change made by the CLI (or another node) is in force within a second;
//! a lookup that misses re-reads it at once ([`CacheHandle::after_miss`], bounded: one
//! re-read at a time, at most [`MISS_REREADS_PER_SECOND`] a second).

use super::hot::HotPath;
use super::{Signer, SsoApp};
use crate::apps::claims::AppClaims;
use crate::apps::{self, App, SignMode};
use crate::store::{Store, StoreError};
use crate::tenant::{MasterKey, Tenant};
use sesame_saml::dsig::SignTarget;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How often the configuration version is polled.
pub const POLL_EVERY: Duration = Duration::from_millis(500);

/// The most re-reads of the configuration that lookups missing (an unknown application
/// id, Issuer or tenant) may cause per second, over the whole node: more misses in the
/// same second answer from the snapshot in memory.
pub const MISS_REREADS_PER_SECOND: u32 = 5;

/// The re-reads misses may still cause in the current one-second window.
#[derive(Debug)]
struct MissBudget {
    per_second: u32,
    window_start: Option<Instant>,
    used: u32,
}

impl MissBudget {
    fn new(per_second: u32) -> Self {
        MissBudget {
            per_second,
            window_start: None,
            used: 0,
        }
    }

    /// Whether a miss at `now` may re-read the configuration (and counts it).
    fn allow(&mut self, now: Instant) -> bool {
        let fresh_window = match self.window_start {
            Some(start) => now.saturating_duration_since(start) >= Duration::from_secs(1),
            None => true,
        };
        if fresh_window {
            self.window_start = Some(now);
            self.used = 0;
        }
        if self.used < self.per_second {
            self.used += 1;
            true
        } else {
            false
        }
    }
}

/// Cache errors.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// Storage failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store has no tenant yet.
    #[error("the store has no tenant; run `sesame serve` once to create it")]
    NoTenant,
    /// Application layer failure (signing keys).
    #[error("{0}")]
    App(String),
}

/// One snapshot of the configuration.
#[derive(Debug, Default)]
pub struct AppCache {
    /// The configuration version it was built from.
    pub version: i64,
    /// The tenant (id, public URL).
    pub tenant: Option<Tenant>,
    /// The IdP Identifier (Issuer), prebuilt.
    pub idp_issuer: String,
    /// The Login URL, prebuilt.
    pub login_url: String,
    by_identifier: HashMap<String, Arc<SsoApp>>,
    by_id: HashMap<String, Arc<SsoApp>>,
    /// The Conditional Access policies, by name (`crate::access`).
    pub policies: Vec<crate::model::Policy>,
    /// The named locations.
    pub locations: Vec<crate::model::NamedLocation>,
    /// Users, grants and sessions read by the hot path under this snapshot, dropped with
    /// it (`sso::hot`).
    pub(crate) memo: super::hot::Memo,
}

impl AppCache {
    /// The application with this Identifier.
    pub fn by_identifier(&self, identifier: &str) -> Option<&Arc<SsoApp>> {
        self.by_identifier.get(identifier)
    }

    /// How many applications there are.
    pub fn app_count(&self) -> usize {
        self.by_id.len()
    }

    /// The application with this id.
    pub fn by_id(&self, id: &str) -> Option<&Arc<SsoApp>> {
        self.by_id.get(id)
    }

    /// Every application.
    pub fn apps(&self) -> impl Iterator<Item = &Arc<SsoApp>> {
        self.by_id.values()
    }

    /// A snapshot of `apps` without a tenant, for tests of the flows that read it.
    #[cfg(test)]
    pub(crate) fn for_tests(apps: Vec<SsoApp>, idp_issuer: &str, login_url: &str) -> AppCache {
        let mut cache = AppCache {
            idp_issuer: idp_issuer.to_owned(),
            login_url: login_url.to_owned(),
            ..AppCache::default()
        };
        for app in apps {
            let app = Arc::new(app);
            for i in &app.identifiers {
                cache.by_identifier.insert(i.clone(), Arc::clone(&app));
            }
            cache.by_id.insert(app.id.clone(), app);
        }
        cache
    }
}

/// The shared, swappable snapshot.
#[derive(Debug)]
pub struct CacheHandle {
    current: RwLock<Arc<AppCache>>,
    store: Store,
    master: Arc<MasterKey>,
    hot: Arc<HotPath>,
    /// Held while a miss re-reads the configuration: one at a time.
    miss_lock: tokio::sync::Mutex<()>,
    miss_budget: Mutex<MissBudget>,
    miss_rereads: AtomicU64,
}

fn sso_app(
    app: &App,
    signer: Option<Arc<Signer>>,
    metadata: Option<Arc<str>>,
    claims: Arc<AppClaims>,
) -> SsoApp {
    let s = &app.saml;
    let mut identifiers: Vec<String> = Vec::with_capacity(s.identifiers.len());
    if let Some(d) = s.default_identifier() {
        identifiers.push(d.to_owned());
    }
    for i in &s.identifiers {
        if !identifiers.contains(&i.value) {
            identifiers.push(i.value.clone());
        }
    }
    SsoApp {
        id: app.id.clone(),
        name: app.name.clone(),
        enabled: app.enabled,
        assignment_required: app.assignment_required,
        missing: apps::missing_settings(app),
        identifiers,
        reply_urls: s.reply_urls.clone(),
        sign_on_url: s.sign_on_url.clone().filter(|u| !u.is_empty()),
        relay_state: s.relay_state.clone().filter(|u| !u.is_empty()),
        logout_url: s.logout_url.clone().filter(|u| !u.is_empty()),
        require_signed_requests: s.require_signed_requests,
        require_sha256: s.require_sha256,
        clock_skew_secs: s.clock_skew_secs,
        sp_certificates: s.sp_certificates.clone(),
        nameid_source: claims.nameid.source.to_string(),
        nameid_format: claims.nameid.format_uri().to_owned(),
        signer,
        metadata_xml: metadata,
        claims,
    }
}

async fn build(store: &Store, master: &MasterKey) -> Result<AppCache, CacheError> {
    // Read the version first: a change racing with the build is seen at the next poll.
    let version = store.config_version().await?;
    let tenant = store.tenant().await?.ok_or(CacheError::NoTenant)?;
    let mut cache = AppCache {
        version,
        idp_issuer: tenant.idp_identifier(),
        login_url: tenant.login_url(),
        ..AppCache::default()
    };
    for app in store.list_apps().await? {
        let certs = apps::certs::list(store, &app.id)
            .await
            .map_err(|e| CacheError::App(e.to_string()))?;
        let signer = match apps::certs::active_signing_key(store, master, &app.id).await {
            Ok((key, cert)) => Some(Arc::new(Signer {
                key,
                cert,
                alg: app.saml.signing_alg.algorithm(),
                target: match app.saml.sign_mode {
                    SignMode::Response => SignTarget::Response,
                    SignMode::Assertion => SignTarget::Assertion,
                    SignMode::Both => SignTarget::Both,
                },
            })),
            Err(apps::AppError::NotFound(_)) => None,
            Err(e) => {
                tracing::error!(app = %app.id, "cannot unseal the signing key: {e}");
                None
            }
        };
        let metadata: Arc<str> = apps::federation_metadata_xml(&tenant, &app, &certs).into();
        let claims = match AppClaims::load(store, &app, &tenant, Some(master)).await {
            Ok(c) => Arc::new(c),
            Err(e) => {
                // A stored configuration that does not decode: the app keeps working with
                // the defaults rather than taking the whole cache down.
                tracing::error!(app = %app.id, "cannot load the claims configuration: {e}");
                Arc::new(AppClaims {
                    claims: apps::claims::default_claims(),
                    persistent_key: Some(apps::claims::PersistentKey::derive(
                        master, &tenant.id, &app.id,
                    )),
                    ..AppClaims::default()
                })
            }
        };
        let entry = Arc::new(sso_app(&app, signer, Some(metadata), claims));
        for i in &entry.identifiers {
            cache.by_identifier.insert(i.clone(), Arc::clone(&entry));
        }
        cache.by_id.insert(app.id.clone(), entry);
    }
    cache.policies = store.policies().await?;
    cache.locations = store.locations().await?;
    cache.tenant = Some(tenant);
    Ok(cache)
}

impl CacheHandle {
    /// Builds the first snapshot.
    pub async fn load(
        store: Store,
        master: Arc<MasterKey>,
    ) -> Result<Arc<CacheHandle>, CacheError> {
        let first = build(&store, &master).await?;
        Ok(Arc::new(CacheHandle {
            current: RwLock::new(Arc::new(first)),
            hot: Arc::new(HotPath::new(&store)),
            store,
            master,
            miss_lock: tokio::sync::Mutex::new(()),
            miss_budget: Mutex::new(MissBudget::new(MISS_REREADS_PER_SECOND)),
            miss_rereads: AtomicU64::new(0),
        }))
    }

    /// The master key (admin edges use it to create applications and certificates).
    pub fn master(&self) -> &Arc<MasterKey> {
        &self.master
    }

    /// The hot path's server-lifetime state.
    pub fn hot(&self) -> &HotPath {
        &self.hot
    }

    /// `sesame serve`: moves the replay cache to memory on a single-node (SQLite) store,
    /// and starts writing it behind. Returns the writer task, when there is one.
    pub async fn start_hot_path(&self) -> Result<Option<tokio::task::JoinHandle<()>>, CacheError> {
        if !self
            .hot
            .start_replay(&self.store, super::now().unix_seconds())
            .await?
        {
            return Ok(None);
        }
        Ok(self.hot.spawn_writer(self.store.clone()))
    }

    /// Writes what the hot path keeps behind (at shutdown, after the last request).
    pub async fn flush(&self) {
        self.hot.write_replays(&self.store).await;
    }

    /// The current snapshot (a cheap `Arc` clone).
    pub fn get(&self) -> Arc<AppCache> {
        match self.current.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Rebuilds the snapshot when the stored version changed. Returns whether it did.
    pub async fn refresh_if_changed(&self) -> Result<bool, CacheError> {
        let v = self.store.config_version().await?;
        if v == self.get().version {
            return Ok(false);
        }
        self.reload().await?;
        Ok(true)
    }

    /// After a lookup missed in the current snapshot: re-reads the configuration version
    /// and rebuilds the snapshot when it changed (a change made by the CLI or another
    /// node less than a poll ago). Returns the newer snapshot, or `None` when nothing
    /// changed or the re-read was not allowed: one re-read runs at a time (a miss
    /// meanwhile waits for it and uses what it found), and at most
    /// [`MISS_REREADS_PER_SECOND`] run per second, so a flood of unknown ids costs the
    /// database a handful of version reads a second.
    pub async fn after_miss(&self) -> Option<Arc<AppCache>> {
        let before = self.get().version;
        let _reading = match self.miss_lock.try_lock() {
            Ok(g) => g,
            Err(_) => {
                drop(self.miss_lock.lock().await);
                let now = self.get();
                return (now.version != before).then_some(now);
            }
        };
        let allowed = match self.miss_budget.lock() {
            Ok(mut b) => b.allow(Instant::now()),
            Err(poisoned) => poisoned.into_inner().allow(Instant::now()),
        };
        if !allowed {
            return None;
        }
        self.miss_rereads.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("sesame_config_miss_rereads_total").increment(1);
        match self.refresh_if_changed().await {
            Ok(true) => Some(self.get()),
            Ok(false) => None,
            Err(e) => {
                tracing::warn!("configuration re-read after a miss failed: {e}");
                None
            }
        }
    }

    /// The snapshot, re-read once ([`Self::after_miss`]) when `found` does not hold in
    /// the current one.
    pub async fn get_or_reread(&self, found: impl Fn(&AppCache) -> bool) -> Arc<AppCache> {
        let c = self.get();
        if found(&c) {
            return c;
        }
        self.after_miss().await.unwrap_or(c)
    }

    /// How many re-reads misses caused since the start.
    pub fn miss_rereads(&self) -> u64 {
        self.miss_rereads.load(Ordering::Relaxed)
    }

    /// Rebuilds the snapshot now.
    pub async fn reload(&self) -> Result<(), CacheError> {
        let next = Arc::new(build(&self.store, &self.master).await?);
        match self.current.write() {
            Ok(mut g) => *g = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
        Ok(())
    }

    /// Polls the version every [`POLL_EVERY`] until the task is aborted.
    pub fn spawn_poller(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(POLL_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = me.refresh_if_changed().await {
                    tracing::warn!("configuration refresh failed: {e}");
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misses_reread_at_most_the_budget_per_second() {
        let mut b = MissBudget::new(3);
        let t0 = Instant::now();
        let allowed = (0..1000)
            .filter(|i| b.allow(t0 + Duration::from_micros(*i)))
            .count();
        assert_eq!(allowed, 3);
        assert!(!b.allow(t0 + Duration::from_millis(999)));
        assert!(b.allow(t0 + Duration::from_secs(1)));
        assert!(b.allow(t0 + Duration::from_millis(1500)));
        assert!(b.allow(t0 + Duration::from_millis(1600)));
        assert!(!b.allow(t0 + Duration::from_millis(1700)));
    }
}
