//! `/api/v1/apps`: enterprise applications — properties, Basic SAML Configuration, SP
//! metadata upload, Attributes & Claims, SAML Certificates, Users and groups, app roles
//! and the token preview.

use super::caller::{tenant, Caller};
use super::directory::member_ref;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::model::*;
use crate::admin::audit::Change;
use crate::admin::errors::AdminCode;
use crate::admin::Permission;
use crate::apps::claims::{self, Claim, GroupClaims, GroupEmit, GroupScope, NameIdFormat};
use crate::apps::{
    self, certs, expiry, App, AppView, Identifier, NewApp, ReplyUrl, SignMode, SigningAlg,
};
use crate::web::state::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_apps, create_app))
        .routes(routes!(get_app, update_app, delete_app))
        .routes(routes!(get_saml, put_saml))
        .routes(routes!(upload_metadata))
        .routes(routes!(list_claims, put_claim, delete_claim))
        .routes(routes!(get_nameid, put_nameid))
        .routes(routes!(get_group_claims, put_group_claims))
        .routes(routes!(list_certs, new_cert))
        .routes(routes!(activate_cert))
        .routes(routes!(delete_cert))
        .routes(routes!(cert_pem))
        .routes(routes!(cert_der))
        .routes(routes!(federation_metadata))
        .routes(routes!(list_assignments, add_assignment))
        .routes(routes!(remove_assignment))
        .routes(routes!(list_app_roles, add_app_role))
        .routes(routes!(remove_app_role))
        .routes(routes!(preview))
}

async fn find_app(state: &AppState, key: &str) -> ApiResult<App> {
    Ok(apps::resolve_app(state.store(), key).await?)
}

async fn dto(state: &AppState, app: &App) -> ApiResult<AppDto> {
    let certs = certs::list(state.store(), &app.id).await?;
    let notification =
        expiry::stored_addresses(&state.store().app_notification_email(&app.id).await?);
    Ok(AppDto::of(
        app,
        &AppView::new(&tenant(state)?, app, certs),
        notification,
    ))
}

fn none_if_empty(s: String) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        None
    } else {
        Some(t.to_owned())
    }
}

/// Applies a Basic SAML Configuration body to `app` (lists replaced, `""` clears a URL).
fn apply_saml(app: &mut App, b: SamlBody) -> ApiResult<()> {
    let cfg = &mut app.saml;
    if let Some(ids) = b.identifiers {
        cfg.identifiers = ids
            .into_iter()
            .map(|i| Identifier {
                value: i.value.trim().to_owned(),
                is_default: i.is_default,
            })
            .collect();
    }
    if let Some(urls) = b.reply_urls {
        cfg.reply_urls = urls
            .into_iter()
            .map(|r| ReplyUrl {
                url: r.url.trim().to_owned(),
                index: r.index,
                is_default: r.is_default,
            })
            .collect();
    }
    for list_defaults in [
        cfg.identifiers.iter().filter(|i| i.is_default).count(),
        cfg.reply_urls.iter().filter(|r| r.is_default).count(),
    ] {
        if list_defaults > 1 {
            return Err(ApiError::invalid(
                "mark at most one Identifier and one Reply URL as is_default",
            ));
        }
    }
    if !cfg.identifiers.iter().any(|i| i.is_default) {
        if let Some(first) = cfg.identifiers.first_mut() {
            first.is_default = true;
        }
    }
    if !cfg.reply_urls.iter().any(|r| r.is_default) {
        if let Some(first) = cfg.reply_urls.first_mut() {
            first.is_default = true;
        }
    }
    if let Some(v) = b.sign_on_url {
        cfg.sign_on_url = none_if_empty(v);
    }
    if let Some(v) = b.relay_state {
        cfg.relay_state = if v.is_empty() { None } else { Some(v) };
    }
    if let Some(v) = b.logout_url {
        cfg.logout_url = none_if_empty(v);
    }
    if let Some(v) = b.sign_mode {
        cfg.sign_mode = v
            .parse::<SignMode>()
            .map_err(|e| ApiError::invalid(format!("sign_mode: {e}")))?;
    }
    if let Some(v) = b.signing_alg {
        cfg.signing_alg = v
            .parse::<SigningAlg>()
            .map_err(|e| ApiError::invalid(format!("signing_alg: {e}")))?;
    }
    if let Some(v) = b.require_signed_requests {
        cfg.require_signed_requests = v;
    }
    if let Some(v) = b.require_sha256 {
        cfg.require_sha256 = v;
    }
    if let Some(v) = b.clock_skew_secs {
        cfg.clock_skew_secs = v;
    }
    Ok(())
}

