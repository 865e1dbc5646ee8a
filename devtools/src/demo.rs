//! `courier-terminal demo`: the whole system on one machine.
//!
//! Starts the reference escrow server on loopback, enrolls a fresh device,
//! issues it the sample day (40 parcels in Algiers, one withdrawn), replays a GNSS
//! route through a pseudo-terminal into the real serial reader, connects the
//! scanner simulator the same way, runs background sync, and opens the app. With
//! no display it runs a scripted doorstep round headless and prints each step.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result};
use courier_protocol::api::{CreateOrderRequest, IssueManifestRequest};
use courier_protocol::keys::{generate_pkcs8, keypair_from_pkcs8};
use courier_protocol::rules::LoadVerdict;
use courier_protocol::rules::operator_role::DepotScope;
use courier_protocol::vocabulary::{CodePolicy, Outcome, ParcelKind, Reason, SupervisorFactor};
use courier_terminal::assembly::{DeviceConfig, PositionInput, ScannerInput};
use courier_terminal::clock::{Clock, SystemClock};
use courier_terminal::domain::code_check::CodeVerdict;
use courier_terminal::domain::parcel::Parcel;
use courier_terminal::position_source::NoPosition;
use courier_terminal::storage::{Reads, Store};
use courier_terminal::sync::TlsTrust;
use courier_terminal::sync::background::Schedule;
use courier_terminal::sync::enrollment::enroll;
use courier_terminal::sync::run_once::{RunOptions, run_once};
use courier_terminal::terminal::{
    CodeAnswer, CodeEntry, ContactChannel, DataDir, LabelEntry, OrderDoor, SignInAnswer,
    SupervisorEntry, Terminal, TerminalError, verify_log,
};
use escrow_reference_server::faults::Faults;
use escrow_reference_server::{AppState, Database, ServerConfig, admin, start, system_clock};
use firmware_bridge::scanner_framing::Terminator;
use firmware_bridge::simulator::gnss_sim::{GnssSim, GnssSimConfig};
use firmware_bridge::simulator::scanner_sim::ScannerSim;

use crate::demo_route::route_nmea;
use crate::sample_day::{DEMO_SECRET, SampleCode, SampleSpec, sample_day, sample_supervisor};

/// Options of `demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Work directory (device data, server database); a fresh temporary one if absent.
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Run the scripted doorstep round even if a display is available.
    #[arg(long)]
    pub headless: bool,
    /// Language of the screens: fr, ar or en.
    #[arg(long, default_value = "fr")]
    pub lang: String,
    /// Parcels in the sample day.
    #[arg(long, default_value_t = 40)]
    pub parcels: usize,
    /// After the round, write the dispute pack of the parcel refused after
    /// inspection into this directory (implies --headless).
    #[arg(long)]
    pub dispute_pack: Option<PathBuf>,
}

/// Algiers' offset from UTC, minutes: the demo pack's timeline is told in it.
const ALGIERS_UTC_OFFSET_MIN: i32 = 60;

const DEMO_ITERATIONS: u32 = 100_000;
/// Route position of the sample day's order of two parcels under one code.
const DEMO_TWO_PARCEL_ORDER: u32 = 2;

