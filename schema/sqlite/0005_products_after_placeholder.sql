-- 0005_products_after_placeholder.sql: the products table for a database
-- migrated while 0003_products.sql was a placeholder (SELECT 1; main between
-- the hsm and products branches): the same table as 0003 creates, made only
-- where it is missing. A database migrated through the real 0003 has it and
-- is unchanged.
CREATE TABLE IF NOT EXISTS products (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    formats         INTEGER NOT NULL,
    registrar_algs  INTEGER NOT NULL,
    pin             INTEGER NOT NULL CHECK (pin IN (0, 1, 2, 3)),
    nonceless       INTEGER NOT NULL CHECK (nonceless IN (0, 1)),
    created_ms      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL
);
