-- 0006_store_probe.sql: the row that /readyz and masa_ready write to prove
-- the store writable now. They need a change that must reach the disk:
-- SQLite commits an empty transaction, or a row rewritten with its own
-- values, without writing a byte, even on a full disk. Each probe adds one
-- to probes. Not data: nothing reads it, and it is never audited.
CREATE TABLE store_probe (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    probes  INTEGER NOT NULL
);
INSERT INTO store_probe (id, probes) VALUES (1, 0);
