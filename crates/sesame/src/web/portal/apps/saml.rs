//! Single sign-on: "Select a single sign-on method", "Set up single sign-on with SAML"
//! (its five numbered sections), and (1) Basic SAML Configuration's edit form with
//! "Upload metadata file".

use super::frame::{app_or_404, app_page, audit, form_app, patterns_json, Blade};
use crate::admin::audit::Change;
use crate::apps::config::{field, CertificateSummary};
use crate::apps::{App, AppError, Identifier, ReplyUrl, SamlConfig};
use crate::gallery::{Template, UrlField};
use crate::web::auth::SignedIn;
use crate::web::portal::access::Admin;
use crate::web::portal::error::{app_error_text, PortalResult};
use crate::web::portal::kit::{self, Fields};
use crate::web::portal::layout::{render, Crumb, Flash};
use crate::web::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use std::collections::HashMap;

/// Unix seconds as `YYYY-MM-DD HH:MM UTC`.
pub(super) fn date(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .map(|t| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02} UTC",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_else(|_| secs.to_string())
}

fn template_of(app: &App) -> Option<&'static Template> {
    app.gallery_id.as_deref().and_then(crate::gallery::template)
}

#[derive(askama::Template)]
#[template(path = "portal/apps/select.html")]
struct SelectBody<'a> {
    app: &'a App,
}

/// `GET /admin/apps/{id}/sso`: "Select a single sign-on method" (straight to the SAML
/// page once SAML is set up, unless `?select=1`).
pub(super) async fn select(
    State(state): State<AppState>,
    Admin(si): Admin,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PortalResult {
    let app = app_or_404(&state, &si, &id).await?;
    if super::frame::sso_configured(&app) && !q.contains_key("select") {
        return Ok(kit::see_other(&format!("/admin/apps/{}/sso/saml", app.id)));
    }
    let body = render(&SelectBody { app: &app });
    Ok(app_page(
        &state,
        &si,
        &app,
        Blade::Sso,
        "Single sign-on",
        vec![Crumb::new("", "Single sign-on")],
        None,
        &body,
        StatusCode::OK,
    ))
}

struct ClaimLine {
    name: String,
    value: String,
}

#[derive(askama::Template)]
#[template(path = "portal/apps/setup.html")]
struct SetupBody<'a> {
    app: &'a App,
    configured: bool,
    /// "SAML not configured": which settings are still needed and who gives them.
    missing: String,
    /// The gallery template requires a Sign on URL / Logout URL the app lacks.
    sign_on_required: bool,
    logout_required: bool,
    /// (value, note such as "(default Reply URL; index 1)"): the note stays outside the
    /// copyable value.
    identifiers: Vec<(String, String)>,
    reply_urls: Vec<(String, String)>,
    /// Notes of the Sign on URL and the Logout URL ("(gallery default)" or empty).
    sign_on_note: String,
    logout_note: String,
    /// Signed AuthnRequests: the state, and whether any request can pass.
    request_signing: String,
    request_signing_ok: bool,
    nameid: String,
    claims: Vec<ClaimLine>,
    cert_status: String,
    cert_thumbprint: String,
    cert_expiry: String,
    notification_email: String,
    metadata_url: String,
    login_url: String,
    idp_identifier: String,
    logout_url: String,
    steps: Vec<super::steps::Step>,
    template_name: String,
    sign_mode: String,
    signing_alg: String,
}

