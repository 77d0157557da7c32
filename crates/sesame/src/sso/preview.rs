//! "Test single sign-on" → preview: the Assertion a user would receive from an
//! application, built and signed by the SSO code itself from the configuration snapshot,
//! and checked against the gallery template's vendor requirements; with how the user is
//! assigned and whether the application's requests can pass the signature check. Used
//! by `sesame app preview`, `GET /api/v1/apps/{app}/preview` and the portal's Test page.
//! The preview is of a password sign-in (what `user.authenticationmethods` then sends).

use super::cache::AppCache;
use super::{assertion, authn};
use crate::apps::claims::{self, Claim, NameIdConfig, NameIdFormat};
use crate::apps::{App, AppError};
use crate::directory::User;
use crate::store::Store;
use crate::tenant::Tenant;
use serde::Serialize;
use sesame_saml::messages::response::Attribute;
use sesame_saml::xml::{self as sxml, Limits, NS_SAML};
use utoipa::ToSchema;

/// Errors of a preview.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// The app, the user or the store.
    #[error(transparent)]
    App(#[from] AppError),
    /// The application is not in the configuration snapshot yet.
    #[error("application {0} is not in the configuration yet; try again in a second")]
    NotLoaded(String),
    /// Building the Response failed (a bug, or a gallery template that does not parse).
    #[error("{0}")]
    Build(String),
}

impl From<crate::store::StoreError> for PreviewError {
    fn from(e: crate::store::StoreError) -> Self {
        PreviewError::App(e.into())
    }
}

/// One line of the check against the gallery template.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckLine {
    /// Whether the vendor's requirement is met.
    pub ok: bool,
    /// What is checked (`claim …`, `NameID from …`).
    pub what: String,
    /// The value sent, or what is wrong and how to fix it.
    pub detail: String,
}

/// One attribute of the Assertion.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewAttribute {
    /// Name.
    pub name: String,
    /// NameFormat URI, when sent.
    pub name_format: Option<String>,
    /// Values.
    pub values: Vec<String>,
}

/// The preview of a user's token for an application.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preview {
    /// Application id.
    pub app_id: String,
    /// The user's user name.
    pub user: String,
    /// The NameID sent.
    pub name_id: String,
    /// Its format.
    pub name_id_format: String,
    /// The attributes sent.
    pub attributes: Vec<PreviewAttribute>,
    /// The Assertion, as signed.
    pub assertion_xml: String,
    /// The gallery template, null for a custom application.
    pub gallery_id: Option<String>,
    /// The gallery template, `id (name)`, when it is in this build.
    pub template: Option<String>,
    /// The check against the template's vendor requirements.
    pub check: Vec<CheckLine>,
    /// How many requirements are not met.
    pub problems: usize,
    /// Why a real sign-in would fail or differ (disabled user, not assigned, no active
    /// certificate …).
    pub warnings: Vec<String>,
    /// How the user is assigned: "assigned directly", "assigned through group Sales",
    /// "not assigned (assignment not required)".
    pub assignment: String,
    /// Signed AuthnRequests: required, with how many certificates, or not; failed when
    /// required without a certificate to check them.
    pub request_signing: CheckLine,
}

/// What the gallery template of the app expects, in the claims engine's terms.
struct Expected {
    template: String,
    claims: Vec<(Claim, String)>,
    nameid: Option<NameIdConfig>,
}

fn gallery_expectations(gallery_id: &str) -> Result<Option<Expected>, PreviewError> {
    let Some(t) = crate::gallery::template(gallery_id) else {
        return Ok(None);
    };
    let mut claims_out = Vec::new();
    for c in t.required_claims() {
        let claim = Claim {
            name: c.name.clone(),
            namespace: c.namespace.clone(),
            name_format: c.name_format.parse().unwrap_or_default(),
            source: claims::parse_expression(&c.source).map_err(|e| {
                PreviewError::Build(format!("gallery template {}: claim {}: {e}", t.id, c.name))
            })?,
        };
        claims_out.push((claim, c.full_name()));
    }
    let nameid = Some(NameIdConfig {
        source: claims::parse_expression(&t.nameid.source).map_err(|e| {
            PreviewError::Build(format!("gallery template {}: NameID source: {e}", t.id))
        })?,
        format: NameIdFormat::parse(&t.nameid.format).unwrap_or(NameIdFormat::Default),
    });
    Ok(Some(Expected {
        template: format!("{} ({})", t.id, t.name),
        claims: claims_out,
        nameid,
    }))
}

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

