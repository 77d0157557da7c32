//! The hot path's memory: what SSO for an already signed-in browser would otherwise read
//! from, or write to, the database on every request (without it a response took ~6
//! SQLite round trips, each a hand-off to a sqlx worker thread and back, costing more CPU
//! than Sesame's own code).
//!
//! Two levels, with the same staleness guarantee as the configuration itself:
//!
//! * [`Memo`], inside each configuration snapshot (`AppCache`, which holds it): users,
//!   assignment results and claim data per (app, user), the group ids Conditional Access
//!   policies that name groups are evaluated against, and — on SQLite only — sessions.
//!   Every write to users, groups, memberships, assignments and roles bumps
//!   `tenant.config_version` (`Store::begin_config_write`), so a new snapshot, with an
//!   empty memo, is in force within a second of any such change, exactly like an app's
//!   configuration. Session entries are also dropped when any session of this process is
//!   deleted ([`crate::store::session_epoch`]) and are re-read after
//!   [`SESSION_FRESH`], so a session deleted by another process is refused within a
//!   second too. On PostgreSQL (several nodes) the session is read from the database on
//!   every request: a sign-out at one node holds at once at the others.
//! * [`HotPath`], for the lifetime of the server: the applications each session signed
//!   in to (so that the steady state of a session writes nothing: the SessionIndex of a
//!   (session, app) stays the same, and the row is only written when it changes), and —
//!   on SQLite, where one node serves the store — the replay cache of AuthnRequest IDs,
//!   kept in memory, loaded from the database at start and written behind in batches. On
//!   PostgreSQL the replay check stays one synchronous `INSERT … ON CONFLICT` so that a
//!   request ID used at one node is refused at every other.
//!
//! Every security check (Issuer, signature, ACS URL, Destination, time, replay, user
//! enabled, session lifetime and revocation, assignment) still runs on every request:
//! only where its inputs come from changes.

use super::SsoApp;
use crate::apps::claims::UserClaimData;
use crate::directory::User;
use crate::store::{Backend, SessionApp, SessionWithUser, Store, StoreResult};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// How long a cached session is trusted before it is read again (SQLite only).
pub const SESSION_FRESH: Duration = Duration::from_secs(1);
/// Most entries of each memo table; a full table is emptied (then refills on demand).
pub const MEMO_MAX: usize = 100_000;
/// Most request IDs kept in memory; beyond it the replay check goes to the database.
pub const REPLAY_MAX: usize = 4_000_000;
/// How often the replay entries accepted in memory are written to the database.
pub const REPLAY_WRITE_EVERY: Duration = Duration::from_millis(200);
/// How often stale replay entries are dropped from memory.
const REPLAY_PURGE_EVERY: Duration = Duration::from_secs(30);
/// Replay rows kept for a retry while the database is out of reach.
const REPLAY_KEEP_WHILE_UNAVAILABLE: usize = 200_000;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Inserts into a bounded memo table (emptied when full).
fn put<K: std::hash::Hash + Eq, V>(m: &Mutex<HashMap<K, V>>, k: K, v: V) {
    let mut g = lock(m);
    if g.len() >= MEMO_MAX {
        g.clear();
    }
    g.insert(k, v);
}

/// What the assignment check and the claims of one (app, user) read.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The user may sign in to the app (assigned, or the app requires no assignment).
    pub allowed: bool,
    /// Groups and roles for the claims (empty when not allowed).
    pub data: UserClaimData,
}

impl Grant {
    /// Reads the grant of (`app`, `user_id`): the assignment when the app requires one,
    /// then the groups and roles its claims need.
    pub async fn load(store: &Store, app: &SsoApp, user_id: &str) -> StoreResult<Grant> {
        // The roles the assignment check reads are reused by the role claim.
        let mut roles = None;
        if app.assignment_required {
            match crate::apps::user_assignment(store, &app.id, user_id).await? {
                Some(r) => roles = Some(r),
                None => {
                    return Ok(Grant {
                        allowed: false,
                        data: UserClaimData::default(),
                    })
                }
            }
        }
        // Groups and roles are read only when the app's claims need them.
        let data = crate::apps::claims::load_user_data(store, &app.id, &app.claims, user_id, roles)
            .await?;
        Ok(Grant {
            allowed: true,
            data,
        })
    }
}

