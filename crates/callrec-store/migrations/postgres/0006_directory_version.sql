-- The Recordings page names each row's company, team and user from a copy
-- of those names every portal keeps in memory (joining them for every page
-- cost more than the rest of the page: docs/BENCHMARKS.md). Each page
-- statement also reads this version; a portal whose copy is older reads
-- the names again. Every change to a name, a team or a user's company or
-- team counts the version up in the same transaction, so a copy is never
-- taken for current when it is not, on any node.
CREATE TABLE directory_version (
    id      BIGINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO directory_version (id, version) VALUES (1, 1);

CREATE FUNCTION directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER companies_directory_changed
AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF id, name, name_key ON companies
FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();

CREATE TRIGGER teams_directory_changed
AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF id, company_id, name, name_key ON teams
FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();

CREATE TRIGGER users_directory_changed
AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF id, company_id, team_id, username, username_key ON users
FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
