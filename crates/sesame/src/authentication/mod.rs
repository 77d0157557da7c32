//! How a person proves who they are. Today that is a password ([`mod@password`]), checked
//! under a per-address throttle and a per-name lock; the next factors (multi-factor
//! authentication, step-up) come here too, as further steps returning the same kind of
//! answer: the authenticated user, or why not ([`Refused`]).
//!
//! The HTTP edge only decodes the form, renders and logs; the SSO flow (`sso::flow`)
//! starts the session once a user is authenticated, and says which error code a refusal
//! shows (`SsoError::from(&Refused)`).

pub mod password;

pub use password::{password, IP_FREE_FAILURES, IP_MAX_WAIT, LOCK_AFTER, LOCK_SECS};

use crate::directory::User;
use crate::store::StoreError;

/// Why an authentication failed.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Too many failures came from this address: it must wait.
    #[error("too many attempts from this address; try again in {retry_after} seconds")]
    Throttled {
        /// Seconds to wait.
        retry_after: i64,
    },
    /// The name is locked after too many failures.
    #[error("too many failed attempts; try again in {retry_after} seconds")]
    Locked {
        /// Seconds to wait.
        retry_after: i64,
    },
    /// Wrong name or password.
    #[error("the user name or password is incorrect")]
    InvalidCredentials {
        /// The user, when the name is known.
        user: Option<Box<User>>,
    },
    /// The password is right, and the account is disabled.
    #[error("the account {} is disabled", .0.upn)]
    Disabled(Box<User>),
    /// The store could not answer (never taken for a wrong password or a skipped lock).
    #[error(transparent)]
    Store(#[from] StoreError),
}