/// `GET /admin/apps/{id}/sso/saml`: "Set up single sign-on with SAML".
pub(super) async fn setup(
    State(state): State<AppState>,
    Admin(si): Admin,
    kit::Flashed(flash): kit::Flashed,
    Path(id): Path<String>,
) -> PortalResult {
    let app = app_or_404(&state, &si, &id).await?;
    let store = state.store();
    let tenant = state
        .cache()
        .get()
        .tenant
        .clone()
        .unwrap_or_default_tenant();
    let certs = crate::apps::certs::list(store, &app.id)
        .await
        .unwrap_or_default();
    let active = certs.iter().find(|c| c.active);
    let mut claims = vec![];
    if let Ok(list) = crate::apps::claims::list_claims(store, &app.id).await {
        for c in list {
            claims.push(ClaimLine {
                name: c.full_name(),
                value: c.source.to_string(),
            });
        }
    }
    if let Ok(Some(g)) = crate::apps::claims::group_claims(store, &app.id).await {
        claims.push(ClaimLine {
            name: g.claim_name.clone(),
            value: "user.groups".into(),
        });
    }
    let nameid = crate::apps::claims::nameid(store, &app.id)
        .await
        .map(|n| format!("{} ({})", n.source, n.format))
        .unwrap_or_else(|_| app.saml.nameid_source.clone());
    let t = template_of(&app);
    let several_ids = app.saml.identifiers.len() > 1;
    let several_replies = app.saml.reply_urls.len() > 1;
    let signing = app.saml.request_signing();
    let body = render(&SetupBody {
        configured: super::frame::sso_configured(&app),
        missing: crate::apps::missing_sentence(&app),
        sign_on_required: crate::apps::missing_settings(&app).contains(&field::SIGN_ON_URL),
        logout_required: crate::apps::missing_settings(&app).contains(&field::LOGOUT_URL),
        identifiers: app
            .saml
            .identifiers
            .iter()
            .map(|i| {
                let note = value_note(ValueNote {
                    value: &i.value,
                    default_of_several: (i.is_default && several_ids)
                        .then_some("default Identifier"),
                    index: None,
                    gallery: t.map(|t| &t.identifier),
                });
                (i.value.clone(), note)
            })
            .collect(),
        reply_urls: app
            .saml
            .reply_urls
            .iter()
            .map(|r| {
                let note = value_note(ValueNote {
                    value: &r.url,
                    default_of_several: (r.is_default && several_replies)
                        .then_some("default Reply URL"),
                    index: r.index,
                    gallery: t.map(|t| &t.reply_url),
                });
                (r.url.clone(), note)
            })
            .collect(),
        sign_on_note: optional_note(
            app.saml.sign_on_url.as_deref(),
            t.and_then(|t| t.sign_on_url.as_ref()),
        ),
        logout_note: optional_note(
            app.saml.logout_url.as_deref(),
            t.and_then(|t| t.logout_url.as_ref()),
        ),
        request_signing: signing.summary(),
        request_signing_ok: signing.ok(),
        nameid,
        claims,
        cert_status: if active.is_some() {
            "Active"
        } else {
            "No active certificate"
        }
        .into(),
        cert_thumbprint: active.map(|c| c.thumbprint.clone()).unwrap_or_default(),
        cert_expiry: active.map(|c| date(c.not_after)).unwrap_or_default(),
        notification_email: store
            .app_notification_email(&app.id)
            .await
            .unwrap_or_default(),
        metadata_url: tenant.federation_metadata_url(&app.id),
        login_url: tenant.login_url(),
        idp_identifier: tenant.idp_identifier(),
        logout_url: tenant.logout_url(),
        steps: t
            .map(|t| super::steps::steps(&t.instructions))
            .unwrap_or_default(),
        template_name: t.map(|t| t.name.clone()).unwrap_or_default(),
        sign_mode: sign_mode_label(app.saml.sign_mode).into(),
        signing_alg: alg_label(app.saml.signing_alg).into(),
        app: &app,
    });
    Ok(app_page(
        &state,
        &si,
        &app,
        Blade::Sso,
        "Set up single sign-on with SAML",
        vec![
            Crumb::new(
                format!("/admin/apps/{}/sso?select=1", app.id),
                "Single sign-on",
            ),
            Crumb::new("", "Set up single sign-on with SAML"),
        ],
        flash,
        &body,
        StatusCode::OK,
    ))
}

