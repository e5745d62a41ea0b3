//! Every SQL statement of the store, shared by both backends so they cannot drift: the
//! PostgreSQL backend runs them through sqlx, the SQLite backend through its own executor.
//! They use only what both databases accept: `$n` placeholders (each first used in order),
//! `RETURNING`, `ON CONFLICT`, integer times.

use crate::rows::request_columns;

pub const INSERT_RELYING_PARTY: &str = "INSERT INTO relying_parties \
    (client_code, link_id, name, secret_enc, call_center_num, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
pub const RELYING_PARTY_BY_LINK_ID: &str = "SELECT client_code, link_id, name, secret_enc, call_center_num, created_at \
    FROM relying_parties WHERE link_id = $1";
pub const RELYING_PARTY_BY_CODE: &str = "SELECT client_code, link_id, name, secret_enc, call_center_num, created_at \
    FROM relying_parties WHERE client_code = $1";
pub const RELYING_PARTIES: &str = "SELECT client_code, link_id, name, secret_enc, call_center_num, created_at \
    FROM relying_parties ORDER BY client_code";

pub const MEMBER_BY_ID: &str =
    "SELECT id, name_enc, phone_enc, birthday_enc, ci, created_at FROM members WHERE id = $1";
pub const MEMBER_BY_LOOKUP: &str =
    "SELECT id, name_enc, phone_enc, birthday_enc, ci, created_at FROM members WHERE lookup = $1";
pub const INSERT_MEMBER: &str = "INSERT INTO members \
    (id, lookup, name_enc, phone_enc, birthday_enc, ci, created_at, phone_lookup) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
pub const MEMBERS_BY_PHONE: &str = "SELECT id, name_enc, phone_enc, birthday_enc, ci, created_at \
    FROM members WHERE phone_lookup = $1 ORDER BY created_at";
/// Members written before schema v4, whose phone lookup is still to be computed.
pub const MEMBERS_WITHOUT_PHONE_LOOKUP: &str = "SELECT id, name_enc, phone_enc, birthday_enc, ci, created_at FROM members \
    WHERE phone_lookup IS NULL LIMIT 500";
pub const SET_PHONE_LOOKUP: &str = "UPDATE members SET phone_lookup = $1 WHERE id = $2";
/// A renewed certificate replaces the old one: superseded.
pub const SUPERSEDE_CERTIFICATE: &str = "UPDATE certificates SET revoked_at = $1, \
    revocation_reason = 4 WHERE serial = $2 AND revoked_at IS NULL";
/// A login replaces the member's earlier devices that hold no active certificate (the latest
/// login is where requests go before a certificate exists); devices with one stay.
pub const SUPERSEDE_UNCERTIFIED_DEVICES: &str = "UPDATE devices SET revoked_at = $1 \
    WHERE member_id = $2 AND revoked_at IS NULL AND kind = 'app' AND id NOT IN \
    (SELECT device_id FROM certificates WHERE member_id = $2 AND revoked_at IS NULL)";
/// Whether a member holds an active certificate (validity aside).
pub const HAS_ACTIVE_CERTIFICATE: &str = "SELECT COUNT(*) AS n FROM certificates \
    WHERE member_id = $1 AND revoked_at IS NULL AND not_after > $2";
pub const RENAME_MEMBER: &str = "UPDATE members SET name_enc = $1 WHERE id = $2";
/// A renamed member's certificates name the old name: revoked, affiliationChanged.
pub const REVOKE_MEMBER_CERTIFICATES: &str = "UPDATE certificates SET revoked_at = $1, \
    revocation_reason = $2 WHERE member_id = $3 AND revoked_at IS NULL";

pub const INSERT_ENROLMENT: &str = "INSERT INTO enrolments (id, phone_lookup, name_enc, phone_enc, birthday_enc, \
    code_hash, attempts, expires_at, completed_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
pub const ENROLMENTS_SINCE: &str =
    "SELECT COUNT(*) FROM enrolments WHERE phone_lookup = $1 AND created_at >= $2";
pub const ENROLMENT: &str = "SELECT id, name_enc, phone_enc, birthday_enc, code_hash, attempts, expires_at, \
    completed_at FROM enrolments WHERE id = $1";
pub const COUNT_CODE_ATTEMPT: &str = "UPDATE enrolments SET attempts = attempts + 1 \
    WHERE id = $1 AND completed_at IS NULL AND attempts < $2 \
    RETURNING id, name_enc, phone_enc, birthday_enc, code_hash, attempts, expires_at, completed_at";
pub const CLOSE_ENROLMENT: &str =
    "UPDATE enrolments SET completed_at = $1 WHERE id = $2 AND completed_at IS NULL";
pub const CLOSE_BANK_CHECK: &str =
    "UPDATE bank_checks SET completed_at = $1 WHERE id = $2 AND completed_at IS NULL";
/// A registration-desk code ends in a certificate once, and only while it is still valid.
pub const CLOSE_RA_CODE: &str = "UPDATE ra_codes SET used_at = $1, serial = $2 \
    WHERE ref_num = $3 AND used_at IS NULL AND cancelled_at IS NULL AND expires_at > $1";
/// An enrolment supersedes the member's certificates held by devices of its own kind (`app` or
/// `cloud`, schema v16): a person may hold an app certificate and a cloud one.
pub const SUPERSEDE_CERTIFICATES: &str = "UPDATE certificates SET revoked_at = $1, \
    revocation_reason = 4 WHERE member_id = $2 AND revoked_at IS NULL AND device_id IN \
    (SELECT id FROM devices WHERE member_id = $2 AND kind = $3)";
pub const SUPERSEDE_DEVICES: &str = "UPDATE devices SET revoked_at = $1 \
    WHERE member_id = $2 AND revoked_at IS NULL AND kind = $3";
pub const INSERT_DEVICE: &str = "INSERT INTO devices (id, member_id, token_hash, created_at, revoked_at, kind) \
    VALUES ($1, $2, $3, $4, NULL, $5)";
