//! Audit logs: every change from the portal, the REST API and the CLI, filtered by
//! actor, action prefix, target and time; a row's details show the object before and
//! after side by side (secrets already redacted when recorded). Global Administrators.

use super::window::{list_page, q, Window};
use crate::admin::Permission;
use crate::store::{AuditRow, AuditSearch};
use crate::web::portal::access::{require, Admin};
use crate::web::portal::error::{PortalError, PortalResult};
use crate::web::portal::kit::{self, Pager};
use crate::web::portal::layout::{page, render, Crumb, Section};
use crate::web::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;

const PER_PAGE: i64 = 50;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/audit", get(list))
        .route("/admin/audit/{id}", get(details))
}

struct Row {
    id: String,
    time: String,
    actor: String,
    actor_kind: String,
    action: String,
    target: String,
    target_kind: String,
}

#[derive(Template)]
#[template(path = "portal/logs/audit.html")]
struct ListBody {
    actor: String,
    action: String,
    target: String,
    range: String,
    from: String,
    to: String,
    range_error: String,
    rows: Vec<Row>,
    pager: Pager,
}

async fn list(
    State(state): State<AppState>,
    Admin(si): Admin,
    Query(query): Query<HashMap<String, String>>,
) -> PortalResult {
    require(&si, Permission::ReadAudit)?;
    let actor = q(&query, "actor").to_owned();
    let action = q(&query, "action").to_owned();
    let target = q(&query, "target").to_owned();
    let w = Window::from_query(&query);
    let mut rows = Vec::new();
    let mut has_next = false;
    if let Some((from_ms, to_ms)) = w.bounds {
        let f = AuditSearch {
            actor: (!actor.is_empty()).then(|| actor.clone()),
            action_prefix: (!action.is_empty()).then(|| action.clone()),
            target: (!target.is_empty()).then(|| target.clone()),
            from_ms,
            to_ms,
            limit: PER_PAGE + 1,
            offset: (w.page - 1) * PER_PAGE,
        };
        let found = state.store().audit_search(&f).await?;
        let (found, more) = kit::one_page(found, PER_PAGE);
        has_next = more;
        rows = found
            .into_iter()
            .map(|r| Row {
                time: kit::time_ms(r.time_ms),
                actor: r.actor,
                actor_kind: r.actor_kind,
                action: r.action,
                target: if r.target_name.is_empty() {
                    r.target_id
                } else {
                    r.target_name
                },
                target_kind: r.target_kind,
                id: r.id,
            })
            .collect();
    }
    let base = format!(
        "/admin/audit?actor={}&action={}&target={}&{}",
        kit::q(&actor),
        kit::q(&action),
        kit::q(&target),
        w.query()
    );
    let bad = w.bounds.is_none();
    let body = render(&ListBody {
        actor,
        action,
        target,
        range: w.range,
        from: w.from,
        to: w.to,
        range_error: w.error,
        rows,
        pager: Pager::new(&base, w.page, has_next),
    });
    Ok(list_page(
        &state,
        &si,
        Section::Audit,
        "Audit logs",
        &body,
        bad,
    ))
}

#[derive(Template)]
#[template(path = "portal/logs/audit_row.html")]
struct DetailsBody {
    r: AuditRow,
    time: String,
    before: String,
    after: String,
}

/// Stored JSON, indented for reading ('' stays '').
fn indented(json: &str) -> String {
    if json.trim().is_empty() {
        return String::new();
    }
    serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| json.to_owned())
}

async fn details(
    State(state): State<AppState>,
    Admin(si): Admin,
    Path(id): Path<String>,
) -> PortalResult {
    require(&si, Permission::ReadAudit)?;
    let r = match state.store().audit_by_id(&id).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return Err(PortalError::not_found(
                "No audit log row has this id. The Audit logs list shows every row.",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let body = render(&DetailsBody {
        time: kit::time_ms(r.time_ms),
        before: indented(&r.before_json),
        after: indented(&r.after_json),
        r,
    });
    Ok(page(
        &state,
        &si,
        Section::Audit,
        "Audit log details",
        vec![
            Crumb::new("/admin", "Overview"),
            Crumb::new("/admin/audit", "Audit logs"),
            Crumb::new("", "Details"),
        ],
        None,
        &body,
    ))
}
