-- Times are stored in UTC and shown in the viewer's zone: the company's
-- (Company settings), which a user may override under My account. NULL:
-- the portal's default (CALLREC_DEFAULT_TIME_ZONE) or the company's.
ALTER TABLE companies ADD COLUMN time_zone TEXT;
ALTER TABLE users ADD COLUMN time_zone TEXT;
