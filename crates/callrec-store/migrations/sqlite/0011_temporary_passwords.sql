-- A password someone else set is temporary: its holder chooses their own
-- at the next sign-in, and it stops working at this time (Unix seconds).
-- NULL: the user's own password (or one automation chose).
ALTER TABLE users ADD COLUMN password_expires_at INTEGER;
