//! Sign-in logs: the list filtered by application, user, status and time range (newest
//! first, paged), and a sign-in's details — the error code with its explanation and
//! fix, and the decoded SAML request and response. Administrators only (both roles):
//! the rows hold personal data.

use super::window::{list_page, q, Window};
use crate::admin::Permission;
use crate::sso::error_help::PortalFix;
use crate::sso::ErrorCode;
use crate::store::{SigninRow, SigninSearch};
use crate::web::portal::access::{require, Admin};
use crate::web::portal::error::{PortalError, PortalResult};
use crate::web::portal::kit;
use crate::web::portal::layout::{page, render, Crumb, Section};
use crate::web::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::Router;
use sesame_saml::xml::{Limits, NS_SAML};
use std::collections::HashMap;

const PER_PAGE: i64 = 50;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/signins", get(list))
        .route("/admin/signins/{id}", get(details))
}

struct AppOption {
    id: String,
    name: String,
}

struct Row {
    id: String,
    time: String,
    upn: String,
    app: String,
    ip: String,
    result: String,
    code: String,
}

#[derive(Template)]
#[template(path = "portal/logs/signins.html")]
struct ListBody {
    apps: Vec<AppOption>,
    app: String,
    user: String,
    status: String,
    range: String,
    from: String,
    to: String,
    range_error: String,
    rows: Vec<Row>,
    pager: kit::Pager,
}

async fn list(
    State(state): State<AppState>,
    Admin(si): Admin,
    Query(query): Query<HashMap<String, String>>,
) -> PortalResult {
    require(&si, Permission::ReadSignins)?;
    let cache = state.cache().get();
    let mut apps: Vec<AppOption> = cache
        .apps()
        .map(|a| AppOption {
            id: a.id.clone(),
            name: a.name.clone(),
        })
        .collect();
    apps.sort_by_key(|a| a.name.to_lowercase());
    let app = q(&query, "app").to_owned();
    let user = q(&query, "user").to_owned();
    let status = match q(&query, "status") {
        s @ ("success" | "failure" | "interrupted") => s.to_owned(),
        _ => String::new(),
    };
    let w = Window::from_query(&query);
    let mut rows = Vec::new();
    let mut has_next = false;
    if let Some((from_ms, to_ms)) = w.bounds {
        let f = SigninSearch {
            app_id: (!app.is_empty()).then(|| app.clone()),
            user: (!user.is_empty()).then(|| user.clone()),
            result: (!status.is_empty()).then(|| status.clone()),
            from_ms,
            to_ms,
            limit: PER_PAGE + 1,
            offset: (w.page - 1) * PER_PAGE,
        };
        let found = state.store().signins_search(&f).await?;
        let (found, more) = kit::one_page(found, PER_PAGE);
        has_next = more;
        rows = found
            .into_iter()
            .map(|r| Row {
                time: kit::time_ms(r.time_ms),
                upn: r.upn,
                app: r.app_name,
                ip: r.client_ip,
                result: r.result,
                code: r.error_code,
                id: r.id,
            })
            .collect();
    }
    let base = format!(
        "/admin/signins?app={}&user={}&status={}&{}",
        kit::q(&app),
        kit::q(&user),
        kit::q(&status),
        w.query()
    );
    let bad = w.bounds.is_none();
    let body = render(&ListBody {
        apps,
        app,
        user,
        status,
        range: w.range,
        from: w.from,
        to: w.to,
        range_error: w.error,
        rows,
        pager: kit::Pager::new(&base, w.page, has_next),
    });
    Ok(list_page(
        &state,
        &si,
        Section::Signins,
        "Sign-in logs",
        &body,
        bad,
    ))
}

struct Attribute {
    name: String,
    values: String,
}

#[derive(Template)]
#[template(path = "portal/logs/signin.html")]
struct DetailsBody {
    r: SigninRow,
    time: String,
    app_link: String,
    code_title: String,
    code_explanation: String,
    code_fix: String,
    portal_fix: PortalFix,
    request: String,
    response: String,
    name_id: String,
    attributes: Vec<Attribute>,
}

