//! The admin portal (`/admin/…`, Global and Application Administrators only) and My Apps
//! (`/myapps`, every signed-in user): server-rendered pages (askama templates in
//! `crates/sesame/templates/portal/`), one stylesheet and one small script served by
//! Sesame itself (`/assets/…`: Sesame runs in closed networks), usable without script.
//!
//! Every page goes through [`Admin`] or [`Member`]: no session → the login page (and back
//! here after it); a user without an admin role → 403 on every admin page. Every form
//! carries the session's CSRF token ([`super::auth`]), checked with [`check_csrf`] before
//! any change; every change is written to the audit log by the domain function or the
//! handler ([`crate::admin::audit`]).
//!
//! The areas, one module each: enterprise applications and the gallery (`apps`), users,
//! groups and roles (`directory`), sign-in and audit logs and settings (`logs`), My Apps
//! (`myapps`).

mod apps;
mod directory;
mod error;
mod kit;
mod logs;
mod myapps;

pub(crate) use error::{app_error_text, directory_code, PortalError, PortalResult};

use super::auth::{self, SignedIn};
use super::http::remember_next;
use super::state::AppState;
use crate::admin::errors::AdminCode;
use crate::admin::Permission;
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

/// The Content-Security-Policy of portal pages: Sesame's own stylesheet, script and
/// images only; forms to Sesame only; never framed.
pub(crate) const PORTAL_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The portal's routes (merged into [`super::router`]).
pub(crate) fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/assets/portal.css", get(css))
        .route("/assets/portal.js", get(js))
        .route("/admin", get(home))
        .merge(apps::routes())
        .merge(directory::routes())
        .merge(logs::routes())
        .merge(myapps::routes())
        .layer(axum::middleware::from_fn_with_state(state.clone(), edge))
}

/// The middleware of every portal route: a [`PortalError`] becomes its page, with the
/// request's correlation id; a page shown removes the show-once cookies (flash, secret).
async fn edge(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let corr = correlation(req.headers());
    let shown_once = kit::shown_once(req.headers());
    let mut r = next.run(req).await;
    if let Some(e) = r.extensions_mut().remove::<PortalError>() {
        r = e.page(&corr);
    }
    kit::clear_shown(&state, &shown_once, &mut r);
    r
}

async fn css() -> PortalResult {
    Ok(asset(
        "text/css; charset=utf-8",
        include_str!("../../../assets/portal.css"),
    ))
}

async fn js() -> PortalResult {
    Ok(asset(
        "text/javascript; charset=utf-8",
        include_str!("../../../assets/portal.js"),
    ))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// The signed-in user of an admin page: an administrator (any role). Without a session
/// the browser goes to the login page and comes back; a user without a role gets 403.
pub(crate) struct Admin(pub SignedIn);

/// The signed-in user of a My Apps page (any user).
pub(crate) struct Member(pub SignedIn);

impl FromRequestParts<AppState> for Member {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match auth::signed_in(state, &parts.headers).await {
            Ok(Some(si)) => Ok(Member(si)),
            Ok(None) => Err(to_login(state, parts)),
            Err(e) => Err(super::http::error_page(
                &e,
                &super::http::correlation(&parts.headers),
            )),
        }
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Member(si) = Member::from_request_parts(parts, state).await?;
        if !si.principal.is_admin() {
            return Err(PortalError::forbidden(
                "The admin portal is for administrators: your account holds no administrator \
                 role (Global Administrator or Application Administrator).",
            )
            .into_response());
        }
        Ok(Admin(si))
    }
}

/// 303 to the login page, remembering the page asked for (a same-site path only).
fn to_login(state: &AppState, parts: &Parts) -> Response {
    let tenant = state
        .cache()
        .get()
        .tenant
        .as_ref()
        .map(|t| t.id.clone())
        .unwrap_or_default();
    let next = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/admin".into());
    let mut r = Redirect::to(&format!("/{tenant}/login")).into_response();
    // Only a page can be returned to: a form's action answers POST only.
    let next = if parts.method == axum::http::Method::GET {
        next
    } else {
        String::new()
    };
    if let Some(v) = remember_next(state, &next) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// Refuses a state change whose CSRF token is missing or wrong (403 page).
pub(crate) fn check_csrf(si: &SignedIn, headers: &HeaderMap, token: &str) -> PortalResult<()> {
    if auth::csrf_ok(si, headers, token) {
        Ok(())
    } else {
        Err(PortalError::new(
            AdminCode::CsrfFailed,
            "The form did not carry this session's security token (it may be from an older \
             session, or from another site). Nothing was changed.",
        ))
    }
}

/// Refuses (403 page) when the administrator's roles do not allow `p`.
pub(crate) fn require(si: &SignedIn, p: Permission) -> PortalResult<()> {
    si.principal
        .require(p)
        .map_err(|e| PortalError::forbidden(e.to_string()))
}

/// The request's correlation id (for the audit log and error pages).
pub(crate) fn correlation(headers: &HeaderMap) -> String {
    super::http::correlation(headers)
}

/// An entry of the side navigation.
pub(crate) struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// A breadcrumb ('' href: the current page).
pub(crate) struct Crumb {
    pub href: String,
    pub label: String,
}

impl Crumb {
    pub(crate) fn new(href: impl Into<String>, label: impl Into<String>) -> Crumb {
        Crumb {
            href: href.into(),
            label: label.into(),
        }
    }
}

/// A message shown at the top of a page (`kind`: `ok` or `error`).
pub(crate) struct Flash {
    pub kind: &'static str,
    pub text: String,
}

impl Flash {
    pub(crate) fn ok(text: impl Into<String>) -> Option<Flash> {
        Some(Flash {
            kind: "ok",
            text: text.into(),
        })
    }

    pub(crate) fn error(text: impl Into<String>) -> Option<Flash> {
        Some(Flash {
            kind: "error",
            text: text.into(),
        })
    }
}

/// The sections of the side navigation (`Section::None` for My Apps pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Home,
    Users,
    Groups,
    Apps,
    Signins,
    Audit,
    Roles,
    Settings,
    MyApps,
}

