//! One-time account links (`account_links`): a password reset link or an invitation,
//! stored as the SHA-256 of its secret, single-use and short-lived.

/// What a link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Self-service password reset ("Forgot my password").
    Reset,
    /// An invitation: the first password (and, when required, a first MFA method).
    Invite,
}

impl LinkPurpose {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Reset => "reset",
            LinkPurpose::Invite => "invite",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<LinkPurpose> {
        match s {
            "reset" => Some(LinkPurpose::Reset),
            "invite" => Some(LinkPurpose::Invite),
            _ => None,
        }
    }
}

/// One issued link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLink {
    /// Id (UUID v4), the public half of the link.
    pub id: String,
    /// What it is for.
    pub purpose: LinkPurpose,
    /// The user it is for.
    pub user_id: String,
    /// SHA-256 of the secret half, lowercase hex.
    pub secret_hash: String,
    /// Issued at, epoch seconds.
    pub created_at: i64,
    /// Valid until (exclusive), epoch seconds.
    pub expires_at: i64,
    /// Redeemed or superseded at, epoch seconds.
    pub used_at: Option<i64>,
    /// Who asked for it: the administrator's UPN for an invitation, empty for a user's
    /// own reset.
    pub created_by: String,
}