pub const INSERT_CERTIFICATE: &str = "INSERT INTO certificates \
    (serial, member_id, device_id, der_enc, not_before, not_after, revoked_at, created_at, proof) \
    VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8)";

pub const INSERT_DEVICE_PIN: &str = "INSERT INTO device_pins \
    (device_id, verifier, unlock_secret_enc, failures, locked_at, updated_at) \
    VALUES ($1, $2, $3, 0, NULL, $4)";
pub const DEVICE_PIN: &str =
    "SELECT verifier, unlock_secret_enc, failures, locked_at FROM device_pins WHERE device_id = $1";
pub const PIN_SUCCEEDED: &str = "UPDATE device_pins SET failures = 0, updated_at = $1 \
    WHERE device_id = $2 AND locked_at IS NULL";
/// Count one wrong proof; the returned count says whether this one reached the limit.
pub const PIN_FAILED: &str = "UPDATE device_pins SET failures = failures + 1, updated_at = $1 \
    WHERE device_id = $2 AND locked_at IS NULL RETURNING failures";
pub const LOCK_PIN: &str =
    "UPDATE device_pins SET locked_at = $1, updated_at = $1 WHERE device_id = $2";
pub const REVOKE_DEVICE: &str =
    "UPDATE devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL";
/// Certificates held by a locked device: the key may be in someone else's hands.
pub const REVOKE_DEVICE_CERTIFICATES: &str = "UPDATE certificates SET revoked_at = $1, \
    revocation_reason = 1 WHERE device_id = $2 AND revoked_at IS NULL";
/// Certificates held by a device its holder gave up, with the reason given.
pub const REVOKE_DEVICE_CERTIFICATES_FOR: &str = "UPDATE certificates SET revoked_at = $1, \
    revocation_reason = $3 WHERE device_id = $2 AND revoked_at IS NULL";
pub const REPLACE_PIN: &str = "UPDATE device_pins SET verifier = $1, unlock_secret_enc = $2, \
    failures = 0, updated_at = $3 WHERE device_id = $4 AND locked_at IS NULL";
pub const INSERT_BANK_CHECK: &str = "INSERT INTO bank_checks (id, phone_lookup, account_lookup, \
    name_enc, phone_enc, birthday_enc, bank_code, account_enc, word_hash, attempts, expires_at, \
    completed_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
pub const BANK_CHECKS_FOR_PHONE_SINCE: &str =
    "SELECT COUNT(*) FROM bank_checks WHERE phone_lookup = $1 AND created_at >= $2";
pub const BANK_CHECKS_FOR_ACCOUNT_SINCE: &str =
    "SELECT COUNT(*) FROM bank_checks WHERE account_lookup = $1 AND created_at >= $2";
macro_rules! bank_check_columns {
    () => {
        "id, name_enc, phone_enc, birthday_enc, bank_code, account_enc, word_hash, attempts, \
         expires_at, completed_at"
    };
}
pub const BANK_CHECK: &str = concat!(
    "SELECT ",
    bank_check_columns!(),
    " FROM bank_checks WHERE id = $1"
);
pub const COUNT_BANK_ATTEMPT: &str = concat!(
    "UPDATE bank_checks SET attempts = attempts + 1 \
     WHERE id = $1 AND completed_at IS NULL AND attempts < $2 RETURNING ",
    bank_check_columns!()
);

pub const INSERT_RA_CODE: &str = "INSERT INTO ra_codes (ref_num, phone_lookup, name_enc, phone_enc, \
    birthday_enc, code_hash, attempts, issued_at, expires_at, used_at, serial, cancelled_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
macro_rules! ra_code_columns {
    () => {
        "ref_num, name_enc, phone_enc, birthday_enc, code_hash, attempts, issued_at, expires_at, \
         used_at, serial, cancelled_at"
    };
}
pub const RA_CODE: &str = concat!(
    "SELECT ",
    ra_code_columns!(),
    " FROM ra_codes WHERE ref_num = $1"
);
/// Count one try of a code that is neither used nor cancelled nor burnt (expiry is judged by
/// the caller, which reads the clock).
pub const COUNT_RA_ATTEMPT: &str = concat!(
    "UPDATE ra_codes SET attempts = attempts + 1 \
     WHERE ref_num = $1 AND used_at IS NULL AND cancelled_at IS NULL AND attempts < $2 RETURNING ",
    ra_code_columns!()
);
pub const RA_CODES: &str = concat!(
    "SELECT ",
    ra_code_columns!(),
    " FROM ra_codes ORDER BY issued_at DESC, ref_num LIMIT $1"
);
pub const RA_CODES_FOR_PHONE: &str = concat!(
    "SELECT ",
    ra_code_columns!(),
    " FROM ra_codes WHERE phone_lookup = $1 ORDER BY issued_at DESC, ref_num LIMIT $2"
);
pub const CANCEL_RA_CODE: &str = concat!(
    "UPDATE ra_codes SET cancelled_at = $1 \
     WHERE ref_num = $2 AND used_at IS NULL AND cancelled_at IS NULL RETURNING ",
    ra_code_columns!()
);

pub const DEVICE: &str =
    "SELECT id, member_id, token_hash, created_at, revoked_at, kind FROM devices WHERE id = $1";
pub const CERTIFICATE: &str = "SELECT serial, member_id, device_id, der_enc, not_before, not_after, \
    revoked_at, revocation_reason, proof FROM certificates WHERE serial = $1";
pub const CERTIFICATES_OF_MEMBER: &str = "SELECT serial, member_id, device_id, der_enc, not_before, \
    not_after, revoked_at, revocation_reason, proof FROM certificates WHERE member_id = $1 \
    ORDER BY created_at DESC, serial";
pub const RECENT_CERTIFICATES: &str = "SELECT serial, member_id, device_id, der_enc, not_before, \
    not_after, revoked_at, revocation_reason, proof FROM certificates ORDER BY created_at DESC, serial \
    LIMIT $1";
