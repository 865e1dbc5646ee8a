use std::path::{Path, PathBuf};

use super::*;

const ETC: &str = "/etc/courier-terminal/config.toml";
const SHIPPED: &str = include_str!("../../packaging/config.toml");

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml_str(text, Path::new(ETC))
}

fn refusal(text: &str) -> String {
    match parse(text) {
        Ok(c) => panic!("accepted {text:?} as {c:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_shipped_file_parses_and_says_the_defaults() {
    let shipped = parse(SHIPPED).expect("packaging/config.toml");
    assert_eq!(shipped, Config::default());
    assert_eq!(parse("").expect("empty file"), Config::default());
}

#[test]
fn every_commented_example_of_the_shipped_file_is_accepted() {
    let mut examples = 0;
    for (n, line) in SHIPPED.lines().enumerate() {
        let Some(example) = line.strip_prefix("# ") else {
            continue;
        };
        let is_assignment = example.split_once(" = ").is_some_and(|(k, _)| {
            !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        });
        if !is_assignment {
            continue;
        }
        let mut lines: Vec<&str> = SHIPPED.lines().collect();
        lines[n] = example;
        // A fixed position needs "no receiver": flip the port as the comment says.
        let text = lines.join("\n");
        let text = if example.starts_with("fixed_position") {
            text.replace("port = \"/dev/courier-gnss\"", "port = \"none\"")
        } else {
            text
        };
        if let Err(e) = parse(&text) {
            panic!("example on line {} refused: {e}", n + 1);
        }
        examples += 1;
    }
    assert_eq!(
        examples, 5,
        "url, ca_file, fixed_position, scale, panel_dpi"
    );
}

#[test]
fn defaults_are_the_package_paths_and_production() {
    let c = Config::default();
    assert_eq!(c.server.profile, Profile::Production);
    assert_eq!(c.server.url, None);
    assert!(c.server.online_check && c.server.background_sync);
    assert_eq!(
        c.storage.data_dir,
        PathBuf::from("/var/lib/courier-terminal")
    );
    assert_eq!(
        c.gnss.source,
        PositionSetting::Receiver {
            port: "/dev/courier-gnss".into(),
            baud: Baud::new(9600).expect("standard"),
        }
    );
    assert_eq!(
        c.scanner.input,
        ScannerInput::Serial {
            port: "/dev/courier-scanner".into(),
            baud: Baud::new(9600).expect("standard"),
        }
    );
    assert_eq!(c.scanner.frame_end, Terminator::CrLf);
    assert!(c.display.fullscreen);
    assert_eq!(c.display.size, DisplaySize::Auto);
    assert_eq!(c.display.rotation, Rotation::Deg0);
    assert_eq!(c.ui.language, Language::Fr);
    assert!(c.ui.courier_may_change_language);
    assert_eq!(c.log.level, LogLevel::Info);
}

#[test]
fn a_full_file_gives_typed_values() {
    let c = parse(
        "[server]\nurl = \"https://escrow.example/\"\nprofile = \"test\"\n\
         ca_file = \"/etc/courier-terminal/ca.pem\"\nonline_check = false\nbackground_sync = false\n\
         [storage]\ndata_dir = \"/srv/courier\"\n\
         [gnss]\nport = \"none\"\nfixed_position = \"36.7538, 3.0588\"\n\
         [scanner]\nmode = \"keyboard\"\nframe_end = \"cr\"\n\
         [display]\nfullscreen = false\npanel_dpi = 320\nrotation = 270\n\
         [ui]\nlanguage = \"ar\"\ncourier_may_change_language = false\n\
         [log]\nlevel = \"debug\"\n",
    )
    .expect("valid");
    assert_eq!(
        c.server.url.as_ref().map(ServerUrl::as_str),
        Some("https://escrow.example")
    );
    assert_eq!(c.server.profile, Profile::Test);
    assert_eq!(
        c.server.ca_file,
        Some(PathBuf::from("/etc/courier-terminal/ca.pem"))
    );
    assert!(!c.server.online_check && !c.server.background_sync);
    assert_eq!(c.storage.data_dir, PathBuf::from("/srv/courier"));
    assert_eq!(
        c.gnss.source,
        PositionSetting::Fixed(crate::position_source::FixedPosition {
            lat_deg: 36.7538,
            lon_deg: 3.0588
        })
    );
    assert_eq!(c.scanner.input, ScannerInput::Keyboard);
    assert_eq!(c.scanner.frame_end, Terminator::Cr);
    assert_eq!(c.display.size, DisplaySize::PanelDpi(320));
    assert_eq!(c.display.rotation.degrees(), 270);
    assert!(!c.display.fullscreen);
    assert_eq!(c.ui.language, Language::Ar);
    assert!(!c.ui.courier_may_change_language);
    assert_eq!(c.log.level, LogLevel::Debug);
}

#[test]
fn no_receiver_and_no_fixed_position_means_no_position() {
    let c = parse("[gnss]\nport = \"none\"\n[scanner]\nmode = \"none\"\n[display]\nscale = 2\n")
        .expect("valid");
    assert_eq!(c.gnss.source, PositionSetting::None);
    assert_eq!(c.scanner.input, ScannerInput::None);
    assert_eq!(c.display.size, DisplaySize::Scale(2.0));
}

#[test]
fn plain_http_is_accepted_for_test_and_loopback() {
    for text in [
        "[server]\nprofile = \"test\"\nurl = \"http://escrow.test\"\n",
        "[server]\nurl = \"http://127.0.0.1:8080\"\n",
        "[server]\nurl = \"http://localhost:8080/\"\n",
        "[server]\nurl = \"http://[::1]:8080\"\n",
    ] {
        parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    }
}

#[test]
fn a_missing_file_is_its_own_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    let e = Config::load(&path).expect_err("absent");
    assert!(matches!(&e, ConfigError::NotFound { path: p } if *p == path));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: no such file. Write it (the package installs a commented one at \
             /etc/courier-terminal/config.toml) or give the right path with --config",
            path.display()
        )
    );
}

