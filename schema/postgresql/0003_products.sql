-- 0003_products.sql (PostgreSQL): a placeholder, as ../sqlite/0003_products.sql
-- is until branch products lands: kept so that 0004_keys.sql has the same
-- number on both backends (migrations run in order, without gaps).
SELECT 1;
