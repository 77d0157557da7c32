//! Setting a user's new password: what Change password, a password reset and an
//! accepted invitation share. The password policy is applied, the new hash written, every
//! other session of the user ended, Require password change at next sign-in cleared and,
//! when asked, the "Your password was changed" notice queued — the hash, the sessions,
//! the flag, the link redeemed and the notice in one transaction, so none happens without
//! the others.

use super::error::SelfServiceError;
use super::links;
use crate::directory::{self, password as pw};
use crate::model::{AccountLink, User};
use crate::store::Store;

/// A new password to set.
pub struct NewPassword<'a> {
    /// Whose.
    pub user: &'a User,
    /// The new password, as typed.
    pub password: String,
    /// The hash of the session cookie that stays signed in (the browser that made the
    /// change); every other session of the user ends.
    pub keep_session: Option<&'a str>,
    /// The link this change redeems (a reset link, an invitation), in the same
    /// transaction: the change fails if another request redeemed it first.
    pub link: Option<&'a AccountLink>,
    /// Queue "Your password was changed" to the user's mail address (when they have one).
    pub notify: bool,
    /// The public URL, for the notice's link to My Apps.
    pub public_url: &'a str,
}

/// Sets `p.password` as the user's password at `now` (epoch seconds; the link's expiry
/// is judged at it). A password the policy refuses is a [`SelfServiceError::Directory`]
/// holding the policy's message (`SESAME910011`).
pub async fn set(store: &Store, p: NewPassword<'_>, now: i64) -> Result<(), SelfServiceError> {
    directory::check_new_password(store, &p.user.upn, &p.password).await?;
    let new = p.password;
    let hash = tokio::task::spawn_blocking(move || pw::hash_password(&new))
        .await
        .map_err(|e| SelfServiceError::Hash(e.to_string()))?
        .map_err(|e| SelfServiceError::Hash(e.to_string()))?;
    let notice = if p.notify && !p.user.mail.trim().is_empty() {
        let org = crate::mail::config::organization_name(store).await?;
        Some(crate::mail::message::password_changed_message(
            &p.user.mail,
            &p.user.display_name,
            &p.user.upn,
            &org,
            p.public_url,
        ))
    } else {
        None
    };
    let mut tx = store.begin_config_write().await?;
    if let Some(link) = p.link {
        links::redeem_in(&mut tx, link, now).await?;
    }
    Store::password_replace_in(
        &mut tx,
        &p.user.id,
        &hash,
        crate::clock::now_unix_ms(),
        p.keep_session,
    )
    .await?;
    Store::password_change_required_in(&mut tx, &p.user.id, false).await?;
    if let Some(m) = &notice {
        // An address the mail room refuses (not an address) does not block the change:
        // the change is what the user asked for; the log says why no notice went out.
        match crate::mail::enqueue(&mut tx, "password-changed", m, now).await {
            Ok(_) => {}
            Err(crate::mail::MailError::Store(s)) => return Err(s.into()),
            Err(other) => tracing::warn!(
                "password change of {}: no notice queued: {other}",
                p.user.upn
            ),
        }
    }
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    Store::sessions_ended();
    Ok(())
}
