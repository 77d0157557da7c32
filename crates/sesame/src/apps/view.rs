//! What is published and shown of an application: its Federation Metadata XML and the
//! view the CLI (`--json`) and the REST API print.

use super::certs::AppCertificate;
use super::config::CertificateSummary;
use crate::model::{App, Identifier, ReplyUrl, SignMode, SigningAlg};
use crate::tenant::Tenant;
use serde::Serialize;
use sesame_saml::metadata::IdpMetadata;

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
    /// Whether its SAML single sign-on is configured; false ("SAML not configured"):
    /// SSO is refused (SESAME900060) until the settings in `missing` are set.
    pub saml_configured: bool,
    /// The Basic SAML Configuration settings still needed (empty when configured).
    pub missing: Vec<&'static str>,
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
    pub sp_certificates: Vec<CertificateSummary>,
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
            saml_configured: super::readiness::is_saml_configured(app),
            missing: super::readiness::missing_settings(app),
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
                .map(CertificateSummary::of)
                .collect(),
            nameid_source: s.nameid_source.clone(),
            nameid_format: s.nameid_format.clone(),
            certificates,
            created_at: app.created_at,
            updated_at: app.updated_at,
        }
    }
}
