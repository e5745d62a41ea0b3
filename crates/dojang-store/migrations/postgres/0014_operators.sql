-- dojang schema v14: named operator accounts, their second factor, and the append-only audit
-- log (issue 14, "Operators"). Twin of ../sqlite/0014; the comments there say why.
CREATE TABLE operators (
    id                BIGSERIAL PRIMARY KEY,
    login             TEXT NOT NULL UNIQUE,
    display_name      TEXT NOT NULL,
    role              TEXT NOT NULL CHECK (role IN ('administrator', 'desk', 'support')),
    password_hash     TEXT NOT NULL,
    totp_enc          BYTEA,
    totp_confirmed_at BIGINT,
    totp_last_step    BIGINT NOT NULL DEFAULT 0,
    disabled_at       BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

INSERT INTO operators (login, display_name, role, password_hash, created_at, updated_at)
    SELECT 'admin', 'admin', 'administrator', value, updated_at, updated_at
    FROM admin_settings WHERE name = 'admin_password';

DELETE FROM admin_sessions;
ALTER TABLE admin_sessions ADD COLUMN operator_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE admin_sessions ADD COLUMN pending_totp BIGINT NOT NULL DEFAULT 0;
CREATE INDEX admin_sessions_operator ON admin_sessions (operator_id);

CREATE TABLE audit_log (
    id             BIGSERIAL PRIMARY KEY,
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

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
