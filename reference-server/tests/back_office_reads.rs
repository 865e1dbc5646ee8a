//! The reads the back office (and the day-report endpoints) sit on: a
//! device's or a depot's events of a time range, an order's events.

mod common;

use common::{Harness, T0};
use courier_protocol::vocabulary::{CodePolicy, EventKind};

#[tokio::test]
async fn events_by_device_depot_and_order_within_a_day() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let order = h.order("ORD-77", CodePolicy::OfflineAllowed).await;
    h.manifest(&dev.id, &[&order.parcel_id], 3_600_000).await;
    let mut late = dev.body(1, &dev.prev.clone(), EventKind::ManifestAccepted, None);
    late.clock.device_utc_ms = T0 + 86_400_000;
    let e1 = dev.seal_next(late);
    let e2 = dev.next(EventKind::Arrived, Some(&order.parcel_id));
    let r = h.upload(&mut dev, &[e1.clone(), e2.clone()]).await;
    assert_eq!(r.receipt.body.last_seq, 2);
    let store = h.server.state.store();

    let day = store
        .events_of_device_between(&dev.id, T0, T0 + 1)
        .await
        .expect("device day");
    assert_eq!(day, vec![e2.clone()], "only the event signed in the range");
    let both = store
        .events_of_device_between(&dev.id, T0, T0 + 86_400_001)
        .await
        .expect("two days");
    assert_eq!(both, vec![e1.clone(), e2.clone()], "in chain order");
    assert_eq!(
        store
            .events_of_depot_between("D", T0, T0 + 1)
            .await
            .expect("depot"),
        vec![e2.clone()]
    );
    assert!(
        store
            .events_of_depot_between("elsewhere", 0, i64::MAX)
            .await
            .expect("depot")
            .is_empty()
    );
    assert_eq!(
        store.events_of_order("ORD-77").await.expect("order"),
        vec![e2]
    );
}
