//! What the sign-in and audit log lists share: the time window of `?range=&from=&to=`
//! (with its error), the page number, and the list page around a rendered table.

use crate::web::auth::SignedIn;
use crate::web::portal::kit;
use crate::web::portal::layout::{page_with_status, Crumb, Flash, Section};
use crate::web::state::AppState;
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::HashMap;

/// A filter value of a log list's query string, trimmed (`""` when absent).
pub(super) fn q<'a>(query: &'a HashMap<String, String>, k: &str) -> &'a str {
    query.get(k).map(|s| s.trim()).unwrap_or("")
}

/// The time window and page of a log list: `?range=&from=&to=&page=`.
pub(super) struct Window {
    pub(super) range: String,
    pub(super) from: String,
    pub(super) to: String,
    pub(super) page: i64,
    /// (from, to) in Unix ms when the window is valid.
    pub(super) bounds: Option<(Option<i64>, Option<i64>)>,
    /// What to show next to the fields when it is not.
    pub(super) error: String,
}

impl Window {
    pub(super) fn from_query(query: &HashMap<String, String>) -> Window {
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
    pub(super) fn query(&self) -> String {
        format!(
            "range={}&from={}&to={}&",
            kit::q(&self.range),
            kit::q(&self.from),
            kit::q(&self.to)
        )
    }
}

/// A log list page: 422 with the SESAME910004 flash when its time window is not valid.
pub(super) fn list_page(
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
