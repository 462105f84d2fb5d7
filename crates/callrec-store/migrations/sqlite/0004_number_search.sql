-- Number filters match any part of the digits. SQLite cannot serve
-- LIKE '%…%' from a B-tree, so an FTS5 trigram index over both numbers
-- answers it, kept in step with the recordings by triggers. (PostgreSQL uses
-- pg_trgm indexes instead; see its migration 0003.)

CREATE VIRTUAL TABLE recording_numbers USING fts5(
    calling_number, called_number,
    content = 'recordings', content_rowid = 'rowid', tokenize = 'trigram'
);
INSERT INTO recording_numbers (recording_numbers) VALUES ('rebuild');

CREATE TRIGGER recordings_numbers_insert AFTER INSERT ON recordings BEGIN
    INSERT INTO recording_numbers (rowid, calling_number, called_number)
    VALUES (new.rowid, new.calling_number, new.called_number);
END;

CREATE TRIGGER recordings_numbers_delete AFTER DELETE ON recordings BEGIN
    INSERT INTO recording_numbers (recording_numbers, rowid, calling_number, called_number)
    VALUES ('delete', old.rowid, old.calling_number, old.called_number);
END;

CREATE TRIGGER recordings_numbers_update AFTER UPDATE OF calling_number, called_number ON recordings BEGIN
    INSERT INTO recording_numbers (recording_numbers, rowid, calling_number, called_number)
    VALUES ('delete', old.rowid, old.calling_number, old.called_number);
    INSERT INTO recording_numbers (rowid, calling_number, called_number)
    VALUES (new.rowid, new.calling_number, new.called_number);
END;