/// All applications, optionally searched by name.
#[utoipa::path(get, path = "/api/v1/apps", tag = "apps", params(SearchQuery),
    responses((status = 200, description = "Enterprise applications", body = Vec<AppDto>)))]
async fn list_apps(
    caller: Caller,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Vec<AppDto>>> {
    caller.require(Permission::ManageApps)?;
    let s = q.search.unwrap_or_default().trim().to_lowercase();
    let mut out = Vec::new();
    for app in state.store().list_apps().await? {
        if s.is_empty() || app.name.to_lowercase().contains(&s) {
            out.push(dto(&state, &app).await?);
        }
    }
    Ok(Json(out))
}

/// New application: from the gallery (`gallery_id`) or "Create your own application".
#[utoipa::path(post, path = "/api/v1/apps", tag = "apps", request_body = NewAppBody,
    responses((status = 201, description = "Created, with its first signing certificate", body = AppDto)))]
async fn create_app(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(b): ApiJson<NewAppBody>,
) -> ApiResult<(StatusCode, Json<AppDto>)> {
    caller.require(Permission::ManageApps)?;
    let store = state.store();
    let template = match b.gallery_id.as_deref().map(str::trim) {
        Some(g) => Some(crate::gallery::template(g).ok_or_else(|| {
            ApiError::invalid(format!(
                "gallery_id {g}: the gallery has no such application; GET /api/v1/gallery lists them"
            ))
        })?),
        None => None,
    };
    if let Some(t) = template {
        crate::apps::gallery::check_single_instance(store, t, None).await?;
    }
    let new = match template {
        Some(t) => crate::gallery::new_app(t, &b.name),
        None => NewApp::custom(&b.name),
    };
    let mut scratch = new.draft();
    if let Some(s) = b.saml {
        apply_saml(&mut scratch, s)?;
    }
    let new = NewApp {
        saml: scratch.saml,
        ..new
    };
    let master = state.master();
    let app = match template {
        Some(t) => crate::apps::gallery::add_from_gallery(store, master, t, new).await?,
        None => apps::create_app(store, master, new).await?,
    };
    caller
        .audit(
            &state,
            Change::new("app.create", "app", &app.id, &app.name).after(&app),
        )
        .await;
    state.config_changed().await;
    Ok((StatusCode::CREATED, Json(dto(&state, &app).await?)))
}

/// An application (Overview), by id or unique name.
#[utoipa::path(get, path = "/api/v1/apps/{app}", tag = "apps",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    responses((status = 200, description = "The application", body = AppDto)))]
async fn get_app(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<AppDto>> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    Ok(Json(dto(&state, &app).await?))
}

/// Change the Properties: name, enabled for users to sign in, assignment required,
/// visible to users, notes; and the Notification Email Addresses (SAML Signing
/// Certificate).
#[utoipa::path(patch, path = "/api/v1/apps/{app}", tag = "apps",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    request_body = AppPatch,
    responses((status = 200, description = "The application after the change", body = AppDto)))]
async fn update_app(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    ApiJson(b): ApiJson<AppPatch>,
) -> ApiResult<Json<AppDto>> {
    caller.require(Permission::ManageApps)?;
    let before = find_app(&state, &key).await?;
    let mut app = before.clone();
    if let Some(v) = b.name {
        app.name = v;
    }
    if let Some(v) = b.enabled {
        app.enabled = v;
    }
    if let Some(v) = b.assignment_required {
        app.assignment_required = v;
    }
    if let Some(v) = b.visible {
        app.visible = v;
    }
    if let Some(v) = b.notes {
        app.notes = v;
    }
    // Checked before anything is saved: a bad address changes nothing.
    let emails = b
        .notification_email_addresses
        .map(|list| expiry::parse_addresses(&list.join("\n")))
        .transpose()?
        .map(|l| expiry::join_addresses(&l));
    let r = save(&caller, &state, "app.update", &before, app).await?;
    let Some(emails) = emails else {
        return Ok(r);
    };
    let store = state.store();
    let before_emails = store.app_notification_email(&before.id).await?;
    if before_emails == emails {
        return Ok(r);
    }
    store
        .set_app_notification_email(&before.id, &emails)
        .await?;
    caller
        .audit(
            &state,
            Change::new("app.cert.update", "app", &before.id, &r.0.name)
                .before(&serde_json::json!({ "notification_email": before_emails }))
                .after(&serde_json::json!({ "notification_email": emails })),
        )
        .await;
    Ok(Json(
        dto(&state, &find_app(&state, &before.id).await?).await?,
    ))
}

