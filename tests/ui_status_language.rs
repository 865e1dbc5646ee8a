//! Headless UI tests of the status bar and the languages: the bar follows a GNSS
//! fix that is lost and found, and Arabic flips the layout to right to left.

mod common;
mod ui_support;

use std::sync::Arc;

use courier_terminal::assembly::Feeds;
use courier_terminal::clock::SystemClock;
use courier_terminal::domain::position::{FixDimension, PositionReading};
use courier_terminal::position_source::SharedPosition;
use courier_terminal::terminal::Terminal;
use courier_terminal::ui::{App, AppConfig, AppState, Dir, Language, Screen, StatusBarState};
use slint::ComponentHandle;
use ui_support::*;

fn app(position: &SharedPosition, day: &common::Day) -> App {
    let terminal = Terminal::open(
        &day.dir,
        Arc::new(SystemClock::new()),
        Arc::new(position.clone()),
    )
    .expect("open");
    let mut config = AppConfig::new(terminal, Feeds::of_position(Arc::new(position.clone())));
    config.language = Language::En;
    let app = App::new(config).expect("app");
    app.window()
        .window()
        .set_size(slint::LogicalSize::new(400.0, 800.0));
    app.window().show().expect("show");
    settle(&app);
    app
}

fn status_bar_follows_a_fix_lost_and_found() {
    let day = common::day(5);
    let position = SharedPosition::new();
    let app = app(&position, &day);
    let ui = app.window();
    assert_eq!(value(ui, "GNSS"), "none");
    position.set(fix(36.7640, 3.0510, FixDimension::ThreeD));
    app.refresh_status();
    assert_eq!(value(ui, "GNSS"), "3d");
    // Lost: the receiver keeps the last fix, but there is no current one.
    let mut lost = PositionReading::none();
    lost.last_valid = fix(36.7640, 3.0510, FixDimension::ThreeD)
        .current
        .map(|mut f| {
            f.age_ms = 42_000;
            f
        });
    position.set(lost);
    app.refresh_status();
    assert_eq!(value(ui, "GNSS"), "none");
    assert_eq!(
        ui.global::<StatusBarState>().get_fix_age_s(),
        42,
        "the age of the last fix is kept"
    );
    position.set(fix(36.7640, 3.0510, FixDimension::TwoD));
    app.refresh_status();
    assert_eq!(value(ui, "GNSS"), "2d");
    // Events waiting to sync: the manifest acceptance is one.
    settle(&app);
    assert!(value(ui, "Sync").parse::<i64>().expect("number") >= 1);
    // A GNSS clock far from the device clock raises the warning.
    let mut skewed = fix(36.7640, 3.0510, FixDimension::ThreeD);
    skewed.gnss_utc_ms = Some(common::now_ms() - 120_000);
    position.set(skewed);
    app.refresh_status();
    assert!(ui.global::<StatusBarState>().get_skew_warning());
    assert!(find(ui, "Clock skew").is_some());
}

fn switching_to_arabic_flips_the_layout() {
    let day = common::day(5);
    let position = SharedPosition::new();
    let app = app(&position, &day);
    let ui = app.window();
    let width = 400.0;
    let x_of = |label: &str| {
        find_button(ui, label)
            .unwrap_or_else(|| panic!("no button {label:?}"))
            .absolute_position()
            .x
    };
    // Left to right: the menu button sits at the end (right) of the bar.
    assert!(x_of("Menu") > width / 2.0);
    assert!(!ui.global::<Dir>().get_rtl());
    // The language is chosen on the menu screen.
    press(ui, "Menu");
    assert_eq!(ui.global::<AppState>().get_screen(), Screen::About);
    assert!(x_of("Back") < width / 2.0, "Back on the left in English");
    press(ui, "Français");
    assert_eq!(ui.global::<AppState>().get_language(), "fr");
    assert!(
        find_button(ui, "Retour").is_some(),
        "French words from the bundled translation"
    );
    press(ui, "العربية");
    assert_eq!(ui.global::<AppState>().get_language(), "ar");
    assert!(ui.global::<Dir>().get_rtl());
    // Right to left: Back is now on the right, labelled in Arabic.
    let x = x_of("رجوع");
    assert!(
        x > width / 2.0,
        "Back at x={x} should be on the right in Arabic"
    );
    press(ui, "رجوع");
    assert!(x_of("القائمة") < width / 2.0, "menu on the left in Arabic");
    // Rows mirror too: a parcel's state is on the left of its row in Arabic.
    let row = find(ui, &label(1)).expect("route row");
    assert_eq!(
        row.accessible_value().map(|v| v.to_string()).as_deref(),
        Some("للتنفيذ")
    );
    app.set_language(Language::En);
    assert!(!ui.global::<Dir>().get_rtl());
    assert!(x_of("Menu") > width / 2.0);
}

#[test]
fn status_bar_and_languages() {
    i_slint_backend_testing::init_integration_test_with_system_time();
    let scenarios: [(&str, fn()); 2] = [
        (
            "status_bar_follows_a_fix_lost_and_found",
            status_bar_follows_a_fix_lost_and_found,
        ),
        (
            "switching_to_arabic_flips_the_layout",
            switching_to_arabic_flips_the_layout,
        ),
    ];
    for (name, run) in scenarios {
        eprintln!("ui scenario: {name}");
        run();
    }
}
