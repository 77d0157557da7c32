//! The API's extractors ([`ApiJson`], [`ApiQuery`], [`ApiPath`]): axum's, with their
//! rejections answered as problem details.

use super::error::ApiError;
use crate::web::http::BODY_LIMIT;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

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
