//! The courier terminal: doorstep code check, signed evidence log, storage and sync.
//!
//! Layout (see `docs/architecture.md`): [`domain`] is pure logic; [`storage`],
//! [`device_key`], [`clock`] and [`position_source`] are the edges; [`terminal`]
//! is the one service the command line and the UI call.

pub mod domain;
