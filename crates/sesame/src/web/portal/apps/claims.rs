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
    /// `full`, escaped, with line-break opportunities after its separators.
    full_html: String,
    name_format: &'static str,
    source: String,
    kind: &'static str,
    /// For a source using `user.groups`: which groups it yields and how they are written
    /// (the group-claim settings decide, or all groups as object ids when they are off).
    groups_note: String,
    /// Why the assertion carries this row differently from what it says, when it does.
    warning: String,
}

/// The group claim as the list shows it.
struct GroupRow {
    claim: GroupClaims,
    full_html: String,
    /// The claim row that is sent under the same name instead (data saved before such
    /// duplicates were refused).
    overridden_by: Option<String>,
}

/// `s` escaped, with a `<wbr>` after every `/`, `:` and `.`, so a long claim URI breaks
/// between its parts rather than mid-word.
pub(crate) fn uri_breaks(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for ch in s.chars() {
        out.push_str(&crate::web::pages::esc(ch.encode_utf8(&mut [0; 4])));
        if matches!(ch, '/' | ':' | '.') {
            out.push_str("<wbr>");
        }
    }
    out
}

/// The rows of the claims list: exactly the attributes the assertion carries, in its
/// order (claim rows, then the group claim), and where data saved earlier makes the
/// assertion differ from a row, a warning on that row.
fn list_rows(list: Vec<Claim>, groups: Option<GroupClaims>) -> (Vec<ClaimRow>, Option<GroupRow>) {
    let group_name = groups.as_ref().map(|g| g.claim_name.clone());
    let (scope, emit) = groups
        .as_ref()
        .map_or((GroupScope::All, GroupEmit::ObjectId), |g| {
            (g.scope, g.emit)
        });
    let groups_note = format!(
        "{}, {}{}",
        match scope {
            GroupScope::All => "all groups",
            GroupScope::AssignedToApp => "groups assigned to the application",
        },
        match emit {
            GroupEmit::ObjectId => "object ids",
            GroupEmit::Name => "names",
        },
        if groups.is_some() {
            ", as Group Claims says"
        } else {
            ""
        }
    );
    let mut overridden_by = None;
    let rows = list
        .into_iter()
        .map(|c| {
            let full = c.full_name();
            let mut warning = String::new();
            if group_name.as_deref() == Some(full.as_str()) {
                overridden_by = Some(full.clone());
                warning = format!(
                    "The group claim has the same name: the assertion carries this row{}, and the group claim is not sent. Delete this row or rename the group claim.",
                    if c.source.uses(SourceAttribute::Groups) {
                        " with its groups chosen and written as Group Claims says"
                    } else {
                        ""
                    }
                );
            }
            ClaimRow {
                full_html: uri_breaks(&full),
                name_format: c.name_format.label(),
                kind: if c.source.as_attribute().is_some() {
                    "Attribute"
                } else {
                    "Transformation"
                },
                source: c.source.to_string(),
                groups_note: if c.source.uses(SourceAttribute::Groups) {
                    groups_note.clone()
                } else {
                    String::new()
                },
                name: c.name,
                namespace: c.namespace,
                full,
                warning,
            }
        })
        .collect();
    let group = groups.map(|g| GroupRow {
        full_html: uri_breaks(&g.claim_name),
        claim: g,
        overridden_by,
    });
    (rows, group)
}

#[derive(askama::Template)]
#[template(path = "portal/apps/claims.html")]
struct ListBody<'a> {
    csrf: &'a str,
    app: &'a App,
    nameid_source: String,
    nameid_format: String,
    rows: Vec<ClaimRow>,
    groups: Option<GroupRow>,
    /// The role claim, when the app defines roles and no claim row takes its name.
    role_claim: Option<String>,
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
    let list = claims::list_claims(store, &app.id)
        .await
        .unwrap_or_default();
    let role_claim = (!store
        .app_roles(&app.id)
        .await
        .unwrap_or_default()
        .is_empty()
        && !list.iter().any(|c| c.has_full_name(claims::ROLE_CLAIM)))
    .then(|| uri_breaks(claims::ROLE_CLAIM));
    let groups = claims::group_claims(store, &app.id).await.unwrap_or(None);
    let (rows, groups) = list_rows(list, groups);
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
        role_claim,
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

impl ClaimBody<'_> {
    /// Whether the form opens with the name-format hint shown: a `urn:` name without the
    /// `uri` name format.
    fn urn_hint(&self) -> bool {
        let full = claims::full_name(self.namespace.trim(), self.name.trim());
        full.get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
            && !self.name_format.trim().eq_ignore_ascii_case("uri")
    }
}

/// The name formats the claim form offers: value and label.
const NAME_FORMATS: &[(&str, &str)] = &[
    ("unspecified", "omitted (no NameFormat attribute)"),
    ("uri", "uri"),
    ("basic", "basic"),
];

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
    let written = if orig_name.is_empty() {
        claims::add_claim(state.store(), &app.id, claim).await
    } else {
        claims::edit_claim(state.store(), &app.id, &orig_name, &orig_ns, claim).await
    };
    let saved = match written {
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
    let saved_text = match saved.name_format_hint() {
        Some(h) => format!("Claim saved. {h}; edit it to change the name format if the service provider asks for it."),
        None => "Claim saved.".to_owned(),
    };
    Ok(kit::redirect_ok(
        &state,
        &format!("/admin/apps/{}/sso/claims", app.id),
        &saved_text,
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_row_named_as_the_group_claim_is_flagged() {
        // Data saved before duplicates were refused: a claim row and the group claim
        // named Group. The assertion carries the row; the list says so on both.
        let list = vec![
            Claim::new("", "Group", Expr::Attribute(SourceAttribute::Groups)),
            Claim::new("", "uid", Expr::Attribute(SourceAttribute::ObjectId)),
        ];
        let mut g = GroupClaims::new(GroupScope::All, GroupEmit::Name);
        g.claim_name = "Group".into();
        let (rows, group) = list_rows(list, Some(g));
        assert!(rows[0].warning.contains("the group claim is not sent"));
        assert!(rows[0].warning.contains("as Group Claims says"));
        assert!(rows[1].warning.is_empty());
        assert_eq!(
            rows[0].groups_note,
            "all groups, names, as Group Claims says"
        );
        assert!(rows[1].groups_note.is_empty());
        assert_eq!(
            group.unwrap().overridden_by.as_deref(),
            Some("Group"),
            "the group claim row says it is not sent"
        );
        // Without a clash, nothing is flagged.
        let (rows, group) = list_rows(
            vec![Claim::new("", "uid", Expr::constant("x"))],
            Some(GroupClaims::new(GroupScope::All, GroupEmit::ObjectId)),
        );
        assert!(rows[0].warning.is_empty() && group.unwrap().overridden_by.is_none());
    }

    #[test]
    fn uris_break_at_separators_only() {
        assert_eq!(
            uri_breaks("http://a.b/c<d"),
            "http:<wbr>/<wbr>/<wbr>a.<wbr>b/<wbr>c&lt;d"
        );
    }
}
