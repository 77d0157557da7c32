//! (5) Test single sign-on: "Test this application" — sign in as yourself (the launch
//! URL: SP-initiated through the Sign on URL when it has one, else IdP-initiated to the
//! default Reply URL), or preview the token a chosen user would receive: the Assertion,
//! pretty-printed, and the check against what the gallery template's vendor expects.
//! The same steps as `sesame app preview`, on the server's own configuration snapshot.

use super::{app_or_404, app_page, Blade};
use crate::apps::claims::{self, Claim, NameIdConfig, NameIdFormat};
use crate::apps::App;
use crate::sso::{self, assertion, authn};
use crate::web::portal::{render, Admin, Crumb};
use crate::web::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use sesame_saml::messages::response::Attribute;
use sesame_saml::xml::{self as sxml, Limits, NS_SAML};
use std::collections::HashMap;

/// One line of the vendor-requirements check.
pub(super) struct CheckLine {
    ok: bool,
    what: String,
    detail: String,
}

struct AttrLine {
    name: String,
    values: String,
}

/// The preview of one user's token.
struct Preview {
    upn: String,
    name_id: String,
    name_id_format: String,
    attributes: Vec<AttrLine>,
    xml: String,
    warnings: Vec<String>,
    checks: Vec<CheckLine>,
    checked_against: String,
    problems: usize,
}

#[derive(askama::Template)]
#[template(path = "portal/apps/test.html")]
struct TestBody<'a> {
    app: &'a App,
    launch_url: String,
    sp_initiated: bool,
    self_warning: String,
    user: String,
    users: Vec<(String, String)>,
    preview: Option<Preview>,
    error: String,
}

struct Expected {
    template: String,
    claims: Vec<(Claim, String)>,
    nameid: NameIdConfig,
}

fn expectations(gallery_id: &str) -> Option<Expected> {
    let t = crate::gallery::template(gallery_id)?;
    let mut out = Vec::new();
    for c in t.required_claims() {
        let Ok(source) = claims::parse_expression(&c.source) else {
            continue;
        };
        out.push((
            Claim {
                name: c.name.clone(),
                namespace: c.namespace.clone(),
                name_format: c.name_format.parse().unwrap_or_default(),
                source,
            },
            c.full_name(),
        ));
    }
    let source = claims::parse_expression(&t.nameid.source).ok()?;
    Some(Expected {
        template: format!("{} ({})", t.name, t.id),
        claims: out,
        nameid: NameIdConfig {
            source,
            format: NameIdFormat::parse(&t.nameid.format).unwrap_or(NameIdFormat::Default),
        },
    })
}

