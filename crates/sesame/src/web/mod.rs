//! The HTTP edge (axum): the router of every route and its middleware.
//!
//! The SAML endpoint, login page, IdP-initiated launch, federation metadata and sign-out
//! (`saml`, `login`, and the passkey sign-in, `passkey`; "Update your password",
//! `password_update`; Forgot my password, `reset`), the home page (`home`), the admin
//! portal and My Apps (`portal`),
//! the REST API (`api`), the built-in test application (`testapp`) and the operations
//! endpoints (`ops`). What they share: [`AppState`] (`state`), the HTTP helpers
//! (`http`), the middleware (`middleware`), the connection limits below HTTP (`conn`),
//! the HTML pages kit (`pages`: every value escaped with [`esc`]) and who is calling
//! (`auth`).

pub mod api;
pub mod auth;
mod conditional;
pub mod conn;
mod failure;
mod flow;
mod home;
mod http;
mod invitation;
pub mod logging;
mod login;
mod middleware;
pub mod ops;
mod pages;
mod passkey;
mod passkey_button;
mod password_update;
mod portal;
mod rate_limit;
mod reset;
mod saml;
mod session;
mod state;
mod testapp;

use axum::routing::get;
use axum::Router;

pub use http::{ClientIp, BODY_LIMIT, REQUEST_ID, REQUEST_TIMEOUT};
pub use middleware::{with_hsts, with_middleware};
pub use pages::esc;
pub use state::AppState;

/// The router of `sesame serve`.
pub fn router(state: AppState) -> Router {
    // The Prometheus recorder, installed before the first request is counted.
    let _ = ops::metrics_handle();
    // The pages anyone can call without an account, rate-limited per client address.
    let mut open = Router::new()
        .route(
            "/{tenant}/saml2",
            get(saml::saml2_get).post(saml::saml2_post),
        )
        .route("/{tenant}/saml2/continue", get(saml::saml2_continue))
        .route(
            "/{tenant}/login",
            get(login::login_get).post(login::login_post),
        )
        .route(
            "/{tenant}/login/passkey/options",
            axum::routing::post(passkey::options),
        )
        .route(
            "/{tenant}/login/passkey",
            axum::routing::post(passkey::sign_in),
        )
        .route(
            "/{tenant}/login/verify",
            get(conditional::verify_get).post(conditional::verify_post),
        )
        .route(
            "/{tenant}/login/verify/passkey/options",
            axum::routing::post(conditional::verify_passkey_options),
        )
        .route(
            "/{tenant}/login/verify/passkey",
            axum::routing::post(conditional::verify_passkey),
        )
        .route(
            "/{tenant}/login/password",
            get(password_update::update_get).post(password_update::update_post),
        )
        .route(
            "/{tenant}/login/register",
            axum::routing::post(conditional::register_post),
        )
        .route(
            reset::PATH,
            get(reset::request_get).post(reset::request_post),
        )
        .route(
            reset::CONFIRM,
            get(reset::confirm_get).post(reset::confirm_post),
        )
        .route(
            reset::PASSKEY_OPTIONS,
            axum::routing::post(reset::confirm_passkey_options),
        )
        .route(
            crate::selfservice::invite::PATH,
            get(invitation::get).post(invitation::post),
        );
    let limiter = match state.sso_rate_limit() {
        Some(v) => rate_limit::RateLimit::from_setting(v),
        None => rate_limit::RateLimit::from_env(),
    };
    if let Some(limiter) = limiter {
        open = open.route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), std::sync::Arc::new(limiter)),
            rate_limit::limit,
        ));
    }
    let routes = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/", get(home::home))
        .route(passkey_button::SCRIPT, get(passkey::script))
        .merge(open)
        .route(
            "/{tenant}/signout",
            get(saml::signout_page).post(saml::signout),
        )
        .route("/{tenant}/apps/{app}/launch", get(saml::launch))
        .route(
            "/{tenant}/federationmetadata/2007-06/federationmetadata.xml",
            get(saml::federation_metadata),
        )
        .merge(portal::routes(&state))
        .merge(api::routes())
        .route("/testapp", get(testapp::index))
        .route("/testapp/login", get(testapp::login))
        .route("/testapp/acs", axum::routing::post(testapp::acs))
        .route_layer(axum::middleware::from_fn(ops::track))
        .with_state(state);
    with_middleware(routes)
}
