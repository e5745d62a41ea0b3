-- dojang schema v19: a new browser asks a browser already registered to the same cloud
-- certificate to register it, instead of an SMS proof (issue 15). The new browser shows a
-- 2-digit number; the registered browser's holder types that number and the PIN. An ask for a
-- person who holds no cloud certificate is stored too (device_id NULL) and just expires, so
-- asking tells nobody whether the person has one. The ask's id becomes the new browser's id
-- once approved. No personal data: the device, the new browser's public key and label, and a
-- keyed hash of the person's phone and birth date (person_lookup), which caps open asks per
-- person whether or not they hold a certificate (the same answer for both).
-- Twin of ../postgres/0019.
CREATE TABLE cloud_asks (
    id          TEXT PRIMARY KEY NOT NULL,
    device_id   TEXT REFERENCES devices (id),
    person_lookup BLOB NOT NULL,
    spki        BLOB NOT NULL,
    label       TEXT NOT NULL,
    number      BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    answered_at BIGINT,
    state       TEXT NOT NULL DEFAULT 'pending'
);
CREATE INDEX cloud_asks_device ON cloud_asks (device_id, expires_at);
CREATE INDEX cloud_asks_person ON cloud_asks (person_lookup, expires_at);
