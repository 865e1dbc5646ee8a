//! The printable day sheet (A4 PDF) the courier and the supervisor sign at the
//! depot: both names, the totals, one line per parcel, the day-close event's
//! hash with its QR code (so the paper points to the signed evidence), and two
//! boxes for handwritten signatures. Labels in French; times in the report's
//! UTC offset, stated on the sheet.

use std::path::Path;

use courier_protocol::day_report_words::{
    condition_fr, kind_fr, payer_fr, reason_fr, result_fr, return_status_fr,
};
use courier_protocol::rules::day_report::{DayReport, DayRow, ReturnStatus};
use courier_protocol::rules::returns::{PayerWhy, ReturnItem};
use courier_protocol::vocabulary::Outcome;
use pdf_writer::Content;
use qrcode::{Color, QrCode};

use super::{ExportError, write_file};
use courier_pdf_text::{PAGE_H, PAGE_W, PdfFonts, Weight, a4_document};

const MARGIN: f32 = 36.0;
const TABLE_SIZE: f32 = 7.5;

/// The table's columns: header and width in points (the page's width less margins).
const COLUMNS: [(&str, f32); 9] = [
    ("N°", 16.0),
    ("Étiquette", 64.0),
    ("Commande", 52.0),
    ("Type", 46.0),
    ("Résultat (motif)", 110.0),
    ("Frais payés par", 58.0),
    ("Retour au dépôt", 62.0),
    ("État à la réception", 50.0),
    ("Heures", 65.28),
];
const LINE_H: f32 = 8.6;

/// Writes the day sheet.
pub fn write_day_sheet(report: &DayReport, path: &Path) -> Result<(), ExportError> {
    write_file(path, &day_sheet(report)?)
}

/// The day sheet as PDF bytes.
pub fn day_sheet(report: &DayReport) -> Result<Vec<u8>, ExportError> {
    let mut fonts = PdfFonts::new().map_err(|e| ExportError::Encode(e.to_string()))?;
    let mut pages: Vec<Content> = Vec::new();
    let mut c = Content::new();
    let mut y = header(&mut c, &mut fonts, report)?;
    y = table_header(&mut c, &mut fonts, y);
    for (n, row) in report.rows.iter().enumerate() {
        let cells = row_cells(&mut fonts, report, n + 1, row);
        let height = row_height(&cells);
        if y - height < MARGIN + 30.0 {
            pages.push(std::mem::replace(&mut c, Content::new()));
            y = table_header(&mut c, &mut fonts, PAGE_H - MARGIN);
        }
        y = table_row(&mut c, &mut fonts, row, &cells, y);
    }
    if report.rows.is_empty() {
        fonts.draw(
            &mut c,
            "Aucun colis pour cette journée.",
            Weight::Regular,
            9.0,
            MARGIN,
            y - 12.0,
        );
        y -= 16.0;
    }
    if y - 150.0 < MARGIN {
        pages.push(std::mem::replace(&mut c, Content::new()));
        y = PAGE_H - MARGIN;
    }
    signatures(&mut c, &mut fonts, report, y - 16.0);
    pages.push(c);

    let title = format!(
        "Feuille de journée {} {}",
        report.device_id, report.day.date
    );
    Ok(a4_document(
        &mut fonts,
        pages,
        |c, fonts, page, total| footer(c, fonts, report, page, total),
        &title,
        "courier-terminal",
    ))
}

