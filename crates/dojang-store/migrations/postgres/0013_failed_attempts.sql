-- dojang schema v13: failed attempts at the doors anyone may knock on without logging in (issue
-- 14 #1, #2): the hosted login's "no such person" answers and the enrolment's wrong SMS codes.
-- One row per failure: a scope (what failed, and what it is counted by) and a subject (a keyed
-- hash of the phone number or client address, never the number or address itself; empty for
-- the scope's overall count). The back-offs read how many rows a subject has in a window; rows
-- older than the longest window are purged. In the database so that every instance counts the
-- same failures. Twin of ../sqlite/0013.
CREATE TABLE failed_attempts (
    scope   TEXT NOT NULL,
    subject BYTEA NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX failed_attempts_subject ON failed_attempts (scope, subject, at);
CREATE INDEX failed_attempts_at ON failed_attempts (scope, at);
