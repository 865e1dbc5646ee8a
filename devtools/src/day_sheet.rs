//! A closed sample day at the depot and its exports: the day sheet (PDF), the
//! signed JSON day report, the CSV, the events and the device key. For the
//! day-sheet screenshot and the third-party recipe
//! (`tests/external/day_sheet_to_png.sh`, `verify_with_python.sh`).
//!
//! The day is played with the terminal's own calls: deliveries (one exchange
//! with its collected item), a refusal, a cancellation, a carrier problem,
//! parcels never attempted; then the sample supervisor signs in with the
//! badge, scans returns in with their condition (one typed), an unknown
//! label, moves one return's fees with four eyes, and closes the day by force
//! with a reason after the courier's confirmation.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use courier_protocol::day_window::DayWindow;
use courier_protocol::keys::Signer;
use courier_protocol::vocabulary::{Condition, Liability, Outcome, Reason};
use courier_terminal::device_key::DeviceKey;
use courier_terminal::export::{self, Names};
use courier_terminal::position_source::NoPosition;
use courier_terminal::storage::Reads;
use courier_terminal::terminal::{
    CodeEntry, FeeChangeRequest, IntakeInput, LabelEntry, SupervisorEntry,
};

use crate::fixture;

/// Plays the sample day and writes its exports to `out` (created if needed):
/// `day.pdf`, `day.json`, `day.csv`, `events.jsonl`, `device_key.txt`.
pub fn run(out: &Path, utc_offset: &str, courier: &str) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let day = fixture::day(10);
    let mut t = fixture::open(&day.dir, Arc::new(NoPosition));
    let code = |i: usize| &day.codes[i];

    // The round.
    let deliver = |t: &mut courier_terminal::terminal::Terminal, i: usize| -> Result<()> {
        let c = code(i);
        t.arrive(&c.label)?;
        t.offer_inspection(&c.label)?;
        t.submit_code(&c.label, CodeEntry::Keypad(&c.numeric))?;
        Ok(())
    };
    deliver(&mut t, 0)?;
    let refused = &code(1).label;
    t.arrive(refused)?;
    t.offer_inspection(refused)?;
    t.record_outcome(
        refused,
        Outcome::RefusedAfterInspection,
        Some(Reason::Damaged),
        Some("écran fissuré"),
    )?;
    let cancelled = &code(2).label;
    t.arrive(cancelled)?;
    t.record_outcome(
        cancelled,
        Outcome::BuyerCancelled,
        Some(Reason::ChangedMind),
        Some("a changé d'avis, « trop cher »"),
    )?;
    let exchange = &code(3).label;
    let collect_label = t
        .parcel(exchange)?
        .spec
        .collect
        .and_then(|c| c.label)
        .ok_or_else(|| anyhow!("the sample exchange has no item label"))?;
    t.arrive(exchange)?;
    t.offer_inspection(exchange)?;
    t.collect(exchange, &collect_label)?;
    t.submit_code(exchange, CodeEntry::Keypad(&code(3).numeric))?;
    let carrier = &code(4).label;
    t.arrive(carrier)?;
    t.record_outcome(
        carrier,
        Outcome::CarrierProblem,
        Some(Reason::AddressNotFound),
        None,
    )?;

    // The depot.
    t.supervisor_sign_in(SupervisorEntry::Badge(&day.supervisor.badge_text))?;
    t.scan_return(
        LabelEntry::Scanned(refused),
        &IntakeInput {
            condition: Condition::Damaged,
            note: Some("coin du carton écrasé".into()),
        },
    )?;
    t.scan_return(LabelEntry::Scanned(cancelled), &IntakeInput::default())?;
    t.scan_return(
        LabelEntry::Typed(&collect_label),
        &IntakeInput {
            condition: Condition::Opened,
            note: Some("scotch coupé".into()),
        },
    )?;
    t.scan_return(LabelEntry::Scanned("XX-INCONNU-1"), &IntakeInput::default())?;
    let fee = FeeChangeRequest {
        label: cancelled.clone(),
        payer: Liability::Seller,
        note: "annonce trompeuse : la photo ne correspond pas".into(),
    };
    t.confirm_fee_change_as_courier(&fee)?;
    t.change_fee(&fee)?;
    t.confirm_day_close_as_courier()?;
    t.close_day(Some("colis restés dans le véhicule, retour demain matin"))?;

    // The exports.
    let store = t.store();
    let signer = DeviceKey::load(&day.dir.key())?;
    let key = signer.public_key();
    let offset = DayWindow::parse("1970-01-01", utc_offset)?.utc_offset_min;
    let events = store.events(1, u32::MAX)?;
    let closed_at = events
        .last()
        .map(|e| e.body.clock.device_utc_ms)
        .ok_or_else(|| anyhow!("the sample day recorded nothing"))?;
    let window = DayWindow::containing(closed_at, offset);
    let names = Names {
        courier: Some(courier.to_owned()),
        supervisor: None,
    };
    let report = export::day_report_of(store, &key, &window, &names)?;
    export::csv::write_csv(&report, &out.join("day.csv"))?;
    export::day_sheet_pdf::write_day_sheet(&report, &out.join("day.pdf"))?;
    export::day_report_json::write_signed_json(report, &signer, &out.join("day.json"))?;
    let mut lines = Vec::new();
    for e in &events {
        serde_json::to_writer(&mut lines, e)?;
        lines.write_all(b"\n")?;
    }
    std::fs::write(out.join("events.jsonl"), lines)?;
    std::fs::write(out.join("device_key.txt"), format!("{}\n", key.to_hex()))?;
    Ok(())
}
