//! `loadgen`: the measuring tools of bench/run.sh.
//!
//! - `run`: signs in one browser session against a running IdP, then drives one workload
//!   (SP-initiated SSO by HTTP-Redirect with fresh AuthnRequests, IdP-initiated launch,
//!   the metadata URL) at each concurrency level for a fixed time, or measures cold
//!   sign-ins; appends one JSON line per level to `--out`.
//! - `mem`: the resident memory of a server (idle).
//! - `openssl`: `openssl speed -seconds S -multi N rsa2048` → sign/s.
//! - `seed`: the bulk loader (users, groups) into a stopped Sesame's SQLite store.
//! - `report`: RESULTS.md from the JSON lines.

mod html;
mod load;
mod procfs;
mod report;
mod saml;
mod seed;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use load::{Record, Workload};
use std::io::Write as _;
use std::sync::Arc;

#[derive(Parser)]
#[command(about = "Sesame benchmark tools (bench/run.sh)")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Drive one workload against a running IdP.
    Run(Box<RunArgs>),
    /// Record the idle memory of a server.
    Mem {
        #[arg(long)]
        label: String,
        #[arg(long = "pid", required = true)]
        pids: Vec<u32>,
        #[arg(long)]
        out: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Measure openssl's RSA-2048 sign rate.
    Openssl {
        #[arg(long, default_value_t = 5)]
        seconds: u32,
        #[arg(long, default_value_t = 1)]
        multi: u32,
        #[arg(long)]
        out: String,
    },
    /// Bulk-load users and groups into a stopped Sesame's SQLite database.
    Seed {
        /// The SQLite file (DATA_DIR/sesame.db).
        #[arg(long)]
        db: String,
        #[arg(long, default_value_t = 1_000_000)]
        users: u64,
        #[arg(long, default_value_t = 10_000)]
        groups: u64,
        /// An existing user (UPN): its password hash is reused, and it joins `member-groups` groups.
        #[arg(long)]
        member: String,
        #[arg(long, default_value_t = 200)]
        member_groups: u64,
        #[arg(long, default_value_t = 20_000)]
        batch: u64,
        /// Append a record of the load to this results file.
        #[arg(long)]
        out: Option<String>,
    },
    /// Write RESULTS.md from the JSON lines.
    Report {
        #[arg(long)]
        results: String,
        #[arg(long)]
        out: String,
        /// Free text placed under the title (machine, versions, command).
        #[arg(long, default_value = "")]
        header: String,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// Row label in the results (sesame, ssp, pysaml2, …).
    #[arg(long)]
    label: String,
    /// sp | launch | metadata | cold
    #[arg(long, default_value = "sp")]
    workload: String,
    /// The IdP's HTTP-Redirect SSO URL.
    #[arg(long)]
    sso_url: String,
    /// The launch or metadata URL (workloads launch, metadata).
    #[arg(long)]
    url: Option<String>,
    #[arg(long, default_value = "https://sp.bench.test/entity")]
    sp_entity: String,
    #[arg(long, default_value = "https://sp.bench.test/acs")]
    acs: String,
    /// The IdP's signing certificate (PEM).
    #[arg(long)]
    cert: String,
    #[arg(long)]
    user: String,
    #[arg(long)]
    password: String,
    /// Concurrency levels.
    #[arg(long, value_delimiter = ',', default_value = "1,4,16,64")]
    levels: Vec<usize>,
    /// Measured seconds per level.
    #[arg(long, default_value_t = 8.0)]
    seconds: f64,
    /// Warm-up seconds per level (not measured).
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Cold sign-ins to time (workload cold).
    #[arg(long, default_value_t = 30)]
    iterations: usize,
    /// The server's processes (their descendants are included).
    #[arg(long = "pid", required = true)]
    pids: Vec<u32>,
    /// Client runtime threads (the client shares the cores with the server).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    #[arg(long)]
    out: String,
    #[arg(long, default_value = "")]
    note: String,
}

fn append(out: &str, r: &Record) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(out)
        .with_context(|| format!("opening {out}"))?;
    writeln!(f, "{}", serde_json::to_string(r)?)?;
    Ok(())
}

fn print(r: &Record) {
    eprintln!(
        "  {:<22} {:<11} c={:<3} {:>8.1} resp/s  p50 {:>7.2} ms  p99 {:>7.2} ms  cpu {:>6.3} ms/resp (sys {:.3}, {:.1} ctx sw)  rss {:>6.1}→{:>6.1} MiB  ok {} err {} verified {}{}",
        r.label,
        r.workload,
        r.concurrency,
        r.rps,
        r.p50_ms,
        r.p99_ms,
        r.cpu_ms_per_resp,
        r.sys_ms_per_resp,
        r.ctx_per_resp,
        r.rss_start_mib,
        r.rss_peak_mib,
        r.ok,
        r.errors,
        r.verified,
        if r.first_error.is_empty() {
            String::new()
        } else {
            format!("  first error: {}", r.first_error)
        }
    );
}

