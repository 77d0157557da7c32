//! New application: "Browse the gallery" (`/admin/apps/new`), the gallery's app cards
//! (`/admin/gallery/{id}`: what the application needs, its URL patterns) and "Add".

use super::frame::{audit, guard, patterns_json};
use crate::admin::audit::Change;
use crate::admin::Permission;
use crate::apps::gallery as apps_gallery;
use crate::apps::{App, AppError};
use crate::gallery::{self, Template};
use crate::web::auth::SignedIn;
use crate::web::portal::access::{require, Admin};
use crate::web::portal::error::{app_error_text, PortalError, PortalResult};
use crate::web::portal::kit::{self, Fields};
use crate::web::portal::layout::{page, page_with_status, render, Crumb, Flash, Section};
use crate::web::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use std::collections::HashMap;

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
pub(super) async fn new_app(
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

/// A value the card's "Add" form offers (optional: the app can be added by its name and
/// stays "SAML not configured" until it has them): a required field the template does
/// not fix.
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
                // The vendor's hint is shown once, under the card's table.
                hint: uf.value_text(),
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
    /// The vendor's hints, each once.
    hints: Vec<String>,
    /// What the app still needs after "Add" by its name alone (empty: ready).
    missing_after_add: String,
    required_claims: Vec<String>,
    steps: Vec<super::steps::Step>,
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
    let mut shown: Vec<(&'static str, &gallery::UrlField)> = vec![
        ("Identifier (Entity ID)", &t.identifier),
        ("Reply URL (Assertion Consumer Service URL)", &t.reply_url),
    ];
    if let Some(f) = &t.sign_on_url {
        shown.push(("Sign on URL", f));
    }
    if let Some(f) = &t.logout_url {
        shown.push(("Logout Url", f));
    }
    let urls = shown
        .iter()
        .map(|(label, f)| UrlLine {
            label,
            value: f.value_text(),
        })
        .collect();
    let mut hints: Vec<String> = Vec::new();
    for (_, f) in &shown {
        if let Some(h) = f.hint.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
            if !hints.iter().any(|o| o == h) {
                hints.push(h.to_owned());
            }
        }
    }
    let draft = gallery::new_app(t, name).draft();
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
        steps: super::steps::steps(&t.instructions),
        hints,
        missing_after_add: crate::apps::missing_sentence(&draft),
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
pub(super) async fn card(
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
pub(super) async fn add(
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
    if let Err(e) = apps_gallery::check_single_instance(state.store(), t, None).await {
        let existing = single_instance_owner(&state, t).await;
        // The card links the existing app by its name.
        return Ok(refuse(app_error_text(&e), existing.as_ref()));
    }
    // Everything the template fixes is pre-filled; the Identifier and Reply URL the
    // template cannot know may come from the card's form (checked against its patterns)
    // or later, from Basic SAML Configuration: until then the app is "SAML not
    // configured".
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
    let mut metadata_warning = None;
    if t.metadata_upload && !metadata.trim().is_empty() {
        match crate::apps::apply_sp_metadata(&mut new.saml, metadata) {
            Ok(a) => metadata_warning = a.warning(),
            Err(e) => {
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
    let app = match apps_gallery::add_from_gallery(state.store(), state.master(), t, new).await {
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
    let to = format!("/admin/apps/{}/sso/saml", app.id);
    if let Some(w) = metadata_warning {
        return Ok(kit::redirect_warn(
            &state,
            &to,
            &format!("Application added. Require signed AuthnRequests is off: {w}."),
        ));
    }
    let flash = if crate::apps::is_saml_configured(&app) {
        "Application added. SAML single sign-on is configured; assign users and groups, then test it."
    } else {
        "Application added. Next: the Basic SAML Configuration below."
    };
    Ok(kit::redirect_ok(&state, &to, flash))
}