pub const REVOKE_CERTIFICATE: &str = "UPDATE certificates SET revoked_at = $1, revocation_reason = $2 \
    WHERE serial = $3 AND revoked_at IS NULL RETURNING serial, member_id, device_id, der_enc, \
    not_before, not_after, revoked_at, revocation_reason, proof";
pub const REVOKED_CERTIFICATES: &str = "SELECT serial, revoked_at, revocation_reason FROM certificates \
    WHERE revoked_at IS NOT NULL ORDER BY revoked_at, serial";
/// Changes whenever a certificate is revoked: the CRL's cache key.
pub const REVOCATION_MARKER: &str = "SELECT COUNT(*) AS n, MAX(revoked_at) AS latest FROM certificates WHERE revoked_at IS NOT NULL";

pub const INSERT_REQUEST: &str = "INSERT INTO requests (receipt_id, kind, client_code, member_id, \
    receiver_name_enc, receiver_phone_enc, receiver_birthday_enc, token_enc, title, extra_message_enc, \
    call_center_num, expire_in, requested_at, expire_at, viewed_at, completed_at, verified_at, state, \
    signed_data_enc, signer_serial, reason, details_enc, tx_id, idempotency_key, body_hash) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
    $22, $23, $24, $25)";
/// The latest request a relying party made with an idempotency key, within the window.
pub const IDEMPOTENT_REQUEST: &str = "SELECT receipt_id, body_hash FROM requests \
    WHERE client_code = $1 AND idempotency_key = $2 AND requested_at >= $3 \
    ORDER BY requested_at DESC LIMIT 1";
/// A request of this relying party still waiting for this person.
pub const WAITING_FOR_PARTY: &str = "SELECT receipt_id FROM requests \
    WHERE member_id = $1 AND client_code = $2 AND state = $3 AND expire_at > $4 LIMIT 1";
/// How many requests a person received since a time, and the oldest of them.
pub const RECENT_FOR_MEMBER: &str = "SELECT COUNT(*) AS n, MIN(requested_at) AS oldest \
    FROM requests WHERE member_id = $1 AND requested_at > $2";
/// PostgreSQL: serialize the create calls for one person until the transaction ends.
pub const LOCK_MEMBER: &str = "SELECT pg_advisory_xact_lock(hashtext($1))";
pub const REQUEST_BY_TX: &str = concat!(
    "SELECT ",
    request_columns!("r."),
    " FROM requests r WHERE r.tx_id = $1"
);

pub const INSERT_ALIAS: &str = "INSERT INTO rp_aliases (client_code, sub_client_id, name, created_at) \
    VALUES ($1, $2, $3, $4)";
pub const ALIAS_NAME: &str =
    "SELECT name FROM rp_aliases WHERE client_code = $1 AND sub_client_id = $2";
pub const ALIASES: &str = "SELECT client_code, sub_client_id, name, created_at FROM rp_aliases \
    WHERE client_code = $1 ORDER BY sub_client_id";
pub const DELETE_ALIAS: &str =
    "DELETE FROM rp_aliases WHERE client_code = $1 AND sub_client_id = $2";

pub const REQUEST: &str = concat!(
    "SELECT ",
    request_columns!("r."),
    " FROM requests r WHERE r.receipt_id = $1"
);
pub const WAITING_REQUESTS: &str = concat!(
    "SELECT ",
    request_columns!("r."),
    ", p.name AS requester FROM requests r \
     JOIN relying_parties p ON p.client_code = r.client_code \
     WHERE r.member_id = $1 AND r.state = $2 AND r.expire_at > $3 \
     ORDER BY r.requested_at, r.receipt_id LIMIT 100"
);
pub const MARK_VIEWED: &str = "UPDATE requests SET viewed_at = $1 \
    WHERE receipt_id = $2 AND viewed_at IS NULL AND state = $3 AND expire_at > $1";
pub const MARK_SIGNED: &str = "UPDATE requests SET state = $1, completed_at = $2, \
    viewed_at = COALESCE(viewed_at, $2), signed_data_enc = $3, signer_serial = $4, \
    signer_ocsp = $7 WHERE receipt_id = $5 AND state = $6 AND expire_at > $2";
pub const FINISH: &str = "UPDATE requests SET state = $1, completed_at = $2, reason = $3 \
    WHERE receipt_id = $4 AND state = $5 AND expire_at > $2";
pub const MARK_VERIFIED: &str = concat!(
    "UPDATE requests SET verified_at = $1 \
     WHERE receipt_id = $2 AND client_code = $3 AND state = $4 \
     AND verified_at IS NULL AND completed_at >= $5 AND kind = $6 RETURNING ",
    request_columns!("")
);

pub const INSERT_OUTBOX: &str = "INSERT INTO outbox (channel, recipient_lookup, recipient_enc, body_enc, created_at) \
    VALUES ($1, $2, $3, $4, $5)";
pub const OUTBOX_FOR: &str = "SELECT channel, recipient_enc, body_enc, created_at FROM outbox \
    WHERE recipient_lookup = $1 ORDER BY id DESC LIMIT $2";
pub const OUTBOX_ALL: &str =
    "SELECT channel, recipient_enc, body_enc, created_at FROM outbox ORDER BY id DESC LIMIT $1";

/// Set or replace a relying party's webhook (the secret too).
pub const UPSERT_WEBHOOK: &str = "INSERT INTO webhooks (client_code, url, secret_enc, created_at, updated_at) \
    VALUES ($1, $2, $3, $4, $4) ON CONFLICT (client_code) DO UPDATE \
    SET url = excluded.url, secret_enc = excluded.secret_enc, updated_at = excluded.updated_at";
pub const WEBHOOK: &str = "SELECT client_code, url, secret_enc, created_at, updated_at FROM webhooks WHERE client_code = $1";
pub const DELETE_WEBHOOK: &str = "DELETE FROM webhooks WHERE client_code = $1";
/// Deliveries still pending when the webhook is removed are given up.
pub const ABANDON_DELIVERIES: &str = "UPDATE webhook_deliveries SET state = $1, finished_at = $2, \
    last_error = $3 WHERE client_code = $4 AND state = $5";