/// Title, names, totals and the day close with its QR code; returns where the table starts.
fn header(c: &mut Content, fonts: &mut PdfFonts, r: &DayReport) -> Result<f32, ExportError> {
    let mut y = PAGE_H - MARGIN - 14.0;
    let depot = r.depot.as_deref().unwrap_or("(dépôt inconnu)");
    fonts.draw(
        c,
        &format!("Feuille de journée — {depot}"),
        Weight::Bold,
        16.0,
        MARGIN,
        y,
    );
    y -= 18.0;
    let offset = r.day.offset_text();
    fonts.draw(
        c,
        &format!(
            "Date : {}   ·   heures locales UTC{offset}   ·   terminal : {}   ·   manifeste : {}",
            r.day.date,
            r.device_id,
            r.manifest_version
                .map_or("aucun".to_owned(), |v| format!("v{v}"))
        ),
        Weight::Regular,
        9.0,
        MARGIN,
        y,
    );
    y -= 22.0;
    let qr_size = 104.0;
    let text_right = PAGE_W - MARGIN - qr_size - 12.0;
    for (label, name) in [
        ("Livreur : ", &r.courier),
        ("Superviseur : ", &r.supervisor),
    ] {
        fonts.draw(c, label, Weight::Bold, 11.0, MARGIN, y);
        let x = MARGIN + fonts.width(label, Weight::Bold, 11.0);
        let name = name.as_deref().unwrap_or("________________________");
        let name = fonts.fit(name, Weight::Regular, 11.0, text_right - x);
        fonts.draw(c, &name, Weight::Regular, 11.0, x, y);
        y -= 16.0;
    }
    y -= 4.0;

    // Totals.
    let t = &r.totals;
    let failed: u32 = t.failed.values().sum();
    let lines = [
        format!(
            "Colis : {}   ·   livrés : {}   ·   échecs : {}   ·   retirés : {}   ·   bloqués : {}   ·   non tentés : {}",
            t.parcels, t.delivered, failed, t.withdrawn, t.locked, t.not_attempted
        ),
        format!(
            "Attendus au dépôt : {}   ·   reçus : {}   ·   manquants : {}   ·   inattendus : {}   ·   frais changés : {}",
            t.expected_back, t.returned_in, t.missing, t.unexpected, t.fee_changes
        ),
    ];
    fonts.draw(c, "Totaux", Weight::Bold, 10.0, MARGIN, y);
    y -= 14.0;
    for line in &lines {
        fonts.draw(c, line, Weight::Regular, 9.0, MARGIN, y);
        y -= 12.0;
    }
    if failed > 0 {
        let causes: Vec<String> = t
            .failed
            .iter()
            .map(|(code, n)| {
                let words = Outcome::parse(code).map_or(code.as_str(), |o| {
                    courier_protocol::day_report_words::outcome_fr(o)
                });
                format!("{words} : {n}")
            })
            .collect();
        let text = format!("Échecs par cause : {}", causes.join("   ·   "));
        for line in fonts.wrap(&text, Weight::Regular, 9.0, text_right - MARGIN, 4) {
            fonts.draw(c, &line, Weight::Regular, 9.0, MARGIN, y);
            y -= 12.0;
        }
    }
    y -= 6.0;

    // The day close and its QR code, top right.
    let qr_top = PAGE_H - MARGIN - 30.0;
    match &r.day_closed {
        Some(close) => {
            let code = QrCode::new(close.hash.as_bytes())
                .map_err(|e| ExportError::Encode(format!("QR code of the day close: {e}")))?;
            draw_qr(
                c,
                &code,
                PAGE_W - MARGIN - qr_size,
                qr_top - qr_size,
                qr_size,
            );
            fonts.draw(
                c,
                &format!(
                    "Journée clôturée le {}{} — événement n° {}",
                    r.day.format_time(close.at_ms),
                    if close.forced {
                        " (clôture forcée)"
                    } else {
                        ""
                    },
                    close.seq
                ),
                Weight::Bold,
                9.0,
                MARGIN,
                y,
            );
            y -= 12.0;
            if !close.matches_log {
                c.set_fill_rgb(0.75, 0.0, 0.0);
                fonts.draw(
                    c,
                    "ATTENTION : les totaux enregistrés à la clôture diffèrent de ceux du journal.",
                    Weight::Bold,
                    9.0,
                    MARGIN,
                    y,
                );
                c.set_fill_rgb(0.0, 0.0, 0.0);
                y -= 12.0;
            }
            if let Some(reason) = &close.reason {
                let line = fonts.fit(
                    &format!("Motif de la clôture forcée : {reason}"),
                    Weight::Regular,
                    9.0,
                    PAGE_W - 2.0 * MARGIN,
                );
                fonts.draw(c, &line, Weight::Regular, 9.0, MARGIN, y);
                y -= 12.0;
            }
            fonts.draw(
                c,
                &format!(
                    "Empreinte SHA-256 de l'événement de clôture (QR) : {}",
                    close.hash
                ),
                Weight::Regular,
                7.5,
                MARGIN,
                y,
            );
            y -= 10.0;
        }
        None => {
            c.set_fill_rgb(0.75, 0.0, 0.0);
            fonts.draw(
                c,
                "Journée NON clôturée sur le terminal : pas d'empreinte de clôture à signer.",
                Weight::Bold,
                9.0,
                MARGIN,
                y,
            );
            c.set_fill_rgb(0.0, 0.0, 0.0);
            y -= 12.0;
        }
    }
    if let Some(head) = &r.head {
        fonts.draw(
            c,
            &format!(
                "Dernier événement de la journée : n° {}, empreinte {}",
                head.seq, head.hash
            ),
            Weight::Regular,
            7.5,
            MARGIN,
            y,
        );
        y -= 10.0;
    }
    let y = y.min(qr_top - qr_size - 8.0) - 4.0;
    fonts.draw(
        c,
        &format!(
            "Heures locales (UTC{offset}) : arr. = arrivée à l'adresse, rés. = résultat enregistré, reçu = reçu au dépôt. Lignes en rouge : manquant ou inattendu."
        ),
        Weight::Regular,
        7.0,
        MARGIN,
        y,
    );
    Ok(y - 8.0)
}

