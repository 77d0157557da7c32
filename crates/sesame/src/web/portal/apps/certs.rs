//! (3) SAML Certificates: the app's signing certificates (status, thumbprint, expiry),
//! downloads (Certificate (Base64), Certificate (Raw), Federation Metadata XML), "New
//! certificate", "Make certificate active", the Notification Email Addresses (one
//! per line or comma-separated), the expiry warning within 60 days, signing option and
//! algorithm.

use super::frame::{app_or_404, app_page, audit, form_app, Blade};
use super::saml::{alg_label, date, sign_mode_label};
use crate::admin::audit::Change;
use crate::apps::{certs, expiry, App, SignMode, SigningAlg};
use crate::web::auth::SignedIn;
use crate::web::portal::access::Admin;
use crate::web::portal::error::{app_error_text, PortalError, PortalResult};
use crate::web::portal::kit::{self, Fields};
use crate::web::portal::layout::{render, Crumb, Flash};
use crate::web::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;

struct CertRow {
    thumbprint: String,
    active: bool,
    expiry: String,
    created: String,
}

#[derive(askama::Template)]
#[template(path = "portal/apps/certs.html")]
struct CertsBody<'a> {
    csrf: &'a str,
    app: &'a App,
    rows: Vec<CertRow>,
    email: String,
    sign_mode: &'static str,
    signing_alg: &'static str,
    modes: Vec<(&'static str, &'static str)>,
    algs: Vec<(&'static str, &'static str)>,
    metadata_url: String,
    error_field: &'static str,
    error: String,
    warning: Option<String>,
}