async fn save(
    caller: &Caller,
    state: &AppState,
    action: &'static str,
    before: &App,
    app: App,
) -> ApiResult<Json<AppDto>> {
    let app = apps::save_app(state.store(), app).await?;
    caller
        .audit(
            state,
            Change::new(action, "app", &app.id, &app.name)
                .before(before)
                .after(&app),
        )
        .await;
    state.config_changed().await;
    Ok(Json(dto(state, &app).await?))
}

/// Delete an application with its certificates, claims, roles and assignments.
#[utoipa::path(delete, path = "/api/v1/apps/{app}", tag = "apps",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    responses((status = 204, description = "Deleted")))]
async fn delete_app(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<StatusCode> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    apps::delete_app(state.store(), &app.id).await?;
    caller
        .audit(
            &state,
            Change::new("app.delete", "app", &app.id, &app.name).before(&app),
        )
        .await;
    state.config_changed().await;
    Ok(StatusCode::NO_CONTENT)
}

/// Basic SAML Configuration (and signing options).
#[utoipa::path(get, path = "/api/v1/apps/{app}/saml", tag = "apps",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    responses((status = 200, description = "Basic SAML Configuration", body = SamlDto)))]
async fn get_saml(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<SamlDto>> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    Ok(Json(SamlDto::from(&app.saml)))
}

/// Edit Basic SAML Configuration: Identifier (Entity ID), Reply URL, Sign on URL, Relay
/// State, Logout Url, signing options. Absent fields stay; lists are replaced.
#[utoipa::path(put, path = "/api/v1/apps/{app}/saml", tag = "apps",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    request_body = SamlBody,
    responses((status = 200, description = "Basic SAML Configuration after the change", body = SamlDto)))]
async fn put_saml(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    ApiJson(b): ApiJson<SamlBody>,
) -> ApiResult<Json<SamlDto>> {
    caller.require(Permission::ManageApps)?;
    let before = find_app(&state, &key).await?;
    let mut app = before.clone();
    apply_saml(&mut app, b)?;
    let Json(d) = save(&caller, &state, "app.saml.update", &before, app).await?;
    Ok(Json(d.saml))
}

/// Upload metadata file: the SP's SAML metadata fills Identifier, Reply URLs, Logout Url
/// and the SP signing certificate.
#[utoipa::path(post, path = "/api/v1/apps/{app}/saml/metadata", tag = "apps",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    request_body(content = String, content_type = "application/xml", description = "The SP's SAML metadata XML"),
    responses((status = 200, description = "What the metadata set", body = MetadataApplied)))]
async fn upload_metadata(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<MetadataApplied>> {
    caller.require(Permission::ManageApps)?;
    let body = body.map_err(|e| {
        ApiError::new(
            AdminCode::BadUpload,
            format!("the body cannot be read: {}", e.body_text()),
        )
        .with_status(e.status())
    })?;
    let xml = std::str::from_utf8(&body).map_err(|_| {
        ApiError::new(
            AdminCode::BadUpload,
            "the metadata is not UTF-8 text; upload the XML file the vendor provides",
        )
    })?;
    let before = find_app(&state, &key).await?;
    let mut app = before.clone();
    let applied = apps::apply_sp_metadata(&mut app.saml, xml).map_err(|e| match e {
        apps::AppError::Invalid { .. } => ApiError::new(AdminCode::BadUpload, e.to_string()),
        other => other.into(),
    })?;
    let Json(d) = save(&caller, &state, "app.saml.metadata", &before, app).await?;
    let warning = applied.warning().map(str::to_owned);
    Ok(Json(MetadataApplied {
        entity_id: applied.entity_id,
        reply_urls: applied.reply_urls,
        logout_url: applied.logout_url,
        certificates: applied.certificates,
        authn_requests_signed: applied.authn_requests_signed,
        warning,
        saml: d.saml,
    }))
}

/// Attributes & Claims: the claims sent.
#[utoipa::path(get, path = "/api/v1/apps/{app}/claims", tag = "claims",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    responses((status = 200, description = "Claims", body = Vec<ClaimDto>)))]
async fn list_claims(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<Vec<ClaimDto>>> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    let list = claims::list_claims(state.store(), &app.id).await?;
    Ok(Json(list.iter().map(ClaimDto::from).collect()))
}

/// Add new claim, or change the claim with this name and namespace.
#[utoipa::path(put, path = "/api/v1/apps/{app}/claims", tag = "claims",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    request_body = ClaimBody,
    responses((status = 200, description = "The claim as stored", body = ClaimDto)))]
