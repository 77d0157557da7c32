-- What My sessions and a user's Sessions section show of each session: the browser's
-- User-Agent (at most 256 characters, control characters removed) and the client
-- address, written once when the session starts.
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN client_ip TEXT NOT NULL DEFAULT '';

-- When the last "Your account was locked" mail was queued for the user (Unix seconds;
-- 0: never): at most one such mail an hour, however many lock-outs a password spray
-- causes.
ALTER TABLE users ADD COLUMN lock_notice_at BIGINT NOT NULL DEFAULT 0;
