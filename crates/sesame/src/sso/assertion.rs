//! Response assembly: the Assertion Sesame sends for a signed-in user, built and signed by
//! `sesame_saml::messages::response::build_response` in one pre-sized string.
//!
//! Shape (Azure AD's): NameID from the app's source attribute (default
//! `user.userprincipalname`, format emailAddress); Audience = the Identifier the request
//! used; Recipient = the Reply URL used; Assertion NotOnOrAfter 70 minutes after issue;
//! NotBefore back-dated by the app's clock-skew allowance; SubjectConfirmationData
//! NotOnOrAfter 5 minutes out; AuthnStatement with the SessionIndex; the default claims
//! (givenname, surname, emailaddress, name). [`claims_for`] is the seam the claims engine
//! (issue 4) replaces.

use super::authn::Validated;
use super::{random_id, ErrorCode, SsoApp, SsoError};
use crate::directory::User;
use sesame_saml::messages::{
    build_response, AssertionParams, Attribute, AuthnStatement, Conditions, NameId, ResponseParams,
    Status, SubjectConfirmation, NAMEID_PERSISTENT, NAMEID_TRANSIENT,
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

/// The NameID for `user` in `format` (persistent: the object id; transient: a fresh
/// random value; otherwise the app's source attribute, falling back to the UPN).
pub fn name_id_for(app: &SsoApp, user: &User, format: &str) -> String {
    match format {
        NAMEID_PERSISTENT => user.id.clone(),
        NAMEID_TRANSIENT => random_id(),
        _ => user_attribute(user, &app.nameid_source)
            .filter(|v| !v.is_empty())
            .unwrap_or(&user.upn)
            .to_owned(),
    }
}

/// The claims for `user` in `app`: today the four default claims, left out when empty
/// (as Azure AD does). The claims engine of issue 4 replaces this function.
pub fn claims_for(_app: &SsoApp, user: &User) -> Vec<Attribute> {
    let mut out = Vec::with_capacity(4);
    for (name, value) in [
        ("givenname", user.given_name.as_str()),
        ("surname", user.surname.as_str()),
        ("emailaddress", user.mail.as_str()),
        ("name", user.upn.as_str()),
    ] {
        if !value.is_empty() {
            out.push(Attribute::new(
                format!("{CLAIMS_NS}{name}"),
                vec![value.to_owned()],
            ));
        }
    }
    out
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

/// Builds and signs the successful Response for `user` signed in at `authn_instant`.
pub fn success(
    now: Timestamp,
    idp_issuer: &str,
    app: &SsoApp,
    v: &Validated,
    user: &User,
    authn_instant: Timestamp,
    session_index: &str,
) -> Result<Issued, SsoError> {
    let signer = app.signer.as_ref().ok_or_else(|| {
        SsoError::new(
            ErrorCode::NoSigningCertificate,
            format!(
                "application \"{}\" has no active signing certificate",
                app.name
            ),
        )
    })?;
    let name_id = name_id_for(app, user, &v.name_id_format);
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
            attributes: claims_for(app, user),
        }),
    };
    let xml = build_response(
        &p,
        Some((&signer.key, &signer.cert, signer.alg, signer.target)),
    )
    .map_err(|e| {
        SsoError::new(
            ErrorCode::InternalError,
            format!("building the response: {e}"),
        )
    })?;
    Ok(Issued {
        xml,
        name_id,
        session_index: session_index.to_owned(),
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
    let signer = app
        .signer
        .as_ref()
        .map(|s| (&s.key, &s.cert, s.alg, s.target));
    build_response(&p, signer).map_err(|e| {
        SsoError::new(
            ErrorCode::InternalError,
            format!("building the response: {e}"),
        )
    })
}