/// Queue an event once: a second call for the same receipt and event does nothing.
pub const INSERT_DELIVERY: &str = "INSERT INTO webhook_deliveries (client_code, receipt_id, event, body, \
    state, attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6) \
    ON CONFLICT (receipt_id, event) DO NOTHING RETURNING id";
macro_rules! delivery_columns {
    () => {
        "id, client_code, receipt_id, event, body, state, attempts, next_attempt_at, created_at, \
         finished_at, last_status, last_error"
    };
}
/// Take up to `$4` due deliveries, leasing them until `$1` so no other worker (or instance)
/// sends them meanwhile. The outer conditions are re-checked on rows another worker just
/// changed, so a delivery is leased once.
pub const CLAIM_DELIVERIES: &str = concat!(
    "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id IN (SELECT id FROM webhook_deliveries \
     WHERE state = $2 AND next_attempt_at <= $3 ORDER BY next_attempt_at LIMIT $4) \
     AND state = $2 AND next_attempt_at <= $3 RETURNING ",
    delivery_columns!()
);
pub const INSERT_ATTEMPT: &str = "INSERT INTO webhook_attempts (delivery_id, attempt, at, url, status, error, \
    duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)";
/// After an attempt: the new state, when to try next, and what happened.
pub const UPDATE_DELIVERY: &str = "UPDATE webhook_deliveries SET state = $1, attempts = $2, \
    next_attempt_at = $3, finished_at = $4, last_status = $5, last_error = $6 WHERE id = $7";
pub const DELIVERIES: &str = concat!(
    "SELECT ",
    delivery_columns!(),
    " FROM webhook_deliveries WHERE client_code = $1 ORDER BY id DESC LIMIT $2"
);
pub const ATTEMPTS: &str = "SELECT delivery_id, attempt, at, url, status, error, duration_ms \
    FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt";
/// Mark up to `$3` waiting requests whose time ran out as announced, returning them.
pub const ANNOUNCE_EXPIRED: &str = concat!(
    "UPDATE requests SET expiry_announced_at = $1 WHERE receipt_id IN (SELECT receipt_id FROM requests \
     WHERE state = $2 AND expiry_announced_at IS NULL AND expire_at <= $1 ORDER BY expire_at LIMIT $3) \
     AND state = $2 AND expiry_announced_at IS NULL RETURNING ",
    request_columns!("")
);

// ----- the admin console ----------------------------------------------------------------------

/// The `admin_settings` name of the admin password.
pub const SETTING_ADMIN_PASSWORD: &str = "admin_password";
pub const ADMIN_SETTING: &str = "SELECT value FROM admin_settings WHERE name = $1";
/// Set a setting, replacing it.
pub const UPSERT_ADMIN_SETTING: &str = "INSERT INTO admin_settings (name, value, updated_at) \
    VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET value = excluded.value, \
    updated_at = excluded.updated_at";
/// Set a setting unless it exists (first start of several instances at once: one wins).
pub const INIT_ADMIN_SETTING: &str = "INSERT INTO admin_settings (name, value, updated_at) \
    VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING";
pub const INSERT_ADMIN_SESSION: &str = "INSERT INTO admin_sessions \
    (token_hash, created_at, last_seen_at, expires_at, operator_id, pending_totp) \
    VALUES ($1, $2, $3, $4, $5, $6)";
/// A session still within both expiries, whose operator is enabled, is used now: one
/// conditional update (so a disabled operator's session ends on every instance at once).
pub const TOUCH_ADMIN_SESSION: &str = "UPDATE admin_sessions SET last_seen_at = $1 \
    WHERE token_hash = $2 AND expires_at > $1 AND last_seen_at > $3 \
    AND operator_id IN (SELECT id FROM operators WHERE disabled_at IS NULL) \
    RETURNING token_hash, created_at, last_seen_at, expires_at, operator_id, pending_totp";
pub const COMPLETE_ADMIN_SESSION: &str =
    "UPDATE admin_sessions SET pending_totp = 0 WHERE token_hash = $1";
pub const DELETE_OPERATOR_SESSIONS: &str = "DELETE FROM admin_sessions WHERE operator_id = $1";

// ----- operators and the audit log ------------------------------------------------------------

pub const INSERT_OPERATOR: &str = "INSERT INTO operators \
    (login, display_name, role, password_hash, created_at, updated_at) \
    VALUES ($1, $2, $3, $4, $5, $5) RETURNING id";
/// The columns every operator read returns.
macro_rules! operator_select {
    ($rest:literal) => {
        concat!(
            "SELECT id, login, display_name, role, password_hash, totp_enc, totp_confirmed_at, \
             totp_last_step, disabled_at, created_at, updated_at FROM operators ",
            $rest
        )
    };
}
pub const OPERATOR_BY_ID: &str = operator_select!("WHERE id = $1");
pub const OPERATOR_BY_LOGIN: &str = operator_select!("WHERE login = $1");
pub const OPERATORS: &str = operator_select!("ORDER BY login");
pub const SET_OPERATOR_ROLE: &str = "UPDATE operators SET role = $1, updated_at = $2 WHERE id = $3";
pub const SET_OPERATOR_PASSWORD: &str =
    "UPDATE operators SET password_hash = $1, updated_at = $2 WHERE id = $3";
pub const DISABLE_OPERATOR: &str =
    "UPDATE operators SET disabled_at = $1, updated_at = $1 WHERE id = $2";
pub const ENABLE_OPERATOR: &str =
    "UPDATE operators SET disabled_at = NULL, updated_at = $1 WHERE id = $2";
pub const SET_OPERATOR_TOTP: &str = "UPDATE operators SET totp_enc = $1, \
    totp_confirmed_at = NULL, totp_last_step = 0, updated_at = $2 WHERE id = $3";
