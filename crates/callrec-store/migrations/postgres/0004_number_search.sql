-- Number filters match any part of the digits, newest first, 50 a page.
-- The trigram indexes (0003) found the matches but not in time order: a
-- common number meant sorting thousands of rows for every page. This index
-- keeps, per company, each window of four digits of both numbers (and the
-- padded last three digits) in time order, so a page is read from the
-- newest end and the scan stops after 51 hits. The keys are those of
-- `callrec_domain::recording::number_grams`: 'f' (calling) or 't' (called)
-- and four characters; the store's tests check that both agree.

DROP INDEX recordings_calling_trgm;
DROP INDEX recordings_called_trgm;

-- A compact key for the index to point at (the id is 32 characters).
ALTER TABLE recordings ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX recordings_by_seq ON recordings (seq);

CREATE TABLE recording_number_grams (
    company_id BIGINT NOT NULL,
    gram       TEXT   COLLATE "C" NOT NULL,
    started_at BIGINT NOT NULL,
    recording  BIGINT NOT NULL,  -- recordings.seq
    PRIMARY KEY (company_id, gram, started_at, recording)
);

-- The one definition of a recording's keys: both numbers, digits only.
CREATE FUNCTION recording_number_grams_of(calling TEXT, called TEXT) RETURNS SETOF TEXT
LANGUAGE sql IMMUTABLE AS $$
    SELECT DISTINCT n.side || substr(n.digits || '____', p.pos, 4)
    FROM (VALUES ('f', translate(calling, '+*#', '')), ('t', translate(called, '+*#', '')))
        AS n (side, digits)
    CROSS JOIN LATERAL generate_series(1, greatest(length(n.digits) - 2, 1)) AS p (pos)
$$;

INSERT INTO recording_number_grams (company_id, gram, started_at, recording)
SELECT r.company_id, g.gram, r.started_at, r.seq
FROM recordings r
CROSS JOIN LATERAL recording_number_grams_of(r.calling_number, r.called_number) AS g (gram);

CREATE FUNCTION recordings_add_number_grams() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO recording_number_grams (company_id, gram, started_at, recording)
    SELECT r.company_id, g.gram, r.started_at, r.seq
    FROM added_recordings r
    CROSS JOIN LATERAL recording_number_grams_of(r.calling_number, r.called_number) AS g (gram);
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
    CROSS JOIN LATERAL recording_number_grams_of(r.calling_number, r.called_number) AS g (gram)
    WHERE x.company_id = r.company_id AND x.gram = g.gram
      AND x.started_at = r.started_at AND x.recording = r.seq;
    RETURN NULL;
END
$$;
CREATE TRIGGER recordings_number_grams_delete AFTER DELETE ON recordings
REFERENCING OLD TABLE AS removed_recordings
FOR EACH STATEMENT EXECUTE FUNCTION recordings_remove_number_grams();

-- A recording is evidence of a call: what it says about the call stays as
-- it was ingested (and the index above stays true).
CREATE FUNCTION recordings_call_facts_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a recording''s company, numbers and start time cannot change';
END
$$;
CREATE TRIGGER recordings_call_facts_fixed
BEFORE UPDATE OF company_id, calling_number, called_number, started_at ON recordings
FOR EACH ROW EXECUTE FUNCTION recordings_call_facts_fixed();
