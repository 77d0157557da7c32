// The crate documentation is the README: what the library is, its guarantees, a tour of
// the modules, and examples that run as doctests (`cargo test -p sesame-saml --doc`).
#![doc = include_str!("../README.md")]

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
