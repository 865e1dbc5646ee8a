//! Fixtures shared by the workspace's tests, in one place.
//!
//! - [`parcel_spec`], [`visit`], [`manifest_body`], [`event_body`], [`unsigned_event`]:
//!   pure builders (defined in `courier_protocol::fixtures` so the protocol's
//!   own unit tests use them too);
//! - [`memory_log`]: an event log in memory, as a lying server would show it;
//! - [`server`]: the reference server on loopback, an enrolled device that
//!   signs its requests and events, and signed manifests issued by the server.
//!
//! The terminal's fixture day (a data directory with a loaded sample day) is
//! `courier_devtools::fixture`: the dev tools use it themselves, and this crate
//! stays below the terminal so the terminal's unit tests can use it.

pub use courier_protocol::fixtures::{
    event_body, manifest_body, parcel_spec, unsigned_event, visit,
};

pub mod memory_log;
pub mod server;
