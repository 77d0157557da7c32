//! `sesame audit [--since 2h] [--action PREFIX] [--actor NAME] [--json]`: the audit log.

use super::{out, Ctx};
use anyhow::{anyhow, Result};
use clap::Args;
use sesame::admin::{audit, tokens};
use sesame::store::AuditFilter;
use sesame_saml::time::Timestamp;

/// `sesame audit`
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only changes since: a duration (30m, 2h, 7d) or an RFC 3339 date-time.
    #[arg(long, value_name = "DURATION|DATE")]
    since: Option<String>,
    /// Only actions starting with this (app., user.create).
    #[arg(long, value_name = "PREFIX")]
    action: Option<String>,
    /// Only this actor (UPN, token name, operating-system user).
    #[arg(long, value_name = "NAME")]
    actor: Option<String>,
    /// At most this many rows, newest first.
    #[arg(long, default_value_t = 1000)]
    limit: i64,
}

pub(super) async fn run(ctx: &Ctx, a: AuditArgs) -> Result<()> {
    let now = sesame::tenant::now_unix();
    let since_ms = match a.since.as_deref() {
        Some(s) => Some(
            tokens::parse_since(s, now)
                .ok_or_else(|| {
                    anyhow!("--since {s:?}: give a duration (30m, 2h, 7d) or an RFC 3339 date-time (2026-01-31T00:00:00Z)")
                })?
                .saturating_mul(1000),
        ),
        None => None,
    };
    let f = AuditFilter {
        since_ms,
        action_prefix: a.action,
        actor: a.actor,
        target_id: None,
        limit: a.limit,
    };
    let rows = audit::list(&ctx.store, &f).await?;
    if ctx.json {
        return ctx.print_json(&rows);
    }
    let mut s = String::new();
    for r in &rows {
        s.push_str(&format!(
            "{}\t{} {}\t{}\t{} {}\n",
            Timestamp::from_unix_seconds(r.time_ms / 1000).to_xs_datetime(),
            r.actor_kind,
            r.actor,
            r.action,
            r.target_kind,
            if r.target_name.is_empty() {
                &r.target_id
            } else {
                &r.target_name
            }
        ));
    }
    out(&s)
}
