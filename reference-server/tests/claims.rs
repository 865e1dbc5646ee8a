//! Claims and their states (issue 23, point 4) with named operators (issue
//! 28, point 2): a claim after 24 hours of the delivered event's signed time
//! is refused; a refund approved by one operator stays pending until a
//! second, different approver confirms it; cancel (before delivery) and
//! refund (after delivery) cannot be confused; an operator of one depot
//! cannot see another depot's claims; every action names its operator in
//! the audit log; the day's extraction has one row per status change
//! (honoured deliveries included). Run on
//! PostgreSQL with `ESCROW_TEST_DATABASE_URL` (scripts/postgres-test.sh).

mod common;
mod doorstep;

use std::sync::atomic::Ordering;

use common::operators::{manifest_in, operator};
use common::{ADMIN, Device, Harness, T0, error_code};
use courier_protocol::api::{CreateOrderResponse, IssueManifestRequest, ManifestResponse};
use courier_protocol::back_office::{
    AuditResponse, CancelOrderResponse, Claim, ClaimsResponse, CreateOperatorRequest,
    CreateOperatorResponse, OperatorSession,
};
use courier_protocol::manifest::SignedManifest;
use courier_protocol::rules::claim::{CLAIM_WINDOW_MS, ClaimStatusName};
use courier_protocol::rules::operator_role::OperatorRole;
use courier_protocol::vocabulary::{CodePolicy, EventKind};
use doorstep::{accepted, delivered, upload};
use serde_json::{Value, json};

const HOUR: i64 = 3_600_000;

/// A back-office call as the operator holding `token`: status and body.
async fn call(
    h: &Harness,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, String) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut r = h.http.request(m, h.url(path)).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.expect("call");
    (r.status().as_u16(), r.text().await.expect("text"))
}

async fn ok<T: serde::de::DeserializeOwned>(
    h: &Harness,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> T {
    let (status, text) = call(h, token, method, path, body).await;
    assert_eq!(status, 200, "{method} {path}: {text}");
    serde_json::from_str(&text).expect("json")
}

/// Delivers `order` from `device` (signed at [`T0`]).
async fn deliver(h: &Harness, dev: &mut Device, m: &SignedManifest, order: &CreateOrderResponse) {
    let pid = &order.parcel_id;
    let arrived = dev.next(EventKind::Arrived, Some(pid));
    let d = delivered(dev, m, pid, &order.numeric_code, 1);
    assert_eq!(
        upload(h, dev, &[arrived, d]).await,
        vec![accepted(), accepted()]
    );
}

fn claim_body(order_ref: &str, asked: &str) -> Value {
    json!({"order_ref": order_ref, "asked": asked, "reason": "the screen is cracked"})
}

fn decision(d: &str) -> Value {
    json!({"decision": d, "reason": "the photo shows the damage"})
}

#[tokio::test]
async fn a_claim_is_accepted_within_24_hours_of_the_signed_delivery_and_refused_after() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let early = h.order("W-1", CodePolicy::OfflineAllowed).await;
    let late = h.order("W-2", CodePolicy::OfflineAllowed).await;
    let m = manifest_in(&h, &dev.id, &[&early.parcel_id, &late.parcel_id], "D").await;
    deliver(&h, &mut dev, &m, &early).await;
    deliver(&h, &mut dev, &m, &late).await;

    // One millisecond before the 24 hours end: accepted, open, with its evidence.
    h.clock.store(T0 + CLAIM_WINDOW_MS - 1, Ordering::SeqCst);
    let agent = operator(&h, "amina", &[OperatorRole::BackOffice], &[]).await;
    let claim: Claim = ok(
        &h,
        &agent,
        "POST",
        "/v1/claims",
        Some(claim_body("W-1", "refund")),
    )
    .await;
    assert_eq!(claim.status, ClaimStatusName::Open);
    assert_eq!(claim.delivered.time_ms, T0);
    assert_eq!(claim.delivered.device_id, dev.id);
    assert_eq!(
        claim.evidence.len(),
        2,
        "arrival and delivery: the dispute pack's ids and hashes"
    );

    // At 24 hours: refused, and nothing stored.
    h.clock.store(T0 + CLAIM_WINDOW_MS, Ordering::SeqCst);
    let (status, text) = call(
        &h,
        &agent,
        "POST",
        "/v1/claims",
        Some(claim_body("W-2", "refund")),
    )
    .await;
    assert_eq!(status, 409, "{text}");
    assert_eq!(error_code(&text), "refused");
    assert!(text.contains("window"), "{text}");
    let all: ClaimsResponse = ok(&h, &agent, "GET", "/v1/claims", None).await;
    assert_eq!(all.claims.len(), 1);
}

