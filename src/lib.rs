//! The courier terminal: doorstep code check, signed evidence log, storage and sync.
//!
//! Layout (see `docs/architecture.md`): [`domain`] is pure logic; [`storage`],
//! [`device_key`], [`clock`], [`position_source`] and [`sync`] are the edges;
//! [`terminal`] is the one service the command line and the screens call;
//! [`assembly`] is the one place that builds a running terminal from a typed
//! configuration ([`config`] reads it from `/etc/courier-terminal/config.toml`); [`cli`] and [`ui`] only map what the terminal computed.

pub mod assembly;
pub mod cli;
pub mod clock;
pub mod config;
pub mod device_key;
pub mod diagnosis;
pub mod diagnosis_fix;
pub mod domain;
pub mod export;
pub mod gnss_position;
pub mod local_time;
pub mod position_source;
pub mod storage;
pub mod sync;
pub mod terminal;
pub mod ui;
