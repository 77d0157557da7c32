//! `sesame user add|list|show|set|enable|disable|delete|methods|sessions|revoke-sessions`.

use super::{audited, out, read_password_stdin, Ctx};
use anyhow::Result;
use clap::{Args, Subcommand};
use sesame::admin::audit::Change;
use sesame::admin::Actor;
use sesame::directory::{self, password, NewUser, User, UserUpdate};

/// `sesame user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; without a password one is generated and printed once.
    Add(AddArgs),
    /// List users.
    List(ListArgs),
    /// Show a user.
    Show(UpnArg),
    /// Change a user's attributes, rename it (--upn NEW) or reset its password.
    Set(SetArgs),
    /// Enable a user's sign-in.
    Enable(UpnArg),
    /// Disable a user's sign-in (their sessions end).
    Disable(UpnArg),
    /// Delete a user with memberships, assignments and sessions.
    Delete(UpnArg),
    /// List a user's authentication methods (authenticator apps, recovery codes), or
    /// delete one (--delete ID).
    Methods(super::user_methods::MethodsArgs),
    /// Revoke sessions: every session of the user ends, at every node, so the next
    /// request needs a new sign-in (prints how many).
    RevokeSessions(UpnArg),
    /// List a user's active sessions (device, address, sign-in time, last seen,
    /// applications), or sign out one of them (--revoke ID).
    Sessions(super::user_methods::SessionsArgs),
}

/// A user given by UPN.
#[derive(Debug, Args)]
pub struct UpnArg {
    /// User principal name (case-insensitive).
    #[arg(value_name = "UPN")]
    upn: String,
}

/// Profile attributes shared by add and set.
#[derive(Debug, Args, Default)]
pub struct Profile {
    /// Display name.
    #[arg(long, value_name = "NAME")]
    display_name: Option<String>,
    /// Given name.
    #[arg(long, value_name = "NAME")]
    given_name: Option<String>,
    /// Surname.
    #[arg(long, value_name = "NAME")]
    surname: Option<String>,
    /// Mail address.
    #[arg(long, value_name = "ADDRESS")]
    mail: Option<String>,
    /// Department.
    #[arg(long, value_name = "NAME")]
    department: Option<String>,
    /// Job title.
    #[arg(long, value_name = "TITLE")]
    job_title: Option<String>,
    /// Employee id.
    #[arg(long, value_name = "ID")]
    employee_id: Option<String>,
    /// Company name.
    #[arg(long, value_name = "NAME")]
    company_name: Option<String>,
    /// extensionattributeN=VALUE (N from 1 to 15; an empty value removes it); repeatable.
    #[arg(long = "extension-attribute", value_name = "extensionattributeN=VALUE")]
    extension_attributes: Vec<String>,
}

/// Password options.
#[derive(Debug, Args, Default)]
#[group(multiple = false)]
pub struct PasswordArgs {
    /// Password (visible to other local users in the process list: prefer --password-stdin).
    #[arg(long, value_name = "PASSWORD")]
    password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
}

impl PasswordArgs {
    fn get(&self) -> Result<Option<String>> {
        if self.password_stdin {
            return read_password_stdin().map(Some);
        }
        Ok(self.password.clone())
    }
}

/// `user add`
#[derive(Debug, Args)]
pub struct AddArgs {
    /// User principal name (name@domain).
    #[arg(long, value_name = "UPN")]
    upn: String,
    #[command(flatten)]
    profile: Profile,
    #[command(flatten)]
    password: PasswordArgs,
    /// Create the account disabled.
    #[arg(long, value_name = "true|false", action = clap::ArgAction::Set)]
    enabled: Option<bool>,
}

/// `user list`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only users whose UPN, display name or mail contains TEXT.
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
}

/// `user set`
#[derive(Debug, Args)]
pub struct SetArgs {
    /// The user to change.
    #[arg(value_name = "UPN")]
    user: String,
    /// Rename: the new user principal name (object id, memberships and assignments stay).
    #[arg(long, value_name = "NEW")]
    upn: Option<String>,
    #[command(flatten)]
    profile: Profile,
    #[command(flatten)]
    password: PasswordArgs,
    /// Enable or disable sign-in.
    #[arg(long, value_name = "true|false", action = clap::ArgAction::Set)]
    enabled: Option<bool>,
    /// Require password change at next sign-in (true), or no longer (false): the user
    /// sets a new password before any sign-in completes.
    #[arg(long, value_name = "true|false", action = clap::ArgAction::Set)]
    require_password_change: Option<bool>,
}

