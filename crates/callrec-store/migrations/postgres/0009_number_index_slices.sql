-- The number index per slice of the portal a search can be scoped to.
-- 0004 kept each key per company, so a Staff user's page read the whole
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

DROP TRIGGER recordings_number_grams_insert ON recordings;
DROP TRIGGER recordings_number_grams_delete ON recordings;
DROP FUNCTION recordings_add_number_grams();
DROP FUNCTION recordings_remove_number_grams();
DROP TABLE recording_number_grams;

CREATE TABLE recording_number_grams (
    slice      SMALLINT NOT NULL CHECK (slice BETWEEN 0 AND 3),
    owner      BIGINT   NOT NULL,  -- 0, or the company, team or user id
    gram       TEXT     COLLATE "C" NOT NULL,
    started_at BIGINT   NOT NULL,
    recording  BIGINT   NOT NULL,  -- recordings.seq
    PRIMARY KEY (slice, owner, gram, started_at, recording)
);

-- The one definition of a recording's keys: both numbers, digits only,
-- in each slice the recording belongs to.
CREATE FUNCTION recording_number_keys(company BIGINT, team BIGINT, person BIGINT,
                                      calling TEXT, called TEXT)
RETURNS TABLE (slice SMALLINT, owner BIGINT, gram TEXT)
LANGUAGE sql IMMUTABLE AS $$
    SELECT s.slice, s.owner, g.gram
    FROM (VALUES (0::SMALLINT, 0::BIGINT), (1::SMALLINT, company), (2::SMALLINT, team),
                 (3::SMALLINT, person)) AS s (slice, owner)
    CROSS JOIN recording_number_grams_of(calling, called) AS g (gram)
    WHERE s.owner IS NOT NULL
$$;

INSERT INTO recording_number_grams (slice, owner, gram, started_at, recording)
SELECT k.slice, k.owner, k.gram, r.started_at, r.seq
FROM recordings r
CROSS JOIN LATERAL recording_number_keys(r.company_id, r.team_id, r.user_id,
                                         r.calling_number, r.called_number) AS k;

CREATE FUNCTION recordings_add_number_grams() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO recording_number_grams (slice, owner, gram, started_at, recording)
    SELECT k.slice, k.owner, k.gram, r.started_at, r.seq
    FROM added_recordings r
    CROSS JOIN LATERAL recording_number_keys(r.company_id, r.team_id, r.user_id,
                                             r.calling_number, r.called_number) AS k;
    RETURN NULL;
END
$$;
CREATE TRIGGER recordings_number_grams_insert AFTER INSERT ON recordings
REFERENCING NEW TABLE AS added_recordings
FOR EACH STATEMENT EXECUTE FUNCTION recordings_add_number_grams();

CREATE FUNCTION recordings_remove_number_grams() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM recording_number_grams x
    USING removed_recordings r
    CROSS JOIN LATERAL recording_number_keys(r.company_id, r.team_id, r.user_id,
                                             r.calling_number, r.called_number) AS k
    WHERE x.slice = k.slice AND x.owner = k.owner AND x.gram = k.gram
      AND x.started_at = r.started_at AND x.recording = r.seq;
    RETURN NULL;
END
$$;
CREATE TRIGGER recordings_number_grams_delete AFTER DELETE ON recordings
REFERENCING OLD TABLE AS removed_recordings
FOR EACH STATEMENT EXECUTE FUNCTION recordings_remove_number_grams();

DROP TRIGGER recordings_call_facts_fixed ON recordings;
CREATE OR REPLACE FUNCTION recordings_call_facts_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a recording''s company, team, user, numbers and start time cannot change';
END
$$;
CREATE TRIGGER recordings_call_facts_fixed
BEFORE UPDATE OF company_id, team_id, user_id, calling_number, called_number, started_at, seq
ON recordings FOR EACH ROW EXECUTE FUNCTION recordings_call_facts_fixed();