#[test]
fn an_unreadable_file_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = Config::load(dir.path()).expect_err("a directory");
    assert_eq!(
        e.to_string(),
        format!(
            "{}: cannot be read (Is a directory (os error 21)). Make it a text file readable \
             by the courier-terminal user",
            dir.path().display()
        )
    );
}

#[test]
fn load_reads_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[ui]\nlanguage = \"en\"\n").expect("write");
    assert_eq!(
        Config::load(&path).expect("valid").ui.language,
        Language::En
    );
    std::fs::write(&path, "[ui]\nlanguage = \"de\"\n").expect("write");
    let e = Config::load(&path).expect_err("refused");
    assert!(
        e.to_string()
            .starts_with(&format!("{}:2: ui.language: ", path.display()))
    );
}

#[test]
fn not_toml() {
    assert_eq!(
        refusal("[server]\nurl = \"https://escrow.example\n"),
        "/etc/courier-terminal/config.toml:2: not valid TOML (invalid basic string, expected `\"`). \
         Write key = value lines under [section] headers, text in double quotes."
    );
}

#[test]
fn unknown_key() {
    assert_eq!(
        refusal("[gnss]\nport = \"none\"\nbauds = 9600\n"),
        "/etc/courier-terminal/config.toml:3: gnss.bauds: unknown key. \
         Write one of the keys of [gnss]: port, baud, fixed_position."
    );
}

#[test]
fn known_key_in_the_wrong_section() {
    assert_eq!(
        refusal("[server]\nlanguage = \"fr\"\n"),
        "/etc/courier-terminal/config.toml:2: server.language: unknown key. \
         Write language under [ui], not [server]."
    );
}

