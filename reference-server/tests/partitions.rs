//! PostgreSQL only (run by scripts/postgres-test.sh): events land in the
//! monthly partition of their signed time, a far-off clock in the default
//! partition, and the back-office indexes exist on the partitioned table. On
//! SQLite (no `ESCROW_TEST_DATABASE_URL`) there are no partitions to check.

mod common;

use std::str::FromStr;

use common::Harness;
use courier_protocol::vocabulary::EventKind;
use escrow_reference_server::Database;

#[tokio::test]
async fn events_are_partitioned_by_month_of_their_signed_time() {
    let h = Harness::new().await;
    let Database::Postgres(url) = &h.database else {
        eprintln!("SQLite run: partitions exist on PostgreSQL only");
        return;
    };
    let config = tokio_postgres::Config::from_str(url).expect("url");
    let (client, conn) = config
        .connect(tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    // The month of T0 (2026-05-28 UTC) has its partition whenever this runs.
    let made: i32 = client
        .query_one(
            "SELECT escrow_ensure_event_partitions($1, $2)",
            &[&common::T0, &(common::T0 + 1)],
        )
        .await
        .expect("ensure partitions")
        .get(0);
    assert!(made <= 1);
    let mut dev = h.enroll().await;
    let e1 = dev.next(EventKind::ManifestAccepted, None);
    let mut far = dev.body(2, &e1.hash, EventKind::ManifestAccepted, None);
    far.clock.device_utc_ms = 4_102_444_800_000; // 2100-01-01: no monthly partition
    let e2 = dev.seal_next(far);
    let r = h.upload(&mut dev, &[e1.clone(), e2.clone()]).await;
    assert_eq!(r.receipt.body.last_seq, 2);

    let rows = client
        .query(
            "SELECT event_id, tableoid::regclass::text FROM events ORDER BY seq",
            &[],
        )
        .await
        .expect("query");
    let placed: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    // T0 = 1_780_000_000_000 ms is 2026-05-28 UTC.
    assert_eq!(
        placed,
        vec![
            (e1.body.event_id.clone(), "events_y2026m05".to_owned()),
            (e2.body.event_id.clone(), "events_default".to_owned()),
        ]
    );
    let indexes: Vec<String> = client
        .query(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'events' ORDER BY indexname",
            &[],
        )
        .await
        .expect("indexes")
        .iter()
        .map(|r| r.get(0))
        .collect();
    for wanted in [
        "events_by_depot_time",
        "events_by_device_time",
        "events_by_order_ref",
    ] {
        assert!(
            indexes.iter().any(|i| i == wanted),
            "{wanted} in {indexes:?}"
        );
    }
}
