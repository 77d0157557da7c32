//! Portal area: logs (see `super`).

use crate::web::AppState;
use axum::Router;

/// The routes of this area.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
}
