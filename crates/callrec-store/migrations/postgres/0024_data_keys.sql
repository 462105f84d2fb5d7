-- Audio at rest is sealed per company (issue 13): each company's data keys,
-- numbered 1, 2, … (the highest seals new audio; older ones still open the
-- files sealed with them until `callrec keys rotate --data` re-seals those),
-- each stored sealed by the master key that protects MFA secrets
-- (`Keyring::seal`, bound to the company and the key's number).
CREATE TABLE data_keys (
    company_id BIGINT NOT NULL REFERENCES companies (id),
    key_id     BIGINT NOT NULL CHECK (key_id > 0),
    wrapped    TEXT    NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (company_id, key_id)
);
