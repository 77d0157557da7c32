//! (2) Attributes & Claims: the list, the Unique User Identifier (Name ID), "Add new
//! claim" / edit / delete, and group claims.

use super::frame::{app_or_404, app_page, audit, form_app, Blade};
use crate::admin::audit::Change;
use crate::apps::claims::{
    self, Claim, Expr, GroupClaims, GroupEmit, GroupScope, NameFormat, NameIdConfig, NameIdFormat,
    SourceAttribute,
};
use crate::apps::App;
use crate::web::auth::SignedIn;
use crate::web::portal::access::Admin;
use crate::web::portal::error::{app_error_text, PortalError, PortalResult};
use crate::web::portal::kit::{self, Fields};
use crate::web::portal::layout::{render, Crumb, Flash};
use crate::web::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use std::collections::HashMap;

const NAMEID_FORMATS: &[(&str, &str)] = &[
    (
        "default",
        "Default (emailAddress for user.mail / user.userprincipalname, else unspecified)",
    ),
    ("emailAddress", "Email address"),
    ("persistent", "Persistent"),
    ("unspecified", "Unspecified"),
    ("transient", "Transient"),
    (
        "windowsDomainQualifiedName",
        "Windows domain qualified name",
    ),
];

struct ClaimRow {
    name: String,
    namespace: String,
    full: String,
    source: String,
    kind: &'static str,
}

#[derive(askama::Template)]
#[template(path = "portal/apps/claims.html")]
struct ListBody<'a> {
    csrf: &'a str,
    app: &'a App,
    nameid_source: String,
    nameid_format: String,
    rows: Vec<ClaimRow>,
    groups: Option<GroupClaims>,
    expected: Vec<String>,
}

fn crumbs(app: &App, last: &str) -> Vec<Crumb> {
    let mut v = vec![Crumb::new(
        format!("/admin/apps/{}/sso/saml", app.id),
        "Set up single sign-on with SAML",
    )];
    if last != "Attributes & Claims" {
        v.push(Crumb::new(
            format!("/admin/apps/{}/sso/claims", app.id),
            "Attributes & Claims",
        ));
    }
    v.push(Crumb::new("", last));
    v
}

/// `GET /admin/apps/{id}/sso/claims`.
pub(super) async fn list(
    State(state): State<AppState>,
    Admin(si): Admin,
    kit::Flashed(flash): kit::Flashed,
    Path(id): Path<String>,
) -> PortalResult {
    let app = app_or_404(&state, &si, &id).await?;
    let store = state.store();
    let nameid = claims::nameid(store, &app.id).await.unwrap_or_default();
    let rows = claims::list_claims(store, &app.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| ClaimRow {
            full: c.full_name(),
            kind: if c.source.as_attribute().is_some() {
                "Attribute"
            } else {
                "Transformation"
            },
            source: c.source.to_string(),
            name: c.name,
            namespace: c.namespace,
        })
        .collect();
    let groups = claims::group_claims(store, &app.id).await.unwrap_or(None);
    let expected = app
        .gallery_id
        .as_deref()
        .and_then(crate::gallery::template)
        .map(|t| {
            let mut v = vec![format!(
                "Unique User Identifier: {} ({})",
                t.nameid.source, t.nameid.format
            )];
            v.extend(
                t.required_claims()
                    .map(|c| format!("{} ← {}", c.full_name(), c.source)),
            );
            v
        })
        .unwrap_or_default();
    let body = render(&ListBody {
        csrf: &si.csrf,
        app: &app,
        nameid_source: nameid.source.to_string(),
        nameid_format: nameid.format.to_string(),
        rows,
        groups,
        expected,
    });
    Ok(app_page(
        &state,
        &si,
        &app,
        Blade::Sso,
        "Attributes & Claims",
        crumbs(&app, "Attributes & Claims"),
        flash,
        &body,
        StatusCode::OK,
    ))
}

/// A source as the forms edit it: an attribute of the list, or a transformation.
fn parse_source(f: &Fields, what: &'static str) -> Result<Expr, (&'static str, String)> {
    if f.raw("source") == "transformation" {
        let t = f.raw("transformation").trim();
        if t.is_empty() {
            return Err((
                "transformation",
                format!("{what}: the transformation is empty; write one, e.g. ToLowercase(user.mail) (SESAME910004)"),
            ));
        }
        claims::parse_expression(t)
            .map_err(|e| ("transformation", format!("{what}: {e} (SESAME910004)")))
    } else {
        let a = f.raw("attribute");
        SourceAttribute::parse(a)
            .map(Expr::Attribute)
            .ok_or_else(|| {
                (
                    "attribute",
                    format!(
                    "{what}: {a:?} is not a source attribute; choose one of the list (SESAME910004)"
                ),
                )
            })
    }
}

