-- The number index per slice of the portal a search can be scoped to.
-- 0005 kept each key per company, so a Staff user's page read the whole
-- company's hits and kept their own, and an operator's page across
-- companies sorted every hit (1.8 s at 1,000,000 recordings, issue 15).
-- Now each key is kept once for everyone (slice 0), once for the company
-- (1), the team (2) and the user (3) the call belongs to, so every scope
-- reads its own hits newest first. `callrec_store::number_index::Slice`
-- holds the same codes. Four times the rows: at 1,000,000 recordings the
-- measured size is in docs/BENCHMARKS.md.
--
-- Who a call belonged to is then part of the index, so like the call's
-- other facts it cannot change.

DROP TRIGGER recordings_number_grams_insert;
DROP TRIGGER recordings_number_grams_delete;
DROP TRIGGER recordings_call_facts_fixed;
DROP VIEW recording_number_gram_rows;
DROP TABLE recording_number_grams;

CREATE TABLE recording_number_grams (
    slice      INTEGER NOT NULL CHECK (slice BETWEEN 0 AND 3),
    owner      INTEGER NOT NULL,  -- 0, or the company, team or user id
    gram       TEXT    NOT NULL,
    started_at INTEGER NOT NULL,
    recording  INTEGER NOT NULL,  -- recordings.seq
    PRIMARY KEY (slice, owner, gram, started_at, recording)
) WITHOUT ROWID;

CREATE TABLE number_index_slices (slice INTEGER PRIMARY KEY);
INSERT INTO number_index_slices (slice) VALUES (0), (1), (2), (3);

-- The one definition of a recording's keys: both numbers, digits only,
-- in each slice the recording belongs to.
CREATE VIEW recording_number_gram_rows AS
SELECT s.slice,
       CASE s.slice WHEN 0 THEN 0 WHEN 1 THEN n.company_id WHEN 2 THEN n.team_id
                    ELSE n.user_id END AS owner,
       n.side || substr(n.digits || '____', p.pos, 4) AS gram,
       n.started_at, n.recording
FROM (
    SELECT seq AS recording, company_id, team_id, user_id, started_at, 'f' AS side,
           replace(replace(replace(calling_number, '+', ''), '*', ''), '#', '') AS digits
    FROM recordings
    UNION ALL
    SELECT seq, company_id, team_id, user_id, started_at, 't',
           replace(replace(replace(called_number, '+', ''), '*', ''), '#', '')
    FROM recordings
) n
JOIN number_positions p ON p.pos <= max(length(n.digits) - 2, 1)
JOIN number_index_slices s
  ON s.slice < 2 OR (s.slice = 2 AND n.team_id IS NOT NULL)
  OR (s.slice = 3 AND n.user_id IS NOT NULL);

INSERT OR IGNORE INTO recording_number_grams (slice, owner, gram, started_at, recording)
SELECT slice, owner, gram, started_at, recording FROM recording_number_gram_rows
ORDER BY slice, owner, gram, started_at, recording;

CREATE TRIGGER recordings_number_grams_insert AFTER INSERT ON recordings BEGIN
    INSERT OR IGNORE INTO recording_number_grams (slice, owner, gram, started_at, recording)
    SELECT slice, owner, gram, started_at, recording FROM recording_number_gram_rows
    WHERE recording = new.seq;
END;

-- Before, not after: the view still sees the row.
CREATE TRIGGER recordings_number_grams_delete BEFORE DELETE ON recordings BEGIN
    DELETE FROM recording_number_grams
    WHERE (slice, owner, gram, started_at, recording) IN (
        SELECT slice, owner, gram, started_at, recording FROM recording_number_gram_rows
        WHERE recording = old.seq);
END;

CREATE TRIGGER recordings_call_facts_fixed
BEFORE UPDATE OF seq, company_id, team_id, user_id, calling_number, called_number, started_at
ON recordings BEGIN
    SELECT RAISE(ABORT, 'a recording''s company, team, user, numbers and start time cannot change');
END;
