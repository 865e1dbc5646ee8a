//! Reference escrow server: the device-facing API of `docs/protocol.md`.
//!
//! It enrolls devices with one-time tokens, keeps orders with only their derived
//! code keys, signs manifests, verifies and stores uploaded events exactly once,
//! answers online code checks, and has switches to inject faults. The demo and
//! the tests run it on loopback; integrators compare their backend with it.
//! Its data lives in SQLite (the default) or PostgreSQL ([`storage`]), so
//! several processes can serve devices from one database.
//!
//! Layers, each importing only those below it: [`records`], [`batch`],
//! [`operator_rows`] and [`claim_rows`]
//! (plain data), [`storage`] (one trait, engines in its submodules, opened by
//! [`storage::open`]), the pure decisions with the one transaction each runs
//! in ([`ingest`], [`code_check`]), [`admin`] (operator actions with the
//! admin token), [`back_office`] (named operators: accounts, claims,
//! cancellations, the accounting extraction), [`state`],
//! and the HTTP side ([`routes`], the browser back office's pages in
//! [`web`], [`serve`]).

pub mod admin;
pub mod back_office;
pub mod batch;
pub mod claim_rows;
pub mod code_check;
pub mod desk_handover;
pub mod display_zone;
pub mod dispute_pack;
pub mod error;
pub mod event_log;
pub mod faults;
pub mod ingest;
pub mod operator_rows;
pub mod photo_store;
pub mod rate_limit;
pub mod records;
pub mod routes;
pub mod serve;
pub mod state;
pub mod storage;
pub mod supervisor_rows;
pub mod supervisor_session;
pub mod tls;
pub mod web;
pub mod witness;

pub use error::ServerError;
pub use serve::{RunningServer, start, start_tls};
pub use state::{AppState, Clock, ServerConfig, system_clock};
pub use storage::open::Database;
/// The PostgreSQL helpers tests and the load bench use (fresh databases, URLs).
pub use storage::postgres::url as postgres;

/// Runs a storage call to completion from synchronous code: for the embedded
/// SQLite store (the demo, the terminal's tests), whose calls run on the
/// store's own thread. Do not use it with PostgreSQL from inside a runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    futures_executor::block_on(future)
}
