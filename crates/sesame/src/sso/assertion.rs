//! Response assembly: the Assertion Sesame sends for a signed-in user, built and signed by
//! `sesame_saml::messages::response::build_response` in one pre-sized string.
//!
//! Shape (Azure AD's): NameID from the app's NameID configuration (default
//! `user.userprincipalname`, format emailAddress; persistent = a per-app pseudonym,
//! transient = a fresh value); Audience = the Identifier the request used; Recipient = the
//! Reply URL used; Assertion NotOnOrAfter 70 minutes after issue; NotBefore back-dated by
//! the app's clock-skew allowance; SubjectConfirmationData NotOnOrAfter 5 minutes out;
//! AuthnStatement with the SessionIndex; the app's claims, group claim and role claim,
//! evaluated by the claims engine ([`crate::apps::claims`]) from the cached configuration.

use super::authn::Validated;
use super::{ErrorCode, Signer, SsoApp, SsoError};
use crate::apps::claims::{self, ClaimContext, UserClaimData};
use crate::directory::User;
use crate::ids::random_id;
use sesame_saml::messages::{
    build_response, AssertionParams, Attribute, AuthnStatement, Conditions, NameId, ResponseParams,
    Status, SubjectConfirmation,
};
use sesame_saml::time::Timestamp;

/// The claim namespace of the default claims.
pub const CLAIMS_NS: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/";
/// Assertion lifetime, seconds (Azure AD: 70 minutes).
pub const ASSERTION_LIFETIME_SECS: i64 = 70 * 60;
/// SubjectConfirmationData lifetime, seconds.
pub const CONFIRMATION_LIFETIME_SECS: i64 = 5 * 60;

/// The value of a user attribute named like Azure AD's `user.…` sources.
pub fn user_attribute<'a>(user: &'a User, source: &str) -> Option<&'a str> {
    let v = match source.to_ascii_lowercase().as_str() {
        "user.userprincipalname" => user.upn.as_str(),
        "user.mail" => user.mail.as_str(),
        "user.objectid" => user.id.as_str(),
        "user.givenname" => user.given_name.as_str(),
        "user.surname" => user.surname.as_str(),
        "user.displayname" => user.display_name.as_str(),
        "user.department" => user.department.as_str(),
        "user.jobtitle" => user.job_title.as_str(),
        "user.employeeid" => user.employee_id.as_str(),
        "user.companyname" => user.company_name.as_str(),
        other => {
            let key = other.strip_prefix("user.")?;
            user.extension_attributes.get(key).map(String::as_str)?
        }
    };
    Some(v)
}

/// The evaluation context of `user` signing in to `app`: `data` holds what
/// [`claims::load_user_data`] loaded (groups and roles, only when the app needs them);
/// `methods`, the session's record of the methods used (borrowed: read only when a claim
/// asks for `user.authenticationmethods`).
pub fn claim_context<'a>(
    app: &'a SsoApp,
    user: &'a User,
    data: &'a UserClaimData,
    public_url: &'a str,
    methods: &'a str,
) -> ClaimContext<'a> {
    ClaimContext {
        user,
        groups: &data.groups,
        app_groups: &app.claims.assigned_groups,
        roles: &data.roles,
        group_claims: app.claims.group_claims.as_ref(),
        public_url,
        methods,
    }
}

/// The NameID for the context's user in `format` (the format URI sent): persistent, the
/// app's pseudonym of the user; transient, a fresh random value; otherwise the app's
/// NameID source, falling back to the UPN when it is empty.
pub fn name_id_for(app: &SsoApp, ctx: &ClaimContext<'_>, format: &str) -> String {
    claims::nameid_value(
        ctx,
        &app.claims.nameid,
        format,
        app.claims.persistent_key.as_ref(),
    )
}

/// The claims for the context's user in `app`: the configured claims (left out when
/// empty, as Azure AD does), the group claim and the role claim.
pub fn claims_for(app: &SsoApp, ctx: &ClaimContext<'_>) -> Vec<Attribute> {
    claims::evaluate(ctx, &app.claims.claims)
}

