//! The outbox record of outbound email (`mail_outbox`): one message, rendered once, and
//! where its delivery stands.

use serde::Serialize;

/// Where a queued message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting for its first attempt or for a retry (`next_attempt_at`).
    Queued,
    /// Claimed by a node's worker until `next_attempt_at` (its lease); claimed again after
    /// that if the node died.
    Sending,
    /// Accepted by the mail server (or written to the mail folder).
    Sent,
    /// Given up: refused for good, or every attempt failed (`last_error`).
    Failed,
}

impl OutboxStatus {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Queued => "queued",
            OutboxStatus::Sending => "sending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<OutboxStatus> {
        match s {
            "queued" => Some(OutboxStatus::Queued),
            "sending" => Some(OutboxStatus::Sending),
            "sent" => Some(OutboxStatus::Sent),
            "failed" => Some(OutboxStatus::Failed),
            _ => None,
        }
    }
}

/// One message of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxMessage {
    /// Id (UUID v4).
    pub id: String,
    /// What caused it (`test`, …).
    pub kind: String,
    /// The recipient's address.
    pub to_addr: String,
    /// The recipient's display name (may be empty).
    pub to_name: String,
    /// The subject.
    pub subject: String,
    /// The plain-text part.
    pub body_text: String,
    /// The HTML part's body (a fragment Sesame built, values escaped).
    #[serde(skip)]
    pub body_html: String,
    /// Where its delivery stands.
    pub status: OutboxStatus,
    /// Attempts made so far.
    pub attempts: i64,
    /// When it was queued, Unix seconds.
    pub created_at: i64,
    /// Queued: when it is due; sending: when its lease ends.
    pub next_attempt_at: i64,
    /// The last failure: the server's reply, or why it could not be reached.
    pub last_error: Option<String>,
    /// When the server accepted it, Unix seconds.
    pub sent_at: Option<i64>,
}
