//! Single logout: LogoutResponses to an application's Logout URL (after an SP-initiated
//! LogoutRequest) and LogoutRequests to the other applications of a session (IdP-initiated
//! sign-out). Both by HTTP-Redirect, signed with the application's key.

use super::{ErrorCode, SsoApp, SsoError};
use crate::ids::random_id;
use sesame_saml::bindings::redirect::{encode_query, redirect_url};
use sesame_saml::bindings::MessageKind;
use sesame_saml::messages::{LogoutRequest, LogoutResponse, NameId, Status};
use sesame_saml::time::Timestamp;

fn signer(
    app: &SsoApp,
) -> Option<(
    &sesame_saml::crypto::SigningKey,
    sesame_saml::crypto::SignatureAlgorithm,
)> {
    app.signer.as_ref().map(|s| (&s.key, s.alg))
}

/// The Redirect URL carrying a LogoutResponse to `app`'s Logout URL.
pub fn logout_response_url(
    now: Timestamp,
    idp_issuer: &str,
    app: &SsoApp,
    in_response_to: &str,
    status: Status,
    relay_state: Option<&str>,
) -> Result<String, SsoError> {
    let dest = app
        .logout_url
        .as_deref()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            SsoError::new(
                ErrorCode::NoLogoutUrl,
                format!("application \"{}\" has no Logout URL", app.name),
            )
        })?;
    let r = LogoutResponse {
        id: random_id(),
        in_response_to: Some(in_response_to.to_owned()),
        issue_instant: now,
        destination: Some(dest.to_owned()),
        issuer: idp_issuer.to_owned(),
        status,
    };
    let q = encode_query(MessageKind::Response, &r.to_xml(), relay_state, signer(app))
        .map_err(|e| SsoError::new(ErrorCode::InternalError, e.to_string()))?;
    Ok(redirect_url(dest, &q))
}

/// The Redirect URL carrying a LogoutRequest for `name_id` / `session_index` to `app`'s
/// Logout URL; `None` when the app has none.
pub fn logout_request_url(
    now: Timestamp,
    idp_issuer: &str,
    app: &SsoApp,
    name_id: &str,
    name_id_format: &str,
    session_index: &str,
) -> Option<String> {
    let dest = app.logout_url.as_deref().filter(|u| !u.is_empty())?;
    let r = LogoutRequest {
        id: random_id(),
        issue_instant: now,
        destination: Some(dest.to_owned()),
        issuer: idp_issuer.to_owned(),
        name_id: NameId::new(name_id, Some(name_id_format)),
        session_indexes: vec![session_index.to_owned()],
        reason: Some(sesame_saml::messages::logout::REASON_USER.to_owned()),
        not_on_or_after: Some(now.plus_seconds(300)),
    };
    let q = encode_query(MessageKind::Request, &r.to_xml(), None, signer(app)).ok()?;
    Some(redirect_url(dest, &q))
}
