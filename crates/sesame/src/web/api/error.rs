//! [`ApiError`]: the one failure of an API handler, answered as RFC 9457 problem
//! details with its `SESAME910…` code and the request's correlation id; the mapping of
//! domain errors to it; and the problem details of statuses the HTTP edge answers.

use crate::admin::errors::AdminCode;
use crate::admin::tokens::TokenError;
use crate::admin::Forbidden;
use crate::apps::claims::ClaimError;
use crate::apps::AppError;
use crate::directory::password::PasswordError;
use crate::directory::DirectoryError;
use crate::store::StoreError;
use crate::web::http::{correlation, BODY_LIMIT, REQUEST_TIMEOUT};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

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

    pub(crate) fn internal(e: &dyn std::fmt::Display) -> ApiError {
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
pub(super) async fn finish_problems(req: Request, next: Next) -> Response {
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

impl From<crate::sso::preview::PreviewError> for ApiError {
    fn from(e: crate::sso::preview::PreviewError) -> Self {
        use crate::sso::preview::PreviewError;
        match e {
            PreviewError::App(a) => a.into(),
            PreviewError::NotLoaded(_) => ApiError::new(AdminCode::Unavailable, e.to_string()),
            PreviewError::Build(_) => ApiError::internal(&e),
        }
    }
}
