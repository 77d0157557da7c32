//! [`PortalError`]: the one failure of a portal handler (admin portal and My Apps), and
//! the one mapping of domain errors to admin-plane codes.
//!
//! A handler returns `Result<Response, PortalError>` and uses `?`: refused checks (CSRF,
//! role), objects not found, storage and domain failures all become a `PortalError`.
//! Its page names the request's correlation id, which only the request knows: the error
//! travels in the response's extensions and the middleware of every portal route
//! turns it into the error page.

use super::layout::{html, render as render_template};
use crate::admin::errors::AdminCode;
use crate::apps::AppError;
use crate::directory::{password::PasswordError, DirectoryError};
use crate::selfservice::SelfServiceError;
use crate::store::StoreError;
use crate::web::pages::esc;
use askama::Template;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::fmt::Display;

/// What a portal handler answers.
pub(crate) type PortalResult<T = Response> = Result<T, PortalError>;

/// A failed portal request: its admin-plane code and the detail shown on the page.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{detail} ({})", code.code())]
pub(crate) struct PortalError {
    code: AdminCode,
    detail: String,
}

/// What the page of an internal failure says (the detail is in the server log).
const HIDDEN: &str = "The request could not be completed; nothing more is shown here. The \
server log has the details under the correlation id below.";

impl PortalError {
    /// A failure with `code`, whose page shows `detail`.
    pub(crate) fn new(code: AdminCode, detail: impl Into<String>) -> PortalError {
        PortalError {
            code,
            detail: detail.into(),
        }
    }

    /// 404: `detail` says what names nothing.
    pub(crate) fn not_found(detail: impl Into<String>) -> PortalError {
        PortalError::new(AdminCode::NotFound, detail)
    }

    /// 403: the signed-in user's roles do not allow it.
    pub(crate) fn forbidden(detail: impl Into<String>) -> PortalError {
        PortalError::new(AdminCode::Forbidden, detail)
    }

    /// A failure with `code` whose cause `e` is shown, unless the code is internal
    /// (then `e` is logged and the page shows no detail).
    pub(crate) fn with_code(code: AdminCode, e: &dyn Display) -> PortalError {
        if matches!(code, AdminCode::Internal | AdminCode::Unavailable) {
            tracing::error!("admin portal: {e}");
            return PortalError::new(code, HIDDEN);
        }
        PortalError::new(code, e.to_string())
    }

    /// An internal failure: `e` is logged, not shown.
    pub(crate) fn internal(e: impl Display) -> PortalError {
        PortalError::with_code(AdminCode::Internal, &e)
    }

    /// The page of this error, naming `correlation`.
    pub(super) fn page(&self, correlation: &str) -> Response {
        let body = render_template(&ErrorBody {
            code: self.code.code(),
            title: self.code.title(),
            detail: &self.detail,
            fix: self.code.fix(),
            correlation,
        });
        let status = StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let mut r = html(
            status,
            format!(
                "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} · Sesame</title>\
<link rel=\"stylesheet\" href=\"/assets/portal.css\"></head><body><main id=\"main\">{body}\
<p><a href=\"/admin\">Admin portal</a> · <a href=\"/myapps\">My Apps</a></p></main></body></html>\n",
                esc(self.code.title())
            ),
        );
        if let Ok(v) = HeaderValue::from_str(self.code.code()) {
            r.headers_mut().insert("x-sesame-error", v);
        }
        r
    }
}

#[derive(Template)]
#[template(path = "portal/error.html")]
struct ErrorBody<'a> {
    code: &'a str,
    title: &'a str,
    detail: &'a str,
    fix: &'a str,
    correlation: &'a str,
}

impl IntoResponse for PortalError {
    /// The bare status, carrying the error for the portal's middleware to make the page.
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let mut r = status.into_response();
        r.extensions_mut().insert(self);
        r
    }
}

/// The admin-plane code of a store error (503 when the database is out of reach).
pub(crate) fn store_code(e: &StoreError) -> AdminCode {
    match e {
        StoreError::NotFound(_) => AdminCode::NotFound,
        StoreError::Conflict(_) => AdminCode::Conflict,
        e if e.is_unavailable() => AdminCode::Unavailable,
        _ => AdminCode::Internal,
    }
}

/// The admin-plane code of a directory error.
pub(crate) fn directory_code(e: &DirectoryError) -> AdminCode {
    match e {
        DirectoryError::Invalid { .. } => AdminCode::Invalid,
        DirectoryError::Password(PasswordError::Policy(_)) => AdminCode::PasswordPolicy,
        DirectoryError::NotFound(_) => AdminCode::NotFound,
        DirectoryError::Conflict(_) | DirectoryError::Ambiguous(_) => AdminCode::Conflict,
        DirectoryError::Store(s) => store_code(s),
        DirectoryError::Password(PasswordError::Hash(_)) => AdminCode::Internal,
    }
}

/// The admin-plane code of an application error.
pub(crate) fn app_code(e: &AppError) -> AdminCode {
    match e {
        AppError::Invalid { .. } => AdminCode::Invalid,
        AppError::NotFound(_) => AdminCode::NotFound,
        AppError::Conflict(_) | AppError::Ambiguous(_) => AdminCode::Conflict,
        _ => AdminCode::Internal,
    }
}

/// The message of an application error with its code, for the top of a form.
pub(crate) fn app_error_text(e: &AppError) -> String {
    format!("{e} ({})", app_code(e).code())
}

impl From<StoreError> for PortalError {
    fn from(e: StoreError) -> PortalError {
        PortalError::with_code(store_code(&e), &e)
    }
}

impl From<DirectoryError> for PortalError {
    fn from(e: DirectoryError) -> PortalError {
        PortalError::with_code(directory_code(&e), &e)
    }
}

impl From<SelfServiceError> for PortalError {
    fn from(e: SelfServiceError) -> PortalError {
        match e {
            SelfServiceError::Directory(d) => d.into(),
            SelfServiceError::Store(s) => s.into(),
            SelfServiceError::Link { .. } | SelfServiceError::Refused { .. } => {
                PortalError::with_code(AdminCode::Invalid, &e)
            }
            SelfServiceError::Mail(_) | SelfServiceError::Hash(_) => PortalError::internal(e),
        }
    }
}

impl From<AppError> for PortalError {
    fn from(e: AppError) -> PortalError {
        PortalError::with_code(app_code(&e), &e)
    }
}
