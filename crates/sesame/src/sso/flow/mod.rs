//! The sign-in use case, as functions of the store, the configuration snapshot and the
//! hot path's memory, without HTTP. The web layer decodes a message, calls these steps,
//! renders what they return and logs it:
//!
//! * [`Flow::begin`]: a decoded SAML message → its XML parsed once → the application
//!   looked up by the Issuer, the signature verified, the request validated
//!   ([`super::authn`]) → the replay cache. The result says what the message asks for
//!   ([`Begun`]).
//! * [`next`]: a validated sign-in is answered with the session, refused as NoPassive,
//!   or sent to the sign-in page.
//! * [`Flow::issue`]: a validated request and a session → the application re-read from
//!   the current configuration, the user, the grant (assignment, claim data), the
//!   claims and NameID, the SessionIndex, the signed Response, and what the session must
//!   record of it ([`Issuance`]); [`Flow::persist`] writes that record.
//!
//! Every failure is a [`Failure`]: the error and what the sign-in log row records with it
//! (the application, the user, the request ID).

mod access;
mod begin;
mod issue;
mod logout;
#[cfg(test)]
mod tests;

pub use begin::{screen, Begun, Message};
pub use issue::{session_level, Issuance};

use super::authn::Validated;
use super::cache::AppCache;
use super::hot::HotPath;
use super::{now, session, slo, ErrorCode, SsoApp, SsoError};
use crate::directory::User;
use crate::store::{SessionWithUser, Store};
use sesame_saml::messages::Status;
use std::sync::Arc;

/// The user a sign-in log row names: the object id when known, and the user name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Who {
    /// The user's object id (`None`: no such user).
    pub id: Option<String>,
    /// The user principal name (as typed, when there is no such user).
    pub upn: String,
}

impl Who {
    /// A known user.
    pub fn user(id: &str, upn: &str) -> Self {
        Who {
            id: Some(id.to_owned()),
            upn: upn.to_owned(),
        }
    }

    /// The user of a session.
    pub fn of(s: &SessionWithUser) -> Self {
        Who::user(&s.session.user_id, &s.upn)
    }
}

/// A step of the flow that failed: the error, and what the sign-in log row records with
/// it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{error}")]
pub struct Failure {
    /// What went wrong.
    pub error: SsoError,
    /// The application, when known.
    pub app: Option<Arc<SsoApp>>,
    /// The user, when known.
    pub user: Option<Who>,
    /// The request ID, when read.
    pub request_id: Option<String>,
}

impl From<SsoError> for Failure {
    fn from(error: SsoError) -> Self {
        Failure {
            error,
            app: None,
            user: None,
            request_id: None,
        }
    }
}

impl Failure {
    /// The failure of `app`.
    #[must_use]
    pub fn app(mut self, app: &Arc<SsoApp>) -> Self {
        self.app = Some(Arc::clone(app));
        self
    }

    /// The failure of `user`'s sign-in.
    #[must_use]
    pub fn user(mut self, user: Option<Who>) -> Self {
        self.user = user;
        self
    }

    /// The failure of the request with this ID.
    #[must_use]
    pub fn request(mut self, request_id: Option<&str>) -> Self {
        self.request_id = request_id.map(str::to_owned);
        self
    }
}

/// A failure outside the protocol: 503 when the database is out of reach, else 500.
fn internal<E: std::error::Error + 'static>(e: E) -> SsoError {
    SsoError::internal(&e)
}

/// The tenant of the path, checked against this installation's.
pub fn check_tenant(cache: &AppCache, tenant: &str) -> Result<(), SsoError> {
    match &cache.tenant {
        Some(t) if t.id.eq_ignore_ascii_case(tenant) => Ok(()),
        _ => Err(SsoError::new(
            ErrorCode::TenantNotFound,
            format!(
                "tenant \"{}\" does not exist here",
                tenant.chars().take(64).collect::<String>()
            ),
        )),
    }
}

/// What to do with a validated sign-in request.
#[derive(Debug)]
pub enum Next {
    /// Answer with this session.
    Issue(Box<SessionWithUser>),
    /// Refuse with NoPassive, back to the application.
    NoPassive(SsoError),
    /// Ask the user to sign in.
    SignIn,
}

