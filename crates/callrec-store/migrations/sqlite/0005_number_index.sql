-- Number filters match any part of the digits, newest first, 50 a page.
-- FTS5 (0004) found the matches but not in time order: a common number
-- meant sorting thousands of rows for every page. This index keeps, per
-- company, each window of four digits of both numbers (and the padded last
-- three digits) in time order, so a page is read from the newest end and
-- the scan stops after 51 hits. The keys are those of
-- `callrec_domain::recording::number_grams`: 'f' (calling) or 't' (called)
-- and four characters; the store's tests check that both agree.

DROP TRIGGER recordings_numbers_insert;
DROP TRIGGER recordings_numbers_delete;
DROP TRIGGER recordings_numbers_update;
DROP TABLE recording_numbers;

-- 1 … 32: a position in a number (numbers have at most 32 characters).
CREATE TABLE number_positions (pos INTEGER PRIMARY KEY);
WITH RECURSIVE p (pos) AS (SELECT 1 UNION ALL SELECT pos + 1 FROM p WHERE pos < 32)
INSERT INTO number_positions (pos) SELECT pos FROM p;

CREATE TABLE recording_number_grams (
    company_id INTEGER NOT NULL,
    gram       TEXT    NOT NULL,
    started_at INTEGER NOT NULL,
    recording  INTEGER NOT NULL,  -- recordings.rowid
    PRIMARY KEY (company_id, gram, started_at, recording)
) WITHOUT ROWID;

-- The one definition of a recording's keys: both numbers, digits only.
CREATE VIEW recording_number_gram_rows AS
SELECT n.company_id, n.side || substr(n.digits || '____', p.pos, 4) AS gram,
       n.started_at, n.recording
FROM (
    SELECT rowid AS recording, company_id, started_at, 'f' AS side,
           replace(replace(replace(calling_number, '+', ''), '*', ''), '#', '') AS digits
    FROM recordings
    UNION ALL
    SELECT rowid, company_id, started_at, 't',
           replace(replace(replace(called_number, '+', ''), '*', ''), '#', '')
    FROM recordings
) n
JOIN number_positions p ON p.pos <= max(length(n.digits) - 2, 1);

INSERT OR IGNORE INTO recording_number_grams (company_id, gram, started_at, recording)
SELECT company_id, gram, started_at, recording FROM recording_number_gram_rows
ORDER BY company_id, gram, started_at, recording;

CREATE TRIGGER recordings_number_grams_insert AFTER INSERT ON recordings BEGIN
    INSERT OR IGNORE INTO recording_number_grams (company_id, gram, started_at, recording)
    SELECT company_id, gram, started_at, recording FROM recording_number_gram_rows
    WHERE recording = new.rowid;
END;

-- Before, not after: the view still sees the row.
CREATE TRIGGER recordings_number_grams_delete BEFORE DELETE ON recordings BEGIN
    DELETE FROM recording_number_grams
    WHERE (company_id, gram, started_at, recording) IN (
        SELECT company_id, gram, started_at, recording FROM recording_number_gram_rows
        WHERE recording = old.rowid);
END;

-- A recording is evidence of a call: what it says about the call stays as
-- it was ingested (and the index above stays true).
CREATE TRIGGER recordings_call_facts_fixed
BEFORE UPDATE OF company_id, calling_number, called_number, started_at ON recordings BEGIN
    SELECT RAISE(ABORT, 'a recording''s company, numbers and start time cannot change');
END;
