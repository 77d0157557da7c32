//! All applications (`/admin/apps`): the list with search, status filter and tiles; an
//! app whose active signing certificate expires within 60 days (or has expired) is marked.

use super::frame::sso_configured;
use crate::admin::Permission;
use crate::apps::expiry;
use crate::gallery;
use crate::web::portal::access::{require, Admin};
use crate::web::portal::error::PortalResult;
use crate::web::portal::kit;
use crate::web::portal::layout::{page, render, Crumb, Section};
use crate::web::state::AppState;
use axum::extract::{Query, State};
use std::collections::HashMap;

struct AppRow {
    id: String,
    name: String,
    template: String,
    enabled: bool,
    configured: bool,
    identifier: String,
    search: String,
    /// Within 60 days of the active certificate's expiry: `Certificate expires in N days`.
    cert: String,
}

#[derive(askama::Template)]
#[template(path = "portal/apps/list.html")]
struct ListBody {
    q: String,
    status: String,
    tiles: bool,
    rows: Vec<AppRow>,
    total: usize,
}

/// `GET /admin/apps?q=&status=enabled|disabled|configured|unconfigured[&view=tiles]`.
pub(super) async fn list(
    State(state): State<AppState>,
    Admin(si): Admin,
    kit::Flashed(flash): kit::Flashed,
    Query(q): Query<HashMap<String, String>>,
) -> PortalResult {
    require(&si, Permission::ManageApps)?;
    let apps = state.store().list_apps().await?;
    let now = crate::clock::now_unix();
    let expiring: HashMap<String, String> = state
        .store()
        .active_certificates()
        .await?
        .into_iter()
        .filter_map(|c| expiry::mark(c.not_after, now).map(|m| (c.app_id, m)))
        .collect();
    let text = q
        .get("q")
        .map(|s| s.trim().to_lowercase())
        .unwrap_or_default();
    let status = q.get("status").cloned().unwrap_or_default();
    let total = apps.len();
    let rows = apps
        .into_iter()
        .filter(|a| {
            let hay = format!(
                "{} {} {}",
                a.name,
                a.id,
                a.gallery_id.as_deref().unwrap_or_default()
            )
            .to_lowercase();
            (text.is_empty() || hay.contains(&text))
                && match status.as_str() {
                    "enabled" => a.enabled,
                    "disabled" => !a.enabled,
                    "configured" => sso_configured(a),
                    "unconfigured" => !sso_configured(a),
                    _ => true,
                }
        })
        .map(|a| AppRow {
            cert: expiring.get(&a.id).cloned().unwrap_or_default(),
            search: format!("{} {}", a.name, a.gallery_id.as_deref().unwrap_or_default()),
            configured: sso_configured(&a),
            identifier: a.saml.default_identifier().unwrap_or_default().to_owned(),
            template: a
                .gallery_id
                .as_deref()
                .and_then(gallery::template)
                .map(|t| t.name.clone())
                .unwrap_or_else(|| "Custom (non-gallery)".into()),
            enabled: a.enabled,
            id: a.id,
            name: a.name,
        })
        .collect();
    let body = render(&ListBody {
        q: q.get("q").cloned().unwrap_or_default(),
        tiles: q.get("view").is_some_and(|v| v == "tiles"),
        status,
        rows,
        total,
    });
    let flash = kit::flash_or_mail_banner(&state, flash).await;
    Ok(page(
        &state,
        &si,
        Section::Apps,
        "Enterprise applications",
        vec![Crumb::new("", "Enterprise applications")],
        flash,
        &body,
    ))
}