/// Runs the demo; returns the exit code.
pub fn run(args: &DemoArgs) -> Result<u8> {
    let work = match &args.work_dir {
        Some(w) => w.clone(),
        None => std::env::temp_dir().join(format!("courier-demo-{}", std::process::id())),
    };
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("cannot clear {}", work.display()))?;
    }
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    println!("demo work directory: {}", work.display());
    let dir = DataDir(work.join("device"));

    // 1. The reference escrow server, on loopback, in its own runtime thread.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("cannot start the server runtime")?;
    let state = runtime.block_on(AppState::open(
        &ServerConfig {
            database: Database::Sqlite(work.join("server.db")),
            admin_token: None,
            clock: system_clock(),
            password_cost: escrow_reference_server::back_office::PasswordCost::default(),
        },
        Arc::new(Faults::default()),
    ))?;
    let server = runtime.block_on(start(state.clone(), ([127, 0, 0, 1], 0).into()))?;
    let url = server.url();
    println!("escrow server:       {url}");

    // 2. The sample day's orders, with codes from the public demo secret.
    let template = sample_day(
        &SampleSpec {
            device_id: "template",
            version: 1,
            issued_at_ms: 0,
            valid_for_ms: 1,
            parcels: args.parcels,
            iterations: 1,
            withdrawn: &[],
            load_check: true,
            two_parcel_orders: &[DEMO_TWO_PARCEL_ORDER],
        },
        &keypair_from_pkcs8(&generate_pkcs8()?)?,
    )?;
    let mut parcel_ids = Vec::new();
    for p in &template.manifest.body.parcels {
        let created = runtime.block_on(admin::create_order(
            state.store(),
            &CreateOrderRequest {
                order_ref: p.order_ref.clone(),
                label: p.label.clone(),
                kind: p.kind,
                policy: p.policy,
                recipient: p.recipient.clone(),
                address: p.address.clone(),
                amount_minor: p.amount_minor,
                currency: p.currency.clone(),
                collect: p.collect.clone(),
                digits: Some(6),
                iterations: Some(DEMO_ITERATIONS),
                attempt_limit: Some(p.attempt_limit),
                demo_secret: Some(DEMO_SECRET.to_owned()),
                order_parcels: p.order_parcels.clone(),
            },
        ))?;
        parcel_ids.push(created.parcel_id);
    }

    // The depot's supervisor (badge and PIN printed for the tester); the
    // server keeps the keys, its manifests for the depot carry the verifiers.
    let (supervisor, printed) = sample_supervisor(DEMO_ITERATIONS)?;
    let keys: Vec<(SupervisorFactor, [u8; 32])> = [
        (SupervisorFactor::Badge, supervisor.badge_key.as_ref()),
        (SupervisorFactor::Pin, supervisor.pin_key.as_ref()),
    ]
    .into_iter()
    .filter_map(|(f, k)| k.map(|k| (f, *k.as_bytes())))
    .collect();
    runtime.block_on(state.store().put_supervisor(
        "Dépôt Alger-Est",
        &supervisor.credential,
        &keys,
        now_ms(),
    ))?;
    println!(
        "depot supervisor:    {} ({}), PIN {}",
        printed.name, printed.supervisor_id, printed.pin
    );
    println!("supervisor badge:    {}", printed.badge_text);

    // 3. Enroll the device with a one-time token, then issue its manifest.
    let token = runtime
        .block_on(admin::issue_token(state.store(), now_ms()))?
        .token;
    let enrolled = enroll(&dir, &url, &token, "demo handheld")?;
    let withdrawn = parcel_ids.split_off(parcel_ids.len().min(6));
    let (keep, withdrawn) = (
        parcel_ids
            .into_iter()
            .chain(withdrawn.iter().skip(1).cloned())
            .collect::<Vec<_>>(),
        withdrawn.into_iter().take(1).collect::<Vec<_>>(),
    );
    runtime.block_on(admin::issue_manifest(
        state.store(),
        state.key(),
        &IssueManifestRequest {
            device_id: enrolled.device_id.clone(),
            parcel_ids: keep,
            withdrawn,
            depot: "Dépôt Alger-Est".into(),
            valid_for_ms: 18 * 3_600_000,
            // The morning load check: every parcel scanned into the van
            // with the supervisor before it can be delivered.
            load_check: true,
            desks: Default::default(),
            photos: Default::default(),
        },
        now_ms(),
    ))?;

    // 4. The simulators: a GNSS route along the day's addresses at 4800 baud, and
    //    a scanner, each on its own pseudo-terminal.
    let stops: Vec<(f64, f64)> = template
        .manifest
        .body
        .parcels
        .iter()
        .filter_map(|p| {
            Some((
                p.address.lat_e7? as f64 * 1e-7,
                p.address.lon_e7? as f64 * 1e-7,
            ))
        })
        .collect();
    let log = route_nmea(&stops, now_ms() / 1000);
    // One epoch per second of the device's clock: the terminal judges GNSS
    // time against its monotonic clock (docs/gnss.md), and an epoch's bytes
    // take a little more than a second at 4800 baud.
    let epochs = log.matches("RMC,").count().max(1);
    let speedup = log.len() as f64 * 10.0 / 4800.0 / epochs as f64;
    let gnss_sim = GnssSim::start(
        log.as_bytes(),
        GnssSimConfig {
            baud: 4800,
            repeat: true,
            speedup,
            ..GnssSimConfig::default()
        },
    )?;
    let scanner_sim = ScannerSim::new()?;
    println!("GNSS simulator:      {} (4800 baud)", gnss_sim.port_path());
    println!("scanner simulator:   {}", scanner_sim.path());
    println!(
        "buyer codes:         cargo run --release -p courier-devtools -- codes   (demo secret: public)"
    );

    // 5. The product, assembled exactly as on a handheld, on the simulators' ports.
    let mut config = DeviceConfig::new(dir.0.clone());
    config.position = PositionInput::SerialGnss {
        port: gnss_sim.port_path().into(),
        baud: 4800,
    };
    config.first_fix_wait = Duration::from_secs(5);
    config.scanner = ScannerInput::Serial {
        port: scanner_sim.path().into(),
        baud: 9600,
        frame_end: Terminator::CrLf,
    };
    config.online_check = true;
    let options = sync_options();
    // The one-shot sync's manifest loader records the manifest with no fix: the
    // serial port belongs to the app's reader.
    let sync_now = || -> Result<()> {
        let r = run_once(&dir, &options, || {
            Ok(Terminal::open(
                &dir,
                Arc::new(SystemClock::new()),
                Arc::new(NoPosition),
            )?)
        })?;
        println!(
            "sync:                {} accepted, {} pending",
            r.upload.accepted, r.upload.pending
        );
        Ok(())
    };
    sync_now()?;
    let headless = args.headless || args.dispute_pack.is_some();
    let code = if !headless && courier_terminal::ui::has_display() {
        config.background_sync = Some(Schedule {
            poll: Duration::from_secs(5),
            manifest_every: Duration::from_secs(60),
        });
        let device = config.assemble()?;
        // Scan the first parcel's label, as a courier would at the van.
        scanner_sim.type_code(Some("]C0"), &template.codes[0].label)?;
        let mut app = courier_terminal::ui::AppConfig::new(device.terminal, device.feeds);
        app.language = courier_terminal::ui::Language::parse(&args.lang)
            .unwrap_or(courier_terminal::ui::Language::Fr);
        courier_terminal::ui::run_app(app)?;
        drop(device.parts);
        0
    } else {
        if !headless {
            println!(
                "no display (neither WAYLAND_DISPLAY nor DISPLAY is set): running a scripted doorstep round instead"
            );
        }
        let mut device = config.assemble()?;
        let scans = device
            .feeds
            .scans
            .take()
            .context("the scanner reader did not start")?;
        morning_load_check(&mut device.terminal, &printed.badge_text)?;
        let code = scripted_round(&mut device.terminal, &template.codes, &scanner_sim, &scans)?;
        drop(device);
        code
    };
    sync_now()?;
    let device_id = terminal_device(&dir)?;
    let stored = runtime
        .block_on(state.store().device_events(device_id.as_str()))?
        .len();
    println!("the escrow server holds {stored} events of this device");
    if let Some(out) = &args.dispute_pack {
        write_refused_pack(&runtime, &state, &device_id, out)?;
    }
    drop(gnss_sim);
    runtime.block_on(server.stop());
    Ok(code)
}

