-- Forks and re-used event ids for the back office; the columns the back office
-- queries events by (signed time, order reference, depot) and their indexes.
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    device_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
ALTER TABLE events ADD COLUMN signed_at_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN order_ref TEXT;
ALTER TABLE events ADD COLUMN depot TEXT;
ALTER TABLE devices ADD COLUMN depot TEXT;
CREATE INDEX events_by_order_ref ON events (order_ref, signed_at_ms);
CREATE INDEX events_by_device_time ON events (device_id, signed_at_ms);
CREATE INDEX events_by_depot_time ON events (depot, signed_at_ms);
