-- dojang schema v2: every request kind, the options of the kakaocert documents, number
-- matching, app-to-app, idempotency and relying-party aliases. Twin of ../sqlite/0002.

-- Sealed JSON of what only the request's own reads need: the documents (when not a single
-- TEXT token), call-centre name, alias, payload, flags, return URL, binding code.
ALTER TABLE requests ADD COLUMN details_enc BYTEA;
-- App-to-app transaction id (login verifies by it).
ALTER TABLE requests ADD COLUMN tx_id TEXT;
-- Idempotency-Key of the create call and the SHA-256 of its body.
ALTER TABLE requests ADD COLUMN idempotency_key TEXT;
ALTER TABLE requests ADD COLUMN body_hash BYTEA;

CREATE UNIQUE INDEX requests_tx_id ON requests (tx_id) WHERE tx_id IS NOT NULL;
CREATE INDEX requests_idempotency ON requests (client_code, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- The push-bombing guard counts a person's recent requests.
CREATE INDEX requests_member_time ON requests (member_id, requested_at);

-- Aliases (subClientID) an operator registered for a relying party.
CREATE TABLE rp_aliases (
    client_code   TEXT NOT NULL REFERENCES relying_parties (client_code),
    sub_client_id TEXT NOT NULL,
    name          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (client_code, sub_client_id)
);