async fn show(
    state: &AppState,
    si: &SignedIn,
    app: &App,
    flash: Option<Flash>,
    err: Option<(&'static str, String)>,
    email: Option<String>,
) -> PortalResult {
    let store = state.store();
    let mut list = certs::list(store, &app.id).await.unwrap_or_default();
    list.sort_by_key(|c| (!c.active, -c.created_at));
    let rows = list
        .iter()
        .map(|c| CertRow {
            thumbprint: c.thumbprint.clone(),
            active: c.active,
            expiry: date(c.not_after),
            created: date(c.created_at),
        })
        .collect();
    let email = match email {
        Some(e) => e,
        None => expiry::stored_addresses(
            &store
                .app_notification_email(&app.id)
                .await
                .unwrap_or_default(),
        )
        .join("\n"),
    };
    let now = crate::clock::now_unix();
    let warning = list
        .iter()
        .find(|c| c.active)
        .and_then(|c| expiry::warning(c.not_after, now));
    let tenant_url = state
        .cache()
        .get()
        .tenant
        .as_ref()
        .map(|t| t.federation_metadata_url(&app.id))
        .unwrap_or_default();
    let status = if err.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (error_field, error) = err.unwrap_or(("", String::new()));
    let body = render(&CertsBody {
        csrf: &si.csrf,
        app,
        rows,
        email,
        sign_mode: app.saml.sign_mode.as_str(),
        signing_alg: app.saml.signing_alg.as_str(),
        modes: [SignMode::Response, SignMode::Assertion, SignMode::Both]
            .into_iter()
            .map(|m| (m.as_str(), sign_mode_label(m)))
            .collect(),
        algs: [SigningAlg::RsaSha256, SigningAlg::RsaSha1]
            .into_iter()
            .map(|a| (a.as_str(), alg_label(a)))
            .collect(),
        metadata_url: tenant_url,
        error_field,
        error,
        warning,
    });
    Ok(app_page(
        state,
        si,
        app,
        Blade::Sso,
        "SAML Certificates",
        vec![
            Crumb::new(
                format!("/admin/apps/{}/sso/saml", app.id),
                "Set up single sign-on with SAML",
            ),
            Crumb::new("", "SAML Certificates"),
        ],
        flash,
        &body,
        status,
    ))
}

/// `GET /admin/apps/{id}/sso/certs`.
pub(super) async fn page(
    State(state): State<AppState>,
    Admin(si): Admin,
    kit::Flashed(flash): kit::Flashed,
    Path(id): Path<String>,
) -> PortalResult {
    let app = app_or_404(&state, &si, &id).await?;
    show(&state, &si, &app, flash, None, None).await
}

/// `POST /admin/apps/{id}/sso/certs` (sign_mode, signing_alg, notification_email).
pub(super) async fn save(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let before = form_app(&state, &si, &headers, &f, &id).await?;
    let email = f.raw("notification_email").trim().to_owned();
    let redo = |field: &'static str, e: String| {
        let app = before.clone();
        let email = email.clone();
        let state = state.clone();
        let si = si.clone();
        async move {
            show(
                &state,
                &si,
                &app,
                Flash::error(format!("Not saved: {e}")),
                Some((field, e)),
                Some(email),
            )
            .await
        }
    };
    let mode: SignMode = match f.raw("sign_mode").parse() {
        Ok(m) => m,
        Err(e) => return redo("sign_mode", format!("Signing option: {e} (SESAME910004)")).await,
    };
    let alg: SigningAlg = match f.raw("signing_alg").parse() {
        Ok(a) => a,
        Err(e) => {
            return redo(
                "signing_alg",
                format!("Signing algorithm: {e} (SESAME910004)"),
            )
            .await
        }
    };
    let email = match expiry::parse_addresses(&email) {
        Ok(list) => expiry::join_addresses(&list),
        Err(e) => {
            return redo(
                "notification_email",
                format!("{} (SESAME910004)", app_error_text(&e)),
            )
            .await
        }
    };
    let before_email = state
        .store()
        .app_notification_email(&before.id)
        .await
        .unwrap_or_default();
    let mut app = before.clone();
    app.saml.sign_mode = mode;
    app.saml.signing_alg = alg;
    let saved = match crate::apps::save_app(state.store(), app).await {
        Ok(a) => a,
        Err(e) => return redo("sign_mode", app_error_text(&e)).await,
    };
    if let Err(e) = state
        .store()
        .set_app_notification_email(&saved.id, &email)
        .await
    {
        return Err(e.into());
    }
    audit(
        &state,
        &si,
        &headers,
        Change::new("app.cert.update", "app", &saved.id, &saved.name)
            .before(&serde_json::json!({
                "sign_mode": before.saml.sign_mode, "signing_alg": before.saml.signing_alg,
                "notification_email": before_email
            }))
            .after(&serde_json::json!({
                "sign_mode": saved.saml.sign_mode, "signing_alg": saved.saml.signing_alg,
                "notification_email": email
            })),
    )
    .await;
    Ok(kit::redirect_ok(
        &state,
        &format!("/admin/apps/{}/sso/certs", saved.id),
        "SAML signing settings saved.",
    ))
}

/// `POST /admin/apps/{id}/sso/certs/new`: "New certificate" (inactive).
pub(super) async fn new_cert(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let app = form_app(&state, &si, &headers, &f, &id).await?;
    match certs::new_certificate(state.store(), state.master(), &app.id).await {
        Ok(c) => {
            audit(
                &state,
                &si,
                &headers,
                Change::new("app.cert.new", "app", &app.id, &app.name).after(&c),
            )
            .await;
            Ok(kit::redirect_ok(&state, &format!("/admin/apps/{}/sso/certs",
                app.id), "New certificate created (inactive): make it active when the application trusts it."))
        }
        Err(e) => {
            show(
                &state,
                &si,
                &app,
                Flash::error(format!("No certificate created: {}", app_error_text(&e))),
                None,
                None,
            )
            .await
        }
    }
}

