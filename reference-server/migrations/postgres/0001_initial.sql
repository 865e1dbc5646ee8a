-- The PostgreSQL schema. Event payloads are partitioned by month of their
-- signed time; the global idempotency key (event id) and the chain position
-- (device, seq) are unique in event_ids, which is not partitioned (a unique
-- constraint on a partitioned table must contain the partition key).
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE enroll_tokens (
    token_hash TEXT PRIMARY KEY,
    expires_at_ms BIGINT NOT NULL,
    used_by TEXT
);
CREATE TABLE devices (
    device_id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL UNIQUE,
    hardware_label TEXT NOT NULL,
    enrolled_at_ms BIGINT NOT NULL,
    last_seq BIGINT NOT NULL DEFAULT 0,
    last_hash TEXT NOT NULL,
    depot TEXT
);
CREATE TABLE orders (
    parcel_id TEXT PRIMARY KEY,
    order_ref TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL UNIQUE,
    spec_json TEXT NOT NULL,
    numeric_key TEXT NOT NULL,
    qr_key TEXT NOT NULL,
    attempts_spent INTEGER NOT NULL DEFAULT 0,
    attempt_limit INTEGER NOT NULL
);
CREATE TABLE manifests (
    device_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    signed_json TEXT NOT NULL,
    PRIMARY KEY (device_id, version)
);
CREATE TABLE manifest_parcels (
    device_id TEXT NOT NULL,
    parcel_id TEXT NOT NULL,
    PRIMARY KEY (device_id, parcel_id)
);
CREATE TABLE withdrawals (
    device_id TEXT NOT NULL,
    parcel_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (device_id, parcel_id, version)
);
CREATE TABLE parcel_ledgers (
    device_id TEXT NOT NULL,
    parcel_id TEXT NOT NULL,
    ledger_json TEXT NOT NULL,
    PRIMARY KEY (device_id, parcel_id)
);
CREATE TABLE proof_failures (
    event_hash TEXT PRIMARY KEY,
    parcel_id TEXT NOT NULL
);
CREATE TABLE code_checks (
    id BIGSERIAL PRIMARY KEY,
    device_id TEXT NOT NULL,
    parcel_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    result TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE TABLE nonces (
    device_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    ts_ms BIGINT NOT NULL,
    PRIMARY KEY (device_id, nonce)
);
CREATE TABLE alerts (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    device_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX alerts_by_device ON alerts (device_id, at_ms);
CREATE TABLE event_ids (
    event_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    signed_at_ms BIGINT NOT NULL,
    UNIQUE (device_id, seq)
);
CREATE TABLE events (
    device_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    signed_json TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    signed_at_ms BIGINT NOT NULL,
    order_ref TEXT,
    depot TEXT,
    PRIMARY KEY (device_id, seq, signed_at_ms)
) PARTITION BY RANGE (signed_at_ms);
-- Events whose signed time has no monthly partition (a device clock far off).
CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE INDEX events_by_order_ref ON events (order_ref, signed_at_ms);
CREATE INDEX events_by_device_time ON events (device_id, signed_at_ms);
CREATE INDEX events_by_depot_time ON events (depot, signed_at_ms);

-- Creates the missing monthly partitions (UTC months) covering
-- [from_ms, to_ms); returns how many it made. Every server start calls it
-- for the coming months; a month whose rows already sit in the default
-- partition is skipped with a notice.
CREATE FUNCTION escrow_ensure_event_partitions(from_ms BIGINT, to_ms BIGINT)
RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    m TIMESTAMP := date_trunc('month', to_timestamp(from_ms / 1000.0) AT TIME ZONE 'UTC');
    stop TIMESTAMP := to_timestamp(to_ms / 1000.0) AT TIME ZONE 'UTC';
    made INTEGER := 0;
    part TEXT;
    lo BIGINT;
    hi BIGINT;
BEGIN
    PERFORM pg_advisory_xact_lock(7262017);
    WHILE m < stop LOOP
        part := format('events_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'));
        lo := (extract(epoch FROM m) * 1000)::BIGINT;
        hi := (extract(epoch FROM m + interval '1 month') * 1000)::BIGINT;
        IF to_regclass(part) IS NULL THEN
            BEGIN
                EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%s) TO (%s)', part, lo, hi);
                made := made + 1;
            EXCEPTION WHEN others THEN
                RAISE NOTICE 'partition % not created: %', part, SQLERRM;
            END;
        END IF;
        m := m + interval '1 month';
    END LOOP;
    RETURN made;
END $$;

SELECT escrow_ensure_event_partitions(
    (extract(epoch FROM now() - interval '12 months') * 1000)::BIGINT,
    (extract(epoch FROM now() + interval '12 months') * 1000)::BIGINT
);
