//! `sesame mail test --to ADDRESS [--wait]` and `sesame mail log [--json]`: outbound
//! email from the command line. `test` queues the test message in the outbox, where the
//! running server's worker sends it; `--wait` follows it until it is sent or refused.

use super::admin::{out, GlobalArgs};
use anyhow::{bail, Context, Result};
use sesame::mail::{self, MailConfig, MailFlags};
use sesame::model::{OutboxMessage, OutboxStatus};
use sesame::store::Store;
use sesame_saml::time::Timestamp;
use std::time::{Duration, Instant};

/// `sesame mail …`
#[derive(Debug, clap::Subcommand)]
pub enum MailCommand {
    /// Queue a test message; the running server sends it (`--wait` to see the result).
    Test(TestArgs),
    /// The Email log: queued, sent and failed messages with the server's reply, newest
    /// first.
    Log(LogArgs),
}

/// `sesame mail test`
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// The recipient.
    #[arg(long, value_name = "ADDRESS")]
    to: String,
    /// Wait until the server has sent the message or an attempt failed, and print it.
    #[arg(long)]
    wait: bool,
    /// How long --wait waits, seconds.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    timeout: u64,
    /// The server's mail settings (the same variables as `sesame serve`): checked here,
    /// and shown; the running server sends with its own.
    #[command(flatten)]
    mail: MailFlags,
}

/// `sesame mail log`
#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// At most this many messages, newest first.
    #[arg(long, default_value_t = 100)]
    limit: i64,
}

/// Runs `sesame mail …`.
pub fn run(g: &GlobalArgs, cmd: MailCommand) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        match cmd {
            MailCommand::Test(a) => test(g, a).await,
            MailCommand::Log(a) => log(g, a).await,
        }
    })
}

async fn test(g: &GlobalArgs, a: TestArgs) -> Result<()> {
    let data_dir = g.data_dir();
    let cfg = MailConfig::resolve(&a.mail, &data_dir)?;
    // Refuse a bad address before touching the database.
    mail::message::parse_address("--to", &a.to)?;
    if cfg.smtp.is_none() && !data_dir.is_dir() {
        bail!(
            "{}: no SMTP server (SESAME_SMTP_URL) and no data dir {} to write the message to: \
             set SESAME_SMTP_URL and SESAME_MAIL_FROM, or give --data-dir of the server",
            mail::MailCode::NotConfigured.code(),
            data_dir.display()
        );
    }
    let store = Store::open(&g.database_url(), 2).await?;
    let tenant = sesame::tenant::ensure(&store, &data_dir, None).await?;
    let org = mail::config::organization_name(&store).await?;
    let m = mail::message::test_message(&a.to, &org, &tenant.public_url);
    let id = mail::outbox::queue(&store, "test", &m, sesame::clock::now_unix()).await?;
    let r = if a.wait {
        wait(&store, &id, Duration::from_secs(a.timeout), g.json).await
    } else if g.json {
        print_json(&store, &id).await
    } else {
        out(&format!(
            "Queued test message {id} to {}: the running server sends it; `sesame mail log` shows when.\n",
            a.to
        ))
    };
    store.close().await;
    r
}

async fn print_json(store: &Store, id: &str) -> Result<()> {
    let m = store.outbox_get(id).await?;
    out(&format!("{}\n", serde_json::to_string_pretty(&m)?))
}

/// Waits until the message is sent, failed, or an attempt failed.
async fn wait(store: &Store, id: &str, timeout: Duration, json: bool) -> Result<()> {
    let start = Instant::now();
    loop {
        let Some(m) = store.outbox_get(id).await? else {
            bail!("the message {id} is no longer in the outbox");
        };
        let done = match m.status {
            OutboxStatus::Sent | OutboxStatus::Failed => true,
            OutboxStatus::Queued => m.attempts > 0,
            OutboxStatus::Sending => false,
        };
        if done {
            if json {
                out(&format!("{}\n", serde_json::to_string_pretty(&m)?))?;
            } else {
                out(&line(&m))?;
            }
            return match (m.status, m.last_error) {
                (OutboxStatus::Sent, _) => Ok(()),
                (_, Some(e)) => bail!("the message was not sent: {e}"),
                (_, None) => bail!("the message was not sent"),
            };
        }
        if start.elapsed() >= timeout {
            bail!(
                "the message {id} is still {} after {} s: is `sesame serve` running on this database?",
                m.status.as_str(),
                timeout.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn when(t: i64) -> String {
    Timestamp::from_unix_seconds(t).to_xs_datetime()
}

/// One message as a line of the Email log.
fn line(m: &OutboxMessage) -> String {
    let state = match m.status {
        OutboxStatus::Sent => format!("sent {}", m.sent_at.map(when).unwrap_or_default()),
        OutboxStatus::Queued if m.attempts > 0 => {
            format!("queued (retry at {})", when(m.next_attempt_at))
        }
        s => s.as_str().to_owned(),
    };
    let err = m
        .last_error
        .as_deref()
        .filter(|_| m.status != OutboxStatus::Sent)
        .map(|e| format!("\t{e}"))
        .unwrap_or_default();
    format!(
        "{}\t{}\t{}\t{}\t{state}\tattempts {}{err}\n",
        when(m.created_at),
        m.kind,
        m.to_addr,
        m.subject,
        m.attempts
    )
}

async fn log(g: &GlobalArgs, a: LogArgs) -> Result<()> {
    let data_dir = g.data_dir();
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create the data dir {}", data_dir.display()))?;
    let store = Store::open(&g.database_url(), 2).await?;
    let rows = store.outbox_list(a.limit.clamp(1, 10_000)).await?;
    store.close().await;
    if g.json {
        return out(&format!("{}\n", serde_json::to_string_pretty(&rows)?));
    }
    let mut s = String::new();
    for m in &rows {
        s.push_str(&line(m));
    }
    out(&s)
}