/// `POST /admin/apps/{id}/sso/certs/activate` (thumbprint): "Make certificate active".
pub(super) async fn activate(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let app = form_app(&state, &si, &headers, &f, &id).await?;
    let before = certs::list(state.store(), &app.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.active);
    match certs::activate(state.store(), &app.id, f.raw("thumbprint")).await {
        Ok(c) => {
            audit(
                &state,
                &si,
                &headers,
                Change::new("app.cert.activate", "app", &app.id, &app.name)
                    .before(&before)
                    .after(&c),
            )
            .await;
            Ok(kit::redirect_ok(
                &state,
                &format!("/admin/apps/{}/sso/certs", app.id),
                "Certificate made active: responses are now signed with it.",
            ))
        }
        Err(e) => {
            show(
                &state,
                &si,
                &app,
                Flash::error(format!("Not activated: {}", app_error_text(&e))),
                None,
                None,
            )
            .await
        }
    }
}

/// `POST /admin/apps/{id}/sso/certs/delete` (thumbprint): an inactive certificate.
pub(super) async fn delete(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let app = form_app(&state, &si, &headers, &f, &id).await?;
    let thumb = f.raw("thumbprint");
    let before = certs::list(state.store(), &app.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.thumbprint.eq_ignore_ascii_case(thumb));
    match certs::delete(state.store(), &app.id, thumb).await {
        Ok(()) => {
            audit(
                &state,
                &si,
                &headers,
                Change::new("app.cert.delete", "app", &app.id, &app.name).before(&before),
            )
            .await;
            Ok(kit::redirect_ok(
                &state,
                &format!("/admin/apps/{}/sso/certs", app.id),
                "Certificate deleted.",
            ))
        }
        Err(e) => {
            show(
                &state,
                &si,
                &app,
                Flash::error(format!("Not deleted: {}", app_error_text(&e))),
                None,
                None,
            )
            .await
        }
    }
}

fn safe_file_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "app".into()
    } else {
        s
    }
}

fn attachment(content_type: &'static str, file: &str, body: Vec<u8>) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// `GET /admin/apps/{id}/sso/certs/{thumb}/base64|raw`: Certificate (Base64) (PEM) or
/// Certificate (Raw) (DER), as a download.
pub(super) async fn download(
    State(state): State<AppState>,
    Admin(si): Admin,
    Path((id, thumb, format)): Path<(String, String, String)>,
) -> PortalResult {
    let app = app_or_404(&state, &si, &id).await?;
    let list = certs::list(state.store(), &app.id)
        .await
        .unwrap_or_default();
    let Some(c) = list
        .iter()
        .find(|c| c.thumbprint.eq_ignore_ascii_case(&thumb))
    else {
        return Err(PortalError::new(
            crate::admin::errors::AdminCode::NotFound,
            format!(
                "{} has no certificate with the thumbprint {thumb}; SAML Certificates lists them.",
                app.name
            ),
        ));
    };
    let name = safe_file_name(&app.name);
    match format.as_str() {
        "base64" => Ok(attachment(
            "application/x-pem-file",
            &format!("{name}.cer"),
            c.certificate.to_pem().into_bytes(),
        )),
        "raw" => Ok(attachment(
            "application/pkix-cert",
            &format!("{name}.der.cer"),
            c.certificate.der().to_vec(),
        )),
        _ => Ok((StatusCode::NOT_FOUND, "use base64 or raw").into_response()),
    }
}

/// `GET /admin/apps/{id}/sso/metadata.xml`: Federation Metadata XML, as a download.
pub(super) async fn metadata(
    State(state): State<AppState>,
    Admin(si): Admin,
    Path(id): Path<String>,
) -> PortalResult {
    let app = app_or_404(&state, &si, &id).await?;
    let Some(tenant) = state.cache().get().tenant.clone() else {
        return Err(PortalError::internal("no tenant"));
    };
    let list = certs::list(state.store(), &app.id)
        .await
        .unwrap_or_default();
    let xml = crate::apps::federation_metadata_xml(&tenant, &app, &list);
    Ok(attachment(
        "application/samlmetadata+xml",
        &format!("{}.xml", safe_file_name(&app.name)),
        xml.into_bytes(),
    ))
}
