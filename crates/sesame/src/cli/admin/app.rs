//! `sesame app add|list|show|set|delete|role|assign|unassign|launch-url|cert`.

use super::{audited, out, out_bytes, Ctx};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use serde::Serialize;
use sesame::admin::audit::Change;
use sesame::apps::{
    self, certs, config, expiry, App, AppCertificate, AppView, AssignmentView, NewApp, Principal,
    ReplyUrl, SignMode, SigningAlg,
};
use sesame::directory;
use sesame::tenant::MasterKey;
use sesame_saml::time::Timestamp;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// `sesame app …` and the options all its subcommands share.
#[derive(Debug, Args)]
pub struct AppCommand {
    /// File holding the master key that encrypts signing keys (else SESAME_MASTER_KEY,
    /// else master.key in the data dir).
    #[arg(
        long,
        global = true,
        env = "SESAME_MASTER_KEY_FILE",
        value_name = "FILE"
    )]
    master_key_file: Option<PathBuf>,
    #[command(subcommand)]
    cmd: AppSub,
}

#[derive(Debug, Subcommand)]
enum AppSub {
    /// Add an enterprise application (custom, or from the gallery); prints its id.
    Add(AddArgs),
    /// List applications.
    List,
    /// Show an application: its configuration and the values to give its vendor.
    Show(AppArg),
    /// Change an application (a repeated --identifier or --reply-url replaces that list).
    Set(SetArgs),
    /// Delete an application with its certificates, roles and assignments.
    Delete(AppArg),
    /// Add, remove or list app roles: `app role APP add|remove ROLE`, `app role APP list`.
    Role(RoleArgs),
    /// Assign a user or a group to the application, optionally with a role.
    Assign(AssignArgs),
    /// Remove an assignment (all of the principal's, or only --role's).
    Unassign(AssignArgs),
    /// Print the URL a My Apps tile opens (IdP-initiated launch).
    LaunchUrl(AppArg),
    /// Signing certificates: download (--pem, --der, --metadata), roll over (--new,
    /// --activate, --delete), list (--list).
    Cert(CertArgs),
    /// Attributes & Claims: `app claims APP list|set|remove|nameid|groups`.
    Claims(super::claims::ClaimsArgs),
    /// Print the Assertion a user would receive, checked against the gallery template.
    Preview(super::claims::PreviewArgs),
}

/// An application by id or unique name.
#[derive(Debug, Args)]
struct AppArg {
    /// The application's id, or its name when no other app has it.
    #[arg(value_name = "APP")]
    app: String,
}

/// Basic SAML Configuration options (add and set).
#[derive(Debug, Args, Default)]
struct SamlArgs {
    /// Identifier (Entity ID); repeat for several (on set, replaces the list).
    #[arg(long = "identifier", value_name = "URI")]
    identifiers: Vec<String>,
    /// Reply URL (Assertion Consumer Service URL), with an optional index; repeat for
    /// several (on set, replaces the list).
    #[arg(long = "reply-url", value_name = "[INDEX=]URL")]
    reply_urls: Vec<String>,
    /// Which Identifier is the default [default: the first].
    #[arg(long, value_name = "URI")]
    default_identifier: Option<String>,
    /// Which Reply URL is the default [default: the first].
    #[arg(long, value_name = "URL")]
    default_reply_url: Option<String>,
    /// Sign on URL (empty to clear).
    #[arg(long, value_name = "URL")]
    sign_on_url: Option<String>,
    /// Relay State of IdP-initiated sign-in (at most 2 KiB; empty to clear).
    #[arg(long, value_name = "STATE")]
    relay_state: Option<String>,
    /// The application's Logout URL (empty to clear).
    #[arg(long, value_name = "URL")]
    logout_url: Option<String>,
    /// SP metadata file: fills Identifier, Reply URLs, Logout URL and SP certificate.
    #[arg(long, value_name = "FILE")]
    sp_metadata: Option<PathBuf>,
}

