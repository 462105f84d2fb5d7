-- Each company's part of the directory has a version of its own, counted
-- up in the same transaction as any change to its name, its teams or its
-- users. A node whose copy is older than a page (directory_version, 0006)
-- reads the companies with their versions and then the teams and users of
-- the companies that changed only, so one new user does not make every
-- node read 100,000 (issue 15, item 4).
ALTER TABLE companies ADD COLUMN directory_version INTEGER NOT NULL DEFAULT 1;

CREATE TRIGGER companies_directory_own AFTER UPDATE OF id, name, name_key ON companies
BEGIN UPDATE companies SET directory_version = directory_version + 1 WHERE id = new.id; END;

CREATE TRIGGER teams_directory_company_insert AFTER INSERT ON teams
BEGIN UPDATE companies SET directory_version = directory_version + 1 WHERE id = new.company_id; END;

CREATE TRIGGER teams_directory_company_delete AFTER DELETE ON teams
BEGIN UPDATE companies SET directory_version = directory_version + 1 WHERE id = old.company_id; END;

CREATE TRIGGER teams_directory_company_update AFTER UPDATE OF id, company_id, name, name_key ON teams
BEGIN
    UPDATE companies SET directory_version = directory_version + 1
    WHERE id IN (old.company_id, new.company_id);
END;

CREATE TRIGGER users_directory_company_insert AFTER INSERT ON users
BEGIN UPDATE companies SET directory_version = directory_version + 1 WHERE id = new.company_id; END;

CREATE TRIGGER users_directory_company_delete AFTER DELETE ON users
BEGIN UPDATE companies SET directory_version = directory_version + 1 WHERE id = old.company_id; END;

CREATE TRIGGER users_directory_company_update
AFTER UPDATE OF id, company_id, team_id, username, username_key ON users
BEGIN
    UPDATE companies SET directory_version = directory_version + 1
    WHERE id IN (old.company_id, new.company_id);
END;
