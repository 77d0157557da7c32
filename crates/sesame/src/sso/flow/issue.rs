//! The last step of a sign-in: a validated request and a session become a signed
//! Response, and what the session must record of it.

use super::{internal, Failure, Flow, Who};
use crate::directory::User;
use crate::sso::authn::{self, Validated};
use crate::sso::hot::Grant;
use crate::sso::{assertion, now, session, ErrorCode, SsoApp, SsoError};
use crate::store::{SessionApp, SessionWithUser};
use sesame_saml::time::Timestamp;
use std::sync::Arc;

/// A Response issued for a signed-in user.
#[derive(Debug)]
pub struct Issuance {
    /// The application, as in the current configuration.
    pub app: Arc<SsoApp>,
    /// The user.
    pub user: Who,
    /// The signed Response XML.
    pub response: String,
    /// What the session must record of this application (for single logout), when it
    /// differs from what is known to be stored.
    pub record: Option<SessionApp>,
}

/// What the session `s` did, as the AuthnContext table ranks it: 3 a passkey, 2 a
/// second factor, else 1 (the password).
pub fn session_level(s: &SessionWithUser) -> authn::Level {
    use crate::access::eval;
    let used = eval::session_methods(&s.session.methods);
    if used.iter().any(|u| u.method == eval::PASSKEY) {
        3
    } else if used.iter().any(|u| eval::is_second_factor(&u.method)) {
        2
    } else {
        1
    }
}

impl Flow<'_> {
    /// The user of a session, from the snapshot's memo or the store.
    async fn user(&self, user_id: &str) -> Result<Option<Arc<User>>, SsoError> {
        let memo = &self.cache.memo;
        if let Some(u) = memo.user(user_id) {
            return Ok(Some(u));
        }
        let Some(u) = self.store.user_by_id(user_id).await.map_err(internal)? else {
            return Ok(None);
        };
        let u = Arc::new(u);
        if u.enabled {
            memo.put_user(Arc::clone(&u));
        }
        Ok(Some(u))
    }

    /// The grant of (`app`, `user_id`), from the snapshot's memo or the store.
    async fn grant(&self, app: &SsoApp, user_id: &str) -> Result<Arc<Grant>, SsoError> {
        let memo = &self.cache.memo;
        if let Some(g) = memo.grant(&app.id, user_id) {
            return Ok(g);
        }
        let g = Arc::new(
            Grant::load(self.store, app, user_id)
                .await
                .map_err(internal)?,
        );
        // Only a grant is kept: a refusal is read again, so that an assignment is in
        // force at once (a removal, with the next snapshot).
        if g.allowed {
            memo.put_grant(&app.id, user_id, Arc::clone(&g));
        }
        Ok(g)
    }

    /// Issues the Response of `v` for the session `s`: re-reads the app from the current
    /// configuration, checks the user and the assignment, evaluates the claims and the
    /// NameID, and signs. Writes nothing: [`Flow::persist`] records the app in the
    /// session.
    pub async fn issue(&self, v: &Validated, s: &SessionWithUser) -> Result<Issuance, Failure> {
        let who = Some(Who::of(s));
        let fail = |e: SsoError, app: Option<&Arc<SsoApp>>| {
            let f = Failure::from(e)
                .user(who.clone())
                .request(v.request_id.as_deref());
            match app {
                Some(a) => f.app(a),
                None => f,
            }
        };
        let Some(app) = self.cache.by_id(&v.app_id).cloned() else {
            let e = SsoError::new(
                ErrorCode::AppNotFound,
                "the application was deleted during sign-in",
            );
            return Err(fail(e, None));
        };
        if !app.enabled {
            let e = SsoError::new(
                ErrorCode::AppDisabled,
                format!("application \"{}\" is disabled", app.name),
            );
            return Err(fail(e, Some(&app)));
        }
        if !app
            .reply_urls
            .iter()
            .any(|r| authn::same_url(&r.url, &v.acs_url))
        {
            let e = SsoError::new(
                ErrorCode::ReplyUrlNotRegistered,
                format!(
                    "\"{}\" is no longer a Reply URL of application \"{}\"",
                    v.acs_url, app.name
                ),
            );
            return Err(fail(e, Some(&app)));
        }
        // The user and what the app's assignment and claims need come from the
        // snapshot's memo (a change to any of them is a configuration change: `sso::hot`).
        let user = match self.user(&s.session.user_id).await {
            Ok(Some(u)) => u,
            Ok(None) => {
                let e = SsoError::new(ErrorCode::UserDisabled, "the user account no longer exists");
                return Err(fail(e, Some(&app)));
            }
            Err(e) => return Err(fail(e, Some(&app))),
        };
        if !user.enabled {
            let e = SsoError::new(
                ErrorCode::UserDisabled,
                format!("the account {} is disabled", user.upn),
            );
            return Err(fail(e, Some(&app)));
        }
        let grant = self
            .grant(&app, &user.id)
            .await
            .map_err(|e| fail(e, Some(&app)))?;
        if !grant.allowed {
            let e = SsoError::new(
                ErrorCode::NotAssigned,
                format!(
                    "{} is not assigned to application \"{}\"",
                    user.upn, app.name
                ),
            );
            return Err(fail(e, Some(&app)));
        }
        let public_url = self
            .cache
            .tenant
            .as_ref()
            .map_or("", |t| t.public_url.as_str());
        let claim_ctx =
            assertion::claim_context(&app, &user, &grant.data, public_url, &s.session.methods);
        // The SessionIndex is the same for every Response of this session to this app (on
        // every node), so the steady state of a session writes nothing: the session's
        // record of the app is written when it differs from what this node knows is
        // stored.
        let known = self.hot.session_app(&s.session.id_hash, &app.id);
        let session_index = session::session_index(&s.session.id_hash, &app.id);
        // The AuthnContextClassRef says what the session did (docs/mfa.md's table).
        let level = session_level(s);
        let answered;
        let v = match authn::answer_class(&v.comparison, &v.requested_classes, level) {
            Some(c) if c != v.authn_class => {
                answered = Validated {
                    authn_class: c,
                    ..v.clone()
                };
                &answered
            }
            _ => v,
        };
        let issued = assertion::success(
            now(),
            &self.cache.idp_issuer,
            &app,
            v,
            &claim_ctx,
            Timestamp::from_unix_seconds(s.session.auth_time),
            &session_index,
        )
        .map_err(|e| fail(e, Some(&app)))?;
        let sa = SessionApp {
            app_id: app.id.clone(),
            name_id: issued.name_id,
            name_id_format: v.name_id_format.clone(),
            session_index: issued.session_index,
        };
        Ok(Issuance {
            record: (known.as_ref() != Some(&sa)).then_some(sa),
            response: issued.xml,
            user: Who::of(s),
            app,
        })
    }

    /// Writes what the session must record of an issued Response (nothing when it is
    /// already stored).
    pub async fn persist(&self, s: &SessionWithUser, issued: &Issuance) -> Result<(), Failure> {
        let Some(sa) = &issued.record else {
            return Ok(());
        };
        self.store
            .session_app_upsert(&s.session.id_hash, sa)
            .await
            .map_err(|e| {
                Failure::from(internal(e))
                    .app(&issued.app)
                    .user(Some(issued.user.clone()))
            })?;
        self.hot
            .recorded_session_app(&s.session.id_hash, sa.clone());
        Ok(())
    }
}
