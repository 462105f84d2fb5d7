-- A number filter finds up to 51 recordings a page through the number
-- index, then looks each one up by `seq`. A hash index answers such an
-- equality lookup in about two page reads where the B-tree descends three
-- levels: +10-13% number-filter pages per second (docs/BENCHMARKS.md).
-- A hash index cannot be unique; `seq` stays unique because it is an
-- identity column PostgreSQL generates and, below, can never be updated.
CREATE INDEX recordings_by_seq_hash ON recordings USING hash (seq);
DROP INDEX recordings_by_seq;

-- `seq` is what the number index points at: like the call's facts it
-- cannot change (an identity column can still be set to DEFAULT).
DROP TRIGGER recordings_call_facts_fixed ON recordings;
CREATE TRIGGER recordings_call_facts_fixed
BEFORE UPDATE OF company_id, calling_number, called_number, started_at, seq ON recordings
FOR EACH ROW EXECUTE FUNCTION recordings_call_facts_fixed();
