-- A tamper-evident audit log: every entry from now on sits in a hash chain
-- (one per company, one for the portal): its position, the hash of the
-- entry before it and its own hash over all its fields. audit_chains holds
-- each chain's head; a writer locks it, so a chain stays linear with
-- several nodes writing at once. Entries from before this migration stay
-- outside the chains (callrec audit verify counts them).
ALTER TABLE audit_log ADD COLUMN chain TEXT;
ALTER TABLE audit_log ADD COLUMN seq INTEGER;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_chain_position ON audit_log (chain, seq);

CREATE TABLE audit_chains (
    chain     TEXT PRIMARY KEY,
    length    INTEGER NOT NULL,
    head_hash TEXT    NOT NULL
);
