-- Company MFA: "Always require MFA for users who can manage users or MFA".
-- Off by default: MFA Available then still means each user decides.
ALTER TABLE companies ADD COLUMN mfa_for_admins INTEGER NOT NULL DEFAULT 0 CHECK (mfa_for_admins IN (0, 1));
