//! `sesame`: a self-hosted SAML 2.0 identity provider, in one binary.
//!
//! `sesame serve` runs the identity provider (SSO endpoints, admin portal, My Apps, REST
//! API); the administration commands (`user`, `group`, `app`, `gallery`, `token`, `role`,
//! `audit`, `signins`, `migrate`, `backup`, `restore`) work on its store; `sesame saml …`
//! is the SAML toolbox: decode, canonicalize, sign and verify messages, inspect metadata.
//! The command line is parsed and dispatched in `cli`; the server and the domain are the
//! `sesame` library.
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