/// The Assertion element of a Response, as its exact bytes.
fn assertion_of(response_xml: &str) -> Result<String, PreviewError> {
    let doc = sxml::parse(response_xml, &Limits::MESSAGE)
        .map_err(|e| PreviewError::Build(format!("the built Response does not parse: {e}")))?;
    let a = sxml::child(doc.root_element(), NS_SAML, "Assertion")
        .ok_or_else(|| PreviewError::Build("the built Response has no Assertion".into()))?;
    Ok(response_xml[a.range()].to_owned())
}

/// The preview of `user`'s token for `app`, from the configuration snapshot `cache`.
pub async fn preview(
    store: &Store,
    cache: &AppCache,
    tenant: &Tenant,
    app: &App,
    user: &User,
) -> Result<Preview, PreviewError> {
    let sso_app = cache
        .by_id(&app.id)
        .cloned()
        .ok_or_else(|| PreviewError::NotLoaded(app.id.clone()))?;
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
                requested_classes: Vec::new(),
                comparison: String::new(),
            }
        }
    };
    let mut roles = None;
    let signing = app.saml.request_signing();
    if !signing.ok() {
        warnings.push(format!("signed AuthnRequests are {}", signing.summary()));
    }
    let request_signing = CheckLine {
        ok: signing.ok(),
        what: "Signed AuthnRequests".to_owned(),
        detail: signing.summary(),
    };
    let assignment = crate::apps::assigned_through(store, &app.id, &user.id)
        .await?
        .describe(sso_app.assignment_required);
    if !user.enabled {
        warnings.push(format!(
            "{} is disabled: sign-in would be refused",
            user.upn
        ));
    }
    match crate::apps::user_assignment(store, &app.id, &user.id).await? {
        Some(r) => roles = Some(r),
        None if sso_app.assignment_required => warnings.push(format!(
            "{} is not assigned to {}: sign-in would be refused (sesame app assign {} --user {})",
            user.upn, app.name, app.id, user.upn
        )),
        None => {}
    }
    let data = claims::load_user_data(store, &app.id, &sso_app.claims, &user.id, roles).await?;
    let now = super::now();
    // The preview is of a password sign-in: `user.authenticationmethods` shows password.
    let methods = format!("pwd@{}", now.unix_seconds());
    let ctx_claims = assertion::claim_context(&sso_app, user, &data, &tenant.public_url, &methods);
    let session_index = crate::ids::random_id();
    if sso_app.signer.is_none() {
        warnings.push("the application has no active signing certificate: shown unsigned, and sign-in would fail".into());
    }
    // The same Response a sign-in sends (`assertion::success`), signed when it can be.
    let (p, name_id) = assertion::response_params(
        now,
        &cache.idp_issuer,
        &sso_app,
        &v,
        &ctx_claims,
        now,
        &session_index,
    );
    let xml = assertion::sign(&p, sso_app.signer.as_deref())
        .map_err(|e| PreviewError::Build(e.to_string()))?;
    let attrs = p.assertion.map(|a| a.attributes).unwrap_or_default();
    let assertion_xml = assertion_of(&xml)?;
    let expected = match app.gallery_id.as_deref() {
        Some(g) => gallery_expectations(g)?,
        None => None,
    };
    let check = expected
        .as_ref()
        .map(|e| check(e, &sso_app.claims.nameid, &name_id, &attrs))
        .unwrap_or_default();
    let problems = check.iter().filter(|l| !l.ok).count();
    Ok(Preview {
        app_id: app.id.clone(),
        user: user.upn.clone(),
        name_id,
        name_id_format: v.name_id_format.clone(),
        attributes: attrs
            .iter()
            .map(|a| PreviewAttribute {
                name: a.name.clone(),
                name_format: a.name_format.clone(),
                values: a.values.clone(),
            })
            .collect(),
        assertion_xml,
        gallery_id: app.gallery_id.clone(),
        template: expected.map(|e| e.template),
        check,
        problems,
        warnings,
        assignment,
        request_signing,
    })
}
