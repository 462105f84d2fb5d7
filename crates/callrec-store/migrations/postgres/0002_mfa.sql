-- MFA: one registration per user (the TOTP secret, encrypted by the web
-- layer before it gets here) and whether a session has passed MFA.

CREATE TABLE mfa_registrations (
    user_id           BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_ciphertext TEXT    NOT NULL,
    confirmed         BIGINT  NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
    -- The last accepted time step: a step is accepted at most once.
    last_step         BIGINT ,
    created_at        BIGINT  NOT NULL,
    confirmed_at      BIGINT 
);

ALTER TABLE sessions ADD COLUMN mfa_passed BIGINT  NOT NULL DEFAULT 0 CHECK (mfa_passed IN (0, 1));
