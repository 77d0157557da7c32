//! The JSON bodies of the REST API (their schemas are in the OpenAPI document), built from
//! the domain types.

use crate::apps::claims::{Claim, GroupClaims, GroupEmit, GroupScope, NameIdConfig};
use crate::apps::{AppCertificate, AppView, AssignmentView};
use crate::directory::{Group, User};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// A user of the directory.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserDto {
    /// Object id (UUID).
    pub id: String,
    /// User name (userPrincipalName), `name@domain`.
    pub upn: String,
    /// Name (display name).
    pub display_name: String,
    /// Given name.
    pub given_name: String,
    /// Surname.
    pub surname: String,
    /// Mail.
    pub mail: String,
    /// Department.
    pub department: String,
    /// Job title.
    pub job_title: String,
    /// Employee id.
    pub employee_id: String,
    /// Company name.
    pub company_name: String,
    /// extensionattribute1…15.
    pub extension_attributes: BTreeMap<String, String>,
    /// Account enabled (may sign in).
    pub enabled: bool,
    /// Require password change at next sign-in: the user sets a new password before any
    /// sign-in completes.
    pub password_change_required: bool,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        UserDto {
            id: u.id.clone(),
            upn: u.upn.clone(),
            display_name: u.display_name.clone(),
            given_name: u.given_name.clone(),
            surname: u.surname.clone(),
            mail: u.mail.clone(),
            department: u.department.clone(),
            job_title: u.job_title.clone(),
            employee_id: u.employee_id.clone(),
            company_name: u.company_name.clone(),
            extension_attributes: u.extension_attributes.clone(),
            enabled: u.enabled,
            password_change_required: u.password_change_required,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A new user.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"upn": "B.Simon@contoso.com", "display_name": "B.Simon", "mail": "B.Simon@contoso.com"}))]
pub struct NewUserBody {
    /// User name (userPrincipalName), `name@domain`.
    pub upn: String,
    /// Name (display name); default: the part of the UPN before `@`.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Given name.
    #[serde(default)]
    pub given_name: Option<String>,
    /// Surname.
    #[serde(default)]
    pub surname: Option<String>,
    /// Mail.
    #[serde(default)]
    pub mail: Option<String>,
    /// Department.
    #[serde(default)]
    pub department: Option<String>,
    /// Job title.
    #[serde(default)]
    pub job_title: Option<String>,
    /// Employee id.
    #[serde(default)]
    pub employee_id: Option<String>,
    /// Company name.
    #[serde(default)]
    pub company_name: Option<String>,
    /// extensionattribute1…15.
    #[serde(default)]
    pub extension_attributes: Option<BTreeMap<String, String>>,
    /// Start enabled (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// The password; absent: one is generated and returned once.
    #[serde(default)]
    pub password: Option<String>,
}

/// A user just created, with the password when Sesame generated it (shown once).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedUser {
    /// The user.
    pub user: UserDto,
    /// The generated password ("Show password"); null when one was given.
    pub password: Option<String>,
}

/// Changes to a user; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// New user name (a rename: memberships and assignments stay).
    #[serde(default)]
    pub upn: Option<String>,
    /// Name (display name).
    #[serde(default)]
    pub display_name: Option<String>,
    /// Given name.
    #[serde(default)]
    pub given_name: Option<String>,
    /// Surname.
    #[serde(default)]
    pub surname: Option<String>,
    /// Mail.
    #[serde(default)]
    pub mail: Option<String>,
    /// Department.
    #[serde(default)]
    pub department: Option<String>,
    /// Job title.
    #[serde(default)]
    pub job_title: Option<String>,
    /// Employee id.
    #[serde(default)]
    pub employee_id: Option<String>,
    /// Company name.
    #[serde(default)]
    pub company_name: Option<String>,
    /// extensionattributeN values to set (an empty value removes it).
    #[serde(default)]
    pub extension_attributes: Option<BTreeMap<String, String>>,
    /// Account enabled.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Require password change at next sign-in (true), or no longer (false).
    #[serde(default)]
    pub password_change_required: Option<bool>,
}

/// A password reset.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    /// The new password; absent: one is generated and returned once.
    #[serde(default)]
    pub password: Option<String>,
}

