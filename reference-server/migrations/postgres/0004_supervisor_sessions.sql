-- Supervisors scoped by depot, with one try counter each (sign-in PINs and
-- bad proofs at ingest, all devices together); keys retired at a re-issue or
-- revocation; the sessions opened at sign-in; the depots' offline-badge flag.
CREATE TABLE depot_supervisors (
    depot TEXT NOT NULL,
    supervisor_id TEXT NOT NULL,
    credential_json TEXT NOT NULL,
    attempt_limit INTEGER NOT NULL,
    tries_spent INTEGER NOT NULL DEFAULT 0,
    revoked_at_ms BIGINT,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (depot, supervisor_id)
);
INSERT INTO depot_supervisors(depot, supervisor_id, credential_json, attempt_limit, created_at_ms)
    SELECT depot, supervisor_id, credential_json,
           COALESCE((credential_json::jsonb->>'attempt_limit')::int, 5), created_at_ms
    FROM supervisors;
CREATE TABLE depot_supervisor_keys (
    depot TEXT NOT NULL,
    supervisor_id TEXT NOT NULL,
    factor TEXT NOT NULL,
    key_hex TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    retired_at_ms BIGINT,
    PRIMARY KEY (depot, supervisor_id, factor, key_hex)
);
INSERT INTO depot_supervisor_keys(depot, supervisor_id, factor, key_hex, created_at_ms)
    SELECT s.depot, k.supervisor_id, k.factor, k.key_hex, k.created_at_ms
    FROM supervisor_keys k JOIN supervisors s ON s.supervisor_id = k.supervisor_id;
DROP TABLE supervisor_keys;
DROP TABLE supervisors;
CREATE TABLE supervisor_sessions (
    session_id TEXT PRIMARY KEY,
    depot TEXT NOT NULL,
    supervisor_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    factor TEXT NOT NULL,
    key_hex TEXT NOT NULL,
    issued_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    revoked_at_ms BIGINT
);
CREATE INDEX supervisor_sessions_by_supervisor ON supervisor_sessions (depot, supervisor_id);
CREATE TABLE depot_settings (
    depot TEXT PRIMARY KEY,
    offline_badge BOOLEAN NOT NULL
);