/// The pretty-printed XML, or the text as stored when it does not parse.
fn pretty(text: &str) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    match sesame_saml::xml::parse(text, &Limits::MESSAGE) {
        Ok(doc) => crate::xmlfmt::pretty_without_signature_values(&doc),
        Err(_) => text.to_owned(),
    }
}

/// The NameID and the attributes of the Response's assertion.
fn attributes_of(response: &str) -> (String, Vec<Attribute>) {
    let Ok(doc) = sesame_saml::xml::parse(response, &Limits::MESSAGE) else {
        return (String::new(), Vec::new());
    };
    let in_saml = |n: &roxmltree::Node<'_, '_>, local: &str| {
        n.is_element() && n.tag_name().name() == local && n.tag_name().namespace() == Some(NS_SAML)
    };
    let name_id = doc
        .descendants()
        .find(|n| in_saml(n, "NameID"))
        .and_then(|n| n.text())
        .unwrap_or("")
        .to_owned();
    let attributes = doc
        .descendants()
        .filter(|n| in_saml(n, "Attribute"))
        .map(|a| Attribute {
            name: a.attribute("Name").unwrap_or("").to_owned(),
            values: a
                .children()
                .filter(|v| in_saml(v, "AttributeValue"))
                .map(|v| v.text().unwrap_or("").to_owned())
                .collect::<Vec<_>>()
                .join("; "),
        })
        .collect();
    (name_id, attributes)
}

/// The portal fix of a failed row: the application's page when it still exists.
fn signin_fix(code: Option<ErrorCode>, r: &SigninRow, app_exists: bool) -> PortalFix {
    let app = match &r.app_id {
        Some(id) if app_exists => Some((id.as_str(), r.app_name.as_str())),
        _ => None,
    };
    match code {
        Some(c) => c.portal_fix(app, r.user_id.as_deref()),
        None => PortalFix {
            steps: String::new(),
            href: String::new(),
            label: String::new(),
        },
    }
}

/// How far back the Test page looks for the administrator's own failed sign-in.
const LAST_FAILURE_WINDOW_MS: i64 = 60 * 60 * 1000;

/// The Test page's failure display: when `upn`'s newest sign-in to `app_id` in the last
/// hour failed, its code, the fix as portal steps with the page's link, the command-line
/// form, and a link to its details; `""` otherwise (or when the log cannot be read).
pub(crate) async fn last_failure_html(state: &AppState, app_id: &str, upn: &str) -> String {
    let now_ms = crate::sso::now().unix_millis();
    let f = SigninSearch {
        app_id: Some(app_id.to_owned()),
        user: Some(upn.to_owned()),
        result: None,
        from_ms: Some(now_ms - LAST_FAILURE_WINDOW_MS),
        to_ms: None,
        limit: 20,
        offset: 0,
    };
    let Ok(rows) = state.store().signins_search(&f).await else {
        return String::new();
    };
    let Some(r) = rows.into_iter().find(|r| r.upn.eq_ignore_ascii_case(upn)) else {
        return String::new();
    };
    if r.result != "failure" {
        return String::new();
    }
    let Some(code) = ErrorCode::ALL
        .iter()
        .copied()
        .find(|c| c.code() == r.error_code)
    else {
        return String::new();
    };
    let fix = signin_fix(Some(code), &r, true);
    failure_html(code, &r.id, &kit::time_ms(r.time_ms), &fix)
}

fn failure_html(code: ErrorCode, row_id: &str, time: &str, fix: &PortalFix) -> String {
    use crate::web::pages::esc;
    let link = if fix.href.is_empty() {
        String::new()
    } else {
        format!(
            " <a class=\"button\" href=\"{}\">{}</a>",
            esc(&fix.href),
            esc(&fix.label)
        )
    };
    format!(
        "<div class=\"flash error\" id=\"last-failure\" role=\"status\"><p>Your last test sign-in ({time} UTC) failed: \
<strong>{code}: {title}</strong>. <a href=\"/admin/signins/{id}\">Sign-in details</a></p>\
<p><strong>How to fix it:</strong> {steps}{link}</p><p class=\"hint\">From the command line: {cli}</p></div>",
        time = esc(time),
        code = code.code(),
        title = esc(code.title()),
        id = esc(row_id),
        steps = esc(&fix.steps),
        cli = esc(code.fix()),
    )
}

