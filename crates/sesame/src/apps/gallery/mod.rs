//! Applications from the gallery: creating one from a template ([`add`]) and keeping
//! it within its template when it is created or saved ([`check`]). The templates
//! themselves are `crate::gallery`'s.

mod add;
mod check;

pub use add::add_from_gallery;
pub use check::{check_app, check_config, check_create, check_single_instance};
