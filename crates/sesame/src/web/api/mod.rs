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
mod directory;
mod gallery;
mod logs;
mod model;
mod platform;

use super::auth::{self, CSRF_HEADER};
use super::http::{correlation, request_id, BODY_LIMIT, REQUEST_TIMEOUT};
use super::state::AppState;
use crate::admin::audit::{self, Change};
use crate::admin::errors::AdminCode;
use crate::admin::tokens::{self, TokenError};
use crate::admin::{Forbidden, Permission, Principal};
use crate::apps::claims::ClaimError;
use crate::apps::AppError;
use crate::directory::password::PasswordError;
use crate::directory::DirectoryError;
use crate::store::StoreError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::{Arc, OnceLock};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as OpenApiDoc, RefOr, ResponseBuilder};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem details object, the body of every API error.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the error type: `urn:sesame:error:SESAME910004`.
    #[serde(rename = "type")]
    pub type_: String,
    /// A short title of the error type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What was wrong in this request, and how to fix it.
    pub detail: String,
    /// The request path.
    pub instance: String,
    /// The Sesame error code (`SESAME910001` …, listed in docs/errors.md).
    pub code: String,
    /// The request's correlation id (also the `x-request-id` response header).
    pub correlation_id: String,
}

/// An API error: a code and what was wrong (the detail of the problem).
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The code (status and title follow from it).
    pub code: AdminCode,
    /// What was wrong, and how to fix it.
    pub detail: String,
    /// A status other than the code's (400 for malformed JSON, 413, 415, 405).
    pub status: Option<StatusCode>,
}

impl ApiError {
    /// An error with `code` and `detail`.
    pub fn new(code: AdminCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            code,
            detail: detail.into(),
            status: None,
        }
    }

    /// 422: a field value is refused.
    pub fn invalid(detail: impl Into<String>) -> ApiError {
        ApiError::new(AdminCode::Invalid, detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(AdminCode::NotFound, detail)
    }

    /// With another HTTP status than the code's.
    #[must_use]
    pub fn with_status(mut self, s: StatusCode) -> ApiError {
        self.status = Some(s);
        self
    }

    fn status(&self) -> StatusCode {
        self.status.unwrap_or_else(|| {
            StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        })
    }

    fn internal(e: &dyn std::fmt::Display) -> ApiError {
        tracing::error!("REST API internal error: {e}");
        ApiError::new(
            AdminCode::Internal,
            "Sesame hit an internal error; the server log has it under the correlation id",
        )
    }

    fn store(e: &StoreError) -> ApiError {
        match e {
            StoreError::Conflict(m) => ApiError::new(AdminCode::Conflict, m.clone()),
            StoreError::NotFound(m) => ApiError::not_found(m.clone()),
            e if e.is_unavailable() => {
                tracing::warn!("REST API: the database is out of reach: {e}");
                ApiError::new(AdminCode::Unavailable, "the database is out of reach")
            }
            e => ApiError::internal(e),
        }
    }
}

/// A finished problem response for `status` and `code` (used by the HTTP edge too, for
/// 404/405/413/408/500 under `/api/`).
pub(crate) fn problem_response(
    status: StatusCode,
    code: AdminCode,
    detail: &str,
    instance: &str,
    correlation_id: &str,
) -> Response {
    let p = Problem {
        type_: format!("urn:sesame:error:{}", code.code()),
        title: code.title().to_owned(),
        status: status.as_u16(),
        detail: detail.to_owned(),
        instance: instance.to_owned(),
        code: code.code().to_owned(),
        correlation_id: correlation_id.to_owned(),
    };
    let body = serde_json::to_string(&p).unwrap_or_default();
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    if code == AdminCode::Unauthenticated || code == AdminCode::BadToken {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"sesame\""),
        );
    }
    if code == AdminCode::Unavailable {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    r
}

/// The error carried from a handler to [`finish_problems`], which knows the request's path
/// and correlation id.
#[derive(Debug, Clone)]
struct PendingProblem(ApiError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = self.status().into_response();
        r.extensions_mut().insert(PendingProblem(self));
        r
    }
}

