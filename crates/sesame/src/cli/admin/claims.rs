//! `sesame app claims APP list|set|remove|nameid|groups` (Attributes & Claims) and
//! `sesame app preview APP --user UPN` (the Assertion a user would receive, checked
//! against the app's gallery template).

use super::{audited, out, Ctx};
use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand};
use serde::Serialize;
use sesame::admin::audit::Change;
use sesame::apps::{
    self,
    claims::{self, Claim, Expr, GroupClaims, GroupEmit, GroupScope, NameFormat, NameIdFormat},
    App,
};
use sesame::directory;
use sesame::sso::cache::CacheHandle;
use sesame::tenant::MasterKey;
use std::path::Path;
use std::sync::Arc;

/// `sesame app claims APP …`
#[derive(Debug, Args)]
pub(super) struct ClaimsArgs {
    /// The application's id, or its name when no other app has it.
    #[arg(value_name = "APP")]
    app: String,
    #[command(subcommand)]
    cmd: ClaimsSub,
}

#[derive(Debug, Subcommand)]
enum ClaimsSub {
    /// List the claims (with the NameID and the group claim).
    List,
    /// Add a claim, or change the one with this name and namespace.
    Set(SetArgs),
    /// Remove a claim.
    Remove(RemoveArgs),
    /// Show or set the Unique User Identifier (NameID).
    Nameid(NameIdArgs),
    /// Group claims: all groups or those assigned to the app, as ids or names; or off.
    Groups(GroupsArgs),
}

/// `claims APP set`
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("src").required(true).args(["source", "constant", "transform"])))]
struct SetArgs {
    /// Claim name (`givenname`, `uid`, `urn:oid:0.9.2342.19200300.100.1.3`).
    #[arg(value_name = "NAME")]
    name: String,
    /// Namespace (a URI); none gives a bare name such as `uid`.
    #[arg(long, value_name = "NS", default_value = "")]
    namespace: String,
    /// SAML NameFormat of the attribute: unspecified (also called omitted: no NameFormat
    /// attribute is sent), uri (usual for urn:oid:… names) or basic.
    #[arg(long, value_name = "F", default_value = "unspecified",
          value_parser = clap::builder::PossibleValuesParser::new(["unspecified", "omitted", "uri", "basic"]))]
    name_format: String,
    /// A source attribute: user.mail, user.givenname, user.groups, user.extensionattribute1 …
    #[arg(long, value_name = "ATTR")]
    source: Option<String>,
    /// A constant value.
    #[arg(long, value_name = "VALUE")]
    constant: Option<String>,
    /// A transformation, e.g. 'ToLowercase(ExtractMailPrefix(user.mail))',
    /// 'Join(user.givenname, ".", user.surname)', 'RegexReplace(user.mail, "@.*$", "")'.
    #[arg(long, value_name = "EXPR")]
    transform: Option<String>,
}

/// `claims APP remove`
#[derive(Debug, Args)]
struct RemoveArgs {
    /// Claim name.
    #[arg(value_name = "NAME")]
    name: String,
    /// Its namespace (none: a bare name).
    #[arg(long, value_name = "NS", default_value = "")]
    namespace: String,
}

/// `claims APP nameid`
#[derive(Debug, Args)]
struct NameIdArgs {
    /// Source: an attribute (user.mail) or a transformation.
    #[arg(long, value_name = "ATTR")]
    source: Option<String>,
    /// default | emailAddress | persistent | unspecified | transient |
    /// windowsDomainQualifiedName (case-insensitive).
    #[arg(long, value_name = "FMT")]
    format: Option<String>,
}

/// `claims APP groups`
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["all", "assigned", "off"])))]
struct GroupsArgs {
    /// Every group the user belongs to (transitively).
    #[arg(long)]
    all: bool,
    /// Only the groups assigned to the application.
    #[arg(long)]
    assigned: bool,
    /// Send no group claim.
    #[arg(long, conflicts_with_all = ["as_", "name"])]
    off: bool,
    /// Write groups as object ids or names.
    #[arg(long = "as", id = "as_", value_name = "id|name", default_value = "id",
          value_parser = clap::builder::PossibleValuesParser::new(["id", "name"]))]
    as_: String,
    /// Claim name [default: http://schemas.microsoft.com/ws/2008/06/identity/claims/groups].
    #[arg(long, value_name = "CLAIM")]
    name: Option<String>,
}

/// `sesame app preview`
#[derive(Debug, Args)]
pub(super) struct PreviewArgs {
    /// The application's id, or its name when no other app has it.
    #[arg(value_name = "APP")]
    app: String,
    /// The user, by user principal name.
    #[arg(long, value_name = "UPN")]
    user: String,
}

/// A claim as `list --json` shows it.
#[derive(Debug, Serialize)]
struct ClaimView {
    name: String,
    namespace: String,
    full_name: String,
    name_format: NameFormat,
    source_kind: &'static str,
    source: String,
}

