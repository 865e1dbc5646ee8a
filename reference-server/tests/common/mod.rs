//! The shared server fixtures (`courier-test-support`), under the name these
//! tests have always used.
#![allow(unused_imports)]

pub use courier_test_support::server::*;

pub mod operators;
pub mod supervisors;
