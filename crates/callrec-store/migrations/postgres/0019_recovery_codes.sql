-- Recovery codes: ten one-time codes per user, stored only as keyed hashes
-- (HMAC-SHA-256 under a key derived from the MFA keyring). A code is spent
-- by one conditional write setting used_at; a new set replaces the old.
CREATE TABLE mfa_recovery_codes (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT    NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