/// The outcome of a password reset.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PasswordReset {
    /// The user.
    pub user: UserDto,
    /// The generated password; null when one was given.
    pub password: Option<String>,
}

/// A list filter.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Only objects whose name (or user name, mail) contains this, case-insensitively.
    #[serde(default)]
    pub search: Option<String>,
}

/// A group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupDto {
    /// Object id (UUID).
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
}

impl From<&Group> for GroupDto {
    fn from(g: &Group) -> Self {
        GroupDto {
            id: g.id.clone(),
            name: g.name.clone(),
            description: g.description.clone(),
        }
    }
}

/// A new group.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Sales", "description": "The sales team"}))]
pub struct NewGroupBody {
    /// Name, unique case-insensitively.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
}

/// Changes to a group.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupPatch {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New description.
    #[serde(default)]
    pub description: Option<String>,
}

/// The direct members of a group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MembersDto {
    /// Member users.
    pub users: Vec<UserDto>,
    /// Member groups.
    pub groups: Vec<GroupDto>,
}

/// A user or a group, by object id or user name / group name: exactly one of them.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"user": "B.Simon@contoso.com"}))]
pub struct MemberBody {
    /// A user, by object id or user name.
    #[serde(default)]
    pub user: Option<String>,
    /// A group, by object id or name.
    #[serde(default)]
    pub group: Option<String>,
}

/// A gallery application, as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GalleryItem {
    /// Template id (`convene`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Publisher.
    pub publisher: String,
    /// Description.
    pub description: String,
    /// Categories.
    pub categories: Vec<String>,
    /// At most one application from this template.
    pub single_instance: bool,
    /// Configured by uploading the vendor's SP metadata.
    pub metadata_upload: bool,
}

/// The gallery filter.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GalleryQuery {
    /// Text in the id, name, publisher, description or a category.
    #[serde(default)]
    pub search: Option<String>,
    /// Only this category (case-insensitive).
    #[serde(default)]
    pub category: Option<String>,
}

/// One Identifier (Entity ID).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentifierDto {
    /// The URI.
    pub value: String,
    /// The default one (Audience of IdP-initiated responses).
    #[serde(default)]
    pub is_default: bool,
}

/// One Reply URL (Assertion Consumer Service URL).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyUrlDto {
    /// The URL.
    pub url: String,
    /// AssertionConsumerServiceIndex.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 65535)]
    pub index: Option<u16>,
    /// The default one.
    #[serde(default)]
    pub is_default: bool,
}

/// An SP certificate (its summary).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SpCertificateDto {
    /// SHA-1 thumbprint.
    pub thumbprint: String,
    /// Subject.
    pub subject: String,
    /// Expiry, Unix seconds.
    pub not_after: i64,
}

/// An IdP signing certificate of an application (SAML Certificates).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CertificateDto {
    /// SHA-1 thumbprint, uppercase hex.
    pub thumbprint: String,
    /// Whether it signs now.
    pub active: bool,
    /// Expiry, Unix seconds.
    pub not_after: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// The certificate, PEM ("Certificate (Base64)").
    pub pem: String,
}

impl From<&AppCertificate> for CertificateDto {
    fn from(c: &AppCertificate) -> Self {
        CertificateDto {
            thumbprint: c.thumbprint.clone(),
            active: c.active,
            not_after: c.not_after,
            created_at: c.created_at,
            pem: c.certificate.to_pem(),
        }
    }
}

/// Basic SAML Configuration and the signing options of an application.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SamlDto {
    /// Identifiers (Entity IDs).
    pub identifiers: Vec<IdentifierDto>,
    /// Reply URLs (Assertion Consumer Service URLs).
    pub reply_urls: Vec<ReplyUrlDto>,
    /// Sign on URL.
    pub sign_on_url: Option<String>,
    /// Relay State.
    pub relay_state: Option<String>,
    /// Logout Url (the application's).
    pub logout_url: Option<String>,
    /// `response`, `assertion` or `both`.
    pub sign_mode: String,
    /// `rsa-sha256` or `rsa-sha1`.
    pub signing_alg: String,
    /// AuthnRequests must be signed.
    pub require_signed_requests: bool,
    /// Request signatures must be SHA-256.
    pub require_sha256: bool,
    /// Clock-skew allowance, seconds.
    pub clock_skew_secs: i64,
    /// The SP's request-signing certificates.
    pub sp_certificates: Vec<SpCertificateDto>,
}