/// Writes the dispute pack of the parcel this device recorded as refused
/// after inspection, as the server makes it (`escrow-server dispute-pack`).
fn write_refused_pack(
    runtime: &tokio::runtime::Runtime,
    state: &AppState,
    device_id: &str,
    out: &std::path::Path,
) -> Result<()> {
    let events = runtime.block_on(state.store().device_events(device_id))?;
    let refused = events
        .iter()
        .find(|e| e.body.outcome == Some(Outcome::RefusedAfterInspection))
        .and_then(|e| e.body.parcel_id.clone())
        .context("the round recorded no refusal after inspection")?;
    let order_ref = runtime
        .block_on(state.store().order(&refused))?
        .context("the refused parcel's order")?
        .spec
        .order_ref;
    let pack = runtime.block_on(escrow_reference_server::dispute_pack::build_for(
        state.store(),
        state.photos(),
        state.key(),
        "courier-devtools demo",
        &order_ref,
        &DepotScope::All,
        ALGIERS_UTC_OFFSET_MIN,
        now_ms(),
    ))?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join(&pack.file_name);
    std::fs::write(&path, &pack.bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "dispute pack:        {} ({} bytes, order {order_ref})",
        path.display(),
        pack.bytes.len()
    );
    Ok(())
}

/// The one-shot sync the demo runs before and after the round.
fn sync_options() -> RunOptions {
    RunOptions {
        server: None,
        deadline: Duration::from_secs(20),
        batch_size: 500,
        request_timeout: Duration::from_secs(5),
        backoff_base_ms: 200,
        no_manifest: false,
        tls: TlsTrust::SystemRoots,
    }
}

