//! Closed-loop load at a fixed concurrency for a fixed time: every response checked, a
//! sample verified, latencies recorded, the server's CPU time and memory read from /proc.

use crate::html;
use crate::procfs;
use crate::saml::{self, Target};
use anyhow::{bail, Result};
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What each request is.
#[derive(Debug, Clone)]
pub enum Workload {
    /// SP-initiated SSO by HTTP-Redirect, a fresh AuthnRequest each time.
    Sp,
    /// IdP-initiated: GET this launch URL.
    Launch(String),
    /// GET this metadata URL.
    Metadata(String),
}

impl Workload {
    pub fn name(&self) -> &'static str {
        match self {
            Workload::Sp => "sp-redirect",
            Workload::Launch(_) => "idp-launch",
            Workload::Metadata(_) => "metadata",
        }
    }
}

/// Every how many responses (per worker) one is fully verified: 1 in 50 = 2%.
pub const VERIFY_EVERY: u64 = 50;

/// One measurement.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Record {
    pub kind: String,
    pub label: String,
    pub workload: String,
    pub concurrency: usize,
    pub seconds: f64,
    pub ok: u64,
    pub errors: u64,
    pub verified: u64,
    pub first_error: String,
    pub rps: f64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Server CPU seconds over the window, and per response in milliseconds.
    pub server_cpu_s: f64,
    pub cpu_ms_per_resp: f64,
    /// The part of it spent in the kernel (system time), per response, ms.
    pub sys_ms_per_resp: f64,
    /// Context switches of the server's threads per response (threads alive at the end).
    pub ctx_per_resp: f64,
    /// Server memory: before the level, peak sampled during it, and VmHWM after.
    pub rss_start_mib: f64,
    pub rss_peak_mib: f64,
    pub hwm_mib: f64,
    /// Free-form notes (e.g. the Argon2id parameters of a cold sign-in).
    pub note: String,
}

struct WorkerOut {
    lat_us: Vec<u32>,
    ok: u64,
    errors: u64,
    verified: u64,
    first_error: Option<String>,
}

async fn one(
    client: &reqwest::Client,
    t: &Target,
    w: &Workload,
    verify: bool,
) -> Result<(Duration, bool)> {
    let (irt, url) = match w {
        Workload::Sp => {
            let (id, url) = saml::request_url(t)?;
            (Some(id), url)
        }
        Workload::Launch(u) | Workload::Metadata(u) => (None, u.clone()),
    };
    let t0 = Instant::now();
    let r = client.get(&url).send().await?;
    let status = r.status().as_u16();
    let body = r.text().await?;
    let dt = t0.elapsed();
    if status != 200 {
        bail!("status {status}: {}", saml::snippet(&body));
    }
    match w {
        Workload::Sp | Workload::Launch(_) => {
            if !html::has_saml_response(&body) {
                bail!("no SAMLResponse form: {}", saml::snippet(&body));
            }
            if verify {
                saml::verify_page(t, &body, irt.as_deref())?;
            }
        }
        Workload::Metadata(_) => {
            if !body.contains("EntityDescriptor") {
                bail!("not metadata: {}", saml::snippet(&body));
            }
            if verify {
                let e = sesame_saml::metadata::parse_entities(&body)?;
                let certs: Vec<_> = e
                    .into_iter()
                    .filter_map(|e| e.idp)
                    .flat_map(|i| i.signing_certificates)
                    .collect();
                if !certs.iter().any(|c| t.certs.contains(c)) {
                    bail!("the metadata does not publish the signing certificate");
                }
            }
        }
    }
    Ok((dt, verify))
}

