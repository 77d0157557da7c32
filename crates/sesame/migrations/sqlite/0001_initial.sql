-- Sesame schema, SQLite dialect. The PostgreSQL dialect in ../postgres has the same
-- tables, columns and meaning; only types differ (BLOB/BYTEA, INTEGER/BOOLEAN).
-- Booleans are INTEGER 0/1 here: sqlx's Any driver cannot map SQLite's BOOLEAN type, so
-- a BOOLEAN column would fail to decode. Read them with `store::tenant::row_bool`, which
-- accepts both dialects.
-- Ids are TEXT (UUIDs); times are BIGINT Unix seconds unless the column says _ms.

CREATE TABLE tenant (
    id TEXT PRIMARY KEY,
    public_url TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Bumped by every configuration change; running nodes poll it to drop caches.
    config_version BIGINT NOT NULL DEFAULT 0,
    -- Always 1: the UNIQUE constraint makes "one tenant per installation" hold even when
    -- two processes create it at the same moment (INSERT … ON CONFLICT DO NOTHING).
    singleton BIGINT NOT NULL DEFAULT 1 UNIQUE CHECK (singleton = 1)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    upn TEXT NOT NULL,
    upn_lower TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    given_name TEXT NOT NULL DEFAULT '',
    surname TEXT NOT NULL DEFAULT '',
    mail TEXT NOT NULL DEFAULT '',
    department TEXT NOT NULL DEFAULT '',
    job_title TEXT NOT NULL DEFAULT '',
    employee_id TEXT NOT NULL DEFAULT '',
    company_name TEXT NOT NULL DEFAULT '',
    -- JSON object: {"extensionattribute1": "...", ...}
    extension_attributes TEXT NOT NULL DEFAULT '{}',
    enabled INTEGER NOT NULL DEFAULT 1,
    password_hash TEXT,
    -- Sessions started before this instant are refused (password change ends sessions).
    sessions_valid_after BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Directory roles of users ('Global Administrator' for the initial administrator).
CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE groups (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_lower TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    member_id TEXT NOT NULL,
    member_kind TEXT NOT NULL CHECK (member_kind IN ('user', 'group')),
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX group_members_by_member ON group_members (member_id);

CREATE TABLE apps (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    gallery_id TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    assignment_required INTEGER NOT NULL DEFAULT 1,
    visible INTEGER NOT NULL DEFAULT 1,
    notes TEXT NOT NULL DEFAULT '',
    sign_on_url TEXT,
    relay_state TEXT,
    logout_url TEXT,
    -- 'response' | 'assertion' | 'both'
    sign_mode TEXT NOT NULL DEFAULT 'both',
    -- 'rsa-sha256' | 'rsa-sha1'
    signing_alg TEXT NOT NULL DEFAULT 'rsa-sha256',
    require_signed_requests INTEGER NOT NULL DEFAULT 0,
    require_sha256 INTEGER NOT NULL DEFAULT 0,
    clock_skew_secs BIGINT NOT NULL DEFAULT 60,
    -- The SP's request-signing certificate(s), PEM, from its metadata or set alone.
    sp_certs_pem TEXT NOT NULL DEFAULT '',
    nameid_source TEXT NOT NULL DEFAULT 'user.userprincipalname',
    nameid_format TEXT NOT NULL DEFAULT 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE app_identifiers (
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    identifier TEXT NOT NULL UNIQUE,
    is_default INTEGER NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (app_id, identifier)
);

CREATE TABLE app_reply_urls (
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    idx BIGINT,
    is_default INTEGER NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (app_id, url)
);

CREATE TABLE app_roles (
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (app_id, name)
);

CREATE TABLE app_assignments (
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    principal_id TEXT NOT NULL,
    principal_kind TEXT NOT NULL CHECK (principal_kind IN ('user', 'group')),
    -- '' when no role was selected ("Default Access").
    role TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (app_id, principal_id, role)
);
CREATE INDEX app_assignments_by_principal ON app_assignments (principal_id);

CREATE TABLE app_certificates (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    -- SHA-1 thumbprint, uppercase hex.
    thumbprint TEXT NOT NULL,
    cert_der BLOB NOT NULL,
    -- PKCS#8 private key sealed with the master key (AES-256-GCM, nonce prepended).
    key_sealed BLOB NOT NULL,
    active INTEGER NOT NULL,
    not_after BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX app_certificates_by_app ON app_certificates (app_id, thumbprint);

CREATE TABLE app_claims (
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    namespace TEXT NOT NULL DEFAULT '',
    name_format TEXT NOT NULL DEFAULT '',
    -- 'attribute' | 'constant' | 'transform'
    source_kind TEXT NOT NULL,
    source TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (app_id, namespace, name)
);

CREATE TABLE sessions (
    -- SHA-256 of the cookie value, hex: a stolen database holds no usable cookie.
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    auth_method TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE session_apps (
    session_id_hash TEXT NOT NULL REFERENCES sessions(id_hash) ON DELETE CASCADE,
    app_id TEXT NOT NULL,
    name_id TEXT NOT NULL,
    name_id_format TEXT NOT NULL,
    session_index TEXT NOT NULL,
    PRIMARY KEY (session_id_hash, app_id)
);

CREATE TABLE replay_cache (
    issuer TEXT NOT NULL,
    request_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, request_id)
);
CREATE INDEX replay_cache_by_expiry ON replay_cache (expires_at);

CREATE TABLE pending_requests (
    id TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE lockouts (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    locked_until BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE signin_logs (
    id TEXT PRIMARY KEY,
    time_ms BIGINT NOT NULL,
    user_id TEXT,
    upn TEXT NOT NULL DEFAULT '',
    app_id TEXT,
    app_name TEXT NOT NULL DEFAULT '',
    client_ip TEXT NOT NULL DEFAULT '',
    -- 'success' | 'failure' | 'interrupted'
    result TEXT NOT NULL,
    error_code TEXT NOT NULL DEFAULT '',
    request_id TEXT NOT NULL DEFAULT '',
    correlation_id TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT ''
);
CREATE INDEX signin_logs_by_time ON signin_logs (time_ms);
