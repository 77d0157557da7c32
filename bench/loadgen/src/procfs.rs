//! The server's own CPU time and memory, from /proc: utime + stime (and the cutime +
//! cstime of children it has reaped, e.g. pysaml2's xmlsec1 processes) summed over the
//! given processes and all their descendants (nginx + php-fpm workers, gunicorn workers).

use std::collections::HashMap;
use std::fs;

/// Clock ticks per second of /proc/*/stat (USER_HZ, 100 on Linux x86-64).
pub fn clk_tck() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|v| *v > 0.0)
        .unwrap_or(100.0)
}

/// (ppid, user ticks, system ticks) of one process (its reaped children included).
fn stat(pid: u32) -> Option<(u32, u64, u64)> {
    let s = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let rest = &s[s.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // f[0] is field 3 (state): field N is f[N - 3].
    let ppid = f.get(1)?.parse().ok()?;
    let field = |n: usize| -> Option<u64> { f.get(n - 3)?.parse::<u64>().ok() };
    // utime 14, stime 15, cutime 16, cstime 17.
    Some((ppid, field(14)? + field(16)?, field(15)? + field(17)?))
}

/// The given processes and all their descendants.
pub fn tree(roots: &[u32]) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(rd) = fs::read_dir("/proc") {
        for e in rd.flatten() {
            if let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) {
                if let Some((ppid, _, _)) = stat(pid) {
                    children.entry(ppid).or_default().push(pid);
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut stack: Vec<u32> = roots.to_vec();
    let mut guard = 0;
    while let Some(p) = stack.pop() {
        guard += 1;
        if guard > 100_000 || out.contains(&p) {
            continue;
        }
        out.push(p);
        if let Some(c) = children.get(&p) {
            stack.extend(c);
        }
    }
    out
}

/// CPU ticks (user, system) of the process trees.
pub fn cpu_ticks(roots: &[u32]) -> (u64, u64) {
    tree(roots)
        .iter()
        .filter_map(|p| stat(*p))
        .fold((0, 0), |(u, s), p| (u + p.1, s + p.2))
}

/// Context switches (voluntary + involuntary) of every thread of the process trees.
pub fn context_switches(roots: &[u32]) -> u64 {
    let mut total = 0;
    for pid in tree(roots) {
        let Ok(rd) = fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for t in rd.flatten() {
            let Ok(s) = fs::read_to_string(t.path().join("status")) else {
                continue;
            };
            for l in s.lines() {
                if l.starts_with("voluntary_ctxt_switches:")
                    || l.starts_with("nonvoluntary_ctxt_switches:")
                {
                    total += l
                        .split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(0);
                }
            }
        }
    }
    total
}

/// A `kB` field of /proc/PID/status, in KiB.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let s = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Resident memory of the process trees, MiB (VmRSS summed).
pub fn rss_mib(roots: &[u32]) -> f64 {
    let kib: u64 = tree(roots)
        .iter()
        .filter_map(|p| status_kib(*p, "VmRSS:"))
        .sum();
    kib as f64 / 1024.0
}

/// Peak resident memory since start (VmHWM) of the root processes, MiB.
pub fn hwm_mib(roots: &[u32]) -> f64 {
    let kib: u64 = tree(roots)
        .iter()
        .filter_map(|p| status_kib(*p, "VmHWM:"))
        .sum();
    kib as f64 / 1024.0
}
