-- dojang schema v5: two more proofs of identity before a certificate is issued — bank-account
-- ownership (a 1-won deposit whose memo is a word) and registration-desk codes (a reference
-- number and an authorisation code). Twin of ../sqlite/0005.

-- One row per account check. The word is kept only as a keyed HMAC (word_hash), like the SMS
-- code; the account number is sealed, and found (for the per-account limit) by a keyed HMAC of
-- the bank code and its digits.
CREATE TABLE bank_checks (
    id             TEXT PRIMARY KEY NOT NULL,
    phone_lookup   BYTEA NOT NULL,
    account_lookup BYTEA NOT NULL,
    name_enc       BYTEA NOT NULL,
    phone_enc      BYTEA NOT NULL,
    birthday_enc   BYTEA NOT NULL,
    bank_code      TEXT NOT NULL,
    account_enc    BYTEA NOT NULL,
    word_hash      BYTEA NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    expires_at     BIGINT NOT NULL,
    completed_at   BIGINT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX bank_checks_phone ON bank_checks (phone_lookup, created_at);
CREATE INDEX bank_checks_account ON bank_checks (account_lookup, created_at);

-- One row per code a registration desk issued. The reference number is not secret (it names
-- the code); the authorisation code is kept only as a keyed HMAC bound to the reference number.
-- used_at and serial record the certificate it ended in; cancelled_at an operator's cancel.
CREATE TABLE ra_codes (
    ref_num      TEXT PRIMARY KEY NOT NULL,
    phone_lookup BYTEA NOT NULL,
    name_enc     BYTEA NOT NULL,
    phone_enc    BYTEA NOT NULL,
    birthday_enc BYTEA NOT NULL,
    code_hash    BYTEA NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    issued_at    BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT,
    serial       TEXT,
    cancelled_at BIGINT
);
CREATE INDEX ra_codes_issued ON ra_codes (issued_at);
CREATE INDEX ra_codes_phone ON ra_codes (phone_lookup, issued_at);
