//! The sync decision, computed from the outbox head before any I/O runs.

use crate::storage::outbox::OutboxHead;

/// What the engine should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing waits.
    Idle,
    /// The head batch failed recently: wait until then.
    Wait {
        /// Unix ms.
        until_ms: i64,
    },
    /// Upload the pending events from `from_seq`, at most `max_events`.
    Upload {
        /// First seq of the batch.
        from_seq: u64,
        /// Batch size.
        max_events: u32,
    },
    /// The server refused an event: later ones cannot be accepted before a
    /// person looks (the chain on the server cannot continue past it).
    Blocked {
        /// The refused event.
        seq: u64,
        /// The server's reason code.
        reason: String,
    },
}

/// Decides the next step. `force` ignores the backoff wait (a manual sync).
pub fn next_step(head: &OutboxHead, now_ms: i64, batch: u32, force: bool) -> Step {
    if let Some(r) = &head.rejected {
        return Step::Blocked {
            seq: r.seq,
            reason: r.reason.clone(),
        };
    }
    let Some(first) = &head.first else {
        return Step::Idle;
    };
    if !force && first.next_try_ms > now_ms {
        return Step::Wait {
            until_ms: first.next_try_ms,
        };
    }
    Step::Upload {
        from_seq: first.seq,
        max_events: batch.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::outbox::{PendingRow, RejectedRow};

    fn head(seq: Option<u64>, next_try_ms: i64) -> OutboxHead {
        OutboxHead {
            pending: u64::from(seq.is_some()) * 10,
            first: seq.map(|seq| PendingRow {
                seq,
                tries: 2,
                next_try_ms,
                last_error: None,
            }),
            rejected: None,
        }
    }

    #[test]
    fn empty_outbox_is_idle() {
        assert_eq!(next_step(&head(None, 0), 5, 500, false), Step::Idle);
    }

    #[test]
    fn uploads_from_the_lowest_pending_seq_when_due() {
        assert_eq!(
            next_step(&head(Some(41), 100), 100, 500, false),
            Step::Upload {
                from_seq: 41,
                max_events: 500
            }
        );
    }

    #[test]
    fn waits_for_backoff_unless_forced() {
        assert_eq!(
            next_step(&head(Some(1), 900), 100, 500, false),
            Step::Wait { until_ms: 900 }
        );
        assert!(matches!(
            next_step(&head(Some(1), 900), 100, 500, true),
            Step::Upload { from_seq: 1, .. }
        ));
    }

    #[test]
    fn a_rejection_blocks_sync_even_when_forced() {
        let mut h = head(Some(8), 0);
        h.rejected = Some(RejectedRow {
            seq: 7,
            reason: "bad_proof".into(),
        });
        assert_eq!(
            next_step(&h, 0, 500, true),
            Step::Blocked {
                seq: 7,
                reason: "bad_proof".into()
            }
        );
    }
}
