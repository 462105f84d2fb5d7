-- Numbers that cannot hold the packed page's separators: digits and + * #
-- only, 1 to 32 characters (as `PhoneNumber::parse` accepts). On SQLite
-- this migration also gives recordings the stable integer key `seq` that
-- PostgreSQL has had since 0004.
ALTER TABLE recordings
    ADD CONSTRAINT recordings_calling_number_form CHECK (calling_number ~ '^[0-9+*#]{1,32}$'),
    ADD CONSTRAINT recordings_called_number_form CHECK (called_number ~ '^[0-9+*#]{1,32}$'),
    ADD CONSTRAINT recordings_extension_form CHECK (extension IS NULL OR extension ~ '^[0-9+*#]{1,32}$');