fn draw_qr(c: &mut Content, code: &QrCode, x: f32, y: f32, size: f32) {
    let n = code.width();
    let quiet = 2;
    let module = size / (n + 2 * quiet) as f32;
    c.set_fill_rgb(1.0, 1.0, 1.0);
    c.rect(x, y, size, size);
    c.fill_nonzero();
    c.set_fill_rgb(0.0, 0.0, 0.0);
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == Color::Dark {
            let (col, row) = (i % n, i / n);
            c.rect(
                x + (col + quiet) as f32 * module,
                y + size - (row + quiet + 1) as f32 * module,
                module,
                module,
            );
        }
    }
    c.fill_nonzero();
}

fn row_height(cells: &[Vec<String>]) -> f32 {
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1);
    lines as f32 * LINE_H + 5.0
}

fn draw_cells(
    c: &mut Content,
    fonts: &mut PdfFonts,
    cells: &[Vec<String>],
    weight: Weight,
    top: f32,
) {
    let mut x = MARGIN;
    for (lines, (_, w)) in cells.iter().zip(COLUMNS) {
        for (i, line) in lines.iter().enumerate() {
            let y = top - 3.0 - (i as f32 + 1.0) * LINE_H + 1.8;
            fonts.draw(c, line, weight, TABLE_SIZE, x + 2.0, y);
        }
        x += w;
    }
}

fn table_header(c: &mut Content, fonts: &mut PdfFonts, y: f32) -> f32 {
    let cells: Vec<Vec<String>> = COLUMNS
        .iter()
        .map(|(title, w)| fonts.wrap(title, Weight::Bold, TABLE_SIZE, w - 4.0, 2))
        .collect();
    let h = row_height(&cells);
    c.set_fill_rgb(0.88, 0.88, 0.88);
    c.rect(MARGIN, y - h, PAGE_W - 2.0 * MARGIN, h);
    c.fill_nonzero();
    c.set_fill_rgb(0.0, 0.0, 0.0);
    draw_cells(c, fonts, &cells, Weight::Bold, y);
    y - h
}

/// A row's cells, each wrapped to its column (at most four lines).
fn row_cells(fonts: &mut PdfFonts, r: &DayReport, n: usize, row: &DayRow) -> Vec<Vec<String>> {
    let result = match (row.reason, row.item) {
        (Some(reason), ReturnItem::Parcel | ReturnItem::OrderParcel) if row.handover.is_none() => {
            format!("{} ({})", result_fr(row), reason_fr(reason))
        }
        _ => result_fr(row),
    };
    let clock = |t: i64| r.day.format_clock(t);
    let mut condition = row
        .intake
        .as_ref()
        .map_or("–", |i| condition_fr(i.condition))
        .to_owned();
    if let Some(note) = row
        .intake
        .as_ref()
        .and_then(|i| i.condition_note.as_deref())
    {
        condition = format!("{condition} : {note}");
    }
    let label = match row.item {
        ReturnItem::CollectedItem => format!("{} (article collecté)", row.label),
        ReturnItem::OrderParcel => format!("{} (colis de la commande)", row.label),
        ReturnItem::Parcel => row.label.clone(),
    };
    let texts: [String; 8] = [
        n.to_string(),
        label,
        row.order_ref.clone().unwrap_or_default(),
        row.kind.map(kind_fr).unwrap_or_default().to_owned(),
        result,
        row.return_fees
            .as_ref()
            .map_or("–".to_owned(), |f| match f.why {
                PayerWhy::Changed { .. } => format!("{} (changé au dépôt)", payer_fr(f.payer)),
                _ => payer_fr(f.payer).to_owned(),
            }),
        return_status_fr(row.return_status).to_owned(),
        condition,
    ];
    let mut cells: Vec<Vec<String>> = texts
        .iter()
        .zip(COLUMNS)
        .map(|(t, (_, w))| fonts.wrap(t, Weight::Regular, TABLE_SIZE, w - 4.0, 4))
        .collect();
    // The photos its events sign: the start of each SHA-256, one a line
    // (the whole hashes are in the JSON report).
    if let Some(cell) = cells.last_mut() {
        cell.extend(
            row.photos
                .iter()
                .map(|h| format!("photo {}", h.get(..16).unwrap_or(h))),
        );
    }
    // Times: one line each, only those recorded.
    let times: Vec<String> = [
        ("arr.", row.arrived_ms),
        ("rés.", row.outcome_ms),
        (
            "reçu",
            row.intake
                .as_ref()
                .map(|i| i.at_ms)
                .or(row.unexpected.as_ref().map(|u| u.at_ms)),
        ),
    ]
    .into_iter()
    .filter_map(|(what, ms)| ms.map(|t| format!("{what} {}", clock(t))))
    .collect();
    cells.push(if times.is_empty() {
        vec!["–".to_owned()]
    } else {
        times
    });
    cells
}

