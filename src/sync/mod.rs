//! Sync with the escrow server: enrollment, event upload with signed receipts,
//! manifest download, online code checks (see `docs/protocol.md`, "HTTP API").
//!
//! [`plan`] decides what to do from the outbox alone and [`backoff`] how long to
//! wait, both pure; [`client`] speaks HTTP; [`engine`] runs the plan;
//! [`online_check`] answers online-only parcels at the door; [`commands`] holds
//! the `enroll` and `sync` commands; [`background`] runs the engine beside
//! the doorstep flow.

pub mod background;
pub mod backoff;
pub mod client;
pub mod commands;
pub mod engine;
pub mod online_check;
pub mod plan;

pub use engine::{SyncConfig, SyncEngine, SyncError, SyncReport};
