//! The portal's page kit: the layout (side navigation, breadcrumbs, flash) around a
//! rendered template, the portal's Content-Security-Policy and HTML responses.

use crate::admin::Permission;
use crate::web::auth::SignedIn;
use crate::web::state::AppState;
use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The Content-Security-Policy of portal pages: Sesame's own stylesheet, script and
/// images only; forms to Sesame only; never framed.
pub(crate) const PORTAL_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

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

/// A message shown at the top of a page (`kind`: `ok`, `warn` or `error`).
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

    /// Done, but something needs the administrator's attention.
    pub(crate) fn warn(text: impl Into<String>) -> Option<Flash> {
        Some(Flash {
            kind: "warn",
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
