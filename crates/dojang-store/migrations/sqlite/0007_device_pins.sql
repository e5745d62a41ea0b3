-- dojang schema v7: the PIN check that guards each device's key. The app's key file is
-- encrypted under a key that needs both the PIN and unlock_secret, which the server releases only
-- to a device presenting the right PIN proof; five wrong proofs lock the device (and revoke its
-- certificate). verifier is a keyed HMAC of the proof, never the proof. Twin of ../postgres/0007.
CREATE TABLE device_pins (
    device_id         TEXT PRIMARY KEY REFERENCES devices (id),
    verifier          BLOB NOT NULL,
    unlock_secret_enc BLOB NOT NULL,
    failures          INTEGER NOT NULL DEFAULT 0,
    locked_at         BIGINT,
    updated_at        BIGINT NOT NULL
);
