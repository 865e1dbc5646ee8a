-- The one append-only Merkle log of every stored event (docs/protocol.md,
-- "The event log"): one leaf per event, indexes dense from 0, assigned under
-- a table lock taken by the batch that stores the event (SHARE ROW EXCLUSIVE:
-- appends queue, reads go on); and the tree's stored hashes (Go sumdb/tlog
-- layout), so roots and proofs read O(log n) rows.
CREATE TABLE tlog_leaves (
    leaf_index BIGINT PRIMARY KEY,
    device_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    leaf_hash BYTEA NOT NULL,
    UNIQUE (device_id, seq)
);
CREATE TABLE tlog_hashes (
    hash_index BIGINT PRIMARY KEY,
    hash BYTEA NOT NULL
);
