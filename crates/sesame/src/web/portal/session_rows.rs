//! The rows of a user's active sessions as the portal lists them (My sessions, the
//! Sessions section of a user's page), from `crate::sessions`.

use super::error::{PortalError, PortalResult};
use super::kit;
use crate::sessions::{self, SessionError, SessionView};
use crate::web::state::AppState;

/// One session as a page lists it.
pub(crate) struct SessionRow {
    pub id: String,
    pub device: String,
    pub user_agent: String,
    pub short_ua: String,
    pub address: String,
    pub signed_in: String,
    pub last_seen: String,
    pub apps: String,
    pub current: bool,
}

impl From<SessionView> for SessionRow {
    fn from(v: SessionView) -> Self {
        SessionRow {
            short_ua: if v.user_agent.chars().count() > 80 {
                let mut s: String = v.user_agent.chars().take(80).collect();
                s.push('…');
                s
            } else {
                v.user_agent.clone()
            },
            id: v.id,
            device: v.device,
            user_agent: v.user_agent,
            address: v.address,
            signed_in: kit::time_s(v.signed_in_at),
            last_seen: kit::time_s(v.last_seen),
            apps: v.apps.join(", "),
            current: v.current,
        }
    }
}

/// The failure of a session operation as a portal page.
pub(crate) fn portal_error(e: SessionError) -> PortalError {
    match e {
        SessionError::NotFound => PortalError::not_found(
            "No active session has this id: it may have ended or been signed out meanwhile.",
        ),
        SessionError::Store(s) => s.into(),
    }
}

/// The active sessions of user `user`, as rows; `current` marks the asking browser's.
pub(crate) async fn rows(
    state: &AppState,
    user: &crate::model::User,
    current: Option<&str>,
) -> PortalResult<Vec<SessionRow>> {
    Ok(
        sessions::list(state.store(), user, current, crate::clock::now_unix())
            .await
            .map_err(portal_error)?
            .into_iter()
            .map(SessionRow::from)
            .collect(),
    )
}
