//! The morning load check at the server (issue 25, point 1): the server
//! replays `parcel_loaded` through the shared rules, so an arrival (hence a
//! delivery) of a parcel the manifest asks to load and that was never loaded
//! is stored and not honoured (`not_loaded`); a signed `loaded` record is
//! recomputed from the events held and flagged (an alert) when it differs.

mod common;

use common::Harness;
use common::supervisors::{
    Signer, SupervisorHarness, accepted, next_body, not_honoured, seal_signed, statuses,
};
use courier_protocol::api::IssueManifestRequest;
use courier_protocol::envelope::SignedEvent;
use courier_protocol::manifest::SignedManifest;
use courier_protocol::rules::load_check::LOAD_CHECK_SUBJECT;
use courier_protocol::rules::{LoadTotals, load_check::LoadCheckRecord};
use courier_protocol::vocabulary::{CodePolicy, EventKind};
use courier_test_support::server::Device;

const PIN: &str = "2468";

struct LoadDay {
    dev: Device,
    manifest: SignedManifest,
    signer: Signer,
    /// (parcel id, label) of the two parcels.
    parcels: [(String, String); 2],
}

/// An enrolled device whose manifest (depot "D", with the load check) lists
/// two parcels, the manifest accepted; the supervisor signed in at the server.
async fn load_day(h: &Harness) -> LoadDay {
    h.supervisor_in("SUP-1", "D", PIN).await;
    let mut dev = h.enroll().await;
    let a = h.order("LC-1", CodePolicy::OfflineAllowed).await;
    let b = h.order("LC-2", CodePolicy::OfflineAllowed).await;
    let manifest: SignedManifest = h
        .admin_post(
            "/v1/admin/manifests",
            &IssueManifestRequest {
                device_id: dev.id.clone(),
                parcel_ids: vec![a.parcel_id.clone(), b.parcel_id.clone()],
                withdrawn: vec![],
                depot: "D".into(),
                valid_for_ms: 3_600_000,
                load_check: true,
                desks: Default::default(),
                photos: Default::default(),
            },
        )
        .await;
    assert!(manifest.body.parcels.iter().all(|p| p.load_check));
    let body = next_body(
        &dev,
        EventKind::ManifestAccepted,
        None,
        manifest.body.version,
    );
    let accepted_m = dev.seal_next(body);
    let r = h.upload(&mut dev, &[accepted_m]).await;
    assert_eq!(statuses(&r), vec![accepted()]);
    let signer = h.session(&mut dev, "SUP-1", PIN).await;
    let label = |pid: &str| {
        manifest
            .body
            .parcels
            .iter()
            .find(|p| p.parcel_id == pid)
            .expect("listed")
            .label
            .clone()
    };
    let parcels = [
        (a.parcel_id.clone(), label(&a.parcel_id)),
        (b.parcel_id.clone(), label(&b.parcel_id)),
    ];
    LoadDay {
        dev,
        manifest,
        signer,
        parcels,
    }
}

fn loaded(d: &mut LoadDay, which: usize) -> SignedEvent {
    let (pid, label) = d.parcels[which].clone();
    let mut body = next_body(
        &d.dev,
        EventKind::ParcelLoaded,
        Some(&pid),
        d.manifest.body.version,
    );
    body.detail.insert("label".into(), label);
    body.detail.insert("entry".into(), "scanned".into());
    seal_signed(&mut d.dev, body, &d.signer)
}

fn arrived(d: &mut LoadDay, which: usize) -> SignedEvent {
    let pid = d.parcels[which].0.clone();
    let body = next_body(
        &d.dev,
        EventKind::Arrived,
        Some(&pid),
        d.manifest.body.version,
    );
    d.dev.seal_next(body)
}

/// The courier's confirmation of `totals`, then the supervisor's signed record.
fn confirmed_record(d: &mut LoadDay, totals: LoadTotals) -> [SignedEvent; 2] {
    let v = d.manifest.body.version;
    let mut confirm = next_body(&d.dev, EventKind::CourierConfirmed, None, v);
    confirm
        .detail
        .insert("subject".into(), LOAD_CHECK_SUBJECT.into());
    confirm
        .detail
        .insert("digest".into(), totals.digest().expect("digest"));
    let confirm = d.dev.seal_next(confirm);
    let mut record = next_body(&d.dev, EventKind::LoadChecked, None, v);
    record.load = Some(LoadCheckRecord {
        totals,
        courier_confirmation: confirm.body.event_id.clone(),
    });
    let record = seal_signed(&mut d.dev, record, &d.signer);
    [confirm, record]
}

#[tokio::test]
async fn an_arrival_of_a_parcel_never_loaded_is_stored_and_not_honoured() {
    let h = Harness::new().await;
    let mut d = load_day(&h).await;
    let events = vec![arrived(&mut d, 1), loaded(&mut d, 0), arrived(&mut d, 0)];
    let r = h.upload(&mut d.dev, &events).await;
    assert_eq!(
        statuses(&r),
        vec![not_honoured("not_loaded"), accepted(), accepted()]
    );
    // Loading needs the supervisor's proof, as at the returns' scan-in.
    let pid = d.parcels[1].0.clone();
    let mut body = next_body(
        &d.dev,
        EventKind::ParcelLoaded,
        Some(&pid),
        d.manifest.body.version,
    );
    body.detail.insert("label".into(), d.parcels[1].1.clone());
    let unsigned = d.dev.seal_next(body);
    let after = arrived(&mut d, 1);
    let r = h.upload(&mut d.dev, &[unsigned, after]).await;
    assert_eq!(
        statuses(&r),
        vec![
            not_honoured("supervisor_required"),
            not_honoured("not_loaded")
        ]
    );
}

#[tokio::test]
async fn a_load_record_is_checked_against_the_events_held_and_flagged_when_it_differs() {
    let h = Harness::new().await;
    let mut d = load_day(&h).await;
    let scan = loaded(&mut d, 0);
    let truthful = LoadTotals {
        to_load: 2,
        loaded: 1,
        missing: vec![d.parcels[1].1.clone()],
        alarms: vec![],
    };
    let [confirm, record] = confirmed_record(&mut d, truthful);
    let r = h.upload(&mut d.dev, &[scan, confirm, record]).await;
    assert_eq!(statuses(&r), vec![accepted(); 3]);
    assert!(
        !h.alert_kinds()
            .await
            .contains(&"load_check_differs".to_owned())
    );
    // A record claiming both parcels loaded: accepted as the device's
    // statement, and flagged.
    let false_claim = LoadTotals {
        to_load: 2,
        loaded: 2,
        missing: vec![],
        alarms: vec![],
    };
    let [confirm, record] = confirmed_record(&mut d, false_claim);
    let r = h.upload(&mut d.dev, &[confirm, record]).await;
    assert_eq!(statuses(&r), vec![accepted(); 2]);
    assert!(
        h.alert_kinds()
            .await
            .contains(&"load_check_differs".to_owned())
    );
}
