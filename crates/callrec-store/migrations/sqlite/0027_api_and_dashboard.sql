-- The read API and the home dashboard (issue 16).
--
-- API tokens get scopes (a token made before had only one thing it could
-- do: ingest), an optional expiry, who made it, and when and from where
-- it was last used.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'ingest';
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE api_tokens ADD COLUMN created_by TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_at INTEGER;
ALTER TABLE api_tokens ADD COLUMN last_used_addr TEXT;

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
    slice       INTEGER NOT NULL CHECK (slice BETWEEN 1 AND 3),
    owner       INTEGER NOT NULL,  -- the company, team or user id
    team        INTEGER NOT NULL,  -- a user's calls (slice 3): the call's team, or 0; else 0
    quarter     INTEGER NOT NULL,  -- started_at / 900000
    inbound     INTEGER NOT NULL,
    outbound    INTEGER NOT NULL,
    internal    INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    -- The quarter before the team: a user's period is one range of the key
    -- (their calls are rarely in more than one team); measured at 1,000,000
    -- recordings, a company's busiest users in 14 ms instead of 25 (SQLite).
    PRIMARY KEY (slice, owner, quarter, team)
) WITHOUT ROWID;
-- Every company's (or team's, or user's) buckets of a period, for operators.
CREATE INDEX call_counts_by_time ON call_counts (slice, quarter);
-- A team's members' calls in that team, for its busiest people.
CREATE INDEX call_counts_by_team ON call_counts (team, quarter) WHERE slice = 3;

CREATE VIEW call_count_rows AS
    SELECT seq, 1 AS slice, company_id AS owner, 0 AS team, started_at / 900000 AS quarter,
           direction, duration_ms FROM recordings
    UNION ALL
    SELECT seq, 2, team_id, 0, started_at / 900000, direction, duration_ms FROM recordings
    WHERE team_id IS NOT NULL
    UNION ALL
    SELECT seq, 3, user_id, COALESCE(team_id, 0), started_at / 900000, direction, duration_ms
    FROM recordings WHERE user_id IS NOT NULL;

INSERT INTO call_counts (slice, owner, team, quarter, inbound, outbound, internal, duration_ms)
SELECT slice, owner, team, quarter,
       SUM(direction = 'inbound'), SUM(direction = 'outbound'), SUM(direction = 'internal'),
       SUM(duration_ms)
FROM call_count_rows GROUP BY slice, owner, team, quarter;

CREATE TRIGGER recordings_call_counts_insert AFTER INSERT ON recordings BEGIN
    INSERT INTO call_counts (slice, owner, team, quarter, inbound, outbound, internal, duration_ms)
    SELECT slice, owner, team, quarter, direction = 'inbound', direction = 'outbound',
           direction = 'internal', duration_ms
    FROM call_count_rows WHERE seq = new.seq
    ON CONFLICT (slice, owner, quarter, team) DO UPDATE SET
        inbound = inbound + excluded.inbound,
        outbound = outbound + excluded.outbound,
        internal = internal + excluded.internal,
        duration_ms = duration_ms + excluded.duration_ms;
END;

-- Before, not after: the view still sees the row.
CREATE TRIGGER recordings_call_counts_delete BEFORE DELETE ON recordings BEGIN
    UPDATE call_counts SET
        inbound = inbound - (old.direction = 'inbound'),
        outbound = outbound - (old.direction = 'outbound'),
        internal = internal - (old.direction = 'internal'),
        duration_ms = duration_ms - old.duration_ms
    WHERE (slice, owner, team, quarter) IN (
        SELECT slice, owner, team, quarter FROM call_count_rows WHERE seq = old.seq);
    DELETE FROM call_counts
    WHERE (slice, owner, team, quarter) IN (
        SELECT slice, owner, team, quarter FROM call_count_rows WHERE seq = old.seq)
      AND inbound = 0 AND outbound = 0 AND internal = 0;
END;

-- The counts rely on a call's direction and length not changing either.
DROP TRIGGER recordings_call_facts_fixed;
CREATE TRIGGER recordings_call_facts_fixed
BEFORE UPDATE OF seq, company_id, team_id, user_id, calling_number, called_number, started_at,
                 direction, duration_ms
ON recordings BEGIN
    SELECT RAISE(ABORT, 'a recording''s company, team, user, numbers, start time, direction and length cannot change');
END;

-- How far MFA has got in each company, one row a day (UTC), written by
-- housekeeping: enabled users, and those with a phone or security key.
CREATE TABLE mfa_adoption (
    company_id INTEGER NOT NULL REFERENCES companies (id),
    day        TEXT    NOT NULL,  -- YYYY-MM-DD, UTC
    users      INTEGER NOT NULL,
    registered INTEGER NOT NULL,
    PRIMARY KEY (company_id, day)
) WITHOUT ROWID;
