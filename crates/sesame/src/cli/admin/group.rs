//! `sesame group add|add-member|remove-member|list|show|delete`.

use super::{audited, out, Ctx};
use anyhow::Result;
use clap::{Args, Subcommand};
use sesame::admin::audit::Change;
use sesame::directory::{self, MemberRef};

/// `sesame group …`
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group.
    Add(AddArgs),
    /// Add a user or a group to a group (nested groups count transitively).
    AddMember(MemberArgs),
    /// Remove a direct member of a group.
    RemoveMember(MemberArgs),
    /// List groups.
    List,
    /// Show a group and its direct members.
    Show(GroupArg),
    /// Delete a group with its memberships and app assignments.
    Delete(GroupArg),
}

/// `group add`
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Group name (unique, case-insensitive).
    #[arg(value_name = "NAME")]
    name: String,
    /// Description.
    #[arg(long, value_name = "TEXT", default_value = "")]
    description: String,
}

/// A group by id or name.
#[derive(Debug, Args)]
pub struct GroupArg {
    /// The group's id or name.
    #[arg(value_name = "GROUP")]
    group: String,
}

/// `group add-member` / `remove-member`
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("member").required(true).args(["user", "member_group"])))]
pub struct MemberArgs {
    /// The group's id or name.
    #[arg(value_name = "GROUP")]
    group: String,
    /// A user, by user principal name.
    #[arg(long, value_name = "UPN")]
    user: Option<String>,
    /// A group, by id or name.
    #[arg(long = "group", id = "member_group", value_name = "NAME")]
    member_group: Option<String>,
}

async fn member(ctx: &Ctx, a: &MemberArgs) -> Result<(MemberRef, String)> {
    if let Some(upn) = &a.user {
        let u = directory::user_by_upn_required(&ctx.store, upn).await?;
        return Ok((MemberRef::User(u.id), format!("user {}", u.upn)));
    }
    let name = a.member_group.as_deref().unwrap_or_default();
    let g = directory::resolve_group(&ctx.store, name).await?;
    Ok((MemberRef::Group(g.id), format!("group {}", g.name)))
}

/// Runs one subcommand of `sesame group …`: a function each.
pub(super) async fn run(ctx: &Ctx, cmd: GroupCommand) -> Result<()> {
    match cmd {
        GroupCommand::Add(a) => add(ctx, a).await,
        GroupCommand::AddMember(a) => add_member(ctx, a).await,
        GroupCommand::RemoveMember(a) => remove_member(ctx, a).await,
        GroupCommand::List => list(ctx).await,
        GroupCommand::Show(a) => show(ctx, a).await,
        GroupCommand::Delete(a) => delete(ctx, a).await,
    }
}

/// `sesame group add`: create a group.
async fn add(ctx: &Ctx, a: AddArgs) -> Result<()> {
    let store = &ctx.store;
    let g = directory::create_group(store, &a.name, &a.description).await?;
    audited(
        ctx,
        Change::new("group.create", "group", &g.id, &g.name).after(&g),
    )
    .await?;
    if ctx.json {
        ctx.print_json(&g)
    } else {
        out(&format!("created group {} ({})\n", g.name, g.id))
    }
}

/// `sesame group add-member`: add a user or a group to a group (nested groups count
/// transitively).
async fn add_member(ctx: &Ctx, a: MemberArgs) -> Result<()> {
    let store = &ctx.store;
    let g = directory::resolve_group(store, &a.group).await?;
    let (m, what) = member(ctx, &a).await?;
    directory::add_member(store, &g.id, &m).await?;
    audited(
        ctx,
        Change::new("group.member.add", "group", &g.id, &g.name)
            .after(&serde_json::json!({ "member": what })),
    )
    .await?;
    if ctx.json {
        ctx.print_json(&directory::group_members(store, &g.id).await?)
    } else {
        out(&format!("added {what} to group {}\n", g.name))
    }
}

/// `sesame group remove-member`: remove a direct member of a group.
async fn remove_member(ctx: &Ctx, a: MemberArgs) -> Result<()> {
    let store = &ctx.store;
    let g = directory::resolve_group(store, &a.group).await?;
    let (m, what) = member(ctx, &a).await?;
    directory::remove_member(store, &g.id, &m).await?;
    audited(
        ctx,
        Change::new("group.member.remove", "group", &g.id, &g.name)
            .before(&serde_json::json!({ "member": what })),
    )
    .await?;
    if ctx.json {
        ctx.print_json(&directory::group_members(store, &g.id).await?)
    } else {
        out(&format!("removed {what} from group {}\n", g.name))
    }
}

/// `sesame group list`: list groups.
async fn list(ctx: &Ctx) -> Result<()> {
    let store = &ctx.store;
    let groups = store.list_groups().await?;
    if ctx.json {
        return ctx.print_json(&groups);
    }
    let mut s = String::new();
    for g in &groups {
        s.push_str(&format!("{}\t{}\t{}\n", g.name, g.id, g.description));
    }
    out(&s)
}

/// `sesame group show`: show a group and its direct members.
async fn show(ctx: &Ctx, a: GroupArg) -> Result<()> {
    let store = &ctx.store;
    let g = directory::resolve_group(store, &a.group).await?;
    let m = directory::group_members(store, &g.id).await?;
    if ctx.json {
        let mut v = serde_json::to_value(&g)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("members".into(), serde_json::to_value(&m)?);
        }
        return ctx.print_json(&v);
    }
    let mut s = format!(
        "Name                  {}\nObject id             {}\n",
        g.name, g.id
    );
    if !g.description.is_empty() {
        s.push_str(&format!("Description           {}\n", g.description));
    }
    for u in &m.users {
        s.push_str(&format!("Member (user)         {}\n", u.upn));
    }
    for sub in &m.groups {
        s.push_str(&format!("Member (group)        {}\n", sub.name));
    }
    out(&s)
}

/// `sesame group delete`: delete a group with its memberships and app assignments.
async fn delete(ctx: &Ctx, a: GroupArg) -> Result<()> {
    let store = &ctx.store;
    let g = directory::resolve_group(store, &a.group).await?;
    directory::delete_group(store, &g.id).await?;
    audited(
        ctx,
        Change::new("group.delete", "group", &g.id, &g.name).before(&g),
    )
    .await?;
    if ctx.json {
        ctx.print_json(&g)
    } else {
        out(&format!("deleted group {} ({})\n", g.name, g.id))
    }
}