fn parse_extensions(items: &[String]) -> Result<std::collections::BTreeMap<String, String>> {
    let mut m = std::collections::BTreeMap::new();
    for it in items {
        let Some((k, v)) = it.split_once('=') else {
            anyhow::bail!(
                "--extension-attribute {it:?}: use extensionattributeN=VALUE (N from 1 to 15)"
            );
        };
        m.insert(k.trim().to_ascii_lowercase(), v.to_owned());
    }
    Ok(m)
}

fn print_user(u: &User, groups: &[directory::Group], roles: &[String]) -> Result<()> {
    let mut s = String::new();
    let line = |s: &mut String, k: &str, v: &str| {
        if !v.is_empty() {
            s.push_str(&format!("{k:<22}{v}\n"));
        }
    };
    line(&mut s, "User principal name", &u.upn);
    line(&mut s, "Object id", &u.id);
    line(
        &mut s,
        "Account enabled",
        if u.enabled { "yes" } else { "no" },
    );
    if u.password_change_required {
        line(&mut s, "Password change", "required at next sign-in");
    }
    line(&mut s, "Display name", &u.display_name);
    line(&mut s, "Given name", &u.given_name);
    line(&mut s, "Surname", &u.surname);
    line(&mut s, "Mail", &u.mail);
    line(&mut s, "Department", &u.department);
    line(&mut s, "Job title", &u.job_title);
    line(&mut s, "Employee id", &u.employee_id);
    line(&mut s, "Company name", &u.company_name);
    for (k, v) in &u.extension_attributes {
        line(&mut s, k, v);
    }
    let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
    line(&mut s, "Groups", &names.join(", "));
    line(&mut s, "Roles", &roles.join(", "));
    out(&s)
}

/// Runs one subcommand of `sesame user …`: a function each.
pub(super) async fn run(ctx: &Ctx, cmd: UserCommand) -> Result<()> {
    match cmd {
        UserCommand::Add(a) => add(ctx, a).await,
        UserCommand::List(a) => list(ctx, a).await,
        UserCommand::Show(a) => show(ctx, a).await,
        UserCommand::Set(a) => set(ctx, a).await,
        UserCommand::Enable(a) => set_enabled(ctx, &a.upn, true).await,
        UserCommand::Disable(a) => set_enabled(ctx, &a.upn, false).await,
        UserCommand::Delete(a) => delete(ctx, a).await,
        UserCommand::Methods(a) => super::user_methods::run(ctx, a).await,
        UserCommand::RevokeSessions(a) => super::user_methods::revoke_sessions(ctx, &a.upn).await,
        UserCommand::Sessions(a) => super::user_methods::sessions(ctx, a).await,
    }
}

/// `sesame user add`: create a user; without a password one is generated and printed once.
async fn add(ctx: &Ctx, a: AddArgs) -> Result<()> {
    let store = &ctx.store;
    let given = a.password.get()?;
    let (pw, generated) = match given {
        Some(p) => (p, false),
        None => (password::generate_password()?, true),
    };
    directory::check_new_password(store, &a.upn, &pw).await?;
    let hash = {
        let pw = pw.clone();
        tokio::task::spawn_blocking(move || password::hash_password(&pw)).await??
    };
    let p = a.profile;
    let new = NewUser {
        upn: a.upn,
        display_name: p.display_name.unwrap_or_default(),
        given_name: p.given_name.unwrap_or_default(),
        surname: p.surname.unwrap_or_default(),
        mail: p.mail.unwrap_or_default(),
        department: p.department.unwrap_or_default(),
        job_title: p.job_title.unwrap_or_default(),
        employee_id: p.employee_id.unwrap_or_default(),
        company_name: p.company_name.unwrap_or_default(),
        extension_attributes: parse_extensions(&p.extension_attributes)?
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect(),
        disabled: a.enabled == Some(false),
        password_hash: Some(hash),
    };
    let u = directory::create_user(store, new).await?;
    audited(
        ctx,
        Change::new("user.create", "user", &u.id, &u.upn).after(&u),
    )
    .await?;
    if ctx.json {
        let mut v = serde_json::to_value(&u)?;
        if generated {
            if let Some(o) = v.as_object_mut() {
                o.insert("generated_password".into(), pw.into());
            }
        }
        ctx.print_json(&v)
    } else if generated {
        out(&format!(
            "created user {} ({})\ngenerated password (shown once): {pw}\n",
            u.upn, u.id
        ))
    } else {
        out(&format!("created user {} ({})\n", u.upn, u.id))
    }
}

