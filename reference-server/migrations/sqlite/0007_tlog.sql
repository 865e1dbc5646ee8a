-- The one append-only Merkle log of every stored event (docs/protocol.md,
-- "The event log"): one leaf per event, indexes dense from 0, assigned under
-- the write lock of the batch that stores the event; and the tree's stored
-- hashes (Go sumdb/tlog layout: every complete subtree's hash, once), so
-- roots and proofs read O(log n) rows and never rehash the log.
CREATE TABLE tlog_leaves (
    leaf_index INTEGER PRIMARY KEY,
    device_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    leaf_hash BLOB NOT NULL,
    UNIQUE (device_id, seq)
);
CREATE TABLE tlog_hashes (
    hash_index INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
);
CREATE TRIGGER tlog_leaves_append_only BEFORE UPDATE ON tlog_leaves
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER tlog_leaves_no_delete BEFORE DELETE ON tlog_leaves
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
