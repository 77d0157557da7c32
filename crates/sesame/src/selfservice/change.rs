//! A user's own new password: **Change password** in My Apps (after the current password
//! was checked by the caller) and **Update your password**, the page a user flagged with
//! Require password change at next sign-in lands on before any sign-in completes. Both
//! go through [`apply`]: the two copies compared, then `password::set` (the password
//! policy, the hash, and in one transaction the password replaced — every other session
//! of the user ends, the caller's stays —, the flag cleared and the "Your password was
//! changed" notice queued to the user's mail address); then the audit log.
//! Also an administrator setting or clearing that flag ([`set_required`]).

use super::password::NewPassword;
use super::SelfServiceError;
use crate::admin::audit::{self, Change};
use crate::admin::Actor;
use crate::directory::password::PasswordError;
use crate::directory::{DirectoryError, User};
use crate::store::{Store, StoreError};
use thiserror::Error;

/// Why a new password was not set.
#[derive(Debug, Error)]
pub enum ChangeError {
    /// The new password and its confirmation differ.
    #[error("The new password and its confirmation differ. Type the same new password twice.")]
    Mismatch,
    /// The password policy refuses the new password; the text says which rule.
    #[error("{0}")]
    Policy(String),
    /// No such user.
    #[error("{0}")]
    NotFound(String),
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SelfServiceError> for ChangeError {
    fn from(e: SelfServiceError) -> Self {
        match e {
            SelfServiceError::Directory(d) => d.into(),
            SelfServiceError::Store(s) => ChangeError::Store(s),
            SelfServiceError::Hash(m) => ChangeError::Hash(m),
            other => ChangeError::Hash(other.to_string()),
        }
    }
}

impl From<DirectoryError> for ChangeError {
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::Password(PasswordError::Policy(m)) => ChangeError::Policy(m),
            DirectoryError::Password(PasswordError::Hash(m)) => ChangeError::Hash(m),
            DirectoryError::NotFound(m) => ChangeError::NotFound(m),
            DirectoryError::Store(s) => ChangeError::Store(s),
            other => ChangeError::Policy(other.to_string()),
        }
    }
}

/// What a new password is set by, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Change password in My Apps.
    Change,
    /// Update your password, required at next sign-in.
    Required,
}

/// The checks before anything is written: the two copies equal and the policy met.
pub async fn check(store: &Store, upn: &str, new: &str, confirm: &str) -> Result<(), ChangeError> {
    if new != confirm {
        return Err(ChangeError::Mismatch);
    }
    crate::directory::check_new_password(store, upn, new).await?;
    Ok(())
}

/// Sets `new` (typed twice: `confirm`) as the password of `user`, who proved who they are
/// (the caller checked it): see the module's text. `keep` is the hash of the session
/// cookie that stays signed in; `public_url` goes into the notice; `correlation` into the
/// audit row. The sessions' cache is told here; the caller drops its own caches.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    store: &Store,
    user: &User,
    new: &str,
    confirm: &str,
    keep: Option<&str>,
    public_url: &str,
    why: Why,
    correlation: &str,
) -> Result<(), ChangeError> {
    if new != confirm {
        return Err(ChangeError::Mismatch);
    }
    super::password::set(
        store,
        NewPassword {
            user,
            password: new.to_owned(),
            keep_session: keep,
            link: None,
            notify: true,
            public_url,
        },
        crate::clock::now_unix(),
    )
    .await?;
    let actor = Actor::User {
        id: user.id.clone(),
        upn: user.upn.clone(),
    };
    let mut change = Change::new("user.password.change", "user", &user.id, &user.upn);
    if why == Why::Required {
        change = change
            .before(&serde_json::json!({ "password_change_required": true }))
            .after(&serde_json::json!({ "password_change_required": false }));
    }
    if let Err(e) = audit::record(store, &actor, change, correlation).await {
        tracing::error!("audit log: cannot record user.password.change: {e}");
    }
    Ok(())
}

/// Sets or clears Require password change at next sign-in on `user` for `actor`; audited
/// as `user.password_change_required` with the value before and after (nothing is
/// written when it already has that value). Returns the user as it is now.
pub async fn set_required(
    store: &Store,
    actor: &Actor,
    user: &User,
    on: bool,
    correlation: &str,
) -> Result<User, StoreError> {
    if user.password_change_required == on {
        return Ok(user.clone());
    }
    let mut tx = store.begin_config_write().await?;
    Store::password_change_required_in(&mut tx, &user.id, on).await?;
    tx.commit().await?;
    Store::sessions_ended();
    let change = Change::new("user.password_change_required", "user", &user.id, &user.upn)
        .before(&serde_json::json!({ "password_change_required": user.password_change_required }))
        .after(&serde_json::json!({ "password_change_required": on }));
    if let Err(e) = audit::record(store, actor, change, correlation).await {
        tracing::error!("audit log: cannot record user.password_change_required: {e}");
    }
    Ok(User {
        password_change_required: on,
        ..user.clone()
    })
}
