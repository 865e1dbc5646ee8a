//! The timeline of a dispute pack in plain words: one row per event, in the
//! order of the signed times, with the local time and its UTC offset, the
//! place with its accuracy, who acted, what happened, which code check
//! passed and what the buyer was offered; as HTML (right to left in
//! Arabic). The PDF draws the same rows ([`super::timeline_pdf`]).

use courier_protocol::day_window::DayWindow;
use courier_protocol::envelope::{FixRecord, SignedEvent};

use super::evidence::Evidence;
use super::timeline_words::TimelineLang;

/// Metres of position error per unit of HDOP (a usual rough user range
/// error for single-frequency GNSS): accuracy is shown as HDOP × this.
const METRES_PER_HDOP: u32 = 5;

/// One event, as people read it.
#[derive(Debug, Clone)]
pub struct TimelineRow {
    /// Local time with its UTC offset.
    pub time: String,
    /// Who acted.
    pub who: String,
    /// What happened.
    pub what: String,
    /// Where, with the accuracy.
    pub place: String,
    /// The code check, what the buyer was offered, reasons, payer, photos.
    pub details: Vec<String>,
}

/// The heading lines: order, parcels, amounts, addresses, devices.
pub fn heading(ev: &Evidence, lang: TimelineLang, offset_min: i32) -> Vec<String> {
    let w = |k: &str| lang.word(k);
    let at = |ms: i64| DayWindow::containing(ms, offset_min).format_time(ms);
    let mut lines = Vec::new();
    let mut seen = Vec::new();
    for m in &ev.manifests {
        if seen.contains(&m.parcel.parcel_id) {
            continue;
        }
        seen.push(m.parcel.parcel_id.clone());
        let p = &m.parcel;
        lines.push(format!(
            "{} {} ({}) · {} {}.{:02} {} · {} {}, {}",
            w("parcel"),
            p.label,
            p.parcel_id,
            w("amount"),
            p.amount_minor / 100,
            p.amount_minor.rem_euclid(100),
            p.currency,
            w("buyer_address"),
            p.address.text,
            p.address.city
        ));
    }
    for d in &ev.devices {
        lines.push(format!(
            "{} {} ({}) · {} {} · {} {}",
            w("device"),
            d.device_id,
            d.hardware_label,
            w("enrolled"),
            at(d.enrolled_at_ms),
            w("key"),
            d.public_key
        ));
    }
    lines.push(format!("{} {}", w("checkpoint"), ev.tree_size));
    lines
}

/// The rows, by signed time.
pub fn rows(ev: &Evidence, lang: TimelineLang, offset_min: i32) -> Vec<TimelineRow> {
    let mut events: Vec<&SignedEvent> = ev.events.iter().collect();
    events.sort_by_key(|e| {
        (
            e.body.signed_time_ms(),
            e.body.device_id.clone(),
            e.body.seq,
        )
    });
    events
        .into_iter()
        .map(|e| row(e, lang, offset_min))
        .collect()
}

