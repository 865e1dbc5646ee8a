//! The no-answer screen shows what the rule decides, never its own guess: when
//! the wall clock jumps during the wait, and when the arrival fix is near the
//! address but the current one is far, the screen and the rule agree.

mod common;
mod ui_support;

use std::sync::Arc;

use courier_terminal::assembly::Feeds;
use courier_terminal::domain::position::FixDimension;
use courier_terminal::position_source::SharedPosition;
use courier_terminal::terminal::Terminal;
use courier_terminal::ui::{
    App, AppConfig, AppState, Language, NoAnswerState, OutcomeState, ParcelViewState, Screen,
};
use slint::ComponentHandle;
use ui_support::*;

struct Rig {
    _day: common::Day,
    clock: Arc<ManualClock>,
    position: SharedPosition,
    app: App,
    address: (f64, f64),
}

/// A device at the door of a parcel with coordinates, on the no-answer screen.
fn at_the_door() -> Rig {
    let day = common::day(6);
    let clock = ManualClock::new(common::now_ms());
    let position = SharedPosition::new();
    let mut terminal =
        Terminal::open(&day.dir, clock.clone(), Arc::new(position.clone())).expect("open");
    let parcel = terminal
        .parcels()
        .expect("parcels")
        .into_iter()
        .find(|p| p.spec.address.lat_e7.is_some() && p.spec.collect.is_none())
        .expect("a parcel with coordinates");
    let address = (
        parcel.spec.address.lat_e7.expect("lat") as f64 * 1e-7,
        parcel.spec.address.lon_e7.expect("lon") as f64 * 1e-7,
    );
    position.set(fix(address.0, address.1, FixDimension::ThreeD));
    terminal.arrive(&parcel.spec.label).expect("arrive");
    let mut feeds = Feeds::of_position(Arc::new(position.clone()));
    feeds.clock = clock.clone();
    let mut config = AppConfig::new(terminal, feeds);
    config.language = Language::En;
    let app = App::new(config).expect("app");
    app.window().show().expect("show");
    app.scan(&parcel.spec.label);
    settle(&app);
    let ui = app.window();
    ui.global::<ParcelViewState>().invoke_cannot_deliver();
    let o = ui.global::<OutcomeState>();
    o.invoke_select(2);
    o.invoke_confirm();
    assert_eq!(ui.global::<AppState>().get_screen(), Screen::NoAnswer);
    settle(&app);
    Rig {
        _day: day,
        clock,
        position,
        app,
        address,
    }
}

fn refresh(app: &App) {
    app.refresh_status();
    settle(app);
}

fn confirm(app: &App) -> String {
    let ui = app.window();
    ui.global::<NoAnswerState>().invoke_confirm();
    settle(app);
    ui.global::<AppState>().get_error_kind().to_string()
}

fn call_twice(app: &App) {
    let g = app.window().global::<NoAnswerState>();
    g.invoke_call();
    g.invoke_call();
    settle(app);
}

fn a_wall_clock_jump_does_not_end_the_wait() {
    let r = at_the_door();
    let g = r.app.window().global::<NoAnswerState>();
    call_twice(&r.app);
    // Twenty minutes on the wall clock, ten seconds really waited.
    r.clock.advance(20 * 60_000, 10_000);
    refresh(&r.app);
    assert!(!g.get_waited(), "the screen must not say the wait is over");
    assert_eq!(g.get_remaining_s(), 590, "counted on the monotonic clock");
    assert_eq!(confirm(&r.app), "no_answer_wait", "and the rule agrees");
    // The real wait is over: the screen says so and the rule accepts.
    r.clock.advance(0, 590_000);
    refresh(&r.app);
    assert!(g.get_waited() && g.get_near() && g.get_contacted());
    assert_eq!(
        confirm(&r.app),
        "",
        "the rule accepts what the screen shows"
    );
    assert_eq!(
        r.app.window().global::<AppState>().get_screen(),
        Screen::Route
    );
}

fn the_arrival_fix_counts_when_the_current_one_is_far() {
    let r = at_the_door();
    let g = r.app.window().global::<NoAnswerState>();
    call_twice(&r.app);
    r.clock.advance(600_000, 600_000);
    // Now about 5 km away: the arrival fix, at the address, still counts.
    r.position
        .set(fix(r.address.0 + 0.045, r.address.1, FixDimension::ThreeD));
    refresh(&r.app);
    assert!(g.get_near(), "near by the arrival fix");
    assert!(
        g.get_distance_m() <= g.get_radius_m(),
        "the nearer fix is shown"
    );
    assert_eq!(confirm(&r.app), "", "and the rule accepts it too");
}

#[test]
fn the_no_answer_screen_and_the_rule_agree() {
    i_slint_backend_testing::init_integration_test_with_system_time();
    a_wall_clock_jump_does_not_end_the_wait();
    the_arrival_fix_counts_when_the_current_one_is_far();
}
