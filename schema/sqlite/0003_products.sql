-- 0003_products.sql: product lines, and what their pledges can take.
--
-- A device names its product (devices.product); a device whose product has
-- no row here takes the configuration's defaults (policy.formats,
-- policy.registrar_algs, policy.pinned_domain, policy.nonceless). The sets
-- are bit masks over enums that are never renumbered: formats bit
-- (1 << n) for masa/core/format.h's enum masa_format n (cose = 1);
-- registrar_algs bit (1 << n) for common/crypto/alg.h's enum masa_alg n
-- (es256 = 1, es384 = 2, eddsa = 3); pin is masa/app/policy_config.h's
-- enum masa_pin_form (0 pubk, 1 ee-cert, 2 ca-lowest, 3 ca-highest).
CREATE TABLE products (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    formats         INTEGER NOT NULL,
    registrar_algs  INTEGER NOT NULL,
    pin             INTEGER NOT NULL CHECK (pin IN (0, 1, 2, 3)),
    nonceless       INTEGER NOT NULL CHECK (nonceless IN (0, 1)),
    created_ms      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL
);