impl From<&crate::apps::SamlConfig> for SamlDto {
    fn from(s: &crate::apps::SamlConfig) -> Self {
        SamlDto {
            identifiers: s
                .identifiers
                .iter()
                .map(|i| IdentifierDto {
                    value: i.value.clone(),
                    is_default: i.is_default,
                })
                .collect(),
            reply_urls: s
                .reply_urls
                .iter()
                .map(|r| ReplyUrlDto {
                    url: r.url.clone(),
                    index: r.index,
                    is_default: r.is_default,
                })
                .collect(),
            sign_on_url: s.sign_on_url.clone(),
            relay_state: s.relay_state.clone(),
            logout_url: s.logout_url.clone(),
            sign_mode: s.sign_mode.as_str().to_owned(),
            signing_alg: s.signing_alg.as_str().to_owned(),
            require_signed_requests: s.require_signed_requests,
            require_sha256: s.require_sha256,
            clock_skew_secs: s.clock_skew_secs,
            sp_certificates: s
                .sp_certificates
                .iter()
                .map(|c| {
                    let c = crate::apps::config::CertificateSummary::of(c);
                    SpCertificateDto {
                        thumbprint: c.thumbprint,
                        subject: c.subject,
                        not_after: c.not_after,
                    }
                })
                .collect(),
        }
    }
}

/// A change of the Basic SAML Configuration; absent fields stay, `""` clears a URL.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SamlBody {
    /// Identifiers (replaces the list; one default, else the first).
    #[serde(default)]
    pub identifiers: Option<Vec<IdentifierDto>>,
    /// Reply URLs (replaces the list; one default, else the first).
    #[serde(default)]
    pub reply_urls: Option<Vec<ReplyUrlDto>>,
    /// Sign on URL (`""` clears it).
    #[serde(default)]
    pub sign_on_url: Option<String>,
    /// Relay State (`""` clears it).
    #[serde(default)]
    pub relay_state: Option<String>,
    /// Logout Url (`""` clears it).
    #[serde(default)]
    pub logout_url: Option<String>,
    /// `response`, `assertion` or `both`.
    #[serde(default)]
    pub sign_mode: Option<String>,
    /// `rsa-sha256` or `rsa-sha1`.
    #[serde(default)]
    pub signing_alg: Option<String>,
    /// AuthnRequests must be signed.
    #[serde(default)]
    pub require_signed_requests: Option<bool>,
    /// Request signatures must be SHA-256.
    #[serde(default)]
    pub require_sha256: Option<bool>,
    /// Clock-skew allowance, seconds (0–600).
    #[serde(default)]
    pub clock_skew_secs: Option<i64>,
}

/// An enterprise application.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppDto {
    /// Object id: also the `appid` of its federation metadata URL.
    pub id: String,
    /// Name.
    pub name: String,
    /// The gallery template, null for a custom application.
    pub gallery_id: Option<String>,
    /// Enabled for users to sign in.
    pub enabled: bool,
    /// Assignment required.
    pub assignment_required: bool,
    /// Visible to users (My Apps).
    pub visible: bool,
    /// Notes.
    pub notes: String,
    /// Whether SAML single sign-on is configured. False ("SAML not configured"): the
    /// app lacks an Identifier, a Reply URL or a value its gallery template requires,
    /// listed in `missing`; SSO is refused with SESAME900060 until they are set.
    pub saml_configured: bool,
    /// The Basic SAML Configuration settings still needed, as the portal names them
    /// (empty when configured).
    pub missing: Vec<String>,
    /// Login URL (Set up the application).
    pub login_url: String,
    /// Logout URL (Sesame's).
    pub logout_url: String,
    /// IdP Identifier.
    pub idp_identifier: String,
    /// App Federation Metadata Url.
    pub federation_metadata_url: String,
    /// What a My Apps tile opens.
    pub launch_url: String,
    /// Basic SAML Configuration.
    pub saml: SamlDto,
    /// NameID (Unique User Identifier) source.
    pub nameid_source: String,
    /// NameID format.
    pub nameid_format: String,
    /// SAML Certificates.
    pub certificates: Vec<CertificateDto>,
    /// Notification Email Addresses (SAML Signing Certificate): who is told before the
    /// active signing certificate expires.
    pub notification_email_addresses: Vec<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