/// Properties and switches (set, and add too).
#[derive(Debug, Args, Default)]
struct SwitchArgs {
    /// Only assigned users and groups may sign in.
    #[arg(long, value_name = "true|false", action = clap::ArgAction::Set)]
    assignment_required: Option<bool>,
    /// Enabled for users to sign in.
    #[arg(long, value_name = "true|false", action = clap::ArgAction::Set)]
    enabled: Option<bool>,
    /// Visible to users.
    #[arg(long, value_name = "true|false", action = clap::ArgAction::Set)]
    visible: Option<bool>,
    /// What to sign.
    #[arg(long, value_name = "response|assertion|both",
          value_parser = clap::builder::PossibleValuesParser::new(["response", "assertion", "both"]))]
    sign: Option<String>,
    /// Signature algorithm.
    #[arg(long, value_name = "rsa-sha256|rsa-sha1",
          value_parser = clap::builder::PossibleValuesParser::new(["rsa-sha256", "rsa-sha1"]))]
    signing_alg: Option<String>,
    /// AuthnRequests must be signed (verified with the SP certificate).
    #[arg(long, value_name = "true|false", action = clap::ArgAction::Set)]
    require_signed_requests: Option<bool>,
    /// Request signatures must use SHA-256 (RSA-SHA1 refused).
    #[arg(long, value_name = "true|false", action = clap::ArgAction::Set)]
    require_sha256: Option<bool>,
    /// Clock-skew allowance in seconds (NotBefore back-dating; 0 to 600).
    #[arg(long, value_name = "SECONDS")]
    clock_skew: Option<i64>,
    /// The SP's request-signing certificate (PEM, a PEM bundle, or DER).
    #[arg(long, value_name = "FILE")]
    sp_cert: Option<PathBuf>,
    /// Notes.
    #[arg(long, value_name = "TEXT")]
    notes: Option<String>,
}

/// `app add`
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("kind").required(true).args(["gallery", "custom"])))]
struct AddArgs {
    /// A gallery application's id.
    #[arg(long, value_name = "ID")]
    gallery: Option<String>,
    /// A custom (non-gallery) application.
    #[arg(long)]
    custom: bool,
    /// Application name.
    #[arg(long, value_name = "NAME")]
    name: String,
    #[command(flatten)]
    saml: SamlArgs,
    #[command(flatten)]
    switches: SwitchArgs,
}

/// `app set`
#[derive(Debug, Args)]
struct SetArgs {
    /// The application's id or unique name.
    #[arg(value_name = "APP")]
    app: String,
    /// New name.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    #[command(flatten)]
    saml: SamlArgs,
    #[command(flatten)]
    switches: SwitchArgs,
    /// Keep the SAML messages of every sign-in of the application in the sign-in log for
    /// this long (`30m`, `1h`, `2d`; at most 7d) while debugging; `off` stops. Without
    /// it, only the newest 1,000 successful sign-ins per application (and every failure)
    /// keep their messages.
    #[arg(long, value_name = "DURATION|off")]
    capture_messages: Option<String>,
    /// Notification Email Addresses: who is emailed 60, 30 and 7 days before the active
    /// signing certificate expires, on its last day and once expired (comma-separated;
    /// '' for nobody). Replaces the list.
    #[arg(long, value_name = "ADDRESS,...")]
    notification_email: Option<String>,
}

/// The longest message capture, seconds.
const CAPTURE_MAX_SECS: i64 = 7 * 86_400;

/// `--capture-messages`: seconds, or `None` for `off`.
fn capture_secs(v: &str) -> Result<Option<i64>> {
    let v = v.trim();
    if v.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (n, unit) = v.split_at(split);
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => bail!("--capture-messages {v:?}: give a duration like 30m, 1h or 2d, or off"),
    };
    let secs = n
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|s| (1..=CAPTURE_MAX_SECS).contains(s))
        .with_context(|| {
            format!("--capture-messages {v:?}: give a duration from 1s to 7d, or off")
        })?;
    Ok(Some(secs))
}

/// `app role`
#[derive(Debug, Args)]
struct RoleArgs {
    /// The application's id or unique name.
    #[arg(value_name = "APP")]
    app: String,
    /// add | remove | list
    #[arg(value_name = "ACTION",
          value_parser = clap::builder::PossibleValuesParser::new(["add", "remove", "list"]))]
    action: String,
    /// Role name.
    #[arg(value_name = "ROLE", required_if_eq_any([("action", "add"), ("action", "remove")]))]
    role: Option<String>,
}

/// `app assign` / `app unassign`
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("principal").required(true).args(["user", "group"])))]
struct AssignArgs {
    /// The application's id or unique name.
    #[arg(value_name = "APP")]
    app: String,
    /// A user, by user principal name.
    #[arg(long, value_name = "UPN")]
    user: Option<String>,
    /// A group, by id or name.
    #[arg(long, value_name = "NAME")]
    group: Option<String>,
    /// An app role (default: Default Access).
    #[arg(long, value_name = "ROLE")]
    role: Option<String>,
}

/// `app cert`
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("action").required(true)
    .args(["pem", "der", "metadata", "new", "activate", "delete", "list"])))]
