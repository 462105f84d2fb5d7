-- Single sign-on with a company's OpenID provider (issue 29).
--
-- One provider per company; its client secret sealed with the master
-- keyring (bound to the company's id). `mfa` is idp|portal|both;
-- `team_id` is where people created at their first sign-in are placed;
-- `required` refuses passwords but to users marked `local_sign_in`;
-- `trust_email` takes emails without `email_verified` (Entra ID's).
CREATE TABLE company_sso (
    company_id    BIGINT PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    issuer        TEXT    NOT NULL,
    client_id     TEXT    NOT NULL,
    client_secret TEXT    NOT NULL,
    mfa           TEXT    NOT NULL,
    create_users  BIGINT  NOT NULL DEFAULT 0,
    required      BIGINT  NOT NULL DEFAULT 0,
    trust_email   BIGINT  NOT NULL DEFAULT 0,
    team_id       BIGINT  REFERENCES teams (id) ON DELETE SET NULL,
    updated_at    BIGINT  NOT NULL
);

-- The email domains whose people sign in through it: one company each.
CREATE TABLE company_sso_domains (
    domain     TEXT    PRIMARY KEY,
    company_id BIGINT  NOT NULL REFERENCES companies (id) ON DELETE CASCADE
);
CREATE INDEX company_sso_domains_by_company ON company_sso_domains (company_id);

-- Sign-ins under way at the provider: the state's hash, the browser's
-- binding hash, the nonce and the PKCE verifier, used once; with
-- `link_user_id`, a signed-in user linking their account (My account).
CREATE TABLE sso_logins (
    state_hash   TEXT    PRIMARY KEY,
    browser_hash TEXT    NOT NULL,
    company_id   BIGINT  NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    nonce        TEXT    NOT NULL,
    verifier     TEXT    NOT NULL,
    link_user_id BIGINT  REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT  NOT NULL
);

-- The provider's subject a user signed in as (bound at the first
-- sign-in), and who may still use a password where SSO is required.
ALTER TABLE users ADD COLUMN sso_subject TEXT;
ALTER TABLE users ADD COLUMN local_sign_in BIGINT  NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX users_by_sso_subject ON users (company_id, sso_subject);

-- How a session began (password|sso), and whether the portal's own MFA is
-- asked although the company's policy would not ask it (--mfa both).
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'password';
ALTER TABLE sessions ADD COLUMN mfa_demanded BIGINT  NOT NULL DEFAULT 0;