#[test]
fn unknown_section() {
    assert_eq!(
        refusal("[log]\nlevel = \"info\"\n\n[serveur]\nurl = \"https://escrow.example\"\n"),
        "/etc/courier-terminal/config.toml:4: [serveur]: unknown section. \
         Write each key under its section header; the sections are [server], [storage], \
         [gnss], [scanner], [display], [ui], [log]."
    );
}

#[test]
fn key_outside_any_section() {
    assert_eq!(
        refusal("url = \"https://escrow.example\"\n"),
        "/etc/courier-terminal/config.toml:1: url: a key outside any section. \
         Write each key under its section header; the sections are [server], [storage], \
         [gnss], [scanner], [display], [ui], [log]."
    );
}

#[test]
fn section_written_as_a_value() {
    assert_eq!(
        refusal("gnss = \"/dev/ttyACM0\"\n"),
        "/etc/courier-terminal/config.toml:1: gnss: wrong type (string \"/dev/ttyACM0\"). \
         Write a [gnss] header followed by its keys, one per line: port, baud, fixed_position."
    );
}

#[test]
fn wrong_type() {
    assert_eq!(
        refusal("[gnss]\nbaud = \"9600\"\n"),
        "/etc/courier-terminal/config.toml:2: gnss.baud: wrong type (string \"9600\"). \
         Write one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, \
         921600 without quotes, e.g. baud = 9600."
    );
    assert_eq!(
        refusal("[display]\nfullscreen = \"yes\"\n"),
        "/etc/courier-terminal/config.toml:2: display.fullscreen: wrong type (string \"yes\"). \
         Write fullscreen = true or fullscreen = false (no quotes)."
    );
}

#[test]
fn baud_not_a_standard_rate() {
    assert_eq!(
        refusal("[scanner]\nbaud = 9601\n"),
        "/etc/courier-terminal/config.toml:2: scanner.baud: 9601 is not a standard baud rate. \
         Write one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, \
         921600 without quotes, e.g. baud = 9600."
    );
}

#[test]
fn dpi_zero() {
    assert_eq!(
        refusal("[display]\npanel_dpi = 0\n"),
        "/etc/courier-terminal/config.toml:2: display.panel_dpi: 0 dpi is not a panel density. \
         Write the panel's density from 50 to 1200 without quotes, e.g. panel_dpi = 320, and \
         no scale line."
    );
}

#[test]
fn scale_out_of_range() {
    assert_eq!(
        refusal("[display]\nscale = 0\n"),
        "/etc/courier-terminal/config.toml:2: display.scale: 0 is outside 0.25 to 8. \
         Write a number from 0.25 to 8 without quotes, e.g. scale = 1.5, and no panel_dpi line."
    );
}

#[test]
fn rotation_45() {
    assert_eq!(
        refusal("[display]\nrotation = 45\n"),
        "/etc/courier-terminal/config.toml:2: display.rotation: 45 degrees is not a rotation the \
         display supports. Write rotation = 0, 90, 180 or 270 (degrees clockwise, no quotes)."
    );
}

#[test]
fn both_scale_and_dpi() {
    assert_eq!(
        refusal("[display]\nscale = 1.5\npanel_dpi = 320\n"),
        "/etc/courier-terminal/config.toml:3: display.panel_dpi: set together with display.scale \
         (line 2). Write only one of them: scale = 1.5 for a factor, or panel_dpi = 320 for the \
         panel's density; remove the other line."
    );
}

#[test]
fn url_not_http() {
    assert_eq!(
        refusal("[server]\nurl = \"escrow.example\"\n"),
        "/etc/courier-terminal/config.toml:2: server.url: \"escrow.example\" is not an http:// or \
         https:// URL. Write the escrow server's base URL in quotes, e.g. url = \
         \"https://escrow.example\" (https:// in production; http:// only for the test profile \
         or a loopback address)."
    );
    assert_eq!(
        refusal("[server]\nurl = \"https://\"\n"),
        "/etc/courier-terminal/config.toml:2: server.url: \"https://\" has no host name. \
         Write the escrow server's base URL in quotes, e.g. url = \"https://escrow.example\" \
         (https:// in production; http:// only for the test profile or a loopback address)."
    );
}

