//! `sesame migrate`, `sesame backup --to FILE`, `sesame restore --from FILE [--force]`:
//! the store's schema and its Sesame-native backups (see `sesame::store::backup`).

use super::admin::GlobalArgs;
use anyhow::{Context, Result};
use sesame::store::{redact_url, PoolConfig, RestoreMode, Store};
use std::io::Write;
use std::path::PathBuf;

/// `sesame backup` arguments.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// File to write (replaced atomically; mode 0600: it holds password hashes and sealed
    /// keys, though never the master key).
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
}

/// `sesame restore` arguments.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// Backup file written by `sesame backup`.
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
    /// Delete everything in the target store first (it is refused when not empty).
    #[arg(long)]
    force: bool,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

async fn open(g: &GlobalArgs) -> Result<Store> {
    let url = g.database_url();
    if url.starts_with("sqlite:") {
        let dir = g.data_dir();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the data dir {}", dir.display()))?;
    }
    Ok(Store::connect(&url, &PoolConfig::new(2)).await?)
}

/// `sesame migrate`: applies pending migrations and exits.
pub fn run_migrate(g: &GlobalArgs) -> Result<()> {
    runtime()?.block_on(async {
        let store = open(g).await?;
        let applied = store.migrate().await;
        let all = store.applied_migrations().await;
        store.close().await;
        let applied = applied?;
        let url = redact_url(&g.database_url());
        if applied.is_empty() {
            println!(
                "sesame: {url} is up to date (schema version {})",
                all.last().copied().unwrap_or(0)
            );
        } else {
            let list: Vec<String> = applied.iter().map(i64::to_string).collect();
            println!(
                "sesame: applied migration(s) {} to {url}; schema version {}",
                list.join(", "),
                all.last().copied().unwrap_or(0)
            );
        }
        Ok(())
    })
}

/// `sesame backup --to FILE`.
pub fn run_backup(g: &GlobalArgs, a: &BackupArgs) -> Result<()> {
    runtime()?.block_on(async {
        let store = open(g).await?;
        let r = async {
            store.migrate().await?;
            let now = sesame::tenant::now_unix();
            let b = store.backup(now).await?;
            let bytes = serde_json::to_vec(&b.document).context("cannot encode the backup")?;
            write_private(&a.to, &bytes)?;
            println!(
                "sesame: backup of {} written to {} ({} tables, {} rows, {} bytes; the master key is not in it)",
                redact_url(&g.database_url()),
                a.to.display(),
                b.tables,
                b.rows,
                bytes.len()
            );
            Ok::<(), anyhow::Error>(())
        }
        .await;
        store.close().await;
        r
    })
}

/// `sesame restore --from FILE [--force]`.
pub fn run_restore(g: &GlobalArgs, a: &RestoreArgs) -> Result<()> {
    let text = std::fs::read(&a.from)
        .with_context(|| format!("cannot read the backup {}", a.from.display()))?;
    let doc: serde_json::Value = serde_json::from_slice(&text)
        .with_context(|| format!("{} is not a Sesame backup (not JSON)", a.from.display()))?;
    runtime()?.block_on(async {
        let store = open(g).await?;
        let r = async {
            store.migrate().await?;
            let mode = if a.force {
                RestoreMode::Replace
            } else {
                RestoreMode::EmptyOnly
            };
            let n = store.restore(&doc, mode).await?;
            println!(
                "sesame: restored {n} rows from {} into {}; start the servers with the same master key",
                a.from.display(),
                redact_url(&g.database_url())
            );
            Ok::<(), anyhow::Error>(())
        }
        .await;
        store.close().await;
        r
    })
}

/// Writes `bytes` to `path` through a temporary file (mode 0600), renamed into place.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let write = || -> std::io::Result<()> {
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        anyhow::anyhow!("cannot write the backup to {}: {e}", path.display())
    })
}
