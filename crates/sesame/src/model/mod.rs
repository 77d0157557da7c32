//! The records of the domain, below the store: applications and their SAML
//! configuration, assignments, users and groups, stored certificates, claims, the
//! tenant and users' authentication methods. Data types with pure methods over their own
//! values (parsing, formatting, accessors); no store, no I/O. Every other module may use them; of the crate they may
//! use only `crate::ids` and `crate::clock` (see `layering.rs`).

pub mod access;
pub mod app;
pub mod cert;
pub mod claims;
pub mod directory;
pub mod links;
pub mod mail;
pub mod methods;
pub mod tenant;

pub use access::{
    Cidr, GrantControl, NamedLocation, Policy, PolicyState, SignInFrequency, TargetResources,
};
pub use app::{App, Assignment, Identifier, NewApp, ReplyUrl, SamlConfig, SignMode, SigningAlg};
pub use cert::{ActiveCertificate, StoredCertificate};
pub use directory::{AddMember, Group, MemberKind, MemberRef, NewUser, User};
pub use links::{AccountLink, LinkPurpose};
pub use mail::{OutboxMessage, OutboxStatus};
pub use methods::{AuthMethod, MethodKind, PasskeyChallenge, PasskeyCredential, PendingMethod};
pub use tenant::Tenant;
