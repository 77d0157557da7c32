//! Portal area: Enterprise applications and the gallery (see `super`).
//!
//! All applications (`/admin/apps`), New application (`/admin/apps/new`: "Browse the
//! gallery" and "Create your own application"), the gallery's app cards
//! (`/admin/gallery/{id}`), and the application page with its blades: Overview and
//! Properties ([`props`]), Users and groups ([`users`]), Single sign-on ([`saml`],
//! [`claims`], [`certs`], [`test`]). Logos are served and sanitised by [`logo`].
//!
//! Every handler: CSRF first (POST), then the role ([`Permission::ManageApps`]), then the
//! input; it calls one domain function of `crate::apps` / `crate::gallery`, records the
//! change in the audit log, tells the SSO cache (`config_changed`), and answers 303 to
//! a page that shows a flash (POST-redirect-GET), or the form again with its errors (422).

mod certs;
mod claims;
mod logo;
mod props;
mod saml;
mod test;
mod users;

use crate::admin::audit::{self, Change};
use crate::admin::Permission;
use crate::apps::{App, AppError, NewApp};
use crate::gallery::{self, Template};
use crate::web::auth::SignedIn;
use crate::web::portal::app_error_text;
use crate::web::portal::kit;
pub(super) use crate::web::portal::kit::Fields;
use crate::web::portal::{
    check_csrf, correlation, page, page_with_status, render, require, Admin, Crumb, Flash, Section,
};
use crate::web::portal::{PortalError, PortalResult};
use crate::web::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use std::collections::HashMap;

/// The routes of this area.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/apps", get(list))
        .route("/admin/apps/new", get(new_app))
        .route(
            "/admin/apps/new/custom",
            get(custom_form).post(custom_create),
        )
        .route("/admin/gallery/{id}", get(card).post(add))
        .route("/admin/gallery/{id}/logo.svg", get(logo::gallery_logo))
        .route("/admin/apps/{id}", get(props::overview))
        .route(
            "/admin/apps/{id}/properties",
            get(props::properties).post(props::save),
        )
        .route("/admin/apps/{id}/delete", post(props::delete))
        .route(
            "/admin/apps/{id}/logo",
            get(logo::app_logo).post(logo::upload),
        )
        .route("/admin/apps/{id}/users", get(users::list))
        .route(
            "/admin/apps/{id}/users/add",
            get(users::add_form).post(users::add),
        )
        .route("/admin/apps/{id}/users/remove", post(users::remove))
        .route("/admin/apps/{id}/roles", post(users::roles))
        .route("/admin/apps/{id}/sso", get(saml::select))
        .route("/admin/apps/{id}/sso/saml", get(saml::setup))
        .route(
            "/admin/apps/{id}/sso/basic",
            get(saml::basic_form).post(saml::basic_save),
        )
        .route("/admin/apps/{id}/sso/metadata", post(saml::metadata_upload))
        .route("/admin/apps/{id}/sso/claims", get(claims::list))
        .route(
            "/admin/apps/{id}/sso/claims/nameid",
            get(claims::nameid_form).post(claims::nameid_save),
        )
        .route(
            "/admin/apps/{id}/sso/claims/edit",
            get(claims::claim_form).post(claims::claim_save),
        )
        .route(
            "/admin/apps/{id}/sso/claims/delete",
            post(claims::claim_delete),
        )
        .route(
            "/admin/apps/{id}/sso/claims/groups",
            get(claims::groups_form).post(claims::groups_save),
        )
        .route(
            "/admin/apps/{id}/sso/certs",
            get(certs::page).post(certs::save),
        )
        .route("/admin/apps/{id}/sso/certs/new", post(certs::new_cert))
        .route("/admin/apps/{id}/sso/certs/activate", post(certs::activate))
        .route("/admin/apps/{id}/sso/certs/delete", post(certs::delete))
        .route(
            "/admin/apps/{id}/sso/certs/{thumb}/{format}",
            get(certs::download),
        )
        .route("/admin/apps/{id}/sso/metadata.xml", get(certs::metadata))
        .route("/admin/apps/{id}/sso/test", get(test::page))
}

// ---------------------------------------------------------------------------------------
// Shared helpers

/// CSRF first, then the role: the checks of every POST of this area.
pub(super) fn guard(si: &SignedIn, headers: &HeaderMap, f: &Fields) -> PortalResult<()> {
    check_csrf(si, headers, f.raw(crate::web::auth::CSRF_FIELD))?;
    require(si, Permission::ManageApps)
}

