-- A pending MFA registration belongs to the session that started it: only
-- that session sees its key and may confirm it (security review, item 5).
ALTER TABLE mfa_registrations ADD COLUMN pending_session TEXT;