async fn worker(
    client: reqwest::Client,
    t: Arc<Target>,
    w: Arc<Workload>,
    deadline: Instant,
) -> WorkerOut {
    let mut out = WorkerOut {
        lat_us: Vec::with_capacity(4096),
        ok: 0,
        errors: 0,
        verified: 0,
        first_error: None,
    };
    let mut n: u64 = 0;
    // Bounded: stops at the deadline (each request is bounded by the client's timeout).
    while Instant::now() < deadline {
        let verify = n.is_multiple_of(VERIFY_EVERY);
        n += 1;
        match one(&client, &t, &w, verify).await {
            Ok((dt, v)) => {
                out.ok += 1;
                out.verified += u64::from(v);
                out.lat_us
                    .push(u32::try_from(dt.as_micros()).unwrap_or(u32::MAX));
            }
            Err(e) => {
                out.errors += 1;
                if out.first_error.is_none() {
                    out.first_error = Some(format!("{e:#}"));
                }
                if out.errors > 1000 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    out
}

async fn run_for(
    client: &reqwest::Client,
    t: &Arc<Target>,
    w: &Arc<Workload>,
    conc: usize,
    dur: Duration,
) -> Vec<WorkerOut> {
    let deadline = Instant::now() + dur;
    let mut hs = Vec::with_capacity(conc);
    for _ in 0..conc {
        hs.push(tokio::spawn(worker(
            client.clone(),
            Arc::clone(t),
            Arc::clone(w),
            deadline,
        )));
    }
    let mut outs = Vec::with_capacity(conc);
    for h in hs {
        if let Ok(o) = h.await {
            outs.push(o);
        }
    }
    outs
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

/// Fills the latency fields from microsecond samples.
pub fn latency_stats(r: &mut Record, mut lat: Vec<u32>) {
    lat.sort_unstable();
    r.p50_ms = percentile(&lat, 50.0);
    r.p99_ms = percentile(&lat, 99.0);
    r.max_ms = lat.last().map_or(0.0, |v| f64::from(*v) / 1000.0);
    r.mean_ms = if lat.is_empty() {
        0.0
    } else {
        lat.iter().map(|v| f64::from(*v)).sum::<f64>() / lat.len() as f64 / 1000.0
    };
}

/// One concurrency level: warm-up, then the measured window.
pub async fn level(
    client: &reqwest::Client,
    t: &Arc<Target>,
    w: &Arc<Workload>,
    conc: usize,
    secs: f64,
    warmup: f64,
    pids: &[u32],
) -> Record {
    if warmup > 0.0 {
        let _ = run_for(client, t, w, conc, Duration::from_secs_f64(warmup)).await;
    }
    let tck = procfs::clk_tck();
    let rss_start = procfs::rss_mib(pids);
    // Memory sampled every 200 ms while the level runs.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let stop = Arc::clone(&stop);
        let pids = pids.to_vec();
        tokio::task::spawn_blocking(move || {
            let mut peak: f64 = 0.0;
            let mut guard = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && guard < 100_000 {
                peak = peak.max(procfs::rss_mib(&pids));
                std::thread::sleep(Duration::from_millis(200));
                guard += 1;
            }
            peak
        })
    };
    let x0 = procfs::context_switches(pids);
    let c0 = procfs::cpu_ticks(pids);
    let t0 = Instant::now();
    let outs = run_for(client, t, w, conc, Duration::from_secs_f64(secs)).await;
    let wall = t0.elapsed().as_secs_f64();
    let c1 = procfs::cpu_ticks(pids);
    let x1 = procfs::context_switches(pids);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler.await.unwrap_or(0.0);
    let mut r = Record {
        kind: "load".into(),
        workload: w.name().into(),
        concurrency: conc,
        seconds: wall,
        rss_start_mib: rss_start,
        rss_peak_mib: peak.max(procfs::rss_mib(pids)),
        hwm_mib: procfs::hwm_mib(pids),
        ..Record::default()
    };
    let mut lat = Vec::new();
    for o in outs {
        r.ok += o.ok;
        r.errors += o.errors;
        r.verified += o.verified;
        if r.first_error.is_empty() {
            if let Some(e) = o.first_error {
                r.first_error = e;
            }
        }
        lat.extend(o.lat_us);
    }
    latency_stats(&mut r, lat);
    r.rps = r.ok as f64 / wall;
    set_cpu(&mut r, c0, c1, tck);
    if r.ok > 0 {
        r.ctx_per_resp = x1.saturating_sub(x0) as f64 / r.ok as f64;
    }
    r
}

/// Fills the CPU fields from two (user, system) tick readings.
pub fn set_cpu(r: &mut Record, c0: (u64, u64), c1: (u64, u64), tck: f64) {
    let user = c1.0.saturating_sub(c0.0) as f64 / tck;
    let sys = c1.1.saturating_sub(c0.1) as f64 / tck;
    r.server_cpu_s = user + sys;
    if r.ok > 0 {
        r.cpu_ms_per_resp = r.server_cpu_s * 1000.0 / r.ok as f64;
        r.sys_ms_per_resp = sys * 1000.0 / r.ok as f64;
    }
}
