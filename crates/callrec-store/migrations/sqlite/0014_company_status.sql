-- A Global user can disable a company: its users cannot sign in and its
-- API tokens stop working, until it is enabled again.
ALTER TABLE companies ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1));
