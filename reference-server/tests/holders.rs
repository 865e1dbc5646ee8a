//! One holder per order, and a disagreement that never freezes a device
//! (issue 21, points 3 and 4): an order issued to a second device is
//! withdrawn from the first, whose delivery is then recorded but not
//! honoured; a right offline delivery on a parcel another device locked is
//! recorded and flagged; every authentic event is stored and the device's
//! later events go on. Run on PostgreSQL with `ESCROW_TEST_DATABASE_URL`
//! (scripts/postgres-test.sh).

mod common;
mod doorstep;

use common::Harness;
use courier_protocol::vocabulary::{CodePolicy, EventKind};
use doorstep::{accepted, alert_kinds, delivered, not_honoured, upload, wrong_attempt, wrong_code};

#[tokio::test]
async fn an_order_issued_to_a_second_device_is_withdrawn_from_the_first() {
    let h = Harness::new().await;
    let mut a = h.enroll().await;
    let mut b = h.enroll().await;
    let order = h.order("H-1", CodePolicy::OfflineAllowed).await;
    let other = h.order("H-2", CodePolicy::OfflineAllowed).await;
    let pid = order.parcel_id.clone();
    let ma = h.manifest(&a.id, &[&pid], 3_600_000).await;
    let arrived = a.next(EventKind::Arrived, Some(&pid));
    assert_eq!(upload(&h, &mut a, &[arrived]).await, vec![accepted()]);

    // The back office gives the same order to B.
    let mb = h.manifest(&b.id, &[&pid], 3_600_000).await;

    // A delivers anyway, with the right code: recorded, not honoured.
    let late = delivered(&mut a, &ma, &pid, &order.numeric_code, 1);
    assert_eq!(
        upload(&h, &mut a, &[late]).await,
        vec![not_honoured("not_holder")]
    );
    assert!(
        alert_kinds(&h, &a.id)
            .await
            .contains(&"not_honoured".to_owned()),
        "the back office is told"
    );
    // A's log goes on: its next event is stored.
    let next = a.next(EventKind::ManifestAccepted, None);
    assert_eq!(upload(&h, &mut a, &[next]).await, vec![accepted()]);

    // B, the holder, delivers: honoured (A's attempt moved nothing).
    let arrived = b.next(EventKind::Arrived, Some(&pid));
    let d = delivered(&mut b, &mb, &pid, &order.numeric_code, 1);
    assert_eq!(
        upload(&h, &mut b, &[arrived, d]).await,
        vec![accepted(), accepted()]
    );

    // A's next manifest withdraws the order, though the back office did not
    // name it: the server enforces it.
    let ma2 = h.manifest(&a.id, &[&other.parcel_id], 3_600_000).await;
    let listed = ma2
        .body
        .parcels
        .iter()
        .find(|p| p.parcel_id == pid)
        .expect("the reassigned order is listed in A's next manifest");
    assert!(listed.withdrawn, "listed as withdrawn");
    let still = ma2
        .body
        .parcels
        .iter()
        .find(|p| p.parcel_id == other.parcel_id)
        .expect("the new order");
    assert!(!still.withdrawn);
}

#[tokio::test]
async fn a_right_offline_delivery_on_a_parcel_another_device_locked_is_recorded_and_flagged() {
    let h = Harness::new().await;
    let mut a = h.enroll().await;
    let mut b = h.enroll().await;
    let order = h.order("L-1", CodePolicy::OfflineAllowed).await;
    let pid = order.parcel_id.clone();
    h.manifest(&a.id, &[&pid], 3_600_000).await;
    // A spends every try of the shared counter with wrong codes.
    let mut events = vec![a.next(EventKind::Arrived, Some(&pid))];
    for n in 1..=doorstep::LIMIT {
        events.push(wrong_attempt(&mut a, &pid, n));
    }
    let answers = upload(&h, &mut a, &events).await;
    assert!(answers.iter().all(|r| *r == accepted()), "{answers:?}");
    let spent = h
        .server
        .state
        .store()
        .order(&pid)
        .await
        .expect("db")
        .expect("order")
        .attempts_spent;
    assert_eq!(spent, doorstep::LIMIT, "the server's counter is locked");

    // The order goes to B, whose terminal checks the code offline on its own
    // counter: a wrong code first (recorded, not honoured, a try spent), then
    // the right one.
    let mb = h.manifest(&b.id, &[&pid], 3_600_000).await;
    let arrived = b.next(EventKind::Arrived, Some(&pid));
    let wrong = delivered(&mut b, &mb, &pid, wrong_code(&order.numeric_code), 1);
    assert_eq!(
        upload(&h, &mut b, &[arrived, wrong]).await,
        vec![accepted(), not_honoured("bad_proof")]
    );
    let right = delivered(&mut b, &mb, &pid, &order.numeric_code, 2);
    assert_eq!(
        upload(&h, &mut b, &[right]).await,
        vec![accepted()],
        "a right proof is recorded, not refused parcel_locked"
    );
    assert!(
        alert_kinds(&h, &b.id)
            .await
            .contains(&"delivered_while_locked".to_owned()),
        "and flagged for the back office"
    );
    // B's later events are accepted: nothing waits behind the delivery.
    let later = b.next(EventKind::ManifestAccepted, None);
    assert_eq!(upload(&h, &mut b, &[later]).await, vec![accepted()]);
}

#[tokio::test]
async fn past_twice_the_limit_no_proof_is_compared_on_a_locked_parcel() {
    let h = Harness::new().await;
    let mut a = h.enroll().await;
    let mut b = h.enroll().await;
    let order = h.order("L-2", CodePolicy::OfflineAllowed).await;
    let pid = order.parcel_id.clone();
    h.manifest(&a.id, &[&pid], 3_600_000).await;
    let mut events = vec![a.next(EventKind::Arrived, Some(&pid))];
    for n in 1..=doorstep::LIMIT {
        events.push(wrong_attempt(&mut a, &pid, n));
    }
    upload(&h, &mut a, &events).await;
    // B holds it now and sends wrong proofs: each compared one spends a try,
    // up to twice the limit in all; after that none is compared, even a
    // right one, and every one is stored.
    let m = h.manifest(&b.id, &[&pid], 3_600_000).await;
    let arrived = b.next(EventKind::Arrived, Some(&pid));
    upload(&h, &mut b, &[arrived]).await;
    let mut compared = 0;
    for _ in 0..(2 * doorstep::LIMIT) {
        let guess = delivered(&mut b, &m, &pid, wrong_code(&order.numeric_code), 1);
        let answer = upload(&h, &mut b, &[guess]).await;
        assert_eq!(answer[0].0, "not_honoured", "{answer:?}");
        match answer[0].1.as_str() {
            "bad_proof" => compared += 1,
            other => assert_eq!(other, "parcel_locked"),
        }
    }
    assert_eq!(
        compared,
        doorstep::LIMIT,
        "one more limit of tries, no more"
    );
    let right = delivered(&mut b, &m, &pid, &order.numeric_code, 1);
    assert_eq!(
        upload(&h, &mut b, &[right]).await,
        vec![not_honoured("parcel_locked")]
    );
}
