-- Each company's part of the directory has a version of its own, counted
-- up in the same transaction as any change to its name, its teams or its
-- users. A node whose copy is older than a page (directory_version, 0006)
-- reads the companies with their versions and then the teams and users of
-- the companies that changed only, so one new user does not make every
-- node read 100,000 (issue 15, item 4).
ALTER TABLE companies ADD COLUMN directory_version BIGINT NOT NULL DEFAULT 1;

CREATE FUNCTION company_directory_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.directory_version := OLD.directory_version + 1;
    RETURN NEW;
END;
$$;
CREATE TRIGGER companies_directory_own BEFORE UPDATE OF id, name, name_key ON companies
FOR EACH ROW EXECUTE FUNCTION company_directory_renamed();

-- A team or user row: its company's part changed (both companies when it
-- moved).
CREATE FUNCTION company_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE companies SET directory_version = directory_version + 1 WHERE id = OLD.company_id;
    END IF;
    IF TG_OP = 'INSERT' THEN
        UPDATE companies SET directory_version = directory_version + 1 WHERE id = NEW.company_id;
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.company_id <> OLD.company_id THEN
            UPDATE companies SET directory_version = directory_version + 1 WHERE id = NEW.company_id;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER teams_directory_company
AFTER INSERT OR DELETE OR UPDATE OF id, company_id, name, name_key ON teams
FOR EACH ROW EXECUTE FUNCTION company_directory_changed();
CREATE TRIGGER users_directory_company
AFTER INSERT OR DELETE OR UPDATE OF id, company_id, team_id, username, username_key ON users
FOR EACH ROW EXECUTE FUNCTION company_directory_changed();

-- Emptied by hand: every company's part is read again.
CREATE FUNCTION company_directory_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE companies SET directory_version = directory_version + 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER teams_directory_company_truncate AFTER TRUNCATE ON teams
FOR EACH STATEMENT EXECUTE FUNCTION company_directory_emptied();
CREATE TRIGGER users_directory_company_truncate AFTER TRUNCATE ON users
FOR EACH STATEMENT EXECUTE FUNCTION company_directory_emptied();