/// A TOTP step is accepted once: only a step after the last accepted one, of an enabled
/// operator with a secret, moves the mark (and confirms the secret if it was not yet).
pub const USE_OPERATOR_TOTP_STEP: &str = "UPDATE operators SET totp_last_step = $1, \
    totp_confirmed_at = COALESCE(totp_confirmed_at, $2) \
    WHERE id = $3 AND totp_last_step < $1 AND totp_enc IS NOT NULL AND disabled_at IS NULL";
pub const INSERT_AUDIT: &str = "INSERT INTO audit_log (at, operator_id, operator_login, role, \
    source, action, target, before_json, after_json, outcome) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
/// Newest first, each filter optional (a NULL parameter matches everything).
pub const AUDIT_LOG: &str = "SELECT id, at, operator_id, operator_login, role, source, action, \
    target, before_json, after_json, outcome FROM audit_log \
    WHERE (CAST($1 AS TEXT) IS NULL OR operator_login = $1) \
    AND (CAST($2 AS TEXT) IS NULL OR substr(action, 1, length($2)) = $2) \
    AND (CAST($3 AS BIGINT) IS NULL OR at >= $3) \
    AND (CAST($4 AS BIGINT) IS NULL OR at < $4) \
    ORDER BY id DESC LIMIT $5 OFFSET $6";
pub const DELETE_ADMIN_SESSION: &str = "DELETE FROM admin_sessions WHERE token_hash = $1";
pub const DELETE_ADMIN_SESSIONS: &str = "DELETE FROM admin_sessions";
/// Sessions past either expiry.
pub const PURGE_ADMIN_SESSIONS: &str =
    "DELETE FROM admin_sessions WHERE expires_at <= $1 OR last_seen_at <= $2";
pub const INSERT_ADMIN_LOGIN_FAILURE: &str =
    "INSERT INTO admin_login_failures (source, at) VALUES ($1, $2)";
pub const ADMIN_LOGIN_FAILURES_SINCE: &str =
    "SELECT COUNT(*) AS n FROM admin_login_failures WHERE source = $1 AND at > $2";
/// Failures older than any window are of no use.
pub const PURGE_ADMIN_LOGIN_FAILURES: &str = "DELETE FROM admin_login_failures WHERE at <= $1";

/// Remember a signed create call: one statement, which inserts a row only if the call is new
/// (1 row affected) and does nothing for a repeat (0).
pub const REMEMBER_REQUEST_SIGNATURE: &str = "INSERT INTO request_signatures \
    (signature_hash, expires_at) VALUES ($1, $2) ON CONFLICT (signature_hash) DO NOTHING";
/// Calls whose date has left the window cannot be sent again anyway.
pub const PURGE_REQUEST_SIGNATURES: &str = "DELETE FROM request_signatures WHERE expires_at < $1";

/// One failed attempt (issue 14 #1, #2).
pub const RECORD_FAILURE: &str =
    "INSERT INTO failed_attempts (scope, subject, at) VALUES ($1, $2, $3)";
/// A subject's failures since `$3`: how many, the first and the last (0 when none).
pub const FAILURES_OF: &str = "SELECT COUNT(*), COALESCE(MIN(at), 0), COALESCE(MAX(at), 0) \
    FROM failed_attempts WHERE scope = $1 AND subject = $2 AND at >= $3";
/// A scope's failures since `$2`, whatever their subject.
pub const FAILURES_IN_SCOPE: &str = "SELECT COUNT(*), COALESCE(MIN(at), 0), COALESCE(MAX(at), 0) \
    FROM failed_attempts WHERE scope = $1 AND at >= $2";
/// Failures older than every window.
pub const PURGE_FAILURES: &str = "DELETE FROM failed_attempts WHERE at < $1";

// Push subscriptions (schema v17).
/// One per device and kind: a new registration replaces the old row (new id, counters reset).
pub const PUT_PUSH_SUBSCRIPTION: &str = "INSERT INTO push_subscriptions \
    (id, device_id, kind, target_enc, created_at, failures) VALUES ($1, $2, $3, $4, $5, 0) \
    ON CONFLICT (device_id, kind) DO UPDATE SET id = excluded.id, target_enc = excluded.target_enc, \
    created_at = excluded.created_at, retry_after = NULL, failures = 0, last_failure_at = NULL";
pub const DELETE_DEVICE_PUSH_SUBSCRIPTIONS: &str =
    "DELETE FROM push_subscriptions WHERE device_id = $1";
pub const DELETE_PUSH_SUBSCRIPTION: &str = "DELETE FROM push_subscriptions WHERE id = $1";
/// The subscriptions of a member's live devices.
pub const MEMBER_PUSH_SUBSCRIPTIONS: &str = "SELECT s.id, s.device_id, s.kind, s.target_enc, \
    s.created_at, s.retry_after, s.failures FROM push_subscriptions s \
    JOIN devices d ON d.id = s.device_id \
    WHERE d.member_id = $1 AND d.revoked_at IS NULL ORDER BY s.created_at, s.id";
pub const DEVICE_PUSH_SUBSCRIPTIONS: &str = "SELECT id, device_id, kind, target_enc, created_at, \
    retry_after, failures FROM push_subscriptions WHERE device_id = $1 ORDER BY created_at, id";
pub const PUSH_BACK_OFF: &str = "UPDATE push_subscriptions SET retry_after = $2 WHERE id = $1";
pub const PUSH_FAILED: &str = "UPDATE push_subscriptions SET failures = failures + 1, \
    last_failure_at = $2 WHERE id = $1";
pub const PUSH_DELIVERED: &str = "UPDATE push_subscriptions SET failures = 0, retry_after = NULL, \
    last_failure_at = NULL WHERE id = $1";

// Biometric unlock (schema v18).
/// One credential per device: a new registration replaces the row (counter reset).
pub const PUT_DEVICE_BIOMETRIC: &str = "INSERT INTO device_biometrics \
    (device_id, credential_id, public_key, sign_count, created_at) VALUES ($1, $2, $3, 0, $4) \
    ON CONFLICT (device_id) DO UPDATE SET credential_id = excluded.credential_id, \
    public_key = excluded.public_key, sign_count = 0, created_at = excluded.created_at";
