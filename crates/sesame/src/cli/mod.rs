//! The command line: parsing ([`Cli`]) and one dispatch ([`run`]) to the module of each
//! subcommand: the server (`serve`), the administration commands (`admin`, `signins`,
//! `db`) and the SAML toolbox (`sesame saml …`).
//!
//! Each toolbox subcommand reads its document from standard input (bounded:
//! `input::MAX_INPUT`), writes its result to standard output and anything for humans
//! (warnings, binding details) to standard error, so that stdout can be piped into the
//! next command.

pub mod admin;
mod c14n;
mod db;
mod decode;
mod input;
mod mail;
mod metadata;
mod serve;
mod sign;
mod signins;
mod verify;

use anyhow::Result;
use clap::{Parser, Subcommand};

pub use input::{install_panic_hook, one_line};

/// Sesame: a self-hosted SAML 2.0 identity provider.
#[derive(Debug, Parser)]
#[command(name = "sesame", version, about, long_about = None)]
pub struct Cli {
    /// --data-dir, --database-url, --json: accepted before or after the subcommand.
    #[command(flatten)]
    pub global: admin::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The SAML toolbox: decode, canonicalize, sign and verify messages; inspect metadata.
    #[command(subcommand)]
    Saml(SamlCommand),
    /// Users of the directory: add, list, show, set, enable, disable, delete.
    #[command(subcommand)]
    User(admin::UserCommand),
    /// Groups: add, add-member, remove-member, list, show, delete.
    #[command(subcommand)]
    Group(admin::GroupCommand),
    /// Enterprise applications: configuration, assignments, roles, signing certificates.
    App(admin::AppCommand),
    /// The application gallery: list, show (add one with `sesame app add --gallery ID`).
    #[command(subcommand)]
    Gallery(admin::GalleryCommand),
    /// REST API tokens: create (shown once), list, revoke.
    #[command(subcommand)]
    Token(admin::TokenCommand),
    /// Administrator roles: assign, remove, list.
    #[command(subcommand)]
    Role(admin::RoleCommand),
    /// Conditional Access policies: add, list, show, set, delete, what-if.
    #[command(subcommand)]
    Policy(admin::PolicyCommand),
    /// Named locations of Conditional Access: add, list, delete.
    #[command(subcommand)]
    Location(admin::LocationCommand),
    /// The Authentication methods policy: which methods are enabled, for whom, and the
    /// allowed passkey models (AAGUIDs).
    #[command(subcommand)]
    MethodsPolicy(admin::MethodsPolicyCommand),
    /// The audit log of every change (portal, REST API, CLI), newest first.
    Audit(admin::AuditArgs),
    /// Run the identity provider (HTTP server); --demo adds B.Simon and the test app.
    Serve(serve::Args),
    /// Sign-in logs, newest first.
    Signins(signins::Args),
    /// Outbound email: send a test message, read the Email log.
    #[command(subcommand)]
    Mail(mail::MailCommand),
    /// Apply the database migrations and exit (`serve` and every command also do at start).
    Migrate,
    /// Write a consistent backup of the store (never the master key) to a file.
    Backup(db::BackupArgs),
    /// Restore a backup into an empty store (--force: replace what is there).
    Restore(db::RestoreArgs),
}

#[derive(Debug, Subcommand)]
enum SamlCommand {
    /// Decode a SAMLRequest/SAMLResponse (a value, a Redirect URL or a POST body) from stdin
    /// and print its XML.
    Decode(decode::Args),
    /// Canonicalize the XML document on stdin (Exclusive or inclusive Canonical XML 1.0).
    C14n(c14n::Args),
    /// Sign the SAML message on stdin (enveloped XML-DSig) and print the signed XML.
    Sign(sign::Args),
    /// Verify the signatures of the SAML message on stdin against trusted certificates.
    Verify(verify::Args),
    /// Work with SAML metadata.
    #[command(subcommand)]
    Metadata(MetadataCommand),
}

#[derive(Debug, Subcommand)]
enum MetadataCommand {
    /// Print a readable summary of the metadata document on stdin.
    Inspect(metadata::InspectArgs),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Saml(cmd) => saml(cmd),
        Command::User(cmd) => admin::run_user(&cli.global, cmd),
        Command::Group(cmd) => admin::run_group(&cli.global, cmd),
        Command::App(cmd) => admin::run_app(&cli.global, cmd),
        Command::Gallery(cmd) => admin::run_gallery(&cli.global, cmd),
        Command::Token(cmd) => admin::run_token(&cli.global, cmd),
        Command::Role(cmd) => admin::run_role(&cli.global, cmd),
        Command::Audit(a) => admin::run_audit(&cli.global, a),
        Command::Policy(cmd) => admin::run_policy(&cli.global, cmd),
        Command::Location(cmd) => admin::run_location(&cli.global, cmd),
        Command::MethodsPolicy(cmd) => admin::run_methods_policy(&cli.global, cmd),
        Command::Serve(a) => serve::run(&a, &cli.global),
        Command::Signins(a) => signins::run(&a, &cli.global),
        Command::Mail(cmd) => mail::run(&cli.global, cmd),
        Command::Migrate => db::run_migrate(&cli.global),
        Command::Backup(a) => db::run_backup(&cli.global, &a),
        Command::Restore(a) => db::run_restore(&cli.global, &a),
    }
}

/// Runs one subcommand of the SAML toolbox (`sesame saml …`).
fn saml(cmd: SamlCommand) -> Result<()> {
    match cmd {
        SamlCommand::Decode(a) => decode::run(&a),
        SamlCommand::C14n(a) => c14n::run(&a),
        SamlCommand::Sign(a) => sign::run(&a),
        SamlCommand::Verify(a) => verify::run(&a),
        SamlCommand::Metadata(MetadataCommand::Inspect(a)) => metadata::inspect(&a),
    }
}
