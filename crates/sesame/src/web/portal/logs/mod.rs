//! Portal area: logs and settings — Sign-in logs (both administrator roles: they hold
//! personal data, shown to nobody else), Audit logs and Settings (Global Administrators).

mod audit;
mod settings;
mod signins;

use crate::web::portal::kit;
use crate::web::portal::{page_with_status, Crumb, Flash, Section, SignedIn};
use crate::web::AppState;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Router;
use std::collections::HashMap;

/// The routes of this area.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .merge(signins::routes())
        .merge(audit::routes())
        .merge(settings::routes())
}

/// A filter value of a log list's query string, trimmed (`""` when absent).
fn q<'a>(query: &'a HashMap<String, String>, k: &str) -> &'a str {
    query.get(k).map(|s| s.trim()).unwrap_or("")
}

/// The time window and page of a log list: `?range=&from=&to=&page=`.
struct Window {
    range: String,
    from: String,
    to: String,
    page: i64,
    /// (from, to) in Unix ms when the window is valid.
    bounds: Option<(Option<i64>, Option<i64>)>,
    /// What to show next to the fields when it is not.
    error: String,
}

impl Window {
    fn from_query(query: &HashMap<String, String>) -> Window {
        let (range, from, to) = (q(query, "range"), q(query, "from"), q(query, "to"));
        let (bounds, error) = match kit::time_range(range, from, to, kit::now_ms()) {
            Ok(b) => (Some(b), String::new()),
            Err(e) => (None, e),
        };
        Window {
            range: range.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
            page: kit::page_number(query.get("page").map(String::as_str)),
            bounds,
            error,
        }
    }

    /// `range=…&from=…&to=…&`: the window's part of a pager's base URL.
    fn query(&self) -> String {
        format!(
            "range={}&from={}&to={}&",
            kit::q(&self.range),
            kit::q(&self.from),
            kit::q(&self.to)
        )
    }
}

/// A log list page: 422 with the SESAME910004 flash when its time window is not valid.
fn list_page(
    state: &AppState,
    si: &SignedIn,
    section: Section,
    title: &str,
    body: &str,
    window_error: bool,
) -> Response {
    page_with_status(
        state,
        si,
        section,
        title,
        vec![Crumb::new("/admin", "Overview"), Crumb::new("", title)],
        if window_error {
            Flash::error("SESAME910004: the time range is not valid; correct it below.")
        } else {
            None
        },
        body,
        if window_error {
            kit::UNPROCESSABLE
        } else {
            StatusCode::OK
        },
    )
}
