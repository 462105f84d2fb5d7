-- The read API and the home dashboard (issue 16).
--
-- API tokens get scopes (a token made before had only one thing it could
-- do: ingest), an optional expiry, who made it, and when and from where
-- it was last used.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'ingest';
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN created_by TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN last_used_addr TEXT;

-- Nodes of the old version may still be writing (a rolling upgrade): no
-- recording comes or goes between the counts' backfill and their triggers.
LOCK TABLE recordings IN SHARE ROW EXCLUSIVE MODE;

-- Calls per quarter hour, kept by the triggers below as recordings arrive
-- and leave (Delete, Restore, purges), so the dashboard sums a few
-- thousand rows instead of counting a million. A quarter hour because
-- every time zone's offset is a whole number of them: days and hours in
-- any zone are whole sets of buckets. Like the number index, each call is
-- counted once for its company (slice 1), team (2) and user (3), so each
-- scope reads only its own rows. A user's buckets are kept per team of the
-- call, so a team's busiest people count only that team's calls. A
-- recording's company, team, user and start time cannot change (0009), so
-- insert and delete are all there is.
CREATE TABLE call_counts (
    slice       SMALLINT NOT NULL CHECK (slice BETWEEN 1 AND 3),
    owner       BIGINT   NOT NULL,  -- the company, team or user id
    team        BIGINT   NOT NULL,  -- a user's calls (slice 3): the call's team, or 0; else 0
    quarter     BIGINT   NOT NULL,  -- started_at / 900000
    inbound     BIGINT   NOT NULL,
    outbound    BIGINT   NOT NULL,
    internal    BIGINT   NOT NULL,
    duration_ms BIGINT   NOT NULL,
    -- The quarter before the team: a user's period is one range of the key
    -- (their calls are rarely in more than one team); measured at 1,000,000
    -- recordings, a company's busiest users in 14 ms instead of 25 (SQLite).
    PRIMARY KEY (slice, owner, quarter, team)
);
-- Every company's (or team's, or user's) buckets of a period, for operators.
CREATE INDEX call_counts_by_time ON call_counts (slice, quarter);
-- A team's members' calls in that team, for its busiest people.
CREATE INDEX call_counts_by_team ON call_counts (team, quarter) WHERE slice = 3;

-- The one definition of the buckets a recording adds to.
CREATE FUNCTION call_count_deltas(company BIGINT, team BIGINT, person BIGINT)
RETURNS TABLE (slice SMALLINT, owner BIGINT, team_key BIGINT)
LANGUAGE sql IMMUTABLE AS $$
    SELECT s.slice, s.owner, s.team_key
    FROM (VALUES (1::SMALLINT, company, 0::BIGINT), (2::SMALLINT, team, 0::BIGINT),
                 (3::SMALLINT, person, COALESCE(team, 0)))
         AS s (slice, owner, team_key)
    WHERE s.owner IS NOT NULL
$$;

INSERT INTO call_counts (slice, owner, team, quarter, inbound, outbound, internal, duration_ms)
SELECT k.slice, k.owner, k.team_key, r.started_at / 900000,
       COUNT(*) FILTER (WHERE r.direction = 'inbound'),
       COUNT(*) FILTER (WHERE r.direction = 'outbound'),
       COUNT(*) FILTER (WHERE r.direction = 'internal'),
       SUM(r.duration_ms)
FROM recordings r
CROSS JOIN LATERAL call_count_deltas(r.company_id, r.team_id, r.user_id) AS k
GROUP BY 1, 2, 3, 4;

-- Rows are added in key order, so two transactions adding to the same
-- buckets queue rather than deadlock.
CREATE FUNCTION recordings_add_call_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO call_counts (slice, owner, team, quarter, inbound, outbound, internal, duration_ms)
    SELECT k.slice, k.owner, k.team_key, r.started_at / 900000,
           COUNT(*) FILTER (WHERE r.direction = 'inbound'),
           COUNT(*) FILTER (WHERE r.direction = 'outbound'),
           COUNT(*) FILTER (WHERE r.direction = 'internal'),
           SUM(r.duration_ms)
    FROM added_recordings r
    CROSS JOIN LATERAL call_count_deltas(r.company_id, r.team_id, r.user_id) AS k
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (slice, owner, quarter, team) DO UPDATE SET
        inbound = call_counts.inbound + excluded.inbound,
        outbound = call_counts.outbound + excluded.outbound,
        internal = call_counts.internal + excluded.internal,
        duration_ms = call_counts.duration_ms + excluded.duration_ms;
    RETURN NULL;
