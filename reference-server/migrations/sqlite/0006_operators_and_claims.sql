-- Named back-office operators (roles, depots, an Argon2id hash), their
-- sessions (bearer tokens now, browser cookies later, hashes only), the
-- audit log of who did what; orders' cancellations before delivery, claims
-- with their two decisions, and the accounting journal of status changes.
CREATE TABLE operators (
    name TEXT PRIMARY KEY,
    roles TEXT NOT NULL,
    depots TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    disabled_at_ms INTEGER
);
CREATE TABLE operator_sessions (
    token_hash TEXT PRIMARY KEY,
    operator TEXT NOT NULL REFERENCES operators(name),
    kind TEXT NOT NULL,
    csrf_hash TEXT,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
);
CREATE INDEX operator_sessions_by_operator ON operator_sessions (operator);
CREATE TABLE operator_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    operator TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
);
ALTER TABLE orders ADD COLUMN cancelled_at_ms INTEGER;
ALTER TABLE orders ADD COLUMN cancelled_by TEXT;
ALTER TABLE orders ADD COLUMN cancel_reason TEXT;
CREATE TABLE claims (
    claim_id TEXT PRIMARY KEY,
    order_ref TEXT NOT NULL UNIQUE,
    depot TEXT,
    status TEXT NOT NULL,
    filed_at_ms INTEGER NOT NULL,
    claim_json TEXT NOT NULL
);
CREATE TABLE order_status_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    order_ref TEXT NOT NULL,
    parcel_id TEXT NOT NULL,
    depot TEXT,
    status TEXT NOT NULL,
    claim_id TEXT,
    refund_minor INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    operator TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX order_status_changes_by_time ON order_status_changes (at_ms);