struct CertArgs {
    /// The application's id or unique name.
    #[arg(value_name = "APP")]
    app: String,
    /// Certificate (Base64): the active certificate as PEM.
    #[arg(long)]
    pem: bool,
    /// Certificate (Raw): the active certificate as DER bytes.
    #[arg(long)]
    der: bool,
    /// Federation Metadata XML (every certificate, for rollover).
    #[arg(long)]
    metadata: bool,
    /// Create a new, inactive certificate.
    #[arg(long)]
    new: bool,
    /// Make the certificate with this SHA-1 thumbprint the active one.
    #[arg(long, value_name = "THUMBPRINT")]
    activate: Option<String>,
    /// Delete an inactive certificate.
    #[arg(long, value_name = "THUMBPRINT")]
    delete: Option<String>,
    /// List the certificates.
    #[arg(long)]
    list: bool,
}

/// The most bytes read from an SP metadata file.
const MAX_METADATA_FILE: u64 = 16 * 1024 * 1024;
/// The most bytes read from a certificate file.
const MAX_CERT_FILE: u64 = 1024 * 1024;

fn read_file(path: &Path, max: u64, what: &str) -> Result<Vec<u8>> {
    let f = std::fs::File::open(path)
        .with_context(|| format!("{what}: cannot open {}", path.display()))?;
    let mut buf = Vec::new();
    f.take(max + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("{what}: cannot read {}", path.display()))?;
    if buf.len() as u64 > max {
        bail!(
            "{what}: {} is larger than {} MiB; refused",
            path.display(),
            max / (1024 * 1024)
        );
    }
    Ok(buf)
}

fn read_certs(path: &Path) -> Result<Vec<sesame_saml::crypto::Certificate>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    let bytes = read_file(path, MAX_CERT_FILE, "--sp-cert")?;
    let text = std::str::from_utf8(&bytes).ok();
    match text {
        Some(t) if t.matches(BEGIN).count() > 1 => t
            .split_inclusive("-----END CERTIFICATE-----")
            .filter(|c| c.contains(BEGIN))
            .map(|c| config::parse_certificate(c.as_bytes()).map_err(anyhow::Error::from))
            .collect(),
        _ => Ok(vec![config::parse_certificate(&bytes)
            .with_context(|| format!("--sp-cert {}", path.display()))?]),
    }
}

fn empty_to_none(s: String) -> Option<String> {
    if s.is_empty() {
        None
    } else {
        Some(s)
    }
}

/// Applies the SAML options to `app`, in order: metadata, lists, defaults, the rest.
fn apply_saml(app: &mut App, a: SamlArgs) -> Result<()> {
    let cfg = &mut app.saml;
    if let Some(path) = &a.sp_metadata {
        let bytes = read_file(path, MAX_METADATA_FILE, "--sp-metadata")?;
        let xml = String::from_utf8(bytes)
            .with_context(|| format!("--sp-metadata {} is not UTF-8 text", path.display()))?;
        let applied = apps::apply_sp_metadata(cfg, &xml)?;
        eprintln!(
            "sesame: SP metadata: Identifier {}, {} Reply URL(s){}{}",
            applied.entity_id,
            applied.reply_urls,
            if applied.logout_url {
                ", Logout URL"
            } else {
                ""
            },
            if applied.certificates > 0 {
                format!(", {} SP signing certificate(s)", applied.certificates)
            } else {
                String::new()
            }
        );
        if let Some(w) = applied.warning() {
            eprintln!("sesame: warning: Require signed AuthnRequests is off: {w}");
        }
    }
    if !a.identifiers.is_empty() {
        cfg.identifiers = a
            .identifiers
            .into_iter()
            .map(|v| apps::Identifier {
                value: v.trim().to_owned(),
                is_default: false,
            })
            .collect();
    }
    if !a.reply_urls.is_empty() {
        cfg.reply_urls = a
            .reply_urls
            .iter()
            .map(|s| config::parse_reply_url_arg(s))
            .collect::<Result<Vec<ReplyUrl>, _>>()?;
    }
    if let Some(d) = a.default_identifier {
        let d = d.trim().to_owned();
        if !cfg.has_identifier(&d) {
            cfg.identifiers.push(apps::Identifier {
                value: d.clone(),
                is_default: false,
            });
        }
        for i in &mut cfg.identifiers {
            i.is_default = i.value == d;
        }
    } else if cfg.identifiers.iter().filter(|i| i.is_default).count() != 1 {
        for (n, i) in cfg.identifiers.iter_mut().enumerate() {
            i.is_default = n == 0;
        }
    }
    if let Some(d) = a.default_reply_url {
        let d = config::parse_reply_url_arg(&d)?;
        if !cfg.has_reply_url(&d.url) {
            cfg.reply_urls.push(d.clone());
        }
        for r in &mut cfg.reply_urls {
            r.is_default = config::reply_urls_match(&r.url, &d.url);
        }
    } else if cfg.reply_urls.iter().filter(|r| r.is_default).count() != 1 {
        for (n, r) in cfg.reply_urls.iter_mut().enumerate() {
            r.is_default = n == 0;
        }
    }
    if let Some(v) = a.sign_on_url {
        cfg.sign_on_url = empty_to_none(v.trim().to_owned());
    }
    if let Some(v) = a.relay_state {
        cfg.relay_state = empty_to_none(v);
    }
    if let Some(v) = a.logout_url {
        cfg.logout_url = empty_to_none(v.trim().to_owned());
    }
    Ok(())
}

