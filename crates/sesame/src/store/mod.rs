//! The store: one implementation over sqlx's `Any` driver, serving SQLite (default,
//! embedded) and PostgreSQL with the same portable SQL (`$N` placeholders in order of
//! first use, `ON CONFLICT`, TEXT ids, BIGINT epoch seconds). Backend differences live
//! in the two migration folders and in [`Store::open`]'s connection set-up, nowhere else.
//!
//! The queries are split by the tables they serve, one file each (`impl Store` blocks).

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;
use thiserror::Error;

/// The columns `audit::audit_from_row` reads (`Store::audit_list`, `Store::audit_search`).
/// Defined before the query files so each of them can use it.
macro_rules! audit_columns {
    () => {
        "id, time_ms, actor_kind, actor, actor_id, action, target_kind, target_id, \
         target_name, before_json, after_json, correlation_id"
    };
}

// Admin plane query files (tenant and config version, directory, apps, certificates).
mod access;
mod apps;
mod audit;
mod certs;
mod claims;
mod groups;
mod links;
mod logos;
mod mail;
mod methods;
mod notices;
mod passkeys;
mod tenant;
mod tokens;
mod users;
// SSO plane query files (sessions, replay cache, lockouts, pending requests, sign-in logs).
mod lockouts;
mod pending;
mod portal;
mod replay;
mod sessions;
mod signins;
// Backup and restore (`sesame backup` / `sesame restore`).
mod backup;
pub use audit::{AuditFilter, AuditRow};
pub use backup::{Backup, RestoreMode, BACKUP_FORMAT, BACKUP_VERSION};
pub use claims::ClaimRow;
pub use lockouts::Lockout;
pub use logos::AppLogo;
pub use mail::{OutboxHealth, OutboxStats};
pub use portal::{AuditSearch, SigninSearch, UserSearch};
pub use sessions::{SessionApp, SessionRecord, SessionWithUser};
pub use signins::{SigninFilter, SigninRow};
pub use tokens::TokenRow;

/// Storage errors. Constraint violations are told apart so the edges can answer
/// "already exists" instead of a 500.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique constraint refused the write.
    #[error("already exists: {0}")]
    Conflict(String),
    /// The row was not found.
    #[error("not found: {0}")]
    NotFound(String),
    /// The database URL cannot be used.
    #[error("database URL {url}: {reason}")]
    BadUrl { url: String, reason: String },
    /// Stored data that does not decode (a bug or a hand-edited database).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Anything else from the database.
    #[error("database error: {0}")]
    Db(#[source] sqlx::Error),
    /// Migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database cannot be reached (at start: the URL is named, without its password).
    #[error("cannot reach the database at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// A backup cannot be written or restored.
    #[error("{0}")]
    Backup(String),
}

impl StoreError {
    /// True when the failure says the database is (perhaps briefly) out of reach or
    /// overloaded rather than that the request was wrong: the HTTP edge answers 503.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Unreachable { .. } => true,
            StoreError::Db(e) => is_unavailable(e),
            _ => false,
        }
    }
}

/// True when `e` means the database is out of reach, shutting down, restarting or
/// overloaded (pool timeout, I/O error, connection-class SQLSTATEs, statement timeout,
/// SQLite busy): the request may succeed later.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            // 08: connection exception; 57P01-03: shutdown, crash shutdown, cannot connect
            // now; 53: insufficient resources; 57014: statement timeout; 40001/40P01:
            // serialization failure, deadlock; SQLite 5/6: busy, locked.
            code.starts_with("08")
                || code.starts_with("57P")
                || code.starts_with("53")
                || code == "57014"
                || code == "40001"
                || code == "40P01"
                || matches!(
                    code.as_str(),
                    "5" | "6" | "261" | "262" | "517" | "518" | "773"
                )
        }
        _ => false,
    }
}

/// Connection-pool settings of [`Store::open_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConfig {
    /// Most connections open at once (SQLite: at least 1; PostgreSQL: at least 2).
    pub max_connections: u32,
    /// How long a request waits for a connection before failing (503 at the HTTP edge).
    pub acquire_timeout: Duration,
    /// PostgreSQL `statement_timeout`: no statement runs longer.
    pub statement_timeout: Duration,
}

impl PoolConfig {
    /// `max_connections` with the default timeouts (5 s to get a connection, 15 s per
    /// statement).
    pub fn new(max_connections: u32) -> PoolConfig {
        PoolConfig {
            max_connections,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(15),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return StoreError::Conflict(db.message().to_owned());
            }
        }
        if matches!(e, sqlx::Error::RowNotFound) {
            return StoreError::NotFound("row".into());
        }
        StoreError::Db(e)
    }
}

/// Result alias for the store.
pub type StoreResult<T> = Result<T, StoreError>;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// `reason` with the password of `url` (if any) replaced by `***`.
fn redact_in(url: &str, reason: &str) -> String {
    let pw = match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s + 3 => url[s + 3..at]
            .split_once(':')
            .map(|(_, p)| p.to_owned())
            .unwrap_or_default(),
        _ => String::new(),
    };
    if pw.is_empty() {
        reason.to_owned()
    } else {
        reason.replace(&pw, "***")
    }
}

