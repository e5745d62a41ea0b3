-- dojang schema v12: recent signed create calls, so a captured call cannot be sent again while
-- its date is still inside the accepted window (issue 14 #9). One row per call: a keyed hash of
-- the relying party and the exact text its HMAC covers (never the signature, the body or any
-- personal data), kept until the call's date leaves the window (then purged). In the database
-- so that every instance refuses a repeat seen by any other. Twin of ../postgres/0012.
CREATE TABLE request_signatures (
    signature_hash BLOB PRIMARY KEY NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX request_signatures_expiry ON request_signatures (expires_at);
