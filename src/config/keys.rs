//! Every section and key of the configuration file, with what to write there:
//! the "write instead" part of each error message.

/// The sections, in the order of the shipped file.
pub const SECTIONS: [&str; 7] = [
    "server", "storage", "gnss", "scanner", "display", "ui", "log",
];

/// `(section, key, what to write)` for every key.
const KEYS: &[(&str, &str, &str)] = &[
    (
        "server",
        "url",
        "the escrow server's base URL in quotes, e.g. url = \"https://escrow.example\" \
         (https:// in production; http:// only for the test profile or a loopback address)",
    ),
    (
        "server",
        "profile",
        "profile = \"production\" or profile = \"test\" (changing it needs a re-enrollment)",
    ),
    (
        "server",
        "ca_file",
        "the absolute path of a PEM file in quotes, e.g. ca_file = \"/etc/courier-terminal/ca.pem\", \
         or remove the line to trust the system's certificate authorities",
    ),
    (
        "server",
        "online_check",
        "online_check = true or online_check = false (no quotes)",
    ),
    (
        "server",
        "background_sync",
        "background_sync = true or background_sync = false (no quotes)",
    ),
    (
        "storage",
        "data_dir",
        "an absolute directory path in quotes, e.g. data_dir = \"/var/lib/courier-terminal\"",
    ),
    (
        "gnss",
        "port",
        "the receiver's device path in quotes, e.g. port = \"/dev/courier-gnss\", or port = \"none\"",
    ),
    (
        "gnss",
        "baud",
        "one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600 \
         without quotes, e.g. baud = 9600",
    ),
    (
        "gnss",
        "fixed_position",
        "latitude and longitude in degrees in quotes, e.g. fixed_position = \"36.7538,3.0588\", \
         with port = \"none\"",
    ),
    (
        "scanner",
        "mode",
        "mode = \"serial\", mode = \"keyboard\" or mode = \"none\"",
    ),
    (
        "scanner",
        "port",
        "the scanner's device path in quotes, e.g. port = \"/dev/courier-scanner\"",
    ),
    (
        "scanner",
        "baud",
        "one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600 \
         without quotes, e.g. baud = 9600",
    ),
    (
        "scanner",
        "frame_end",
        "the scanner's suffix: frame_end = \"cr\", frame_end = \"lf\" or frame_end = \"crlf\"",
    ),
    (
        "display",
        "fullscreen",
        "fullscreen = true or fullscreen = false (no quotes)",
    ),
    (
        "display",
        "scale",
        "a number from 0.25 to 8 without quotes, e.g. scale = 1.5, and no panel_dpi line",
    ),
    (
        "display",
        "panel_dpi",
        "the panel's density from 50 to 1200 without quotes, e.g. panel_dpi = 320, and no scale line",
    ),
    (
        "display",
        "rotation",
        "rotation = 0, 90, 180 or 270 (degrees clockwise, no quotes)",
    ),
    (
        "ui",
        "language",
        "language = \"fr\", language = \"ar\" or language = \"en\"",
    ),
    (
        "ui",
        "courier_may_change_language",
        "courier_may_change_language = true or courier_may_change_language = false (no quotes)",
    ),
    (
        "log",
        "level",
        "level = \"error\", \"warn\", \"info\", \"debug\" or \"trace\"",
    ),
];

/// What to write for `section.key`, if the key exists.
pub fn hint(section: &str, key: &str) -> Option<&'static str> {
    KEYS.iter()
        .find(|(s, k, _)| *s == section && *k == key)
        .map(|(_, _, h)| *h)
}

/// The keys of a section, comma-separated.
pub fn keys_of(section: &str) -> String {
    KEYS.iter()
        .filter(|(s, _, _)| *s == section)
        .map(|(_, k, _)| *k)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The sections as headers, comma-separated.
pub fn section_list() -> String {
    SECTIONS
        .iter()
        .map(|s| format!("[{s}]"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_belongs_to_a_listed_section() {
        for (s, k, _) in KEYS {
            assert!(SECTIONS.contains(s), "{s}.{k}");
        }
        for s in SECTIONS {
            assert!(!keys_of(s).is_empty(), "[{s}] has no key");
        }
    }
}
