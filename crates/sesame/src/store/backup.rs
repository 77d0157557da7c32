//! `sesame backup` / `sesame restore`: one Sesame-native, versioned JSON document for both
//! backends, which is also how a tenant moves from SQLite to PostgreSQL:
//!
//! ```json
//! {"format": "sesame-backup", "version": 1, "created_at": 1700000000,
//!  "source_backend": "sqlite", "migrations": [1, 2],
//!  "tables": {"users": {"columns": ["id", …], "kinds": ["text", …], "rows": [[…], …]}, …}}
//! ```
//!
//! Values are JSON null, numbers, strings and booleans; binary columns (certificates, sealed
//! keys) are base64 strings (`kinds` says which). Booleans are INTEGER 0/1 on SQLite and
//! BOOLEAN on PostgreSQL: a restore converts to what the target column is.
//!
//! A backup is read in one transaction (REPEATABLE READ on PostgreSQL, a WAL snapshot on
//! SQLite), so it is consistent while servers run. It holds what the database holds —
//! signing keys stay sealed with the master key, which lives outside the database and is
//! never in a backup. A restore goes into an empty store (or replaces everything with
//! [`RestoreMode::Replace`]), in one transaction.
//!
//! The only backend-specific SQL is the catalog look-up (which tables and columns exist)
//! and the isolation level: they are here, not in the domain queries.

use super::{Backend, Store, StoreError, StoreResult};
use base64::Engine as _;
use serde_json::{json, Map, Value};
use sqlx::any::AnyRow;
// Every name written into SQL here passed `check_ident` (plain identifiers only).
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

/// The `format` of a backup document.
pub const BACKUP_FORMAT: &str = "sesame-backup";
/// The `version` of the backup format this build writes and reads.
pub const BACKUP_VERSION: i64 = 1;

/// Tables in an order that satisfies their foreign keys (parents first). Tables not named
/// here (added by later migrations) come after, by name.
const TABLE_ORDER: &[&str] = &[
    "tenant",
    "users",
    "user_roles",
    "groups",
    "group_members",
    "apps",
    "app_identifiers",
    "app_reply_urls",
    "app_roles",
    "app_assignments",
    "app_certificates",
    "app_claims",
    "sessions",
    "session_apps",
    "replay_cache",
    "pending_requests",
    "lockouts",
    "signin_logs",
];

/// What a restore may do to the target store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreMode {
    /// Refuse unless every table is empty.
    EmptyOnly,
    /// Delete everything first (`--force`).
    Replace,
}

/// A backup document and what it holds.
#[derive(Debug, Clone)]
pub struct Backup {
    /// The document.
    pub document: Value,
    /// Tables in it.
    pub tables: usize,
    /// Rows in it.
    pub rows: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Bool,
    Float,
    Bytes,
    Text,
}

impl Kind {
    fn of_declared(t: &str) -> Kind {
        let t = t.to_ascii_uppercase();
        if t.contains("BOOL") {
            Kind::Bool
        } else if t.contains("INT") {
            Kind::Int
        } else if t.contains("BLOB") || t.contains("BYTEA") {
            Kind::Bytes
        } else if t.contains("REAL")
            || t.contains("DOUBLE")
            || t.contains("FLOAT")
            || t.contains("NUMERIC")
        {
            Kind::Float
        } else {
            Kind::Text
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Int => "int",
            Kind::Bool => "bool",
            Kind::Float => "float",
            Kind::Bytes => "bytes",
            Kind::Text => "text",
        }
    }
}

fn bad(msg: impl Into<String>) -> StoreError {
    StoreError::Backup(msg.into())
}

/// Table and column names come from the database catalog or a backup file: only plain
/// identifiers are accepted before they are written into SQL.
fn check_ident(s: &str) -> StoreResult<&str> {
    if !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
    {
        Ok(s)
    } else {
        Err(bad(format!("\"{s}\" is not a table or column name")))
    }
}

async fn tables(tx: &mut Transaction<'static, Any>, backend: Backend) -> StoreResult<Vec<String>> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name NOT LIKE '_sqlx%'"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name NOT LIKE '_sqlx%'"
        }
    };
    let mut names: Vec<String> = sqlx::query_scalar(sql).fetch_all(&mut **tx).await?;
    names.sort_by_key(|n| {
        (
            TABLE_ORDER
                .iter()
                .position(|t| t == n)
                .unwrap_or(TABLE_ORDER.len()),
            n.clone(),
        )
    });
    Ok(names)
}

