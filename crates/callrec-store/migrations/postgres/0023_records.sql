-- Recordings as records (issue 13): retention per company, legal hold,
-- recoverable deletion, and the purge job's lease and to-do list.

-- Company settings → Retention, as `callrec_domain::retention::Retention`
-- codes. Companies that existed before keep everything.
ALTER TABLE companies ADD COLUMN retention TEXT NOT NULL DEFAULT 'forever';

-- Legal hold: a held recording cannot be deleted or purged. held_at and
-- deleted_at below are Unix seconds, like the audit log's times.
ALTER TABLE recordings ADD COLUMN held_at BIGINT;
ALTER TABLE recordings ADD COLUMN held_by TEXT;
ALTER TABLE recordings ADD COLUMN hold_reason TEXT;
ALTER TABLE recordings ADD CONSTRAINT recordings_hold_whole
    CHECK ((held_at IS NULL) = (hold_reason IS NULL));
-- The On hold filter, newest first like the other scopes.
CREATE INDEX recordings_held ON recordings (company_id, started_at DESC, id DESC)
    WHERE held_at IS NOT NULL;

-- Deleted recordings: moved out of `recordings` (so searches and the
-- number index never see them) until restored or purged.
CREATE TABLE deleted_recordings (
    id             TEXT    PRIMARY KEY,
    company_id     BIGINT NOT NULL REFERENCES companies (id),
    team_id        BIGINT REFERENCES teams (id),
    user_id        BIGINT REFERENCES users (id),
    extension      TEXT,
    direction      TEXT    NOT NULL,
    calling_number TEXT    NOT NULL,
    called_number  TEXT    NOT NULL,
    started_at     BIGINT NOT NULL,
    duration_ms    BIGINT NOT NULL,
    format         TEXT    NOT NULL,
    size_bytes     BIGINT NOT NULL,
    sha256         TEXT    NOT NULL,
    storage_key    TEXT    NOT NULL,
    external_id    TEXT,
    created_at     BIGINT NOT NULL,
    deleted_at     BIGINT NOT NULL,
    deleted_by     TEXT    NOT NULL,
    -- A hold placed on a search reaches deleted recordings too: a held one
    -- is not purged, and keeps its hold if restored.
    held_at        BIGINT,
    held_by        TEXT,
    hold_reason    TEXT
);
CREATE INDEX deleted_recordings_by_company ON deleted_recordings (company_id, deleted_at DESC, id DESC);
CREATE INDEX deleted_recordings_by_time ON deleted_recordings (deleted_at);
CREATE INDEX deleted_recordings_by_storage_key ON deleted_recordings (storage_key);

-- Audio files whose rows the purge job deleted, written in the same
-- transaction: a file is removed (if nothing else uses it) and then its
-- entry, so a crash between the two is finished by the next run.
CREATE TABLE purged_audio (
    storage_key TEXT PRIMARY KEY,
    queued_at   BIGINT NOT NULL
);

-- One node at a time runs a job: the holder renews its lease each batch;
-- another node takes over only once it has expired.
CREATE TABLE job_leases (
    job        TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at BIGINT NOT NULL
);

-- The new role, Access to Legal Hold, goes to the users who held every role
-- of the catalogue before it (the full administrators, such as the first
-- one), so someone can use it and grant it on; everyone else is given it
-- by them, as any role.
INSERT INTO user_roles (user_id, role)
SELECT user_id, 'legal_hold' FROM user_roles
WHERE role IN ('manage_own_mfa', 'manage_company_mfa', 'manage_users', 'manage_teams',
               'recordings', 'download_recordings', 'delete_recordings', 'audit_log')
GROUP BY user_id HAVING COUNT(*) = 8;
