-- 0002_voucher_lookup.sql: one index on vouchers instead of three.
--
-- Every lookup of vouchers starts from the device: the byte-identical
-- retry (device, registrar, request hash), "has this registrar had a
-- voucher for this device" (device, registrar) and the device's voucher
-- count (device). One index with those columns in that order serves all
-- three; the three it replaces each cost a B-tree leaf write per voucher
-- in the group commit.

DROP INDEX vouchers_by_device;
DROP INDEX vouchers_by_device_registrar;
DROP INDEX vouchers_by_request;
CREATE INDEX vouchers_lookup ON vouchers (device_id, registrar_id, request_sha256);
