-- 0005_product_key.sql: the voucher-signing key each product names
-- (issue 18, "per product, pinned per device").
--
-- A device enrolled with a product and without an explicit signing key
-- records its product's key at that moment (devices.signing_key, 0004);
-- changing the product's key later changes no device, only those enrolled
-- after. signing_key names a row of signing_keys (core/product.c checks
-- that it exists and is in service when it is set; a key is never deleted,
-- and `masa key retire` is refused while a product names it). Products
-- made before this migration name 'default', masa.json's key, which their
-- devices have recorded so far.
ALTER TABLE products ADD COLUMN signing_key TEXT NOT NULL DEFAULT 'default';
CREATE INDEX products_by_signing_key ON products (signing_key);