/// A form POST on application `id`: the CSRF token and the role ([`guard`]), then the
/// application ([`app_or_404`]).
pub(super) async fn form_app(
    state: &AppState,
    si: &SignedIn,
    headers: &HeaderMap,
    f: &Fields,
    id: &str,
) -> PortalResult<App> {
    guard(si, headers, f)?;
    app_or_404(state, si, id).await
}

/// The application `id`, or a 404 page (after the role check).
pub(super) async fn app_or_404(state: &AppState, si: &SignedIn, id: &str) -> PortalResult<App> {
    require(si, Permission::ManageApps)?;
    match state.store().app_by_id(id).await {
        Ok(Some(a)) => Ok(a),
        Ok(None) => Err(PortalError::not_found(format!(
                "No application has the id {id}. It may have been deleted; All applications lists them."
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Records a change made by the signed-in administrator (a failure is logged).
pub(super) async fn audit(state: &AppState, si: &SignedIn, headers: &HeaderMap, change: Change) {
    let action = change.action;
    if let Err(e) = audit::record(
        state.store(),
        &si.principal.actor,
        change,
        &correlation(headers),
    )
    .await
    {
        tracing::error!("audit log: recording {action} failed: {e}");
    }
    state.config_changed().await;
}

/// A field error of a form shown again: (field key, message).
pub(super) type FieldError = Option<(&'static str, String)>;

/// The blades (left tabs) of an application page.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Blade {
    Overview,
    Properties,
    Users,
    Sso,
}

#[derive(askama::Template)]
#[template(path = "portal/apps/frame.html")]
struct Frame<'a> {
    app_id: &'a str,
    app_name: &'a str,
    blade: Blade,
    body: &'a str,
}

/// An application page: the app's header and blades around `body`.
#[allow(clippy::too_many_arguments)]
pub(super) fn app_page(
    state: &AppState,
    si: &SignedIn,
    app: &App,
    blade: Blade,
    title: &str,
    extra_crumbs: Vec<Crumb>,
    flash: Option<Flash>,
    body: &str,
    status: StatusCode,
) -> Response {
    let framed = render(&Frame {
        app_id: &app.id,
        app_name: &app.name,
        blade,
        body,
    });
    let mut crumbs = vec![
        Crumb::new("/admin/apps", "Enterprise applications"),
        Crumb::new(format!("/admin/apps/{}", app.id), app.name.clone()),
    ];
    crumbs.extend(extra_crumbs);
    if let Some(last) = crumbs.last_mut() {
        last.href.clear();
    }
    let full_title = format!("{} · {title}", app.name);
    page_with_status(
        state,
        si,
        Section::Apps,
        &full_title,
        crumbs,
        flash,
        &framed,
        status,
    )
}

/// The placeholder patterns of a gallery URL field as the page's script reads them
/// (`data-patterns`: `<UID>` written `{UID}`), JSON.
pub(super) fn patterns_json(field: Option<&gallery::UrlField>) -> String {
    let list: Vec<String> = match field {
        Some(f) => match f.fixed() {
            Some(v) => vec![v.to_owned()],
            None => f
                .patterns()
                .iter()
                .map(|p| p.as_str().replace('<', "{").replace('>', "}"))
                .collect(),
        },
        None => Vec::new(),
    };
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
}

/// Whether an app has its SAML single sign-on set up (an Identifier and a Reply URL).
pub(super) fn sso_configured(app: &App) -> bool {
    !app.saml.identifiers.is_empty() && !app.saml.reply_urls.is_empty()
}

// ---------------------------------------------------------------------------------------
// All applications

struct AppRow {
    id: String,
    name: String,
    template: String,
    enabled: bool,
    configured: bool,
    identifier: String,
    search: String,
}

#[derive(askama::Template)]
#[template(path = "portal/apps/list.html")]
struct ListBody {
    q: String,
    status: String,
    tiles: bool,
    rows: Vec<AppRow>,
    total: usize,
}

/// `GET /admin/apps?q=&status=enabled|disabled|configured|unconfigured[&view=tiles]`.
async fn list(
    State(state): State<AppState>,
    Admin(si): Admin,
    kit::Flashed(flash): kit::Flashed,
    Query(q): Query<HashMap<String, String>>,
) -> PortalResult {
    require(&si, Permission::ManageApps)?;
    let apps = state.store().list_apps().await?;
    let text = q
        .get("q")
        .map(|s| s.trim().to_lowercase())
        .unwrap_or_default();
    let status = q.get("status").cloned().unwrap_or_default();
    let total = apps.len();
    let rows = apps
        .into_iter()
        .filter(|a| {
            let hay = format!(
                "{} {} {}",
                a.name,
                a.id,
                a.gallery_id.as_deref().unwrap_or_default()
            )
            .to_lowercase();
            (text.is_empty() || hay.contains(&text))
                && match status.as_str() {
                    "enabled" => a.enabled,
                    "disabled" => !a.enabled,
                    "configured" => sso_configured(a),
                    "unconfigured" => !sso_configured(a),
                    _ => true,
                }
        })
        .map(|a| AppRow {
            search: format!("{} {}", a.name, a.gallery_id.as_deref().unwrap_or_default()),
            configured: sso_configured(&a),
            identifier: a.saml.default_identifier().unwrap_or_default().to_owned(),
            template: a
                .gallery_id
                .as_deref()
                .and_then(gallery::template)
                .map(|t| t.name.clone())
                .unwrap_or_else(|| "Custom (non-gallery)".into()),
            enabled: a.enabled,
            id: a.id,
            name: a.name,
        })
        .collect();
    let body = render(&ListBody {
        q: q.get("q").cloned().unwrap_or_default(),
        tiles: q.get("view").is_some_and(|v| v == "tiles"),
        status,
        rows,
        total,
    });
    Ok(page(
        &state,
        &si,
        Section::Apps,
        "Enterprise applications",
        vec![Crumb::new("", "Enterprise applications")],
        flash,
        &body,
    ))
}

// ---------------------------------------------------------------------------------------
// New application: the gallery

struct GalleryCard {
    id: String,
    name: String,
    publisher: String,
    categories: String,
    search: String,
    added: bool,
}

#[derive(askama::Template)]
#[template(path = "portal/apps/new.html")]
struct NewBody {
    q: String,
    category: String,
    categories: Vec<&'static str>,
    cards: Vec<GalleryCard>,
}

/// `GET /admin/apps/new?q=&category=`: "Browse the gallery" and "Create your own application".
async fn new_app(
    State(state): State<AppState>,
    Admin(si): Admin,
    Query(q): Query<HashMap<String, String>>,
) -> PortalResult {
    require(&si, Permission::ManageApps)?;
    let text = q.get("q").cloned().unwrap_or_default();
    let category = q.get("category").cloned().unwrap_or_default();
    let existing: Vec<String> = state
        .store()
        .list_apps()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter_map(|a| a.gallery_id)
        .collect();
    let cards = gallery::search(&text)
        .filter(|t| category.is_empty() || t.categories.contains(&category))
        .map(|t| GalleryCard {
            id: t.id.clone(),
            name: t.name.clone(),
            publisher: t.publisher.clone(),
            categories: t.categories.join(", "),
            search: format!("{} {} {}", t.name, t.publisher, t.categories.join(" ")),
            added: existing.contains(&t.id),
        })
        .collect();
    let body = render(&NewBody {
        q: text,
        category,
        categories: gallery::check::CATEGORIES.to_vec(),
        cards,
    });
    Ok(page(
        &state,
        &si,
        Section::Apps,
        "Browse the gallery",
        vec![
            Crumb::new("/admin/apps", "Enterprise applications"),
            Crumb::new("", "New application"),
        ],
        None,
        &body,
    ))
}

struct UrlLine {
    label: &'static str,
    value: String,
}

/// A value the card's "Add" form asks for: a required field the template does not fix.
struct CardField {
    name: &'static str,
    label: &'static str,
    value: String,
    placeholder: String,
    patterns: String,
    hint: String,
}

fn card_fields(t: &Template, f: &Fields) -> Vec<CardField> {
    let all: [(&'static str, &'static str, Option<&gallery::UrlField>); 4] = [
        (
            "identifier",
            crate::apps::config::field::IDENTIFIER,
            Some(&t.identifier),
        ),
        (
            "reply_url",
            crate::apps::config::field::REPLY_URL,
            Some(&t.reply_url),
        ),
        (
            "sign_on_url",
            crate::apps::config::field::SIGN_ON_URL,
            t.sign_on_url.as_ref(),
        ),
        (
            "logout_url",
            crate::apps::config::field::LOGOUT_URL,
            t.logout_url.as_ref(),
        ),
    ];
    all.into_iter()
        .filter_map(|(name, label, uf)| {
            let uf = uf?;
            (uf.required && uf.fixed().is_none()).then(|| CardField {
                name,
                label,
                value: f.raw(name).to_owned(),
                placeholder: uf
                    .patterns()
                    .first()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_default(),
                patterns: patterns_json(Some(uf)),
                hint: uf.describe(),
            })
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "portal/apps/card.html")]
struct CardBody<'a> {
    csrf: &'a str,
    t: &'a Template,
    name: String,
    error: String,
    existing: Option<(String, String)>,
    fields: Vec<CardField>,
    error_field: String,
    metadata: String,
    modes: String,
    urls: Vec<UrlLine>,
    required_claims: Vec<String>,
}

fn card_body(
    si: &SignedIn,
    t: &Template,
    name: &str,
    error: &str,
    existing: Option<&App>,
) -> String {
    card_body_with(si, t, name, error, existing, &Fields::default(), "")
}

fn card_body_with(
    si: &SignedIn,
    t: &Template,
    name: &str,
    error: &str,
    existing: Option<&App>,
    f: &Fields,
    error_field: &str,
) -> String {
    let mut urls = vec![
        UrlLine {
            label: "Identifier (Entity ID)",
            value: t.identifier.describe(),
        },
        UrlLine {
            label: "Reply URL (Assertion Consumer Service URL)",
            value: t.reply_url.describe(),
        },
    ];
    if let Some(f) = &t.sign_on_url {
        urls.push(UrlLine {
            label: "Sign on URL",
            value: f.describe(),
        });
    }
    if let Some(f) = &t.logout_url {
        urls.push(UrlLine {
            label: "Logout Url",
            value: f.describe(),
        });
    }
    render(&CardBody {
        csrf: &si.csrf,
        t,
        name: name.to_owned(),
        error: error.to_owned(),
        existing: existing.map(|a| (a.id.clone(), a.name.clone())),
        fields: card_fields(t, f),
        error_field: error_field.to_owned(),
        metadata: f.raw("metadata").to_owned(),
        modes: t
            .sso_modes
            .iter()
            .map(|m| m.label())
            .collect::<Vec<_>>()
            .join(", "),
        urls,
        required_claims: t
            .claims
            .iter()
            .map(|c| format!("{} ← {}", c.full_name(), c.source))
            .collect(),
    })
}

fn template_or_404(id: &str) -> PortalResult<&'static Template> {
    gallery::template(id).ok_or_else(|| {
        PortalError::not_found(format!(
            "The gallery has no application {id}; New application → Browse the gallery lists them."
        ))
    })
}

async fn single_instance_owner(state: &AppState, t: &Template) -> Option<App> {
    if !t.single_instance {
        return None;
    }
    state
        .store()
        .list_apps()
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|a| a.gallery_id.as_deref() == Some(t.id.as_str()))
}

fn card_page(
    state: &AppState,
    si: &SignedIn,
    t: &Template,
    body: &str,
    flash: Option<Flash>,
    status: StatusCode,
) -> Response {
    page_with_status(
        state,
        si,
        Section::Apps,
        &t.name,
        vec![
            Crumb::new("/admin/apps", "Enterprise applications"),
            Crumb::new("/admin/apps/new", "Browse the gallery"),
            Crumb::new("", t.name.clone()),
        ],
        flash,
        body,
        status,
    )
}

/// `GET /admin/gallery/{id}`: the app card (what it needs, its patterns) and "Add".
async fn card(
    State(state): State<AppState>,
    Admin(si): Admin,
    Path(id): Path<String>,
) -> PortalResult {
    require(&si, Permission::ManageApps)?;
    let t = template_or_404(&id)?;
    let existing = single_instance_owner(&state, t).await;
    let body = card_body(&si, t, &t.name, "", existing.as_ref());
    Ok(card_page(&state, &si, t, &body, None, StatusCode::OK))
}

/// `POST /admin/gallery/{id}` (name): "Add" from the gallery.
async fn add(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    guard(&si, &headers, &f)?;
    let t = template_or_404(&id)?;
    let name = f.raw("name").trim().to_owned();
    let refuse = |msg: String, existing: Option<&App>| {
        let body = card_body(&si, t, &name, &msg, existing);
        card_page(
            &state,
            &si,
            t,
            &body,
            Flash::error(format!("{} was not added: {msg}", t.name)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    if let Err(e) = gallery::check_single_instance(state.store(), t, None).await {
        let existing = single_instance_owner(&state, t).await;
        return Ok(refuse(app_error_text(&e), existing.as_ref()));
    }
    // Everything the template fixes is pre-filled; the Identifier and Reply URL the
    // template cannot know (an app cannot be stored without them) come from the card's
    // form and are checked against its patterns.
    let mut new = gallery::new_app(t, &name);
    let identifier = f.raw("identifier").trim();
    if t.identifier.fixed().is_none() && !identifier.is_empty() {
        new.saml.identifiers = vec![crate::apps::Identifier {
            value: identifier.to_owned(),
            is_default: true,
        }];
    }
    let reply = f.raw("reply_url").trim();
    if t.reply_url.fixed().is_none() && !reply.is_empty() {
        new.saml.reply_urls = vec![crate::apps::ReplyUrl {
            url: reply.to_owned(),
            index: None,
            is_default: true,
        }];
    }
    // "Upload metadata file" on the card (templates whose vendor exports SP metadata):
    // it fills the Identifier, Reply URL(s), Logout URL and the SP's certificate.
    let metadata = f.raw("metadata");
    if t.metadata_upload && !metadata.trim().is_empty() {
        if let Err(e) = crate::apps::apply_sp_metadata(&mut new.saml, metadata) {
            let text = format!("{e} (SESAME910008)");
            let body = card_body_with(
                &si,
                t,
                &name,
                &text,
                None,
                &f,
                crate::apps::config::field::SP_METADATA,
            );
            return Ok(card_page(
                &state,
                &si,
                t,
                &body,
                Flash::error(format!("{} was not added: {text}", t.name)),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    }
    for (name, slot) in [
        ("sign_on_url", &mut new.saml.sign_on_url),
        ("logout_url", &mut new.saml.logout_url),
    ] {
        let v = f.raw(name).trim();
        if !v.is_empty() {
            *slot = Some(v.to_owned());
        }
    }
    let app = match gallery::add_from_gallery(state.store(), state.master(), t, new).await {
        Ok(a) => a,
        Err(e) => {
            let field = match &e {
                AppError::Invalid { field, .. } => *field,
                _ => "",
            };
            let body = card_body_with(&si, t, &name, &app_error_text(&e), None, &f, field);
            return Ok(card_page(
                &state,
                &si,
                t,
                &body,
                Flash::error(format!("{} was not added: {}", t.name, app_error_text(&e))),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    audit(
        &state,
        &si,
        &headers,
        Change::new("app.create", "app", &app.id, &app.name).after(&app),
    )
    .await;
    Ok(kit::redirect_ok(
        &state,
        &format!("/admin/apps/{}", app.id),
        "Application added. Set up single sign-on next: Single sign-on → SAML.",
    ))
}

#[derive(askama::Template)]
#[template(path = "portal/apps/custom.html")]
struct CustomBody<'a> {
    csrf: &'a str,
    name: String,
    error: String,
}

fn custom_page(
    state: &AppState,
    si: &SignedIn,
    name: &str,
    error: &str,
    status: StatusCode,
) -> Response {
    let body = render(&CustomBody {
        csrf: &si.csrf,
        name: name.to_owned(),
        error: error.to_owned(),
    });
    page_with_status(
        state,
        si,
        Section::Apps,
        "Create your own application",
        vec![
            Crumb::new("/admin/apps", "Enterprise applications"),
            Crumb::new("/admin/apps/new", "New application"),
            Crumb::new("", "Create your own application"),
        ],
        None,
        &body,
        status,
    )
}

/// `GET /admin/apps/new/custom`.
async fn custom_form(State(state): State<AppState>, Admin(si): Admin) -> PortalResult {
    require(&si, Permission::ManageApps)?;
    Ok(custom_page(&state, &si, "", "", StatusCode::OK))
}

/// `POST /admin/apps/new/custom` (name): a non-gallery application.
async fn custom_create(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> PortalResult {
    guard(&si, &headers, &f)?;
    let name = f.raw("name").trim().to_owned();
    match crate::apps::create_app(state.store(), state.master(), NewApp::custom(&name)).await {
        Ok(app) => {
            audit(
                &state,
                &si,
                &headers,
                Change::new("app.create", "app", &app.id, &app.name).after(&app),
            )
            .await;
            Ok(kit::redirect_ok(
                &state,
                &format!("/admin/apps/{}", app.id),
                "Application added. Set up single sign-on next: Single sign-on → SAML.",
            ))
        }
        Err(e) => Ok(custom_page(
            &state,
            &si,
            &name,
            &app_error_text(&e),
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
    }
}
