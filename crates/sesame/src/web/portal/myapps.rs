//! My Apps (`/myapps`, every signed-in user): a tile per application the user may open —
//! enabled, visible to users, its SAML configured, and assigned to the user (directly or through a group)
//! unless the application does not require assignment. A tile opens the application's
//! launch URL, which applies the identity-provider rule: IdP-initiated SSO when the Sign
//! on URL is empty, otherwise the Sign on URL (the application then sends an
//! AuthnRequest). Like the seeds' "Access Panel" / "My Apps".

use super::access::Member;
use super::error::{PortalError, PortalResult};
use super::kit;
use super::layout::{page, render, Crumb, Section};
use crate::apps::{assignments, App};
use crate::web::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

/// The routes of this area.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/myapps", get(myapps))
        .route("/myapps/logo/{id}", get(logo))
}

/// The CSP of an image served by Sesame: an SVG opened on its own runs no script.
const IMAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/// Whether `user_id` may open `app` from My Apps.
async fn may_open(
    state: &AppState,
    app: &App,
    user_id: &str,
) -> Result<bool, crate::store::StoreError> {
    // An app whose SAML is not configured yet has no tile: opening it could only fail.
    if !(app.enabled && app.visible && crate::apps::is_saml_configured(app)) {
        return Ok(false);
    }
    if !app.assignment_required {
        return Ok(true);
    }
    Ok(
        assignments::user_assignment(state.store(), &app.id, user_id)
            .await?
            .is_some(),
    )
}

/// `GET /myapps/logo/{id}`: the uploaded logo (sanitised when it was uploaded) of an
/// application the user may open; 404 for any other.
async fn logo(
    State(state): State<AppState>,
    Member(si): Member,
    Path(id): Path<String>,
) -> PortalResult {
    let store = state.store();
    let app = match store.app_by_id(&id).await {
        Ok(Some(a)) => a,
        Ok(None) => return Ok(StatusCode::NOT_FOUND.into_response()),
        Err(e) => return Err(e.into()),
    };
    match may_open(&state, &app, &si.user.id).await {
        Ok(true) => {}
        Ok(false) => return Ok(StatusCode::NOT_FOUND.into_response()),
        Err(e) => return Err(e.into()),
    }
    let l = match store.app_logo(&app.id).await {
        Ok(Some(l)) => l,
        Ok(None) => return Ok(StatusCode::NOT_FOUND.into_response()),
        Err(e) => return Err(e.into()),
    };
    let mut r = l.data.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&l.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(IMAGE_CSP),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=60"),
    );
    Ok(r)
}

struct Tile {
    name: String,
    url: String,
    logo: String,
    initials: String,
    search: String,
}

#[derive(Template)]
#[template(path = "portal/myapps/myapps.html")]
struct MyAppsBody<'a> {
    display_name: &'a str,
    tiles: Vec<Tile>,
}

/// The gallery logo of `app` as a `data:` URI (the CSP allows `data:` images; an SVG in
/// an `<img>` runs no script), or '' for a custom application.
fn logo_of(app: &App) -> String {
    app.gallery_id
        .as_deref()
        .and_then(crate::gallery::template)
        .map(|t| {
            format!(
                "data:image/svg+xml;base64,{}",
                B64.encode(t.logo_svg.as_bytes())
            )
        })
        .unwrap_or_default()
}

/// Up to two initials of the application's name, for tiles without a logo.
fn initials(name: &str) -> String {
    let mut s: String = name
        .split(|c: char| !c.is_alphanumeric())
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase();
    if s.is_empty() {
        s.push('?');
    }
    s
}

async fn myapps(
    State(state): State<AppState>,
    Member(si): Member,
    kit::Flashed(flash): kit::Flashed,
) -> PortalResult {
    let store = state.store();
    let Some(tenant) = state.cache().get().tenant.clone() else {
        return Err(PortalError::with_code(
            crate::admin::errors::AdminCode::Unavailable,
            &"the tenant is not loaded yet",
        ));
    };
    let apps = store.list_apps().await?;
    let uploaded = store.app_logo_ids().await?;
    let mut tiles = Vec::new();
    for app in &apps {
        match may_open(&state, app, &si.user.id).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => return Err(e.into()),
        }
        tiles.push(Tile {
            name: app.name.clone(),
            url: tenant.launch_url(&app.id),
            logo: if uploaded.contains(&app.id) {
                format!("/myapps/logo/{}", app.id)
            } else {
                logo_of(app)
            },
            initials: initials(&app.name),
            search: app.name.clone(),
        });
    }
    tiles.sort_by_key(|t| t.name.to_lowercase());
    let body = render(&MyAppsBody {
        display_name: if si.user.display_name.is_empty() {
            &si.user.upn
        } else {
            &si.user.display_name
        },
        tiles,
    });
    Ok(page(
        &state,
        &si,
        Section::MyApps,
        "My Apps",
        Vec::<Crumb>::new(),
        flash,
        &body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_of_names() {
        assert_eq!(initials("Sesame Test App"), "ST");
        assert_eq!(initials("convene"), "C");
        assert_eq!(initials("--"), "?");
    }
}
