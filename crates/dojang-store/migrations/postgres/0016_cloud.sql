-- dojang schema v16: the cloud certificate (issue 15). A cloud certificate is a device of kind
-- 'cloud' whose key lives in the PKCS#11 token (label in cloud_devices.key_label), unlocked by
-- a 6-digit PIN (Argon2id PHC in pin_hash; the 5th wrong PIN in a row sets locked_at) and
-- used only from registered browsers (cloud_browsers: the SPKI of each browser's WebCrypto
-- P-256 key) answering one-time challenges (cloud_challenges). An app enrolment supersedes only
-- the member's 'app' devices, a cloud issuance only their 'cloud' ones. Every use is evidence
-- (cloud_uses, append-only). One-time codes for the relying party's server (cloud_codes, kept as
-- SHA-256), alternative-authentication transactions (cloud_alt, the permission code as a keyed
-- hash, the person sealed), the purpose of each SMS proof started by the cloud API
-- (cloud_proofs), and each relying party's publishable key with its origins and stylesheets
-- (cloud_parties, JSON arrays; the key is public, stored in clear). Twin of ../sqlite/0016.
ALTER TABLE devices ADD COLUMN kind TEXT NOT NULL DEFAULT 'app';

CREATE TABLE cloud_devices (
    device_id    TEXT PRIMARY KEY NOT NULL REFERENCES devices (id),
    key_label    TEXT NOT NULL,
    pin_hash     TEXT NOT NULL,
    pin_failures INTEGER NOT NULL DEFAULT 0,
    locked_at    BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE cloud_browsers (
    id           TEXT PRIMARY KEY NOT NULL,
    device_id    TEXT NOT NULL REFERENCES devices (id),
    spki         BYTEA NOT NULL,
    label        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    removed_at   BIGINT
);
CREATE INDEX cloud_browsers_device ON cloud_browsers (device_id);

CREATE TABLE cloud_challenges (
    challenge  TEXT PRIMARY KEY NOT NULL,
    browser_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX cloud_challenges_expiry ON cloud_challenges (expires_at);

CREATE TABLE cloud_uses (
    id          BIGSERIAL PRIMARY KEY,
    device_id   TEXT NOT NULL,
    browser_id  TEXT NOT NULL,
    at          BIGINT NOT NULL,
    action      TEXT NOT NULL,
    client_code TEXT NOT NULL,
    receipt_id  TEXT NOT NULL,
    digest      BYTEA NOT NULL,
    address_enc BYTEA NOT NULL
);
CREATE INDEX cloud_uses_device ON cloud_uses (device_id, at);
CREATE FUNCTION cloud_uses_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'cloud_uses is append-only';
END;
$$;
CREATE TRIGGER cloud_uses_no_update BEFORE UPDATE OR DELETE ON cloud_uses
    FOR EACH ROW EXECUTE FUNCTION cloud_uses_append_only();
CREATE TRIGGER cloud_uses_no_truncate BEFORE TRUNCATE ON cloud_uses
    FOR EACH STATEMENT EXECUTE FUNCTION cloud_uses_append_only();

CREATE TABLE cloud_codes (
    code_hash   BYTEA PRIMARY KEY NOT NULL,
    client_code TEXT NOT NULL,
    kind        TEXT NOT NULL,
    receipt_id  TEXT,
    device_id   TEXT,
    serial      TEXT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);

CREATE TABLE cloud_alt (
    tx_id           TEXT PRIMARY KEY NOT NULL,
    client_code     TEXT NOT NULL,
    permission_hash BYTEA NOT NULL,
    name_enc        BYTEA NOT NULL,
    phone_enc       BYTEA NOT NULL,
    birthday_enc    BYTEA NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT
);

CREATE TABLE cloud_proofs (
    enrolment_id TEXT PRIMARY KEY NOT NULL REFERENCES enrolments (id),
    purpose      TEXT NOT NULL
);

CREATE TABLE cloud_parties (
    client_code     TEXT PRIMARY KEY NOT NULL REFERENCES relying_parties (client_code),
    publishable_key TEXT NOT NULL UNIQUE,
    origins         TEXT NOT NULL,
    stylesheets     TEXT NOT NULL,
    updated_at      BIGINT NOT NULL
);
