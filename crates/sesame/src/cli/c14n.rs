//! `sesame saml c14n`: canonicalize the document on stdin, byte-exact, to stdout.

use super::input::{read_stdin_text, write_stdout};
use anyhow::Result;
use sesame_saml::c14n::{canonicalize, Options};
use sesame_saml::xml::{parse, Limits};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Exclusive XML Canonicalization 1.0 (default: inclusive Canonical XML 1.0).
    #[arg(long)]
    exclusive: bool,
    /// Keep comments (the #WithComments variants).
    #[arg(long)]
    with_comments: bool,
    /// Exclusive only: the InclusiveNamespaces PrefixList, space-separated ("xs #default").
    #[arg(long, value_name = "PREFIXES", default_value = "")]
    prefixes: String,
}

pub fn run(args: &Args) -> Result<()> {
    let prefixes: Vec<&str> = args.prefixes.split_ascii_whitespace().collect();
    if !prefixes.is_empty() && !args.exclusive {
        anyhow::bail!("--prefixes is an Exclusive c14n parameter; add --exclusive");
    }
    let text = read_stdin_text()?;
    let doc = parse(&text, &Limits::GENERAL)?;
    let opts = Options {
        exclusive: args.exclusive,
        with_comments: args.with_comments,
        inclusive_prefixes: &prefixes,
    };
    let out = canonicalize(doc.root(), &opts, None)?;
    write_stdout(out.as_bytes())
}
