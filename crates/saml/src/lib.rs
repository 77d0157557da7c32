//! `sesame-saml`: the SAML 2.0 protocol core of Sesame.
//!
//! Pure functions over bytes and strings: no I/O, no clock, no randomness of its own
//! (callers pass `now` and generated IDs in), no database. Usable by any Rust IdP or SP.
//!
//! Layout:
//! - [`xml`]: the hardened XML front (size, depth and node limits; no DTD; no processing
//!   instructions in protocol messages) and the helpers every parser here uses.
//! - [`c14n`]: Canonical XML 1.0 and Exclusive XML Canonicalization 1.0.
//! - [`crypto`]: keys, certificates and signature algorithms (aws-lc-rs).
//! - [`dsig`]: enveloped XML-DSig signing and a strict, wrapping-safe verifier.
//! - [`time`]: xs:dateTime formatting and parsing.
//! - [`messages`]: AuthnRequest, Response/Assertion, LogoutRequest/LogoutResponse, Status.
//! - [`bindings`]: HTTP-Redirect (DEFLATE + query signatures) and HTTP-POST.
//! - [`metadata`]: IdP metadata building, SP metadata parsing.

pub mod bindings;
pub mod c14n;
pub mod crypto;
pub mod dsig;
pub mod error;
pub mod messages;
pub mod metadata;
pub mod time;
pub mod xml;

pub use error::{Error, Result};
