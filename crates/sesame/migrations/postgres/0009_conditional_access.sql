-- Conditional Access (crate::access): named locations, policies, and what a session and a
-- sign-in record of them.

-- Named locations: CIDR ranges (IPv4 and IPv6), comma-separated, normalised.
CREATE TABLE named_locations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    ranges TEXT NOT NULL,
    trusted BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);

-- Policies: the whole policy (assignments, target resources, conditions, grant, session,
-- state) as one JSON document, so a policy is written whole or not at all.
CREATE TABLE ca_policies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Each authentication method a session used and when: `pwd@1733300000 totp@1733300042`
-- (kinds: pwd, totp, recovery, passkey).
ALTER TABLE sessions ADD COLUMN methods TEXT NOT NULL DEFAULT '';

