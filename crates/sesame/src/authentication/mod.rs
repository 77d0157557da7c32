//! How a person proves who they are. Today that is a password ([`mod@password`]), checked
//! under a per-address throttle, per-name delays that a known device ([`device`]) or a
//! trusted location passes, and bounds on successes; the next factors (multi-factor
//! authentication, step-up) come here too, as further steps returning the same kind of
//! answer: the authenticated user, or why not ([`Refused`]).
//!
//! The HTTP edge only decodes the form, renders and logs; the SSO flow (`sso::flow`)
//! starts the session once a user is authenticated, and says which error code a refusal
//! shows (`SsoError::from(&Refused)`).

pub mod device;
pub mod password;

pub use password::{
    password, Place, BUSY_RETRY_AFTER, IP_DECAY_SECS, IP_FREE_FAILURES, IP_MAX_WAIT,
    IP_SUCCESS_BURST, IP_SUCCESS_LEAK_SECS, LOCK_AFTER, LOCK_MAX_SECS, LOCK_SECS,
    NAME_SUCCESS_BURST, NAME_SUCCESS_LEAK_SECS,
};

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
    /// Too many successful sign-ins of this name or from this address in a short time.
    #[error("too many sign-ins in a short time; try again in {retry_after} seconds")]
    TooFrequent {
        /// Seconds to wait.
        retry_after: i64,
    },
    /// Too many password checks are waiting: refused at once rather than queued.
    #[error(
        "too many sign-ins are being checked at the moment; try again in {retry_after} seconds"
    )]
    Busy {
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
