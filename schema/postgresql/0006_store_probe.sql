-- 0006_store_probe.sql (PostgreSQL): ../sqlite/0006_store_probe.sql in
-- PostgreSQL's types: the row that /readyz and masa_ready write to prove
-- the store writable now (one added to probes by each probe).
CREATE TABLE store_probe (
    id      BIGINT PRIMARY KEY CHECK (id = 1),
    probes  BIGINT NOT NULL
);
INSERT INTO store_probe (id, probes) VALUES (1, 0);
