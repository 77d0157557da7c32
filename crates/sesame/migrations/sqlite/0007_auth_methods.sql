-- Users' authentication methods (crate::methods): authenticator apps (TOTP) and recovery
-- codes today, passkeys later; one list per user.
CREATE TABLE auth_methods (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- 'totp' | 'recovery' | 'passkey'
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    -- TOTP: the secret sealed with the master key (empty for other kinds).
    secret_sealed BLOB NOT NULL,
    -- TOTP: the last accepted time step; a code of it or of an earlier step is refused.
    last_step BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX auth_methods_by_user ON auth_methods (user_id);

-- The one-time codes of a recovery-codes method: SHA-256 of each code (hex), and when it
-- was used (0: not yet).
CREATE TABLE recovery_codes (
    method_id TEXT NOT NULL REFERENCES auth_methods(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (method_id, code_hash)
);

-- Registrations begun and not yet confirmed: the secret shown to the user, sealed, for a
-- few minutes; deleted when confirmed (single use). Kept in the database so that a
-- registration begun at one node is confirmed at another.
CREATE TABLE auth_method_pending (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    secret_sealed BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX auth_method_pending_by_expiry ON auth_method_pending (expires_at);
