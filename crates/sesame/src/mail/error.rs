//! The errors of outbound email and their codes (`SESAME920xxx`, in docs/errors.md).

use crate::store::StoreError;

/// The error codes of outbound email, each in docs/errors.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailCode {
    /// An address or header value that cannot be used.
    InvalidAddress,
    /// The SMTP server cannot be reached (or its TLS is refused).
    Unreachable,
    /// The SMTP server refused the user name or password.
    AuthRefused,
    /// The SMTP server refused the message.
    Refused,
    /// Nowhere to send: no SMTP server, no data dir; or the SMTP settings are invalid.
    NotConfigured,
}

impl MailCode {
    /// Every code.
    pub const ALL: [MailCode; 5] = [
        MailCode::InvalidAddress,
        MailCode::Unreachable,
        MailCode::AuthRefused,
        MailCode::Refused,
        MailCode::NotConfigured,
    ];

    /// `SESAME92000x`.
    pub fn code(self) -> &'static str {
        match self {
            MailCode::InvalidAddress => "SESAME920001",
            MailCode::Unreachable => "SESAME920002",
            MailCode::AuthRefused => "SESAME920003",
            MailCode::Refused => "SESAME920004",
            MailCode::NotConfigured => "SESAME920005",
        }
    }
}

/// Errors of building, queueing and configuring email.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// An address, display name or subject that cannot be used (control characters, not
    /// an address).
    #[error("SESAME920001: {what} {value:?} cannot be used: {reason}")]
    Invalid {
        /// Which value (`To`, `Subject`, …).
        what: &'static str,
        /// The value, as given.
        value: String,
        /// Why.
        reason: String,
    },
    /// The SMTP settings cannot be used, or there is nowhere to send.
    #[error("SESAME920005: {0}")]
    Config(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl MailError {
    /// The error's code, when it has one.
    pub fn code(&self) -> Option<MailCode> {
        match self {
            MailError::Invalid { .. } => Some(MailCode::InvalidAddress),
            MailError::Config(_) => Some(MailCode::NotConfigured),
            MailError::Store(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_documented() {
        let docs = include_str!("../../../../docs/errors.md");
        let mut seen = std::collections::HashSet::new();
        for c in MailCode::ALL {
            assert!(seen.insert(c.code()), "{} twice", c.code());
            assert!(
                docs.contains(&format!("## {}", c.code())),
                "{} not in docs/errors.md",
                c.code()
            );
        }
    }
}
