-- The outbox of outbound email (crate::mail): each message queued in the same transaction
-- as the event that causes it (recipient, subject, plain-text and HTML bodies; the sending
-- node renders it with its sender and the organisation's name); a node's worker claims it
-- (status 'sending', `claim` its token, `next_attempt_at` the end of the lease), sends it,
-- and marks it 'sent', queues a retry, or marks it 'failed' with the server's reply.
CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    to_addr TEXT NOT NULL,
    to_name TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    claim TEXT,
    last_error TEXT,
    sent_at BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);
