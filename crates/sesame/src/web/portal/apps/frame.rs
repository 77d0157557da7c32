//! What the pages of an application share: the checks of a change ([`guard`],
//! [`form_app`], [`app_or_404`]), recording it ([`audit`]), and the application page with
//! its blades ([`app_page`]).

use crate::admin::audit::Change;
use crate::admin::Permission;
use crate::apps::App;
use crate::web::auth::SignedIn;
use crate::web::portal::access::{check_csrf, require};
use crate::web::portal::error::{PortalError, PortalResult};
use crate::web::portal::kit::{self, Fields};
use crate::web::portal::layout::{page_with_status, render, Crumb, Flash, Section};
use crate::web::state::AppState;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

/// CSRF first, then the role: the checks of every POST of this area.
pub(super) fn guard(si: &SignedIn, headers: &HeaderMap, f: &Fields) -> PortalResult<()> {
    check_csrf(si, headers, f.raw(crate::web::auth::CSRF_FIELD))?;
    require(si, Permission::ManageApps)
}

/// A form POST on application `id`: the CSRF token and the role ([`guard`]), then the
/// application ([`app_or_404`]).
pub(super) async fn form_app(
    state: &AppState,
    si: &SignedIn,
    headers: &HeaderMap,
    f: &Fields,
    id: &str,
) -> PortalResult<App> {
    guard(si, headers, f)?;
    app_or_404(state, si, id).await
}

/// The application `id`, or a 404 page (after the role check).
pub(super) async fn app_or_404(state: &AppState, si: &SignedIn, id: &str) -> PortalResult<App> {
    require(si, Permission::ManageApps)?;
    match state.store().app_by_id(id).await {
        Ok(Some(a)) => Ok(a),
        Ok(None) => Err(PortalError::not_found(format!(
                "No application has the id {id}. It may have been deleted; All applications lists them."
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Records a change made by the signed-in administrator ([`kit::record`]) and tells the
/// SSO cache.
pub(super) async fn audit(state: &AppState, si: &SignedIn, headers: &HeaderMap, change: Change) {
    kit::record(state, si, headers, change).await;
    state.config_changed().await;
}

/// A field error of a form shown again: (field key, message).
pub(super) type FieldError = Option<(&'static str, String)>;

/// The blades (left tabs) of an application page.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Blade {
    Overview,
    Properties,
    Users,
    Sso,
}

#[derive(askama::Template)]
#[template(path = "portal/apps/frame.html")]
struct Frame<'a> {
    app_id: &'a str,
    app_name: &'a str,
    blade: Blade,
    body: &'a str,
}

/// An application page: the app's header and blades around `body`.
#[allow(clippy::too_many_arguments)]
pub(super) fn app_page(
    state: &AppState,
    si: &SignedIn,
    app: &App,
    blade: Blade,
    title: &str,
    extra_crumbs: Vec<Crumb>,
    flash: Option<Flash>,
    body: &str,
    status: StatusCode,
) -> Response {
    let framed = render(&Frame {
        app_id: &app.id,
        app_name: &app.name,
        blade,
        body,
    });
    let mut crumbs = vec![
        Crumb::new("/admin/apps", "Enterprise applications"),
        Crumb::new(format!("/admin/apps/{}", app.id), app.name.clone()),
    ];
    crumbs.extend(extra_crumbs);
    if let Some(last) = crumbs.last_mut() {
        last.href.clear();
    }
    let full_title = format!("{} · {title}", app.name);
    page_with_status(
        state,
        si,
        Section::Apps,
        &full_title,
        crumbs,
        flash,
        &framed,
        status,
    )
}

/// The placeholder patterns of a gallery URL field as the page's script reads them
/// (`data-patterns`: `<UID>` written `{UID}`), JSON.
pub(super) fn patterns_json(field: Option<&crate::gallery::UrlField>) -> String {
    let list: Vec<String> = match field {
        Some(f) => match f.fixed() {
            Some(v) => vec![v.to_owned()],
            None => f
                .patterns()
                .iter()
                .map(|p| p.as_str().replace('<', "{").replace('>', "}"))
                .collect(),
        },
        None => Vec::new(),
    };
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
}

/// The warning about the app's active signing certificate within 60 days of its expiry
/// ("The active signing certificate expires on DATE (N days)"), shown as a banner.
pub(super) async fn cert_expiry_warning(state: &AppState, app_id: &str) -> Option<String> {
    let list = crate::apps::certs::list(state.store(), app_id).await.ok()?;
    let c = list.iter().find(|c| c.active)?;
    crate::apps::expiry::warning(c.not_after, crate::clock::now_unix())
}

/// Whether an app has its SAML single sign-on set up (an Identifier, a Reply URL and
/// what its gallery template requires: `crate::apps::missing_settings`).
pub(super) fn sso_configured(app: &App) -> bool {
    crate::apps::is_saml_configured(app)
}