fn apply_switches(app: &mut App, s: SwitchArgs) -> Result<()> {
    if let Some(v) = s.assignment_required {
        app.assignment_required = v;
    }
    if let Some(v) = s.enabled {
        app.enabled = v;
    }
    if let Some(v) = s.visible {
        app.visible = v;
    }
    if let Some(v) = s.sign {
        app.saml.sign_mode = v.parse::<SignMode>().map_err(anyhow::Error::msg)?;
    }
    if let Some(v) = s.signing_alg {
        app.saml.signing_alg = v.parse::<SigningAlg>().map_err(anyhow::Error::msg)?;
    }
    if let Some(v) = s.require_signed_requests {
        app.saml.require_signed_requests = v;
    }
    if let Some(v) = s.require_sha256 {
        app.saml.require_sha256 = v;
    }
    if let Some(v) = s.clock_skew {
        app.saml.clock_skew_secs = v;
    }
    if let Some(p) = &s.sp_cert {
        app.saml.sp_certificates = read_certs(p)?;
    }
    if let Some(n) = s.notes {
        app.notes = n;
    }
    Ok(())
}

fn date(secs: i64) -> String {
    Timestamp::from_unix_seconds(secs).to_xs_datetime()
}

fn master_key(ctx: &Ctx, file: Option<&Path>) -> Result<MasterKey> {
    let (k, _warning) = MasterKey::load(&ctx.data_dir, file)?;
    Ok(k)
}

async fn view(ctx: &Ctx, app: &App) -> Result<AppView> {
    let certs = certs::list(&ctx.store, &app.id).await?;
    Ok(AppView::new(&ctx.tenant, app, certs))
}

#[derive(Serialize)]
struct AppDetails {
    #[serde(flatten)]
    view: AppView,
    roles: Vec<String>,
    assignments: Vec<AssignmentView>,
}

fn show_text(v: &AppView, roles: &[String], assignments: &[AssignmentView]) -> String {
    let mut s = String::new();
    let mut line = |k: &str, val: &str| s.push_str(&format!("{k:<30}{val}\n"));
    let yn = |b: bool| if b { "yes" } else { "no" };
    line("Name", &v.name);
    line("Application id", &v.id);
    if let Some(g) = &v.gallery_id {
        line("Gallery template", g);
    }
    line("Enabled for users to sign in", yn(v.enabled));
    line("Assignment required", yn(v.assignment_required));
    line("Visible to users", yn(v.visible));
    if !v.notes.is_empty() {
        line("Notes", &v.notes);
    }
    line(
        "Single sign-on",
        &if v.saml_configured {
            "SAML configured".to_owned()
        } else {
            format!("SAML not configured: needs {}", apps::join_and(&v.missing))
        },
    );
    line("", "");
    line("Basic SAML Configuration", "");
    for i in &v.identifiers {
        let d = if i.is_default { " (default)" } else { "" };
        line("  Identifier (Entity ID)", &format!("{}{d}", i.value));
    }
    for r in &v.reply_urls {
        let d = if r.is_default { " (default)" } else { "" };
        let idx = r.index.map(|i| format!("[{i}] ")).unwrap_or_default();
        line("  Reply URL", &format!("{idx}{}{d}", r.url));
    }
    line("  Sign on URL", v.sign_on_url.as_deref().unwrap_or(""));
    line("  Relay State", v.relay_state.as_deref().unwrap_or(""));
    line("  Logout URL", v.app_logout_url.as_deref().unwrap_or(""));
    line("", "");
    line("Set up the application with", "");
    line("  Login URL", &v.login_url);
    line("  IdP Identifier", &v.idp_identifier);
    line("  Logout URL", &v.logout_url);
    line("  App Federation Metadata URL", &v.federation_metadata_url);
    line("", "");
    line("SAML Signing Certificate", "");
    for c in &v.certificates {
        line(
            if c.active { "  Active" } else { "  Inactive" },
            &format!("thumbprint {}  expires {}", c.thumbprint, date(c.not_after)),
        );
    }
    line("  Signing option", &format!("{}", v.sign_mode));
    line("  Signing algorithm", &format!("{}", v.signing_alg));
    line("  Require signed requests", yn(v.require_signed_requests));
    line("  Require SHA-256 requests", yn(v.require_sha256));
    line("  Clock skew (seconds)", &v.clock_skew_secs.to_string());
    for c in &v.sp_certificates {
        line(
            "  SP certificate",
            &format!(
                "{} ({}), expires {}",
                c.thumbprint,
                c.subject,
                date(c.not_after)
            ),
        );
    }
    line(
        "  NameID",
        &format!("{} ({})", v.nameid_source, v.nameid_format),
    );
    if !roles.is_empty() {
        line("Roles", &roles.join(", "));
    }
    for a in assignments {
        let role = if a.role.is_empty() {
            "Default Access"
        } else {
            a.role.as_str()
        };
        line(
            "Assigned",
            &format!("{} {} ({role})", a.principal_kind, a.principal_name),
        );
    }
    // Blank separators: drop the trailing padding of empty lines.
    s.lines().map(str::trim_end).collect::<Vec<_>>().join("\n") + "\n"
}