struct SourceForm {
    is_transformation: bool,
    attribute: String,
    transformation: String,
    attributes: Vec<String>,
}

impl SourceForm {
    fn of(e: &Expr) -> SourceForm {
        SourceForm {
            is_transformation: e.as_attribute().is_none(),
            attribute: e
                .as_attribute()
                .map(|a| a.to_string())
                .unwrap_or_else(|| "user.userprincipalname".into()),
            transformation: if e.as_attribute().is_none() {
                e.to_string()
            } else {
                String::new()
            },
            attributes: SourceAttribute::all_names(),
        }
    }

    fn from_fields(f: &Fields) -> SourceForm {
        SourceForm {
            is_transformation: f.raw("source") == "transformation",
            attribute: f.raw("attribute").to_owned(),
            transformation: f.raw("transformation").to_owned(),
            attributes: SourceAttribute::all_names(),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "portal/apps/nameid.html")]
struct NameIdBody<'a> {
    csrf: &'a str,
    app: &'a App,
    src: SourceForm,
    format: String,
    formats: &'static [(&'static str, &'static str)],
    error_field: &'static str,
    error: String,
}

#[allow(clippy::too_many_arguments)]
fn nameid_page(
    state: &AppState,
    si: &SignedIn,
    app: &App,
    src: SourceForm,
    format: String,
    err: Option<(&'static str, String)>,
) -> Response {
    let status = if err.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let flash = err
        .as_ref()
        .and_then(|(_, e)| Flash::error(format!("Unique User Identifier not saved: {e}")));
    let (error_field, error) = err.unwrap_or(("", String::new()));
    let body = render(&NameIdBody {
        csrf: &si.csrf,
        app,
        src,
        format,
        formats: NAMEID_FORMATS,
        error_field,
        error,
    });
    app_page(
        state,
        si,
        app,
        Blade::Sso,
        "Manage claim: Unique User Identifier",
        crumbs(app, "Unique User Identifier"),
        flash,
        &body,
        status,
    )
}

/// `GET /admin/apps/{id}/sso/claims/nameid`.
pub(super) async fn nameid_form(
    State(state): State<AppState>,
    Admin(si): Admin,
    Path(id): Path<String>,
) -> PortalResult {
    let app = app_or_404(&state, &si, &id).await?;
    let n = claims::nameid(state.store(), &app.id)
        .await
        .unwrap_or_default();
    Ok(nameid_page(
        &state,
        &si,
        &app,
        SourceForm::of(&n.source),
        n.format.as_str().to_owned(),
        None,
    ))
}

/// `POST /admin/apps/{id}/sso/claims/nameid` (source, attribute, transformation, format).
pub(super) async fn nameid_save(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let app = form_app(&state, &si, &headers, &f, &id).await?;
    let redo = |e: (&'static str, String)| {
        nameid_page(
            &state,
            &si,
            &app,
            SourceForm::from_fields(&f),
            f.raw("format").to_owned(),
            Some(e),
        )
    };
    let source = match parse_source(&f, "Source attribute") {
        Ok(s) => s,
        Err(e) => return Ok(redo(e)),
    };
    let format = match NameIdFormat::parse(f.raw("format")) {
        Ok(x) => x,
        Err(e) => return Ok(redo(("format", format!("{e} (SESAME910004)")))),
    };
    let before = claims::nameid(state.store(), &app.id)
        .await
        .unwrap_or_default();
    let cfg = NameIdConfig { source, format };
    if let Err(e) = claims::set_nameid(state.store(), &app.id, cfg.clone()).await {
        return Ok(redo(("attribute", app_error_text(&e))));
    }
    audit(
        &state,
        &si,
        &headers,
        Change::new("app.claims.update", "app", &app.id, &app.name)
            .before(&serde_json::json!({"nameid": before}))
            .after(&serde_json::json!({"nameid": cfg})),
    )
    .await;
    Ok(kit::redirect_ok(
        &state,
        &format!("/admin/apps/{}/sso/claims", app.id),
        "Unique User Identifier saved.",
    ))
}

#[derive(askama::Template)]
#[template(path = "portal/apps/claim.html")]
struct ClaimBody<'a> {
    csrf: &'a str,
    app: &'a App,
    is_new: bool,
    orig_name: String,
    orig_namespace: String,
    name: String,
    namespace: String,
    name_format: String,
    src: SourceForm,
    error_field: &'static str,
    error: String,
}

