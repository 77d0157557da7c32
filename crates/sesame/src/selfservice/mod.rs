//! Self-service for a user's own password, without an administrator: setting a new
//! password with everything that goes with it (`password`: the policy, the hash, every
//! other session ended, the "Your password was changed" notice in the same transaction),
//! and the one-time links that let a user do it from a mail (`links`: a password reset
//! link or an invitation — a random secret stored as its SHA-256, single-use,
//! short-lived, checked in constant time). Codes `SESAME930xxx` (`error`).

pub mod change;
pub mod error;
pub mod invite;
pub mod links;
pub mod password;
pub mod reset;

pub use error::{SelfServiceCode, SelfServiceError};
