-- 0002_voucher_lookup.sql (PostgreSQL): one index on vouchers instead of
-- three, as ../sqlite/0002_voucher_lookup.sql says why.

DROP INDEX vouchers_by_device;
DROP INDEX vouchers_by_device_registrar;
DROP INDEX vouchers_by_request;
CREATE INDEX vouchers_lookup ON vouchers (device_id, registrar_id, request_sha256);