#[derive(Debug)]
struct CachedSession {
    s: SessionWithUser,
    at: Instant,
    epoch: u64,
}

/// Per-snapshot memo tables (see the module documentation).
#[derive(Debug, Default)]
pub struct Memo {
    sessions: Mutex<HashMap<String, CachedSession>>,
    users: Mutex<HashMap<String, Arc<User>>>,
    grants: Mutex<HashMap<(String, String), Arc<Grant>>>,
    group_ids: Mutex<HashMap<String, Arc<Vec<String>>>>,
}

impl Memo {
    /// The cached session with this cookie hash, when fresh.
    pub fn session(&self, id_hash: &str, now: Instant) -> Option<SessionWithUser> {
        let g = lock(&self.sessions);
        let c = g.get(id_hash)?;
        (c.epoch == Store::session_epoch() && now.saturating_duration_since(c.at) < SESSION_FRESH)
            .then(|| c.s.clone())
    }

    /// Caches a session read at `at`, when no session was deleted since `epoch`.
    pub fn put_session(&self, s: &SessionWithUser, at: Instant, epoch: u64) {
        if epoch != Store::session_epoch() {
            return;
        }
        put(
            &self.sessions,
            s.session.id_hash.clone(),
            CachedSession {
                s: s.clone(),
                at,
                epoch,
            },
        );
    }

    /// Records that `last_seen` was written for a cached session.
    pub fn touched(&self, id_hash: &str, last_seen: i64) {
        if let Some(c) = lock(&self.sessions).get_mut(id_hash) {
            c.s.session.last_seen = last_seen;
        }
    }

    /// Forgets a session (ended by this process).
    pub fn forget_session(&self, id_hash: &str) {
        lock(&self.sessions).remove(id_hash);
    }

    /// The cached user.
    pub fn user(&self, id: &str) -> Option<Arc<User>> {
        lock(&self.users).get(id).cloned()
    }

    /// Caches a user.
    pub fn put_user(&self, u: Arc<User>) {
        put(&self.users, u.id.clone(), u);
    }

    /// The cached grant of (app, user).
    pub fn grant(&self, app_id: &str, user_id: &str) -> Option<Arc<Grant>> {
        // A tuple key needs owned parts; the look-up is two short copies.
        lock(&self.grants)
            .get(&(app_id.to_owned(), user_id.to_owned()))
            .cloned()
    }

    /// Caches the grant of (app, user).
    pub fn put_grant(&self, app_id: &str, user_id: &str, g: Arc<Grant>) {
        put(&self.grants, (app_id.to_owned(), user_id.to_owned()), g);
    }

    /// The cached ids of the groups a user is transitively a member of.
    pub fn group_ids(&self, user_id: &str) -> Option<Arc<Vec<String>>> {
        lock(&self.group_ids).get(user_id).cloned()
    }

    /// Caches the ids of a user's groups.
    pub fn put_group_ids(&self, user_id: &str, ids: Arc<Vec<String>>) {
        put(&self.group_ids, user_id.to_owned(), ids);
    }
}

/// One replay-cache entry accepted in memory and not yet written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayRow {
    /// The request's Issuer.
    pub issuer: String,
    /// The request's ID.
    pub request_id: String,
    /// Kept until (Unix seconds).
    pub expires_at: i64,
}

/// The in-memory replay cache of a single-node (SQLite) server.
#[derive(Debug, Default)]
struct MemoryReplay {
    /// 128 bits of SHA-256(issuer, NUL, request ID) → expiry.
    seen: HashMap<[u8; 16], i64>,
    /// Accepted, not yet written.
    unwritten: Vec<ReplayRow>,
}