/// Turns a handler's [`ApiError`] into its problem details body, with the path and the
/// correlation id of the request; and every bare error status of the API (unknown route,
/// method) into one too.
async fn finish_problems(req: Request, next: Next) -> Response {
    let instance = req.uri().path().to_owned();
    let corr = correlation(req.headers());
    let mut r = next.run(req).await;
    if let Some(PendingProblem(e)) = r.extensions_mut().remove::<PendingProblem>() {
        let status = e.status();
        return problem_response(status, e.code, &e.detail, &instance, &corr);
    }
    let status = r.status();
    if (status.is_client_error() || status.is_server_error())
        && !r.headers().contains_key(header::CONTENT_TYPE)
    {
        let (code, detail) = match status {
            StatusCode::NOT_FOUND => (
                AdminCode::NotFound,
                "there is no API endpoint at this path; /api/openapi.json lists them",
            ),
            StatusCode::METHOD_NOT_ALLOWED => (
                AdminCode::Invalid,
                "this endpoint does not accept this HTTP method; /api/openapi.json lists them",
            ),
            _ => (AdminCode::Internal, "the request could not be served"),
        };
        let allow = r.headers().get(header::ALLOW).cloned();
        let mut p = problem_response(status, code, detail, &instance, &corr);
        if let Some(a) = allow {
            p.headers_mut().insert(header::ALLOW, a);
        }
        return p;
    }
    r
}

impl From<Forbidden> for ApiError {
    fn from(e: Forbidden) -> Self {
        ApiError::new(AdminCode::Forbidden, e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::store(&e)
    }
}

impl From<PasswordError> for ApiError {
    fn from(e: PasswordError) -> Self {
        match e {
            PasswordError::Hash(_) => ApiError::internal(&e),
            other => ApiError::invalid(format!("password: {other}")),
        }
    }
}

impl From<DirectoryError> for ApiError {
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::Invalid { .. } => ApiError::invalid(e.to_string()),
            DirectoryError::NotFound(m) => ApiError::not_found(m),
            DirectoryError::Conflict(m) | DirectoryError::Ambiguous(m) => {
                ApiError::new(AdminCode::Conflict, m)
            }
            DirectoryError::Password(p) => p.into(),
            DirectoryError::Store(s) => ApiError::store(&s),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid { .. } => ApiError::invalid(e.to_string()),
            AppError::NotFound(m) => ApiError::not_found(m),
            AppError::Conflict(m) | AppError::Ambiguous(m) => ApiError::new(AdminCode::Conflict, m),
            AppError::Directory(d) => d.into(),
            AppError::Store(s) => ApiError::store(&s),
            other @ (AppError::Key(_) | AppError::Tenant(_)) => ApiError::internal(&other),
        }
    }
}

impl From<ClaimError> for ApiError {
    fn from(e: ClaimError) -> Self {
        ApiError::invalid(e.to_string())
    }
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Invalid { .. } => ApiError::invalid(e.to_string()),
            TokenError::NameTaken(_) => ApiError::new(AdminCode::Conflict, e.to_string()),
            TokenError::NotFound(_) => ApiError::not_found(e.to_string()),
            TokenError::BadToken(m) => ApiError::new(AdminCode::BadToken, m),
            TokenError::Random => ApiError::internal(&e),
            TokenError::Store(s) => ApiError::store(&s),
        }
    }
}

impl From<crate::admin::roles::RoleError> for ApiError {
    fn from(e: crate::admin::roles::RoleError) -> Self {
        use crate::admin::roles::RoleError;
        match e {
            RoleError::UnknownRole(_) => ApiError::invalid(e.to_string()),
            RoleError::Directory(d) => d.into(),
            RoleError::LastGlobalAdministrator(_) => {
                ApiError::new(AdminCode::Conflict, e.to_string())
            }
            RoleError::Store(s) => ApiError::store(&s),
        }
    }
}