async fn put_claim(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    ApiJson(b): ApiJson<ClaimBody>,
) -> ApiResult<Json<ClaimDto>> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    let claim = Claim {
        name: b.name,
        namespace: b.namespace.unwrap_or_default(),
        name_format: b.name_format.as_deref().unwrap_or("").parse()?,
        source: claims::parse_expression(&b.source)?,
    };
    let claim = claims::set_claim(state.store(), &app.id, claim).await?;
    let d = ClaimDto::from(&claim);
    caller
        .audit(
            &state,
            Change::new("app.claim.set", "app", &app.id, &app.name).after(&d),
        )
        .await;
    state.config_changed().await;
    Ok(Json(d))
}

/// Delete a claim.
#[utoipa::path(delete, path = "/api/v1/apps/{app}/claims", tag = "claims",
    params(("app" = String, Path, description = "Application id, or its name when unique"), ClaimKey),
    responses((status = 200, description = "The claims left", body = Vec<ClaimDto>)))]
async fn delete_claim(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    ApiQuery(q): ApiQuery<ClaimKey>,
) -> ApiResult<Json<Vec<ClaimDto>>> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    let ns = q.namespace.unwrap_or_default();
    claims::remove_claim(state.store(), &app.id, &q.name, &ns).await?;
    caller
        .audit(
            &state,
            Change::new("app.claim.remove", "app", &app.id, &app.name)
                .before(&serde_json::json!({"name": q.name, "namespace": ns})),
        )
        .await;
    state.config_changed().await;
    let list = claims::list_claims(state.store(), &app.id).await?;
    Ok(Json(list.iter().map(ClaimDto::from).collect()))
}

/// The Unique User Identifier (NameID).
#[utoipa::path(get, path = "/api/v1/apps/{app}/nameid", tag = "claims",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    responses((status = 200, description = "NameID source and format", body = NameIdDto)))]
async fn get_nameid(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<NameIdDto>> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    Ok(Json(NameIdDto::from(
        &claims::nameid(state.store(), &app.id).await?,
    )))
}

/// Edit the Unique User Identifier: its source (`user.mail` …) and format.
#[utoipa::path(put, path = "/api/v1/apps/{app}/nameid", tag = "claims",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    request_body = NameIdDto,
    responses((status = 200, description = "NameID after the change", body = NameIdDto)))]
async fn put_nameid(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    ApiJson(b): ApiJson<NameIdDto>,
) -> ApiResult<Json<NameIdDto>> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    let before = claims::nameid(state.store(), &app.id).await?;
    let cfg = claims::NameIdConfig {
        source: claims::parse_expression(&b.source)?,
        format: NameIdFormat::parse(&b.format)?,
    };
    claims::set_nameid(state.store(), &app.id, cfg.clone()).await?;
    let d = NameIdDto::from(&cfg);
    caller
        .audit(
            &state,
            Change::new("app.nameid.update", "app", &app.id, &app.name)
                .before(&NameIdDto::from(&before))
                .after(&d),
        )
        .await;
    state.config_changed().await;
    Ok(Json(d))
}

/// The group claim.
#[utoipa::path(get, path = "/api/v1/apps/{app}/group-claims", tag = "claims",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    responses((status = 200, description = "Group claim", body = GroupClaimsDto)))]
async fn get_group_claims(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<GroupClaimsDto>> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    let g = claims::group_claims(state.store(), &app.id).await?;
    Ok(Json(GroupClaimsDto::from(g.as_ref())))
}

