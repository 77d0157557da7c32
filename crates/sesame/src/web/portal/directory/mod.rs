//! Portal area: the directory — Users (list, New user, the user's page), Groups (list,
//! New group, members) and Roles and administrators. Reading users and groups needs
//! `ReadDirectory` (both roles: Application Administrators pick whom to assign); every
//! change needs `ManageDirectory`, roles need `ManageRoles` (Global Administrators).
//!
//! Every POST: CSRF first, then the role, then the input; a change is recorded in the
//! audit log, then the browser is redirected (303) to a page showing what was done.

mod form;
mod groups;
mod methods;
mod roles;
mod sessions;
mod users;

use crate::web::state::AppState;
use axum::Router;

/// The routes of this area.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .merge(users::routes())
        .merge(groups::routes())
        .merge(roles::routes())
        .merge(methods::routes())
        .merge(sessions::routes())
}
