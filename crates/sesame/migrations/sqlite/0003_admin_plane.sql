-- The admin plane (issue 5): the audit log, API tokens, application logos, settings,
-- and the decoded SAML messages of a sign-in log row.

-- Every state change, from the portal, the REST API or the CLI: who, what, when, and
-- the object before and after (JSON, secrets redacted by admin::audit before writing).
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    time_ms BIGINT NOT NULL,
    -- 'user' (a signed-in administrator), 'token' (an API token), 'cli', 'system'
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('user', 'token', 'cli', 'system')),
    -- the administrator's UPN, the token's name, the operating-system user of the CLI
    actor TEXT NOT NULL,
    actor_id TEXT NOT NULL DEFAULT '',
    -- 'user.create', 'app.saml.update', 'role.assign', …
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL DEFAULT '',
    target_name TEXT NOT NULL DEFAULT '',
    before_json TEXT NOT NULL DEFAULT '',
    after_json TEXT NOT NULL DEFAULT '',
    correlation_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_time ON audit_log (time_ms);

-- REST API tokens: only the SHA-256 of the secret is stored; shown once at creation.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    -- 'Global Administrator' | 'Application Administrator'
    role TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);

-- An application's own logo (the gallery's logos live in gallery/); SVG is sanitised
-- before it is stored and served with a CSP that runs no script.
CREATE TABLE app_logos (
    app_id TEXT PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    data BLOB NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Installation-wide settings (key/value): 'signin_log_retention_days', …
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- SAML Certificates: who is told before the active certificate expires.
ALTER TABLE apps ADD COLUMN notification_email TEXT NOT NULL DEFAULT '';

-- Sign-in log details: the decoded AuthnRequest and the Response sent (its
-- SignatureValue removed), shown to administrators only.
ALTER TABLE signin_logs ADD COLUMN saml_request TEXT NOT NULL DEFAULT '';
ALTER TABLE signin_logs ADD COLUMN saml_response TEXT NOT NULL DEFAULT '';
CREATE INDEX signin_logs_by_app ON signin_logs (app_id, time_ms);