/// A live device's credential (a revoked or superseded device's row is never read).
pub const DEVICE_BIOMETRIC: &str = "SELECT b.credential_id, b.public_key, b.sign_count, \
    b.created_at FROM device_biometrics b JOIN devices d ON d.id = b.device_id \
    WHERE b.device_id = $1 AND d.revoked_at IS NULL";
pub const DELETE_DEVICE_BIOMETRIC: &str = "DELETE FROM device_biometrics WHERE device_id = $1";
pub const SET_BIOMETRIC_SIGN_COUNT: &str =
    "UPDATE device_biometrics SET sign_count = $1 WHERE device_id = $2";
pub const INSERT_BIOMETRIC_CHALLENGE: &str = "INSERT INTO biometric_challenges \
    (challenge, device_id, expires_at, used_at) VALUES ($1, $2, $3, NULL)";
/// Challenges expired more than an hour before `$1`.
pub const PURGE_BIOMETRIC_CHALLENGES: &str =
    "DELETE FROM biometric_challenges WHERE expires_at < $1";
pub const BIOMETRIC_CHALLENGE: &str =
    "SELECT device_id, expires_at, used_at FROM biometric_challenges WHERE challenge = $1";
/// Mark a challenge used; exactly one caller wins.
pub const USE_BIOMETRIC_CHALLENGE: &str = "UPDATE biometric_challenges SET used_at = $1 \
    WHERE challenge = $2 AND used_at IS NULL";

pub const ROTATE_RP_SECRET: &str =
    "UPDATE relying_parties SET secret_enc = $1 WHERE client_code = $2";
pub const SET_RP_CALL_CENTER: &str =
    "UPDATE relying_parties SET call_center_num = $1 WHERE client_code = $2";
pub const DEVICES_OF_MEMBER: &str = "SELECT id, member_id, token_hash, created_at, revoked_at, kind \
    FROM devices WHERE member_id = $1 ORDER BY created_at DESC, id";
/// Certificates by state: `$1` 0 any, 1 active, 2 revoked, 3 expired (at `$2`).
pub const CERTIFICATES_IN_STATE: &str = "SELECT serial, member_id, device_id, der_enc, not_before, \
    not_after, revoked_at, revocation_reason, proof FROM certificates WHERE $1 = 0 \
    OR ($1 = 1 AND revoked_at IS NULL AND not_after > $2) \
    OR ($1 = 2 AND revoked_at IS NOT NULL) \
    OR ($1 = 3 AND revoked_at IS NULL AND not_after <= $2) \
    ORDER BY created_at DESC, serial LIMIT $3";
pub const COUNT_MEMBERS: &str = "SELECT COUNT(*) AS n FROM members";
pub const COUNT_ACTIVE_CERTIFICATES: &str =
    "SELECT COUNT(*) AS n FROM certificates WHERE revoked_at IS NULL AND not_after > $1";
/// Requests per day (Korean time: UTC+9) and state (expiry derived at `$2`) since `$1`.
pub const REQUESTS_PER_DAY: &str = "SELECT (requested_at + 32400000) / 86400000 AS day, \
    CASE WHEN state = 0 AND expire_at <= $2 THEN 2 ELSE state END AS st, COUNT(*) AS n \
    FROM requests WHERE requested_at >= $1 GROUP BY 1, 2 ORDER BY 1, 2";
/// The newest requests, optionally of one relying party (`$1`, empty for all) and in one state
/// (`$2`, -1 for all; expiry derived at `$3`).
pub const RECENT_REQUESTS: &str = concat!(
    "SELECT ",
    request_columns!("r."),
    " FROM requests r WHERE ($1 = '' OR r.client_code = $1) AND ($2 = -1 \
     OR ($2 = 0 AND r.state = 0 AND r.expire_at > $3) \
     OR ($2 = 2 AND r.state = 0 AND r.expire_at <= $3) \
     OR ($2 NOT IN (0, 2) AND r.state = $2)) \
     ORDER BY r.requested_at DESC, r.receipt_id LIMIT $4"
);
pub const DELIVERIES_OF_RECEIPT: &str = concat!(
    "SELECT ",
    delivery_columns!(),
    " FROM webhook_deliveries WHERE receipt_id = $1 ORDER BY id"
);

pub const PING: &str = "SELECT 1";

/// Webhook deliveries still waiting (state 0).
pub const WEBHOOK_QUEUE_DEPTH: &str = "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 0";

/// The versions sqlx recorded as applied.
pub const APPLIED_MIGRATIONS: &str = "SELECT version FROM _sqlx_migrations WHERE success";

// The hosted login page.

pub const UPSERT_LOGIN_RETURN_URL: &str = "INSERT INTO login_page_settings \
     (client_code, return_url, updated_at) VALUES ($1, $2, $3) \
     ON CONFLICT (client_code) DO UPDATE SET return_url = excluded.return_url, \
     updated_at = excluded.updated_at";
pub const DELETE_LOGIN_RETURN_URL: &str = "DELETE FROM login_page_settings WHERE client_code = $1";
pub const LOGIN_RETURN_URL: &str =
    "SELECT return_url AS name FROM login_page_settings WHERE client_code = $1";
pub const UPSERT_LOGIN_TEXTS: &str = "INSERT INTO login_page_texts \
     (client_code, lang, recipient, purpose, items, retention, help, support, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
     ON CONFLICT (client_code, lang) DO UPDATE SET recipient = excluded.recipient, \
     purpose = excluded.purpose, items = excluded.items, retention = excluded.retention, \
     help = excluded.help, support = excluded.support, updated_at = excluded.updated_at";
pub const DELETE_LOGIN_TEXTS: &str =
    "DELETE FROM login_page_texts WHERE client_code = $1 AND ($2 = '' OR lang = $2)";
pub const LOGIN_TEXTS: &str = "SELECT client_code, lang, recipient, purpose, items, retention, \
     help, support, updated_at FROM login_page_texts WHERE client_code = $1 ORDER BY lang";
