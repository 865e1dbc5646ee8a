//! Outbox and receipt queries (the sync engine adds to this).
