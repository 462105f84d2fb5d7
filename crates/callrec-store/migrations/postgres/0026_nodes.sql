-- Several nodes on one database (issue 14).
--
-- Audio on its way into the store: an upload notes its key here
-- before it places the file or object, and the transaction that inserts
-- its row removes the note. A note that outlives its upload (a crash
-- between the two) names the one key the orphan sweep must look at, so
-- no node lists a whole bucket at start.
CREATE TABLE pending_audio (
    storage_key TEXT PRIMARY KEY,
    noted_at    BIGINT NOT NULL
);
CREATE INDEX pending_audio_by_time ON pending_audio (noted_at);

-- Every node must hold the same master key (CALLREC_SECRET_KEY): a node
-- with another key could not read the MFA secrets and audio keys the
-- others wrote. The first node to start records a check value derived
-- from its key (not the key); a node whose keys do not give it refuses to
-- start.
CREATE TABLE secret_key_check (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    check_value TEXT NOT NULL,
    set_at     BIGINT NOT NULL
);
