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
    ConditionalAccess,
    AuthenticationMethods,
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
    // A form shown again with its errors starts at its first field to fix.
    let marked;
    let body = if status.is_client_error() {
        marked = mark_invalid_fields(body);
        marked.as_str()
    } else {
        body
    };
    let p = &si.principal;
    let entries: [(&'static str, &'static str, Section, Option<Permission>); 10] = [
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
            "/admin/conditional-access",
            "Conditional Access",
            Section::ConditionalAccess,
            Some(Permission::ManageRoles),
        ),
        (
            "/admin/authentication-methods",
            "Authentication methods",
            Section::AuthenticationMethods,
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

/// A form shown again with its errors (a 4xx page): every field marked
/// `aria-invalid="true"` is described by the error message that follows it
/// (`aria-describedby`; the message gets an id when it has none), and the first of them
/// gets `autofocus`, so the cursor and a screen reader start at the first field to fix.
/// Templates only mark the field and write its `<p class="field-error">`.
pub(crate) fn mark_invalid_fields(body: &str) -> String {
    const MARK: &str = "aria-invalid=\"true\"";
    const MESSAGE: &str = "<p class=\"field-error\"";
    // Insertions (position in `body`, text), applied from the end.
    let mut edits: Vec<(usize, String)> = Vec::new();
    let mut focused = false;
    let mut pos = 0;
    let mut n = 0;
    while let Some(i) = body[pos..].find(MARK) {
        let at = pos + i;
        pos = at + MARK.len();
        let Some(start) = body[..at].rfind('<') else {
            continue;
        };
        let Some(end) = body[at..].find('>').map(|j| at + j) else {
            break;
        };
        let tag = &body[start..end];
        if !["<input", "<select", "<textarea"]
            .iter()
            .any(|t| tag.starts_with(t))
        {
            continue;
        }
        n += 1;
        let field_id = tag_attr(tag, "id").unwrap_or_else(|| format!("invalid-field-{n}"));
        // The field's message: the next field-error before the next field or label.
        let after = &body[end..];
        let stop = [
            "<label",
            "<input",
            "<select",
            "<textarea",
            "<fieldset",
            "</form>",
        ]
        .iter()
        .filter_map(|t| after.find(t))
        .min()
        .unwrap_or(after.len());
        let message = after[..stop].find(MESSAGE).map(|j| end + j);
        let mut add = String::new();
        if let Some(m) = message {
            let mtag_end = body[m..].find('>').map_or(body.len(), |j| m + j);
            let msg_id = match tag_attr(&body[m..mtag_end], "id") {
                Some(id) => id,
                None => {
                    let id = format!("{field_id}-error");
                    edits.push((m + 2, format!(" id=\"{id}\"")));
                    id
                }
            };
            match tag.find("aria-describedby=\"") {
                Some(d) => {
                    let value_at = start + d + "aria-describedby=\"".len();
                    if !tag_attr(tag, "aria-describedby")
                        .is_some_and(|v| v.split(' ').any(|x| x == msg_id))
                    {
                        edits.push((value_at, format!("{msg_id} ")));
                    }
                }
                None => add.push_str(&format!(" aria-describedby=\"{msg_id}\"")),
            }
        }
        if !focused {
            focused = true;
            if !tag.contains(" autofocus") {
                add.push_str(" autofocus");
            }
        }
        if !add.is_empty() {
            // Before `>` (or `/>`).
            let at_end = if body[..end].ends_with('/') {
                end - 1
            } else {
                end
            };
            edits.push((at_end, add));
        }
    }
    if edits.is_empty() {
        return body.to_owned();
    }
    edits.sort_by_key(|(p, _)| *p);
    let mut out = String::with_capacity(body.len() + 64 * edits.len());
    let mut last = 0;
    for (p, text) in edits {
        out.push_str(&body[last..p]);
        out.push_str(&text);
        last = p;
    }
    out.push_str(&body[last..]);
    out
}

/// The value of the attribute `name` of a start tag's text (templates write values
/// between double quotes).
fn tag_attr(tag: &str, name: &str) -> Option<String> {
    let pat = format!(" {name}=\"");
    let i = tag.find(&pat)? + pat.len();
    let j = tag[i..].find('"')?;
    Some(tag[i..i + j].to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_first_invalid_field_is_focused_and_described() {
        let html = r#"<form><label for="a">A</label><input type="text" id="a" name="a">
<label for="b">B</label><input type="text" id="b" name="b" aria-invalid="true">
<p class="field-error" role="alert">B is wrong</p>
<label for="c">C</label><select id="c" name="c" aria-describedby="hint" aria-invalid="true"><option>x</option></select>
<p class="field-error" id="c-msg">C is wrong</p><p id="hint">hint</p></form>"#;
        let out = mark_invalid_fields(html);
        assert!(
            out.contains(r#"<input type="text" id="b" name="b" aria-invalid="true" aria-describedby="b-error" autofocus>"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<p id="b-error" class="field-error" role="alert">B is wrong</p>"#),
            "{out}"
        );
        assert!(
            out.contains(
                r#"<select id="c" name="c" aria-describedby="c-msg hint" aria-invalid="true">"#
            ),
            "{out}"
        );
        assert_eq!(out.matches("autofocus").count(), 1, "{out}");
        // A page without errors is unchanged.
        let plain = "<form><input id=\"x\"></form>";
        assert_eq!(mark_invalid_fields(plain), plain);
        // Already described: kept as it is, focused.
        let described = r#"<input id="u" aria-invalid="true" aria-describedby="u-error">
<p class="field-error" id="u-error">bad</p>"#;
        let out = mark_invalid_fields(described);
        assert!(
            out.contains(r#"aria-describedby="u-error" autofocus>"#),
            "{out}"
        );
        assert_eq!(out.matches("u-error").count(), 2, "{out}");
    }
}
