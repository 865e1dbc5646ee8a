-- Depot supervisors (the credential manifests carry, and every key K issued,
-- which checks supervisor proofs) and the day closes found at odds with the
-- events held. IF NOT EXISTS: files written by the server before versioned
-- migrations may hold these tables already.
CREATE TABLE IF NOT EXISTS supervisors (
    supervisor_id TEXT PRIMARY KEY,
    depot TEXT NOT NULL,
    credential_json TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS supervisor_keys (
    supervisor_id TEXT NOT NULL,
    factor TEXT NOT NULL,
    key_hex TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (supervisor_id, factor, key_hex)
);
CREATE TABLE IF NOT EXISTS day_close_flags (
    event_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    differences_json TEXT NOT NULL,
    flagged_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS supervisors_by_depot ON supervisors (depot, supervisor_id);
