-- The Authentication methods policy (crate::methods::policy) and methods retired by
-- "Require re-register MFA".

-- The policy as one JSON document (which methods are enabled, for whom, the passkeys'
-- allowed AAGUIDs), so it is written whole; no row: the defaults (every method enabled
-- for every user, any authenticator).
CREATE TABLE auth_methods_policy (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Authenticator apps and recovery-code sets no longer accepted as a second factor or
-- as a proof: the user registers a new method at the next sign-in that needs MFA.
CREATE TABLE auth_methods_retired (
    method_id TEXT PRIMARY KEY REFERENCES auth_methods(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    retired_at BIGINT NOT NULL
);
CREATE INDEX auth_methods_retired_by_user ON auth_methods_retired (user_id);
