//! Token preview, under its former path: it is part of the SSO code
//! ([`crate::sso::preview`]), which issues the same Response a sign-in does.

pub use crate::sso::preview::*;
