//! `sesame signins [--app APP] [--user UPN] [--since DURATION] [--failures]`: the sign-in
//! logs, newest first (the server writes them in batches, at most a second late).

use super::admin::GlobalArgs;
use anyhow::{bail, Context, Result};
use sesame::apps;
use sesame::store::{SigninFilter, Store};
use sesame::tenant;

/// `sesame signins` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this application (id, or name when unique).
    #[arg(long, value_name = "APP")]
    app: Option<String>,
    /// Only this user principal name.
    #[arg(long, value_name = "UPN")]
    user: Option<String>,
    /// Only the last DURATION (like 30m, 2h, 7d; s, m, h, d, w).
    #[arg(long, value_name = "DURATION")]
    since: Option<String>,
    /// Only failures.
    #[arg(long)]
    failures: bool,
    /// At most this many rows.
    #[arg(long, default_value_t = 1000)]
    limit: i64,
}

/// Parses `30m`, `2h`, `7d`, `90s`, `1w` into seconds.
pub fn parse_duration(s: &str) -> Result<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().with_context(|| {
        format!("--since {s:?}: expected a number and a unit, like 30m, 2h or 7d")
    })?;
    let mult = match unit {
        "s" => 1,
        "m" | "" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => bail!("--since {s:?}: the unit must be s, m, h, d or w (like 30m, 2h or 7d)"),
    };
    n.checked_mul(mult)
        .with_context(|| format!("--since {s:?} is too long"))
}

/// Runs the command.
pub fn run(a: &Args, g: &GlobalArgs) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(list(a, g))
}

async fn list(a: &Args, g: &GlobalArgs) -> Result<()> {
    let since = a.since.as_deref().map(parse_duration).transpose()?;
    let data_dir = g.data_dir();
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create the data dir {}", data_dir.display()))?;
    let store = Store::open(&g.database_url(), 2).await?;
    tenant::ensure(&store, &data_dir, None).await?;
    let app_id = match &a.app {
        Some(app) => Some(apps::resolve_app(&store, app).await?.id),
        None => None,
    };
    let filter = SigninFilter {
        app_id,
        upn: a.user.clone(),
        since_ms: since.map(|s| (tenant::now_unix() - s) * 1000),
        failures_only: a.failures,
        successes_only: false,
        // The JSON output is an export with the messages; the table shows none.
        with_messages: g.json,
        limit: a.limit,
    };
    let rows = store.signins_list(&filter).await?;
    if g.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("no sign-ins match");
        return Ok(());
    }
    println!(
        "{:<24}  {:<8}  {:<14}  {:<28}  {:<20}  {:<15}  CORRELATION ID",
        "TIME (UTC)", "RESULT", "CODE", "USER", "APP", "CLIENT IP"
    );
    for r in rows {
        let t = sesame_saml::time::Timestamp(r.time_ms).to_xs_datetime();
        println!(
            "{:<24}  {:<8}  {:<14}  {:<28}  {:<20}  {:<15}  {}",
            t, r.result, r.error_code, r.upn, r.app_name, r.client_ip, r.correlation_id
        );
        if !r.details.is_empty() && r.result != "success" {
            println!("    {}", r.details);
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m").unwrap(), 1800);
        assert_eq!(parse_duration("2h").unwrap(), 7200);
        assert_eq!(parse_duration("7d").unwrap(), 604_800);
        assert!(parse_duration("x").is_err());
        assert!(parse_duration("3y").is_err());
    }
}
