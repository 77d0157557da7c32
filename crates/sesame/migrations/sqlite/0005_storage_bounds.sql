-- The SAML messages of successful sign-ins are kept for the newest 1,000 per application
-- (sso::signin_log trims older ones), and for every sign-in of an application while an
-- administrator captures them (`sesame app set APP --capture-messages 1h`), until
-- `until_ms` (Unix milliseconds).
CREATE TABLE message_capture (
    app_id TEXT PRIMARY KEY,
    until_ms BIGINT NOT NULL
);

-- Who is waiting: the client address (an IPv6 address by its /64) of a pending request,
-- so that one address cannot keep more than a few (web::flow::PENDING_PER_ADDRESS).
ALTER TABLE pending_requests ADD COLUMN client TEXT NOT NULL DEFAULT '';
CREATE INDEX pending_requests_by_client ON pending_requests (client, expires_at);
