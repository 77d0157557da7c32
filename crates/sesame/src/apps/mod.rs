//! Enterprise applications: properties, Basic SAML Configuration and its validation
//! ([`config`]), assignments and app roles ([`assignments`]), per-app signing
//! certificates with keys sealed by the master key ([`certs`]), the claims engine —
//! NameID, claims, group and role claims ([`claims`]) — and the Federation Metadata XML
//! every app publishes.

pub mod assignments;
pub mod certs;
pub mod claims;
pub mod config;
pub mod gallery;
pub mod preview;

pub use crate::model::app::{App, NewApp};
pub use assignments::{
    add_role, assign, list_assignments, remove_role, unassign, user_assignment, Assignment,
    AssignmentView, Principal,
};
pub use certs::AppCertificate;
pub use config::{
    apply_sp_metadata, Identifier, ReplyUrl, SamlConfig, SignMode, SigningAlg, SpMetadataApplied,
};

use crate::clock::now_unix;
use crate::directory::DirectoryError;
use crate::store::{Store, StoreError};
use crate::tenant::{MasterKey, Tenant, TenantError};
use serde::Serialize;
use sesame_saml::metadata::IdpMetadata;
use thiserror::Error;

/// Errors of the application layer. Messages say which field or object, what was wrong
/// and how to fix it.
#[derive(Debug, Error)]
pub enum AppError {
    /// A value is refused; `field` is the portal's name for it.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// No such app, certificate, role or assignment.
    #[error("{0}")]
    NotFound(String),
    /// A unique value is taken, or the change is refused by a rule.
    #[error("{0}")]
    Conflict(String),
    /// A name matches several apps.
    #[error("{0}")]
    Ambiguous(String),
    /// Key or certificate generation or decoding.
    #[error("signing key: {0}")]
    Key(String),
    /// A user or group lookup.
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// Master key and tenant.
    #[error(transparent)]
    Tenant(#[from] TenantError),
    /// Storage failure.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => AppError::NotFound(m),
            other => AppError::Store(other),
        }
    }
}

fn validate_props(app: &App) -> Result<(), AppError> {
    let name = app.name.trim();
    if name.is_empty() {
        return Err(AppError::Invalid {
            field: config::field::NAME,
            reason: "is empty; give the application a name".into(),
        });
    }
    if name.chars().count() > 256 || name.chars().any(char::is_control) {
        return Err(AppError::Invalid {
            field: config::field::NAME,
            reason: "must be at most 256 characters without control characters".into(),
        });
    }
    if uuid::Uuid::parse_str(name).is_ok() {
        return Err(AppError::Invalid {
            field: config::field::NAME,
            reason: "looks like an app id; give the application a name people can read".into(),
        });
    }
    if app.notes.chars().count() > 4096 {
        return Err(AppError::Invalid {
            field: config::field::NOTES,
            reason: "is longer than 4096 characters".into(),
        });
    }
    Ok(())
}

/// Validates `app` whole: properties, Basic SAML Configuration, and that no other app
/// uses one of its Identifiers.
async fn validate_app(store: &Store, app: &mut App) -> Result<(), AppError> {
    app.name = app.name.trim().to_owned();
    validate_props(app)?;
    app.saml.normalize_and_validate()?;
    // A gallery app keeps fitting its template (fixed values, URL patterns).
    gallery::check_app(app)?;
    for id in &app.saml.identifiers {
        if let Some(owner) = store.app_by_identifier(&id.value).await? {
            if owner.id != app.id {
                return Err(identifier_taken(&id.value, &owner));
            }
        }
    }
    Ok(())
}

fn identifier_taken(value: &str, owner: &App) -> AppError {
    AppError::Conflict(format!(
        "{}: Identifier {value} is already used by app {} ({}); an Identifier must be unique across the tenant's applications",
        config::field::IDENTIFIER,
        owner.name,
        owner.id
    ))
}

async fn map_identifier_conflict(store: &Store, app: &App, e: StoreError) -> AppError {
    if let StoreError::Conflict(_) = e {
        for id in &app.saml.identifiers {
            if let Ok(Some(owner)) = store.app_by_identifier(&id.value).await {
                if owner.id != app.id {
                    return identifier_taken(&id.value, &owner);
                }
            }
        }
        return AppError::Conflict(format!("the application conflicts with another one: {e}"));
    }
    e.into()
}

/// Creates an application with its first signing certificate (RSA-2048, self-signed,
/// three years; the key sealed with `master`), in one transaction.
pub async fn create_app(store: &Store, master: &MasterKey, new: NewApp) -> Result<App, AppError> {
    let now = now_unix();
    let mut app = App {
        id: uuid::Uuid::new_v4().to_string(),
        name: new.name,
        gallery_id: new.gallery_id,
        enabled: new.enabled,
        assignment_required: new.assignment_required,
        visible: new.visible,
        notes: new.notes,
        saml: new.saml,
        created_at: now,
        updated_at: now,
    };
    // From the gallery: the template exists and a single-instance one has no app yet.
    gallery::check_create(store, &app).await?;
    validate_app(store, &mut app).await?;
    let cert = certs::generate(master, &app.id, true, now).await?;
    if let Err(e) = store.insert_app(&app, &cert).await {
        return Err(map_identifier_conflict(store, &app, e).await);
    }
    Ok(app)
}

/// Validates and stores every field of `app` (found by id), replacing its Identifiers and
/// Reply URLs. Returns the app as stored.
pub async fn save_app(store: &Store, mut app: App) -> Result<App, AppError> {
    validate_app(store, &mut app).await?;
    app.updated_at = now_unix();
    if let Err(e) = store.save_app(&app).await {
        return Err(map_identifier_conflict(store, &app, e).await);
    }
    Ok(app)
}

