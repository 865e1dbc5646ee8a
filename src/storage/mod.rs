//! SQLite storage: the day's parcels, the append-only event log and the outbox.
//!
//! One file in WAL mode with `synchronous=FULL`: a commit is on disk when it
//! returns. Every event, its parcel's new state and its outbox row are one
//! transaction.

mod migrations;
pub mod outbox;
mod store;

pub use migrations::migrations;
pub use store::{ManifestRow, ParcelUpdate, Store, StoreError};
