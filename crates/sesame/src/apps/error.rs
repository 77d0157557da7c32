//! The errors of the application layer, and how store and claim errors become them.

use crate::directory::DirectoryError;
use crate::model::claims::ClaimError;
use crate::store::StoreError;
use crate::tenant::TenantError;
use thiserror::Error;

/// Errors of the application layer. Messages say which field or object, what was wrong
/// and how to fix it.
#[derive(Debug, Error)]
pub enum AppError {
    /// A value is refused; `field` is the portal's name for it.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// No such app, certificate, role or assignment.
    #[error("{0}")]
    NotFound(String),
    /// A unique value is taken, or the change is refused by a rule.
    #[error("{0}")]
    Conflict(String),
    /// A name matches several apps.
    #[error("{0}")]
    Ambiguous(String),
    /// Key or certificate generation or decoding.
    #[error("signing key: {0}")]
    Key(String),
    /// A user or group lookup.
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// Master key and tenant.
    #[error(transparent)]
    Tenant(#[from] TenantError),
    /// Storage failure.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => AppError::NotFound(m),
            other => AppError::Store(other),
        }
    }
}

impl From<ClaimError> for AppError {
    fn from(e: ClaimError) -> Self {
        let field = match &e {
            ClaimError::Invalid { field, .. } => field,
            _ => "claim source",
        };
        AppError::Invalid {
            field,
            reason: match e {
                ClaimError::Invalid { reason, .. } => reason,
                other => other.to_string(),
            },
        }
    }
}
