//! Outbound email: building messages (plain text and simple HTML, no remote content,
//! header injection refused — `message`), the transport (SMTP with implicit TLS or
//! STARTTLS and AUTH, or `.eml` files in the data dir when no SMTP server is configured
//! — `config`, `transport`), and the outbox (`outbox`): a message is queued in the same
//! database transaction as the event that causes it, and a background worker on each
//! node claims due messages (exactly one node sends each), sends them, and retries with
//! exponential backoff; whether delivery is failing (`health`). See docs/mail.md.

pub mod config;
pub mod error;
pub mod health;
pub mod message;
pub mod outbox;
pub mod security;
pub mod transport;

pub use config::{MailConfig, MailFlags, SmtpSettings, TlsMode};
pub use error::{MailCode, MailError};
pub use message::Outgoing;
pub use outbox::{enqueue, Worker};
pub use transport::{SendFailure, Transport};