/// `sesame user list`: list users.
async fn list(ctx: &Ctx, a: ListArgs) -> Result<()> {
    let store = &ctx.store;
    let users = store.list_users(a.search.as_deref()).await?;
    if ctx.json {
        return ctx.print_json(&users);
    }
    let mut s = String::new();
    for u in &users {
        s.push_str(&format!(
            "{}\t{}\t{}\t{}\n",
            u.upn,
            u.display_name,
            if u.enabled { "enabled" } else { "disabled" },
            u.id
        ));
    }
    out(&s)
}

/// `sesame user show`: show a user.
async fn show(ctx: &Ctx, a: UpnArg) -> Result<()> {
    let store = &ctx.store;
    let u = directory::user_by_upn_required(store, &a.upn).await?;
    let groups = directory::user_groups_transitive(store, &u.id).await?;
    let roles = store.user_roles(&u.id).await?;
    if ctx.json {
        let mut v = serde_json::to_value(&u)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("groups".into(), serde_json::to_value(&groups)?);
            o.insert("roles".into(), serde_json::to_value(&roles)?);
        }
        return ctx.print_json(&v);
    }
    print_user(&u, &groups, &roles)
}

/// `sesame user set`: change a user's attributes, rename it (--upn NEW) or reset its
/// password.
async fn set(ctx: &Ctx, a: SetArgs) -> Result<()> {
    let store = &ctx.store;
    let u = directory::user_by_upn_required(store, &a.user).await?;
    let new_pw = a.password.get()?;
    if let Some(pw) = &new_pw {
        directory::check_new_password(store, &u.upn, pw).await?;
    }
    let p = a.profile;
    let upd = UserUpdate {
        upn: a.upn,
        display_name: p.display_name,
        given_name: p.given_name,
        surname: p.surname,
        mail: p.mail,
        department: p.department,
        job_title: p.job_title,
        employee_id: p.employee_id,
        company_name: p.company_name,
        extension_attributes: parse_extensions(&p.extension_attributes)?,
        enabled: a.enabled,
    };
    let before = u;
    let mut u = directory::update_user(store, &before.id, upd).await?;
    audited(
        ctx,
        Change::new("user.update", "user", &u.id, &u.upn)
            .before(&before)
            .after(&u),
    )
    .await?;
    if let Some(pw) = new_pw {
        directory::set_password(store, &u.id, &pw).await?;
        audited(
            ctx,
            Change::new("user.password.reset", "user", &u.id, &u.upn),
        )
        .await?;
    }
    if let Some(on) = a.require_password_change {
        // Audited by the room, as `user.password_change_required`.
        u = sesame::selfservice::change::set_required(store, &Actor::cli(), &u, on, "").await?;
    }
    if ctx.json {
        ctx.print_json(&u)
    } else {
        out(&format!("updated user {} ({})\n", u.upn, u.id))
    }
}

/// `sesame user delete`: delete a user with memberships, assignments and sessions.
async fn delete(ctx: &Ctx, a: UpnArg) -> Result<()> {
    let store = &ctx.store;
    let u = directory::user_by_upn_required(store, &a.upn).await?;
    directory::delete_user(store, &u.id).await?;
    audited(
        ctx,
        Change::new("user.delete", "user", &u.id, &u.upn).before(&u),
    )
    .await?;
    if ctx.json {
        ctx.print_json(&u)
    } else {
        out(&format!("deleted user {} ({})\n", u.upn, u.id))
    }
}

async fn set_enabled(ctx: &Ctx, upn: &str, enabled: bool) -> Result<()> {
    let before = directory::user_by_upn_required(&ctx.store, upn).await?;
    let u = directory::set_enabled(&ctx.store, &before.id, enabled).await?;
    let action = if enabled {
        "user.enable"
    } else {
        "user.disable"
    };
    audited(
        ctx,
        Change::new(action, "user", &u.id, &u.upn)
            .before(&before)
            .after(&u),
    )
    .await?;
    if ctx.json {
        ctx.print_json(&u)
    } else {
        out(&format!(
            "{} user {} ({})\n",
            if enabled { "enabled" } else { "disabled" },
            u.upn,
            u.id
        ))
    }
}
