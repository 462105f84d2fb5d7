-- Companies, teams, users and roles; sessions; sign-in throttling; audit log.
-- Flags are INTEGER 0/1 and times are Unix seconds (UTC) on both backends.

CREATE TABLE companies (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    name_key    TEXT    NOT NULL UNIQUE,
    mfa_policy  TEXT    NOT NULL DEFAULT 'disabled'
                CHECK (mfa_policy IN ('disabled', 'available', 'enabled')),
    created_at  INTEGER NOT NULL
);

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    company_id  INTEGER NOT NULL REFERENCES companies (id),
    name        TEXT    NOT NULL,
    name_key    TEXT    NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at  INTEGER NOT NULL,
    UNIQUE (company_id, name_key),
    UNIQUE (company_id, id)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    company_id    INTEGER NOT NULL REFERENCES companies (id),
    team_id       INTEGER,
    username      TEXT    NOT NULL,
    username_key  TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    email         TEXT,
    level         TEXT    NOT NULL CHECK (level IN ('global', 'company', 'team', 'staff')),
    password_hash TEXT    NOT NULL,
    enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    mfa_opt_in    INTEGER NOT NULL DEFAULT 0 CHECK (mfa_opt_in IN (0, 1)),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    -- A user's team always belongs to the user's company.
    FOREIGN KEY (company_id, team_id) REFERENCES teams (company_id, id)
);
CREATE INDEX users_by_company ON users (company_id, username_key);
CREATE INDEX users_by_team ON users (team_id);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    TEXT    NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    client_addr  TEXT    NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE auth_throttle (
    scope        TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    failures     INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    action        TEXT    NOT NULL,
    actor_user_id INTEGER,
    actor_name    TEXT,
    company_id    INTEGER,
    target        TEXT,
    client_addr   TEXT,
    details       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_by_company ON audit_log (company_id, at DESC, id DESC);
CREATE INDEX audit_by_time ON audit_log (at DESC, id DESC);
