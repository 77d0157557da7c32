//! `sesame policy …` and `sesame location …`: Conditional Access policies and named
//! locations (`sesame::access`), and What If. Every change is audit-logged with the
//! operating-system user as its actor.

use super::{out, Ctx};
use anyhow::Result;
use clap::{Args, Subcommand};
use sesame::access::{self, eval, PolicyInput, PolicyView};
use sesame::admin::Actor;

/// `sesame policy …`
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Add a policy (state report-only unless --state says otherwise).
    Add(PolicyArgs),
    /// List the policies.
    List,
    /// Show a policy.
    Show {
        /// The policy's name (or id).
        name: String,
    },
    /// Change a policy: only the options given change (--name renames it).
    Set {
        /// The policy's name (or id).
        #[arg(value_name = "POLICY")]
        policy: String,
        #[command(flatten)]
        args: PolicyArgs,
    },
    /// Delete a policy.
    Delete {
        /// The policy's name (or id).
        name: String,
    },
    /// What If: the policies that would apply to a user signing in to an application
    /// from an address, and the result.
    WhatIf {
        /// User principal name.
        #[arg(long, value_name = "UPN")]
        user: String,
        /// Application (name, Identifier or id), or admin-portal.
        #[arg(long, value_name = "APP")]
        app: String,
        /// The client address.
        #[arg(long, value_name = "ADDR")]
        ip: Option<std::net::IpAddr>,
    },
}

/// The options of a policy.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// The policy's name (required by add).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Users by UPN, comma-separated, or all [default: all, when no group is given].
    #[arg(long, value_name = "UPN,…")]
    users: Option<String>,
    /// Groups by name, comma-separated.
    #[arg(long, value_name = "NAME,…")]
    groups: Option<String>,
    /// Excluded users by UPN.
    #[arg(long, value_name = "UPN,…")]
    exclude_users: Option<String>,
    /// Excluded groups by name (emergency-access accounts).
    #[arg(long, value_name = "NAME,…")]
    exclude_groups: Option<String>,
    /// Target resources: applications (name, Identifier or id), all, or admin-portal
    /// [default: all].
    #[arg(long, value_name = "APP,…|all|admin-portal")]
    apps: Option<String>,
    /// Only when the client address is in one of these named locations.
    #[arg(long, value_name = "NAME,…")]
    locations: Option<String>,
    /// Not when the client address is in one of these named locations.
    #[arg(long, value_name = "NAME,…")]
    exclude_locations: Option<String>,
    /// Grant: block, mfa or phishing-resistant.
    #[arg(long, value_name = "block|mfa|phishing-resistant")]
    grant: Option<String>,
    /// Session: sign-in frequency, every-time or N hours/days (4h, 1d) [default: 1d].
    #[arg(long, value_name = "every-time|4h|1d")]
    sign_in_frequency: Option<String>,
    /// Enable policy: on, off or report-only [default: report-only].
    #[arg(long, value_name = "on|off|report-only")]
    state: Option<String>,
}

fn list(s: &Option<String>) -> Option<Vec<String>> {
    s.as_ref().map(|s| vec![s.clone()])
}

impl PolicyArgs {
    fn input(&self, name: Option<String>) -> PolicyInput {
        PolicyInput {
            name: name.or_else(|| self.name.clone()),
            users: list(&self.users),
            groups: list(&self.groups),
            exclude_users: list(&self.exclude_users),
            exclude_groups: list(&self.exclude_groups),
            apps: list(&self.apps),
            locations: list(&self.locations),
            exclude_locations: list(&self.exclude_locations),
            grant: self.grant.clone(),
            sign_in_frequency: self.sign_in_frequency.clone(),
            state: self.state.clone(),
        }
    }
}

fn text(v: &PolicyView) -> String {
    let or_none = |l: &[String]| {
        if l.is_empty() {
            "-".to_owned()
        } else {
            l.join(", ")
        }
    };
    format!(
        "name: {}\nid: {}\nstate: {}\nusers: {}\ngroups: {}\nexclude users: {}\nexclude groups: {}\n\
apps: {}\nlocations: {}\nexclude locations: {}\ngrant: {} ({})\nsign-in frequency: {}\n",
        v.name,
        v.id,
        v.state.as_str(),
        or_none(&v.users),
        or_none(&v.groups),
        or_none(&v.exclude_users),
        or_none(&v.exclude_groups),
        or_none(&v.apps),
        or_none(&v.locations),
        or_none(&v.exclude_locations),
        v.grant.as_str(),
        v.grant.label(),
        v.sign_in_frequency,
    )
}

fn now() -> i64 {
    sesame::clock::now_unix()
}

