//! Fault switches for tests: errors, delays, dropped connections, lost and
//! duplicated answers. They apply to device requests only, never to admin calls.
//!
//! HTTP cannot deliver one answer twice, so a "duplicated answer" is emulated
//! on `POST /v1/events` by processing the batch twice and returning the second
//! answer (every event `duplicate`), which is what a client sees when its first
//! answer was lost and it retried.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use courier_protocol::api::FaultPlan;

/// What to do with one device request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer 500 without processing.
    Fail,
    /// Wait, then process normally.
    Delay(u64),
    /// Close the connection without processing.
    Drop,
    /// Process, then close the connection without answering.
    LoseAnswer,
    /// Process twice and answer the second time.
    Duplicate,
}

/// The shared fault state; counters count down as requests arrive.
#[derive(Debug, Default)]
pub struct Faults {
    plan: Mutex<FaultPlan>,
    device_requests: AtomicU64,
    injected: AtomicU64,
}

impl Faults {
    /// Adds a plan to the pending faults.
    pub fn add(&self, more: &FaultPlan) {
        let mut p = self.plan.lock().unwrap_or_else(|e| e.into_inner());
        p.fail_next += more.fail_next;
        p.delay_next += more.delay_next;
        if more.delay_next > 0 {
            p.delay_ms = more.delay_ms;
        }
        p.drop_next += more.drop_next;
        p.lose_answer_next += more.lose_answer_next;
        p.duplicate_next += more.duplicate_next;
    }

    /// Clears every pending fault.
    pub fn clear(&self) {
        *self.plan.lock().unwrap_or_else(|e| e.into_inner()) = FaultPlan::default();
    }

    /// Pending faults.
    pub fn pending(&self) -> FaultPlan {
        self.plan.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Device requests seen so far (faulted or not).
    pub fn device_requests(&self) -> u64 {
        self.device_requests.load(Ordering::SeqCst)
    }

    /// Faults injected so far.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::SeqCst)
    }

    /// Takes the fault for the next device request, if any. `uploads` tells
    /// whether the request is an event upload (only those can be duplicated).
    pub fn next(&self, uploads: bool) -> Option<Fault> {
        self.device_requests.fetch_add(1, Ordering::SeqCst);
        let mut p = self.plan.lock().unwrap_or_else(|e| e.into_inner());
        let fault = if take(&mut p.fail_next) {
            Some(Fault::Fail)
        } else if take(&mut p.drop_next) {
            Some(Fault::Drop)
        } else if take(&mut p.delay_next) {
            Some(Fault::Delay(p.delay_ms))
        } else if take(&mut p.lose_answer_next) {
            Some(Fault::LoseAnswer)
        } else if uploads && take(&mut p.duplicate_next) {
            Some(Fault::Duplicate)
        } else {
            None
        };
        if fault.is_some() {
            self.injected.fetch_add(1, Ordering::SeqCst);
        }
        fault
    }
}

fn take(n: &mut u32) -> bool {
    if *n > 0 {
        *n -= 1;
        true
    } else {
        false
    }
}
