//! The schema as a versioned list of migrations; only ever append to it.

use rusqlite_migration::{M, Migrations};

/// Every schema version, oldest first.
pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
            r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE manifests (
    version INTEGER PRIMARY KEY,
    body_hash TEXT NOT NULL,
    signed_json TEXT NOT NULL,
    accepted_at_ms INTEGER NOT NULL
);
CREATE TABLE parcels (
    parcel_id TEXT PRIMARY KEY,
    label TEXT NOT NULL UNIQUE,
    order_ref TEXT NOT NULL,
    route_order INTEGER NOT NULL,
    spec_json TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts_spent INTEGER NOT NULL DEFAULT 0,
    visit_json TEXT,
    collected_label TEXT,
    updated_seq INTEGER
);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    parcel_id TEXT,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    hash TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE INDEX events_parcel ON events(parcel_id);
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY REFERENCES events(seq),
    tries INTEGER NOT NULL DEFAULT 0,
    next_try_ms INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    acked_status TEXT,
    acked_reason TEXT,
    acked_at_ms INTEGER
);
CREATE INDEX outbox_pending ON outbox(seq) WHERE acked_status IS NULL;
CREATE TABLE receipts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at_ms INTEGER NOT NULL,
    first_seq INTEGER,
    last_seq INTEGER,
    receipt_json TEXT NOT NULL
);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
BEGIN SELECT RAISE(ABORT, 'the outbox is never dropped'); END;
CREATE TRIGGER attempts_never_decrease BEFORE UPDATE OF attempts_spent ON parcels
WHEN NEW.attempts_spent < OLD.attempts_spent
BEGIN SELECT RAISE(ABORT, 'attempt counters never go back'); END;
"#,
        ),
        // 2: tries spent but not yet answered (so a crash mid-check still reaches
        // the log), and the manifest's expiry and settings beside its JSON (so
        // opening never decodes a whole manifest).
        M::up(
            r#"
CREATE TABLE tries_in_flight (
    parcel_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    entry TEXT NOT NULL,
    check_mode TEXT NOT NULL,
    attempt_limit INTEGER NOT NULL,
    pid INTEGER NOT NULL,
    boot_id TEXT NOT NULL,
    spent_at_ms INTEGER NOT NULL,
    PRIMARY KEY (parcel_id, attempt)
);
ALTER TABLE manifests ADD COLUMN expires_at_ms INTEGER;
ALTER TABLE manifests ADD COLUMN settings_json TEXT;
UPDATE manifests SET
    expires_at_ms = json_extract(signed_json, '$.body.expires_at_ms'),
    settings_json = json_extract(signed_json, '$.body.settings');
"#,
        ),
        // 3: the depot supervisor's try counter, per credential.
        M::up(
            r#"
CREATE TABLE supervisor_tries (
    credential TEXT PRIMARY KEY,
    supervisor_id TEXT NOT NULL,
    spent INTEGER NOT NULL DEFAULT 0,
    last_at_ms INTEGER
);
"#,
        ),
        // 4: server checkpoints refused because they are not of this log
        // (another device, past the head, another hash), kept as evidence.
        M::up(
            r#"
CREATE TABLE refused_checkpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at_ms INTEGER NOT NULL,
    reason TEXT NOT NULL,
    checkpoint_json TEXT NOT NULL
);
CREATE TRIGGER refused_checkpoints_no_delete BEFORE DELETE ON refused_checkpoints
BEGIN SELECT RAISE(ABORT, 'refused checkpoints are evidence'); END;
"#,
        ),
        // 5: the events of a kind, in order (the day's status at every code
        // entry reads only closes, reopenings and manifests).
        M::up("CREATE INDEX events_kind ON events(kind, seq);"),
        // 6 (custody): whether the parcel was scanned into the vehicle at the
        // morning load check (the parcel's state, like its try counter).
        M::up(
            r#"
ALTER TABLE parcels ADD COLUMN loaded INTEGER NOT NULL DEFAULT 0;
"#,
        ),
        // 7: photos (issue 24): taken for a parcel, named by one event (then
        // never by another), uploaded after it, deleted from the device only
        // after the server's signed receipt names the hash.
        M::up(
            r#"
CREATE TABLE photos (
    sha256 TEXT PRIMARY KEY,
    parcel_id TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    taken_at_ms INTEGER NOT NULL,
    event_seq INTEGER REFERENCES events(seq),
    discarded_at_ms INTEGER,
    uploaded_bytes INTEGER NOT NULL DEFAULT 0,
    tries INTEGER NOT NULL DEFAULT 0,
    next_try_ms INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    receipt_json TEXT,
    receipt_at_ms INTEGER,
    deleted_at_ms INTEGER
);
CREATE INDEX photos_pending ON photos(parcel_id) WHERE event_seq IS NULL;
CREATE INDEX photos_upload ON photos(event_seq) WHERE receipt_json IS NULL;
CREATE TRIGGER photos_no_delete BEFORE DELETE ON photos
BEGIN SELECT RAISE(ABORT, 'photo rows are kept'); END;
CREATE TRIGGER photos_named_once BEFORE UPDATE OF event_seq ON photos
WHEN OLD.event_seq IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a photo is named by one event'); END;
CREATE TRIGGER photos_deleted_after_receipt BEFORE UPDATE OF deleted_at_ms ON photos
WHEN NEW.deleted_at_ms IS NOT NULL AND OLD.event_seq IS NOT NULL AND OLD.receipt_json IS NULL
BEGIN SELECT RAISE(ABORT, 'a photo an event names is deleted only after its receipt'); END;
"#,
        ),
        // 8 (desk): the parcel's custody at a stop desk (handed over, taken
        // in, hold ended), the parcel's state like its load.
        M::up("ALTER TABLE parcels ADD COLUMN desk_json TEXT;"),
    ])
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        assert!(super::migrations().validate().is_ok());
    }
}