#[derive(Template)]
#[template(path = "portal/layout.html")]
struct Layout<'a> {
    title: &'a str,
    csrf: &'a str,
    admin: bool,
    is_admin: bool,
    upn: &'a str,
    display_name: &'a str,
    signout_url: String,
    nav: Vec<NavItem>,
    breadcrumbs: Vec<Crumb>,
    flash: Option<Flash>,
    body: &'a str,
}

/// A whole page: the layout around `body` (HTML already rendered and escaped, from a
/// template), with the portal's CSP.
pub(crate) fn page(
    state: &AppState,
    si: &SignedIn,
    section: Section,
    title: &str,
    breadcrumbs: Vec<Crumb>,
    flash: Option<Flash>,
    body: &str,
) -> Response {
    page_with_status(
        state,
        si,
        section,
        title,
        breadcrumbs,
        flash,
        body,
        StatusCode::OK,
    )
}

/// [`page`] with another status (a form shown again with its errors: 422).
#[allow(clippy::too_many_arguments)]
pub(crate) fn page_with_status(
    state: &AppState,
    si: &SignedIn,
    section: Section,
    title: &str,
    breadcrumbs: Vec<Crumb>,
    flash: Option<Flash>,
    body: &str,
    status: StatusCode,
) -> Response {
    let admin = section != Section::MyApps;
    let p = &si.principal;
    let entries: [(&'static str, &'static str, Section, Option<Permission>); 8] = [
        ("/admin", "Overview", Section::Home, None),
        (
            "/admin/users",
            "Users",
            Section::Users,
            Some(Permission::ReadDirectory),
        ),
        (
            "/admin/groups",
            "Groups",
            Section::Groups,
            Some(Permission::ReadDirectory),
        ),
        (
            "/admin/apps",
            "Enterprise applications",
            Section::Apps,
            Some(Permission::ManageApps),
        ),
        (
            "/admin/signins",
            "Sign-in logs",
            Section::Signins,
            Some(Permission::ReadSignins),
        ),
        (
            "/admin/audit",
            "Audit logs",
            Section::Audit,
            Some(Permission::ReadAudit),
        ),
        (
            "/admin/roles",
            "Roles and administrators",
            Section::Roles,
            Some(Permission::ManageRoles),
        ),
        (
            "/admin/settings",
            "Settings",
            Section::Settings,
            Some(Permission::ManageRoles),
        ),
    ];
    let nav = entries
        .into_iter()
        .filter(|(_, _, _, perm)| perm.is_none_or(|x| p.can(x)))
        .map(|(href, label, s, _)| NavItem {
            href,
            label,
            active: s == section,
        })
        .collect();
    let tenant = state
        .cache()
        .get()
        .tenant
        .as_ref()
        .map(|t| t.id.clone())
        .unwrap_or_default();
    let layout = Layout {
        title,
        csrf: &si.csrf,
        admin,
        is_admin: p.is_admin(),
        upn: &si.user.upn,
        display_name: if si.user.display_name.is_empty() {
            &si.user.upn
        } else {
            &si.user.display_name
        },
        signout_url: format!("/{tenant}/signout"),
        nav,
        breadcrumbs,
        flash,
        body,
    };
    html(status, render(&layout))
}

/// Renders a template; a template error (a bug) becomes a short error text, logged.
pub(crate) fn render<T: Template>(t: &T) -> String {
    t.render().unwrap_or_else(|e| {
        tracing::error!("template error: {e}");
        "<p class=\"err\">This page could not be rendered (SESAME910010). See the server log.</p>"
            .to_owned()
    })
}

/// An HTML response with the portal's headers.
pub(crate) fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PORTAL_CSP),
    );
    r
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomeBody<'a> {
    display_name: &'a str,
    roles: Vec<&'static str>,
    users: usize,
    groups: usize,
    apps: usize,
    can_directory: bool,
}

/// `GET /admin`: the overview.
async fn home(
    axum::extract::State(state): axum::extract::State<AppState>,
    Admin(si): Admin,
) -> PortalResult {
    let store = state.store();
    let users = store.users_count().await.unwrap_or(0);
    let groups = store.groups_count().await.unwrap_or(0);
    let apps = state.cache().get().app_count();
    let body = render(&HomeBody {
        display_name: &si.user.display_name,
        roles: si.principal.roles.iter().map(|r| r.as_str()).collect(),
        users,
        groups,
        apps,
        can_directory: si.principal.can(Permission::ReadDirectory),
    });
    Ok(page(
        &state,
        &si,
        Section::Home,
        "Overview",
        vec![],
        None,
        &body,
    ))
}
