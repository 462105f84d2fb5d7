-- Marks the phone system put on a recording's timeline (issue 27): spans
-- paused by the SRC, key presses (never the digits), and where a call
-- cut short by a stopped node ends. Written with the recording, in the
-- same transaction; kept while it is in Deleted recordings, purged with
-- it (as its notes and tags are).
CREATE TABLE recording_marks (
    recording_id TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    start_ms     INTEGER NOT NULL,
    end_ms       INTEGER NOT NULL
);
CREATE INDEX recording_marks_recording ON recording_marks (recording_id, start_ms);
