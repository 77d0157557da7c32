//! `sesame app claims APP list|set|remove|nameid|groups` (Attributes & Claims) and
//! `sesame app preview APP --user UPN` (the Assertion a user would receive, checked
//! against the app's gallery template).

use super::{out, Ctx};
use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand};
use serde::Serialize;
use sesame::apps::{
    self,
    claims::{
        self, Claim, Expr, GroupClaims, GroupEmit, GroupScope, NameFormat, NameIdConfig,
        NameIdFormat,
    },
    App,
};
use sesame::directory;
use sesame::sso::{self, assertion, authn, cache::CacheHandle};
use sesame::tenant::MasterKey;
use sesame_saml::messages::response::Attribute;
use sesame_saml::xml::{self as sxml, Limits, NS_SAML};
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
    /// SAML NameFormat of the attribute.
    #[arg(long, value_name = "F", default_value = "unspecified",
          value_parser = clap::builder::PossibleValuesParser::new(["unspecified", "uri", "basic"]))]
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

pub(super) async fn run(ctx: &Ctx, a: ClaimsArgs) -> Result<()> {
    let store = &ctx.store;
    let app = apps::resolve_app(store, &a.app).await?;
    match a.cmd {
        ClaimsSub::List => list(ctx, &app).await,
        ClaimsSub::Set(s) => {
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
            if ctx.json {
                return ctx.print_json(&ClaimView::from(&claim));
            }
            out(&format!(
                "claim {} of {} = {}\n",
                claim.full_name(),
                app.name,
                claim.source
            ))
        }
        ClaimsSub::Remove(r) => {
            claims::remove_claim(store, &app.id, &r.name, &r.namespace).await?;
            if ctx.json {
                let list = claims::list_claims(store, &app.id).await?;
                return ctx.print_json(&list.iter().map(ClaimView::from).collect::<Vec<_>>());
            }
            let full =
                Claim::new(r.namespace.trim(), r.name.trim(), Expr::constant("")).full_name();
            out(&format!("removed claim {full} from {}\n", app.name))
        }
        ClaimsSub::Nameid(n) => {
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
            claims::set_nameid(store, &app.id, cfg.clone()).await?;
            if ctx.json {
                return ctx.print_json(&cfg);
            }
            out(&format!(
                "NameID of {}: {} ({})\n",
                app.name, cfg.source, cfg.format
            ))
        }
        ClaimsSub::Groups(g) => {
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
            claims::set_group_claims(store, &app.id, cfg).await?;
            let now = claims::group_claims(store, &app.id).await?;
            if ctx.json {
                return ctx.print_json(&now);
            }
            out(&format!(
                "group claim of {}: {}\n",
                app.name,
                groups_line(now.as_ref())
            ))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Preview

/// One line of the gallery check.
#[derive(Debug, Serialize)]
struct CheckLine {
    ok: bool,
    what: String,
    detail: String,
}

#[derive(Debug, Serialize)]
struct PreviewJson<'a> {
    app_id: &'a str,
    user: &'a str,
    name_id: &'a str,
    name_id_format: &'a str,
    attributes: Vec<AttributeJson<'a>>,
    assertion_xml: &'a str,
    gallery_id: Option<&'a str>,
    check: &'a [CheckLine],
    problems: usize,
}

#[derive(Debug, Serialize)]
struct AttributeJson<'a> {
    name: &'a str,
    name_format: Option<&'a str>,
    values: &'a [String],
}

/// What the gallery template of the app expects, in the claims engine's terms.
struct Expected {
    template: String,
    claims: Vec<(Claim, String)>,
    nameid: Option<NameIdConfig>,
}

/// The gallery's expectations for `gallery_id` (`None`: no such template).
fn gallery_expectations(gallery_id: &str) -> Result<Option<Expected>> {
    let Some(t) = sesame::gallery::template(gallery_id) else {
        return Ok(None);
    };
    let mut claims_out = Vec::new();
    for c in t.required_claims() {
        let claim = Claim {
            name: c.name.clone(),
            namespace: c.namespace.clone(),
            name_format: c.name_format.parse().unwrap_or_default(),
            source: claims::parse_expression(&c.source)
                .map_err(|e| anyhow!("gallery template {}: claim {}: {e}", t.id, c.name))?,
        };
        claims_out.push((claim, c.full_name()));
    }
    let nameid = Some(NameIdConfig {
        source: claims::parse_expression(&t.nameid.source)
            .map_err(|e| anyhow!("gallery template {}: NameID source: {e}", t.id))?,
        format: NameIdFormat::parse(&t.nameid.format).unwrap_or(NameIdFormat::Default),
    });
    Ok(Some(Expected {
        template: format!("{} ({})", t.id, t.name),
        claims: claims_out,
        nameid,
    }))
}

/// Checks what the assertion carries against the template's expectations.
fn check(
    exp: &Expected,
    configured: &NameIdConfig,
    name_id: &str,
    attrs: &[Attribute],
) -> Vec<CheckLine> {
    let mut lines = Vec::new();
    if let Some(n) = &exp.nameid {
        let ok = n.source == configured.source && !name_id.is_empty();
        lines.push(CheckLine {
            ok,
            what: format!("NameID from {}", n.source),
            detail: if n.source != configured.source {
                format!(
                    "the application sends the NameID from {}; the vendor expects {} (fix: sesame app claims APP nameid --source {})",
                    configured.source, n.source, n.source
                )
            } else if name_id.is_empty() {
                "the NameID would be empty".to_owned()
            } else {
                name_id.to_owned()
            },
        });
        if n.format != NameIdFormat::Default && n.format != configured.format {
            lines.push(CheckLine {
                ok: true,
                what: format!("NameID format {}", n.format),
                detail: format!(
                    "note: the application sends {}; the vendor's document uses {}",
                    configured.format, n.format
                ),
            });
        }
    }
    for (c, full) in &exp.claims {
        let found = attrs.iter().find(|a| a.name == *full);
        let (ok, detail) = match found {
            None => (
                false,
                format!(
                    "missing: the user has no value for it, or the application has no such claim (expected source {})",
                    c.source
                ),
            ),
            Some(a) if a.values.iter().all(String::is_empty) => (false, "empty".to_owned()),
            Some(a) => {
                let want = c.name_format.uri();
                let got = a.name_format.as_deref();
                let fmt_ok = match want {
                    None => got.is_none_or(|g| g.ends_with(":unspecified")),
                    Some(w) => got == Some(w),
                };
                if fmt_ok {
                    (true, a.values.join(", "))
                } else {
                    (
                        false,
                        format!(
                            "NameFormat is {}, the vendor expects {}",
                            got.unwrap_or("unspecified"),
                            c.name_format
                        ),
                    )
                }
            }
        };
        lines.push(CheckLine {
            ok,
            what: format!("claim {full}"),
            detail,
        });
    }
    lines
}

/// The Assertion element of a Response, as its exact bytes (it declares its own
/// namespaces, so it stands alone).
fn assertion_of(response_xml: &str) -> Result<String> {
    let doc = sxml::parse(response_xml, &Limits::MESSAGE)
        .map_err(|e| anyhow!("the built Response does not parse: {e}"))?;
    let a = sxml::child(doc.root_element(), NS_SAML, "Assertion")
        .ok_or_else(|| anyhow!("the built Response has no Assertion"))?;
    Ok(response_xml[a.range()].to_owned())
}

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
    let sso_app = cache
        .by_id(&app.id)
        .cloned()
        .ok_or_else(|| anyhow!("application {} is not in the configuration", app.id))?;
    let mut warnings: Vec<String> = Vec::new();
    let v = match authn::idp_initiated(&sso_app) {
        Ok(v) => v,
        Err(e) => {
            warnings.push(format!("IdP-initiated sign-in would fail: {e}"));
            authn::Validated {
                app_id: app.id.clone(),
                audience: sso_app
                    .default_identifier()
                    .unwrap_or("(no Identifier)")
                    .to_owned(),
                acs_url: sso_app
                    .default_reply_url()
                    .unwrap_or("(no Reply URL)")
                    .to_owned(),
                request_id: None,
                relay_state: None,
                force_authn: false,
                is_passive: false,
                name_id_format: sso_app.nameid_format.clone(),
                authn_class: sesame_saml::messages::AC_PASSWORD_PROTECTED_TRANSPORT.to_owned(),
            }
        }
    };
    let mut roles = None;
    if !user.enabled {
        warnings.push(format!(
            "{} is disabled: sign-in would be refused",
            user.upn
        ));
    }
    match apps::user_assignment(store, &app.id, &user.id).await? {
        Some(r) => roles = Some(r),
        None if sso_app.assignment_required => warnings.push(format!(
            "{} is not assigned to {}: sign-in would be refused (sesame app assign {} --user {})",
            user.upn, app.name, app.id, user.upn
        )),
        None => {}
    }
    let data = claims::load_user_data(store, &app.id, &sso_app.claims, &user.id, roles).await?;
    let ctx_claims = assertion::claim_context(&sso_app, &user, &data, &ctx.tenant.public_url);
    let now = sso::now();
    let session_index = sso::random_id();
    // Built by the SSO function itself; signed with the app's key as SSO signs it.
    let (xml, name_id, attrs) = match &sso_app.signer {
        Some(_) => {
            let issued = assertion::success(
                now,
                &cache.idp_issuer,
                &sso_app,
                &v,
                &ctx_claims,
                now,
                &session_index,
            )
            .map_err(|e| anyhow!("{e}"))?;
            let attrs = assertion::claims_for(&sso_app, &ctx_claims);
            (issued.xml, issued.name_id, attrs)
        }
        None => {
            warnings.push("the application has no active signing certificate: shown unsigned, and sign-in would fail".into());
            let (p, name_id) = assertion::response_params(
                now,
                &cache.idp_issuer,
                &sso_app,
                &v,
                &ctx_claims,
                now,
                &session_index,
            );
            let attrs = p
                .assertion
                .as_ref()
                .map(|a| a.attributes.clone())
                .unwrap_or_default();
            let xml = sesame_saml::messages::build_response(&p, None)
                .map_err(|e| anyhow!("building the response: {e}"))?;
            (xml, name_id, attrs)
        }
    };
    let assertion_xml = assertion_of(&xml)?;
    let expected = match app.gallery_id.as_deref() {
        Some(g) => gallery_expectations(g)?,
        None => None,
    };
    let lines = expected
        .as_ref()
        .map(|e| check(e, &sso_app.claims.nameid, &name_id, &attrs))
        .unwrap_or_default();
    let problems = lines.iter().filter(|l| !l.ok).count();
    for w in &warnings {
        eprintln!("sesame: warning: {w}");
    }
    if ctx.json {
        ctx.print_json(&PreviewJson {
            app_id: &app.id,
            user: &user.upn,
            name_id: &name_id,
            name_id_format: &v.name_id_format,
            attributes: attrs
                .iter()
                .map(|a| AttributeJson {
                    name: &a.name,
                    name_format: a.name_format.as_deref(),
                    values: &a.values,
                })
                .collect(),
            assertion_xml: &assertion_xml,
            gallery_id: app.gallery_id.as_deref(),
            check: &lines,
            problems,
        })?;
    } else {
        let doc = roxmltree::Document::parse(&assertion_xml)
            .map_err(|e| anyhow!("the built Assertion does not parse: {e}"))?;
        let mut s = super::super::pretty::pretty(&doc);
        s.push('\n');
        match (&expected, app.gallery_id.as_deref()) {
            (Some(e), _) => {
                s.push_str(&format!("Check against gallery template {}:\n", e.template));
                for l in &lines {
                    s.push_str(&format!(
                        "  {} {}: {}\n",
                        if l.ok { "ok  " } else { "FAIL" },
                        l.what,
                        l.detail
                    ));
                }
                if problems == 0 {
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
    if problems > 0 {
        bail!(
            "{problems} expectation(s) of the gallery template not met for {} in {}",
            user.upn,
            app.name
        );
    }
    Ok(())
}
