//! The browser's Sesame session as the HTTP edge sees it: the session cookie read,
//! judged and touched ([`current_session`]). The SSO pages, My Apps and the admin plane
//! all ask here who is signed in.

use super::http::cookie;
use super::state::AppState;
use crate::sso::cache::AppCache;
use crate::sso::session::{self, Verdict};
use crate::sso::{now, SsoError};
use crate::store::{SessionWithUser, Store};
use axum::http::HeaderMap;
use std::time::Instant;

/// The current session, when its cookie names a valid one. Writes `last_seen` (off the
/// request path) at most every few minutes. A database that cannot answer is an error
/// (503), not "no session": the user would otherwise be asked to sign in again.
///
/// On a single node (SQLite) the session comes from the snapshot's memo when read less
/// than a second ago and no session was deleted since (`sso::hot`); it is judged (lifetimes,
/// user enabled, password changed) on every request either way.
pub(crate) async fn current_session(
    state: &AppState,
    cache: &AppCache,
    headers: &HeaderMap,
) -> Result<Option<SessionWithUser>, SsoError> {
    let Some(value) = cookie(headers, session::COOKIE) else {
        return Ok(None);
    };
    if !session::plausible_cookie(value) {
        return Ok(None);
    }
    let hash = session::hash_cookie(value);
    let cacheable = state.cache().hot().cache_sessions();
    let cached = if cacheable {
        cache.memo.session(&hash, Instant::now())
    } else {
        None
    };
    let s = match cached {
        Some(s) => s,
        None => {
            let (epoch, at) = (Store::session_epoch(), Instant::now());
            let Some(s) = state
                .store()
                .session_with_user(&hash)
                .await
                .map_err(|e| SsoError::internal(&e))?
            else {
                return Ok(None);
            };
            if cacheable && s.user_enabled {
                cache.memo.put_session(&s, at, epoch);
            }
            s
        }
    };
    let now_s = now().unix_seconds();
    match session::judge(&s, now_s) {
        Verdict::Valid { touch } => {
            if touch {
                cache.memo.touched(&hash, now_s);
                let store = state.store().clone();
                tokio::spawn(async move {
                    let _ = store.session_touch(&hash, now_s).await;
                });
            }
            Ok(Some(s))
        }
        Verdict::Expired | Verdict::Revoked => Ok(None),
    }
}