fn terminal_device(dir: &DataDir) -> Result<String> {
    Ok(Store::open_read_only(&dir.database())?
        .identity()?
        .map(|i| i.device_id.to_string())
        .unwrap_or_default())
}

/// Now, device clock, Unix ms.
pub fn now_ms() -> i64 {
    SystemClock::new().now().device_utc_ms
}

/// An order of two parcels under one code: both scanned at the door (the
/// second label typed), the buyer keeps one and refuses the other (wrong
/// item: the seller pays its return), the code is given once and the
/// delivery releases the kept parcel's amount only.
fn two_parcel_order(
    t: &mut Terminal,
    order: &Parcel,
    codes: &[SampleCode],
    scanner: &ScannerSim,
    scans: &mpsc::Receiver<String>,
) -> Result<()> {
    let c = codes
        .iter()
        .find(|c| c.label == order.spec.label)
        .context("code of the order")?;
    let labels: Vec<String> = order
        .spec
        .order_labels()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let [kept, refused] = labels.as_slice() else {
        anyhow::bail!("the demo's order has two parcels");
    };
    println!(
        "  order {} ({} parcels, {}): one code for the order",
        order.spec.order_ref,
        labels.len(),
        money(order.spec.amount_minor, &order.spec.currency)
    );
    let at_door = t.arrive_and_offer_inspection(kept);
    say("arrive, the buyer inspects", &event(at_door));
    say(
        "type the code before scanning every parcel",
        &code(t.submit_code(kept, CodeEntry::Keypad(&c.numeric))),
    );
    scanner.type_code(Some("]C0"), kept)?;
    let scanned = scans
        .recv_timeout(Duration::from_secs(5))
        .context("the scanner simulator sent nothing")?;
    say(
        &format!("scan parcel {scanned}"),
        &t.scan_order_parcel(kept, LabelEntry::Scanned(&scanned))
            .map(|a| scanned_text(&a.order)),
    );
    say(
        &format!("type parcel {refused} (label torn)"),
        &t.scan_order_parcel(kept, LabelEntry::Typed(refused))
            .map(|a| scanned_text(&a.order)),
    );
    say(
        &format!("buyer refuses {refused}: wrong item (seller pays)"),
        &event(t.refuse_order_parcel(
            kept,
            refused,
            Outcome::RefusedAfterInspection,
            Some(Reason::WrongItem),
        )),
    );
    let answer = t.submit_code(kept, CodeEntry::Keypad(&c.numeric));
    let released = answer
        .as_ref()
        .ok()
        .and_then(|a| a.event.body.handover.clone());
    say("type the buyer's code", &code(answer));
    if let Some(h) = released {
        println!(
            "  handed over {} and released {} of {}",
            h.labels.join(", "),
            money(h.amount_minor, &order.spec.currency),
            money(order.spec.amount_minor, &order.spec.currency)
        );
    }
    Ok(())
}

fn scanned_text(o: &OrderDoor) -> String {
    let done = o.parcels.iter().filter(|p| p.scanned).count();
    format!("{done} of {} parcels scanned", o.parcels.len())
}

fn money(minor: i64, currency: &str) -> String {
    format!("{}.{:02} {currency}", minor / 100, (minor % 100).abs())
}

fn say(step: &str, r: &std::result::Result<String, TerminalError>) {
    match r {
        Ok(t) => println!("  {step:<44} → {t}"),
        Err(e) => println!("  {step:<44} → REFUSED: {e}"),
    }
}