async fn columns(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    table: &str,
) -> StoreResult<Vec<(String, Kind)>> {
    let sql = match backend {
        Backend::Sqlite => "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
        Backend::Postgres => {
            "SELECT CAST(column_name AS TEXT) AS name, CAST(data_type AS TEXT) AS type \
             FROM information_schema.columns WHERE table_schema = current_schema() \
             AND table_name = $1 ORDER BY ordinal_position"
        }
    };
    let rows = sqlx::query(sql).bind(table).fetch_all(&mut **tx).await?;
    rows.iter()
        .map(|r| {
            let name: String = r.try_get("name")?;
            let ty: String = r.try_get("type")?;
            Ok((name, Kind::of_declared(&ty)))
        })
        .collect()
}

fn value_of(r: &AnyRow, i: usize, kind: Kind) -> StoreResult<Value> {
    Ok(match kind {
        Kind::Int => r
            .try_get::<Option<i64>, _>(i)?
            .map_or(Value::Null, Value::from),
        Kind::Bool => match r.try_get::<Option<bool>, _>(i) {
            Ok(b) => b.map_or(Value::Null, Value::from),
            Err(_) => r
                .try_get::<Option<i64>, _>(i)?
                .map_or(Value::Null, |v| Value::from(v != 0)),
        },
        Kind::Float => r
            .try_get::<Option<f64>, _>(i)?
            .map_or(Value::Null, Value::from),
        Kind::Bytes => r
            .try_get::<Option<Vec<u8>>, _>(i)?
            .map_or(Value::Null, |b| {
                Value::from(base64::engine::general_purpose::STANDARD.encode(b))
            }),
        Kind::Text => r
            .try_get::<Option<String>, _>(i)?
            .map_or(Value::Null, Value::from),
    })
}

type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>;

fn bind_value<'q>(
    q: AnyQuery<'q>,
    kind: Kind,
    v: &Value,
    at: &dyn Fn() -> String,
) -> StoreResult<AnyQuery<'q>> {
    let mismatch = || bad(format!("{}: {v} is not a {} value", at(), kind.name()));
    Ok(match kind {
        Kind::Int => q.bind(match v {
            Value::Null => None,
            Value::Bool(b) => Some(i64::from(*b)),
            Value::Number(n) => Some(n.as_i64().ok_or_else(mismatch)?),
            _ => return Err(mismatch()),
        }),
        Kind::Bool => q.bind(match v {
            Value::Null => None,
            Value::Bool(b) => Some(*b),
            Value::Number(n) => Some(n.as_i64().ok_or_else(mismatch)? != 0),
            _ => return Err(mismatch()),
        }),
        Kind::Float => q.bind(match v {
            Value::Null => None,
            Value::Number(n) => Some(n.as_f64().ok_or_else(mismatch)?),
            _ => return Err(mismatch()),
        }),
        Kind::Bytes => q.bind(match v {
            Value::Null => None,
            Value::String(s) => Some(
                base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map_err(|_| mismatch())?,
            ),
            _ => return Err(mismatch()),
        }),
        Kind::Text => q.bind(match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            _ => return Err(mismatch()),
        }),
    })
}

impl Store {
    /// Reads the whole store in one consistent transaction.
    pub async fn backup(&self, now: i64) -> StoreResult<Backup> {
        let mut tx = self.pool().begin().await?;
        if self.backend() == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let migrations: Vec<i64> = sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success = $1 ORDER BY version",
        )
        .bind(true)
        .fetch_all(&mut *tx)
        .await?;
        let mut out = Map::new();
        let mut rows_total = 0u64;
        let names = tables(&mut tx, self.backend()).await?;
        for t in &names {
            check_ident(t)?;
            let cols = columns(&mut tx, self.backend(), t).await?;
            for (c, _) in &cols {
                check_ident(c)?;
            }
            let list = cols
                .iter()
                .map(|(c, _)| c.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let rows = sqlx::query(AssertSqlSafe(format!("SELECT {list} FROM {t} ORDER BY 1")))
                .fetch_all(&mut *tx)
                .await?;
            let mut data = Vec::with_capacity(rows.len());
            for r in &rows {
                let mut vals = Vec::with_capacity(cols.len());
                for (i, (_, k)) in cols.iter().enumerate() {
                    vals.push(value_of(r, i, *k)?);
                }
                data.push(Value::Array(vals));
            }
            rows_total += data.len() as u64;
            out.insert(
                t.clone(),
                json!({
                    "columns": cols.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
                    "kinds": cols.iter().map(|(_, k)| k.name()).collect::<Vec<_>>(),
                    "rows": data,
                }),
            );
        }
        tx.commit().await?;
        Ok(Backup {
            document: json!({
                "format": BACKUP_FORMAT,
                "version": BACKUP_VERSION,
                "created_at": now,
                "source_backend": match self.backend() {
                    Backend::Sqlite => "sqlite",
                    Backend::Postgres => "postgres",
                },
                "migrations": migrations,
                "tables": Value::Object(out),
            }),
            tables: names.len(),
            rows: rows_total,
        })
    }

