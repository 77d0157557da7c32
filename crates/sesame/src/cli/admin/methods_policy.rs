//! `sesame methods-policy show|set`: the Authentication methods policy — which methods
//! (passkey, authenticator app, recovery codes) are enabled, for all users or selected
//! groups, and the passkeys' allowed authenticator models (AAGUIDs). Changes are
//! validated and audit-logged by `sesame::methods::policy` (actor: the operating-system
//! user).

use super::{out, Ctx};
use anyhow::Result;
use clap::{Args, Subcommand};
use sesame::admin::Actor;
use sesame::methods::policy::{self, MethodsPolicy, PolicyMethod, SettingChange, Target};
use sesame::methods::{self, By};
use sesame::store::Store;

/// `sesame methods-policy …`
#[derive(Debug, Subcommand)]
pub enum MethodsPolicyCommand {
    /// Show which methods are enabled, for whom, and the allowed AAGUIDs.
    Show,
    /// Change one method's setting.
    Set(SetArgs),
}

/// `methods-policy set`
#[derive(Debug, Args)]
pub struct SetArgs {
    /// The method: passkey, authenticator-app or recovery-codes.
    #[arg(long, value_name = "METHOD")]
    method: String,
    /// Enable (true) or disable (false) it.
    #[arg(long, value_name = "true|false")]
    enabled: Option<bool>,
    /// For whom: group names (comma-separated), or `all` for every user.
    #[arg(long, value_name = "NAME,…|all")]
    groups: Option<String>,
    /// Passkeys only: the allowed authenticator models (AAGUIDs, comma-separated), or
    /// `none` for no restriction.
    #[arg(long, value_name = "UUID,…|none")]
    aaguids: Option<String>,
}

/// One method's line of `show`, and its JSON.
#[derive(Debug, serde::Serialize)]
struct Row {
    method: &'static str,
    enabled: bool,
    /// Group names; empty: all users.
    groups: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aaguids: Option<Vec<String>>,
}

async fn rows(store: &Store, p: &MethodsPolicy) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for m in PolicyMethod::ALL {
        let s = p.setting(m);
        out.push(Row {
            method: m.as_str(),
            enabled: s.enabled,
            groups: policy::group_names(store, &s.groups).await?,
            aaguids: (m == PolicyMethod::Passkey).then(|| p.aaguids.clone()),
        });
    }
    Ok(out)
}

async fn print(ctx: &Ctx, p: &MethodsPolicy) -> Result<()> {
    let rows = rows(&ctx.store, p).await?;
    if ctx.json {
        return ctx.print_json(&rows);
    }
    let mut s = String::new();
    for r in &rows {
        let who = if r.groups.is_empty() {
            "all users".to_owned()
        } else {
            format!("groups {}", r.groups.join(", "))
        };
        s.push_str(&format!(
            "{}\t{}\t{}",
            r.method,
            if r.enabled { "enabled" } else { "disabled" },
            who
        ));
        if let Some(a) = &r.aaguids {
            if a.is_empty() {
                s.push_str("\taaguids any");
            } else {
                s.push_str(&format!("\taaguids {}", a.join(",")));
            }
        }
        s.push('\n');
    }
    out(&s)
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Runs `sesame methods-policy …`.
pub(super) async fn run(ctx: &Ctx, cmd: MethodsPolicyCommand) -> Result<()> {
    let store = &ctx.store;
    match cmd {
        MethodsPolicyCommand::Show => print(ctx, &policy::get(store).await?).await,
        MethodsPolicyCommand::Set(a) => {
            let Some(m) = PolicyMethod::parse(&a.method) else {
                anyhow::bail!(
                    "SESAME910004: --method {:?} is not a method: give passkey, authenticator-app or recovery-codes",
                    a.method
                );
            };
            if a.enabled.is_none() && a.groups.is_none() && a.aaguids.is_none() {
                anyhow::bail!("SESAME910004: give --enabled, --groups or --aaguids to change");
            }
            let change = SettingChange {
                enabled: a.enabled,
                target: a.groups.as_deref().map(|g| {
                    if g.trim().eq_ignore_ascii_case("all") {
                        Target::All
                    } else {
                        Target::Groups(list(g))
                    }
                }),
                aaguids: a.aaguids.as_deref().map(|x| {
                    if x.trim().eq_ignore_ascii_case("none") {
                        Vec::new()
                    } else {
                        list(x)
                    }
                }),
            };
            let actor = Actor::cli();
            let by = By {
                actor: &actor,
                correlation_id: "",
            };
            let p = methods::admin::set_policy(store, m, change, sesame::clock::now_unix(), by)
                .await
                .map_err(|e| match e {
                    policy::PolicyError::Invalid(s) => anyhow::anyhow!("SESAME910004: {s}"),
                    other => other.into(),
                })?;
            print(ctx, &p).await
        }
    }
}
