-- Passkeys and FIDO2 security keys (crate::methods::passkey): each is an auth_methods row
-- of kind 'passkey' (its name, created and last-used times) with its credential here.
CREATE TABLE passkey_credentials (
    method_id TEXT PRIMARY KEY REFERENCES auth_methods(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The credential id, base64url without padding: how a sign-in finds its passkey.
    credential_id TEXT NOT NULL UNIQUE,
    -- The COSE_Key as the authenticator sent it at registration.
    public_key BYTEA NOT NULL,
    -- The last signature counter accepted; one that does not increase is refused.
    sign_count BIGINT NOT NULL DEFAULT 0,
    -- The authenticator's model (AAGUID, 8-4-4-4-12 hex; all zeros when not told).
    aaguid TEXT NOT NULL,
    -- What the browser reported (usb, nfc, ble, internal, hybrid), comma-separated.
    transports TEXT NOT NULL DEFAULT ''
);
CREATE INDEX passkey_credentials_by_user ON passkey_credentials (user_id);

-- WebAuthn challenges issued and not yet answered: SHA-256 of the challenge, what it is
-- for ('register': user_id is the user registering; 'sign-in': user_id is ''), the client
-- address that asked, for a few minutes; deleted when answered (single use, at any node).
CREATE TABLE passkey_challenges (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    user_id TEXT NOT NULL,
    challenge_hash TEXT NOT NULL,
    client TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX passkey_challenges_by_expiry ON passkey_challenges (expires_at);
CREATE INDEX passkey_challenges_by_client ON passkey_challenges (client);
