-- MFA Enabled with days to register: until this time (Unix seconds) a user
-- without a registration may carry on, with a banner; after it, the live
-- policy as before. NULL: no grace.
ALTER TABLE companies ADD COLUMN mfa_deadline BIGINT;