fn check(
    exp: &Expected,
    configured: &NameIdConfig,
    name_id: &str,
    attrs: &[Attribute],
) -> Vec<CheckLine> {
    let mut lines = Vec::new();
    let n = &exp.nameid;
    lines.push(CheckLine {
        ok: n.source == configured.source && !name_id.is_empty(),
        what: format!("Unique User Identifier (Name ID) from {}", n.source),
        detail: if n.source != configured.source {
            format!(
                "the application sends the Name ID from {}; the vendor expects {} (fix: Attributes & Claims → Unique User Identifier → Source attribute {})",
                configured.source, n.source, n.source
            )
        } else if name_id.is_empty() {
            "the Name ID would be empty: the user has no value for it".to_owned()
        } else {
            name_id.to_owned()
        },
    });
    for (c, full) in &exp.claims {
        let found = attrs.iter().find(|a| a.name == *full);
        let (ok, detail) = match found {
            None => (
                false,
                format!("missing: the user has no value for it, or the application has no such claim (expected source {}; fix: Attributes & Claims → Add new claim)", c.source),
            ),
            Some(a) if a.values.iter().all(String::is_empty) => (false, "empty".to_owned()),
            Some(a) => {
                let got = a.name_format.as_deref();
                let fmt_ok = match c.name_format.uri() {
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

fn assertion_of(response_xml: &str) -> Result<String, String> {
    let doc = sxml::parse(response_xml, &Limits::MESSAGE)
        .map_err(|e| format!("the built Response does not parse: {e}"))?;
    let a = sxml::child(doc.root_element(), NS_SAML, "Assertion")
        .ok_or("the built Response has no Assertion")?;
    Ok(response_xml[a.range()].to_owned())
}

/// The token `upn` would receive from `app` now (not sent anywhere).
async fn preview(state: &AppState, app: &App, upn: &str) -> Result<Preview, String> {
    let store = state.store();
    let user = store
        .user_by_upn(upn.trim())
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| {
            format!("no user has the user name {upn:?}; choose one of the list (SESAME910005)")
        })?;
    let cache = state.cache().get();
    let sso_app = cache.by_id(&app.id).cloned().ok_or(
        "the application is not in the server's configuration yet; reload the page in a second",
    )?;
    let mut warnings = Vec::new();
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
    if !user.enabled {
        warnings.push(format!(
            "{} is disabled: sign-in would be refused",
            user.upn
        ));
    }
    let roles = match crate::apps::user_assignment(store, &app.id, &user.id)
        .await
        .map_err(|e| e.to_string())?
    {
        Some(r) => Some(r),
        None => {
            if sso_app.assignment_required {
                warnings.push(format!(
                    "{} is not assigned to {}: sign-in would be refused (Users and groups → Add user/group)",
                    user.upn, app.name
                ));
            }
            None
        }
    };
    let data = claims::load_user_data(store, &app.id, &sso_app.claims, &user.id, roles)
        .await
        .map_err(|e| e.to_string())?;
    let public_url = cache
        .tenant
        .as_ref()
        .map(|t| t.public_url.clone())
        .unwrap_or_default();
    let ctx = assertion::claim_context(&sso_app, &user, &data, &public_url);
    let now = sso::now();
    let session_index = sso::random_id();
    let (xml, name_id, attrs) = match &sso_app.signer {
        Some(_) => {
            let issued = assertion::success(
                now,
                &cache.idp_issuer,
                &sso_app,
                &v,
                &ctx,
                now,
                &session_index,
            )
            .map_err(|e| e.to_string())?;
            (
                issued.xml,
                issued.name_id,
                assertion::claims_for(&sso_app, &ctx),
            )
        }
        None => {
            warnings.push("the application has no active signing certificate: shown unsigned, and sign-in would fail".into());
            let (p, name_id) = assertion::response_params(
                now,
                &cache.idp_issuer,
                &sso_app,
                &v,
                &ctx,
                now,
                &session_index,
            );
            let attrs = p
                .assertion
                .as_ref()
                .map(|a| a.attributes.clone())
                .unwrap_or_default();
            let xml = sesame_saml::messages::build_response(&p, None)
                .map_err(|e| format!("building the response: {e}"))?;
            (xml, name_id, attrs)
        }
    };
    let assertion_xml = assertion_of(&xml)?;
    let pretty = roxmltree::Document::parse(&assertion_xml)
        .map(|d| super::pretty::pretty(&d))
        .unwrap_or(assertion_xml);
    let (checks, checked_against) = match app.gallery_id.as_deref().and_then(expectations) {
        Some(e) => (
            check(&e, &sso_app.claims.nameid, &name_id, &attrs),
            e.template,
        ),
        None => (Vec::new(), String::new()),
    };
    Ok(Preview {
        upn: user.upn.clone(),
        name_id,
        name_id_format: v.name_id_format.clone(),
        attributes: attrs
            .iter()
            .map(|a| AttrLine {
                name: a.name.clone(),
                values: a.values.join(", "),
            })
            .collect(),
        xml: pretty,
        warnings,
        problems: checks.iter().filter(|c| !c.ok).count(),
        checks,
        checked_against,
    })
}

/// `GET /admin/apps/{id}/sso/test[?user=UPN]`.
pub(super) async fn page(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let app = match app_or_404(&state, &si, &headers, &id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let store = state.store();
    let user = q.get("user").cloned().unwrap_or_default();
    let (preview, error) = if user.trim().is_empty() {
        (None, String::new())
    } else {
        match preview(&state, &app, &user).await {
            Ok(p) => (Some(p), String::new()),
            Err(e) => (None, e),
        }
    };
    let launch_url = state
        .cache()
        .get()
        .tenant
        .as_ref()
        .map(|t| t.launch_url(&app.id))
        .unwrap_or_default();
    let assigned = crate::apps::user_assignment(store, &app.id, &si.user.id)
        .await
        .ok()
        .flatten()
        .is_some();
    let self_warning = if !app.enabled {
        format!(
            "{} is not enabled for users to sign in (Properties): the test will be refused.",
            app.name
        )
    } else if app.assignment_required && !assigned {
        format!(
            "You ({}) are not assigned to {}, and assignment is required: assign yourself in Users and groups first, or the sign-in is refused.",
            si.user.upn, app.name
        )
    } else {
        String::new()
    };
    let users = store
        .list_users(None)
        .await
        .unwrap_or_default()
        .into_iter()
        .take(500)
        .map(|u| {
            (
                u.upn.clone(),
                if u.display_name.is_empty() {
                    u.upn
                } else {
                    u.display_name
                },
            )
        })
        .collect();
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = render(&TestBody {
        sp_initiated: app.saml.sign_on_url.is_some(),
        app: &app,
        launch_url,
        self_warning,
        user,
        users,
        preview,
        error,
    });
    app_page(
        &state,
        &si,
        &app,
        Blade::Sso,
        "Test single sign-on",
        vec![
            Crumb::new(
                format!("/admin/apps/{}/sso/saml", app.id),
                "Set up single sign-on with SAML",
            ),
            Crumb::new("", "Test single sign-on"),
        ],
        None,
        &body,
        status,
    )
}