impl From<&Claim> for ClaimView {
    fn from(c: &Claim) -> Self {
        ClaimView {
            name: c.name.clone(),
            namespace: c.namespace.clone(),
            full_name: c.full_name(),
            name_format: c.name_format,
            source_kind: c.source.kind(),
            source: c.source.to_string(),
        }
    }
}

fn table(rows: &[[String; 3]]) -> String {
    let w0 = rows.iter().map(|r| r[0].chars().count()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r[1].chars().count()).max().unwrap_or(0);
    let mut s = String::new();
    for r in rows {
        s.push_str(&format!("{:<w0$}  {:<w1$}  {}\n", r[0], r[1], r[2]));
    }
    s
}

fn groups_line(g: Option<&GroupClaims>) -> String {
    match g {
        None => "off".to_owned(),
        Some(g) => format!(
            "{} as {}: {}",
            match g.scope {
                GroupScope::All => "all groups",
                GroupScope::AssignedToApp => "groups assigned to the application",
            },
            match g.emit {
                GroupEmit::ObjectId => "object ids",
                GroupEmit::Name => "names",
            },
            g.claim_name
        ),
    }
}

async fn list(ctx: &Ctx, app: &App) -> Result<()> {
    let list = claims::list_claims(&ctx.store, &app.id).await?;
    if ctx.json {
        return ctx.print_json(&list.iter().map(ClaimView::from).collect::<Vec<_>>());
    }
    let mut rows = vec![[
        "CLAIM".to_owned(),
        "NAME FORMAT".to_owned(),
        "SOURCE".to_owned(),
    ]];
    rows.extend(list.iter().map(|c| {
        [
            c.full_name(),
            c.name_format.to_string(),
            c.source.to_string(),
        ]
    }));
    let nameid = claims::nameid(&ctx.store, &app.id).await?;
    let groups = claims::group_claims(&ctx.store, &app.id).await?;
    let mut s = table(&rows);
    if list.is_empty() {
        s.push_str("(no claims)\n");
    }
    s.push_str(&format!(
        "\nNameID (Unique User Identifier): {} ({})\nGroup claim: {}\n",
        nameid.source,
        nameid.format,
        groups_line(groups.as_ref())
    ));
    out(&s)
}

/// Runs one subcommand of `sesame app claims APP …` (on the application it resolves): a function each.
pub(super) async fn run(ctx: &Ctx, a: ClaimsArgs) -> Result<()> {
    let store = &ctx.store;
    let app = apps::resolve_app(store, &a.app).await?;
    match a.cmd {
        ClaimsSub::List => list(ctx, &app).await,
        ClaimsSub::Set(s) => set(ctx, &app, s).await,
        ClaimsSub::Remove(r) => remove(ctx, &app, r).await,
        ClaimsSub::Nameid(n) => nameid(ctx, &app, n).await,
        ClaimsSub::Groups(g) => groups(ctx, &app, g).await,
    }
}

/// `sesame app claims APP set`: add a claim, or change the one with this name and
/// namespace.
async fn set(ctx: &Ctx, app: &App, s: SetArgs) -> Result<()> {
    let store = &ctx.store;
    let source = if let Some(attr) = &s.source {
        let e = claims::parse_expression(attr)?;
        if e.as_attribute().is_none() {
            bail!("--source {attr}: give a source attribute (user.mail …); use --transform for a transformation and --constant for a value");
        }
        e
    } else if let Some(v) = s.constant {
        Expr::Constant(v)
    } else {
        claims::parse_expression(s.transform.as_deref().unwrap_or_default())
            .context("--transform")?
    };
    let claim = Claim {
        name: s.name,
        namespace: s.namespace,
        name_format: s.name_format.parse()?,
        source,
    };
    let claim = claims::set_claim(store, &app.id, claim).await?;
    audited(
        ctx,
        Change::new("app.claim.set", "app", &app.id, &app.name).after(&ClaimView::from(&claim)),
    )
    .await?;
    let hint = claim.name_format_hint().map(|h| {
        format!(
            "hint: {h}; to send it: sesame app claims {} set {} --namespace '{}' --name-format uri …\n",
            app.id, claim.name, claim.namespace
        )
    });
    if ctx.json {
        if let Some(h) = &hint {
            eprint!("{h}");
        }
        return ctx.print_json(&ClaimView::from(&claim));
    }
    out(&format!(
        "claim {} of {} = {}\n{}",
        claim.full_name(),
        app.name,
        claim.source,
        hint.unwrap_or_default()
    ))
}