fn replay_key(issuer: &str, request_id: &str) -> [u8; 16] {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(issuer.as_bytes());
    ctx.update(&[0]);
    ctx.update(request_id.as_bytes());
    let d = ctx.finish();
    let mut k = [0u8; 16];
    k.copy_from_slice(&d.as_ref()[..16]);
    k
}

impl MemoryReplay {
    /// The same rule as the database's: refused when recorded and not yet stale.
    fn check_and_insert(&mut self, row: ReplayRow, now: i64) -> bool {
        let k = replay_key(&row.issuer, &row.request_id);
        if self.seen.get(&k).is_some_and(|&exp| exp > now) {
            return false;
        }
        self.seen.insert(k, row.expires_at);
        self.unwritten.push(row);
        true
    }
}

/// Server-lifetime hot-path state (see the module documentation).
#[derive(Debug)]
pub struct HotPath {
    /// Sessions may be cached (one node: SQLite).
    cache_sessions: bool,
    /// The in-memory replay cache, once started (`sesame serve` on SQLite).
    replay: OnceLock<Mutex<MemoryReplay>>,
    /// Session hash → the applications recorded for it (known to be in the database).
    session_apps: Mutex<HashMap<String, Vec<SessionApp>>>,
}

impl HotPath {
    /// The state for a store; the replay cache moves to memory with
    /// [`HotPath::start_replay`].
    pub fn new(store: &Store) -> HotPath {
        HotPath {
            cache_sessions: store.backend() == Backend::Sqlite,
            replay: OnceLock::new(),
            session_apps: Mutex::new(HashMap::new()),
        }
    }

    /// On a single-node (SQLite) server: keeps the replay cache in memory from now on,
    /// loaded with the entries of the database not stale at `now`. Returns whether it
    /// did (call [`HotPath::spawn_writer`] next). Elsewhere (PostgreSQL, the CLI), the
    /// replay check stays in the database.
    pub async fn start_replay(&self, store: &Store, now: i64) -> StoreResult<bool> {
        if store.backend() != Backend::Sqlite || self.replay.get().is_some() {
            return Ok(false);
        }
        let mut m = MemoryReplay::default();
        store
            .replay_live_each(now, |issuer, request_id, expires_at| {
                m.seen.insert(replay_key(issuer, request_id), expires_at);
            })
            .await?;
        Ok(self.replay.set(Mutex::new(m)).is_ok())
    }

    /// Whether sessions may be served from [`Memo`].
    pub fn cache_sessions(&self) -> bool {
        self.cache_sessions
    }