END
$$;
CREATE TRIGGER recordings_call_counts_insert AFTER INSERT ON recordings
REFERENCING NEW TABLE AS added_recordings
FOR EACH STATEMENT EXECUTE FUNCTION recordings_add_call_counts();

CREATE FUNCTION recordings_remove_call_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Locked in key order first, as the insert adds them.
    PERFORM 1 FROM call_counts c,
        (SELECT DISTINCT k.slice, k.owner, k.team_key, r.started_at / 900000 AS quarter
         FROM removed_recordings r
         CROSS JOIN LATERAL call_count_deltas(r.company_id, r.team_id, r.user_id) AS k) g
    WHERE c.slice = g.slice AND c.owner = g.owner AND c.team = g.team_key AND c.quarter = g.quarter
    ORDER BY c.slice, c.owner, c.team, c.quarter
    FOR UPDATE OF c;
    WITH gone AS (
        SELECT k.slice, k.owner, k.team_key, r.started_at / 900000 AS quarter,
               COUNT(*) FILTER (WHERE r.direction = 'inbound') AS inbound,
               COUNT(*) FILTER (WHERE r.direction = 'outbound') AS outbound,
               COUNT(*) FILTER (WHERE r.direction = 'internal') AS internal,
               SUM(r.duration_ms) AS duration_ms
        FROM removed_recordings r
        CROSS JOIN LATERAL call_count_deltas(r.company_id, r.team_id, r.user_id) AS k
        GROUP BY 1, 2, 3, 4
    )
    UPDATE call_counts c SET
        inbound = c.inbound - gone.inbound,
        outbound = c.outbound - gone.outbound,
        internal = c.internal - gone.internal,
        duration_ms = c.duration_ms - gone.duration_ms
    FROM gone
    WHERE c.slice = gone.slice AND c.owner = gone.owner AND c.team = gone.team_key
      AND c.quarter = gone.quarter;
    DELETE FROM call_counts c
    USING removed_recordings r
    CROSS JOIN LATERAL call_count_deltas(r.company_id, r.team_id, r.user_id) AS k
    WHERE c.slice = k.slice AND c.owner = k.owner AND c.team = k.team_key
      AND c.quarter = r.started_at / 900000
      AND c.inbound = 0 AND c.outbound = 0 AND c.internal = 0;
    RETURN NULL;
END
$$;
CREATE TRIGGER recordings_call_counts_delete AFTER DELETE ON recordings
REFERENCING OLD TABLE AS removed_recordings
FOR EACH STATEMENT EXECUTE FUNCTION recordings_remove_call_counts();

-- The counts rely on a call's direction and length not changing either.
DROP TRIGGER recordings_call_facts_fixed ON recordings;
CREATE OR REPLACE FUNCTION recordings_call_facts_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a recording''s company, team, user, numbers, start time, direction and length cannot change';
END
$$;
CREATE TRIGGER recordings_call_facts_fixed
BEFORE UPDATE OF company_id, team_id, user_id, calling_number, called_number, started_at, seq,
                 direction, duration_ms
ON recordings FOR EACH ROW EXECUTE FUNCTION recordings_call_facts_fixed();

-- How far MFA has got in each company, one row a day (UTC), written by
-- housekeeping: enabled users, and those with a phone or security key.
CREATE TABLE mfa_adoption (
    company_id BIGINT  NOT NULL REFERENCES companies (id),
    day        TEXT    NOT NULL,  -- YYYY-MM-DD, UTC
    users      BIGINT  NOT NULL,
    registered BIGINT  NOT NULL,
    PRIMARY KEY (company_id, day)
);
