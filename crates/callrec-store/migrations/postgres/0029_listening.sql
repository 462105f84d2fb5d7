-- Listening (issue 26).
--
-- Company settings → Country for phone numbers: national numbers typed
-- into the filters (07700 900123) are read in this country's plan. NULL
-- is the portal's default (CALLREC_DEFAULT_COUNTRY).
ALTER TABLE companies ADD COLUMN phone_country TEXT;
