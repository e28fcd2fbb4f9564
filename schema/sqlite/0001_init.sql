-- 0001_init.sql: the base tables for voucher issuance, enrollment, tokens
-- and the audit trail.
--
-- Portable SQL, meant to run on SQLite 3.40 and PostgreSQL alike: integer
-- keys, BLOB for bytes (BYTEA on PostgreSQL), times as INTEGER milliseconds
-- since the Unix epoch (UTC), booleans as 0/1 integers. The two triggers at
-- the end are the only SQLite-specific statements (PostgreSQL needs its
-- own trigger functions for them).
--
-- One issuance is one transaction: the token_buckets update, the vouchers
-- row and the audit row commit together.

-- Sales-channel owners (customers).
CREATE TABLE owners (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    created_ms      INTEGER NOT NULL
);

-- Registrar public keys the MASA knows: keys of owners, and every key that
-- has received a voucher (first-use pins and audit-log access refer to it).
CREATE TABLE registrar_keys (
    id              INTEGER PRIMARY KEY,
    spki_sha256     BLOB NOT NULL UNIQUE,   -- SHA-256 of the DER SubjectPublicKeyInfo
    spki            BLOB NOT NULL,          -- DER SubjectPublicKeyInfo
    owner_id        INTEGER REFERENCES owners (id),
    first_seen_ms   INTEGER NOT NULL,
    first_seen_net  TEXT                    -- the /24 or /64 it was first seen from
);
CREATE INDEX registrar_keys_by_owner ON registrar_keys (owner_id);

-- Registrar deny-list, by key hash (a key need not be known to be blocked).
CREATE TABLE blocked_registrars (
    spki_sha256     BLOB PRIMARY KEY,
    reason          TEXT NOT NULL DEFAULT '',
    created_ms      INTEGER NOT NULL
);

-- Enrolled pledges.
CREATE TABLE devices (
    id              INTEGER PRIMARY KEY,
    serial          TEXT NOT NULL UNIQUE,   -- IDevID subject serialNumber
    pubkey          BLOB NOT NULL,          -- DER SubjectPublicKeyInfo of the IDevID key
    idevid          BLOB,                   -- DER IDevID certificate, when enrolled with one
    product         TEXT,
    owner_id        INTEGER REFERENCES owners (id),
    pinned_registrar_id INTEGER REFERENCES registrar_keys (id),  -- first-use pin; NULL = released
    retired         INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1)),
    created_ms      INTEGER NOT NULL
);
CREATE INDEX devices_by_owner ON devices (owner_id);

-- Per-pledge token bucket, kept as one number: the GCRA "theoretical
-- arrival time". With capacity C per period P (interval T = P/C), a request
-- at time t is allowed when max(tat, t) - t <= (C - 1) * T, and then tat
-- becomes max(tat, t) + T. No row means a full bucket.
CREATE TABLE token_buckets (
    device_id       INTEGER PRIMARY KEY REFERENCES devices (id),
    tat_ms          INTEGER NOT NULL
);

-- Every voucher issued, exactly as sent.
CREATE TABLE vouchers (
    id              INTEGER PRIMARY KEY,
    device_id       INTEGER NOT NULL REFERENCES devices (id),
    registrar_id    INTEGER NOT NULL REFERENCES registrar_keys (id),
    request_sha256  BLOB NOT NULL,          -- SHA-256 of the RVR bytes: byte-identical retries
    domain_id       TEXT NOT NULL,          -- RFC 8995 section 5.8.2 domainID of what was pinned
    nonce           BLOB,                   -- NULL for a nonceless voucher
    assertion       INTEGER NOT NULL,       -- 0 verified, 1 logged, 2 proximity
    media_type      TEXT NOT NULL,
    voucher         BLOB NOT NULL,
    created_ms      INTEGER NOT NULL,
    expires_ms      INTEGER                 -- NULL: the voucher has no expires-on
);
CREATE INDEX vouchers_by_device ON vouchers (device_id, id);
CREATE INDEX vouchers_by_device_registrar ON vouchers (device_id, registrar_id);
CREATE INDEX vouchers_by_request ON vouchers (request_sha256);

-- The registrar audit log (RFC 8995 section 5.8.1) shows one event per domainID
-- and nonced/nonceless kind: the newest voucher of each group and the
-- group's size. Kept here by a trigger, so reading the log costs the
-- number of groups, not the number of vouchers, and cannot drift.
CREATE TABLE voucher_groups (
    device_id       INTEGER NOT NULL REFERENCES devices (id),
    domain_id       TEXT NOT NULL,
    nonceless       INTEGER NOT NULL CHECK (nonceless IN (0, 1)),
    last_voucher_id INTEGER NOT NULL REFERENCES vouchers (id),
    count           INTEGER NOT NULL,
    PRIMARY KEY (device_id, domain_id, nonceless)
);

-- API tokens "<id>.<secret>": only an Argon2id hash of the secret is kept.
CREATE TABLE api_tokens (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'factory', 'auditor')),
    secret_hash     TEXT NOT NULL,
    created_ms      INTEGER NOT NULL
);

-- The MASA's own append-only, hash-chained audit trail. seq runs 1, 2, 3...
-- without gaps; hash = SHA-256 over prev_hash and this entry's fields (see
-- common/store/audit.c for the exact encoding).
CREATE TABLE audit (
    seq             INTEGER PRIMARY KEY,
    at_ms           INTEGER NOT NULL,
    event           TEXT NOT NULL,          -- e.g. voucher.issued, voucher.refused, token.created
    serial          TEXT,
    registrar_sha256 BLOB,
    nonce           BLOB,
    assertion       INTEGER,
    source          TEXT,                   -- client address
    detail          TEXT NOT NULL DEFAULT '',
    prev_hash       BLOB NOT NULL,
    hash            BLOB NOT NULL
);
CREATE INDEX audit_by_serial ON audit (serial, seq);

CREATE TRIGGER vouchers_grouped AFTER INSERT ON vouchers
BEGIN
    INSERT INTO voucher_groups (device_id, domain_id, nonceless, last_voucher_id, count)
    VALUES (NEW.device_id, NEW.domain_id, NEW.nonce IS NULL, NEW.id, 1)
    ON CONFLICT (device_id, domain_id, nonceless)
    DO UPDATE SET last_voucher_id = excluded.last_voucher_id, count = count + 1;
END;

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
