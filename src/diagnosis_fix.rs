//! What `diagnose` tells carrier IT to do about a line, one variant per
//! advice, so the message catalogue lists every one (`tests/message_catalogue.rs`).

use std::fmt;

/// The advice on one line of the diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fix {
    /// Nothing to do.
    Nothing,
    /// "enroll the device, or restore the data directory (README, 'Re-enrollment')"
    EnrollOrRestore,
    /// "stop using the device; keep the data directory and call support"
    CallSupport,
    /// "remount it read-write (nothing can be recorded until then)"
    Remount,
    /// "free space on the device (old logs, exports)"
    FreeSpace,
    /// "chmod 600 the key if only its mode is wrong; a damaged key means re-enrollment"
    KeyModeOrReenroll,
    /// "set [gnss] port in the configuration"
    SetGnssPort,
    /// "check the module's cable and the udev rule (packaging/60-courier-terminal.rules)"
    GnssCable,
    /// "check that the service user may open it (dialout group, DeviceAllow)"
    GnssPermission,
    /// "check the baud rate ([gnss] baud) and that the module outputs NMEA"
    GnssBaud,
    /// "give the module open sky; ..."
    GnssNoFix,
    /// "set the clock (timedatectl, NTP); expiry is judged on the latest time seen"
    ClockBehind,
    /// "enable NTP or set the clock; events carry both times"
    ClockSkew,
    /// "check the scanner's cable and the udev rule, or set [scanner] mode"
    ScannerCable,
    /// "set [scanner] in the configuration"
    SetScanner,
    /// "enroll the device; if it had a key, re-enroll (README, 'Re-enrollment')"
    EnrollOrReenroll,
    /// "enroll the device"
    Enroll,
    /// "enroll it with the one-time token from the fleet operator: courier-terminal enroll --server URL --token TOKEN (the same server key is kept)"
    EnrollKeepingKey,
    /// "courier-terminal enroll --server URL --token TOKEN"
    EnrollCommand,
    /// "see the key line"
    SeeKey,
    /// "give the carrier CA in [server] ca_file, or have the server's certificate fixed"
    TlsTrust,
    /// "check the network, the server URL, the TLS certificate (carrier CA in [server] ca_file) and the device clock"
    Network,
    /// "the server is not the one this device was enrolled with: call the platform operator"
    OtherServer,
    /// "see the storage line"
    SeeStorage,
    /// "the back office revoked this device (device_revoked): call carrier IT; its events are kept"
    Revoked,
    /// "the server sent checkpoints of another log, or a history of its event log that does not extend the one it showed before: export the log and the refused checkpoints, call carrier IT"
    ForeignCheckpoints,
    /// "the server refused an event: export the log and call the platform operator"
    EventRefused,
    /// "events wait for more than a day: check the network and the server line"
    OutboxStale,
}

impl Fix {
    /// Every advice, in the order of the checks.
    pub const ALL: [Fix; 28] = [
        Fix::Nothing,
        Fix::EnrollOrRestore,
        Fix::CallSupport,
        Fix::Remount,
        Fix::FreeSpace,
        Fix::KeyModeOrReenroll,
        Fix::SetGnssPort,
        Fix::GnssCable,
        Fix::GnssPermission,
        Fix::GnssBaud,
        Fix::GnssNoFix,
        Fix::ClockBehind,
        Fix::ClockSkew,
        Fix::ScannerCable,
        Fix::SetScanner,
        Fix::EnrollOrReenroll,
        Fix::Enroll,
        Fix::EnrollKeepingKey,
        Fix::EnrollCommand,
        Fix::SeeKey,
        Fix::TlsTrust,
        Fix::Network,
        Fix::OtherServer,
        Fix::SeeStorage,
        Fix::Revoked,
        Fix::ForeignCheckpoints,
        Fix::EventRefused,
        Fix::OutboxStale,
    ];

    /// The advice, in words.
    pub fn text(self) -> &'static str {
        match self {
            Fix::Nothing => "",
            Fix::EnrollOrRestore => {
                "enroll the device, or restore the data directory (README, \"Re-enrollment\")"
            }
            Fix::CallSupport => "stop using the device; keep the data directory and call support",
            Fix::Remount => "remount it read-write (nothing can be recorded until then)",
            Fix::FreeSpace => "free space on the device (old logs, exports)",
            Fix::KeyModeOrReenroll => {
                "chmod 600 the key if only its mode is wrong; a damaged key means re-enrollment"
            }
            Fix::SetGnssPort => "set [gnss] port in the configuration",
            Fix::GnssCable => {
                "check the module's cable and the udev rule (packaging/60-courier-terminal.rules)"
            }
            Fix::GnssPermission => {
                "check that the service user may open it (dialout group, DeviceAllow)"
            }
            Fix::GnssBaud => "check the baud rate ([gnss] baud) and that the module outputs NMEA",
            Fix::GnssNoFix => {
                "give the module open sky; a cold start takes up to a minute; a receiver \
                 whose time went back stays refused until it is replugged (docs/gnss.md)"
            }
            Fix::ClockBehind => {
                "set the clock (timedatectl, NTP); expiry is judged on the latest time seen"
            }
            Fix::ClockSkew => "enable NTP or set the clock; events carry both times",
            Fix::ScannerCable => {
                "check the scanner's cable and the udev rule, or set [scanner] mode"
            }
            Fix::SetScanner => "set [scanner] in the configuration",
            Fix::EnrollOrReenroll => {
                "enroll the device; if it had a key, re-enroll (README, \"Re-enrollment\")"
            }
            Fix::Enroll => "enroll the device",
            Fix::EnrollKeepingKey => {
                "enroll it with the one-time token from the fleet operator: courier-terminal enroll --server URL --token TOKEN (the same server key is kept)"
            }
            Fix::EnrollCommand => "courier-terminal enroll --server URL --token TOKEN",
            Fix::SeeKey => "see the key line",
            Fix::TlsTrust => {
                "give the carrier CA in [server] ca_file, or have the server's certificate fixed"
            }
            Fix::Network => {
                "check the network, the server URL, the TLS certificate (carrier CA in [server] ca_file) and the device clock"
            }
            Fix::OtherServer => {
                "the server is not the one this device was enrolled with: call the platform operator"
            }
            Fix::SeeStorage => "see the storage line",
            Fix::Revoked => {
                "the back office revoked this device (device_revoked): call carrier IT; its events are kept"
            }
            Fix::ForeignCheckpoints => {
                "the server sent checkpoints of another log, or a history of its event log that does not extend the one it showed before: export the log and the refused checkpoints, call carrier IT"
            }
            Fix::EventRefused => {
                "the server refused an event: export the log and call the platform operator"
            }
            Fix::OutboxStale => {
                "events wait for more than a day: check the network and the server line"
            }
        }
    }
}

impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}