    /// Restores a backup document (see the module docs). Returns the rows written.
    pub async fn restore(&self, doc: &Value, mode: RestoreMode) -> StoreResult<u64> {
        if doc.get("format").and_then(Value::as_str) != Some(BACKUP_FORMAT) {
            return Err(bad(format!(
                "not a Sesame backup (its \"format\" is not \"{BACKUP_FORMAT}\")"
            )));
        }
        let version = doc.get("version").and_then(Value::as_i64).unwrap_or(0);
        if version != BACKUP_VERSION {
            return Err(bad(format!(
                "backup format version {version} is not supported by this Sesame (it reads \
                 version {BACKUP_VERSION})"
            )));
        }
        let newest = doc
            .get("migrations")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().filter_map(Value::as_i64).max())
            .unwrap_or(0);
        if newest > self.latest_migration() {
            return Err(bad(format!(
                "the backup was made by a newer Sesame (schema {newest}, this one knows up to \
                 {}): restore it with that version or a later one",
                self.latest_migration()
            )));
        }
        let Some(src) = doc.get("tables").and_then(Value::as_object) else {
            return Err(bad("the backup has no \"tables\""));
        };

        let mut tx = self.pool().begin().await?;
        let names = tables(&mut tx, self.backend()).await?;
        for t in src.keys() {
            if !names.contains(t) {
                return Err(bad(format!(
                    "the backup has a table \"{t}\" this Sesame does not know"
                )));
            }
        }
        // Is the target empty?
        let old_version: i64 = sqlx::query_scalar("SELECT config_version FROM tenant")
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or(0);
        let mut nonempty = Vec::new();
        for t in &names {
            check_ident(t)?;
            let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM {t}")))
                .fetch_one(&mut *tx)
                .await?;
            if n > 0 {
                nonempty.push(format!("{t} ({n})"));
            }
        }
        if !nonempty.is_empty() {
            if mode == RestoreMode::EmptyOnly {
                return Err(bad(format!(
                    "the target store is not empty (rows in: {}); a restore goes into an empty \
                     store so that nothing is mixed or silently lost — point --database-url at \
                     a new database, or pass --force to delete everything in this one first",
                    nonempty.join(", ")
                )));
            }
            for t in names.iter().rev() {
                sqlx::query(AssertSqlSafe(format!("DELETE FROM {t}")))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let mut written = 0u64;
        for t in &names {
            let Some(tab) = src.get(t) else { continue };
            let target = columns(&mut tx, self.backend(), t).await?;
            let cols: Vec<String> = tab
                .get("columns")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let mut kinds = Vec::with_capacity(cols.len());
            for c in &cols {
                check_ident(c)?;
                match target.iter().find(|(n, _)| n == c) {
                    Some((_, k)) => kinds.push(*k),
                    None => {
                        return Err(bad(format!(
                        "the backup's table \"{t}\" has a column \"{c}\" this Sesame does not know"
                    )))
                    }
                }
            }
            if cols.is_empty() {
                continue;
            }
            let placeholders = (1..=cols.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO {t} ({}) VALUES ({placeholders})",
                cols.join(", ")
            );
            let rows = tab
                .get("rows")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            for (ri, row) in rows.iter().enumerate() {
                let Some(vals) = row.as_array().filter(|v| v.len() == cols.len()) else {
                    return Err(bad(format!(
                        "table \"{t}\", row {}: expected {} values",
                        ri + 1,
                        cols.len()
                    )));
                };
                let mut q = sqlx::query(AssertSqlSafe(sql.clone()));
                for (ci, v) in vals.iter().enumerate() {
                    let at = || format!("table \"{t}\", row {}, column \"{}\"", ri + 1, cols[ci]);
                    q = bind_value(q, kinds[ci], v, &at)?;
                }
                q.execute(&mut *tx).await?;
                written += 1;
            }
        }
        // Running servers must rebuild their caches: the version moves past both the old
        // and the restored one.
        sqlx::query(
            "UPDATE tenant SET config_version = CASE WHEN config_version > $1 \
             THEN config_version + 1 ELSE $1 + 1 END",
        )
        .bind(old_version)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(written)
    }
}
