-- The fleet page (issue 28): what each device says of itself with its
-- uploads (app version, platform, events still waiting, the size of the
-- event log's checkpoint it keeps), as last reported; not evidence.
ALTER TABLE devices ADD COLUMN app_version TEXT;
ALTER TABLE devices ADD COLUMN profile TEXT;
ALTER TABLE devices ADD COLUMN events_waiting INTEGER;
ALTER TABLE devices ADD COLUMN log_size INTEGER;
ALTER TABLE devices ADD COLUMN reported_at_ms INTEGER;
-- The fleet's "last sync" (latest upload time per device) read from an index.
CREATE INDEX events_by_device_received ON events (device_id, received_at_ms);
-- Order search (by reference, label, buyer phone or day): the last eight
-- digits of the buyer's phone, indexed, and events by signed time.
ALTER TABLE orders ADD COLUMN phone_tail TEXT;
UPDATE orders SET phone_tail = substr(replace(replace(replace(replace(replace(replace(
    json_extract(spec_json, '$.recipient.phone'), ' ', ''), '+', ''), '-', ''), '.', ''), '(', ''), ')', ''), -8);
CREATE INDEX orders_by_phone_tail ON orders (phone_tail);
CREATE INDEX events_by_signed_time ON events (signed_at_ms, order_ref);
