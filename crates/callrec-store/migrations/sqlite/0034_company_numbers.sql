-- A company's numbers (issue 27, Company settings → Numbers): ranges of
-- E.164 numbers it owns and of its extensions, each range one kind and
-- one length so text order is number order. The recording server routes
-- a shared SBC's calls by the E.164 ranges, which no two companies share
-- (checked under a lock as a range is added), and tells a call's direction.
CREATE TABLE company_numbers (
    id           INTEGER PRIMARY KEY,
    company_id   INTEGER NOT NULL REFERENCES companies (id),
    kind         TEXT    NOT NULL CHECK (kind IN ('e164', 'extension')),
    first_number TEXT    NOT NULL,
    last_number  TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    CHECK (length(first_number) = length(last_number) AND first_number <= last_number)
);
CREATE INDEX company_numbers_company ON company_numbers (company_id, kind, first_number);