/// `sesame app claims APP remove`: remove a claim.
async fn remove(ctx: &Ctx, app: &App, r: RemoveArgs) -> Result<()> {
    let store = &ctx.store;
    claims::remove_claim(store, &app.id, &r.name, &r.namespace).await?;
    audited(
        ctx,
        Change::new("app.claim.remove", "app", &app.id, &app.name)
            .before(&serde_json::json!({"name": r.name, "namespace": r.namespace})),
    )
    .await?;
    if ctx.json {
        let list = claims::list_claims(store, &app.id).await?;
        return ctx.print_json(&list.iter().map(ClaimView::from).collect::<Vec<_>>());
    }
    let full = Claim::new(r.namespace.trim(), r.name.trim(), Expr::constant("")).full_name();
    out(&format!("removed claim {full} from {}\n", app.name))
}

/// `sesame app claims APP nameid`: show or set the Unique User Identifier (NameID).
async fn nameid(ctx: &Ctx, app: &App, n: NameIdArgs) -> Result<()> {
    let store = &ctx.store;
    let mut cfg = claims::nameid(store, &app.id).await?;
    if n.source.is_none() && n.format.is_none() {
        if ctx.json {
            return ctx.print_json(&cfg);
        }
        return out(&format!("{} ({})\n", cfg.source, cfg.format));
    }
    if let Some(src) = &n.source {
        cfg.source = claims::parse_expression(src).context("--source")?;
    }
    if let Some(f) = &n.format {
        cfg.format = NameIdFormat::parse(f).context("--format")?;
    }
    let before = claims::nameid(store, &app.id).await?;
    claims::set_nameid(store, &app.id, cfg.clone()).await?;
    audited(
        ctx,
        Change::new("app.nameid.update", "app", &app.id, &app.name)
            .before(&before)
            .after(&cfg),
    )
    .await?;
    if ctx.json {
        return ctx.print_json(&cfg);
    }
    out(&format!(
        "NameID of {}: {} ({})\n",
        app.name, cfg.source, cfg.format
    ))
}

/// `sesame app claims APP groups`: group claims: all groups or those assigned to the app,
/// as ids or names; or off.
async fn groups(ctx: &Ctx, app: &App, g: GroupsArgs) -> Result<()> {
    let store = &ctx.store;
    let cfg = if g.off {
        None
    } else {
        let mut gc = GroupClaims::new(
            if g.assigned {
                GroupScope::AssignedToApp
            } else {
                GroupScope::All
            },
            if g.as_ == "name" {
                GroupEmit::Name
            } else {
                GroupEmit::ObjectId
            },
        );
        if let Some(n) = g.name {
            gc.claim_name = n;
        }
        Some(gc)
    };
    let before = claims::group_claims(store, &app.id).await?;
    claims::set_group_claims(store, &app.id, cfg).await?;
    let now = claims::group_claims(store, &app.id).await?;
    audited(
        ctx,
        Change::new("app.groupclaims.update", "app", &app.id, &app.name)
            .before(&before)
            .after(&now),
    )
    .await?;
    if ctx.json {
        return ctx.print_json(&now);
    }
    out(&format!(
        "group claim of {}: {}\n",
        app.name,
        groups_line(now.as_ref())
    ))
}

// ---------------------------------------------------------------------------------------
// Preview

pub(super) async fn preview(ctx: &Ctx, key_file: Option<&Path>, a: PreviewArgs) -> Result<()> {
    let store = &ctx.store;
    let app = apps::resolve_app(store, &a.app).await?;
    let user = directory::user_by_upn_required(store, &a.user).await?;
    let (mk, _) = MasterKey::load(&ctx.data_dir, key_file)?;
    // The same configuration snapshot the server builds: claims, NameID, signing key.
    let cache = CacheHandle::load(store.clone(), Arc::new(mk))
        .await
        .map_err(|e| anyhow!("{e}"))?
        .get();
    let p = sesame::sso::preview::preview(store, &cache, &ctx.tenant, &app, &user).await?;
    for w in &p.warnings {
        eprintln!("sesame: warning: {w}");
    }
    if ctx.json {
        ctx.print_json(&p)?;
    } else {
        let doc = roxmltree::Document::parse(&p.assertion_xml)
            .map_err(|e| anyhow!("the built Assertion does not parse: {e}"))?;
        let mut s = sesame::xmlfmt::pretty(&doc);
        s.push('\n');
        match (&p.template, app.gallery_id.as_deref()) {
            (Some(t), _) => {
                s.push_str(&format!("Check against gallery template {t}:\n"));
                for l in &p.check {
                    s.push_str(&format!(
                        "  {} {}: {}\n",
                        if l.ok { "ok  " } else { "FAIL" },
                        l.what,
                        l.detail
                    ));
                }
                if p.problems == 0 {
                    s.push_str("Every claim the vendor expects is present.\n");
                }
            }
            (None, Some(g)) => s.push_str(&format!(
                "(gallery template {g} is not in this build: nothing to check against)\n"
            )),
            (None, None) => {
                s.push_str("(custom application: no gallery template to check against)\n")
            }
        }
        out(&s)?;
    }
    if p.problems > 0 {
        bail!(
            "{} expectation(s) of the gallery template not met for {} in {}",
            p.problems,
            user.upn,
            app.name
        );
    }
    Ok(())
}
