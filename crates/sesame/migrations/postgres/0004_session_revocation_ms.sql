-- Session revocation at millisecond precision: a password reset or a disable refuses
-- every session created before it, also one created earlier in the same second.
ALTER TABLE users ADD COLUMN sessions_valid_after_ms BIGINT NOT NULL DEFAULT 0;
UPDATE users SET sessions_valid_after_ms = sessions_valid_after * 1000;
ALTER TABLE sessions ADD COLUMN created_at_ms BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET created_at_ms = created_at * 1000;