/// Add or change the group claim (`enabled: false` removes it).
#[utoipa::path(put, path = "/api/v1/apps/{app}/group-claims", tag = "claims",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    request_body = GroupClaimsDto,
    responses((status = 200, description = "Group claim after the change", body = GroupClaimsDto)))]
async fn put_group_claims(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    ApiJson(b): ApiJson<GroupClaimsDto>,
) -> ApiResult<Json<GroupClaimsDto>> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    let cfg = if b.enabled {
        let scope = match b.scope.as_deref().unwrap_or("all") {
            "all" => GroupScope::All,
            "assigned_to_app" => GroupScope::AssignedToApp,
            other => {
                return Err(ApiError::invalid(format!(
                    "scope {other:?}: use all or assigned_to_app"
                )))
            }
        };
        let emit = match b.emit.as_deref().unwrap_or("object_id") {
            "object_id" => GroupEmit::ObjectId,
            "name" => GroupEmit::Name,
            other => {
                return Err(ApiError::invalid(format!(
                    "emit {other:?}: use object_id or name"
                )))
            }
        };
        let mut g = GroupClaims::new(scope, emit);
        if let Some(n) = b.claim_name {
            g.claim_name = n;
        }
        Some(g)
    } else {
        None
    };
    let before = claims::group_claims(state.store(), &app.id).await?;
    claims::set_group_claims(state.store(), &app.id, cfg).await?;
    let now = claims::group_claims(state.store(), &app.id).await?;
    let d = GroupClaimsDto::from(now.as_ref());
    caller
        .audit(
            &state,
            Change::new("app.groupclaims.update", "app", &app.id, &app.name)
                .before(&GroupClaimsDto::from(before.as_ref()))
                .after(&d),
        )
        .await;
    state.config_changed().await;
    Ok(Json(d))
}

/// SAML Certificates.
#[utoipa::path(get, path = "/api/v1/apps/{app}/certificates", tag = "certificates",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    responses((status = 200, description = "Signing certificates", body = Vec<CertificateDto>)))]
async fn list_certs(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<Vec<CertificateDto>>> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    let list = certs::list(state.store(), &app.id).await?;
    Ok(Json(list.iter().map(CertificateDto::from).collect()))
}

/// New certificate (inactive until made active; the metadata publishes it at once).
#[utoipa::path(post, path = "/api/v1/apps/{app}/certificates", tag = "certificates",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    responses((status = 201, description = "The new certificate", body = CertificateDto)))]
async fn new_cert(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<(StatusCode, Json<CertificateDto>)> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    let c = certs::new_certificate(state.store(), state.master(), &app.id).await?;
    caller
        .audit(
            &state,
            Change::new("app.cert.new", "app", &app.id, &app.name).after(&c),
        )
        .await;
    state.config_changed().await;
    Ok((StatusCode::CREATED, Json(CertificateDto::from(&c))))
}

/// Make certificate active.
#[utoipa::path(post, path = "/api/v1/apps/{app}/certificates/{thumbprint}/activate", tag = "certificates",
    params(("app" = String, Path, description = "Application id, or its name when unique"),
           ("thumbprint" = String, Path, description = "SHA-1 thumbprint (hex)")),
    responses((status = 200, description = "The certificate, now active", body = CertificateDto)))]
async fn activate_cert(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath((key, thumbprint)): ApiPath<(String, String)>,
) -> ApiResult<Json<CertificateDto>> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    let c = certs::activate(state.store(), &app.id, &thumbprint).await?;
    caller
        .audit(
            &state,
            Change::new("app.cert.activate", "app", &app.id, &app.name).after(&c),
        )
        .await;
    state.config_changed().await;
    Ok(Json(CertificateDto::from(&c)))
}

/// Delete an inactive certificate.
#[utoipa::path(delete, path = "/api/v1/apps/{app}/certificates/{thumbprint}", tag = "certificates",
    params(("app" = String, Path, description = "Application id, or its name when unique"),
           ("thumbprint" = String, Path, description = "SHA-1 thumbprint (hex)")),
    responses((status = 204, description = "Deleted")))]
