//! The Overview and Properties blades, and deleting an application.

use super::frame::{app_or_404, app_page, audit, form_app, Blade, FieldError};
use crate::admin::audit::Change;
use crate::apps::App;
use crate::web::auth::SignedIn;
use crate::web::portal::error::{app_error_text, PortalResult};
use crate::web::portal::kit::{self, Fields};
use crate::web::portal::layout::{render, Flash};
use crate::web::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Form;

#[derive(askama::Template)]
#[template(path = "portal/apps/overview.html")]
struct OverviewBody<'a> {
    app: &'a App,
    template: String,
    configured: bool,
    assignments: usize,
    cert_warning: Option<String>,
}

/// `GET /admin/apps/{id}`: Overview with the Getting Started steps.
pub(super) async fn overview(
    State(state): State<AppState>,
    crate::web::portal::access::Admin(si): crate::web::portal::access::Admin,
    kit::Flashed(flash): kit::Flashed,
    Path(id): Path<String>,
) -> PortalResult {
    let app = app_or_404(&state, &si, &id).await?;
    let assignments = crate::apps::list_assignments(state.store(), &app.id)
        .await
        .map(|v| v.len())
        .unwrap_or(0);
    let body = render(&OverviewBody {
        template: app
            .gallery_id
            .as_deref()
            .and_then(crate::gallery::template)
            .map(|t| t.name.clone())
            .unwrap_or_else(|| "Custom (non-gallery)".into()),
        configured: super::frame::sso_configured(&app),
        assignments,
        cert_warning: super::frame::cert_expiry_warning(&state, &app.id).await,
        app: &app,
    });
    Ok(app_page(
        &state,
        &si,
        &app,
        Blade::Overview,
        "Overview",
        vec![],
        flash,
        &body,
        StatusCode::OK,
    ))
}

#[derive(askama::Template)]
#[template(path = "portal/apps/properties.html")]
struct PropsBody<'a> {
    csrf: &'a str,
    app: &'a App,
    has_logo: bool,
    error_field: &'a str,
    error: String,
}

/// The Properties blade (with an error next to `err`'s field, as 422).
pub(super) async fn show(
    state: &AppState,
    si: &SignedIn,
    app: &App,
    flash: Option<Flash>,
    err: FieldError,
) -> PortalResult {
    let has_logo = matches!(state.store().app_logo(&app.id).await, Ok(Some(_)));
    let (error_field, error) = err.clone().unwrap_or(("", String::new()));
    let body = render(&PropsBody {
        csrf: &si.csrf,
        app,
        has_logo,
        error_field,
        error,
    });
    let status = if err.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(app_page(
        state,
        si,
        app,
        Blade::Properties,
        "Properties",
        vec![crate::web::portal::layout::Crumb::new("", "Properties")],
        flash,
        &body,
        status,
    ))
}

/// `GET /admin/apps/{id}/properties`.
pub(super) async fn properties(
    State(state): State<AppState>,
    crate::web::portal::access::Admin(si): crate::web::portal::access::Admin,
    kit::Flashed(flash): kit::Flashed,
    Path(id): Path<String>,
) -> PortalResult {
    let app = app_or_404(&state, &si, &id).await?;
    show(&state, &si, &app, flash, None).await
}

/// `POST /admin/apps/{id}/properties`: name, enabled, assignment required, visible, notes.
pub(super) async fn save(
    State(state): State<AppState>,
    crate::web::portal::access::Admin(si): crate::web::portal::access::Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let before = form_app(&state, &si, &headers, &f, &id).await?;
    let mut app = before.clone();
    app.name = f.raw("name").to_owned();
    app.enabled = f.checked("enabled");
    app.assignment_required = f.checked("assignment_required");
    app.visible = f.checked("visible");
    app.notes = f.raw("notes").replace("\r\n", "\n");
    match crate::apps::save_app(state.store(), app.clone()).await {
        Ok(saved) => {
            audit(
                &state,
                &si,
                &headers,
                Change::new("app.update", "app", &saved.id, &saved.name)
                    .before(&before)
                    .after(&saved),
            )
            .await;
            Ok(kit::redirect_ok(
                &state,
                &format!("/admin/apps/{}/properties", saved.id),
                "Properties saved.",
            ))
        }
        Err(e) => {
            let field = match &e {
                crate::apps::AppError::Invalid { field, .. } => *field,
                _ => "",
            };
            let text = app_error_text(&e);
            show(
                &state,
                &si,
                &app,
                Flash::error(format!("Properties not saved: {text}")),
                Some((field, text)),
            )
            .await
        }
    }
}

/// `POST /admin/apps/{id}/delete`.
pub(super) async fn delete(
    State(state): State<AppState>,
    crate::web::portal::access::Admin(si): crate::web::portal::access::Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let app = form_app(&state, &si, &headers, &f, &id).await?;
    if let Err(e) = crate::apps::delete_app(state.store(), &app.id).await {
        return Err(e.into());
    }
    audit(
        &state,
        &si,
        &headers,
        Change::new("app.delete", "app", &app.id, &app.name).before(&app),
    )
    .await;
    Ok(kit::redirect_ok(
        &state,
        "/admin/apps",
        "Application deleted.",
    ))
}
