-- dojang schema v18: biometric unlock of the phone app (issue 16, "PIN 또는 생체인증"). A device
-- may register one WebAuthn platform credential (ES256) with its PIN proof; the server then also
-- releases the device's unlock secret (device_pins) to an assertion of that credential with user
-- verification, over a single-use challenge it issued to the device. public_key: the uncompressed
-- SEC1 P-256 point (65 bytes). sign_count: the authenticator's counter from the last assertion
-- (0 when it keeps none). A new registration replaces the row; a lock deletes it; only a live
-- device's row is read. Challenges: 32 random bytes, bound to one device, used once, short-lived;
-- kept until an hour after expiry so a late or replayed one gets its own error.
-- Twin of ../sqlite/0018.
CREATE TABLE device_biometrics (
    device_id     TEXT PRIMARY KEY NOT NULL REFERENCES devices (id),
    credential_id BYTEA NOT NULL,
    public_key    BYTEA NOT NULL,
    sign_count    BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);
CREATE TABLE biometric_challenges (
    challenge  BYTEA PRIMARY KEY NOT NULL,
    device_id  TEXT NOT NULL REFERENCES devices (id),
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX biometric_challenges_expires ON biometric_challenges (expires_at);
