-- dojang schema v3: webhooks (a callback URL per relying party, every delivery and every
-- attempt), and the mark that a request's expiry was announced. Twin of ../postgres/0003.

-- One callback URL per relying party; the signing secret is sealed like other secrets.
CREATE TABLE webhooks (
    client_code TEXT PRIMARY KEY REFERENCES relying_parties (client_code),
    url         TEXT NOT NULL,
    secret_enc  BLOB NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- One row per event to deliver. state: 0 pending, 1 delivered, 2 given up. The body holds no
-- personal data (receipt, kind, event, state, time).
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_code     TEXT NOT NULL,
    receipt_id      TEXT NOT NULL,
    event           TEXT NOT NULL,
    body            TEXT NOT NULL,
    state           INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    finished_at     BIGINT,
    last_status     INTEGER,
    last_error      TEXT,
    UNIQUE (receipt_id, event)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 0;
CREATE INDEX webhook_deliveries_party ON webhook_deliveries (client_code, id);

-- Every POST made, with its outcome (HTTP status, or the error that prevented one).
CREATE TABLE webhook_attempts (
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id),
    attempt     INTEGER NOT NULL,
    at          BIGINT NOT NULL,
    url         TEXT NOT NULL,
    status      INTEGER,
    error       TEXT,
    duration_ms BIGINT NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

-- Expiry stays derived from the clock (state 0 past expire_at reads as 2); this only records
-- that the expiry was announced (cards withdrawn, webhook queued), so it happens once.
ALTER TABLE requests ADD COLUMN expiry_announced_at BIGINT;
-- Requests that expired before this migration are not announced: no burst of old events.
UPDATE requests SET expiry_announced_at = expire_at
    WHERE state = 0 AND expire_at <= CAST(strftime('%s', 'now') AS INTEGER) * 1000;
CREATE INDEX requests_expiry_due ON requests (expire_at)
    WHERE state = 0 AND expiry_announced_at IS NULL;
