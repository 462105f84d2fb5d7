-- Where the chains began: the entries written before them (up to this id,
-- this many). Any other entry outside a chain was put there by hand (or by
-- a node still on an older version during an upgrade), and a different
-- count up to the id means old entries were added or removed.
CREATE TABLE audit_chain_start AS
    SELECT COALESCE(MAX(id), 0) AS last_unchained_id, COUNT(*) AS unchained
    FROM audit_log WHERE chain IS NULL;
