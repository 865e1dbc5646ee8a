//! A day report as CSV: one row per parcel (RFC 4180, UTF-8 with a byte-order
//! mark so spreadsheet programs read Arabic and accents right), French
//! headers and words, the protocol codes beside them, and every time written
//! with its UTC offset (`2026-11-25T10:14:03+01:00`).

use crate::day_report_words::{
    condition_fr, fee_why_fr, item_fr, kind_fr, payer_fr, reason_fr, result_fr, return_status_fr,
};
use crate::rules::day_report::{DayReport, DayRow};

/// The header row.
pub const CSV_HEADERS: [&str; 23] = [
    "Terminal",
    "Date",
    "Étiquette",
    "Article",
    "Commande",
    "Type",
    "Ordre de tournée",
    "Résultat",
    "Motif",
    "Essais de code",
    "Article collecté",
    "Frais de retour à la charge de",
    "Pourquoi",
    "Retour au dépôt",
    "État à la réception",
    "Remarque à la réception",
    "Arrivée à l'adresse",
    "Heure du résultat",
    "Reçu au dépôt à",
    "code_resultat",
    "code_motif",
    "code_payeur",
    "code_retour",
];

/// Why a CSV could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the day report as CSV: {0}")]
pub struct CsvError(#[from] csv::Error);

/// The reports' rows as CSV bytes (one header, then each report's rows).
pub fn to_csv(reports: &[&DayReport]) -> Result<Vec<u8>, CsvError> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(CSV_HEADERS)?;
        for report in reports {
            for row in &report.rows {
                w.write_record(record(report, row))?;
            }
        }
        w.flush().map_err(csv::Error::from)?;
    }
    Ok(out)
}

fn record(report: &DayReport, r: &DayRow) -> [String; 23] {
    let time = |ms: Option<i64>| ms.map(|t| report.day.format_time(t)).unwrap_or_default();
    let s = |o: Option<&str>| o.unwrap_or_default().to_owned();
    let code = |v: Option<String>| v.unwrap_or_default();
    [
        report.device_id.clone(),
        report.day.date.clone(),
        r.label.clone(),
        item_fr(r.item).to_owned(),
        s(r.order_ref.as_deref()),
        r.kind.map(kind_fr).unwrap_or_default().to_owned(),
        r.route_order.map(|n| n.to_string()).unwrap_or_default(),
        result_fr(r),
        r.reason.map(reason_fr).unwrap_or_default().to_owned(),
        r.code_tries.to_string(),
        s(r.collected_label.as_deref()),
        r.return_fees
            .as_ref()
            .map(|f| payer_fr(f.payer))
            .unwrap_or_default()
            .to_owned(),
        fee_why_fr(r),
        return_status_fr(r.return_status).to_owned(),
        r.intake
            .as_ref()
            .map(|i| condition_fr(i.condition))
            .unwrap_or_default()
            .to_owned(),
        s(r.intake.as_ref().and_then(|i| i.condition_note.as_deref())),
        time(r.arrived_ms),
        time(r.outcome_ms),
        time(
            r.intake
                .as_ref()
                .map(|i| i.at_ms)
                .or(r.unexpected.as_ref().map(|u| u.at_ms)),
        ),
        code(r.outcome.map(|o| o.as_str().to_owned())),
        code(r.reason.map(|x| x.as_str().to_owned())),
        code(r.return_fees.as_ref().map(|f| wire(&f.payer))),
        wire(&r.return_status),
    ]
}

fn wire<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::day_window::DayWindow;
    use crate::rules::day_report::{DAY_REPORT_SCHEMA, ReportTotals, ReturnStatus};
    use crate::rules::returns::{ExpectedBecause, Fees, Intake, PayerWhy, ReturnItem};
    use crate::vocabulary::{Condition, Liability, Outcome, ParcelKind, Reason};

    fn tricky_report() -> DayReport {
        let day = DayWindow::parse("2026-11-25", "+01:00").expect("day");
        let t = day.start_ms() + 9 * 3_600_000 + 14 * 60_000;
        DayReport {
            schema: DAY_REPORT_SCHEMA.into(),
            device_id: "CT-ALG-7".into(),
            depot: Some("Dépôt Alger, \"Centre\"".into()),
            day,
            manifest_version: Some(3),
            courier: Some("Karim".into()),
            supervisor: Some("سارة بن علي".into()),
            since_seq: 0,
            rows: vec![DayRow {
                label: "YAL-1,2".into(),
                item: ReturnItem::Parcel,
                parcel_id: Some("P1".into()),
                order_ref: Some("CMD \"42\"".into()),
                kind: Some(ParcelKind::Exchange),
                route_order: Some(1),
                outcome: Some(Outcome::BuyerCancelled),
                reason: Some(Reason::ChangedMind),
                withdrawn: false,
                code_tries: 0,
                collected_label: Some("OLD-1".into()),
                expected_because: Some(ExpectedBecause::Failed(Outcome::BuyerCancelled)),
                return_fees: Some(Fees {
                    payer: Liability::Seller,
                    why: PayerWhy::Changed {
                        note: "المشتري اتصل, \"ألغى\"\nسطر ثان".into(),
                        previous: Liability::Buyer,
                        event_id: "e".into(),
                    },
                }),
                return_status: ReturnStatus::Received,
                intake: Some(Intake {
                    event_id: "e2".into(),
                    seq: 9,
                    at_ms: t + 3_600_000,
                    condition: Condition::Opened,
                    condition_note: Some("scotch déchiré, carton ouvert".into()),
                    typed: false,
                    supervisor_id: None,
                }),
                unexpected: None,
                arrived_ms: Some(t),
                outcome_ms: Some(t + 60_000),
                photos: Vec::new(),
                handover: None,
            }],
            totals: ReportTotals::default(),
            head: None,
            day_closed: None,
        }
    }

    #[test]
    fn a_standard_reader_reads_back_commas_quotes_newlines_and_arabic() {
        let report = tricky_report();
        let bytes = to_csv(&[&report]).expect("csv");
        assert!(bytes.starts_with("\u{feff}".as_bytes()), "byte-order mark");
        let mut reader = csv::Reader::from_reader(&bytes[3..]);
        let headers = reader.headers().expect("headers").clone();
        assert_eq!(headers.iter().collect::<Vec<_>>(), CSV_HEADERS);
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), 1);
        let get = |name: &str| {
            let i = CSV_HEADERS.iter().position(|h| *h == name).expect("column");
            rows[0].get(i).expect("cell").to_owned()
        };
        assert_eq!(get("Étiquette"), "YAL-1,2");
        assert_eq!(get("Commande"), "CMD \"42\"");
        assert_eq!(get("Type"), "Échange");
        assert_eq!(get("Résultat"), "Annulé par l'acheteur à la porte");
        assert_eq!(get("Frais de retour à la charge de"), "Vendeur");
        assert_eq!(
            get("Pourquoi"),
            "changé au dépôt par le superviseur, confirmé par le livreur (avant : Acheteur) : « المشتري اتصل, \"ألغى\"\nسطر ثان »"
        );
        assert_eq!(get("État à la réception"), "Ouvert");
        assert_eq!(
            get("Remarque à la réception"),
            "scotch déchiré, carton ouvert"
        );
        assert_eq!(get("Arrivée à l'adresse"), "2026-11-25T09:14:00+01:00");
        assert_eq!(get("Reçu au dépôt à"), "2026-11-25T10:14:00+01:00");
        assert_eq!(get("code_resultat"), "buyer_cancelled");
        assert_eq!(get("code_payeur"), "seller");
        assert_eq!(get("code_retour"), "received");
    }
}
