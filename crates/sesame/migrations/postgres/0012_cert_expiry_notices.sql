-- Certificate expiry notifications (crate::notifications): one row per reminder sent for an
-- application's signing certificate (threshold '60d', '30d', '7d', 'today' or 'expired'),
-- inserted in the same transaction as the messages it queues; the primary key makes a second
-- node's insert a no-op, so each reminder is sent once however many nodes tick.
CREATE TABLE cert_expiry_notices (
    app_id TEXT NOT NULL,
    thumbprint TEXT NOT NULL,
    threshold TEXT NOT NULL,
    not_after BIGINT NOT NULL,
    recipients BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, thumbprint, threshold)
);
