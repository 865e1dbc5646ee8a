//! The courier terminal: doorstep code check, signed evidence log, storage and sync.
//!
//! Layout (see `docs/architecture.md`): [`domain`] is pure logic; [`storage`],
//! [`device_key`], [`clock`] and [`position_source`] are the edges; [`terminal`]
//! is the one service the command line and the UI call.

pub mod domain;
pub mod storage;
pub mod clock;
pub mod device_key;
pub mod position_source;
pub mod terminal;
pub mod sample_day;
pub mod cli;
pub mod soak;
pub mod sync;
pub mod ui;
pub mod gnss_position;
pub mod demo_route;
pub mod demo;
