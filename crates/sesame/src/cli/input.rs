//! Bounded input, output that tolerates a closed pipe, one-line errors.

use anyhow::{bail, Context, Result};
use sesame_saml::crypto::Certificate;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;

/// The most bytes any command reads from standard input.
pub const MAX_INPUT: usize = 16 * 1024 * 1024;

/// The most bytes read from a key or certificate file.
const MAX_PEM_FILE: u64 = 1024 * 1024;

/// Reads all of standard input, refusing more than [`MAX_INPUT`] bytes.
pub fn read_stdin() -> Result<Vec<u8>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("sesame: reading standard input (end it with Ctrl-D)");
    }
    let mut buf = Vec::new();
    stdin
        .lock()
        .take(MAX_INPUT as u64 + 1)
        .read_to_end(&mut buf)
        .context("cannot read standard input")?;
    if buf.len() > MAX_INPUT {
        bail!(
            "standard input is larger than {} MiB; refused",
            MAX_INPUT / (1024 * 1024)
        );
    }
    Ok(buf)
}

/// Reads standard input as UTF-8 text.
pub fn read_stdin_text() -> Result<String> {
    let bytes = read_stdin()?;
    sesame_saml::xml::utf8(&bytes)?;
    String::from_utf8(bytes).context("standard input is not UTF-8")
}

/// Reads a small text file (a PEM key or certificate).
pub fn read_pem_file(path: &Path) -> Result<String> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut buf = Vec::new();
    file.take(MAX_PEM_FILE + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if buf.len() as u64 > MAX_PEM_FILE {
        bail!(
            "{} is larger than 1 MiB; it is not a PEM key or certificate",
            path.display()
        );
    }
    String::from_utf8(buf).with_context(|| format!("{} is not a PEM text file", path.display()))
}

/// Reads every `CERTIFICATE` block of a PEM file (a single certificate or a bundle).
pub fn read_certificates(path: &Path) -> Result<Vec<Certificate>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text = read_pem_file(path)?;
    let mut certs = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start..];
        let Some(end) = after.find(END) else {
            bail!("{}: a certificate block has no END line", path.display());
        };
        let block = &after[..end + END.len()];
        let cert = Certificate::from_pem(block)
            .with_context(|| format!("{}: certificate {}", path.display(), certs.len() + 1))?;
        certs.push(cert);
        rest = &after[end + END.len()..];
    }
    if certs.is_empty() {
        bail!("{} has no PEM CERTIFICATE block", path.display());
    }
    Ok(certs)
}

/// Writes `bytes` to standard output. A reader that went away (`| head`) is not an error.
pub fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e).context("cannot write standard output"),
    }
}

/// An error chain on one line: "context: cause: cause".
pub fn one_line(e: &anyhow::Error) -> String {
    flatten(&format!("{e:#}"))
}

fn flatten(s: &str) -> String {
    s.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Replaces Rust's multi-line panic report with one line. Panics are bugs (every input
/// error is an `Err`); this keeps even a bug within the one-line-on-stderr contract.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_owned());
        let place = info
            .location()
            .map(|l| format!(" ({}:{})", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "sesame: internal error, please report it: {}{place}",
            flatten(&msg)
        );
    }));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (workspace policy)
mod tests {
    use super::*;

    #[test]
    fn flatten_joins_lines() {
        assert_eq!(flatten("a\nb\r\n  c\n"), "a b c");
    }
}
