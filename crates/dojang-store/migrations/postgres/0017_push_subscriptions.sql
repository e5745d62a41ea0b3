-- dojang schema v17: push subscriptions of devices (issue 16, real push). One row per device and
-- kind (webpush: a browser's PushSubscription; fcm: an Android registration token; apns: an iOS
-- device token); a new one of the same kind replaces the old (a new id, counters reset). The
-- target (endpoint and keys, or token) addresses one person's phone: sealed like personal data.
-- retry_after: after a 429 the service's Retry-After, in Unix ms; nothing is sent before it.
-- failures: deliveries that failed since the last success (counted, logged without the target).
-- Rows go with their device's revocation implicitly (only live devices' rows are read) and are
-- deleted when the service answers 404/410. Twin of ../sqlite/0017.
CREATE TABLE push_subscriptions (
    id              TEXT PRIMARY KEY NOT NULL,
    device_id       TEXT NOT NULL REFERENCES devices (id),
    kind            TEXT NOT NULL,
    target_enc      BYTEA NOT NULL,
    created_at      BIGINT NOT NULL,
    retry_after     BIGINT,
    failures        BIGINT NOT NULL DEFAULT 0,
    last_failure_at BIGINT,
    UNIQUE (device_id, kind)
);