#[allow(clippy::too_many_arguments)]
fn claim_page(
    state: &AppState,
    si: &SignedIn,
    app: &App,
    body: ClaimBody<'_>,
    status: StatusCode,
) -> Response {
    let title = if body.is_new {
        "Add new claim"
    } else {
        "Manage claim"
    };
    let flash = (!body.error.is_empty())
        .then(|| Flash::error(format!("Claim not saved: {}", body.error)))
        .flatten();
    let html = render(&body);
    app_page(
        state,
        si,
        app,
        Blade::Sso,
        title,
        crumbs(app, title),
        flash,
        &html,
        status,
    )
}

/// `GET /admin/apps/{id}/sso/claims/edit[?name=&namespace=]`: "Add new claim" or edit one.
pub(super) async fn claim_form(
    State(state): State<AppState>,
    Admin(si): Admin,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PortalResult {
    let app = app_or_404(&state, &si, &id).await?;
    let name = q.get("name").cloned().unwrap_or_default();
    let ns = q.get("namespace").cloned().unwrap_or_default();
    let existing = if name.is_empty() {
        None
    } else {
        claims::list_claims(state.store(), &app.id)
            .await
            .unwrap_or_default()
            .into_iter()
            .find(|c| c.name == name && c.namespace == ns)
    };
    let body = match &existing {
        Some(c) => ClaimBody {
            csrf: &si.csrf,
            app: &app,
            is_new: false,
            orig_name: c.name.clone(),
            orig_namespace: c.namespace.clone(),
            name: c.name.clone(),
            namespace: c.namespace.clone(),
            name_format: c.name_format.as_str().to_owned(),
            src: SourceForm::of(&c.source),
            error_field: "",
            error: String::new(),
        },
        None => ClaimBody {
            csrf: &si.csrf,
            app: &app,
            is_new: true,
            orig_name: String::new(),
            orig_namespace: String::new(),
            name: String::new(),
            namespace: String::new(),
            name_format: "unspecified".into(),
            src: SourceForm::of(&Expr::Attribute(SourceAttribute::UserPrincipalName)),
            error_field: "",
            error: String::new(),
        },
    };
    Ok(claim_page(&state, &si, &app, body, StatusCode::OK))
}

/// `POST /admin/apps/{id}/sso/claims/edit` (name, namespace, name_format, source,
/// attribute, transformation; orig_name/orig_namespace when editing).
pub(super) async fn claim_save(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let app = form_app(&state, &si, &headers, &f, &id).await?;
    let orig_name = f.raw("orig_name").to_owned();
    let orig_ns = f.raw("orig_namespace").to_owned();
    let redo = |field: &'static str, e: String| {
        claim_page(
            &state,
            &si,
            &app,
            ClaimBody {
                csrf: &si.csrf,
                app: &app,
                is_new: orig_name.is_empty(),
                orig_name: orig_name.clone(),
                orig_namespace: orig_ns.clone(),
                name: f.raw("name").to_owned(),
                namespace: f.raw("namespace").to_owned(),
                name_format: f.raw("name_format").to_owned(),
                src: SourceForm::from_fields(&f),
                error_field: field,
                error: e,
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let source = match parse_source(&f, "Source attribute") {
        Ok(s) => s,
        Err((field, e)) => return Ok(redo(field, e)),
    };
    let name_format: NameFormat = match f.raw("name_format").parse() {
        Ok(n) => n,
        Err(e) => return Ok(redo("name_format", format!("{e} (SESAME910004)"))),
    };
    let claim = Claim {
        name: f.raw("name").trim().to_owned(),
        namespace: f.raw("namespace").trim().to_owned(),
        name_format,
        source,
    };
    let before = claims::list_claims(state.store(), &app.id)
        .await
        .unwrap_or_default();
    let saved = match claims::set_claim(state.store(), &app.id, claim).await {
        Ok(c) => c,
        Err(e) => {
            let field = match &e {
                crate::apps::AppError::Invalid { field, .. } if field.contains("namespace") => {
                    "namespace"
                }
                _ => "name",
            };
            return Ok(redo(field, app_error_text(&e)));
        }
    };
    // Renamed: the claim under its old name goes.
    if !orig_name.is_empty() && (orig_name != saved.name || orig_ns != saved.namespace) {
        let _ = claims::remove_claim(state.store(), &app.id, &orig_name, &orig_ns).await;
    }
    let after = claims::list_claims(state.store(), &app.id)
        .await
        .unwrap_or_default();
    audit(
        &state,
        &si,
        &headers,
        Change::new("app.claims.update", "app", &app.id, &app.name)
            .before(&serde_json::json!({"claims": before}))
            .after(&serde_json::json!({"claims": after})),
    )
    .await;
    Ok(kit::redirect_ok(
        &state,
        &format!("/admin/apps/{}/sso/claims", app.id),
        "Claim saved.",
    ))
}

/// `POST /admin/apps/{id}/sso/claims/delete` (name, namespace).
pub(super) async fn claim_delete(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let app = form_app(&state, &si, &headers, &f, &id).await?;
    let before = claims::list_claims(state.store(), &app.id)
        .await
        .unwrap_or_default();
    if let Err(e) =
        claims::remove_claim(state.store(), &app.id, f.raw("name"), f.raw("namespace")).await
    {
        return Err(PortalError::new(
            crate::admin::errors::AdminCode::NotFound,
            e.to_string(),
        ));
    }
    let after = claims::list_claims(state.store(), &app.id)
        .await
        .unwrap_or_default();
    audit(
        &state,
        &si,
        &headers,
        Change::new("app.claims.update", "app", &app.id, &app.name)
            .before(&serde_json::json!({"claims": before}))
            .after(&serde_json::json!({"claims": after})),
    )
    .await;
    Ok(kit::redirect_ok(
        &state,
        &format!("/admin/apps/{}/sso/claims", app.id),
        "Claim deleted.",
    ))
}

#[derive(askama::Template)]
#[template(path = "portal/apps/groups.html")]
struct GroupsBody<'a> {
    csrf: &'a str,
    app: &'a App,
    enabled: bool,
    assigned_only: bool,
    by_name: bool,
    claim_name: String,
    error: String,
}

/// `GET /admin/apps/{id}/sso/claims/groups`: "Add a group claim".
pub(super) async fn groups_form(
    State(state): State<AppState>,
    Admin(si): Admin,
    Path(id): Path<String>,
) -> PortalResult {
    let app = app_or_404(&state, &si, &id).await?;
    let g = claims::group_claims(state.store(), &app.id)
        .await
        .unwrap_or(None);
    let body = render(&GroupsBody {
        csrf: &si.csrf,
        app: &app,
        enabled: g.is_some(),
        assigned_only: g
            .as_ref()
            .is_some_and(|g| g.scope == GroupScope::AssignedToApp),
        by_name: g.as_ref().is_some_and(|g| g.emit == GroupEmit::Name),
        claim_name: g
            .map(|g| g.claim_name)
            .unwrap_or_else(|| claims::GROUPS_CLAIM.to_owned()),
        error: String::new(),
    });
    Ok(app_page(
        &state,
        &si,
        &app,
        Blade::Sso,
        "Group Claims",
        crumbs(&app, "Group Claims"),
        None,
        &body,
        StatusCode::OK,
    ))
}

/// `POST /admin/apps/{id}/sso/claims/groups` (enabled, scope=all|assigned, emit=id|name, claim_name).
pub(super) async fn groups_save(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let app = form_app(&state, &si, &headers, &f, &id).await?;
    let cfg = f.checked("enabled").then(|| {
        let mut g = GroupClaims::new(
            if f.raw("scope") == "assigned" {
                GroupScope::AssignedToApp
            } else {
                GroupScope::All
            },
            if f.raw("emit") == "name" {
                GroupEmit::Name
            } else {
                GroupEmit::ObjectId
            },
        );
        let n = f.raw("claim_name").trim();
        if !n.is_empty() {
            g.claim_name = n.to_owned();
        }
        g
    });
    let before = claims::group_claims(state.store(), &app.id)
        .await
        .unwrap_or(None);
    if let Err(e) = claims::set_group_claims(state.store(), &app.id, cfg.clone()).await {
        let body = render(&GroupsBody {
            csrf: &si.csrf,
            app: &app,
            enabled: cfg.is_some(),
            assigned_only: f.raw("scope") == "assigned",
            by_name: f.raw("emit") == "name",
            claim_name: f.raw("claim_name").to_owned(),
            error: app_error_text(&e),
        });
        return Ok(app_page(
            &state,
            &si,
            &app,
            Blade::Sso,
            "Group Claims",
            crumbs(&app, "Group Claims"),
            Flash::error(format!("Group claims not saved: {}", app_error_text(&e))),
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    audit(
        &state,
        &si,
        &headers,
        Change::new("app.claims.update", "app", &app.id, &app.name)
            .before(&serde_json::json!({"group_claims": before}))
            .after(&serde_json::json!({"group_claims": cfg})),
    )
    .await;
    Ok(kit::redirect_ok(
        &state,
        &format!("/admin/apps/{}/sso/claims", app.id),
        "Group claims saved.",
    ))
}