/// What the summary card says next to an Identifier or a Reply URL.
struct ValueNote<'a> {
    value: &'a str,
    /// "default Reply URL" when it is the default of several.
    default_of_several: Option<&'static str>,
    index: Option<u16>,
    /// The gallery template's field, for an application from the gallery.
    gallery: Option<&'a UrlField>,
}

/// Where a value the summary card shows came from: "gallery default" only when it is the
/// gallery template's own value, never for one the administrator typed.
fn gallery_note(value: &str, gallery: Option<&UrlField>) -> Option<&'static str> {
    let g = gallery?;
    if g.fixed() == Some(value) {
        Some("fixed by the gallery")
    } else if g.prefill() == Some(value) {
        Some("gallery default")
    } else {
        None
    }
}

/// "(default Reply URL; index 1; gallery default)", or empty.
fn value_note(n: ValueNote<'_>) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(d) = n.default_of_several {
        parts.push(d.to_owned());
    }
    if let Some(i) = n.index {
        parts.push(format!("index {i}"));
    }
    if let Some(g) = gallery_note(n.value, n.gallery) {
        parts.push(g.to_owned());
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("({})", parts.join("; "))
    }
}

/// The note of an optional URL (Sign on URL, Logout URL).
fn optional_note(value: Option<&str>, gallery: Option<&UrlField>) -> String {
    value
        .and_then(|v| gallery_note(v, gallery))
        .map(|g| format!("({g})"))
        .unwrap_or_default()
}

/// The seeds' words for a signing option.
pub(super) fn sign_mode_label(m: crate::apps::SignMode) -> &'static str {
    match m {
        crate::apps::SignMode::Response => "Sign SAML response",
        crate::apps::SignMode::Assertion => "Sign SAML assertion",
        crate::apps::SignMode::Both => "Sign SAML response and assertion",
    }
}

/// The seeds' words for a signing algorithm.
pub(super) fn alg_label(a: crate::apps::SigningAlg) -> &'static str {
    match a {
        crate::apps::SigningAlg::RsaSha256 => "SHA-256",
        crate::apps::SigningAlg::RsaSha1 => "SHA-1",
    }
}

/// The tenant of a running server always exists; a fallback keeps pages rendering.
trait TenantOr {
    fn unwrap_or_default_tenant(self) -> crate::tenant::Tenant;
}

impl TenantOr for Option<crate::tenant::Tenant> {
    fn unwrap_or_default_tenant(self) -> crate::tenant::Tenant {
        self.unwrap_or_else(|| crate::tenant::Tenant {
            id: String::new(),
            public_url: String::new(),
        })
    }
}

// ---------------------------------------------------------------------------------------
// (1) Basic SAML Configuration

struct IdRow {
    n: usize,
    value: String,
    default: bool,
}

struct ReplyRow {
    n: usize,
    url: String,
    index: String,
    default: bool,
}

struct FieldHelp {
    placeholder: String,
    patterns: String,
    hint: String,
}

fn help(f: Option<&UrlField>, fallback: &str) -> FieldHelp {
    FieldHelp {
        placeholder: f
            .map(|f| {
                f.fixed()
                    .map(str::to_owned)
                    .or_else(|| f.patterns().first().map(|p| p.as_str().to_owned()))
                    .unwrap_or_else(|| fallback.to_owned())
            })
            .unwrap_or_else(|| fallback.to_owned()),
        patterns: patterns_json(f),
        hint: f.map(UrlField::describe).unwrap_or_default(),
    }
}

#[derive(askama::Template)]
#[template(path = "portal/apps/basic.html")]
struct BasicBody<'a> {
    csrf: &'a str,
    app: &'a App,
    ids: Vec<IdRow>,
    replies: Vec<ReplyRow>,
    sign_on_url: String,
    relay_state: String,
    logout_url: String,
    require_signed: bool,
    sp_certs_pem: String,
    sp_certs: Vec<CertificateSummary>,
    id_help: FieldHelp,
    reply_help: FieldHelp,
    sign_on_help: FieldHelp,
    logout_help: FieldHelp,
    error_field: String,
    error: String,
    metadata: String,
    metadata_error: String,
    template_name: String,
}

