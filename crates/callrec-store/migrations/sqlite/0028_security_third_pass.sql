-- Security, third pass (issue 17).
--
-- "Confirm it's you" holds for a few minutes in the session that proved
-- it, so an administrator adding several users types one code, not one
-- per user (a code is single-use).
ALTER TABLE sessions ADD COLUMN confirmed_at INTEGER;

-- A shorter retention waits out a notice period: until then the purge
-- keeps using the period in force (retention), and Company settings
-- offers Cancel change.
ALTER TABLE companies ADD COLUMN retention_pending TEXT;
ALTER TABLE companies ADD COLUMN retention_pending_at INTEGER;

-- Company MFA → Remind mails one user at most once a day.
ALTER TABLE users ADD COLUMN mfa_reminded_at INTEGER;
