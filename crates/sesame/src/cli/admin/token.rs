//! `sesame token create|list|revoke`: REST API tokens.

use super::{out, Ctx};
use anyhow::Result;
use clap::{Args, Subcommand};
use sesame::admin::{roles, tokens, Actor, Role};
use sesame::tenant::now_unix;
use sesame_saml::time::Timestamp;

/// `sesame token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token; its secret is printed once (stored hashed).
    Create(CreateArgs),
    /// List API tokens (never their secrets).
    List,
    /// Revoke an API token by id or name.
    Revoke(RevokeArgs),
}

/// `token create`
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Name (after what uses the token: ci-deploy, terraform).
    #[arg(long, value_name = "NAME")]
    name: String,
    /// Lifetime (30d, 12h) or an RFC 3339 date (2026-12-31) [default: 90d].
    #[arg(long, value_name = "DURATION|DATE")]
    expires: Option<String>,
    /// The role the token acts with [default: Global Administrator].
    #[arg(long, value_name = "ROLE")]
    role: Option<String>,
}

/// `token revoke`
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The token's id, or its name.
    #[arg(value_name = "ID|NAME")]
    token: String,
}

fn date(secs: i64) -> String {
    Timestamp::from_unix_seconds(secs).to_xs_datetime()
}

/// Runs one subcommand of `sesame token …`: a function each.
pub(super) async fn run(ctx: &Ctx, cmd: TokenCommand) -> Result<()> {
    match cmd {
        TokenCommand::Create(a) => create(ctx, a).await,
        TokenCommand::List => list(ctx).await,
        TokenCommand::Revoke(a) => revoke(ctx, a).await,
    }
}

/// `sesame token create`: create an API token; its secret is printed once (stored hashed).
async fn create(ctx: &Ctx, a: CreateArgs) -> Result<()> {
    let store = &ctx.store;
    let now = now_unix();
    let actor = Actor::cli();
    let role = match a.role.as_deref() {
        Some(r) => roles::parse_role(r)?,
        None => Role::GlobalAdministrator,
    };
    let expires_at = tokens::expiry(a.expires.as_deref(), now)?;
    let c = tokens::create(store, &actor, &a.name, role, expires_at, now, "").await?;
    if ctx.json {
        return ctx.print_json(&c);
    }
    eprintln!(
        "sesame: created API token {} ({}, {}), expires {}; the secret below is shown only now",
        c.token.name,
        c.token.id,
        c.token.role,
        date(c.token.expires_at)
    );
    out(&format!("{}\n", c.secret))
}

/// `sesame token list`: list API tokens (never their secrets).
async fn list(ctx: &Ctx) -> Result<()> {
    let store = &ctx.store;
    let now = now_unix();
    let list = tokens::list(store, now).await?;
    if ctx.json {
        return ctx.print_json(&list);
    }
    let mut s = String::new();
    for t in &list {
        s.push_str(&format!(
            "{}\t{}\t{}\t{}\texpires {}\tlast used {}\n",
            t.id,
            t.name,
            t.role,
            t.status,
            date(t.expires_at),
            t.last_used_at.map(date).unwrap_or_else(|| "never".into())
        ));
    }
    out(&s)
}

/// `sesame token revoke`: revoke an API token by id or name.
async fn revoke(ctx: &Ctx, a: RevokeArgs) -> Result<()> {
    let store = &ctx.store;
    let now = now_unix();
    let actor = Actor::cli();
    let t = tokens::revoke(store, &actor, &a.token, now, "").await?;
    if ctx.json {
        return ctx.print_json(&t);
    }
    out(&format!("revoked API token {} ({})\n", t.name, t.id))
}
