-- 0005_product_key.sql (PostgreSQL): ../sqlite/0005_product_key.sql (its
-- comments say what the column means): the voucher-signing key each
-- product names, recorded by the devices enrolled with the product while
-- it names it. Products made before this migration name 'default'.
ALTER TABLE products ADD COLUMN signing_key TEXT NOT NULL DEFAULT 'default';
CREATE INDEX products_by_signing_key ON products (signing_key);
