//! Single logout asked by an application: whether its LogoutRequest names the browser's
//! session. A LogoutRequest travels through the browser and is often unsigned, so anyone
//! can make a browser send one; it ends the session only when it names what that
//! application received in this session.

use super::{internal, Flow};
use crate::sso::{SsoApp, SsoError};
use crate::store::{SessionApp, SessionWithUser};
use sesame_saml::messages::LogoutRequest;

impl Flow<'_> {
    /// Whether `req`, from `app`, names the session `s`: `app` signed in with this session,
    /// and the request carries the NameID and one of the SessionIndexes sent to it.
    pub async fn logout_names_session(
        &self,
        s: &SessionWithUser,
        app: &SsoApp,
        req: &LogoutRequest,
    ) -> Result<bool, SsoError> {
        let list = self
            .store
            .session_apps(&s.session.id_hash)
            .await
            .map_err(internal)?;
        Ok(list.iter().any(|sa| names(sa, &app.id, req)))
    }
}

/// Whether `req` names the session's record `sa` of the application `app_id`. A request
/// without a SessionIndex names every session of the principal at the application, which
/// a stranger could ask for with the principal's NameID alone: it names none here.
fn names(sa: &SessionApp, app_id: &str, req: &LogoutRequest) -> bool {
    sa.app_id == app_id
        && sa.name_id == req.name_id.value
        && req.session_indexes.contains(&sa.session_index)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sesame_saml::messages::NameId;

    fn req(name_id: &str, indexes: &[&str]) -> LogoutRequest {
        LogoutRequest {
            id: "_lo".into(),
            issue_instant: sesame_saml::time::Timestamp::from(std::time::SystemTime::now()),
            destination: None,
            issuer: "sp".into(),
            name_id: NameId::new(name_id, None),
            session_indexes: indexes.iter().map(|s| (*s).to_owned()).collect(),
            reason: None,
            not_on_or_after: None,
        }
    }

    #[test]
    fn only_the_nameid_and_session_index_sent_name_the_session() {
        let sa = SessionApp {
            app_id: "app".into(),
            name_id: "b.simon@contoso.com".into(),
            name_id_format: String::new(),
            session_index: "_si".into(),
        };
        assert!(names(
            &sa,
            "app",
            &req("b.simon@contoso.com", &["_x", "_si"])
        ));
        assert!(!names(&sa, "other", &req("b.simon@contoso.com", &["_si"])));
        assert!(!names(&sa, "app", &req("someone@contoso.com", &["_si"])));
        assert!(!names(&sa, "app", &req("b.simon@contoso.com", &["_x"])));
        assert!(!names(&sa, "app", &req("b.simon@contoso.com", &[])));
    }
}