#[test]
fn plain_http_in_production() {
    assert_eq!(
        refusal("[server]\nurl = \"http://escrow.example\"\n"),
        "/etc/courier-terminal/config.toml:2: server.url: \"http://escrow.example\" is plain HTTP \
         with profile = \"production\". Write url = \"https://escrow.example\" (plain http:// is \
         accepted only with profile = \"test\" or a loopback address)."
    );
}

#[test]
fn a_host_that_only_looks_like_loopback_is_plain_http_to_another_machine() {
    assert!(
        refusal("[server]\nurl = \"http://127.evil.example\"\n")
            .contains("is plain HTTP with profile = \"production\"")
    );
}

#[test]
fn unknown_profile() {
    assert_eq!(
        refusal("[server]\nprofile = \"staging\"\n"),
        "/etc/courier-terminal/config.toml:2: server.profile: \"staging\" is not a profile. \
         Write profile = \"production\" or profile = \"test\" (changing it needs a re-enrollment)."
    );
}

#[test]
fn language_de() {
    assert_eq!(
        refusal("[ui]\nlanguage = \"de\"\n"),
        "/etc/courier-terminal/config.toml:2: ui.language: \"de\" is not a language of the \
         screens. Write language = \"fr\", language = \"ar\" or language = \"en\"."
    );
}

#[test]
fn relative_path() {
    assert_eq!(
        refusal("[storage]\ndata_dir = \"data\"\n"),
        "/etc/courier-terminal/config.toml:2: storage.data_dir: \"data\" is not an absolute path. \
         Write an absolute directory path in quotes, e.g. data_dir = \"/var/lib/courier-terminal\"."
    );
}

#[test]
fn position_off_the_globe() {
    assert_eq!(
        refusal("[gnss]\nport = \"none\"\nfixed_position = \"96.7,3.05\"\n"),
        "/etc/courier-terminal/config.toml:3: gnss.fixed_position: \"96.7,3.05\" is off the \
         globe. Write latitude and longitude in degrees in quotes, e.g. fixed_position = \
         \"36.7538,3.0588\", with port = \"none\"."
    );
}

#[test]
fn fixed_position_beside_a_receiver() {
    assert_eq!(
        refusal("[gnss]\nfixed_position = \"36.7538,3.0588\"\n"),
        "/etc/courier-terminal/config.toml:2: gnss.fixed_position: given while port names a \
         receiver (by default /dev/courier-gnss). Write port = \"none\" in [gnss] to use the \
         fixed position, or remove the fixed_position line to use the receiver."
    );
}

#[test]
fn unknown_words() {
    assert_eq!(
        refusal("[scanner]\nmode = \"usb\"\n"),
        "/etc/courier-terminal/config.toml:2: scanner.mode: \"usb\" is not a scanner mode. \
         Write mode = \"serial\", mode = \"keyboard\" or mode = \"none\"."
    );
    assert_eq!(
        refusal("[scanner]\nframe_end = \"\\n\"\n"),
        "/etc/courier-terminal/config.toml:2: scanner.frame_end: \"\\n\" is not a frame ending. \
         Write the scanner's suffix: frame_end = \"cr\", frame_end = \"lf\" or frame_end = \"crlf\"."
    );
    assert_eq!(
        refusal("[log]\nlevel = \"verbose\"\n"),
        "/etc/courier-terminal/config.toml:2: log.level: \"verbose\" is not a log level. \
         Write level = \"error\", \"warn\", \"info\", \"debug\" or \"trace\"."
    );
}

#[test]
fn refusals_carry_the_line_and_key_as_fields() {
    let e = parse("[ui]\n\n\nlanguage = \"de\"\n").expect_err("refused");
    let ConfigError::Refused { line, key, .. } = e else {
        panic!("{e:?}");
    };
    assert_eq!((line, key.as_str()), (4, "ui.language"));
}
