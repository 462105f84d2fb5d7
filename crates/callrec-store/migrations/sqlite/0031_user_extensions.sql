-- A user's extension on the company's phone system (issue 27): captured
-- calls name it, and the recording goes to its user. One user an
-- extension within a company.
ALTER TABLE users ADD COLUMN extension TEXT;
CREATE UNIQUE INDEX users_company_extension ON users (company_id, extension)
    WHERE extension IS NOT NULL;