async fn principal(ctx: &Ctx, a: &AssignArgs) -> Result<(Principal, String)> {
    if let Some(upn) = &a.user {
        let u = directory::user_by_upn_required(&ctx.store, upn).await?;
        return Ok((Principal::User(u.id), format!("user {}", u.upn)));
    }
    let name = a.group.as_deref().unwrap_or_default();
    let g = directory::resolve_group(&ctx.store, name).await?;
    Ok((Principal::Group(g.id), format!("group {}", g.name)))
}

fn cert_line(c: &AppCertificate) -> String {
    format!(
        "{}\t{}\texpires {}\n",
        c.thumbprint,
        if c.active { "active" } else { "inactive" },
        date(c.not_after)
    )
}

/// Runs one subcommand of `sesame app …`: a function each.
pub(super) async fn run(ctx: &Ctx, command: AppCommand) -> Result<()> {
    let key_file = command.master_key_file.as_deref();
    match command.cmd {
        AppSub::Add(a) => add(ctx, key_file, a).await,
        AppSub::List => list(ctx).await,
        AppSub::Show(a) => show(ctx, a).await,
        AppSub::Set(a) => set(ctx, a).await,
        AppSub::Delete(a) => delete(ctx, a).await,
        AppSub::Role(a) => role(ctx, a).await,
        AppSub::Assign(a) => assign(ctx, a).await,
        AppSub::Unassign(a) => unassign(ctx, a).await,
        AppSub::LaunchUrl(a) => launch_url(ctx, a).await,
        AppSub::Cert(a) => cert(ctx, key_file, a).await,
        AppSub::Claims(a) => super::claims::run(ctx, a).await,
        AppSub::Preview(a) => super::claims::preview(ctx, key_file, a).await,
    }
}

/// `sesame app add`: add an enterprise application (custom, or from the gallery); prints
/// its id.
async fn add(ctx: &Ctx, key_file: Option<&Path>, a: AddArgs) -> Result<()> {
    let store = &ctx.store;
    // From the gallery: everything the template fixes is pre-filled; the
    // administrator's values go on top and are checked against the template.
    let template = match &a.gallery {
        Some(g) => Some(sesame::gallery::template(g.trim()).ok_or_else(|| {
            anyhow::anyhow!(
                "--gallery {g}: the gallery has no such application; `sesame gallery list` shows them"
            )
        })?),
        None => None,
    };
    if let Some(t) = template {
        sesame::apps::gallery::check_single_instance(store, t, None).await?;
    }
    let new = match template {
        Some(t) => sesame::gallery::new_app(t, &a.name),
        None => NewApp::custom(&a.name),
    };
    // Build on a scratch App so add and set share the option handling.
    let mut scratch = new.draft();
    apply_saml(&mut scratch, a.saml)?;
    apply_switches(&mut scratch, a.switches)?;
    let mk = master_key(ctx, key_file)?;
    let new = NewApp {
        name: scratch.name,
        gallery_id: scratch.gallery_id,
        enabled: scratch.enabled,
        assignment_required: scratch.assignment_required,
        visible: scratch.visible,
        notes: scratch.notes,
        saml: scratch.saml,
    };
    let app = match template {
        Some(t) => sesame::apps::gallery::add_from_gallery(store, &mk, t, new).await?,
        None => apps::create_app(store, &mk, new).await?,
    };
    audited(
        ctx,
        Change::new("app.create", "app", &app.id, &app.name).after(&app),
    )
    .await?;
    if ctx.json {
        ctx.print_json(&view(ctx, &app).await?)
    } else {
        out(&format!("{}\n", app.id))?;
        let missing = apps::missing_settings(&app);
        if !missing.is_empty() {
            // The id stays alone on stdout (scripts read it); what is still needed goes
            // to stderr.
            eprint!("{}", not_configured_note(&app, &missing));
        }
        Ok(())
    }
}

