-- 0004_keys.sql: voucher-signing keys by name, and the key each device's
-- pledges trust (issue 18).
--
-- A key is never deleted or renamed: a device names it for as long as the
-- device exists, and every voucher for that device is signed with it.
-- Retiring a key (retired_ms set) stops new vouchers with it; its devices
-- then get 503 instead of a voucher signed by another key.
--
-- 'default' is the key of masa.json (signing.key, signing.cert, signing.alg):
-- its ref and cert are '' and its alg 0 here, and every device enrolled
-- before this migration (or without another key named) records it.
CREATE TABLE signing_keys (
    name            TEXT PRIMARY KEY,
    ref             TEXT NOT NULL,          -- a PEM file path or a pkcs11: URI (never a PIN)
    cert            TEXT NOT NULL,          -- its certificate chain, a PEM file
    alg             INTEGER NOT NULL CHECK (alg IN (0, 1, 2, 3)),  -- enum masa_alg; 0: masa.json's
    created_ms      INTEGER NOT NULL,
    retired_ms      INTEGER                 -- NULL: in service
);
INSERT INTO signing_keys (name, ref, cert, alg, created_ms)
VALUES ('default', '', '', 0, CAST(strftime('%s', 'now') AS INTEGER) * 1000);

ALTER TABLE devices ADD COLUMN signing_key TEXT NOT NULL DEFAULT 'default';
CREATE INDEX devices_by_signing_key ON devices (signing_key);