/// What the form shows: a configuration (stored, submitted or filled from metadata).
struct BasicForm {
    saml: SamlConfig,
    reply_index_text: Vec<String>,
    extra_rows: usize,
}

#[allow(clippy::too_many_arguments)]
fn basic_page(
    state: &AppState,
    si: &SignedIn,
    app: &App,
    form: &BasicForm,
    flash: Option<Flash>,
    err: Option<(String, String)>,
    metadata: (&str, &str),
    status: StatusCode,
) -> Response {
    let s = &form.saml;
    let mut ids: Vec<IdRow> = s
        .identifiers
        .iter()
        .enumerate()
        .map(|(n, i)| IdRow {
            n,
            value: i.value.clone(),
            default: i.is_default,
        })
        .collect();
    let mut replies: Vec<ReplyRow> = s
        .reply_urls
        .iter()
        .enumerate()
        .map(|(n, r)| ReplyRow {
            n,
            url: r.url.clone(),
            index: form
                .reply_index_text
                .get(n)
                .cloned()
                .unwrap_or_else(|| r.index.map(|i| i.to_string()).unwrap_or_default()),
            default: r.is_default,
        })
        .collect();
    let empty = form.extra_rows.max(1);
    for _ in 0..empty {
        let n = ids.len();
        ids.push(IdRow {
            n,
            value: String::new(),
            default: n == 0,
        });
        let n = replies.len();
        replies.push(ReplyRow {
            n,
            url: String::new(),
            index: String::new(),
            default: n == 0,
        });
    }
    let t = template_of(app);
    let (error_field, error) = err.unwrap_or_default();
    let body = render(&BasicBody {
        csrf: &si.csrf,
        app,
        ids,
        replies,
        sign_on_url: s.sign_on_url.clone().unwrap_or_default(),
        relay_state: s.relay_state.clone().unwrap_or_default(),
        logout_url: s.logout_url.clone().unwrap_or_default(),
        require_signed: s.require_signed_requests,
        sp_certs_pem: s
            .sp_certificates
            .iter()
            .map(|c| c.to_pem())
            .collect::<Vec<_>>()
            .join("\n"),
        sp_certs: s
            .sp_certificates
            .iter()
            .map(CertificateSummary::of)
            .collect(),
        id_help: help(
            t.map(|t| &t.identifier),
            "https://app.example.com/saml/metadata",
        ),
        reply_help: help(t.map(|t| &t.reply_url), "https://app.example.com/saml/acs"),
        sign_on_help: help(
            t.and_then(|t| t.sign_on_url.as_ref()),
            "https://app.example.com/login",
        ),
        logout_help: help(
            t.and_then(|t| t.logout_url.as_ref()),
            "https://app.example.com/saml/logout",
        ),
        error_field,
        error,
        metadata: metadata.0.to_owned(),
        metadata_error: metadata.1.to_owned(),
        template_name: t.map(|t| t.name.clone()).unwrap_or_default(),
    });
    app_page(
        state,
        si,
        app,
        Blade::Sso,
        "Basic SAML Configuration",
        vec![
            Crumb::new(
                format!("/admin/apps/{}/sso/saml", app.id),
                "Set up single sign-on with SAML",
            ),
            Crumb::new("", "Basic SAML Configuration"),
        ],
        flash,
        &body,
        status,
    )
}

/// `GET /admin/apps/{id}/sso/basic`: the edit form (the pencil of section 1).
pub(super) async fn basic_form(
    State(state): State<AppState>,
    Admin(si): Admin,
    Path(id): Path<String>,
) -> PortalResult {
    let app = app_or_404(&state, &si, &id).await?;
    let form = BasicForm {
        saml: app.saml.clone(),
        reply_index_text: vec![],
        extra_rows: 1,
    };
    Ok(basic_page(
        &state,
        &si,
        &app,
        &form,
        None,
        None,
        ("", ""),
        StatusCode::OK,
    ))
}