    /// Records `request_id` from `issuer` until `expires_at`; false when it is a replay.
    /// In memory on a single node (written behind by [`HotPath::write_replays`]), else
    /// one statement on the shared database.
    pub async fn replay_check_and_insert(
        &self,
        store: &Store,
        issuer: &str,
        request_id: &str,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<bool> {
        if let Some(m) = self.replay.get() {
            let mut g = lock(m);
            if g.seen.len() < REPLAY_MAX {
                return Ok(g.check_and_insert(
                    ReplayRow {
                        issuer: issuer.to_owned(),
                        request_id: request_id.to_owned(),
                        expires_at,
                    },
                    now,
                ));
            }
            // Full (millions of requests within the replay window): the entry may be
            // older than memory, so ask the database, which has every one written.
            if g.seen
                .get(&replay_key(issuer, request_id))
                .is_some_and(|&e| e > now)
            {
                return Ok(false);
            }
        }
        store
            .replay_check_and_insert(issuer, request_id, expires_at, now)
            .await
    }

    /// Writes the replay entries accepted in memory since the last call (one transaction)
    /// and, every [`REPLAY_PURGE_EVERY`], drops stale ones from memory.
    pub async fn write_replays(&self, store: &Store) {
        let Some(m) = self.replay.get() else { return };
        let rows = std::mem::take(&mut lock(m).unwritten);
        if rows.is_empty() {
            return;
        }
        let batch: Vec<(&str, &str, i64)> = rows
            .iter()
            .map(|r| (r.issuer.as_str(), r.request_id.as_str(), r.expires_at))
            .collect();
        let written = store.replay_insert_batch(&batch).await;
        drop(batch);
        if let Err(e) = written {
            let mut g = lock(m);
            if e.is_unavailable() && rows.len() + g.unwritten.len() < REPLAY_KEEP_WHILE_UNAVAILABLE
            {
                tracing::warn!(
                    "writing {} replay-cache rows failed, will retry: {e}",
                    rows.len()
                );
                let newer = std::mem::replace(&mut g.unwritten, rows);
                g.unwritten.extend(newer);
            } else {
                // Memory still refuses them for as long as this process runs.
                tracing::error!("writing {} replay-cache rows failed: {e}", rows.len());
            }
        }
    }

    fn purge_replays(&self, now: i64) {
        if let Some(m) = self.replay.get() {
            lock(m).seen.retain(|_, exp| *exp > now);
        }
    }

    /// Writes the replay entries behind, every [`REPLAY_WRITE_EVERY`], until aborted.
    pub fn spawn_writer(self: &Arc<Self>, store: Store) -> Option<tokio::task::JoinHandle<()>> {
        self.replay.get()?;
        let me = Arc::clone(self);
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(REPLAY_WRITE_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut purged = Instant::now();
            loop {
                tick.tick().await;
                me.write_replays(&store).await;
                if purged.elapsed() >= REPLAY_PURGE_EVERY {
                    purged = Instant::now();
                    me.purge_replays(super::now().unix_seconds());
                }
            }
        }))
    }

    /// The application `app_id` as recorded for a session, when known.
    pub fn session_app(&self, id_hash: &str, app_id: &str) -> Option<SessionApp> {
        lock(&self.session_apps)
            .get(id_hash)?
            .iter()
            .find(|a| a.app_id == app_id)
            .cloned()
    }

    /// Notes that `a` is recorded for the session in the database.
    pub fn recorded_session_app(&self, id_hash: &str, a: SessionApp) {
        let mut g = lock(&self.session_apps);
        if g.len() >= MEMO_MAX && !g.contains_key(id_hash) {
            g.clear();
        }
        let list = g.entry(id_hash.to_owned()).or_default();
        match list.iter_mut().find(|x| x.app_id == a.app_id) {
            Some(x) => *x = a,
            None => list.push(a),
        }
    }

    /// Forgets a session ended by this process, here and in the current snapshot's `memo`.
    pub fn forget_session(&self, id_hash: &str, memo: &Memo) {
        lock(&self.session_apps).remove(id_hash);
        memo.forget_session(id_hash);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;

    fn row(id: &str, exp: i64) -> ReplayRow {
        ReplayRow {
            issuer: "sp".into(),
            request_id: id.into(),
            expires_at: exp,
        }
    }

    #[test]
    fn memory_replay_follows_the_database_rule() {
        let mut m = MemoryReplay::default();
        assert!(m.check_and_insert(row("_1", 100), 50));
        // Replayed before it is stale: refused.
        assert!(!m.check_and_insert(row("_1", 200), 60));
        // Another issuer with the same ID is another request.
        let mut other = row("_1", 100);
        other.issuer = "sp2".into();
        assert!(m.check_and_insert(other, 60));
        // Stale: taken over.
        assert!(m.check_and_insert(row("_1", 300), 150));
        assert!(!m.check_and_insert(row("_1", 300), 160));
        assert_eq!(m.unwritten.len(), 3);
    }

    #[test]
    fn keys_separate_issuer_and_id() {
        assert_ne!(replay_key("ab", "c"), replay_key("a", "bc"));
    }
}