impl From<crate::admin::settings::SettingsError> for ApiError {
    fn from(e: crate::admin::settings::SettingsError) -> Self {
        use crate::admin::settings::SettingsError;
        match e {
            SettingsError::Retention(_) => ApiError::invalid(e.to_string()),
            SettingsError::Store(s) => ApiError::store(&s),
        }
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

// ---------------------------------------------------------------------------------------
// Extractors whose rejections are problem details

/// A JSON body; a rejection is a 400 (syntax), 415 (content type), 413 (size) or 422
/// (shape) problem.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // Every request body of the API is a JSON object: serde would also take an array
        // for a struct (`[null, null]`), which the document does not allow.
        let v = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(v)) => v,
            Err(e) => return Err(json_rejection(&e)),
        };
        if !v.is_object() {
            return Err(ApiError::invalid(
                "the JSON body must be an object (`{…}`); /api/openapi.json describes its fields",
            ));
        }
        serde_json::from_value::<T>(v)
            .map(ApiJson)
            .map_err(|e| ApiError::invalid(format!("the JSON body does not fit the schema: {e}")))
    }
}

fn json_rejection(e: &JsonRejection) -> ApiError {
    match e {
        JsonRejection::JsonDataError(d) => ApiError::invalid(format!(
            "the JSON body does not fit the schema: {}",
            d.body_text()
        )),
        JsonRejection::JsonSyntaxError(s) => {
            ApiError::invalid(format!("the body is not valid JSON: {}", s.body_text()))
                .with_status(StatusCode::BAD_REQUEST)
        }
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::invalid("send the body as JSON with `Content-Type: application/json`")
                .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::invalid(format!(
            "the body is larger than Sesame accepts ({} KiB)",
            BODY_LIMIT / 1024
        ))
        .with_status(StatusCode::PAYLOAD_TOO_LARGE),
        other => ApiError::invalid(format!("the body cannot be read: {}", other.body_text()))
            .with_status(StatusCode::BAD_REQUEST),
    }
}

/// Query parameters; a rejection is a 400 problem.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(query_rejection(&e)),
        }
    }
}

fn query_rejection(e: &QueryRejection) -> ApiError {
    ApiError::invalid(format!("query parameters: {}", e.body_text()))
        .with_status(StatusCode::BAD_REQUEST)
}

/// Path parameters; a rejection is a 400 problem.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(e) => Err(path_rejection(&e)),
        }
    }
}

fn path_rejection(e: &PathRejection) -> ApiError {
    ApiError::invalid(format!("path: {}", e.body_text())).with_status(StatusCode::BAD_REQUEST)
}

// ---------------------------------------------------------------------------------------
// Authentication

/// Who calls: a token or a signed-in administrator, and the request's correlation id.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token or administrator, with its roles (never empty).
    pub principal: Principal,
    /// The request id (audit rows carry it).
    pub correlation: String,
}

impl Caller {
    /// `Ok` when the caller's role allows `p`, else a 403 problem naming the role needed.
    pub fn require(&self, p: Permission) -> ApiResult<()> {
        Ok(self.principal.require(p)?)
    }

