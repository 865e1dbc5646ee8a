//! The storage's transactions on either engine: one dropped before its
//! commit (a failed step, a cancelled request) writes nothing, and its
//! connection serves on (never left inside an open transaction, never lost
//! from the pool). Run on PostgreSQL with `ESCROW_TEST_DATABASE_URL`
//! (scripts/postgres-test.sh).

mod common;

use std::time::Duration;

use common::Harness;
use courier_protocol::vocabulary::CodePolicy;
use escrow_reference_server::storage::transaction::{CodeCheckLog, TrySpend};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_transaction_writes_nothing_and_its_connection_serves_on() {
    let h = Harness::new().await;
    let order = h.order("TX-1", CodePolicy::OnlineOnly).await;
    let store = h.server.state.store();
    // More rounds than the PostgreSQL pool has connections (16): a
    // connection kept by an abandoned transaction would stall the loop.
    let rounds = async {
        for n in 0..40 {
            let mut tx = store.begin_code_check().await.expect("begin");
            let spent = tx.spend_try(&order.parcel_id).await.expect("spend");
            assert!(
                matches!(
                    spent,
                    TrySpend::Spent {
                        attempts_spent: 1,
                        ..
                    }
                ),
                "round {n}: {spent:?}"
            );
            tx.log_code_check(&CodeCheckLog {
                device_id: "dev".into(),
                parcel_id: order.parcel_id.clone(),
                nonce: format!("{n:032x}"),
                result: "mismatch",
                at_ms: 1,
            })
            .await
            .expect("log");
            drop(tx);
        }
    };
    tokio::time::timeout(Duration::from_secs(60), rounds)
        .await
        .expect("every abandoned transaction gave its connection back");
    let spent = store
        .order(&order.parcel_id)
        .await
        .expect("db")
        .expect("order")
        .attempts_spent;
    assert_eq!(spent, 0, "no abandoned spend was kept");

    // A committed one is kept.
    let mut tx = store.begin_code_check().await.expect("begin");
    tx.spend_try(&order.parcel_id).await.expect("spend");
    tx.commit().await.expect("commit");
    let spent = store
        .order(&order.parcel_id)
        .await
        .expect("db")
        .expect("order")
        .attempts_spent;
    assert_eq!(spent, 1);
}
