//! `sesame gallery list|show`: the application gallery compiled into the binary.

use super::out;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use serde::Serialize;
use sesame::gallery::{self, SsoMode, Template, UrlField};

/// `sesame gallery …`
#[derive(Debug, Subcommand)]
pub enum GalleryCommand {
    /// List the gallery applications (id, name, publisher, categories, SSO modes).
    List(ListArgs),
    /// Show a gallery application: its URLs and patterns, NameID, claims, certificate
    /// format and the "Configure <app> SSO" instructions.
    Show(ShowArgs),
}

/// `gallery list`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only applications whose id, name, publisher, description or category contains
    /// TEXT (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
}

/// `gallery show`
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The gallery application's id (`sesame gallery list` shows them).
    #[arg(value_name = "ID")]
    id: String,
}

/// One row of `gallery list --json`.
#[derive(Serialize)]
struct Row<'a> {
    id: &'a str,
    name: &'a str,
    publisher: &'a str,
    description: &'a str,
    categories: &'a [String],
    sso_modes: &'a [SsoMode],
    single_instance: bool,
    metadata_upload: bool,
}

fn modes(t: &Template) -> String {
    t.sso_modes
        .iter()
        .map(|m| m.label())
        .collect::<Vec<_>>()
        .join(", ")
}

fn list_text(rows: &[&Template]) -> String {
    let header = ["ID", "NAME", "PUBLISHER", "CATEGORIES", "SSO MODES"];
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|t| {
            [
                t.id.clone(),
                t.name.clone(),
                t.publisher.clone(),
                t.categories.join(", "),
                modes(t),
            ]
        })
        .collect();
    let mut width = header.map(|h| h.chars().count());
    for r in &cells {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |r: [&str; 5]| -> String {
        let mut s = String::new();
        for (i, c) in r.iter().enumerate() {
            if i == 4 {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = width[i]));
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut s = line(header);
    for r in &cells {
        s.push_str(&line([&r[0], &r[1], &r[2], &r[3], &r[4]]));
    }
    s
}

fn url_line(label: &str, f: Option<&UrlField>) -> String {
    let Some(f) = f else {
        return format!("{label:<28}(none)\n");
    };
    let opt = if f.required { "" } else { ", optional" };
    let v = match &f.rule {
        gallery::UrlRule::Fixed(v) => format!("{v} [fixed{opt}]"),
        gallery::UrlRule::Patterns { patterns, default } => {
            let p: Vec<&str> = patterns.iter().map(|p| p.as_str()).collect();
            let d = default
                .as_deref()
                .map(|d| format!(", default {d}"))
                .unwrap_or_default();
            format!("{} [pattern{opt}{d}]", p.join(" | "))
        }
        gallery::UrlRule::VendorProvided => format!("[vendor-provided{opt}]"),
    };
    let mut s = format!("{label:<28}{v}\n");
    if let Some(h) = f.hint.as_deref().filter(|h| !h.trim().is_empty()) {
        s.push_str(&format!("{:<28}{h}\n", ""));
    }
    s
}

fn show_text(t: &Template) -> String {
    let mut s = String::new();
    let mut line = |k: &str, v: &str| s.push_str(&format!("{k:<28}{v}\n"));
    let yn = |b: bool| if b { "yes" } else { "no" };
    line("Name", &t.name);
    line("Gallery id", &t.id);
    line("Publisher", &t.publisher);
    line("Description", &t.description);
    line("Homepage", &t.homepage);
    line("Categories", &t.categories.join(", "));
    line("SSO modes", &modes(t));
    line(
        "Single instance",
        if t.single_instance {
            "yes: the Identifier is fixed, only one instance per tenant"
        } else {
            "no"
        },
    );
    line("SP metadata upload", yn(t.metadata_upload));
    line("Certificate format", t.certificate_format.label());
    if let Some(sign) = t.sign {
        line("Signing option", &format!("{sign:?}").to_lowercase());
    }
    if let Some(sup) = &t.support {
        line("Support", sup);
    }
    line("Source", &t.source);
    s.push('\n');
    s.push_str("Basic SAML Configuration\n");
    s.push_str(&url_line("  Identifier (Entity ID)", Some(&t.identifier)));
    s.push_str(&url_line("  Reply URL", Some(&t.reply_url)));
    s.push_str(&url_line("  Sign on URL", t.sign_on_url.as_ref()));
    s.push_str(&url_line("  Logout URL", t.logout_url.as_ref()));
    s.push('\n');
    s.push_str("Attributes & Claims\n");
    let fmt = t.nameid_format_uri().unwrap_or("default");
    s.push_str(&format!(
        "  {:<26}{} ({fmt})\n",
        "Unique User Identifier", t.nameid.source
    ));
    if let Some(h) = &t.nameid.hint {
        s.push_str(&format!("  {:<26}{h}\n", ""));
    }
    for c in &t.claims {
        let req = if c.required {
            "required"
        } else {
            "IdP default claim"
        };
        s.push_str(&format!(
            "  {}  <-  {} (name format {}, {req})\n",
            c.full_name(),
            c.source,
            c.name_format
        ));
    }
    if let Some(h) = &t.claims_hint {
        s.push_str(&format!("  Note: {h}\n"));
    }
    if !t.authn_context_class_refs.is_empty() {
        s.push_str("\nAuthnContextClassRef values it may request\n");
        for r in &t.authn_context_class_refs {
            s.push_str(&format!("  {r}\n"));
        }
    }
    if let Some(j) = &t.jit_provisioning {
        s.push_str(&format!("\nJust-in-time provisioning\n  {j}\n"));
    }
    s.push_str(&format!("\nConfigure {} SSO\n", t.name));
    for l in t.instructions.lines() {
        s.push_str(&format!("  {l}\n"));
    }
    s.push_str(&format!(
        "\nAdd it: sesame app add --gallery {} --name \"{}\"\n",
        t.id, t.name
    ));
    let hint = add_hint(t);
    if !hint.is_empty() {
        s.push_str(&format!(
            "  It is \"SAML not configured\" until it has the values {} gives you: add them\n  to that command, or later with: sesame app set APP{hint}\n",
            t.name
        ));
    }
    s
}

/// The options that give `t` the values single sign-on needs (on `app add --gallery` or
/// `app set`).
fn add_hint(t: &Template) -> String {
    let mut s = String::new();
    if t.metadata_upload {
        s.push_str(" --sp-metadata FILE");
    }
    let fields = [
        ("--identifier", Some(&t.identifier)),
        ("--reply-url", Some(&t.reply_url)),
        ("--sign-on-url", t.sign_on_url.as_ref()),
        ("--logout-url", t.logout_url.as_ref()),
    ];
    for (flag, f) in fields {
        if let Some(f) = f {
            let from_metadata =
                t.metadata_upload && (flag == "--identifier" || flag == "--reply-url");
            if f.required && f.prefill().is_none() && !from_metadata {
                let v = f
                    .patterns()
                    .first()
                    .map_or("VALUE".to_owned(), |p| p.to_string());
                s.push_str(&format!(" {flag} '{v}'"));
            }
        }
    }
    s
}

/// Runs `sesame gallery …` (no database needed).
pub fn run(json: bool, cmd: GalleryCommand) -> Result<()> {
    if let Some(e) = gallery::load_errors().first() {
        eprintln!("sesame: warning: {e}");
    }
    match cmd {
        GalleryCommand::List(a) => list(json, a),
        GalleryCommand::Show(a) => show(json, a),
    }
}

/// `sesame gallery list`: list the gallery applications (id, name, publisher, categories,
/// SSO modes).
fn list(json: bool, a: ListArgs) -> Result<()> {
    let rows: Vec<&Template> = gallery::search(a.search.as_deref().unwrap_or("")).collect();
    if json {
        let rows: Vec<Row<'_>> = rows
            .iter()
            .map(|t| Row {
                id: &t.id,
                name: &t.name,
                publisher: &t.publisher,
                description: &t.description,
                categories: &t.categories,
                sso_modes: &t.sso_modes,
                single_instance: t.single_instance,
                metadata_upload: t.metadata_upload,
            })
            .collect();
        let s = serde_json::to_string_pretty(&rows).context("cannot encode JSON")?;
        return out(&format!("{s}\n"));
    }
    if rows.is_empty() {
        if let Some(q) = &a.search {
            bail!("no gallery application matches {q:?}; `sesame gallery list` shows them all");
        }
    }
    out(&list_text(&rows))
}

/// `sesame gallery show`: show a gallery application: its URLs and patterns, NameID,
/// claims, certificate format and the "Configure <app> SSO" instructions.
fn show(json: bool, a: ShowArgs) -> Result<()> {
    let Some(t) = gallery::template(a.id.trim()) else {
        let near: Vec<&str> = gallery::search(a.id.trim())
            .map(|t| t.id.as_str())
            .collect();
        if near.is_empty() {
            bail!(
                "the gallery has no application {}; `sesame gallery list` shows them",
                a.id
            );
        }
        bail!(
            "the gallery has no application {}; did you mean {}?",
            a.id,
            near.join(", ")
        );
    };
    if json {
        let s = serde_json::to_string_pretty(t).context("cannot encode JSON")?;
        return out(&format!("{s}\n"));
    }
    out(&show_text(t))
}