/// What to do with `v`, given the browser's current session (looked up only when the
/// request does not force authentication).
pub fn next(v: &Validated, session: Option<SessionWithUser>) -> Next {
    if let (false, Some(s)) = (v.force_authn, session) {
        return Next::Issue(Box::new(s));
    }
    if v.is_passive {
        return Next::NoPassive(SsoError::new(
            ErrorCode::NoPassive,
            if v.force_authn {
                "the request asks for both ForceAuthn and IsPassive".to_owned()
            } else {
                "the user has no session and IsPassive forbids the sign-in page".to_owned()
            },
        ));
    }
    Next::SignIn
}

/// The sign-in use case over one configuration snapshot.
#[derive(Debug, Clone, Copy)]
pub struct Flow<'a> {
    store: &'a Store,
    hot: &'a HotPath,
    cache: &'a AppCache,
}

impl<'a> Flow<'a> {
    /// The flow over `cache`, reading and writing `store`, remembering in `hot`.
    pub fn new(store: &'a Store, hot: &'a HotPath, cache: &'a AppCache) -> Self {
        Flow { store, hot, cache }
    }

    /// The configuration snapshot.
    pub fn cache(&self) -> &'a AppCache {
        self.cache
    }

    /// Ends the session whose cookie hash is `id_hash`.
    pub async fn end_session(&self, id_hash: &str) -> Result<(), SsoError> {
        self.store.session_delete(id_hash).await.map_err(internal)?;
        self.hot.forget_session(id_hash, &self.cache.memo);
        Ok(())
    }

    /// Starts a session for `user`, authenticated by `method` at `now_ms` (Unix
    /// milliseconds) from `client` (its User-Agent and address, stored with the session
    /// in the same insert); the browser's previous session (`old_cookie`) ends. Returns
    /// the new cookie value and the session.
    pub async fn start_session(
        &self,
        old_cookie: Option<&str>,
        user: &User,
        method: &str,
        now_ms: i64,
        client: &session::Client,
    ) -> Result<(String, SessionWithUser), SsoError> {
        if let Some(old) = old_cookie.filter(|v| session::plausible_cookie(v)) {
            let old = session::hash_cookie(old);
            let _ = self.store.session_delete(&old).await;
            self.hot.forget_session(&old, &self.cache.memo);
        }
        let Some((value, hash)) = session::new_cookie() else {
            return Err(SsoError::new(
                ErrorCode::InternalError,
                "the system random generator failed",
            ));
        };
        let record = session::new_record(hash, &user.id, method, now_ms, client);
        self.store.session_insert(&record).await.map_err(internal)?;
        Ok((
            value,
            SessionWithUser {
                session: record,
                upn: user.upn.clone(),
                user_enabled: true,
                // The user was read before this session started: whatever revoked
                // earlier sessions did so before now.
                sessions_valid_after_ms: user.sessions_valid_after.saturating_mul(1000),
                password_change_required: user.password_change_required,
            },
        ))
    }

    /// The LogoutResponse URL answering the LogoutRequest `request_id` of `app`.
    pub fn logout_reply(
        &self,
        app: &SsoApp,
        request_id: &str,
        relay_state: Option<&str>,
    ) -> Result<String, SsoError> {
        slo::logout_response_url(
            now(),
            &self.cache.idp_issuer,
            app,
            request_id,
            Status::success(),
            relay_state,
        )
    }

    /// The LogoutRequest URLs to the applications the session `id_hash` signed in to
    /// that have a Logout URL (none when the store cannot say).
    pub async fn logout_requests(&self, id_hash: &str) -> Vec<String> {
        let t = now();
        let Ok(list) = self.store.session_apps(id_hash).await else {
            return Vec::new();
        };
        list.iter()
            .filter_map(|sa| {
                let app = self.cache.by_id(&sa.app_id)?;
                slo::logout_request_url(
                    t,
                    &self.cache.idp_issuer,
                    app,
                    &sa.name_id,
                    &sa.name_id_format,
                    &sa.session_index,
                )
            })
            .collect()
    }
}