async fn delete_cert(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath((key, thumbprint)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    let t = certs::normalize_thumbprint(&thumbprint)?;
    certs::delete(state.store(), &app.id, &t).await?;
    caller
        .audit(
            &state,
            Change::new("app.cert.delete", "app", &app.id, &app.name)
                .before(&serde_json::json!({ "thumbprint": t })),
        )
        .await;
    state.config_changed().await;
    Ok(StatusCode::NO_CONTENT)
}

async fn active_cert(state: &AppState, key: &str) -> ApiResult<(App, apps::AppCertificate)> {
    let app = find_app(state, key).await?;
    let c = certs::list(state.store(), &app.id)
        .await?
        .into_iter()
        .find(|c| c.active)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "application {} has no active certificate; create one and make it active",
                app.name
            ))
        })?;
    Ok((app, c))
}

fn download(content_type: &'static str, file: String, body: Vec<u8>) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

fn file_stem(app: &App) -> String {
    let s: String = app
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.is_empty() {
        "app".into()
    } else {
        s
    }
}

/// Download Certificate (Base64): the active certificate, PEM.
#[utoipa::path(get, path = "/api/v1/apps/{app}/certificate.pem", tag = "certificates",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    responses((status = 200, description = "PEM", content_type = "application/x-pem-file", body = String)))]
async fn cert_pem(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Response> {
    caller.require(Permission::ManageApps)?;
    let (app, c) = active_cert(&state, &key).await?;
    Ok(download(
        "application/x-pem-file",
        format!("{}.pem", file_stem(&app)),
        c.certificate.to_pem().into_bytes(),
    ))
}

/// Download Certificate (Raw): the active certificate, DER.
#[utoipa::path(get, path = "/api/v1/apps/{app}/certificate.cer", tag = "certificates",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    responses((status = 200, description = "DER", content_type = "application/pkix-cert", body = Vec<u8>)))]
async fn cert_der(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Response> {
    caller.require(Permission::ManageApps)?;
    let (app, c) = active_cert(&state, &key).await?;
    Ok(download(
        "application/pkix-cert",
        format!("{}.cer", file_stem(&app)),
        c.certificate.der().to_vec(),
    ))
}

/// Download Federation Metadata XML (every certificate, the active one first).
#[utoipa::path(get, path = "/api/v1/apps/{app}/federation-metadata.xml", tag = "certificates",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    responses((status = 200, description = "Federation Metadata XML", content_type = "application/samlmetadata+xml", body = String)))]
async fn federation_metadata(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Response> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    let list = certs::list(state.store(), &app.id).await?;
    let xml = apps::federation_metadata_xml(&tenant(&state)?, &app, &list);
    Ok(download(
        "application/samlmetadata+xml",
        format!("{}.xml", file_stem(&app)),
        xml.into_bytes(),
    ))
}

/// Users and groups assigned to the application.
#[utoipa::path(get, path = "/api/v1/apps/{app}/assignments", tag = "assignments",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    responses((status = 200, description = "Assignments", body = Vec<AssignmentDto>)))]
async fn list_assignments(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<Vec<AssignmentDto>>> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    let list = apps::list_assignments(state.store(), &app.id).await?;
    Ok(Json(list.iter().map(AssignmentDto::from).collect()))
}

/// Add user/group: assign a user or a group, optionally with an app role.
#[utoipa::path(post, path = "/api/v1/apps/{app}/assignments", tag = "assignments",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    request_body = AssignBody,
    responses((status = 200, description = "Assignments after the change", body = Vec<AssignmentDto>)))]
async fn add_assignment(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    ApiJson(b): ApiJson<AssignBody>,
) -> ApiResult<Json<Vec<AssignmentDto>>> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    let (p, what) = member_ref(&state, b.user.as_deref(), b.group.as_deref()).await?;
    apps::assign(state.store(), &app.id, &p, b.role.as_deref()).await?;
    caller
        .audit(
            &state,
            Change::new("app.assign", "app", &app.id, &app.name).after(&serde_json::json!({
                "principal": what, "role": b.role.as_deref().unwrap_or("")
            })),
        )
        .await;
    state.config_changed().await;
    let list = apps::list_assignments(state.store(), &app.id).await?;
    Ok(Json(list.iter().map(AssignmentDto::from).collect()))
}