async fn details(
    State(state): State<AppState>,
    Admin(si): Admin,
    Path(id): Path<String>,
) -> PortalResult {
    require(&si, Permission::ReadSignins)?;
    let r = match state.store().signin_by_id(&id).await {
        Ok(Some(r)) => r,
        Ok(None) => return Err(PortalError::not_found(
            "No sign-in has this id: it may be older than the sign-in log retention (Settings). \
                 The Sign-in logs list shows the sign-ins kept.",
        )),
        Err(e) => return Err(e.into()),
    };
    let code = ErrorCode::ALL
        .iter()
        .copied()
        .find(|c| c.code() == r.error_code);
    let (name_id, attributes) = attributes_of(&r.saml_response);
    let app_link = match &r.app_id {
        Some(a) if state.cache().get().by_id(a).is_some() => format!("/admin/apps/{a}"),
        _ => String::new(),
    };
    let portal_fix = signin_fix(code, &r, !app_link.is_empty());
    let body = render(&DetailsBody {
        portal_fix,
        time: kit::time_ms(r.time_ms),
        app_link,
        code_title: code.map(|c| c.title().to_owned()).unwrap_or_default(),
        code_explanation: code.map(|c| c.explanation().to_owned()).unwrap_or_default(),
        code_fix: code.map(|c| c.fix().to_owned()).unwrap_or_default(),
        request: pretty(&r.saml_request),
        response: pretty(&r.saml_response),
        name_id,
        attributes,
        r,
    });
    Ok(page(
        &state,
        &si,
        Section::Signins,
        "Sign-in details",
        vec![
            Crumb::new("/admin", "Overview"),
            Crumb::new("/admin/signins", "Sign-in logs"),
            Crumb::new("", "Details"),
        ],
        None,
        &body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESPONSE: &str = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r"><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/><ds:SignatureValue>c2lnbmF0dXJl</ds:SignatureValue></ds:Signature><saml:Subject><saml:NameID>B.Simon@contoso.com</saml:NameID></saml:Subject><saml:AttributeStatement><saml:Attribute Name="groups"><saml:AttributeValue>Sales</saml:AttributeValue><saml:AttributeValue>Pilots</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>"#;

    #[test]
    fn the_test_page_failure_shows_the_portal_fix_first_and_the_command_second() {
        let f = ErrorCode::NotAssigned.portal_fix(Some(("a1", "Webex")), None);
        let html = failure_html(ErrorCode::NotAssigned, "row1", "2026-01-01 10:00:00", &f);
        let portal = html
            .find("Enterprise applications → Webex → Users and groups")
            .unwrap();
        let cli = html.find("From the command line: ").unwrap();
        assert!(portal < cli, "{html}");
        assert!(html.contains("href=\"/admin/apps/a1/users\""), "{html}");
        assert!(html.contains("href=\"/admin/signins/row1\""), "{html}");
    }

    #[test]
    fn claims_and_pretty_xml_of_a_response() {
        let (name_id, attrs) = attributes_of(RESPONSE);
        assert_eq!(name_id, "B.Simon@contoso.com");
        assert_eq!(attrs.len(), 1);
        assert_eq!(attrs[0].name, "groups");
        assert_eq!(attrs[0].values, "Sales; Pilots");
        let p = pretty(RESPONSE);
        assert!(p.contains("\n  <saml:Assertion"), "{p}");
        assert!(
            !p.contains("SignatureValue") && !p.contains("c2lnbmF0dXJl"),
            "{p}"
        );
        assert_eq!(pretty("not xml <"), "not xml <");
        assert_eq!(pretty(""), "");
        assert_eq!(attributes_of("").1.len(), 0);
    }
}