/// What `app add` says of an app added without all its values: "SAML not configured",
/// what is still needed, and the `sesame app set` options that set it.
fn not_configured_note(app: &App, missing: &[&str]) -> String {
    let options: Vec<&str> = missing.iter().map(|m| apps::cli_option(m)).collect();
    format!(
        "SAML not configured: {}\nSet them with: sesame app set {} {}\nThe Login URL, IdP Identifier, certificate and App Federation Metadata URL are ready now: `sesame app show {}` prints them.\n",
        apps::missing_sentence(app).trim_start_matches("Still needed: "),
        app.id,
        options.join(" "),
        app.id
    )
}

/// An application as `sesame app list --json` prints it: its view, and how long its active
/// signing certificate has left.
#[derive(Serialize)]
struct ListedApp {
    #[serde(flatten)]
    view: AppView,
    /// Whole days before the active signing certificate expires (0 once expired).
    certificate_expires_in_days: Option<i64>,
    /// Within 60 days of expiry: `Certificate expires in N days` or `Certificate expired`.
    certificate_expiry_warning: Option<String>,
}

/// `sesame app list`: list applications; an app whose active signing certificate expires
/// within 60 days (or has expired) ends with a column saying so.
async fn list(ctx: &Ctx) -> Result<()> {
    let store = &ctx.store;
    let list = store.list_apps().await?;
    let now = sesame::tenant::now_unix();
    let active: std::collections::HashMap<String, i64> = store
        .active_certificates()
        .await?
        .into_iter()
        .map(|c| (c.app_id, c.not_after))
        .collect();
    if ctx.json {
        let mut views = Vec::with_capacity(list.len());
        for app in &list {
            let not_after = active.get(&app.id).copied();
            views.push(ListedApp {
                view: view(ctx, app).await?,
                certificate_expires_in_days: not_after.map(|t| expiry::days_left(t, now)),
                certificate_expiry_warning: not_after.and_then(|t| expiry::mark(t, now)),
            });
        }
        return ctx.print_json(&views);
    }
    let mut s = String::new();
    for app in &list {
        let mark = active
            .get(&app.id)
            .and_then(|t| expiry::mark(*t, now))
            .map(|m| format!("\t{m}"))
            .unwrap_or_default();
        s.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}{mark}\n",
            app.id,
            app.name,
            if app.enabled { "enabled" } else { "disabled" },
            app.saml.default_identifier().unwrap_or("-"),
            if apps::is_saml_configured(app) {
                "SAML configured"
            } else {
                "SAML not configured"
            }
        ));
    }
    out(&s)
}

/// `sesame app show`: show an application: its configuration and the values to give its
/// vendor.
async fn show(ctx: &Ctx, a: AppArg) -> Result<()> {
    let store = &ctx.store;
    let app = apps::resolve_app(store, &a.app).await?;
    let v = view(ctx, &app).await?;
    let roles = store.app_roles(&app.id).await?;
    let assignments = apps::list_assignments(store, &app.id).await?;
    if ctx.json {
        return ctx.print_json(&AppDetails {
            view: v,
            roles,
            assignments,
        });
    }
    out(&show_text(&v, &roles, &assignments))
}

