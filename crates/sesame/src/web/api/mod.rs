//! The REST API, `/api/v1/…`: everything the portal and the CLI can do, as JSON, with the
//! OpenAPI 3 document at `/api/openapi.json` generated from these handlers (utoipa).
//!
//! Authentication ([`Caller`]): `Authorization: Bearer sesame_…` (an API token, acting
//! with its role), or the portal's session cookie — then every state-changing method must
//! carry the session's CSRF token in `X-CSRF-Token`. A signed-in user without an admin
//! role gets 403 on every endpoint.
//!
//! Errors are RFC 9457 problem details (`application/problem+json`) with the
//! `SESAME910…` code and the request's correlation id ([`ApiError`]); axum's body, query
//! and path rejections come out the same way. Handlers are thin: authorise, validate, call
//! one domain function, audit, render.

mod apps;
mod caller;
mod conditional_access;
mod directory;
mod error;
mod extract;
mod gallery;
mod invitation;
mod logs;
mod methods;
mod model;
mod password_reset;
mod platform;
mod sessions;

use super::state::AppState;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::sync::{Arc, OnceLock};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as OpenApiDoc, RefOr, ResponseBuilder};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub(crate) use error::edge_problem;
use error::finish_problems;
pub use error::{ApiError, ApiResult, Problem, PROBLEM_JSON};

// ---------------------------------------------------------------------------------------
// The document and the router

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sesame REST API",
        description = "Administration of the Sesame SAML 2.0 identity provider: users, groups, the application gallery, enterprise applications (Basic SAML Configuration, Attributes & Claims, SAML Certificates, Users and groups), sign-in logs, the audit log, roles, API tokens and settings. Authenticate with `Authorization: Bearer <token>` (`sesame token create --name NAME`). Errors are RFC 9457 problem details.",
        license(name = "Apache-2.0")
    ),
    components(schemas(Problem)),
    security(("bearer" = []))
)]
struct ApiDoc;

/// The error statuses every operation may answer, with a problem details body.
const ERROR_STATUSES: &[(&str, &str)] = &[
    ("400", "Malformed request (JSON syntax, query or path parameters)"),
    ("401", "No credentials (SESAME910001) or an API token not accepted (SESAME910007)"),
    ("403", "Not allowed for the caller's role (SESAME910002), or the CSRF token of a session call is missing or wrong (SESAME910003)"),
    ("404", "No such object (SESAME910005)"),
    ("405", "Method not allowed"),
    ("409", "Already exists, or refused by a rule (SESAME910006)"),
    ("413", "Body larger than 512 KiB"),
    ("415", "Body not sent as JSON"),
    ("422", "A field value is refused (SESAME910004)"),
    ("500", "Internal error (SESAME910010): see the server log by correlation id"),
    ("503", "Database unavailable (SESAME910009)"),
];

/// Adds the problem responses and the security schemes to every operation.
fn finish_document(doc: &mut OpenApiDoc) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("sesame_…")
                .description(Some(
                    "An API token from `sesame token create --name NAME` (or POST /api/v1/tokens).",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            crate::sso::session::COOKIE,
            "The portal's session cookie; state-changing calls then need the X-CSRF-Token header.",
        ))),
    );
    let problem = ContentBuilder::new()
        .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
            "Problem",
        ))))
        .build();
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            for (status, desc) in ERROR_STATUSES {
                op.responses
                    .responses
                    .entry((*status).to_owned())
                    .or_insert_with(|| {
                        RefOr::T(
                            ResponseBuilder::new()
                                .description(*desc)
                                .content(PROBLEM_JSON, problem.clone())
                                .build(),
                        )
                    });
            }
        }
    }
}

/// The API's routes and its OpenAPI document.
fn api_router() -> (Router<AppState>, OpenApiDoc) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(directory::routes())
        .merge(gallery::routes())
        .merge(apps::routes())
        .merge(logs::routes())
        .merge(platform::routes())
        .merge(password_reset::routes())
        .merge(conditional_access::routes())
        .merge(methods::routes())
        .merge(sessions::routes())
        .merge(invitation::routes())
        .split_for_parts();
    finish_document(&mut doc);
    (router, doc)
}

/// The OpenAPI document (built once).
pub fn openapi() -> &'static OpenApiDoc {
    static DOC: OnceLock<OpenApiDoc> = OnceLock::new();
    DOC.get_or_init(|| api_router().1)
}

async fn openapi_json() -> Response {
    static JSON: OnceLock<Arc<String>> = OnceLock::new();
    let body = JSON
        .get_or_init(|| Arc::new(openapi().to_json().unwrap_or_else(|_| "{}".into())))
        .clone();
    let mut r = (*body).clone().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// The API's routes (merged into the router of `sesame serve`).
pub(crate) fn routes() -> Router<AppState> {
    let (api, _) = api_router();
    Router::new()
        .route("/api/openapi.json", axum::routing::get(openapi_json))
        .merge(api)
        .route(
            "/api/v1/{*rest}",
            axum::routing::any(|| async { StatusCode::NOT_FOUND }),
        )
        .layer(axum::middleware::from_fn(finish_problems))
}