pub const INSERT_CONSENT: &str = "INSERT INTO consents (id, client_code, receipt_id, \
     phone_lookup, name_enc, phone_enc, birthday_enc, notice_version, notice_sha256, lang, \
     accepted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
pub const INSERT_LOGIN_SESSION: &str = "INSERT INTO login_sessions (id, client_code, \
     state_param, receipt_id, consent_id, created_at, expire_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
macro_rules! login_session_columns {
    () => {
        "id, client_code, state_param, receipt_id, consent_id, created_at, expire_at, \
         code_expire_at, exchanged_at"
    };
}
pub const LOGIN_SESSION: &str = concat!(
    "SELECT ",
    login_session_columns!(),
    " FROM login_sessions WHERE id = $1"
);
pub const ISSUE_LOGIN_CODE: &str = "UPDATE login_sessions SET code_hash = $1, \
     code_expire_at = $2 WHERE id = $3 AND code_hash IS NULL";
pub const EXCHANGE_LOGIN_CODE: &str = concat!(
    "UPDATE login_sessions SET exchanged_at = $1 WHERE code_hash = $2 AND client_code = $3 \
     AND exchanged_at IS NULL AND code_expire_at > $1 RETURNING ",
    login_session_columns!()
);
pub const CONSENT: &str = "SELECT id, client_code, receipt_id, name_enc, phone_enc, \
     birthday_enc, notice_version, notice_sha256, lang, accepted_at FROM consents WHERE id = $1";
pub const CONSENTS: &str = "SELECT id, client_code, receipt_id, name_enc, phone_enc, \
     birthday_enc, notice_version, notice_sha256, lang, accepted_at FROM consents \
     WHERE ($1 IS NULL OR client_code = $1) AND ($2 IS NULL OR phone_lookup = $2) \
     ORDER BY accepted_at DESC, id DESC LIMIT $3";

/// A sandbox person's registration-desk code (schema v15).
pub const INSERT_SANDBOX_PERSON: &str =
    "INSERT INTO sandbox_people (ref_num, owner, created_at) VALUES ($1, $2, $3)";
/// The member a sandbox code is redeemed for; answers one row only for a sandbox code.
pub const CLAIM_SANDBOX_MEMBER: &str =
    "UPDATE sandbox_people SET member_id = $1 WHERE ref_num = $2";
/// The owner of a sandbox member.
pub const SANDBOX_OWNER: &str = "SELECT owner FROM sandbox_people WHERE member_id = $1 LIMIT 1";
/// A real enrolment of a sandbox member makes them real.
pub const RELEASE_SANDBOX_MEMBER: &str = "DELETE FROM sandbox_people WHERE member_id = $1";
/// Mark a relying party as a test party.
pub const ADD_SANDBOX_PARTY: &str =
    "INSERT INTO sandbox_parties (client_code) VALUES ($1) ON CONFLICT DO NOTHING";
/// Unmark it.
pub const REMOVE_SANDBOX_PARTY: &str = "DELETE FROM sandbox_parties WHERE client_code = $1";
/// Whether it is marked.
pub const SANDBOX_PARTY: &str = "SELECT COUNT(*) AS n FROM sandbox_parties WHERE client_code = $1";

// ----- the cloud certificate (schema v16) ----------------------------------------------------

/// The member's newest cloud device that is not revoked.
pub const ACTIVE_CLOUD_DEVICE: &str = "SELECT id, member_id, token_hash, created_at, revoked_at, kind \
    FROM devices WHERE member_id = $1 AND kind = 'cloud' AND revoked_at IS NULL \
    ORDER BY created_at DESC, id LIMIT 1";
pub const INSERT_CLOUD_DEVICE: &str = "INSERT INTO cloud_devices \
    (device_id, key_label, pin_hash, pin_failures, locked_at, created_at, updated_at) \
    VALUES ($1, $2, $3, 0, NULL, $4, $4)";
pub const CLOUD_DEVICE: &str = "SELECT device_id, key_label, pin_hash, pin_failures, locked_at \
    FROM cloud_devices WHERE device_id = $1";
/// Count one wrong PIN; the `$2`-th in a row locks (not revokes) the certificate.
pub const CLOUD_PIN_FAILED: &str = "UPDATE cloud_devices SET updated_at = $1, \
    locked_at = CASE WHEN pin_failures + 1 >= $2 THEN $1 ELSE NULL END, \
    pin_failures = pin_failures + 1 \
    WHERE device_id = $3 AND locked_at IS NULL RETURNING pin_failures, locked_at";
pub const CLOUD_PIN_SUCCEEDED: &str = "UPDATE cloud_devices SET pin_failures = 0, updated_at = $1 \
    WHERE device_id = $2 AND locked_at IS NULL";
/// A PIN change, only while unlocked.
pub const CHANGE_CLOUD_PIN: &str = "UPDATE cloud_devices SET pin_hash = $1, pin_failures = 0, \
    updated_at = $2 WHERE device_id = $3 AND locked_at IS NULL";
/// A PIN reset after a fresh proof: also unlocks.
pub const RESET_CLOUD_PIN: &str = "UPDATE cloud_devices SET pin_hash = $1, pin_failures = 0, \
    locked_at = NULL, updated_at = $2 WHERE device_id = $3";
/// A renewal's new key.
pub const SET_CLOUD_KEY_LABEL: &str =
    "UPDATE cloud_devices SET key_label = $1, updated_at = $2 WHERE device_id = $3";
/// Taken first by every browser registration: on PostgreSQL the row lock serialises them, so
/// the count of browsers that follows holds until commit.
pub const LOCK_CLOUD_DEVICE: &str = "UPDATE cloud_devices SET updated_at = $1 WHERE device_id = $2";
pub const INSERT_CLOUD_BROWSER: &str = "INSERT INTO cloud_browsers \
    (id, device_id, spki, label, created_at, last_used_at, removed_at) VALUES ($1, $2, $3, $4, $5, NULL, NULL)";
