-- When each user last signed in (Unix seconds), so an account nobody has
-- used for CALLREC_DORMANT_DAYS is shown as dormant on the Users page.
ALTER TABLE users ADD COLUMN last_sign_in_at BIGINT;
