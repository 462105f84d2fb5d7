-- Mail leaves through this table, not memory: a message waits here until
-- a node's sender delivers it, so a restart loses none. Each node claims a
-- due message by moving its next attempt forward in one conditional
-- write, so two nodes never send the same one. A message that keeps
-- failing is given up after its last attempt and shown to Global users.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    to_address      TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    text_body       TEXT    NOT NULL,
    html_body       TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_at         INTEGER,
    failed_at       INTEGER,   -- given up
    last_error      TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- Forgotten password links: the token's SHA-256 only, good for 30
-- minutes, once, and only while the password is the one it was made for.
CREATE TABLE password_resets (
    token_hash    TEXT    PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash TEXT    NOT NULL,  -- the password at the time: a change ends the link
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);