fn table_row(
    c: &mut Content,
    fonts: &mut PdfFonts,
    row: &DayRow,
    cells: &[Vec<String>],
    y: f32,
) -> f32 {
    let h = row_height(cells);
    let alarm = matches!(
        row.return_status,
        ReturnStatus::Missing | ReturnStatus::Unexpected
    );
    if alarm {
        c.set_fill_rgb(1.0, 0.92, 0.92);
        c.rect(MARGIN, y - h, PAGE_W - 2.0 * MARGIN, h);
        c.fill_nonzero();
        c.set_fill_rgb(0.0, 0.0, 0.0);
    }
    draw_cells(c, fonts, cells, Weight::Regular, y);
    c.set_stroke_rgb(0.8, 0.8, 0.8);
    c.set_line_width(0.4);
    c.move_to(MARGIN, y - h);
    c.line_to(PAGE_W - MARGIN, y - h);
    c.stroke();
    y - h
}

fn signatures(c: &mut Content, fonts: &mut PdfFonts, r: &DayReport, top: f32) {
    fonts.draw(
        c,
        "Nous certifions l'exactitude de cette feuille (retours reçus, manquants et frais de retour).",
        Weight::Regular,
        8.5,
        MARGIN,
        top,
    );
    let w = (PAGE_W - 2.0 * MARGIN - 20.0) / 2.0;
    let h = 90.0;
    let box_top = top - 10.0;
    for (i, (title, name)) in [
        ("Signature du livreur", &r.courier),
        ("Signature du superviseur", &r.supervisor),
    ]
    .into_iter()
    .enumerate()
    {
        let x = MARGIN + i as f32 * (w + 20.0);
        c.set_stroke_rgb(0.0, 0.0, 0.0);
        c.set_line_width(0.8);
        c.rect(x, box_top - h, w, h);
        c.stroke();
        fonts.draw(c, title, Weight::Bold, 9.0, x + 6.0, box_top - 13.0);
        let name = name.as_deref().unwrap_or("Nom : ______________________");
        let name = fonts.fit(name, Weight::Regular, 9.0, w - 12.0);
        fonts.draw(c, &name, Weight::Regular, 9.0, x + 6.0, box_top - 26.0);
        fonts.draw(
            c,
            "Date et heure : ____________",
            Weight::Regular,
            8.0,
            x + 6.0,
            box_top - h + 8.0,
        );
    }
}

fn footer(c: &mut Content, fonts: &mut PdfFonts, r: &DayReport, page: usize, total: usize) {
    let text = format!(
        "Page {page}/{total}   ·   {} · {}   ·   le rapport JSON signé par le terminal fait foi ; le QR code renvoie à l'événement de clôture signé",
        r.device_id, r.day.date
    );
    let text = fonts.fit(&text, Weight::Regular, 7.0, PAGE_W - 2.0 * MARGIN);
    fonts.draw(c, &text, Weight::Regular, 7.0, MARGIN, MARGIN - 14.0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use courier_protocol::day_window::DayWindow;
    use courier_protocol::rules::day_report::{DAY_REPORT_SCHEMA, ReportTotals};

    fn row(n: u32) -> DayRow {
        DayRow {
            handover: Default::default(),
            label: format!("DZ{n:08}"),
            item: ReturnItem::Parcel,
            parcel_id: Some(format!("P{n}")),
            order_ref: Some(format!("CMD-{n}")),
            kind: None,
            route_order: Some(n),
            outcome: None,
            reason: None,
            withdrawn: false,
            code_tries: 0,
            collected_label: None,
            expected_because: None,
            return_fees: None,
            return_status: ReturnStatus::Missing,
            intake: None,
            unexpected: None,
            arrived_ms: None,
            outcome_ms: None,
            photos: Vec::new(),
        }
    }

    #[test]
    fn a_long_day_runs_over_several_pages() {
        let report = DayReport {
            schema: DAY_REPORT_SCHEMA.into(),
            device_id: "CT-1".into(),
            depot: Some("Oran".into()),
            day: DayWindow::parse("2026-11-25", "+01:00").expect("day"),
            manifest_version: Some(1),
            courier: Some("كريم".into()),
            supervisor: None,
            since_seq: 0,
            rows: (1..=120).map(row).collect(),
            totals: ReportTotals::default(),
            head: None,
            day_closed: None,
        };
        let pdf = day_sheet(&report).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        let count = text
            .split("/Count ")
            .nth(1)
            .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse::<usize>().ok())
            .expect("page count");
        assert!(count >= 3, "120 lines need several pages, got {count}");
    }
}
