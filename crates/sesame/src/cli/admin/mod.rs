//! The administration commands: `sesame user …`, `group …`, `app …`, `gallery …`,
//! `token …`, `role …` and `audit`, and what they share: the global options, opening the
//! store and the tenant, and output as text or JSON.
//!
//! A thin edge: parse, call one domain function, print. Output for people on stdout, or
//! with `--json` snake_case JSON (an object, or an array for lists); errors go up as one
//! line (exit 1).

mod app;
mod audit;
mod claims;
mod gallery;
mod group;
mod methods_policy;
mod policy;
mod role;
mod token;
mod user;
mod user_methods;

pub use app::AppCommand;
pub use audit::AuditArgs;
pub use gallery::GalleryCommand;
pub use group::GroupCommand;
pub use methods_policy::MethodsPolicyCommand;
pub use policy::{LocationCommand, PolicyCommand};
pub use role::RoleCommand;
pub use token::TokenCommand;
pub use user::UserCommand;

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;
use sesame::admin::audit::Change;
use sesame::admin::Actor;
use sesame::store::Store;
use sesame::tenant::{self, Tenant};
use std::io::{BufRead, Write};
use std::path::PathBuf;

/// Default data directory.
pub const DEFAULT_DATA_DIR: &str = "./sesame-data";

/// Options every command accepts, before or after the subcommand.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// Data directory (SQLite database, generated master key, initial password)
    /// [default: ./sesame-data].
    #[arg(long, global = true, env = "SESAME_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL (sqlite:PATH or postgres://…) [default: sqlite:DATA_DIR/sesame.db].
    #[arg(long, global = true, env = "SESAME_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Print JSON (snake_case keys; an array for lists) instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

impl GlobalArgs {
    /// The data directory in force.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
    }

    /// The database URL in force.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite:{}", self.data_dir().join("sesame.db").display()))
    }
}

/// What every admin command works with.
pub(crate) struct Ctx {
    pub store: Store,
    pub tenant: Tenant,
    pub data_dir: PathBuf,
    pub json: bool,
}

impl Ctx {
    async fn open(g: &GlobalArgs) -> Result<Ctx> {
        let data_dir = g.data_dir();
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("cannot create the data dir {}", data_dir.display()))?;
        let store = Store::open(&g.database_url(), 2).await?;
        let tenant = tenant::ensure(&store, &data_dir, None).await?;
        Ok(Ctx {
            store,
            tenant,
            data_dir,
            json: g.json,
        })
    }

    /// Prints `v` as pretty JSON.
    pub fn print_json<T: Serialize + ?Sized>(&self, v: &T) -> Result<()> {
        let s = serde_json::to_string_pretty(v).context("cannot encode JSON")?;
        out(&format!("{s}\n"))
    }
}

/// Records a change made from the command line in the audit log (actor: the
/// operating-system user). The change is already made when this fails: say so.
pub(crate) async fn audited(ctx: &Ctx, change: Change) -> Result<()> {
    let action = change.action;
    sesame::admin::audit::record(&ctx.store, &Actor::cli(), change, "")
        .await
        .with_context(|| {
            format!("the change ({action}) is made, but the audit log cannot be written")
        })
}

/// Writes to stdout, tolerating a closed pipe.
pub(crate) fn out(s: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(s.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e).context("cannot write to standard output"),
    }
}

/// Writes bytes to stdout, tolerating a closed pipe.
pub(crate) fn out_bytes(b: &[u8]) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(b).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e).context("cannot write to standard output"),
    }
}

/// Reads a password: the first line of standard input, without its line ending.
pub(crate) fn read_password_stdin() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(4096)
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let pw = line.trim_end_matches(['\r', '\n']).to_owned();
    if pw.is_empty() {
        anyhow::bail!(
            "--password-stdin: standard input holds no password (give it on the first line)"
        );
    }
    Ok(pw)
}

use std::io::Read as _;

/// A one-thread Tokio runtime for a command.
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Runs `sesame user …`.
pub fn run_user(g: &GlobalArgs, cmd: UserCommand) -> Result<()> {
    runtime()?.block_on(async {
        let ctx = Ctx::open(g).await?;
        let r = user::run(&ctx, cmd).await;
        ctx.store.close().await;
        r
    })
}

/// Runs `sesame group …`.
pub fn run_group(g: &GlobalArgs, cmd: GroupCommand) -> Result<()> {
    runtime()?.block_on(async {
        let ctx = Ctx::open(g).await?;
        let r = group::run(&ctx, cmd).await;
        ctx.store.close().await;
        r
    })
}

/// Runs `sesame app …`.
pub fn run_app(g: &GlobalArgs, cmd: AppCommand) -> Result<()> {
    runtime()?.block_on(async {
        let ctx = Ctx::open(g).await?;
        let r = app::run(&ctx, cmd).await;
        ctx.store.close().await;
        r
    })
}

/// Runs `sesame token …`.
pub fn run_token(g: &GlobalArgs, cmd: TokenCommand) -> Result<()> {
    runtime()?.block_on(async {
        let ctx = Ctx::open(g).await?;
        let r = token::run(&ctx, cmd).await;
        ctx.store.close().await;
        r
    })
}

/// Runs `sesame role …`.
pub fn run_role(g: &GlobalArgs, cmd: RoleCommand) -> Result<()> {
    runtime()?.block_on(async {
        let ctx = Ctx::open(g).await?;
        let r = role::run(&ctx, cmd).await;
        ctx.store.close().await;
        r
    })
}

/// Runs `sesame policy …`.
/// Runs `sesame methods-policy …`.
pub fn run_methods_policy(g: &GlobalArgs, cmd: MethodsPolicyCommand) -> Result<()> {
    runtime()?.block_on(async {
        let ctx = Ctx::open(g).await?;
        let r = methods_policy::run(&ctx, cmd).await;
        ctx.store.close().await;
        r
    })
}

pub fn run_policy(g: &GlobalArgs, cmd: PolicyCommand) -> Result<()> {
    runtime()?.block_on(async {
        let ctx = Ctx::open(g).await?;
        let r = policy::run(&ctx, cmd).await;
        ctx.store.close().await;
        r
    })
}

/// Runs `sesame location …`.
pub fn run_location(g: &GlobalArgs, cmd: LocationCommand) -> Result<()> {
    runtime()?.block_on(async {
        let ctx = Ctx::open(g).await?;
        let r = policy::run_location(&ctx, cmd).await;
        ctx.store.close().await;
        r
    })
}

/// Runs `sesame audit`.
pub fn run_audit(g: &GlobalArgs, a: AuditArgs) -> Result<()> {
    runtime()?.block_on(async {
        let ctx = Ctx::open(g).await?;
        let r = audit::run(&ctx, a).await;
        ctx.store.close().await;
        r
    })
}

/// Runs `sesame gallery …` (the gallery is compiled in: no database).
pub fn run_gallery(g: &GlobalArgs, cmd: GalleryCommand) -> Result<()> {
    gallery::run(g.json, cmd)
}