fn event(
    r: std::result::Result<courier_protocol::envelope::SignedEvent, TerminalError>,
) -> std::result::Result<String, TerminalError> {
    r.map(|e| {
        let pos = match &e.body.position.fix {
            Some(f) => format!(
                "fix {:.5},{:.5}",
                f.lat_e7 as f64 * 1e-7,
                f.lon_e7 as f64 * 1e-7
            ),
            None => "no fix".to_owned(),
        };
        format!("event seq {} ({pos})", e.body.seq)
    })
}

fn code(
    r: std::result::Result<CodeAnswer, TerminalError>,
) -> std::result::Result<String, TerminalError> {
    r.map(|a| match a.verdict {
        CodeVerdict::Delivered => {
            format!("DELIVERED: hand the parcel over (seq {})", a.event.body.seq)
        }
        CodeVerdict::WrongCode { tries_left } => format!("WRONG CODE: {tries_left} tries left"),
        CodeVerdict::Locked => "LOCKED: too many wrong codes".to_owned(),
        CodeVerdict::NeedsNetwork => "NEEDS NETWORK: do not hand over".to_owned(),
    })
}

/// The morning load check, scripted: the depot supervisor signs in with the
/// badge (checked by the escrow server, which issues the session its events
/// are honoured under), every parcel to load is scanned into the van (one
/// label typed, as when a scan fails), a label of another depot raises the
/// alarm, the courier confirms the totals and the supervisor signs them.
fn morning_load_check(t: &mut Terminal, badge: &str) -> Result<()> {
    println!("\nmorning load check at the depot");
    let signed_in = t.supervisor_sign_in(SupervisorEntry::Badge(badge));
    say(
        "supervisor scans the badge",
        &signed_in.map(|a| match a {
            SignInAnswer::SignedIn(s) => format!("signed in: {}", s.name),
            other => format!("{other:?}"),
        }),
    );
    let to_load: Vec<String> = t.load_book()?.lines.into_iter().map(|l| l.label).collect();
    let (mut loaded, mut typed) = (0, 0);
    for (i, label) in to_load.iter().enumerate() {
        let entry = if i == 1 {
            typed += 1;
            LabelEntry::Typed(label)
        } else {
            LabelEntry::Scanned(label)
        };
        match t.scan_load(entry) {
            Ok(a) if matches!(a.verdict, LoadVerdict::Loaded) => loaded += 1,
            Ok(_) => {}
            Err(e) => {
                say(&format!("load {label}"), &Err(e));
                break;
            }
        }
    }
    println!("  {loaded} parcels scanned into the van ({typed} label typed)");
    say(
        "scan a parcel of another depot",
        &t.scan_load(LabelEntry::Scanned("DZ99999999"))
            .map(|a| format!("{:?}", a.verdict)),
    );
    say(
        "courier confirms the totals",
        &event(t.confirm_load_as_courier()),
    );
    say(
        "supervisor signs the load check",
        &event(t.sign_load_check()),
    );
    t.supervisor_sign_out();
    Ok(())
}

