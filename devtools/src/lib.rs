//! Tools around the courier terminal that never ship on a device.
//!
//! The product (`courier-terminal`) is assembled from a typed configuration by
//! `courier_terminal::assembly`; these tools only fill that configuration with
//! simulators and local services: [`demo`] (the whole system on one machine),
//! [`sample_day`] (a signed day in Algiers with known buyer codes),
//! [`demo_route`] (NMEA along the day's stops), [`screenshots`] (every screen to
//! PNG), [`soak`] (the crash-test worker) and [`dev_commands`] (key and manifest
//! helpers).

pub mod crash_campaign;
pub mod day_sheet;
pub mod demo;
pub mod demo_route;
pub mod dev_commands;
pub mod fixture;
pub mod local_supervisor;
pub mod sample_day;
pub mod screenshots;
pub mod soak;
pub mod test_pki;
