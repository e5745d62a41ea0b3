-- dojang schema v8: the hosted login page. A relying party registers where the page may send a
-- browser back (login_page_settings); each acceptance of the third-party information notice is
-- a consent record (who — sealed, found by a keyed hash of the phone —, which relying party,
-- which notice version and the hash of its exact text, when); a login session ties the browser,
-- the request and the consent together until the relying party exchanges the one-time code
-- (stored hashed) for the verified result, once. Twin of ../postgres/0008.
CREATE TABLE login_page_settings (
    client_code TEXT PRIMARY KEY REFERENCES relying_parties (client_code),
    return_url  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE consents (
    id             TEXT PRIMARY KEY,
    client_code    TEXT NOT NULL REFERENCES relying_parties (client_code),
    receipt_id     TEXT NOT NULL,
    phone_lookup   BLOB NOT NULL,
    name_enc       BLOB NOT NULL,
    phone_enc      BLOB NOT NULL,
    birthday_enc   BLOB NOT NULL,
    notice_version TEXT NOT NULL,
    notice_sha256  BLOB NOT NULL,
    lang           TEXT NOT NULL,
    accepted_at    BIGINT NOT NULL
);
CREATE INDEX consents_by_party ON consents (client_code, accepted_at);
CREATE INDEX consents_by_phone ON consents (phone_lookup);

CREATE TABLE login_sessions (
    id             TEXT PRIMARY KEY,
    client_code    TEXT NOT NULL REFERENCES relying_parties (client_code),
    state_param    TEXT NOT NULL,
    receipt_id     TEXT NOT NULL,
    consent_id     TEXT NOT NULL REFERENCES consents (id),
    created_at     BIGINT NOT NULL,
    expire_at      BIGINT NOT NULL,
    code_hash      BLOB UNIQUE,
    code_expire_at BIGINT,
    exchanged_at   BIGINT
);
