-- Optional SIP digest credentials per recording source (issue 27): the
-- username, and the password sealed with the master keyring (bound to the
-- source's id), since a digest check needs the password itself. Both or
-- neither.
ALTER TABLE capture_sources ADD COLUMN sip_username TEXT;
ALTER TABLE capture_sources ADD COLUMN sip_secret TEXT;
