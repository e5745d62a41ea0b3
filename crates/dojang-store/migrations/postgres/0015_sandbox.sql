-- dojang schema v15: the test console's sandbox belongs to the browser that made it (issue 14
-- #8). One row per sandbox person, made when their registration-desk code is issued: the code's
-- reference number, the owner (a keyed hash of the console browser's cookie, never the cookie)
-- and, once the code is redeemed, the member it made. A member with a row here is a sandbox
-- member: their certificate comes from the sandbox CA, only relying parties in
-- sandbox_parties may send them requests or accept their signatures. A real enrolment of the
-- same person deletes the row. No foreign key to members: the row is written before the
-- enrolment's transaction, so the member is never a real one for a moment. Twin of
-- ../sqlite/0015.
CREATE TABLE sandbox_people (
    ref_num    TEXT PRIMARY KEY NOT NULL,
    owner      BYTEA NOT NULL,
    member_id  TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX sandbox_people_member ON sandbox_people (member_id);

-- Relying parties an operator marked as test parties (`dojang admin rp sandbox`): inside the
-- sandbox. Every other party is outside it.
CREATE TABLE sandbox_parties (
    client_code TEXT PRIMARY KEY NOT NULL REFERENCES relying_parties (client_code)
);