impl AppDto {
    /// The DTO of an app, its view and its Notification Email Addresses.
    pub fn of(app: &crate::apps::App, v: &AppView, notification: Vec<String>) -> AppDto {
        AppDto {
            id: v.id.clone(),
            name: v.name.clone(),
            gallery_id: v.gallery_id.clone(),
            enabled: v.enabled,
            assignment_required: v.assignment_required,
            visible: v.visible,
            notes: v.notes.clone(),
            saml_configured: v.saml_configured,
            missing: v.missing.iter().map(|m| (*m).to_owned()).collect(),
            login_url: v.login_url.clone(),
            logout_url: v.logout_url.clone(),
            idp_identifier: v.idp_identifier.clone(),
            federation_metadata_url: v.federation_metadata_url.clone(),
            launch_url: v.launch_url.clone(),
            saml: SamlDto::from(&app.saml),
            nameid_source: v.nameid_source.clone(),
            nameid_format: v.nameid_format.clone(),
            certificates: v.certificates.iter().map(CertificateDto::from).collect(),
            notification_email_addresses: notification,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

/// A new application: from the gallery (`gallery_id`) or custom (without it).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Convene", "gallery_id": "convene", "saml": {"identifiers": [{"value": "https://portal.convene.me.uk/saml"}], "reply_urls": [{"url": "https://portal.convene.me.uk/saml/acs/4f9c2e1a"}]}}))]
pub struct NewAppBody {
    /// Name.
    pub name: String,
    /// A gallery template id ("Browse the gallery"); absent: "Create your own application".
    #[serde(default)]
    pub gallery_id: Option<String>,
    /// Basic SAML Configuration to start with.
    #[serde(default)]
    pub saml: Option<SamlBody>,
}

/// Properties of an application; absent fields stay.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppPatch {
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Enabled for users to sign in.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Assignment required.
    #[serde(default)]
    pub assignment_required: Option<bool>,
    /// Visible to users.
    #[serde(default)]
    pub visible: Option<bool>,
    /// Notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// Notification Email Addresses (at most 20; `[]` for nobody), validated as the
    /// portal does (SESAME910004 names a bad one).
    #[serde(default)]
    pub notification_email_addresses: Option<Vec<String>>,
}

/// What an SP metadata upload changed, and the configuration after it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MetadataApplied {
    /// The SP's entityID, now the default Identifier.
    pub entity_id: String,
    /// Reply URLs taken.
    pub reply_urls: usize,
    /// Whether a Logout URL was taken.
    pub logout_url: bool,
    /// SP signing certificates taken.
    pub certificates: usize,
    /// The SP says it signs its AuthnRequests (signatures are then required when a
    /// certificate to check them is known).
    pub authn_requests_signed: bool,
    /// Set when the SP says it signs its AuthnRequests but no signing certificate is
    /// known: "Require signed AuthnRequests" is left off, and this says what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// The Basic SAML Configuration now.
    pub saml: SamlDto,
}

/// One claim (Attributes & Claims).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimDto {
    /// Name.
    pub name: String,
    /// Namespace (`""`: the bare name).
    pub namespace: String,
    /// The attribute Name sent: namespace/name.
    pub full_name: String,
    /// `unspecified`, `uri` or `basic`.
    pub name_format: String,
    /// `attribute`, `constant` or `transform`.
    pub source_kind: String,
    /// The source: an attribute (`user.mail`), a quoted constant or a transformation.
    pub source: String,
}

impl From<&Claim> for ClaimDto {
    fn from(c: &Claim) -> Self {
        ClaimDto {
            name: c.name.clone(),
            namespace: c.namespace.clone(),
            full_name: c.full_name(),
            name_format: c.name_format.as_str().to_owned(),
            source_kind: c.source.kind().to_owned(),
            source: c.source.to_string(),
        }
    }
}

