//! SQLite storage: the day's parcels, the append-only event log and the outbox.
//!
//! One file in WAL mode with `synchronous=FULL`: a commit is on disk when it
//! returns. Every event, its parcel's new state and its outbox row are one
//! transaction, and the decision behind the event is taken inside it
//! ([`Store::append`]): reads go through [`Reads`], the same on the store and on
//! an open transaction.

mod append;
mod connected;
mod identity;
mod migrations;
pub mod outbox;
pub mod photos;
mod read_condition;
mod reads;
mod row_codec;
mod store;
mod store_error;
mod supervisor_tries;
mod tries;

pub use append::{Append, ManifestRow};
pub use identity::MetaKey;
pub use migrations::migrations;
pub use read_condition::{ReadCondition, ReadMode};
pub use reads::{Reads, Tx};
pub use store::Store;
pub use store_error::StoreError;
pub use tries::{TryInFlight, TryOwner, TrySpec};
