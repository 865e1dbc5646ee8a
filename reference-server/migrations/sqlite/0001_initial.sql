-- The schema of the first SQLite server (tables created if missing, so files
-- written before versioned migrations upgrade in place).
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS enroll_tokens (
    token_hash TEXT PRIMARY KEY,
    expires_at_ms INTEGER NOT NULL,
    used_by TEXT
);
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL UNIQUE,
    hardware_label TEXT NOT NULL,
    enrolled_at_ms INTEGER NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    last_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    parcel_id TEXT PRIMARY KEY,
    order_ref TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL UNIQUE,
    spec_json TEXT NOT NULL,
    numeric_key TEXT NOT NULL,
    qr_key TEXT NOT NULL,
    attempts_spent INTEGER NOT NULL DEFAULT 0,
    attempt_limit INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS manifests (
    device_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    signed_json TEXT NOT NULL,
    PRIMARY KEY (device_id, version)
);
CREATE TABLE IF NOT EXISTS manifest_parcels (
    device_id TEXT NOT NULL,
    parcel_id TEXT NOT NULL,
    PRIMARY KEY (device_id, parcel_id)
);
CREATE TABLE IF NOT EXISTS events (
    device_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    hash TEXT NOT NULL,
    signed_json TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL,
    PRIMARY KEY (device_id, seq)
);
CREATE TABLE IF NOT EXISTS nonces (
    device_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    ts_ms INTEGER NOT NULL,
    PRIMARY KEY (device_id, nonce)
);
CREATE TABLE IF NOT EXISTS withdrawals (
    device_id TEXT NOT NULL,
    parcel_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (device_id, parcel_id, version)
);
CREATE TABLE IF NOT EXISTS parcel_ledgers (
    device_id TEXT NOT NULL,
    parcel_id TEXT NOT NULL,
    ledger_json TEXT NOT NULL,
    PRIMARY KEY (device_id, parcel_id)
);
CREATE TABLE IF NOT EXISTS proof_failures (
    event_hash TEXT PRIMARY KEY,
    parcel_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS code_checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL,
    parcel_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    result TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