#[tokio::test]
async fn a_refund_approved_by_one_operator_stays_pending_until_a_different_approver_confirms() {
    let h = Harness::new().await;
    let agent = operator(&h, "amina", &[OperatorRole::BackOffice], &[]).await;
    let other_agent = operator(&h, "karim", &[OperatorRole::BackOffice], &[]).await;
    let approver = operator(&h, "sami", &[OperatorRole::Approver], &[]).await;
    let it = operator(&h, "nour", &[OperatorRole::CarrierIt], &[]).await;
    let mut dev = h.enroll().await;
    let order = h.order("R-1", CodePolicy::OfflineAllowed).await;
    let m = manifest_in(&h, &dev.id, &[&order.parcel_id], "D").await;
    deliver(&h, &mut dev, &m, &order).await;
    h.clock.store(T0 + HOUR, Ordering::SeqCst);

    // Carrier IT files no claims.
    let (status, _) = call(
        &h,
        &it,
        "POST",
        "/v1/claims",
        Some(claim_body("R-1", "refund")),
    )
    .await;
    assert_eq!(status, 403);
    let claim: Claim = ok(
        &h,
        &agent,
        "POST",
        "/v1/claims",
        Some(claim_body("R-1", "refund")),
    )
    .await;
    let path = format!("/v1/claims/{}/decisions", claim.claim_id);

    // The first operator's refund: pending.
    let first: Claim = ok(&h, &agent, "POST", &path, Some(decision("refund"))).await;
    assert_eq!(first.status, ClaimStatusName::PendingSecondApproval);
    // The same operator again: refused.
    let (status, text) = call(&h, &agent, "POST", &path, Some(decision("refund"))).await;
    assert_eq!(
        (status, error_code(&text).as_str()),
        (409, "refused"),
        "{text}"
    );
    // Another operator without the approver role: forbidden.
    let (status, text) = call(&h, &other_agent, "POST", &path, Some(decision("refund"))).await;
    assert_eq!(status, 403, "{text}");
    let still: Claim = ok(
        &h,
        &agent,
        "GET",
        &format!("/v1/claims/{}", claim.claim_id),
        None,
    )
    .await;
    assert_eq!(
        still.status,
        ClaimStatusName::PendingSecondApproval,
        "nothing moved"
    );

    // A different approver confirms: final.
    let done: Claim = ok(&h, &approver, "POST", &path, Some(decision("refund"))).await;
    assert_eq!(done.status, ClaimStatusName::RefundApproved);
    let names: Vec<&str> = done.decisions.iter().map(|d| d.by.as_str()).collect();
    assert_eq!(names, ["amina", "sami"]);
    let (status, _) = call(&h, &approver, "POST", &path, Some(decision("rejected"))).await;
    assert_eq!(status, 409, "decided once");

    // The day's extraction: one row per status change, the refund on the last.
    let (status, csv) = call(
        &h,
        &agent,
        "GET",
        "/v1/extraction?date=2026-05-28&utc_offset=%2B00:00",
        None,
    )
    .await;
    assert_eq!(status, 200, "{csv}");
    let rows: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(rows.len(), 5, "{csv}");
    assert!(rows[1].contains(",delivered,"), "{csv}");
    assert!(
        rows[1].contains(&format!(",100,0,EUR,device:{},", dev.id)),
        "{csv}"
    );
    assert!(rows[2].contains(",claim_open,"), "{csv}");
    assert!(rows[3].contains(",claim_pending_second_approval,"), "{csv}");
    assert!(rows[4].contains(",claim_refund_approved,"), "{csv}");
    assert!(rows[4].contains(",100,100,EUR,amina+sami,"), "{csv}");

    // The audit log names who did each step.
    let audit: AuditResponse = h
        .http
        .get(h.url("/v1/admin/audit"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("audit")
        .json()
        .await
        .expect("json");
    let decisions: Vec<&str> = audit
        .entries
        .iter()
        .filter(|e| e.action == "claim_decision")
        .map(|e| e.operator.as_str())
        .collect();
    assert_eq!(decisions, ["amina", "sami"]);
    assert!(
        audit
            .entries
            .iter()
            .any(|e| e.action == "claim_filed" && e.operator == "amina")
    );
    assert!(
        audit
            .entries
            .iter()
            .any(|e| e.action == "operator_created" && e.operator == "admin-token")
    );
}

#[tokio::test]
async fn cancel_before_delivery_and_refund_after_delivery_cannot_be_confused() {
    let h = Harness::new().await;
    let agent = operator(&h, "amina", &[OperatorRole::BackOffice], &[]).await;
    let mut dev = h.enroll().await;
    let kept = h.order("C-1", CodePolicy::OfflineAllowed).await;
    let undelivered = h.order("C-2", CodePolicy::OfflineAllowed).await;
    let m = manifest_in(&h, &dev.id, &[&kept.parcel_id, &undelivered.parcel_id], "D").await;
    deliver(&h, &mut dev, &m, &kept).await;

    // A refund (a claim) needs a delivery; a cancel refuses one.
    let (status, text) = call(
        &h,
        &agent,
        "POST",
        "/v1/claims",
        Some(claim_body("C-2", "refund")),
    )
    .await;
    assert_eq!(status, 409, "{text}");
    assert!(text.contains("not delivered"), "{text}");
    let (status, text) = call(
        &h,
        &agent,
        "POST",
        "/v1/orders/C-1/cancel",
        Some(json!({"reason": "buyer changed mind"})),
    )
    .await;
    assert_eq!(status, 409, "{text}");
    assert!(text.contains("was delivered"), "{text}");

    // Cancel before delivery: full refund, withdrawn from the device at once.
    let cancel: CancelOrderResponse = ok(
        &h,
        &agent,
        "POST",
        "/v1/orders/C-2/cancel",
        Some(json!({"reason": "buyer cancelled before dispatch"})),
    )
    .await;
    assert_eq!(
        (cancel.status.as_str(), cancel.refund_minor),
        ("cancelled", 100)
    );
    assert_eq!(cancel.withdrawn_from.as_deref(), Some(dev.id.as_str()));
    assert_eq!(cancel.manifest_version, Some(m.body.version + 1));
    let (_, text) = h.signed(&mut dev, "GET", "/v1/manifest", Vec::new()).await;
    let now: ManifestResponse = serde_json::from_str(&text).expect("manifest");
    let now = now.manifest.expect("a manifest");
    let listed = now
        .body
        .parcels
        .iter()
        .find(|p| p.parcel_id == undelivered.parcel_id)
        .expect("listed");
    assert!(listed.withdrawn, "the device must refuse to deliver it");
    assert!(
        now.body
            .parcels
            .iter()
            .any(|p| p.parcel_id == kept.parcel_id && !p.withdrawn),
        "the rest of the day stays"
    );

    // A delivery the device records on that manifest anyway moves nothing.
    let late = delivered(
        &mut dev,
        &now,
        &undelivered.parcel_id,
        &undelivered.numeric_code,
        1,
    );
    let answer = upload(&h, &mut dev, &[late]).await;
    assert_eq!(answer[0].0, "not_honoured", "{answer:?}");

    // Cancelled: no claim, no second cancel, never issued again.
    let (status, text) = call(
        &h,
        &agent,
        "POST",
        "/v1/claims",
        Some(claim_body("C-2", "refund")),
    )
    .await;
    assert_eq!(status, 409, "{text}");
    assert!(text.contains("cancelled"), "{text}");
    let (status, _) = call(
        &h,
        &agent,
        "POST",
        "/v1/orders/C-2/cancel",
        Some(json!({"reason": "again"})),
    )
    .await;
    assert_eq!(status, 409);
    let r = h
        .http
        .post(h.url("/v1/admin/manifests"))
        .bearer_auth(ADMIN)
        .json(&IssueManifestRequest {
            device_id: dev.id.clone(),
            parcel_ids: vec![undelivered.parcel_id.clone()],
            withdrawn: vec![],
            depot: "D".into(),
            valid_for_ms: HOUR,
            load_check: false,
            desks: Default::default(),
            photos: Default::default(),
        })
        .send()
        .await
        .expect("manifest");
    assert_eq!(r.status(), 400);

    // The delivered order's refund goes through a claim.
    let claim: Claim = ok(
        &h,
        &agent,
        "POST",
        "/v1/claims",
        Some(claim_body("C-1", "refund")),
    )
    .await;
    assert_eq!(claim.status, ClaimStatusName::Open);
    let (status, _) = call(
        &h,
        &agent,
        "POST",
        "/v1/orders/C-1/cancel",
        Some(json!({"reason": "r"})),
    )
    .await;
    assert_eq!(status, 409, "a claimed order is never cancelled");

    let (_, csv) = call(&h, &agent, "GET", "/v1/extraction?date=2026-05-28", None).await;
    let statuses: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(4))
        .collect();
    // The delivery recorded after the withdrawal is not honoured: no row.
    assert_eq!(statuses, ["delivered", "cancelled", "claim_open"], "{csv}");
}

#[tokio::test]
async fn a_delivery_signed_on_the_manifest_from_before_the_cancellation_moves_no_money() {
    let h = Harness::new().await;
    let agent = operator(&h, "amina", &[OperatorRole::BackOffice], &[]).await;
    let mut dev = h.enroll().await;
    let order = h.order("C-9", CodePolicy::OfflineAllowed).await;
    let m = manifest_in(&h, &dev.id, &[&order.parcel_id], "D").await;
    // The buyer cancels while the courier is offline: refunded in full.
    let cancel: CancelOrderResponse = ok(
        &h,
        &agent,
        "POST",
        "/v1/orders/C-9/cancel",
        Some(json!({"reason": "buyer cancelled before dispatch"})),
    )
    .await;
    assert_eq!(cancel.refund_minor, 100);
    // The courier, still on the manifest from before, hands the parcel over
    // with the buyer's code: recorded, but it releases nothing.
    let pid = &order.parcel_id;
    let arrived = dev.next(EventKind::Arrived, Some(pid));
    let d = delivered(&mut dev, &m, pid, &order.numeric_code, 1);
    let answer = upload(&h, &mut dev, &[arrived, d]).await;
    assert_eq!(
        answer,
        vec![
            accepted(),
            ("not_honoured".to_owned(), "order_cancelled".to_owned())
        ]
    );
    // The back office is told, and no claim reopens the money.
    let (_, alerts) = call(&h, ADMIN, "GET", "/v1/admin/alerts", None).await;
    assert!(alerts.contains("order_cancelled"), "{alerts}");
    let (status, text) = call(
        &h,
        &agent,
        "POST",
        "/v1/claims",
        Some(claim_body("C-9", "refund")),
    )
    .await;
    assert_eq!(status, 409, "no claim on a cancelled order: {text}");
}

#[tokio::test]
async fn an_operator_of_one_depot_neither_sees_nor_decides_another_depots_claims() {
    let h = Harness::new().await;
    let head_office = operator(&h, "amina", &[OperatorRole::BackOffice], &[]).await;
    let north = operator(
        &h,
        "north",
        &[OperatorRole::BackOffice, OperatorRole::Approver],
        &["North"],
    )
    .await;
    let south = operator(
        &h,
        "south",
        &[OperatorRole::BackOffice, OperatorRole::Approver],
        &["South"],
    )
    .await;
    let mut dev = h.enroll().await;
    let order = h.order("S-1", CodePolicy::OfflineAllowed).await;
    let m = manifest_in(&h, &dev.id, &[&order.parcel_id], "North").await;
    deliver(&h, &mut dev, &m, &order).await;

    // South cannot file on North's order: it does not exist for them.
    let (status, _) = call(
        &h,
        &south,
        "POST",
        "/v1/claims",
        Some(claim_body("S-1", "exchange")),
    )
    .await;
    assert_eq!(status, 404);
    let claim: Claim = ok(
        &h,
        &head_office,
        "POST",
        "/v1/claims",
        Some(claim_body("S-1", "exchange")),
    )
    .await;
    assert_eq!(claim.depot.as_deref(), Some("North"));
    let one = format!("/v1/claims/{}", claim.claim_id);

    let (status, _) = call(&h, &south, "GET", &one, None).await;
    assert_eq!(status, 404);
    let listed: ClaimsResponse = ok(&h, &south, "GET", "/v1/claims", None).await;
    assert!(listed.claims.is_empty());
    let (status, _) = call(
        &h,
        &south,
        "POST",
        &format!("{one}/decisions"),
        Some(decision("exchange")),
    )
    .await;
    assert_eq!(status, 404);
    let (_, csv) = call(&h, &south, "GET", "/v1/extraction?date=2026-05-28", None).await;
    assert_eq!(csv.lines().count(), 1, "the header only: {csv}");

    let seen: Claim = ok(&h, &north, "GET", &one, None).await;
    assert_eq!(seen.claim_id, claim.claim_id);
    let listed: ClaimsResponse = ok(&h, &north, "GET", "/v1/claims", None).await;
    assert_eq!(listed.claims.len(), 1);
}

#[tokio::test]
async fn operators_sign_in_with_their_password_and_the_admin_token_is_no_session() {
    let h = Harness::new().await;
    let created: CreateOperatorResponse = h
        .admin_post(
            "/v1/admin/operators",
            &CreateOperatorRequest {
                name: "amina".into(),
                roles: vec![OperatorRole::BackOffice],
                depots: vec![],
            },
        )
        .await;
    let wrong = h
        .http
        .post(h.url("/v1/operator-sessions"))
        .json(&json!({"name": "amina", "password": format!("{}x", created.password)}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(wrong.status(), 401);
    let unknown = h
        .http
        .post(h.url("/v1/operator-sessions"))
        .json(&json!({"name": "nobody", "password": "x"}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(unknown.status(), 401);
    // The admin token opens the admin API, not the back office's.
    let (status, _) = call(&h, ADMIN, "GET", "/v1/claims", None).await;
    assert_eq!(status, 401);
    // The same name twice is refused; a depot manager names depots.
    let twice = h
        .http
        .post(h.url("/v1/admin/operators"))
        .bearer_auth(ADMIN)
        .json(&json!({"name": "amina", "roles": ["approver"]}))
        .send()
        .await
        .expect("create");
    assert_eq!(twice.status(), 400);
    let manager = h
        .http
        .post(h.url("/v1/admin/operators"))
        .bearer_auth(ADMIN)
        .json(&json!({"name": "m", "roles": ["depot_manager"]}))
        .send()
        .await
        .expect("create");
    assert_eq!(manager.status(), 400);
    // A session ends after its lifetime.
    let token = {
        let r = h
            .http
            .post(h.url("/v1/operator-sessions"))
            .json(&json!({"name": "amina", "password": created.password}))
            .send()
            .await
            .expect("sign in");
        r.json::<OperatorSession>().await.expect("session").token
    };
    let (status, _) = call(&h, &token, "GET", "/v1/claims", None).await;
    assert_eq!(status, 200);
    h.clock.store(
        T0 + escrow_reference_server::back_office::SESSION_LIFETIME_MS,
        Ordering::SeqCst,
    );
    let (status, _) = call(&h, &token, "GET", "/v1/claims", None).await;
    assert_eq!(status, 401);
}
