//! Portal area: the directory — Users (list, New user, the user's page), Groups (list,
//! New group, members) and Roles and administrators. Reading users and groups needs
//! `ReadDirectory` (both roles: Application Administrators pick whom to assign); every
//! change needs `ManageDirectory`, roles need `ManageRoles` (Global Administrators).
//!
//! Every POST: CSRF first, then the role, then the input; a change is recorded in the
//! audit log, then the browser is redirected (303) to a page showing what was done.

mod groups;
mod roles;
mod users;

use crate::web::AppState;
use axum::Router;

/// The routes of this area.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .merge(users::routes())
        .merge(groups::routes())
        .merge(roles::routes())
}

pub(super) use crate::web::portal::kit::record;

/// Field errors of a form shown again: input name → what to fix.
#[derive(Debug, Default)]
pub(super) struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub(super) fn add(&mut self, name: &'static str, msg: impl Into<String>) {
        self.0.push((name, msg.into()));
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, m)| m.as_str())
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The form input a directory validation error is about.
pub(super) fn input_of(field: &str) -> &'static str {
    match field {
        "user principal name" => "upn",
        "display name" => "display_name",
        "given name" => "given_name",
        "surname" => "surname",
        "mail" => "mail",
        "department" => "department",
        "job title" => "job_title",
        "group name" => "name",
        "description" => "description",
        _ => "form",
    }
}
