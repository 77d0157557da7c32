//! The errors of self-service and their codes (`SESAME930xxx`, in docs/errors.md).

use crate::directory::DirectoryError;
use crate::mail::MailError;
use crate::store::StoreError;

/// The error codes of self-service, each in docs/errors.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SelfServiceCode {
    /// A link that is not one Sesame issued: changed, cut short, or unknown.
    LinkInvalid,
    /// A link past its lifetime.
    LinkExpired,
    /// A link used already, or replaced by a newer one.
    LinkUsed,
    /// A password reset for an account whose only second factor is a passkey, where
    /// passkeys cannot work (a public URL that is an IP address).
    ResetPasskeyOnly,
    /// A password reset for an account that cannot reset its password (now disabled,
    /// or no longer under the Password reset setting).
    ResetNotAllowed,
    /// The password reset page without its link (another browser, or the link's
    /// lifetime passed).
    ResetLinkMissing,
    /// Settings → Password reset: a value that is not accepted.
    ResetSettingsInvalid,
    /// An invitation by mail to a user who has no mail address.
    InviteNoMail,
    /// An invitation to a user who already has a password, not confirmed.
    InviteHasPassword,
    /// An invitation to (or accepted by) a user whose sign-in is blocked.
    InviteSignInBlocked,
    /// `sesame user add --invite` where no mail server is configured.
    InviteMailNotConfigured,
}

impl SelfServiceCode {
    /// Every code.
    pub const ALL: [SelfServiceCode; 11] = [
        SelfServiceCode::LinkInvalid,
        SelfServiceCode::LinkExpired,
        SelfServiceCode::LinkUsed,
        SelfServiceCode::ResetPasskeyOnly,
        SelfServiceCode::ResetNotAllowed,
        SelfServiceCode::ResetLinkMissing,
        SelfServiceCode::ResetSettingsInvalid,
        SelfServiceCode::InviteNoMail,
        SelfServiceCode::InviteHasPassword,
        SelfServiceCode::InviteSignInBlocked,
        SelfServiceCode::InviteMailNotConfigured,
    ];

    /// `SESAME9300xx`.
    pub fn code(self) -> &'static str {
        match self {
            SelfServiceCode::LinkInvalid => "SESAME930001",
            SelfServiceCode::LinkExpired => "SESAME930002",
            SelfServiceCode::LinkUsed => "SESAME930003",
            SelfServiceCode::ResetPasskeyOnly => "SESAME930010",
            SelfServiceCode::ResetNotAllowed => "SESAME930011",
            SelfServiceCode::ResetLinkMissing => "SESAME930012",
            SelfServiceCode::ResetSettingsInvalid => "SESAME930013",
            SelfServiceCode::InviteNoMail => "SESAME930030",
            SelfServiceCode::InviteHasPassword => "SESAME930031",
            SelfServiceCode::InviteSignInBlocked => "SESAME930032",
            SelfServiceCode::InviteMailNotConfigured => "SESAME930033",
        }
    }

    /// What the user can do about it.
    pub fn fix(self) -> &'static str {
        match self {
            SelfServiceCode::LinkInvalid => {
                "Open the link exactly as it is in the mail (some mail programs cut long \
                 links), or ask for a new one."
            }
            SelfServiceCode::LinkExpired | SelfServiceCode::LinkUsed => {
                "Ask for a new link: on the sign-in page for a password reset, or from \
                 your administrator for an invitation."
            }
            SelfServiceCode::ResetPasskeyOnly => {
                "Sign in with your passkey and use Change password in My Apps, or ask your \
                 administrator to reset your password."
            }
            SelfServiceCode::ResetNotAllowed => "Ask your administrator to reset your password.",
            SelfServiceCode::ResetLinkMissing => {
                "Open the link from the mail again, in this browser; if it has expired, ask \
                 for a new one."
            }
            SelfServiceCode::ResetSettingsInvalid => {
                "Choose None, Selected or All; with Selected, name one or more existing groups."
            }
            SelfServiceCode::InviteNoMail => {
                "Give the user a mail address (Users → the user → Mail; `sesame user set UPN \
                 --mail ADDRESS`), or hand the link over yourself: `sesame user invite UPN \
                 --print-link`."
            }
            SelfServiceCode::InviteHasPassword => {
                "The link would let its holder replace the user's password. To invite anyway, \
                 confirm in the portal, add --force (CLI) or send \"force\": true (API); or \
                 reset the password instead."
            }
            SelfServiceCode::InviteSignInBlocked => {
                "Allow sign-in of the user first (Users → the user → Allow sign-in; `sesame \
                 user enable UPN`), then invite again."
            }
            SelfServiceCode::InviteMailNotConfigured => {
                "Set SESAME_SMTP_URL and SESAME_MAIL_FROM (or Settings → Email → SMTP server), \
                 or create the user without --invite: a generated password is printed."
            }
        }
    }
}

/// Errors of self-service.
#[derive(Debug, thiserror::Error)]
pub enum SelfServiceError {
    /// The link cannot be used (`code` says why).
    #[error("{}: {detail}", code.code())]
    Link {
        /// Why.
        code: SelfServiceCode,
        /// What was wrong, for the page.
        detail: String,
    },
    /// An invitation refused (`code` says why).
    #[error("{}: {detail}", code.code())]
    Refused {
        /// Why.
        code: SelfServiceCode,
        /// What was wrong and how to fix it.
        detail: String,
    },
    /// The directory refused (the password policy, an unknown user).
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// A mail could not be queued for a reason other than the store.
    #[error(transparent)]
    Mail(MailError),
    /// Hashing the password failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SelfServiceError {
    /// A link error.
    pub fn link(code: SelfServiceCode, detail: impl Into<String>) -> SelfServiceError {
        SelfServiceError::Link {
            code,
            detail: detail.into(),
        }
    }
}

impl SelfServiceError {
    /// A refusal of an invitation, its detail followed by the code's fix.
    pub fn refused(code: SelfServiceCode, detail: impl Into<String>) -> SelfServiceError {
        SelfServiceError::Refused {
            code,
            detail: format!("{} {}", detail.into(), code.fix()),
        }
    }

    /// The self-service code of a link error or a refusal.
    pub fn code(&self) -> Option<SelfServiceCode> {
        match self {
            SelfServiceError::Link { code, .. } | SelfServiceError::Refused { code, .. } => {
                Some(*code)
            }
            _ => None,
        }
    }
}

impl From<MailError> for SelfServiceError {
    fn from(e: MailError) -> SelfServiceError {
        match e {
            MailError::Store(s) => SelfServiceError::Store(s),
            other => SelfServiceError::Mail(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_documented() {
        let doc = include_str!("../../../../docs/errors.md");
        let mut seen = std::collections::HashSet::new();
        for c in SelfServiceCode::ALL {
            assert!(seen.insert(c.code()), "duplicate {}", c.code());
            assert!(
                doc.contains(&format!("## {}", c.code())),
                "{} is not in docs/errors.md",
                c.code()
            );
        }
    }
}
