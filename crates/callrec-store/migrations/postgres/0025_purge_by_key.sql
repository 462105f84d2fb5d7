-- Deleting recordings removes their number-index rows by their full key
-- (recordings_remove_number_grams, 0009). From a batch of 500 the planner,
-- which knows nothing of the transition table, chose to scan the whole
-- index table (about 80 rows a recording): the purge job ran at 43
-- recordings/s at 1,000,000 recordings (docs/BENCHMARKS.md, records). Inside
-- that function only, key lookups are the plan.
ALTER FUNCTION recordings_remove_number_grams()
    SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off;
