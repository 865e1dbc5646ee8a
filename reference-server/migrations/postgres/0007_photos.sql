-- Photos (issue 24): every photo an accepted event names (written at ingest
-- with the event), and the photos whose bytes the server holds (the bytes
-- themselves live in the photo store, content-addressed by SHA-256).
CREATE TABLE photo_refs (
    device_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    event_id TEXT NOT NULL,
    parcel_id TEXT,
    order_ref TEXT,
    depot TEXT,
    bytes BIGINT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    taken_at_ms BIGINT NOT NULL,
    signed_at_ms BIGINT NOT NULL,
    PRIMARY KEY (device_id, seq, sha256)
);
CREATE INDEX photo_refs_sha256 ON photo_refs(sha256);
CREATE INDEX photo_refs_signed ON photo_refs(signed_at_ms);
CREATE TABLE photos_stored (
    sha256 TEXT PRIMARY KEY,
    bytes BIGINT NOT NULL,
    device_id TEXT NOT NULL,
    stored_at_ms BIGINT NOT NULL
);
