-- Listening (issue 26).
--
-- Company settings → Country for phone numbers: national numbers typed
-- into the filters (07700 900123) are read in this country's plan. NULL
-- is the portal's default (CALLREC_DEFAULT_COUNTRY).
ALTER TABLE companies ADD COLUMN phone_country TEXT;

-- Waveform peaks of each stored audio file (issue 26), by its key: a
-- recording in Deleted recordings keeps them, two recordings of the same
-- bytes share them, and they go when the file goes. `peaks` is each
-- channel's 0–255 loudness of 1,000 slices in hex, channels joined by
-- '.' (callrec_domain::waveform); empty for audio whose samples cannot be
-- read (MP3, Ogg, compressed WAV), so it is not tried again. A loudness
-- envelope says when someone spoke, not what: it is kept in clear, so
-- the player draws it without opening the sealed audio.
CREATE TABLE audio_peaks (
    storage_key TEXT PRIMARY KEY,
    peaks       TEXT NOT NULL
);

-- Notes at a moment of a call (issue 26): sealed with the company's data
-- key like the audio (`sealed` is the sealed text in hex, `key_id` the
-- key). A note follows its recording by id: into Deleted recordings and
-- back, and away with it when it is purged.
CREATE TABLE recording_notes (
    id           INTEGER PRIMARY KEY,
    recording_id TEXT    NOT NULL,
    company_id   INTEGER NOT NULL REFERENCES companies (id),
    -- Written by a user, or through the API by a token (its name).
    author_id    INTEGER REFERENCES users (id),
    author_token TEXT,
    at_ms        INTEGER NOT NULL CHECK (at_ms >= 0),
    key_id       INTEGER NOT NULL,
    sealed       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    changed_at   INTEGER,
    CHECK (author_id IS NOT NULL OR author_token IS NOT NULL)
);
CREATE INDEX recording_notes_by_recording ON recording_notes (recording_id, at_ms);
CREATE INDEX recording_notes_by_company ON recording_notes (company_id, key_id);

-- Who listened: a recording's page lists its plays and downloads from the
-- audit log, found by the recording's id.
CREATE INDEX audit_by_target ON audit_log (target, id DESC);

-- Tags (issue 26): a company's own list (Company settings → Tags), set on
-- recordings by id (so they follow a recording into Deleted recordings and
-- back; the purge removes them with it). Removing a tag from the list
-- removes it from every recording.
CREATE TABLE company_tags (
    id         INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    name       TEXT    NOT NULL,
    name_key   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (company_id, name_key)
);
CREATE TABLE recording_tags (
    recording_id TEXT    NOT NULL,
    tag_id       INTEGER NOT NULL REFERENCES company_tags (id) ON DELETE CASCADE,
    PRIMARY KEY (recording_id, tag_id)
);
CREATE INDEX recording_tags_by_tag ON recording_tags (tag_id, recording_id);
