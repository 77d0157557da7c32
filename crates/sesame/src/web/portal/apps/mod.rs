//! Portal area: Enterprise applications and the gallery (see `super`).
//!
//! All applications ([`list`]), New application: "Browse the gallery" and the gallery's
//! app cards ([`gallery`]), "Create your own application" ([`custom`]); the application
//! page with its blades: Overview and
//! Properties ([`props`]), Users and groups ([`users`]), Single sign-on ([`saml`],
//! [`claims`], [`certs`], [`test`]). Logos are served and sanitised by [`logo`]; a gallery
//! application's set-up steps are rendered by [`steps`].
//!
//! Every handler: CSRF first (POST), then the role ([`Permission::ManageApps`]), then the
//! input; it calls one domain function of `crate::apps` / `crate::gallery`, records the
//! change in the audit log, tells the SSO cache (`config_changed`), and answers 303 to
//! a page that shows a flash (POST-redirect-GET), or the form again with its errors (422).

mod certs;
mod claims;
mod custom;
mod frame;
mod gallery;
mod list;
mod logo;
mod props;
mod saml;
mod steps;
mod test;
mod users;

use crate::web::state::AppState;
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
