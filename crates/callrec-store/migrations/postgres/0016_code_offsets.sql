-- How many 30-second steps ahead (+1) or behind (−1) of the server each
-- of a user's last three accepted codes was, oldest first ("1,1,1"): three
-- alike and not zero mean the phone's clock drifts.
ALTER TABLE mfa_registrations ADD COLUMN recent_offsets TEXT NOT NULL DEFAULT '';
