-- Require password change at next sign-in (crate::password_change): set by an administrator,
-- cleared when the user sets a new password; until then no Response is issued and neither
-- My Apps nor the admin portal opens.
ALTER TABLE users ADD COLUMN password_change_required BOOLEAN NOT NULL DEFAULT FALSE;
