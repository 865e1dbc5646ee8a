-- One holder per order (the device its latest manifest gives it to), device
-- revocation, and the events stored as evidence but not honoured.
ALTER TABLE orders ADD COLUMN holder TEXT;
UPDATE orders SET holder = (
    SELECT MAX(mp.device_id) FROM manifest_parcels mp
    WHERE mp.parcel_id = orders.parcel_id
      AND NOT EXISTS (SELECT 1 FROM withdrawals w
                      WHERE w.device_id = mp.device_id AND w.parcel_id = mp.parcel_id)
);
ALTER TABLE devices ADD COLUMN revoked_at_ms BIGINT;
ALTER TABLE devices ADD COLUMN revoked_reason TEXT;
CREATE TABLE not_honoured (
    event_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    reason TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL
);
CREATE INDEX not_honoured_by_device ON not_honoured (device_id, seq);