/// Remove an assignment of a user or group (by object id, user name or group name).
#[utoipa::path(delete, path = "/api/v1/apps/{app}/assignments/{principal}", tag = "assignments",
    params(("app" = String, Path, description = "Application id, or its name when unique"),
           ("principal" = String, Path, description = "The user's or group's object id, user name or group name"),
           RoleQuery),
    responses((status = 200, description = "Assignments after the change", body = Vec<AssignmentDto>)))]
async fn remove_assignment(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath((key, principal)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<RoleQuery>,
) -> ApiResult<Json<Vec<AssignmentDto>>> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    let (p, what) = match super::directory::find_user(&state, &principal).await {
        Ok(u) => (apps::Principal::User(u.id), format!("user {}", u.upn)),
        Err(_) => {
            let g = super::directory::find_group(&state, &principal).await?;
            (apps::Principal::Group(g.id), format!("group {}", g.name))
        }
    };
    apps::unassign(state.store(), &app.id, &p, q.role.as_deref()).await?;
    caller
        .audit(
            &state,
            Change::new("app.unassign", "app", &app.id, &app.name).before(&serde_json::json!({
                "principal": what, "role": q.role
            })),
        )
        .await;
    state.config_changed().await;
    let list = apps::list_assignments(state.store(), &app.id).await?;
    Ok(Json(list.iter().map(AssignmentDto::from).collect()))
}

/// An app role to add.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AppRoleBody {
    /// The role's name.
    role: String,
}

/// The application's roles (what an assignment may carry).
#[utoipa::path(get, path = "/api/v1/apps/{app}/roles", tag = "assignments",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    responses((status = 200, description = "App roles", body = Vec<String>)))]
async fn list_app_roles(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<Vec<String>>> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    Ok(Json(state.store().app_roles(&app.id).await?))
}

/// Add an app role.
#[utoipa::path(post, path = "/api/v1/apps/{app}/roles", tag = "assignments",
    params(("app" = String, Path, description = "Application id, or its name when unique")),
    request_body = AppRoleBody,
    responses((status = 200, description = "App roles after the change", body = Vec<String>)))]
async fn add_app_role(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    ApiJson(b): ApiJson<AppRoleBody>,
) -> ApiResult<Json<Vec<String>>> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    apps::add_role(state.store(), &app.id, &b.role).await?;
    caller
        .audit(
            &state,
            Change::new("app.role.add", "app", &app.id, &app.name)
                .after(&serde_json::json!({ "role": b.role.trim() })),
        )
        .await;
    state.config_changed().await;
    Ok(Json(state.store().app_roles(&app.id).await?))
}

/// Remove an app role.
#[utoipa::path(delete, path = "/api/v1/apps/{app}/roles/{role}", tag = "assignments",
    params(("app" = String, Path, description = "Application id, or its name when unique"),
           ("role" = String, Path, description = "The role's name")),
    responses((status = 200, description = "App roles after the change", body = Vec<String>)))]
async fn remove_app_role(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath((key, role)): ApiPath<(String, String)>,
) -> ApiResult<Json<Vec<String>>> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    apps::remove_role(state.store(), &app.id, &role).await?;
    caller
        .audit(
            &state,
            Change::new("app.role.remove", "app", &app.id, &app.name)
                .before(&serde_json::json!({ "role": role })),
        )
        .await;
    state.config_changed().await;
    Ok(Json(state.store().app_roles(&app.id).await?))
}

/// Whose token to preview.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PreviewQuery {
    /// The user, by object id or user name.
    user: String,
}

/// Test single sign-on: the Assertion a user would receive, checked against the
/// gallery template's vendor requirements.
#[utoipa::path(get, path = "/api/v1/apps/{app}/preview", tag = "apps",
    params(("app" = String, Path, description = "Application id, or its name when unique"), PreviewQuery),
    responses((status = 200, description = "The preview", body = crate::sso::preview::Preview)))]
async fn preview(
    caller: Caller,
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    ApiQuery(q): ApiQuery<PreviewQuery>,
) -> ApiResult<Json<crate::sso::preview::Preview>> {
    caller.require(Permission::ManageApps)?;
    let app = find_app(&state, &key).await?;
    let user = super::directory::find_user(&state, &q.user).await?;
    let cache = state.cache().get();
    let p =
        crate::sso::preview::preview(state.store(), &cache, &tenant(&state)?, &app, &user).await?;
    Ok(Json(p))
}