/// Reads the submitted rows into a configuration; `Err((field, message))` for a value
/// that cannot even be read (an index that is not a number, a certificate that is not PEM).
fn read_form(f: &Fields, base: &SamlConfig) -> (BasicForm, Option<(String, String)>) {
    let mut saml = base.clone();
    let mut err = None;
    let removed_ids = f.all("identifier_remove");
    let id_default = f.raw("identifier_default");
    saml.identifiers = f
        .all("identifier")
        .into_iter()
        .enumerate()
        .filter(|(n, v)| !v.trim().is_empty() && !removed_ids.contains(&n.to_string().as_str()))
        .map(|(n, v)| Identifier {
            value: v.trim().to_owned(),
            is_default: id_default == n.to_string(),
        })
        .collect();
    if !saml.identifiers.iter().any(|i| i.is_default) {
        if let Some(first) = saml.identifiers.first_mut() {
            first.is_default = true;
        }
    }
    let removed_replies = f.all("reply_remove");
    let reply_default = f.raw("reply_default");
    let indexes = f.all("reply_index");
    let mut index_text = Vec::new();
    saml.reply_urls = Vec::new();
    for (n, v) in f.all("reply_url").into_iter().enumerate() {
        if v.trim().is_empty() || removed_replies.contains(&n.to_string().as_str()) {
            continue;
        }
        let idx_text = indexes.get(n).map(|s| s.trim()).unwrap_or_default();
        let index = if idx_text.is_empty() {
            None
        } else {
            match idx_text.parse::<u16>() {
                Ok(i) => Some(i),
                Err(_) => {
                    err.get_or_insert((
                        field::REPLY_URL.to_owned(),
                        format!(
                            "{}: index {idx_text:?} is not a number from 0 to 65535; leave it empty or give the AssertionConsumerServiceIndex the application sends (SESAME910004)",
                            field::REPLY_URL
                        ),
                    ));
                    None
                }
            }
        };
        index_text.push(idx_text.to_owned());
        saml.reply_urls.push(ReplyUrl {
            url: v.trim().to_owned(),
            index,
            is_default: reply_default == n.to_string(),
        });
    }
    if !saml.reply_urls.iter().any(|r| r.is_default) {
        if let Some(first) = saml.reply_urls.first_mut() {
            first.is_default = true;
        }
    }
    let opt = |name: &str| {
        let v = f.raw(name).trim();
        (!v.is_empty()).then(|| v.to_owned())
    };
    saml.sign_on_url = opt("sign_on_url");
    saml.relay_state = opt("relay_state");
    saml.logout_url = opt("logout_url");
    saml.require_signed_requests = f.checked("require_signed_requests");
    let pem = f.raw("sp_certs");
    let mut certs = Vec::new();
    const END: &str = "-----END CERTIFICATE-----";
    for chunk in pem.split_inclusive(END) {
        if chunk.contains("-----BEGIN CERTIFICATE-----") {
            match sesame_saml::crypto::Certificate::from_pem(chunk.trim()) {
                Ok(c) => certs.push(c),
                Err(e) => {
                    err.get_or_insert((
                        field::SP_CERTIFICATE.to_owned(),
                        format!("{}: not a PEM certificate ({e}); upload the application's metadata again (SESAME910008)", field::SP_CERTIFICATE),
                    ));
                }
            }
        }
    }
    saml.sp_certificates = certs;
    (
        BasicForm {
            saml,
            reply_index_text: index_text,
            extra_rows: if f.raw("more") == "1" { 3 } else { 1 },
        },
        err,
    )
}

