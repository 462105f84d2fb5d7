-- Recordings and the API tokens that ingest them.

CREATE TABLE recordings (
    id             TEXT    PRIMARY KEY,  -- 128 random bits as hex: not guessable
    company_id     INTEGER NOT NULL REFERENCES companies (id),
    team_id        INTEGER REFERENCES teams (id),
    user_id        INTEGER REFERENCES users (id),
    extension      TEXT,
    direction      TEXT    NOT NULL CHECK (direction IN ('inbound', 'outbound', 'internal')),
    calling_number TEXT    NOT NULL,
    called_number  TEXT    NOT NULL,
    started_at     INTEGER NOT NULL,     -- Unix milliseconds, UTC
    duration_ms    INTEGER NOT NULL,
    format         TEXT    NOT NULL CHECK (format IN ('wav', 'mp3', 'ogg')),
    size_bytes     INTEGER NOT NULL,
    sha256         TEXT    NOT NULL,
    storage_key    TEXT    NOT NULL,
    external_id    TEXT,
    created_at     INTEGER NOT NULL,
    UNIQUE (company_id, external_id)
);
-- Newest first, per scope, with the id as tie-breaker for keyset pages.
CREATE INDEX recordings_by_company ON recordings (company_id, started_at DESC, id DESC);
CREATE INDEX recordings_by_team ON recordings (team_id, started_at DESC, id DESC);
CREATE INDEX recordings_by_user ON recordings (user_id, started_at DESC, id DESC);
CREATE INDEX recordings_by_time ON recordings (started_at DESC, id DESC);
CREATE INDEX recordings_by_storage_key ON recordings (storage_key);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    name       TEXT    NOT NULL,
    token_hash TEXT    NOT NULL UNIQUE,  -- SHA-256 of the token; the token itself is shown once
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    UNIQUE (company_id, name)
);
