//! `sesame saml decode`: whatever an administrator pastes (a SAMLRequest/SAMLResponse
//! value, a whole Redirect URL, a query string or a POST form body) → the message XML.
//!
//! stdout carries only XML (pretty-printed for reading, or `--raw`: the decoded bytes
//! exactly, e.g. to pipe into `sesame saml verify`); the binding, RelayState and the
//! Redirect signature parameters go to stderr.

use super::input::{read_certificates, read_stdin_text, write_stdout};
use anyhow::{bail, Result};
use sesame::xmlfmt::pretty;
use sesame_saml::bindings::{decode_auto, redirect, Binding};
use sesame_saml::dsig::VerifyPolicy;
use sesame_saml::xml::{parse, Limits};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the decoded XML exactly as it was sent, not pretty-printed (signatures stay
    /// verifiable: `sesame saml decode --raw | sesame saml verify --cert …`).
    #[arg(long)]
    raw: bool,
    /// Verify the Redirect query signature (SigAlg + Signature) with this trusted
    /// certificate (PEM; repeat for more). Signatures inside the XML: `sesame saml verify`.
    #[arg(long, value_name = "CERT.pem")]
    cert: Vec<PathBuf>,
}

pub fn run(args: &Args) -> Result<()> {
    let mut certs = Vec::new();
    for path in &args.cert {
        certs.extend(read_certificates(path)?);
    }
    let input = read_stdin_text()?;
    let decoded = decode_auto(&input)?;
    let out = if args.raw {
        decoded.xml.clone()
    } else {
        let doc = parse(&decoded.xml, &Limits::MESSAGE)?;
        pretty(&doc)
    };
    let binding = match decoded.binding {
        Binding::Redirect => "redirect",
        Binding::Post => "post",
    };
    let mut info = format!("binding: {binding}\n");
    if let Some(kind) = decoded.kind {
        info.push_str(&format!("parameter: {}\n", kind.param_name()));
    }
    if let Some(rs) = &decoded.relay_state {
        info.push_str(&format!("RelayState: {}\n", printable(rs)));
    }
    if let Some(alg) = &decoded.sig_alg {
        info.push_str(&format!("SigAlg: {}\n", printable(alg)));
    }
    match (&decoded.signature, certs.is_empty()) {
        (Some(sig), true) => info.push_str(&format!(
            "Signature: {} bytes (not verified: give --cert to verify it)\n",
            sig.len()
        )),
        (Some(_), false) => {
            let alg = redirect::decode_query(&raw_query(&input))?
                .verify_signature(&certs, &VerifyPolicy { allow_sha1: true })?;
            info.push_str(&format!("Signature: valid ({})\n", alg.uri()));
            if alg.is_sha1() {
                info.push_str("warning: the query is signed with RSA-SHA1, which is deprecated\n");
            }
        }
        (None, false) => bail!(
            "--cert was given but the message has no Redirect query signature (for signatures inside the XML, use `sesame saml verify`)"
        ),
        (None, true) => {}
    }
    eprint!("{info}");
    write_stdout(out.as_bytes())
}

/// The query string of `input` (a URL or a bare query), without whitespace (which the
/// binding never contains and pasting adds) or a fragment.
fn raw_query(input: &str) -> String {
    let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    let q = s.split_once('?').map_or(s.as_str(), |(_, q)| q);
    q.split('#').next().unwrap_or("").to_owned()
}

/// `s` with control characters escaped, so a hostile RelayState cannot forge lines on
/// the terminal.
fn printable(s: &str) -> String {
    s.chars().flat_map(char::escape_debug).collect::<String>()
}
