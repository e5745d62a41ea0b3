-- dojang schema v9: the admin console. Its password (an Argon2id PHC string, never the
-- password), its sessions (a keyed hash of the cookie's token, never the token; an idle and an
-- absolute expiry), and wrong passwords (by a keyed hash of the source address) for the rate
-- limit. In the database so that several instances share them. Twin of ../sqlite/0009.
CREATE TABLE admin_settings (
    name       TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE admin_sessions (
    token_hash   BYTEA PRIMARY KEY NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

CREATE TABLE admin_login_failures (
    id     BIGSERIAL PRIMARY KEY,
    source BYTEA NOT NULL,
    at     BIGINT NOT NULL
);
CREATE INDEX admin_login_failures_source ON admin_login_failures (source, at);

-- The request log of the console filters by relying party and sorts by time.
CREATE INDEX requests_party_time ON requests (client_code, requested_at);
CREATE INDEX requests_time ON requests (requested_at);