async fn run(a: RunArgs) -> Result<()> {
    let t = Arc::new(saml::Target {
        sso_url: a.sso_url.clone(),
        sp_entity: a.sp_entity.clone(),
        acs: a.acs.clone(),
        certs: saml::load_certs(&a.cert)?,
        user: a.user.clone(),
        password: a.password.clone(),
    });
    if a.workload == "cold" {
        return cold(&a, &t).await;
    }
    let w = match a.workload.as_str() {
        "sp" => Workload::Sp,
        "launch" => Workload::Launch(a.url.clone().context("--url is required")?),
        "metadata" => Workload::Metadata(a.url.clone().context("--url is required")?),
        other => bail!("unknown workload {other}"),
    };
    let w = Arc::new(w);
    // One browser session for the whole run.
    let client = saml::browser()?;
    saml::sign_in(&client, &t)
        .await
        .with_context(|| format!("signing in at {}", t.sso_url))?;
    for &c in &a.levels {
        let mut r = load::level(&client, &t, &w, c, a.seconds, a.warmup, &a.pids).await;
        r.label = a.label.clone();
        r.note = a.note.clone();
        print(&r);
        append(&a.out, &r)?;
    }
    Ok(())
}

/// Cold sign-ins, one after another, each in a fresh browser: the login form POST to the
/// SAML Response (Argon2id verification included).
async fn cold(a: &RunArgs, t: &Arc<saml::Target>) -> Result<()> {
    let tck = procfs::clk_tck();
    let mut post_us = Vec::new();
    let c0 = procfs::cpu_ticks(&a.pids);
    let t0 = std::time::Instant::now();
    let mut errors = 0u64;
    let mut first_error = String::new();
    for _ in 0..a.iterations {
        let b = saml::browser()?;
        match saml::sign_in(&b, t).await {
            Ok((post, _flow)) => post_us.push((post * 1e6) as u32),
            Err(e) => {
                errors += 1;
                if first_error.is_empty() {
                    first_error = format!("{e:#}");
                }
            }
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    let c1 = procfs::cpu_ticks(&a.pids);
    let ok = post_us.len() as u64;
    let mut r = Record {
        kind: "load".into(),
        label: a.label.clone(),
        workload: "cold-signin".into(),
        concurrency: 1,
        seconds: wall,
        ok,
        errors,
        verified: ok,
        first_error,
        rps: ok as f64 / wall,
        rss_start_mib: procfs::rss_mib(&a.pids),
        rss_peak_mib: procfs::rss_mib(&a.pids),
        hwm_mib: procfs::hwm_mib(&a.pids),
        note: a.note.clone(),
        ..Record::default()
    };
    load::latency_stats(&mut r, post_us);
    // Each cold sign-in is the AuthnRequest that shows the login page, the login page and
    // the password POST: CPU is per whole sign-in.
    load::set_cpu(&mut r, c0, c1, tck);
    print(&r);
    append(&a.out, &r)
}

fn openssl(seconds: u32, multi: u32, out: &str) -> Result<()> {
    let o = std::process::Command::new("openssl")
        .args([
            "speed",
            "-seconds",
            &seconds.to_string(),
            "-multi",
            &multi.to_string(),
            "rsa2048",
        ])
        .output()
        .context("running openssl speed")?;
    let text = String::from_utf8_lossy(&o.stdout);
    // "rsa 2048 bits 0.000702s 0.000020s   1424.3  49223.9"
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("rsa") && l.contains("2048 bits"))
        .with_context(|| format!("no rsa 2048 line in: {text}"))?;
    let after = line.split("bits").nth(1).unwrap_or("");
    let nums: Vec<&str> = after.split_whitespace().collect();
    let sign_s: f64 = nums
        .get(2)
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("cannot read sign/s from {line:?}"))?;
    let version = std::process::Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let r = Record {
        kind: "openssl".into(),
        label: format!("openssl-multi{multi}"),
        workload: "rsa2048-sign".into(),
        concurrency: multi as usize,
        seconds: f64::from(seconds),
        rps: sign_s,
        note: version,
        ..Record::default()
    };
    eprintln!("  openssl speed -multi {multi} rsa2048: {sign_s:.1} sign/s");
    append(out, &r)
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Run(a) => {
            let rt = if a.threads <= 1 {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?
            } else {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(a.threads)
                    .enable_all()
                    .build()?
            };
            rt.block_on(run(*a))
        }
        Cmd::Mem {
            label,
            pids,
            out,
            note,
        } => {
            let r = Record {
                kind: "mem".into(),
                label,
                workload: "idle".into(),
                rss_start_mib: procfs::rss_mib(&pids),
                rss_peak_mib: procfs::rss_mib(&pids),
                hwm_mib: procfs::hwm_mib(&pids),
                note,
                ..Record::default()
            };
            eprintln!(
                "  {} idle RSS {:.1} MiB (HWM {:.1} MiB)",
                r.label, r.rss_start_mib, r.hwm_mib
            );
            append(&out, &r)
        }
        Cmd::Openssl {
            seconds,
            multi,
            out,
        } => openssl(seconds, multi, &out),
        Cmd::Seed {
            db,
            users,
            groups,
            member,
            member_groups,
            batch,
            out,
        } => {
            let s = seed::run(&seed::Plan {
                db,
                users,
                groups,
                member,
                member_groups,
                batch: batch.max(1),
            })?;
            eprintln!("  {s}");
            if let Some(out) = out {
                let r = Record {
                    kind: "seed".into(),
                    label: "bulk load".into(),
                    note: s,
                    ..Record::default()
                };
                append(&out, &r)?;
            }
            Ok(())
        }
        Cmd::Report {
            results,
            out,
            header,
        } => report::write(&results, &out, &header),
    }
}