/// A scripted doorstep round through the real terminal service.
fn scripted_round(
    t: &mut Terminal,
    codes: &[SampleCode],
    scanner: &ScannerSim,
    scans: &mpsc::Receiver<String>,
) -> Result<u8> {
    let parcels = t.parcels()?;
    let find = |pred: &dyn Fn(&Parcel) -> bool| parcels.iter().find(|p| pred(p)).cloned();
    let code_of = |label: &str| codes.iter().find(|c| c.label == label).cloned();
    let plain = |p: &Parcel| {
        p.spec.kind == ParcelKind::Delivery
            && p.spec.policy == CodePolicy::OfflineAllowed
            && !p.spec.withdrawn
    };

    println!("\nscripted doorstep round");
    if let Some(first) = find(&plain) {
        scanner.type_code(Some("]C0"), &first.spec.label)?;
        let scanned = scans
            .recv_timeout(Duration::from_secs(5))
            .context("the scanner simulator sent nothing")?;
        println!(
            "  scanner read label {scanned}: opening {} for {}",
            first.spec.order_ref, first.spec.recipient.name
        );
        let c = code_of(&first.spec.label).context("code of the first parcel")?;
        say("arrive", &event(t.arrive(&scanned)));
        say("offer inspection", &event(t.offer_inspection(&scanned)));
        let wrong = if c.numeric == "000000" {
            "999999"
        } else {
            "000000"
        };
        say(
            &format!("type a wrong code {wrong}"),
            &code(t.submit_code(&scanned, CodeEntry::Keypad(wrong))),
        );
        say(
            "type the buyer's code",
            &code(t.submit_code(&scanned, CodeEntry::Keypad(&c.numeric))),
        );
    }
    let done = |p: &Parcel| p.attempts_spent > 0 || p.visit.is_some();
    if let Some(second) = parcels
        .iter()
        .filter(|p| plain(p) && !done(p))
        .nth(1)
        .cloned()
    {
        let c = code_of(&second.spec.label).context("code")?;
        println!(
            "  parcel {} ({}): buyer scans the QR from the e-mail",
            second.spec.label, second.spec.order_ref
        );
        scanner.type_code(Some("]Q1"), &c.qr)?;
        let qr = scans
            .recv_timeout(Duration::from_secs(5))
            .context("the scanner simulator sent nothing")?;
        say(
            "scan the buyer's QR",
            &code(t.submit_code(&second.spec.label, CodeEntry::Qr(&qr))),
        );
    }
    if let Some(order) = find(&|p| p.spec.has_several_parcels() && !p.spec.withdrawn) {
        two_parcel_order(t, &order, codes, scanner, scans)?;
    }
    if let Some(third) = parcels.iter().filter(|p| plain(p)).nth(3).cloned() {
        println!(
            "  parcel {} ({}): the buyer inspects and refuses",
            third.spec.label, third.spec.order_ref
        );
        say("arrive", &event(t.arrive(&third.spec.label)));
        say(
            "refuse without inspection",
            &event(t.record_outcome(
                &third.spec.label,
                Outcome::RefusedAfterInspection,
                Some(Reason::Damaged),
                None,
            )),
        );
        say(
            "offer inspection",
            &event(t.offer_inspection(&third.spec.label)),
        );
        say(
            "refused after inspection: damaged (seller pays)",
            &event(t.record_outcome(
                &third.spec.label,
                Outcome::RefusedAfterInspection,
                Some(Reason::Damaged),
                Some("écran fissuré"),
            )),
        );
    }
    if let Some(fourth) = parcels.iter().filter(|p| plain(p)).nth(4).cloned() {
        println!(
            "  parcel {} ({}): nobody answers",
            fourth.spec.label, fourth.spec.order_ref
        );
        say("arrive", &event(t.arrive(&fourth.spec.label)));
        say(
            "call the buyer",
            &event(t.contact(&fourth.spec.label, ContactChannel::Call)),
        );
        say(
            "record no answer at once",
            &event(t.record_outcome(
                &fourth.spec.label,
                Outcome::NoAnswer,
                Some(Reason::Absent),
                None,
            )),
        );
    }
    if let Some(online) =
        find(&|p| p.spec.policy == CodePolicy::OnlineOnly && p.spec.kind == ParcelKind::Delivery)
    {
        let c = code_of(&online.spec.label).context("code")?;
        println!(
            "  parcel {} ({}): online-only, checked by the server",
            online.spec.label, online.spec.order_ref
        );
        say(
            "type the buyer's code",
            &code(t.submit_code(&online.spec.label, CodeEntry::Keypad(&c.numeric))),
        );
    }
    if let Some(w) = find(&|p| p.spec.withdrawn) {
        let c = code_of(&w.spec.label).context("code")?;
        println!(
            "  parcel {} ({}): withdrawn by the server",
            w.spec.label, w.spec.order_ref
        );
        say(
            "type the buyer's code anyway",
            &code(t.submit_code(&w.spec.label, CodeEntry::Keypad(&c.numeric))),
        );
    }
    let book = t.day_book()?;
    println!(
        "\nexpected back at the depot: {} ({})",
        book.lines.len(),
        book.lines
            .iter()
            .map(|l| l.label.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let s = t.status()?;
    println!(
        "\nday so far: {} parcels, {} delivered, {} to do, {} not delivered; {} events, {} waiting to sync",
        s.counts.total,
        s.counts.delivered,
        s.counts.to_do,
        s.counts.not_delivered(),
        s.events,
        s.pending_sync
    );
    let report = verify_log(t.store(), &t.public_key())?;
    println!(
        "evidence log: {} events, signatures and chain verify",
        report.events
    );
    Ok(0)
}
