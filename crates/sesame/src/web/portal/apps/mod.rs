//! Portal area: Enterprise applications and the gallery (see `super`).
//!
//! All applications ([`list`]), New application: "Browse the gallery" and the gallery's
//! app cards ([`gallery`]), "Create your own application" ([`custom`]); the application
//! page with its blades: Overview and
//! Properties ([`props`]), Users and groups ([`users`]), Single sign-on ([`saml`],
//! [`claims`], [`certs`], [`test`]). Logos are served and sanitised by [`logo`].
//!
//! Every handler: CSRF first (POST), then the role ([`Permission::ManageApps`]), then the
//! input; it calls one domain function of `crate::apps` / `crate::gallery`, records the
//! change in the audit log, tells the SSO cache (`config_changed`), and answers 303 to
//! a page that shows a flash (POST-redirect-GET), or the form again with its errors (422).

mod certs;
mod claims;
mod custom;
mod gallery;
mod list;
mod logo;
mod props;
mod saml;
mod test;
mod users;

use crate::admin::audit::{self, Change};
use crate::admin::Permission;
use crate::apps::App;
use crate::web::auth::SignedIn;
use crate::web::portal::app_error_text;
use crate::web::portal::kit;
pub(super) use crate::web::portal::kit::Fields;
use crate::web::portal::{check_csrf, page_with_status, render, require, Crumb, Flash, Section};
use crate::web::portal::{PortalError, PortalResult};
use crate::web::AppState;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

/// The routes of this area.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/apps", get(list::list))
        .route("/admin/apps/new", get(gallery::new_app))
        .route(
            "/admin/apps/new/custom",
            get(custom::custom_form).post(custom::custom_create),
        )
        .route("/admin/gallery/{id}", get(gallery::card).post(gallery::add))
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
// What the pages of this area share

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

/// Records a change made by the signed-in administrator ([`kit::record`]) and tells the
/// SSO cache.
pub(super) async fn audit(state: &AppState, si: &SignedIn, headers: &HeaderMap, change: Change) {
    kit::record(state, si, headers, change).await;
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
pub(super) fn patterns_json(field: Option<&crate::gallery::UrlField>) -> String {
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
