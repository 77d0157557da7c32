//! `sesame`: a self-hosted SAML 2.0 identity provider.
//!
//! Today the binary is the SAML toolbox (`sesame saml …`): decode, canonicalize, sign and
//! verify messages and inspect metadata. The server comes next.
//!
//! Error contract: every failure is one line on stderr and a non-zero exit status: 1 when
//! the input is refused or invalid, 2 for usage errors (clap's own). Never a panic or a
//! stack trace for any input.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    cli::install_panic_hook();
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sesame: error: {}", cli::one_line(&e));
            ExitCode::from(1)
        }
    }
}
