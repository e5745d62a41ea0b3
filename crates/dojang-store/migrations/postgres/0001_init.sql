-- dojang schema v1 (PostgreSQL). Never edit once released: add a new numbered file instead,
-- with its twin in ../sqlite. Times are Unix milliseconds (UTC). Columns ending in _enc hold
-- AES-256-GCM ciphertext (personal data at rest); columns named lookup hold keyed HMACs used to
-- find rows without decrypting.

CREATE TABLE relying_parties (
    client_code     TEXT PRIMARY KEY NOT NULL,
    link_id         TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    secret_enc      BYTEA NOT NULL,
    call_center_num TEXT,
    created_at      BIGINT NOT NULL
);

CREATE TABLE members (
    id           TEXT PRIMARY KEY NOT NULL,
    lookup       BYTEA NOT NULL UNIQUE,
    name_enc     BYTEA NOT NULL,
    phone_enc    BYTEA NOT NULL,
    birthday_enc BYTEA NOT NULL,
    ci           TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL
);

CREATE TABLE devices (
    id         TEXT PRIMARY KEY NOT NULL,
    member_id  TEXT NOT NULL REFERENCES members (id),
    token_hash BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX devices_member ON devices (member_id);

CREATE TABLE certificates (
    serial      TEXT PRIMARY KEY NOT NULL,
    member_id   TEXT NOT NULL REFERENCES members (id),
    device_id   TEXT NOT NULL REFERENCES devices (id),
    der_enc     BYTEA NOT NULL,
    not_before  BIGINT NOT NULL,
    not_after   BIGINT NOT NULL,
    revoked_at  BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX certificates_member ON certificates (member_id);

CREATE TABLE enrolments (
    id           TEXT PRIMARY KEY NOT NULL,
    phone_lookup BYTEA NOT NULL,
    name_enc     BYTEA NOT NULL,
    phone_enc    BYTEA NOT NULL,
    birthday_enc BYTEA NOT NULL,
    code_hash    BYTEA NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    expires_at   BIGINT NOT NULL,
    completed_at BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX enrolments_phone ON enrolments (phone_lookup, created_at);

CREATE TABLE requests (
    receipt_id            TEXT PRIMARY KEY NOT NULL,
    kind                  INTEGER NOT NULL,
    client_code           TEXT NOT NULL REFERENCES relying_parties (client_code),
    member_id             TEXT NOT NULL REFERENCES members (id),
    receiver_name_enc     BYTEA NOT NULL,
    receiver_phone_enc    BYTEA NOT NULL,
    receiver_birthday_enc BYTEA NOT NULL,
    token_enc             BYTEA NOT NULL,
    title                 TEXT NOT NULL,
    extra_message_enc     BYTEA,
    call_center_num       TEXT,
    expire_in             INTEGER NOT NULL,
    requested_at          BIGINT NOT NULL,
    expire_at             BIGINT NOT NULL,
    viewed_at             BIGINT,
    completed_at          BIGINT,
    verified_at           BIGINT,
    state                 INTEGER NOT NULL,
    signed_data_enc       BYTEA,
    signer_serial         TEXT,
    reason                TEXT
);
CREATE INDEX requests_member_state ON requests (member_id, state, expire_at);

CREATE TABLE outbox (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel          TEXT NOT NULL,
    recipient_lookup BYTEA NOT NULL,
    recipient_enc    BYTEA NOT NULL,
    body_enc         BYTEA NOT NULL,
    created_at       BIGINT NOT NULL
);
CREATE INDEX outbox_recipient ON outbox (recipient_lookup, id);
