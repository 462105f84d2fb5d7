-- The SIP peers that may send a company its calls over SIPREC (issue 27):
-- an address or a CIDR range, written in its network form. A hosted SBC
-- serving many companies is one source of each (its calls are told apart
-- by the companies' numbers).
CREATE TABLE capture_sources (
    id         INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    name       TEXT    NOT NULL,
    address    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (company_id, address)
);