fn code(v: impl serde::Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn row(e: &SignedEvent, lang: TimelineLang, offset_min: i32) -> TimelineRow {
    let w = |k: &str| lang.word(k);
    let b = &e.body;
    let ms = b.signed_time_ms();
    let mut what = w(&code(&b.kind));
    if let Some(o) = &b.outcome {
        what = format!("{what}: {}", w(&code(o)));
    }
    let mut details = Vec::new();
    if let Some(r) = &b.reason {
        details.push(format!("{}: {}", w("reason"), w(&code(r))));
    }
    if let Some(l) = &b.liability {
        details.push(format!("{} {}", w("payer"), w(&code(l))));
    }
    if let Some(v) = &b.verification {
        details.push(format!(
            "{}: {}, {}, {} ({} {} {} {})",
            w("code_check"),
            w(&code(&v.entry)),
            w(&code(&v.check)),
            w(&code(&v.result)),
            w("try"),
            v.attempt,
            w("of"),
            v.attempt_limit
        ));
    }
    match b.inspection_offered {
        Some(true) => details.push(w("inspection_yes")),
        Some(false) => details.push(w("inspection_no")),
        None => {}
    }
    if let Some(c) = b.detail.get("channel") {
        details.push(format!("{} {}", w("channel"), w(c)));
    }
    if let Some(n) = b.detail.get("note") {
        details.push(format!("« {n} »"));
    }
    if !b.photos.is_empty() {
        let names: Vec<&str> = b
            .photos
            .iter()
            .map(|p| p.sha256.get(..12).unwrap_or(&p.sha256))
            .collect();
        details.push(format!(
            "{} {}: {}",
            b.photos.len(),
            w("photos"),
            names.join(", ")
        ));
    }
    let mut who = format!("{} {}", w("courier"), b.device_id);
    if let Some(s) = &b.supervisor {
        who = format!(
            "{who} · {} {} ({})",
            w("supervisor"),
            s.supervisor_id,
            code(&s.factor)
        );
    }
    let place = match (&b.position.fix, &b.position.last_fix) {
        (Some(f), _) => fix_text(f, lang),
        (None, Some(f)) => format!(
            "{}; {} {} {}: {}",
            w("no_fix"),
            w("last_fix"),
            f.age_ms / 1000,
            w("seconds"),
            fix_text(f, lang)
        ),
        (None, None) => w("no_fix"),
    };
    TimelineRow {
        time: DayWindow::containing(ms, offset_min).format_time(ms),
        who,
        what: format!("{what} (#{})", b.seq),
        place,
        details,
    }
}

fn fix_text(f: &FixRecord, lang: TimelineLang) -> String {
    let deg = |e7: i64| {
        let sign = if e7 < 0 { "-" } else { "" };
        let a = e7.unsigned_abs();
        format!("{sign}{}.{:07}", a / 10_000_000, a % 10_000_000)
    };
    let accuracy = f
        .hdop_centi
        .map(|h| {
            let dm = h * METRES_PER_HDOP / 10;
            format!(", {}{}.{} m", lang.word("accuracy"), dm / 10, dm % 10)
        })
        .unwrap_or_default();
    format!("{}, {}{}", deg(f.lat_e7), deg(f.lon_e7), accuracy)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The timeline as one HTML page (no script, no outside resource).
pub fn html(ev: &Evidence, lang: TimelineLang, offset_min: i32, made_at_ms: i64) -> String {
    let w = |k: &str| lang.word(k);
    let dir = if lang.rtl() { "rtl" } else { "ltr" };
    let mut out = format!(
        "<!doctype html>\n<html lang=\"{}\" dir=\"{dir}\"><head><meta charset=\"utf-8\"><title>{} {}</title>\n\
<style>body{{font-family:'Noto Sans','Noto Sans Arabic',sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}\
td,th{{border:1px solid #999;padding:.3em;vertical-align:top;text-align:start}}bdi{{unicode-bidi:isolate}}</style></head><body>\n",
        lang.code(),
        escape(&w("title")),
        escape(&ev.order_ref)
    );
    out += &format!(
        "<h1>{} <bdi>{}</bdi></h1>\n<p>{}</p>\n<p>{} <bdi dir=\"ltr\">{}</bdi></p>\n<ul>\n",
        escape(&w("title")),
        escape(&ev.order_ref),
        escape(&w("intro")),
        escape(&w("generated")),
        DayWindow::containing(made_at_ms, offset_min).format_time(made_at_ms)
    );
    for l in heading(ev, lang, offset_min) {
        out += &format!("<li><bdi>{}</bdi></li>\n", escape(&l));
    }
    out += &format!(
        "</ul>\n<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>\n",
        escape(&w("time")),
        escape(&w("who")),
        escape(&w("what")),
        escape(&w("where"))
    );
    for r in rows(ev, lang, offset_min) {
        let details: String = r
            .details
            .iter()
            .map(|d| format!("<br><bdi>{}</bdi>", escape(d)))
            .collect();
        out += &format!(
            "<tr><td><bdi dir=\"ltr\">{}</bdi></td><td><bdi>{}</bdi></td><td>{}{}</td><td><bdi dir=\"ltr\">{}</bdi></td></tr>\n",
            escape(&r.time),
            escape(&r.who),
            escape(&r.what),
            details,
            escape(&r.place)
        );
    }
    out += "</table>\n</body></html>\n";
    out
}