/// What a successful sign-in sends, with the values recorded for single logout.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The signed Response XML.
    pub xml: String,
    /// The NameID sent.
    pub name_id: String,
    /// The SessionIndex sent.
    pub session_index: String,
}

/// The successful Response for the context's user signed in at `authn_instant`, unsigned,
/// with the NameID value sent. [`success`] signs it; `sesame app preview` prints it.
pub fn response_params(
    now: Timestamp,
    idp_issuer: &str,
    app: &SsoApp,
    v: &Validated,
    ctx: &ClaimContext<'_>,
    authn_instant: Timestamp,
    session_index: &str,
) -> (ResponseParams, String) {
    let name_id = name_id_for(app, ctx, &v.name_id_format);
    let p = ResponseParams {
        id: random_id(),
        in_response_to: v.request_id.clone(),
        issue_instant: now,
        destination: Some(v.acs_url.clone()),
        issuer: idp_issuer.to_owned(),
        status: Status::success(),
        assertion: Some(AssertionParams {
            id: random_id(),
            issue_instant: now,
            issuer: idp_issuer.to_owned(),
            name_id: NameId::new(name_id.clone(), Some(&v.name_id_format)),
            subject_confirmation: SubjectConfirmation {
                recipient: v.acs_url.clone(),
                not_on_or_after: now.plus_seconds(CONFIRMATION_LIFETIME_SECS),
                in_response_to: v.request_id.clone(),
            },
            conditions: Conditions {
                not_before: now.plus_seconds(-app.clock_skew_secs.max(0)),
                not_on_or_after: now.plus_seconds(ASSERTION_LIFETIME_SECS),
                audiences: vec![v.audience.clone()],
            },
            authn: Some(AuthnStatement {
                authn_instant,
                session_index: session_index.to_owned(),
                session_not_on_or_after: None,
                class_ref: v.authn_class.clone(),
            }),
            attributes: claims_for(app, ctx),
        }),
    };
    (p, name_id)
}

/// Builds and signs the successful Response for the context's user signed in at
/// `authn_instant`.
pub fn success(
    now: Timestamp,
    idp_issuer: &str,
    app: &SsoApp,
    v: &Validated,
    ctx: &ClaimContext<'_>,
    authn_instant: Timestamp,
    session_index: &str,
) -> Result<Issued, SsoError> {
    let signer = app.signer.as_deref().ok_or_else(|| {
        SsoError::new(
            ErrorCode::NoSigningCertificate,
            format!(
                "application \"{}\" has no active signing certificate",
                app.name
            ),
        )
    })?;
    let (p, name_id) = response_params(now, idp_issuer, app, v, ctx, authn_instant, session_index);
    Ok(Issued {
        xml: sign(&p, Some(signer))?,
        name_id,
        session_index: session_index.to_owned(),
    })
}

/// Serialises the Response of `p`, signed by `signer` when there is one: how every
/// Response Sesame sends (or previews) is built.
pub fn sign(p: &ResponseParams, signer: Option<&Signer>) -> Result<String, SsoError> {
    build_response(p, signer).map_err(|e| {
        SsoError::new(
            ErrorCode::InternalError,
            format!("building the response: {e}"),
        )
    })
}

/// Builds a status-only error Response (signed when the app has a key) for an error that
/// goes back to the application.
pub fn error_response(
    now: Timestamp,
    idp_issuer: &str,
    app: &SsoApp,
    v: &Validated,
    status: Status,
) -> Result<String, SsoError> {
    let p = ResponseParams {
        id: random_id(),
        in_response_to: v.request_id.clone(),
        issue_instant: now,
        destination: Some(v.acs_url.clone()),
        issuer: idp_issuer.to_owned(),
        status,
        assertion: None,
    };
    sign(&p, app.signer.as_deref())
}
