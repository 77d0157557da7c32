//! `sesame role assign|remove|list`: administrator roles.

use super::{out, Ctx};
use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use sesame::admin::{roles, Actor};

/// `sesame role …`
#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Grant a role: `sesame role assign UPN "Global Administrator"`.
    Assign(RoleArgs),
    /// Take a role (the last Global Administrator keeps it).
    Remove(RoleArgs),
    /// List the administrators and their roles.
    List,
}

/// A user and a role.
#[derive(Debug, Args)]
pub struct RoleArgs {
    /// User principal name.
    #[arg(value_name = "UPN")]
    upn: String,
    /// `Global Administrator` or `Application Administrator`.
    #[arg(value_name = "ROLE")]
    role: String,
}

/// Runs one subcommand of `sesame role …`: a function each.
pub(super) async fn run(ctx: &Ctx, cmd: RoleCommand) -> Result<()> {
    match cmd {
        RoleCommand::Assign(a) => assign(ctx, a).await,
        RoleCommand::Remove(a) => remove(ctx, a).await,
        RoleCommand::List => list(ctx).await,
    }
}

/// `sesame role assign`: grant a role: `sesame role assign UPN "Global Administrator"`.
async fn assign(ctx: &Ctx, a: RoleArgs) -> Result<()> {
    let store = &ctx.store;
    let actor = Actor::cli();
    let role = roles::parse_role(&a.role)?;
    let added = roles::assign(store, &actor, &a.upn, role, "").await?;
    if ctx.json {
        return ctx.print_json(&roles::holders(store).await?);
    }
    if added {
        out(&format!("{} is now {role}\n", a.upn))
    } else {
        out(&format!("{} already was {role}\n", a.upn))
    }
}

/// `sesame role remove`: take a role (the last Global Administrator keeps it).
async fn remove(ctx: &Ctx, a: RoleArgs) -> Result<()> {
    let store = &ctx.store;
    let actor = Actor::cli();
    let role = roles::parse_role(&a.role)?;
    if !roles::remove(store, &actor, &a.upn, role, "").await? {
        bail!(
            "{} does not hold the role {role}; `sesame role list` shows who does",
            a.upn
        );
    }
    if ctx.json {
        return ctx.print_json(&roles::holders(store).await?);
    }
    out(&format!("{} is no longer {role}\n", a.upn))
}

/// `sesame role list`: list the administrators and their roles.
async fn list(ctx: &Ctx) -> Result<()> {
    let store = &ctx.store;
    let h = roles::holders(store).await?;
    if ctx.json {
        return ctx.print_json(&h);
    }
    out(&h
        .iter()
        .map(|h| format!("{}\t{}\t{}\n", h.role, h.upn, h.display_name))
        .collect::<String>())
}