pub const CLOUD_BROWSER_COUNT: &str =
    "SELECT COUNT(*) AS n FROM cloud_browsers WHERE device_id = $1 AND removed_at IS NULL";
pub const CLOUD_BROWSER: &str = "SELECT id, device_id, spki, label, created_at, last_used_at, removed_at \
    FROM cloud_browsers WHERE id = $1";
pub const CLOUD_BROWSERS: &str = "SELECT id, device_id, spki, label, created_at, last_used_at, removed_at \
    FROM cloud_browsers WHERE device_id = $1 AND removed_at IS NULL ORDER BY created_at, id";
pub const REMOVE_CLOUD_BROWSER: &str = "UPDATE cloud_browsers SET removed_at = $1 \
    WHERE id = $2 AND device_id = $3 AND removed_at IS NULL";
pub const TOUCH_CLOUD_BROWSER: &str = "UPDATE cloud_browsers SET last_used_at = $1 WHERE id = $2";
pub const INSERT_CLOUD_CHALLENGE: &str = "INSERT INTO cloud_challenges \
    (challenge, browser_id, expires_at, used_at) VALUES ($1, $2, $3, NULL)";
/// Challenges that expired more than an hour ago are of no use to anyone.
pub const PURGE_CLOUD_CHALLENGES: &str = "DELETE FROM cloud_challenges WHERE expires_at < $1";
/// A challenge is used once, by its own browser, before it expires.
pub const USE_CLOUD_CHALLENGE: &str = "UPDATE cloud_challenges SET used_at = $1 \
    WHERE challenge = $2 AND browser_id = $3 AND used_at IS NULL AND expires_at > $1";
pub const INSERT_CLOUD_USE: &str = "INSERT INTO cloud_uses (device_id, browser_id, at, action, \
    client_code, receipt_id, digest, address_enc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
pub const CLOUD_USES: &str = "SELECT device_id, browser_id, at, action, client_code, receipt_id, \
    digest, address_enc FROM cloud_uses WHERE device_id = $1 ORDER BY at DESC, id DESC LIMIT $2";
pub const INSERT_CLOUD_CODE: &str = "INSERT INTO cloud_codes (code_hash, client_code, kind, \
    receipt_id, device_id, serial, created_at, expires_at, used_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)";
/// A one-time code, exchanged once, by its own relying party, before it expires.
pub const EXCHANGE_CLOUD_CODE: &str = "UPDATE cloud_codes SET used_at = $1 \
    WHERE code_hash = $2 AND client_code = $3 AND used_at IS NULL AND expires_at > $1 \
    RETURNING code_hash, client_code, kind, receipt_id, device_id, serial, created_at, expires_at";
pub const INSERT_CLOUD_ALT: &str = "INSERT INTO cloud_alt (tx_id, client_code, permission_hash, \
    name_enc, phone_enc, birthday_enc, created_at, expires_at, used_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)";
pub const CLOUD_ALT: &str = "SELECT tx_id, client_code, permission_hash, name_enc, phone_enc, \
    birthday_enc, created_at, expires_at, used_at FROM cloud_alt WHERE tx_id = $1";
/// An alternative-authentication transaction ends in a certificate once, while valid.
pub const CLOSE_CLOUD_ALT: &str =
    "UPDATE cloud_alt SET used_at = $1 WHERE tx_id = $2 AND used_at IS NULL AND expires_at > $1";
pub const INSERT_CLOUD_PROOF: &str =
    "INSERT INTO cloud_proofs (enrolment_id, purpose) VALUES ($1, $2)";
pub const CLOUD_PROOF: &str = "SELECT purpose AS value FROM cloud_proofs WHERE enrolment_id = $1";
/// A party's publishable key stays when its origins or stylesheets change.
pub const SET_CLOUD_PARTY: &str = "INSERT INTO cloud_parties \
    (client_code, publishable_key, origins, stylesheets, updated_at) VALUES ($1, $2, $3, $4, $5) \
    ON CONFLICT (client_code) DO UPDATE SET origins = $3, stylesheets = $4, updated_at = $5";
pub const CLOUD_PARTY: &str = "SELECT client_code, publishable_key, origins, stylesheets, updated_at \
    FROM cloud_parties WHERE client_code = $1";
pub const CLOUD_PARTY_BY_KEY: &str = "SELECT client_code, publishable_key, origins, stylesheets, \
    updated_at FROM cloud_parties WHERE publishable_key = $1";
pub const REMOVE_CLOUD_PARTY: &str = "DELETE FROM cloud_parties WHERE client_code = $1";

pub const INSERT_CLOUD_ASK: &str = "INSERT INTO cloud_asks \
    (id, device_id, spki, label, number, created_at, expires_at, answered_at, state, person_lookup) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, 'pending', $8)";
/// Open asks for one person (by keyed hash), holder or not.
pub const OPEN_CLOUD_ASKS_FOR_PERSON: &str = "SELECT COUNT(*) AS n FROM cloud_asks \
    WHERE person_lookup = $1 AND answered_at IS NULL AND expires_at > $2";
pub const CLOUD_ASK: &str = "SELECT id, device_id, spki, label, number, created_at, expires_at, answered_at, state \
    FROM cloud_asks WHERE id = $1";
pub const OPEN_CLOUD_ASKS: &str = "SELECT id, device_id, spki, label, number, created_at, expires_at, answered_at, state \
    FROM cloud_asks WHERE device_id = $1 AND answered_at IS NULL AND expires_at > $2 ORDER BY created_at, id";
/// An ask is answered once, while it is open (approval: with the browser insert, at once).
pub const APPROVE_CLOUD_ASK: &str = "UPDATE cloud_asks SET answered_at = $1, state = 'approved' \
    WHERE id = $2 AND answered_at IS NULL AND expires_at > $1";
pub const DECLINE_CLOUD_ASK: &str = "UPDATE cloud_asks SET answered_at = $1, state = 'declined' \
    WHERE id = $2 AND answered_at IS NULL AND expires_at > $1";
