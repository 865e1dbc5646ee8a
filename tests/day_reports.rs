//! Day reports: the server's per-depot report is the devices' own reports,
//! computed from their logs. Two devices of one depot (and one of another)
//! record a day with the real binary (one of them closed by the depot
//! supervisor, by force, with a return scanned in damaged) and sync; each
//! exports its signed JSON report and CSV; the server's
//! `GET /v1/admin/reports/day` for the depot gives exactly those reports (and
//! not the other depot's device), in JSON and CSV.

mod sync_support;

use courier_protocol::api::IssueManifestRequest;
use courier_protocol::day_window::DayWindow;
use courier_protocol::keys::PublicKey;
use courier_protocol::rules::day_report::{DayReports, ReturnStatus};
use courier_protocol::signed_day_report::SignedDayReport;
use courier_protocol::vocabulary::{CodePolicy, Liability, Outcome};
use escrow_reference_server::{admin, block_on};
use sync_support::{FAST, Server, enroll, ok, term, term_stdin, text};

async fn sync(data: &std::path::Path) {
    let mut args = vec!["sync"];
    args.extend_from_slice(FAST);
    let o = term(data, &args, &[]).await;
    assert!(o.status.success(), "{}", text(&o));
}

fn manifest_for(server: &Server, device: &str, parcels: &[&str], depot: &str) {
    let state = server.state();
    block_on(admin::issue_manifest(
        state.store(),
        state.key(),
        &IssueManifestRequest {
            device_id: device.into(),
            parcel_ids: parcels.iter().map(|p| p.to_string()).collect(),
            withdrawn: vec![],
            depot: depot.into(),
            valid_for_ms: 3_600_000,
            load_check: false,
            desks: Default::default(),
            photos: Default::default(),
        },
        state.now_ms(),
    ))
    .expect("manifest");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_depot_report_is_the_devices_own_reports() {
    let server = Server::start().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let depot = "Alger Centre";
    server
        .supervisor("SUP-AC-1", "سارة بن علي", depot, "2468", false)
        .await;
    let a1 = server.order("A1", CodePolicy::OfflineAllowed);
    let a2 = server.order("A2", CodePolicy::OfflineAllowed);
    let a3 = server.order("A3", CodePolicy::OfflineAllowed);
    let b1 = server.order("B1", CodePolicy::OfflineAllowed);
    let b2 = server.order("B2", CodePolicy::OfflineAllowed);
    let c1 = server.order("C1", CodePolicy::OfflineAllowed);
    let (da, db, dc) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    let dev_a = enroll(&server, &da).await;
    let dev_b = enroll(&server, &db).await;
    let dev_c = enroll(&server, &dc).await;
    manifest_for(
        &server,
        &dev_a,
        &[&a1.parcel_id, &a2.parcel_id, &a3.parcel_id],
        depot,
    );
    manifest_for(&server, &dev_b, &[&b1.parcel_id, &b2.parcel_id], depot);
    manifest_for(&server, &dev_c, &[&c1.parcel_id], "Oran");
    for d in [&da, &db, &dc] {
        sync(d).await;
    }

    // Device A: one delivered, one refused (scanned in damaged), one never
    // tried; the supervisor closes the day by force.
    ok(&da, &["arrive", "L-A1"]).await;
    ok(&da, &["inspect", "L-A1"]).await;
    ok(&da, &["deliver", "L-A1", "--code", &a1.numeric_code]).await;
    ok(&da, &["arrive", "L-A2"]).await;
    ok(&da, &["inspect", "L-A2"]).await;
    ok(
        &da,
        &[
            "attempt",
            "L-A2",
            "--outcome",
            "refused_after_inspection",
            "--reason",
            "damaged",
            "--note",
            "écran fissuré, « cassé »",
        ],
    )
    .await;
    let pin = ["--supervisor", "SUP-AC-1"];
    let o = term_stdin(
        &da,
        &[
            "depot",
            "scan-in",
            pin[0],
            pin[1],
            "--condition",
            "damaged",
            "--note",
            "coin écrasé",
        ],
        "2468\nL-A2\n",
    )
    .await;
    assert!(o.status.success(), "{}", text(&o));
    ok(&da, &["depot", "confirm-close"]).await;
    let o = term_stdin(
        &da,
        &[
            "depot",
            "close",
            "--force-reason",
            "A3 resté au véhicule",
            pin[0],
            pin[1],
        ],
        "2468\n",
    )
    .await;
    assert!(o.status.success(), "{}", text(&o));
    // Device B: a carrier problem not yet back.
    ok(&db, &["arrive", "L-B1"]).await;
    ok(
        &db,
        &[
            "attempt",
            "L-B1",
            "--outcome",
            "carrier_problem",
            "--reason",
            "vehicle",
        ],
    )
    .await;
    ok(&dc, &["arrive", "L-C1"]).await;
    for d in [&da, &db, &dc] {
        sync(d).await;
    }

    // The day, taken from the events themselves (no midnight race).
    let first = server
        .state()
        .store()
        .device_events(&dev_a)
        .await
        .expect("events")[0]
        .body
        .clock
        .device_utc_ms;
    let day = DayWindow::containing(first, 60);

    // Each device's own signed report, checked with its enrolled key.
    let mut own = Vec::new();
    for (d, id) in [(&da, &dev_a), (&db, &dev_b)] {
        let file = d.join("report.json");
        ok(
            d,
            &[
                "depot",
                "export",
                "--format",
                "json",
                "--out",
                file.to_str().expect("utf8"),
                "--date",
                &day.date,
                "--utc-offset",
                "+01:00",
            ],
        )
        .await;
        let signed: SignedDayReport =
            serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("json");
        let key: PublicKey = server
            .state()
            .store()
            .device(id)
            .await
            .expect("db")
            .expect("device")
            .public_key;
        own.push(signed.verify(&key).expect("signature").clone());
    }

    // What the device recorded is in its report.
    let a = &own[0];
    let row = |label: &str| {
        a.rows
            .iter()
            .find(|r| r.label == label)
            .expect("row")
            .clone()
    };
    assert_eq!(row("L-A1").outcome, Some(Outcome::Delivered));
    let a2_row = row("L-A2");
    assert_eq!(
        a2_row.return_fees.as_ref().map(|f| f.payer),
        Some(Liability::Seller)
    );
    assert_eq!(a2_row.return_status, ReturnStatus::Received);
    assert_eq!(row("L-A3").return_status, ReturnStatus::Missing);
    let close = a.day_closed.as_ref().expect("closed");
    assert!(close.forced && close.matches_log);
    assert_eq!(close.reason.as_deref(), Some("A3 resté au véhicule"));
    assert_eq!(a.supervisor.as_deref(), Some("سارة بن علي"));
    assert_eq!(
        a2_row.intake.as_ref().map(|i| i.condition),
        Some(courier_protocol::vocabulary::Condition::Damaged)
    );
    assert_eq!(
        (a.totals.parcels, a.totals.delivered, a.totals.missing),
        (3, 1, 1)
    );

    // The server's report for the depot: exactly the two devices' reports.
    let client = reqwest::Client::new();
    let url = format!(
        "{}/v1/admin/reports/day?depot={}&date={}&utc_offset=%2B01:00",
        server.url(),
        "Alger%20Centre",
        day.date
    );
    let answer: DayReports = client
        .get(&url)
        .bearer_auth("admin")
        .send()
        .await
        .expect("get")
        .error_for_status()
        .expect("200")
        .json()
        .await
        .expect("json");
    let mut own_sorted = own.clone();
    own_sorted.sort_by(|x, y| x.device_id.cmp(&y.device_id));
    assert_eq!(answer.reports, own_sorted, "server and devices agree");
    assert_eq!(
        answer.totals.parcels, 5,
        "the other depot's device is not in it"
    );
    assert!(answer.reports.iter().all(|r| r.device_id != dev_c));

    // One device's report, and the CSV both ways.
    let url_b = format!(
        "{}/v1/admin/reports/day?device={dev_b}&date={}&utc_offset=%2B01:00&format=csv",
        server.url(),
        day.date
    );
    let server_csv = client
        .get(&url_b)
        .bearer_auth("admin")
        .send()
        .await
        .expect("get")
        .error_for_status()
        .expect("200")
        .bytes()
        .await
        .expect("body");
    let file = db.join("day.csv");
    ok(
        &db,
        &[
            "depot",
            "export",
            "--format",
            "csv",
            "--out",
            file.to_str().expect("utf8"),
            "--date",
            &day.date,
            "--utc-offset",
            "+01:00",
        ],
    )
    .await;
    assert_eq!(
        server_csv.as_ref(),
        std::fs::read(&file).expect("csv").as_slice()
    );
    let mut reader = csv::Reader::from_reader(&server_csv[3..]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .any(|r| r.iter().any(|c| c == "Problème transporteur"))
    );

    // Bad questions get the documented error body.
    for bad in [
        format!("date={}", day.date),
        format!("depot=X&device=Y&date={}", day.date),
        "depot=X&date=2026-02-30".to_owned(),
        format!("depot=X&date={}&utc_offset=1", day.date),
    ] {
        let r = client
            .get(format!("{}/v1/admin/reports/day?{bad}", server.url()))
            .bearer_auth("admin")
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 400, "{bad}");
        let body: serde_json::Value = r.json().await.expect("json error");
        assert_eq!(body["error"]["code"], "bad_request", "{bad}");
    }
    let r = client
        .get(format!(
            "{}/v1/admin/reports/day?device=NOPE&date={}",
            server.url(),
            day.date
        ))
        .bearer_auth("admin")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 404);
}
