-- Depot supervisors (the credential manifests carry, and every key K issued,
-- which checks supervisor proofs) and the day closes found at odds with the
-- events held.
CREATE TABLE supervisors (
    supervisor_id TEXT PRIMARY KEY,
    depot TEXT NOT NULL,
    credential_json TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX supervisors_by_depot ON supervisors (depot, supervisor_id);
CREATE TABLE supervisor_keys (
    supervisor_id TEXT NOT NULL,
    factor TEXT NOT NULL,
    key_hex TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (supervisor_id, factor, key_hex)
);
CREATE TABLE day_close_flags (
    event_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    differences_json TEXT NOT NULL,
    flagged_at_ms BIGINT NOT NULL
);
CREATE INDEX day_close_flags_by_time ON day_close_flags (flagged_at_ms, device_id, seq);
