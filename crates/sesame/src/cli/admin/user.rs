//! `sesame user add|list|show|set|enable|disable|delete|invite|methods|sessions|revoke-sessions`.

use super::{audited, out, read_password_stdin, Ctx};
use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use sesame::admin::audit::Change;
use sesame::admin::Actor;
use sesame::directory::{self, password, NewUser, User, UserUpdate};
use sesame::selfservice::{invite, SelfServiceCode};

/// `sesame user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; without a password one is generated and printed once, or with
    /// --invite the user gets an invitation mail to set their own.
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
    /// Invite a user to set their own password: a link valid for 7 days, mailed to the
    /// user's mail address (or printed with --print-link). Resending ends the earlier
    /// link.
    Invite(InviteArgs),
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
    /// Create the user without a password and mail them an invitation to set their own
    /// (needs --mail and a mail server: SESAME_SMTP_URL or Settings → Email).
    #[arg(long, conflicts_with_all = ["password", "password_stdin"])]
    invite: bool,
}

/// `user invite`
#[derive(Debug, Args)]
pub struct InviteArgs {
    /// User principal name (case-insensitive).
    #[arg(value_name = "UPN")]
    upn: String,
    /// Print the link instead of mailing it, for you to hand over (audited; the link lets
    /// whoever holds it set the password).
    #[arg(long)]
    print_link: bool,
    /// Invite even though the user has a password (the link's holder may replace it).
    #[arg(long)]
    force: bool,
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
        UserCommand::Invite(a) => invite(ctx, a).await,
        UserCommand::Methods(a) => super::user_methods::run(ctx, a).await,
        UserCommand::RevokeSessions(a) => super::user_methods::revoke_sessions(ctx, &a.upn).await,
        UserCommand::Sessions(a) => super::user_methods::sessions(ctx, a).await,
    }
}

/// `sesame user add`: create a user; without a password one is generated and printed once.
async fn add(ctx: &Ctx, a: AddArgs) -> Result<()> {
    let store = &ctx.store;
    let mail_configured = mail_configured(store).await?;
    let has_mail = a
        .profile
        .mail
        .as_deref()
        .is_some_and(|m| !m.trim().is_empty());
    if a.invite {
        if !mail_configured {
            bail!(
                "{}: no mail server is configured (SESAME_SMTP_URL, or Settings → Email): \
                 create the user without --invite (a generated password is printed), or \
                 create it and run `sesame user invite {} --print-link`",
                SelfServiceCode::InviteMailNotConfigured.code(),
                a.upn
            );
        }
        if !has_mail {
            bail!(
                "{}: --invite mails the invitation: give the user's address with --mail ADDRESS",
                SelfServiceCode::InviteNoMail.code()
            );
        }
        if let Some(m) = a.profile.mail.as_deref() {
            sesame::mail::message::parse_address("--mail", m)?;
        }
    }
    let given = if a.invite { None } else { a.password.get()? };
    let (pw, generated) = match given {
        Some(p) => (p, false),
        None if a.invite => (String::new(), false),
        None => (password::generate_password()?, true),
    };
    let hash = if a.invite {
        None
    } else {
        directory::check_new_password(store, &a.upn, &pw).await?;
        let pw = pw.clone();
        Some(tokio::task::spawn_blocking(move || password::hash_password(&pw)).await??)
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
        password_hash: hash,
    };
    let u = directory::create_user(store, new).await?;
    audited(
        ctx,
        Change::new("user.create", "user", &u.id, &u.upn).after(&u),
    )
    .await?;
    if a.invite {
        let sent = send_invitation(ctx, &u, invite::Delivery::Mail, false).await?;
        return print_invitation(
            ctx,
            &u,
            &sent,
            Some(&format!("created user {} ({})\n", u.upn, u.id)),
        );
    }
    if generated && mail_configured && has_mail && !ctx.json {
        eprintln!(
            "tip: `sesame user add --invite` mails the user an invitation to set their own password instead"
        );
    }
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

/// Whether invitations can be mailed: an SMTP server in `SESAME_SMTP_URL` or in Settings →
/// Email (without one, the server writes messages to its mail folder).
async fn mail_configured(store: &sesame::store::Store) -> Result<bool> {
    let env = std::env::var("SESAME_SMTP_URL").is_ok_and(|v| !v.trim().is_empty());
    Ok(env
        || sesame::mail::config::stored_smtp_raw(store)
            .await?
            .is_some())
}

async fn send_invitation(
    ctx: &Ctx,
    u: &User,
    delivery: invite::Delivery,
    force: bool,
) -> Result<invite::Sent> {
    let actor = sesame::admin::Actor::cli();
    let inv = invite::Invite {
        user: u,
        delivery,
        force,
        public_url: &ctx.tenant.public_url,
        actor: &actor,
        correlation_id: "",
    };
    Ok(invite::send(&ctx.store, inv, sesame::clock::now_unix()).await?)
}

fn print_invitation(ctx: &Ctx, u: &User, sent: &invite::Sent, first: Option<&str>) -> Result<()> {
    let expires = invite::when(sent.link.expires_at);
    if ctx.json {
        let mut v = serde_json::json!({
            "user": u.id,
            "upn": u.upn,
            "expires_at": sent.link.expires_at,
            "expires": expires,
        });
        if let Some(o) = v.as_object_mut() {
            match &sent.to {
                Some(to) => o.insert("sent_to".into(), to.clone().into()),
                None => o.insert("link".into(), sent.url.clone().into()),
            };
        }
        return ctx.print_json(&v);
    }
    let mut s = first.unwrap_or_default().to_owned();
    match &sent.to {
        Some(to) => s.push_str(&format!(
            "invitation for {} queued to {to} (the running server sends it; `sesame mail log` shows when); it expires {expires}\n",
            u.upn
        )),
        None => s.push_str(&format!(
            "invitation link for {} (works once, expires {expires}; give it to the user only):\n{}\n",
            u.upn, sent.url
        )),
    }
    out(&s)
}

/// `sesame user invite`: a new invitation link, mailed or printed.
async fn invite(ctx: &Ctx, a: InviteArgs) -> Result<()> {
    let u = directory::user_by_upn_required(&ctx.store, &a.upn).await?;
    let delivery = if a.print_link {
        invite::Delivery::Print
    } else {
        invite::Delivery::Mail
    };
    let sent = send_invitation(ctx, &u, delivery, a.force).await?;
    print_invitation(ctx, &u, &sent, None)
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
