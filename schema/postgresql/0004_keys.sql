-- 0004_keys.sql (PostgreSQL): ../sqlite/0004_keys.sql in PostgreSQL's types
-- (its comments say what the table is for): voucher-signing keys by name,
-- and the key each device's pledges trust (issue 18). 'default' is
-- masa.json's key (ref and cert '', alg 0); every device enrolled before
-- this migration, or without another key named, records it.
CREATE TABLE signing_keys (
    name            TEXT PRIMARY KEY,
    ref             TEXT NOT NULL,
    cert            TEXT NOT NULL,
    alg             BIGINT NOT NULL CHECK (alg IN (0, 1, 2, 3)),
    created_ms      BIGINT NOT NULL,
    retired_ms      BIGINT
);
INSERT INTO signing_keys (name, ref, cert, alg, created_ms)
VALUES ('default', '', '', 0, floor(extract(epoch FROM now()))::bigint * 1000);

ALTER TABLE devices ADD COLUMN signing_key TEXT NOT NULL DEFAULT 'default';
CREATE INDEX devices_by_signing_key ON devices (signing_key);