/// A claim to add or change ("Add new claim").
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "department", "namespace": "", "source": "user.department"}))]
pub struct ClaimBody {
    /// Name.
    pub name: String,
    /// Namespace (`""` or absent: the bare name).
    #[serde(default)]
    pub namespace: Option<String>,
    /// `unspecified` (default; `omitted` is the same: no NameFormat attribute is sent),
    /// `uri` (usual for `urn:` names) or `basic`.
    #[serde(default)]
    pub name_format: Option<String>,
    /// Source: an attribute (`user.mail`), a quoted constant (`"text"`) or a
    /// transformation (`ToLowercase(user.mail)`).
    pub source: String,
}

/// Which claim to delete.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClaimKey {
    /// The claim's name.
    pub name: String,
    /// Its namespace (absent: the bare name).
    #[serde(default)]
    pub namespace: Option<String>,
}

/// The Unique User Identifier (NameID).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"source": "user.mail", "format": "emailAddress"}))]
pub struct NameIdDto {
    /// Source attribute (`user.userprincipalname`, `user.mail`) or a transformation.
    pub source: String,
    /// `default`, `emailAddress`, `persistent`, `unspecified`, `transient`,
    /// `windowsDomainQualifiedName` (or the format URI).
    pub format: String,
}

impl From<&NameIdConfig> for NameIdDto {
    fn from(n: &NameIdConfig) -> Self {
        NameIdDto {
            source: n.source.to_string(),
            format: n.format.to_string(),
        }
    }
}

/// The group claim of an application.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupClaimsDto {
    /// Whether a group claim is sent.
    pub enabled: bool,
    /// `all` (every group of the user) or `assigned_to_app`.
    #[serde(default)]
    pub scope: Option<String>,
    /// `object_id` or `name`.
    #[serde(default)]
    pub emit: Option<String>,
    /// The claim's name (default the groups claim).
    #[serde(default)]
    pub claim_name: Option<String>,
}

impl From<Option<&GroupClaims>> for GroupClaimsDto {
    fn from(g: Option<&GroupClaims>) -> Self {
        match g {
            None => GroupClaimsDto {
                enabled: false,
                scope: None,
                emit: None,
                claim_name: None,
            },
            Some(g) => GroupClaimsDto {
                enabled: true,
                scope: Some(
                    match g.scope {
                        GroupScope::All => "all",
                        GroupScope::AssignedToApp => "assigned_to_app",
                    }
                    .into(),
                ),
                emit: Some(
                    match g.emit {
                        GroupEmit::ObjectId => "object_id",
                        GroupEmit::Name => "name",
                    }
                    .into(),
                ),
                claim_name: Some(g.claim_name.clone()),
            },
        }
    }
}

/// An assignment (Users and groups).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssignmentDto {
    /// `user` or `group`.
    pub principal_kind: String,
    /// Object id.
    pub principal_id: String,
    /// User name or group name.
    pub principal_name: String,
    /// App role; `""` for Default Access.
    pub role: String,
}

impl From<&AssignmentView> for AssignmentDto {
    fn from(a: &AssignmentView) -> Self {
        AssignmentDto {
            principal_kind: a.principal_kind.to_owned(),
            principal_id: a.principal_id.clone(),
            principal_name: a.principal_name.clone(),
            role: a.role.clone(),
        }
    }
}

/// A new assignment: a user or a group (exactly one), with an optional app role.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"user": "B.Simon@contoso.com"}))]
pub struct AssignBody {
    /// A user, by object id or user name.
    #[serde(default)]
    pub user: Option<String>,
    /// A group, by object id or name.
    #[serde(default)]
    pub group: Option<String>,
    /// An app role (absent: Default Access).
    #[serde(default)]
    pub role: Option<String>,
}

/// Which role of an assignment to remove.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoleQuery {
    /// Only the assignment with this app role (absent: all of the principal's).
    #[serde(default)]
    pub role: Option<String>,
}

/// An application a user is assigned to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserAppDto {
    /// Application id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The roles held (`""`: Default Access).
    pub roles: Vec<String>,
}