/// Runs `sesame policy …`.
pub(super) async fn run(ctx: &Ctx, cmd: PolicyCommand) -> Result<()> {
    let store = &ctx.store;
    let actor = Actor::cli();
    match cmd {
        PolicyCommand::Add(a) => {
            let p = access::add_policy(store, &actor, &a.input(None), now()).await?;
            let v = access::view(store, &p).await?;
            if ctx.json {
                return ctx.print_json(&v);
            }
            out(&format!(
                "added policy {:?} ({})\n{}",
                p.name,
                p.id,
                text(&v)
            ))
        }
        PolicyCommand::Set { policy, args } => {
            let input = args.input(None);
            let p = access::set_policy(store, &actor, &policy, &input, now()).await?;
            let v = access::view(store, &p).await?;
            if ctx.json {
                return ctx.print_json(&v);
            }
            out(&format!("changed policy {:?}\n{}", p.name, text(&v)))
        }
        PolicyCommand::List => {
            let mut views = Vec::new();
            for p in access::policies(store).await? {
                views.push(access::view(store, &p).await?);
            }
            if ctx.json {
                return ctx.print_json(&views);
            }
            if views.is_empty() {
                return out("no Conditional Access policy\n");
            }
            let mut s = String::new();
            for v in &views {
                s.push_str(&format!(
                    "{}\t{}\t{}\tusers {}\tapps {}\n",
                    v.name,
                    v.state.as_str(),
                    v.grant.as_str(),
                    v.users.join(","),
                    v.apps.join(",")
                ));
            }
            out(&s)
        }
        PolicyCommand::Show { name } => {
            let p = access::policy(store, &name).await?;
            let v = access::view(store, &p).await?;
            if ctx.json {
                return ctx.print_json(&v);
            }
            out(&text(&v))
        }
        PolicyCommand::Delete { name } => {
            let p = access::delete_policy(store, &actor, &name).await?;
            if ctx.json {
                return ctx.print_json(&serde_json::json!({ "deleted": p.id, "name": p.name }));
            }
            out(&format!("deleted policy {:?}\n", p.name))
        }
        PolicyCommand::WhatIf { user, app, ip } => {
            let e = access::what_if(store, &user, &app, ip, now()).await?;
            if ctx.json {
                return ctx.print_json(&e);
            }
            let mut s = String::new();
            for p in &e.policies {
                let r = match &p.outcome {
                    eval::Outcome::NotApplied { reason } => format!("not applied: {reason}"),
                    eval::Outcome::Satisfied => "applies, satisfied".to_owned(),
                    eval::Outcome::NotSatisfied => format!("applies: {}", p.grant.label()),
                };
                s.push_str(&format!("{}\t{}\t{r}\n", p.name, p.state.as_str()));
            }
            s.push_str(&match &e.decision {
                eval::Decision::Allow => "result: access allowed with a password\n".to_owned(),
                eval::Decision::Block { policy } => format!("result: blocked by {policy:?}\n"),
                eval::Decision::Mfa { policy } => {
                    format!("result: multifactor authentication required by {policy:?}\n")
                }
                eval::Decision::PhishingResistant { policy } => {
                    format!("result: phishing-resistant MFA (a passkey) required by {policy:?}\n")
                }
            });
            out(&s)
        }
    }
}

/// `sesame location …`
#[derive(Debug, Subcommand)]
pub enum LocationCommand {
    /// Add a named location.
    Add {
        /// Its name.
        name: String,
        /// CIDR ranges, comma-separated (IPv4 and IPv6: 203.0.113.0/24,2001:db8::/32).
        #[arg(long, value_name = "CIDR,…", required = true)]
        cidr: Vec<String>,
        /// Mark it trusted.
        #[arg(long, value_name = "true|false", default_value = "false", action = clap::ArgAction::Set)]
        trusted: bool,
    },
    /// List the named locations.
    List,
    /// Delete a named location (refused while a policy names it).
    Delete {
        /// Its name (or id).
        name: String,
    },
}

/// Runs `sesame location …`.
pub(super) async fn run_location(ctx: &Ctx, cmd: LocationCommand) -> Result<()> {
    let store = &ctx.store;
    let actor = Actor::cli();
    match cmd {
        LocationCommand::Add {
            name,
            cidr,
            trusted,
        } => {
            let l = access::add_location(store, &actor, &name, &cidr, trusted, now()).await?;
            if ctx.json {
                return ctx.print_json(&l);
            }
            out(&format!(
                "added named location {:?} ({}): {}{}\n",
                l.name,
                l.id,
                l.ranges.join(", "),
                if l.trusted { ", trusted" } else { "" }
            ))
        }
        LocationCommand::List => {
            let list = access::locations(store).await?;
            if ctx.json {
                return ctx.print_json(&list);
            }
            if list.is_empty() {
                return out("no named location\n");
            }
            let mut s = String::new();
            for l in &list {
                s.push_str(&format!(
                    "{}\t{}\t{}\t{}\n",
                    l.name,
                    l.id,
                    l.ranges.join(","),
                    if l.trusted { "trusted" } else { "-" }
                ));
            }
            out(&s)
        }
        LocationCommand::Delete { name } => {
            let l = access::delete_location(store, &actor, &name).await?;
            if ctx.json {
                return ctx.print_json(&serde_json::json!({ "deleted": l.id, "name": l.name }));
            }
            out(&format!("deleted named location {:?}\n", l.name))
        }
    }
}
