//! `sesame saml metadata inspect`: a readable summary of SAML metadata (what an
//! administrator checks before connecting an application).

use super::input::{read_stdin_text, write_stdout};
use anyhow::{bail, Result};
use sesame_saml::crypto::Certificate;
use sesame_saml::metadata::{parse_entities, Endpoint, IndexedEndpoint};
use std::fmt::Write as _;

#[derive(Debug, clap::Args)]
pub struct InspectArgs {}

pub fn inspect(_args: &InspectArgs) -> Result<()> {
    let xml = read_stdin_text()?;
    let entities = parse_entities(&xml)?;
    if entities.is_empty() {
        bail!("the metadata has no EntityDescriptor");
    }
    let now_ms = now_ms();
    let mut out = String::new();
    for (i, e) in entities.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        line(&mut out, 0, &format!("entity: {}", e.entity_id));
        if e.sp.is_none() && e.idp.is_none() {
            line(&mut out, 1, "no SAML 2.0 SP or IdP role");
        }
        if let Some(sp) = &e.sp {
            line(&mut out, 1, "role: SP (SPSSODescriptor)");
            line(
                &mut out,
                2,
                &format!("AuthnRequestsSigned: {}", sp.authn_requests_signed),
            );
            line(
                &mut out,
                2,
                &format!("WantAssertionsSigned: {}", sp.want_assertions_signed),
            );
            if sp.acs.is_empty() {
                line(&mut out, 2, "AssertionConsumerService: none");
            }
            for acs in &sp.acs {
                line(&mut out, 2, &indexed("AssertionConsumerService", acs));
            }
            for slo in &sp.slo {
                line(&mut out, 2, &endpoint("SingleLogoutService", slo));
            }
            formats(&mut out, &sp.name_id_formats);
            certificates(
                &mut out,
                &sp.signing_certificates,
                &sp.encryption_certificates,
                now_ms,
            );
        }
        if let Some(idp) = &e.idp {
            line(&mut out, 1, "role: IdP (IDPSSODescriptor)");
            line(
                &mut out,
                2,
                &format!(
                    "WantAuthnRequestsSigned: {}",
                    idp.want_authn_requests_signed
                ),
            );
            for sso in &idp.sso {
                line(&mut out, 2, &endpoint("SingleSignOnService", sso));
            }
            for slo in &idp.slo {
                line(&mut out, 2, &endpoint("SingleLogoutService", slo));
            }
            formats(&mut out, &idp.name_id_formats);
            certificates(&mut out, &idp.signing_certificates, &[], now_ms);
        }
    }
    write_stdout(out.as_bytes())
}

fn line(out: &mut String, depth: usize, text: &str) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    // Metadata is untrusted input: no control characters reach the terminal.
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out.push('\n');
}

fn indexed(what: &str, e: &IndexedEndpoint) -> String {
    let mut tags = Vec::new();
    if let Some(i) = e.index {
        tags.push(format!("index {i}"));
    }
    match e.is_default {
        Some(true) => tags.push("default".to_owned()),
        Some(false) => tags.push("isDefault=false".to_owned()),
        None => {}
    }
    let tags = if tags.is_empty() {
        String::new()
    } else {
        format!(" [{}]", tags.join(", "))
    };
    format!("{what}{tags}: {} {}", e.binding, e.location)
}

fn endpoint(what: &str, e: &Endpoint) -> String {
    let mut s = format!("{what}: {} {}", e.binding, e.location);
    if let Some(r) = &e.response_location {
        let _ = write!(s, " (responses to {r})");
    }
    s
}

fn formats(out: &mut String, formats: &[String]) {
    if formats.is_empty() {
        line(out, 2, "NameIDFormat: none listed");
    }
    for f in formats {
        line(out, 2, &format!("NameIDFormat: {f}"));
    }
}

/// Each distinct certificate once, with its uses (a KeyDescriptor without `use` counts
/// for both signing and encryption).
fn certificates(
    out: &mut String,
    signing: &[Certificate],
    encryption: &[Certificate],
    now_ms: i64,
) {
    let mut seen: Vec<&Certificate> = Vec::new();
    for cert in signing.iter().chain(encryption) {
        if seen.contains(&cert) {
            continue;
        }
        seen.push(cert);
        let uses: Vec<&str> = [("signing", signing), ("encryption", encryption)]
            .iter()
            .filter(|(_, list)| list.contains(cert))
            .map(|(u, _)| *u)
            .collect();
        line(out, 2, &format!("certificate ({}):", uses.join(", ")));
        line(out, 3, &format!("subject:   {}", cert.subject()));
        let not_after = cert.not_after();
        let expired = if not_after.0 < now_ms {
            "  (EXPIRED)"
        } else {
            ""
        };
        line(
            out,
            3,
            &format!("not after: {}{expired}", not_after.to_xs_datetime()),
        );
        line(out, 3, &format!("SHA-1:     {}", cert.sha1_thumbprint()));
        line(out, 3, &format!("SHA-256:   {}", cert.sha256_thumbprint()));
    }
    if seen.is_empty() {
        line(out, 2, "certificate: none");
    }
}

/// The wall clock, in Unix milliseconds (the binary's edge may read it; the library never does).
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
