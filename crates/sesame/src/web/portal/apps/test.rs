//! (5) Test single sign-on: "Test this application" — sign in as yourself (the launch
//! URL: SP-initiated through the Sign on URL when it has one, else IdP-initiated to the
//! default Reply URL), or preview the token a chosen user would receive: the Assertion,
//! pretty-printed, how the user is assigned, and the checklist: request signatures, and
//! what the gallery template's vendor expects. A vendor that documents SP-initiated
//! sign-in only is named next to the IdP-initiated test. The same steps as `sesame app
//! preview`, on the server's own configuration snapshot.

use super::frame::{app_or_404, app_page, Blade};
use crate::apps::App;
use crate::sso::preview::{self, CheckLine};
use crate::web::portal::access::Admin;
use crate::web::portal::error::PortalResult;
use crate::web::portal::layout::{render, Crumb};
use crate::web::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use std::collections::HashMap;

struct AttrLine {
    name: String,
    values: String,
}

/// The preview of one user's token, as the page shows it.
struct Preview {
    upn: String,
    name_id: String,
    name_id_format: String,
    attributes: Vec<AttrLine>,
    xml: String,
    warnings: Vec<String>,
    assignment: String,
    request_signing: CheckLine,
    checks: Vec<CheckLine>,
    /// The gallery application's display name; empty for a custom application.
    checked_against: String,
    problems: usize,
}

#[derive(askama::Template)]
#[template(path = "portal/apps/test.html")]
struct TestBody<'a> {
    app: &'a App,
    launch_url: String,
    sp_initiated: bool,
    /// Set when the gallery entry documents SP-initiated sign-in only: what to tell the
    /// administrator next to an IdP-initiated test.
    sp_only_warning: String,
    self_warning: String,
    user: String,
    users: Vec<(String, String)>,
    preview: Option<Preview>,
    error: String,
    /// The administrator's own last failed sign-in to this application, with its fix.
    last_failure: String,
}

/// The token `upn` would receive from `app` now (not sent anywhere): the same preview
/// as `sesame app preview` and the REST API ([`preview::preview`]), pretty-printed.
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
    let tenant = cache
        .tenant
        .clone()
        .ok_or("the tenant is not set up yet; reload the page in a second")?;
    let p = preview::preview(store, &cache, &tenant, app, &user)
        .await
        .map_err(|e| e.to_string())?;
    let xml = roxmltree::Document::parse(&p.assertion_xml)
        .map(|d| crate::xmlfmt::pretty(&d))
        .unwrap_or(p.assertion_xml);
    Ok(Preview {
        upn: p.user,
        name_id: p.name_id,
        name_id_format: p.name_id_format,
        attributes: p
            .attributes
            .into_iter()
            .map(|a| AttrLine {
                name: a.name,
                values: a.values.join(", "),
            })
            .collect(),
        xml,
        warnings: p.warnings,
        assignment: p.assignment,
        request_signing: p.request_signing,
        checks: p.check,
        checked_against: p
            .gallery_id
            .as_deref()
            .and_then(crate::gallery::template)
            .map(|t| t.name.clone())
            .unwrap_or_default(),
        problems: p.problems,
    })
}

/// "Imagen documents SP-initiated sign-in only; …" when the app's gallery entry does not
/// list IdP-initiated sign-in; empty otherwise.
fn sp_only_warning(app: &App) -> String {
    use crate::gallery::SsoMode;
    match app.gallery_id.as_deref().and_then(crate::gallery::template) {
        Some(t) if !t.supports(SsoMode::IdpInitiated) => format!(
            "{} documents SP-initiated sign-in only; an IdP-initiated response may be refused by it.",
            t.name
        ),
        _ => String::new(),
    }
}

/// `GET /admin/apps/{id}/sso/test[?user=UPN]`.
pub(super) async fn page(
    State(state): State<AppState>,
    Admin(si): Admin,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PortalResult {
    let app = app_or_404(&state, &si, &id).await?;
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
        sp_only_warning: sp_only_warning(&app),
        sp_initiated: app.saml.sign_on_url.is_some(),
        app: &app,
        launch_url,
        self_warning,
        user,
        users,
        preview,
        error,
        last_failure: crate::web::portal::logs::last_failure_html(&state, &app.id, &si.user.upn)
            .await,
    });
    Ok(app_page(
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
    ))
}