    /// Records `change` in the audit log with this caller and correlation id; a failure
    /// to write is logged (the change itself is done).
    pub async fn audit(&self, state: &AppState, change: Change) {
        if let Err(e) = audit::record(
            state.store(),
            &self.principal.actor,
            change,
            &self.correlation,
        )
        .await
        {
            tracing::error!(correlation = %self.correlation, "cannot write the audit log: {e}");
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<Result<String, ApiError>> {
    let v = headers.get(header::AUTHORIZATION)?;
    let bad = || {
        Err(ApiError::new(
            AdminCode::BadToken,
            "the Authorization header must be `Bearer sesame_…` (an API token from `sesame token create`)",
        ))
    };
    let Ok(v) = v.to_str() else {
        return Some(bad());
    };
    let Some((scheme, rest)) = v.trim().split_once(' ') else {
        return Some(bad());
    };
    if !scheme.eq_ignore_ascii_case("bearer") || rest.trim().is_empty() {
        return Some(bad());
    }
    Some(Ok(rest.trim().to_owned()))
}

fn changes_state(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let correlation = request_id(&parts.headers).unwrap_or_default();
        let now = crate::tenant::now_unix();
        if let Some(secret) = bearer(&parts.headers) {
            let secret = secret?;
            let ok = tokens::authenticate(state.store(), &secret, now).await?;
            if ok.touch {
                // Off the request path: the answer does not wait for this write.
                let store = state.store().clone();
                let id = ok.id.clone();
                tokio::spawn(async move {
                    if let Err(e) = store.token_touch(&id, now).await {
                        tracing::warn!("cannot record the use of API token {id}: {e}");
                    }
                });
            }
            return Ok(Caller {
                principal: ok.principal,
                correlation,
            });
        }
        let si = auth::signed_in(state, &parts.headers)
            .await
            .map_err(|e| {
                if e.code == crate::sso::ErrorCode::ServiceUnavailable {
                    ApiError::new(AdminCode::Unavailable, "the database is out of reach")
                } else {
                    ApiError::internal(&e)
                }
            })?
            .ok_or_else(|| {
                ApiError::new(
                    AdminCode::Unauthenticated,
                    "send an API token as `Authorization: Bearer sesame_…` (`sesame token create --name NAME`), or sign in to the portal",
                )
            })?;
        if changes_state(&parts.method) {
            let given = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !auth::csrf_ok(&si, &parts.headers, given) {
                return Err(ApiError::new(
                    AdminCode::CsrfFailed,
                    "a change made with the session cookie must carry the session's CSRF token in the X-CSRF-Token header (and not come from another site)",
                ));
            }
        }
        if !si.principal.is_admin() {
            return Err(ApiError::new(
                AdminCode::Forbidden,
                format!(
                    "{} holds no administrator role; the REST API is for Global and Application Administrators",
                    si.user.upn
                ),
            ));
        }
        Ok(Caller {
            principal: si.principal,
            correlation,
        })
    }
}

/// The tenant of the configuration snapshot (503 before it exists).
fn tenant(state: &AppState) -> ApiResult<crate::tenant::Tenant> {
    state
        .cache()
        .get()
        .tenant
        .clone()
        .ok_or_else(|| ApiError::new(AdminCode::Unavailable, "the tenant is not set up yet"))
}

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

/// The problem details of an error status the HTTP edge met under `/api/` (a body too
/// large, a timeout, a panic).
pub(crate) fn edge_problem(status: StatusCode, path: &str, corr: &str) -> Response {
    let (code, detail) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            AdminCode::Invalid,
            format!(
                "the body is larger than Sesame accepts ({} KiB)",
                BODY_LIMIT / 1024
            ),
        ),
        StatusCode::REQUEST_TIMEOUT => (
            AdminCode::Unavailable,
            format!(
                "the request was not completed within {} seconds; try again",
                REQUEST_TIMEOUT.as_secs()
            ),
        ),
        StatusCode::NOT_FOUND => (
            AdminCode::NotFound,
            "there is no API endpoint at this path; /api/openapi.json lists them".to_owned(),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            AdminCode::Invalid,
            "this endpoint does not accept this HTTP method; /api/openapi.json lists them"
                .to_owned(),
        ),
        s if s.is_client_error() => (
            AdminCode::Invalid,
            "the request cannot be served".to_owned(),
        ),
        _ => (
            AdminCode::Internal,
            "Sesame hit an internal error; the server log has it under the correlation id"
                .to_owned(),
        ),
    };
    problem_response(status, code, &detail, path, corr)
}

impl From<crate::apps::preview::PreviewError> for ApiError {
    fn from(e: crate::apps::preview::PreviewError) -> Self {
        use crate::apps::preview::PreviewError;
        match e {
            PreviewError::App(a) => a.into(),
            PreviewError::NotLoaded(_) => ApiError::new(AdminCode::Unavailable, e.to_string()),
            PreviewError::Build(_) => ApiError::internal(&e),
        }
    }
}
