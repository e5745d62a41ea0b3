-- dojang schema v11: the hosted login's texts, set per relying party and language by the operator
-- without a rebuild: the third-party notice (recipient, purpose, items, retention — the
-- operator's legal text), the help text and the support numbers. A NULL column keeps the
-- built-in text; a language without a row falls back to the Korean row, then to the built-in
-- texts. (0010 and 0012 are other changes' numbers.) Twin of ../postgres/0011.
CREATE TABLE login_page_texts (
    client_code TEXT NOT NULL REFERENCES relying_parties (client_code),
    lang        TEXT NOT NULL,
    recipient   TEXT,
    purpose     TEXT,
    items       TEXT,
    retention   TEXT,
    help        TEXT,
    support     TEXT,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (client_code, lang)
);
