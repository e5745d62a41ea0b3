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
    (id, lookup, name_enc, phone_enc, birthday_enc, ci, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";

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
pub const SUPERSEDE_CERTIFICATES: &str =
    "UPDATE certificates SET revoked_at = $1 WHERE member_id = $2 AND revoked_at IS NULL";
pub const SUPERSEDE_DEVICES: &str =
    "UPDATE devices SET revoked_at = $1 WHERE member_id = $2 AND revoked_at IS NULL";
pub const INSERT_DEVICE: &str = "INSERT INTO devices (id, member_id, token_hash, created_at, revoked_at) \
    VALUES ($1, $2, $3, $4, NULL)";
pub const INSERT_CERTIFICATE: &str = "INSERT INTO certificates \
    (serial, member_id, device_id, der_enc, not_before, not_after, revoked_at, created_at) \
    VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)";

pub const DEVICE: &str =
    "SELECT id, member_id, token_hash, created_at, revoked_at FROM devices WHERE id = $1";
pub const CERTIFICATE: &str = "SELECT serial, member_id, device_id, der_enc, not_before, not_after, revoked_at \
    FROM certificates WHERE serial = $1";

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
    viewed_at = COALESCE(viewed_at, $2), signed_data_enc = $3, signer_serial = $4 \
    WHERE receipt_id = $5 AND state = $6 AND expire_at > $2";
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

pub const PING: &str = "SELECT 1";
