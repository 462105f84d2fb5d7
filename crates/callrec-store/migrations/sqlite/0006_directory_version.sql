-- The Recordings page names each row's company, team and user from a copy
-- of those names every portal keeps in memory (joining them for every page
-- cost more than the rest of the page: docs/BENCHMARKS.md). Each page
-- statement also reads this version; a portal whose copy is older reads
-- the names again. Every change to a name, a team or a user's company or
-- team counts the version up in the same transaction, so a copy is never
-- taken for current when it is not, on any node.
-- (SQLite triggers fire per row; writes are serialised anyway.)
CREATE TABLE directory_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO directory_version (id, version) VALUES (1, 1);

CREATE TRIGGER companies_directory_insert AFTER INSERT ON companies
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER companies_directory_delete AFTER DELETE ON companies
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER companies_directory_update AFTER UPDATE OF id, name, name_key ON companies
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER teams_directory_insert AFTER INSERT ON teams
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER teams_directory_delete AFTER DELETE ON teams
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER teams_directory_update AFTER UPDATE OF id, company_id, name, name_key ON teams
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER users_directory_insert AFTER INSERT ON users
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER users_directory_delete AFTER DELETE ON users
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER users_directory_update AFTER UPDATE OF id, company_id, team_id, username, username_key ON users
BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
