//! The courier terminal: doorstep code check, signed evidence log, storage and sync.
//!
//! Layout (see `docs/architecture.md`): [`domain`] is pure logic; [`storage`],
//! [`device_key`], [`clock`] and [`position_source`] are the edges; [`terminal`]
//! is the one service the command line and the UI call.

pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod demo_route;
pub mod device_key;
pub mod domain;
pub mod gnss_position;
pub mod position_source;
pub mod sample_day;
pub mod soak;
pub mod storage;
pub mod sync;
pub mod terminal;
pub mod ui;
