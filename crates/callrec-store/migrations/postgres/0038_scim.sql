-- SCIM 2.0 provisioning (issue 29): the identity provider's own id of a
-- user or team (`externalId`), and the users and teams it deleted:
-- disabled and gone from SCIM, kept with their audit history.
ALTER TABLE users ADD COLUMN scim_external_id TEXT;
ALTER TABLE users ADD COLUMN scim_deleted BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE teams ADD COLUMN scim_external_id TEXT;
ALTER TABLE teams ADD COLUMN scim_deleted BIGINT  NOT NULL DEFAULT 0;