/// Deletes an application with its configuration, certificates, roles and assignments.
pub async fn delete_app(store: &Store, app_id: &str) -> Result<(), AppError> {
    if store.delete_app(app_id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound(format!(
            "no application has the id {app_id}"
        )))
    }
}

/// The application with this id, or else the only one with this name (compared
/// case-insensitively). Several apps with the name: refused, listing their ids.
pub async fn resolve_app(store: &Store, id_or_name: &str) -> Result<App, AppError> {
    let key = id_or_name.trim();
    if let Some(app) = store.app_by_id(key).await? {
        return Ok(app);
    }
    let lower = key.to_lowercase();
    let mut matches: Vec<App> = store
        .list_apps()
        .await?
        .into_iter()
        .filter(|a| a.name.to_lowercase() == lower)
        .collect();
    match matches.len() {
        0 => Err(AppError::NotFound(format!(
            "no application has the id or name {key}; `sesame app list` shows them"
        ))),
        1 => Ok(matches.remove(0)),
        _ => Err(AppError::Ambiguous(format!(
            "{} applications are named {key}; give one of their ids: {}",
            matches.len(),
            matches
                .iter()
                .map(|a| a.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// NameID formats the IdP publishes.
pub const PUBLISHED_NAMEID_FORMATS: &[&str] = &[
    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
];

/// The Federation Metadata XML of `app`: entityID = the IdP Identifier, SSO and SLO at
/// the Login URL (Redirect and POST), every certificate of the app (the active one first;
/// several during a rollover). Served by `sesame app cert APP --metadata` and the App
/// Federation Metadata URL alike.
pub fn federation_metadata_xml(tenant: &Tenant, app: &App, certs: &[AppCertificate]) -> String {
    let mut ordered: Vec<&AppCertificate> = certs.iter().collect();
    ordered.sort_by_key(|c| (!c.active, c.created_at));
    IdpMetadata {
        entity_id: tenant.idp_identifier(),
        signing_certificates: ordered.iter().map(|c| c.certificate.clone()).collect(),
        sso_url: tenant.login_url(),
        slo_url: Some(tenant.logout_url()),
        name_id_formats: PUBLISHED_NAMEID_FORMATS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        valid_until: None,
        id: Some(format!("_{}", app.id)),
    }
    .to_xml()
}

/// An app as the CLI (`--json`) and the REST API show it: the app, the URLs it is set
/// up with, and its certificates.
#[derive(Debug, Clone, Serialize)]
pub struct AppView {
    /// Object id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Gallery template id.
    pub gallery_id: Option<String>,
    /// Enabled for users to sign in.
    pub enabled: bool,
    /// Assignment required.
    pub assignment_required: bool,
    /// Visible to users.
    pub visible: bool,
    /// Notes.
    pub notes: String,
    /// Login URL (the IdP's SSO endpoint).
    pub login_url: String,
    /// Logout URL (the IdP's SLO endpoint).
    pub logout_url: String,
    /// IdP Identifier (Issuer).
    pub idp_identifier: String,
    /// App Federation Metadata URL.
    pub federation_metadata_url: String,
    /// What a My Apps tile opens.
    pub launch_url: String,
    /// Identifiers (Entity IDs).
    pub identifiers: Vec<Identifier>,
    /// Reply URLs.
    pub reply_urls: Vec<ReplyUrl>,
    /// Sign on URL.
    pub sign_on_url: Option<String>,
    /// Relay State.
    pub relay_state: Option<String>,
    /// The application's own Logout URL (Basic SAML Configuration).
    pub app_logout_url: Option<String>,
    /// response | assertion | both.
    pub sign_mode: SignMode,
    /// rsa-sha256 | rsa-sha1.
    pub signing_alg: SigningAlg,
    /// AuthnRequests must be signed.
    pub require_signed_requests: bool,
    /// Request signatures must be SHA-256.
    pub require_sha256: bool,
    /// Clock-skew allowance, seconds.
    pub clock_skew_secs: i64,
    /// The SP's request-signing certificates.
    pub sp_certificates: Vec<config::CertificateSummary>,
    /// NameID source attribute.
    pub nameid_source: String,
    /// NameID format.
    pub nameid_format: String,
    /// The IdP signing certificates of the app.
    pub certificates: Vec<AppCertificate>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

impl AppView {
    /// The view of `app` in `tenant` with its certificates.
    pub fn new(tenant: &Tenant, app: &App, certificates: Vec<AppCertificate>) -> Self {
        let s = &app.saml;
        AppView {
            id: app.id.clone(),
            name: app.name.clone(),
            gallery_id: app.gallery_id.clone(),
            enabled: app.enabled,
            assignment_required: app.assignment_required,
            visible: app.visible,
            notes: app.notes.clone(),
            login_url: tenant.login_url(),
            logout_url: tenant.logout_url(),
            idp_identifier: tenant.idp_identifier(),
            federation_metadata_url: tenant.federation_metadata_url(&app.id),
            launch_url: tenant.launch_url(&app.id),
            identifiers: s.identifiers.clone(),
            reply_urls: s.reply_urls.clone(),
            sign_on_url: s.sign_on_url.clone(),
            relay_state: s.relay_state.clone(),
            app_logout_url: s.logout_url.clone(),
            sign_mode: s.sign_mode,
            signing_alg: s.signing_alg,
            require_signed_requests: s.require_signed_requests,
            require_sha256: s.require_sha256,
            clock_skew_secs: s.clock_skew_secs,
            sp_certificates: s
                .sp_certificates
                .iter()
                .map(config::CertificateSummary::of)
                .collect(),
            nameid_source: s.nameid_source.clone(),
            nameid_format: s.nameid_format.clone(),
            certificates,
            created_at: app.created_at,
            updated_at: app.updated_at,
        }
    }
}
