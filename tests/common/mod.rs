//! Shared set-up for integration tests: the fixture day of the dev tools, and
//! the product binary.
#![allow(dead_code, missing_docs)]

use std::path::Path;

pub use courier_devtools::fixture::*;

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_courier-terminal")
}

pub fn cli(data: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(bin());
    c.env("COURIER_TERMINAL_DATA", data);
    c
}
