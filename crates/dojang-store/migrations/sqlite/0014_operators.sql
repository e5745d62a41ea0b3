-- dojang schema v14: named operator accounts, their second factor, and the append-only audit
-- log (issue 14, "Operators"). Twin of ../postgres/0014.
--
-- operators: one row per person who uses the admin console. The password as an Argon2id PHC
-- string; the TOTP secret sealed like personal data (AES-256-GCM under the data key, column
-- name as associated data), confirmed once the operator typed a code from it; the last TOTP
-- step accepted, so a code is not accepted twice. Operators are disabled, never deleted, so
-- the audit log's operator ids stay meaningful.
CREATE TABLE operators (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    login             TEXT NOT NULL UNIQUE,
    display_name      TEXT NOT NULL,
    role              TEXT NOT NULL CHECK (role IN ('administrator', 'desk', 'support')),
    password_hash     TEXT NOT NULL,
    totp_enc          BLOB,
    totp_confirmed_at BIGINT,
    totp_last_step    BIGINT NOT NULL DEFAULT 0,
    disabled_at       BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

-- The one shared password of schema v9 becomes the administrator `admin` (with no second
-- factor yet: it is enrolled at the next login).
INSERT INTO operators (login, display_name, role, password_hash, created_at, updated_at)
    SELECT 'admin', 'admin', 'administrator', value, updated_at, updated_at
    FROM admin_settings WHERE name = 'admin_password';

-- A session belongs to an operator; until the second factor is done it is only half a session
-- (pending_totp = 1: it opens the TOTP page and nothing else). Sessions of the shared password
-- end here.
DELETE FROM admin_sessions;
ALTER TABLE admin_sessions ADD COLUMN operator_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE admin_sessions ADD COLUMN pending_totp BIGINT NOT NULL DEFAULT 0;
CREATE INDEX admin_sessions_operator ON admin_sessions (operator_id);

-- Every operator action, as it happened: who (id, and the login and role at that moment),
-- from where (the client address as proxy.rs determines it), what (a stable action name and
-- its target), before/after as JSON without secrets, and whether it was done or refused.
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             BIGINT NOT NULL,
    operator_id    BIGINT,
    operator_login TEXT NOT NULL,
    role           TEXT NOT NULL,
    source         TEXT NOT NULL,
    action         TEXT NOT NULL,
    target         TEXT NOT NULL,
    before_json    TEXT,
    after_json     TEXT,
    outcome        TEXT NOT NULL CHECK (outcome IN ('ok', 'refused'))
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_operator ON audit_log (operator_login, at);
CREATE INDEX audit_log_action ON audit_log (action, at);

-- Append-only: the database itself refuses to change or remove an entry.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