/// `sesame app set`: change an application (a repeated --identifier or --reply-url replaces
/// that list).
async fn set(ctx: &Ctx, a: SetArgs) -> Result<()> {
    let store = &ctx.store;
    let before = apps::resolve_app(store, &a.app).await?;
    let mut app = before.clone();
    if let Some(n) = a.name {
        app.name = n;
    }
    let capture = a
        .capture_messages
        .as_deref()
        .map(capture_secs)
        .transpose()?;
    let emails = a
        .notification_email
        .as_deref()
        .map(expiry::parse_addresses)
        .transpose()?
        .map(|l| expiry::join_addresses(&l));
    apply_saml(&mut app, a.saml)?;
    apply_switches(&mut app, a.switches)?;
    // Only what changed is saved and audited: `--capture-messages` alone changes no
    // setting and writes its own row below.
    let changed = serde_json::to_value(&app)? != serde_json::to_value(&before)?;
    let app = if changed || (capture.is_none() && emails.is_none()) {
        let app = apps::save_app(store, app).await?;
        audited(
            ctx,
            Change::new("app.update", "app", &app.id, &app.name)
                .before(&before)
                .after(&app),
        )
        .await?;
        app
    } else {
        app
    };
    if let Some(emails) = emails {
        let before_emails = store.app_notification_email(&app.id).await?;
        if before_emails != emails {
            store.set_app_notification_email(&app.id, &emails).await?;
            audited(
                ctx,
                Change::new("app.cert.update", "app", &app.id, &app.name)
                    .before(&serde_json::json!({ "notification_email": before_emails }))
                    .after(&serde_json::json!({ "notification_email": emails })),
            )
            .await?;
        }
    }
    if let Some(secs) = capture {
        let until_ms = secs.map(|s| (sesame::tenant::now_unix() + s) * 1000);
        store.capture_set(&app.id, until_ms).await?;
        let until = until_ms.map(|t| Timestamp(t).to_xs_datetime());
        audited(
            ctx,
            Change::new("app.capture_messages", "app", &app.id, &app.name)
                .after(&serde_json::json!({ "capture_messages_until": until })),
        )
        .await?;
        if !ctx.json {
            match &until {
                Some(t) => out(&format!(
                    "the sign-in log keeps the SAML messages of every sign-in of {} until {t}\n",
                    app.name
                ))?,
                None => out(&format!(
                    "message capture of {} stopped: the newest 1,000 successful sign-ins keep their messages\n",
                    app.name
                ))?,
            }
        }
    }
    if ctx.json {
        ctx.print_json(&view(ctx, &app).await?)
    } else {
        out(&format!("updated application {} ({})\n", app.name, app.id))
    }
}

/// `sesame app delete`: delete an application with its certificates, roles and assignments.
async fn delete(ctx: &Ctx, a: AppArg) -> Result<()> {
    let store = &ctx.store;
    let app = apps::resolve_app(store, &a.app).await?;
    apps::delete_app(store, &app.id).await?;
    audited(
        ctx,
        Change::new("app.delete", "app", &app.id, &app.name).before(&app),
    )
    .await?;
    if ctx.json {
        ctx.print_json(&serde_json::json!({ "id": app.id, "name": app.name }))
    } else {
        out(&format!("deleted application {} ({})\n", app.name, app.id))
    }
}

/// `sesame app role`: add, remove or list app roles: `app role APP add|remove ROLE`, `app
/// role APP list`.
async fn role(ctx: &Ctx, a: RoleArgs) -> Result<()> {
    let store = &ctx.store;
    let app = apps::resolve_app(store, &a.app).await?;
    let role = a.role.unwrap_or_default();
    let action = match a.action.as_str() {
        "add" => {
            apps::add_role(store, &app.id, &role).await?;
            Some("app.role.add")
        }
        "remove" => {
            apps::remove_role(store, &app.id, &role).await?;
            Some("app.role.remove")
        }
        _ => None,
    };
    if let Some(action) = action {
        let c = Change::new(action, "app", &app.id, &app.name);
        let v = serde_json::json!({ "role": role.trim() });
        let c = if action == "app.role.add" {
            c.after(&v)
        } else {
            c.before(&v)
        };
        audited(ctx, c).await?;
    }
    let roles = store.app_roles(&app.id).await?;
    if ctx.json {
        return ctx.print_json(&roles);
    }
    match a.action.as_str() {
        "add" => out(&format!("added role {role} to {}\n", app.name)),
        "remove" => out(&format!("removed role {role} from {}\n", app.name)),
        _ => out(&roles.iter().map(|r| format!("{r}\n")).collect::<String>()),
    }
}

/// `sesame app assign`: assign a user or a group to the application, optionally with a
/// role.
async fn assign(ctx: &Ctx, a: AssignArgs) -> Result<()> {
    let store = &ctx.store;
    let app = apps::resolve_app(store, &a.app).await?;
    let (p, what) = principal(ctx, &a).await?;
    apps::assign(store, &app.id, &p, a.role.as_deref()).await?;
    audited(
        ctx,
        Change::new("app.assign", "app", &app.id, &app.name).after(&serde_json::json!({
            "principal": what, "role": a.role.as_deref().unwrap_or("")
        })),
    )
    .await?;
    if ctx.json {
        return ctx.print_json(&apps::list_assignments(store, &app.id).await?);
    }
    out(&format!(
        "assigned {what} to {} ({})\n",
        app.name,
        a.role.as_deref().unwrap_or("Default Access")
    ))
}