/// `POST /admin/apps/{id}/sso/basic`: Save (or "Add another" row: `more=1`).
pub(super) async fn basic_save(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let before = form_app(&state, &si, &headers, &f, &id).await?;
    let (form, read_err) = read_form(&f, &before.saml);
    if f.raw("more") == "1" {
        return Ok(basic_page(
            &state,
            &si,
            &before,
            &form,
            None,
            None,
            ("", ""),
            StatusCode::OK,
        ));
    }
    if let Some(e) = read_err {
        let msg = e.1.clone();
        return Ok(basic_page(
            &state,
            &si,
            &before,
            &form,
            Flash::error(format!("Not saved: {msg}")),
            Some(e),
            ("", ""),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let mut app = before.clone();
    app.saml = form.saml.clone();
    match crate::apps::save_app(state.store(), app).await {
        Ok(saved) => {
            audit(
                &state,
                &si,
                &headers,
                Change::new("app.saml.update", "app", &saved.id, &saved.name)
                    .before(&before.saml)
                    .after(&saved.saml),
            )
            .await;
            Ok(kit::redirect_ok(
                &state,
                &format!("/admin/apps/{}/sso/saml", saved.id),
                "Basic SAML Configuration saved.",
            ))
        }
        Err(e) => {
            let field = match &e {
                AppError::Invalid { field, .. } => (*field).to_owned(),
                AppError::Conflict(m) if m.starts_with(field::IDENTIFIER) => {
                    field::IDENTIFIER.to_owned()
                }
                _ => String::new(),
            };
            let text = app_error_text(&e);
            Ok(basic_page(
                &state,
                &si,
                &before,
                &form,
                Flash::error(format!("Basic SAML Configuration not saved: {text}")),
                Some((field, text)),
                ("", ""),
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    }
}

/// `POST /admin/apps/{id}/sso/metadata` (metadata = the SP metadata XML): "Upload
/// metadata file" fills the form (not saved until the administrator saves it).
pub(super) async fn metadata_upload(
    State(state): State<AppState>,
    Admin(si): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> PortalResult {
    let app = form_app(&state, &si, &headers, &f, &id).await?;
    let xml = f.raw("metadata");
    let mut saml = app.saml.clone();
    let applied = if xml.trim().is_empty() {
        Err(AppError::Invalid {
            field: field::SP_METADATA,
            reason:
                "no file was chosen; select the metadata file the application's vendor provides"
                    .into(),
        })
    } else {
        crate::apps::apply_sp_metadata(&mut saml, xml)
    };
    match applied {
        Ok(a) => {
            let mut what = vec![format!("Identifier (Entity ID) {}", a.entity_id)];
            what.push(format!("{} Reply URL(s)", a.reply_urls));
            if a.logout_url {
                what.push("the Logout Url".into());
            }
            if a.certificates > 0 {
                what.push(format!("{} SP signing certificate(s)", a.certificates));
            }
            if a.authn_requests_signed && !a.signing_certificate_missing {
                what.push("signed requests required (the application signs them)".into());
            }
            let form = BasicForm {
                saml,
                reply_index_text: vec![],
                extra_rows: 1,
            };
            let filled = format!(
                "Filled from the metadata file: {}. Check the values, then Save.",
                what.join(", ")
            );
            let flash = match a.warning() {
                Some(w) => Flash::warn(format!(
                    "{filled} Require signed AuthnRequests is off: {w}."
                )),
                None => Flash::ok(filled),
            };
            Ok(basic_page(
                &state,
                &si,
                &app,
                &form,
                flash,
                None,
                ("", ""),
                StatusCode::OK,
            ))
        }
        Err(e) => {
            let form = BasicForm {
                saml: app.saml.clone(),
                reply_index_text: vec![],
                extra_rows: 1,
            };
            let text = format!("{e} (SESAME910008)");
            Ok(basic_page(
                &state,
                &si,
                &app,
                &form,
                Flash::error(format!("The metadata file was not used: {text}")),
                None,
                ("", &text),
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    }
}
