//! "Create your own application" (`/admin/apps/new/custom`): a non-gallery application.

use super::frame::{audit, guard};
use crate::admin::audit::Change;
use crate::admin::Permission;
use crate::apps::NewApp;
use crate::web::auth::SignedIn;
use crate::web::portal::access::{require, Admin};
use crate::web::portal::error::{app_error_text, PortalResult};
use crate::web::portal::kit::{self, Fields};
use crate::web::portal::layout::{page_with_status, render, Crumb, Section};
use crate::web::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;

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
pub(super) async fn custom_form(State(state): State<AppState>, Admin(si): Admin) -> PortalResult {
    require(&si, Permission::ManageApps)?;
    Ok(custom_page(&state, &si, "", "", StatusCode::OK))
}

/// `POST /admin/apps/new/custom` (name): a non-gallery application.
pub(super) async fn custom_create(
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
