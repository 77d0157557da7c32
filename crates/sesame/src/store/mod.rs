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

// Admin plane query files (tenant and config version, directory, apps, certificates).
mod apps;
mod certs;
mod groups;
mod tenant;
mod users;
// SSO plane query files (sessions, replay cache, lockouts, pending requests, sign-in logs).
mod lockouts;
mod pending;
mod replay;
mod sessions;
mod signins;
pub use lockouts::Lockout;
pub use sessions::{SessionApp, SessionRecord, SessionWithUser};
pub use signins::{SigninFilter, SigninRow};

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
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite {
                max_connections.max(1)
            } else {
                max_connections.max(2)
            })
            .acquire_timeout(Duration::from_secs(10))
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
                            conn.execute("SET statement_timeout = 15000").await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await
            .map_err(|e| StoreError::BadUrl {
                url: redact_url(&url),
                reason: format!("cannot connect: {e}"),
            })?;
        let store = Store { pool, backend };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies pending migrations (also run by `open`).
    pub async fn migrate(&self) -> StoreResult<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
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