/// `sesame app unassign`: remove an assignment (all of the principal's, or only --role's).
async fn unassign(ctx: &Ctx, a: AssignArgs) -> Result<()> {
    let store = &ctx.store;
    let app = apps::resolve_app(store, &a.app).await?;
    let (p, what) = principal(ctx, &a).await?;
    apps::unassign(store, &app.id, &p, a.role.as_deref()).await?;
    audited(
        ctx,
        Change::new("app.unassign", "app", &app.id, &app.name).before(&serde_json::json!({
            "principal": what, "role": a.role
        })),
    )
    .await?;
    if ctx.json {
        return ctx.print_json(&apps::list_assignments(store, &app.id).await?);
    }
    out(&format!("unassigned {what} from {}\n", app.name))
}

/// `sesame app launch-url`: print the URL a My Apps tile opens (IdP-initiated launch).
async fn launch_url(ctx: &Ctx, a: AppArg) -> Result<()> {
    let store = &ctx.store;
    let app = apps::resolve_app(store, &a.app).await?;
    let url = ctx.tenant.launch_url(&app.id);
    if ctx.json {
        return ctx.print_json(&serde_json::json!({ "id": app.id, "launch_url": url }));
    }
    out(&format!("{url}\n"))
}

async fn cert(ctx: &Ctx, key_file: Option<&Path>, a: CertArgs) -> Result<()> {
    let store = &ctx.store;
    let app = apps::resolve_app(store, &a.app).await?;
    let list = certs::list(store, &app.id).await?;
    let active = || {
        list.iter().find(|c| c.active).ok_or_else(|| {
            anyhow::anyhow!(
                "application {} has no active certificate; create one with --new and activate it",
                app.name
            )
        })
    };
    if a.pem {
        return out(&active()?.certificate.to_pem());
    }
    if a.der {
        return out_bytes(active()?.certificate.der());
    }
    if a.metadata {
        let xml = apps::federation_metadata_xml(&ctx.tenant, &app, &list);
        return out(&format!("{xml}\n"));
    }
    if a.list {
        if ctx.json {
            return ctx.print_json(&list);
        }
        return out(&list.iter().map(cert_line).collect::<String>());
    }
    let (c, msg, action) = if a.new {
        let mk = master_key(ctx, key_file)?;
        let c = certs::new_certificate(store, &mk, &app.id).await?;
        let msg = format!(
            "created certificate {} (inactive, expires {}); the metadata now publishes it: \
             activate it with `sesame app cert {} --activate {}` once the application trusts it\n",
            c.thumbprint,
            date(c.not_after),
            app.id,
            c.thumbprint
        );
        (c, msg, "app.cert.new")
    } else if let Some(t) = &a.activate {
        let c = certs::activate(store, &app.id, t).await?;
        let msg = format!(
            "certificate {} is now active for {}\n",
            c.thumbprint, app.name
        );
        (c, msg, "app.cert.activate")
    } else if let Some(t) = &a.delete {
        let t = certs::normalize_thumbprint(t)?;
        let c = list
            .iter()
            .find(|c| c.thumbprint == t)
            .cloned()
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "application {} has no certificate with thumbprint {t}",
                    app.name
                )
            })?;
        certs::delete(store, &app.id, &t).await?;
        let msg = format!("deleted certificate {t} of {}\n", app.name);
        (c, msg, "app.cert.delete")
    } else {
        bail!("give one of --pem, --der, --metadata, --new, --activate, --delete, --list");
    };
    audited(
        ctx,
        Change::new(action, "app", &app.id, &app.name).after(&c),
    )
    .await?;
    if ctx.json {
        ctx.print_json(&c)
    } else {
        out(&msg)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn capture_durations() {
        assert_eq!(capture_secs("1h").unwrap(), Some(3600));
        assert_eq!(capture_secs("30m").unwrap(), Some(1800));
        assert_eq!(capture_secs("off").unwrap(), None);
        assert_eq!(capture_secs("7d").unwrap(), Some(7 * 86_400));
        assert!(capture_secs("8d").is_err());
        assert!(capture_secs("0m").is_err());
        assert!(capture_secs("1y").is_err());
        assert!(capture_secs("").is_err());
    }
}