/// The database handle shared by every part of Sesame.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// `url` with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s + 3 => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Store {
    /// Opens (creating an SQLite file when needed) and migrates the database at `url`
    /// (`sqlite:PATH` or `postgres://…`).
    pub async fn open(url: &str, max_connections: u32) -> StoreResult<Store> {
        Self::open_with(url, &PoolConfig::new(max_connections)).await
    }

    /// [`Store::open`] with explicit pool settings.
    pub async fn open_with(url: &str, cfg: &PoolConfig) -> StoreResult<Store> {
        let store = Self::connect(url, cfg).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without migrating (`sesame migrate` reports what it applies). An
    /// unreachable database is [`StoreError::Unreachable`], naming the URL without its
    /// password.
    pub async fn connect(url: &str, cfg: &PoolConfig) -> StoreResult<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::BadUrl {
                url: redact_url(url),
                reason: "expected sqlite:PATH or postgres://USER:PASSWORD@HOST/DB".into(),
            });
        };
        let mut url = url.to_owned();
        if backend == Backend::Sqlite && !url.contains("mode=") {
            url.push_str(if url.contains('?') {
                "&mode=rwc"
            } else {
                "?mode=rwc"
            });
        }
        let opts = AnyConnectOptions::from_str(&url).map_err(|e| StoreError::BadUrl {
            url: redact_url(&url),
            reason: e.to_string(),
        })?;
        // One direct attempt first: its error says why (refused, authentication, unknown
        // database), where the pool would only report a timeout.
        {
            use sqlx::ConnectOptions;
            let conn = tokio::time::timeout(
                cfg.acquire_timeout.max(Duration::from_secs(1)),
                opts.connect(),
            )
            .await
            .map_err(|_| StoreError::Unreachable {
                url: redact_url(&url),
                reason: format!("no answer within {:?}", cfg.acquire_timeout),
            })?
            .map_err(|e| StoreError::Unreachable {
                url: redact_url(&url),
                reason: redact_in(&url, &e.to_string()),
            })?;
            let _ = sqlx::Connection::close(conn).await;
        }
        let statement_ms = cfg.statement_timeout.as_millis().max(1);
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite {
                cfg.max_connections.max(1)
            } else {
                cfg.max_connections.max(2)
            })
            .acquire_timeout(cfg.acquire_timeout)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    match backend {
                        Backend::Sqlite => {
                            conn.execute(
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; \
                                 PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;",
                            )
                            .await?;
                        }
                        Backend::Postgres => {
                            // A number formatted by us: no injection.
                            sqlx::query(sqlx::AssertSqlSafe(format!(
                                "SET statement_timeout = {statement_ms}"
                            )))
                            .execute(&mut *conn)
                            .await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await
            .map_err(|e| StoreError::Unreachable {
                url: redact_url(&url),
                reason: redact_in(&url, &e.to_string()),
            })?;
        Ok(Store { pool, backend })
    }

    /// Applies pending migrations (also run by `open`). Returns the versions applied now.
    pub async fn migrate(&self) -> StoreResult<Vec<i64>> {
        let before = self.applied_migrations().await;
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        let after = self.applied_migrations().await;
        Ok(after.into_iter().filter(|v| !before.contains(v)).collect())
    }

    /// The migration versions recorded in the database (empty before the first).
    pub async fn applied_migrations(&self) -> Vec<i64> {
        sqlx::query_scalar::<_, i64>(
            "SELECT version FROM _sqlx_migrations WHERE success = $1 ORDER BY version",
        )
        .bind(true)
        .fetch_all(&self.pool)
        .await
        .unwrap_or_default()
    }

    /// The newest migration this build knows.
    pub fn latest_migration(&self) -> i64 {
        let m = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        m.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// Connections open in the pool (busy and idle).
    pub fn pool_size(&self) -> u32 {
        self.pool.size()
    }

    /// Idle connections in the pool.
    pub fn pool_idle(&self) -> usize {
        self.pool.num_idle()
    }

    /// The pool's maximum size.
    pub fn pool_max(&self) -> u32 {
        self.pool.options().get_max_connections()
    }

    /// The connection pool, for the query files of this module.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// True when the database answers (for /readyz).
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
pub(crate) mod suite;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://sesame:s3cret@db:5432/sesame"),
            "postgres://sesame:***@db:5432/sesame"
        );
        assert_eq!(redact_url("sqlite:/tmp/x.db"), "sqlite:/tmp/x.db");
    }

    #[tokio::test]
    async fn opens_and_migrates_sqlite() {
        let dir = std::env::temp_dir().join(format!("sesame-store-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite:{}", dir.join("sesame.db").display());
        let s = Store::open(&url, 4).await.unwrap();
        assert!(s.ping().await);
        // Migrating twice is a no-op.
        s.migrate().await.unwrap();
        std::fs::remove_dir_all(&dir).ok();
    }
}
