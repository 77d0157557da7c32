//! Portal area: logs and settings — Sign-in logs (both administrator roles: they hold
//! personal data, shown to nobody else), Audit logs and Settings with its Email page (Global Administrators).

mod audit;
mod email;
mod password_policy;
mod password_reset;
mod settings;
mod signins;
mod window;

pub(super) use signins::last_failure_html;

use crate::web::state::AppState;
use axum::Router;

/// The routes of this area.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .merge(signins::routes())
        .merge(audit::routes())
        .merge(settings::routes())
        .merge(email::routes())
        .merge(password_policy::routes())
        .merge(password_reset::routes())
}
