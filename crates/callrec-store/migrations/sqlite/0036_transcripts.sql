-- Transcripts (issue 28). A company turns transcription on (Company
-- settings → Transcription, off by default) and chooses what card numbers
-- are taken out of (Company settings → Redaction: off | transcript |
-- audio).
ALTER TABLE companies ADD COLUMN transcription BIGINT NOT NULL DEFAULT 0 CHECK (transcription IN (0, 1));
ALTER TABLE companies ADD COLUMN redaction TEXT NOT NULL DEFAULT 'transcript'
    CHECK (redaction IN ('off', 'transcript', 'audio'));

-- The queue: one job per recording, worked by any node that claims its
-- lease (holder, lease_until) while it is due; a failed try sets due_at
-- later; a day of failures gives it up ('failed').
CREATE TABLE transcription_jobs (
    recording_id TEXT    PRIMARY KEY,
    company_id   BIGINT  NOT NULL REFERENCES companies (id),
    state        TEXT    NOT NULL CHECK (state IN ('queued', 'done', 'failed')),
    attempts     BIGINT  NOT NULL DEFAULT 0,
    due_at       BIGINT  NOT NULL,
    holder       TEXT,
    lease_until  BIGINT,
    error        TEXT,
    queued_at    BIGINT  NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX transcription_jobs_due ON transcription_jobs (state, due_at);

-- A recording's transcript, sealed with the company's data key like its
-- audio (`sealed`: hex; `key_id`: the key). It follows its recording by
-- id into Deleted recordings and back, and goes when it is purged.
CREATE TABLE recording_transcripts (
    recording_id TEXT    PRIMARY KEY,
    company_id   BIGINT  NOT NULL REFERENCES companies (id),
    key_id       BIGINT  NOT NULL,
    sealed       TEXT    NOT NULL,
    word_count   BIGINT  NOT NULL,
    audio_ms     BIGINT  NOT NULL,
    redacted     BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX recording_transcripts_by_company ON recording_transcripts (company_id, key_id);

-- The word index: for each recording, the keyed hash (HMAC-SHA-256 with
-- the company's word key, first 16 bytes in hex) of each term said, and
-- when it was first said. No word is held in clear.
CREATE TABLE transcript_words (
    recording_id TEXT    NOT NULL,
    word_hash    TEXT    NOT NULL,
    first_ms     BIGINT  NOT NULL,
    PRIMARY KEY (recording_id, word_hash)
);
CREATE INDEX transcript_words_by_hash ON transcript_words (word_hash, recording_id);

-- Each company's word key, sealed with the master keyring (bound to the
-- company): kept for good, so the index never needs rebuilding when the
-- company's data keys rotate.
CREATE TABLE word_index_keys (
    company_id   BIGINT  PRIMARY KEY REFERENCES companies (id),
    wrapped      TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL
);

-- Audio redaction (Company settings → Redaction: audio): a call's card
-- numbers silenced in a redacted copy that becomes its audio. The
-- original is destroyed at once — unless the call is on legal hold: then
-- it is kept here (still sealed, still counted as in use) until no hold
-- covers the call, and the purge job destroys it.
CREATE TABLE redacted_originals (
    recording_id TEXT    PRIMARY KEY,
    company_id   BIGINT  NOT NULL REFERENCES companies (id),
    storage_key  TEXT    NOT NULL,
    sha256       TEXT    NOT NULL,
    redacted_at  BIGINT  NOT NULL
);
CREATE INDEX redacted_originals_by_key ON redacted_originals (storage_key);
