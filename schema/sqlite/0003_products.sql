-- 0003_products.sql: PLACEHOLDER on branch hsm only. Branch products adds the
-- real 0003_products.sql; on merge its file replaces this one. Kept so that
-- 0004_keys.sql is numbered as it will be (migrations run in order, without
-- gaps). A database migrated by this branch alone has no products table.
SELECT 1;
