//! `sesame saml verify`: verify a SAML message's enveloped signatures.

use super::input::{read_certificates, read_stdin_text, write_stdout};
use anyhow::Result;
use sesame_saml::dsig::{verify_message, VerifyPolicy};
use sesame_saml::xml::{child, parse, Limits, NS_DS};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A trusted certificate (PEM; a file may hold several). Repeat for more.
    #[arg(long, value_name = "CERT.pem", required = true)]
    cert: Vec<PathBuf>,
}

pub fn run(args: &Args) -> Result<()> {
    let mut certs = Vec::new();
    for path in &args.cert {
        certs.extend(read_certificates(path)?);
    }
    let xml = read_stdin_text()?;
    let doc = parse(&xml, &Limits::MESSAGE)?;
    // SHA-1 is accepted (legacy SPs still sign with it) but called out.
    let verified = verify_message(&doc, &certs, &VerifyPolicy { allow_sha1: true })?;
    let mut out = String::new();
    for el in &verified {
        let tag = el.tag_name().name();
        let id = el.attribute("ID").unwrap_or("");
        if uses_sha1(*el) {
            eprintln!("sesame: warning: the {tag} signature uses SHA-1, which is deprecated");
        }
        out.push_str(tag);
        out.push(' ');
        out.push_str(id);
        out.push('\n');
    }
    write_stdout(out.as_bytes())
}

/// Whether the element's own Signature uses an RSA-SHA1 signature or a SHA-1 digest.
fn uses_sha1(el: roxmltree::Node<'_, '_>) -> bool {
    let Some(sig) = child(el, NS_DS, "Signature") else {
        return false;
    };
    sig.descendants().filter(|n| n.is_element()).any(|n| {
        matches!(n.tag_name().name(), "SignatureMethod" | "DigestMethod")
            && n.attribute("Algorithm").is_some_and(|a| {
                a == "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
                    || a == "http://www.w3.org/2000/09/xmldsig#sha1"
            })
    })
}
