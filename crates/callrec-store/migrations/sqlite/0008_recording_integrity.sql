-- Two things the number index relies on, made true by the schema:
--
-- 1. A stable integer key. recording_number_grams points at recordings by
--    an integer; it was SQLite's rowid, which VACUUM (and a dump and
--    restore) may renumber because the table's primary key is TEXT, so
--    after a VACUUM a number filter could list the wrong recordings. The
--    table is rebuilt with `seq INTEGER PRIMARY KEY` holding the old rowid
--    (so the index stays right): an INTEGER PRIMARY KEY is the rowid and is
--    never renumbered. PostgreSQL has had `seq` since 0004.
-- 2. Numbers that cannot hold the packed page's separators: digits and
--    + * # only, 1 to 32 characters (as `PhoneNumber::parse` accepts).

DROP TRIGGER recordings_number_grams_insert;
DROP TRIGGER recordings_number_grams_delete;
DROP TRIGGER recordings_call_facts_fixed;
DROP VIEW recording_number_gram_rows;

CREATE TABLE recordings_rebuilt (
    seq            INTEGER PRIMARY KEY,  -- stable: the number index points here
    id             TEXT    NOT NULL UNIQUE,  -- 128 random bits as hex: not guessable
    company_id     INTEGER NOT NULL REFERENCES companies (id),
    team_id        INTEGER REFERENCES teams (id),
    user_id        INTEGER REFERENCES users (id),
    extension      TEXT CHECK (extension IS NULL OR (length(extension) BETWEEN 1 AND 32
                                  AND extension NOT GLOB '*[^0-9+*#]*')),
    direction      TEXT    NOT NULL CHECK (direction IN ('inbound', 'outbound', 'internal')),
    calling_number TEXT    NOT NULL CHECK (length(calling_number) BETWEEN 1 AND 32
                                           AND calling_number NOT GLOB '*[^0-9+*#]*'),
    called_number  TEXT    NOT NULL CHECK (length(called_number) BETWEEN 1 AND 32
                                           AND called_number NOT GLOB '*[^0-9+*#]*'),
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
INSERT INTO recordings_rebuilt (seq, id, company_id, team_id, user_id, extension, direction,
    calling_number, called_number, started_at, duration_ms, format, size_bytes, sha256,
    storage_key, external_id, created_at)
SELECT rowid, id, company_id, team_id, user_id, extension, direction, calling_number,
    called_number, started_at, duration_ms, format, size_bytes, sha256, storage_key,
    external_id, created_at
FROM recordings;
DROP TABLE recordings;
ALTER TABLE recordings_rebuilt RENAME TO recordings;

CREATE INDEX recordings_by_company ON recordings (company_id, started_at DESC, id DESC);
CREATE INDEX recordings_by_team ON recordings (team_id, started_at DESC, id DESC);
CREATE INDEX recordings_by_user ON recordings (user_id, started_at DESC, id DESC);
CREATE INDEX recordings_by_time ON recordings (started_at DESC, id DESC);
CREATE INDEX recordings_by_storage_key ON recordings (storage_key);

-- As in 0005, with `seq` for the rowid.
CREATE VIEW recording_number_gram_rows AS
SELECT n.company_id, n.side || substr(n.digits || '____', p.pos, 4) AS gram,
       n.started_at, n.recording
FROM (
    SELECT seq AS recording, company_id, started_at, 'f' AS side,
           replace(replace(replace(calling_number, '+', ''), '*', ''), '#', '') AS digits
    FROM recordings
    UNION ALL
    SELECT seq, company_id, started_at, 't',
           replace(replace(replace(called_number, '+', ''), '*', ''), '#', '')
    FROM recordings
) n
JOIN number_positions p ON p.pos <= max(length(n.digits) - 2, 1);

CREATE TRIGGER recordings_number_grams_insert AFTER INSERT ON recordings BEGIN
    INSERT OR IGNORE INTO recording_number_grams (company_id, gram, started_at, recording)
    SELECT company_id, gram, started_at, recording FROM recording_number_gram_rows
    WHERE recording = new.seq;
END;

CREATE TRIGGER recordings_number_grams_delete BEFORE DELETE ON recordings BEGIN
    DELETE FROM recording_number_grams
    WHERE (company_id, gram, started_at, recording) IN (
        SELECT company_id, gram, started_at, recording FROM recording_number_gram_rows
        WHERE recording = old.seq);
END;

CREATE TRIGGER recordings_call_facts_fixed
BEFORE UPDATE OF seq, company_id, calling_number, called_number, started_at ON recordings BEGIN
    SELECT RAISE(ABORT, 'a recording''s company, numbers and start time cannot change');
END;
