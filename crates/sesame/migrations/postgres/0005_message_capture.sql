-- The SAML messages of successful sign-ins are kept for the newest 1,000 per application
-- (sso::signin_log trims older ones), and for every sign-in of an application while an
-- administrator captures them (`sesame app set APP --capture-messages 1h`), until
-- `until_ms` (Unix milliseconds).
CREATE TABLE message_capture (
    app_id TEXT PRIMARY KEY,
    until_ms BIGINT NOT NULL
);
