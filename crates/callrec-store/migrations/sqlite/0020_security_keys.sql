-- Security keys and passkeys (WebAuthn) as a second factor. The credential
-- is webauthn-rs's SecurityKey as JSON (public key, counter, flags: no
-- secret); its id is unique across the portal (one key, one account). The
-- counter is kept beside it so a use is recorded by one conditional write
-- that refuses a count that did not rise (a cloned key).
CREATE TABLE mfa_security_keys (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    credential_id TEXT    NOT NULL UNIQUE,
    credential    TEXT    NOT NULL,
    counter       INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);
CREATE INDEX mfa_security_keys_user ON mfa_security_keys (user_id);

-- The server half of a WebAuthn ceremony between its two requests, per
-- session and kind, so any node can finish what another started. Taken
-- (deleted) when used: a challenge answers once.
CREATE TABLE webauthn_ceremonies (
    session_hash TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (session_hash, kind)
);
