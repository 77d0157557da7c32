-- One-time account links (crate::selfservice::links): a password reset link or an
-- invitation. The link carries the row's id and a random secret; only the secret's SHA-256
-- is kept. `used_at` is set once, by a conditional UPDATE that one caller only can win, so
-- a link is redeemed once across nodes. Issuing a new link of a purpose for a user ends
-- that user's earlier unused links of the same purpose.
CREATE TABLE account_links (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    created_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX account_links_by_user ON account_links (user_id, purpose);
CREATE INDEX account_links_by_expiry ON account_links (expires_at);
