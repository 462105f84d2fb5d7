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
