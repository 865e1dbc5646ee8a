//! The browser back office's later pages (issue 28): times in local time
//! with their offset; the fleet's reported columns (platform, app version,
//! events waiting, log checkpoint) and its filters; an enrollment token
//! shown once with its QR that enrolls a device; supervisors' badges issued,
//! re-issued and revoked, audited with the operator's name and kept to the
//! operator's depots; orders found by label, buyer's phone and day, with the
//! map of their signed positions; the day sheet to print and the events not
//! honoured. Run on PostgreSQL with `ESCROW_TEST_DATABASE_URL`.

mod back_office_scene;
mod common;
mod doorstep;

use back_office_scene::{HOUR, Scene, WebClient, mapped_order, order_with_phone, scene};
use courier_protocol::api::IssueManifestRequest;
use courier_protocol::manifest::SignedManifest;
use courier_protocol::vocabulary::EventKind;
use escrow_reference_server::display_zone::DisplayZone;
use serde_json::{Value, json};

use crate::common::{ADMIN, T0};
use crate::doorstep::{accepted, delivered, not_honoured, upload};

/// The audit log's `(action, operator, subject)`, oldest first.
async fn audit(s: &Scene) -> Vec<(String, String, String)> {
    let v: Value =
        s.h.http
            .get(s.h.url("/v1/admin/audit"))
            .bearer_auth(ADMIN)
            .send()
            .await
            .expect("audit")
            .json()
            .await
            .expect("json");
    v["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or("").to_owned();
            (s("action"), s("operator"), s("subject"))
        })
        .collect()
}

/// The text of the element with `id` (its first text, up to the next tag).
fn text_of_id(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("#{id} in {html}"));
    let rest = &html[at..];
    let start = rest.find('>').expect("tag end") + 1;
    rest[start..start + rest[start..].find('<').expect("text end")].to_owned()
}

/// Whether `html` shows a time as `2026-05-28 20:26 (UTC+00:00)`.
fn shows_local_time(html: &str) -> bool {
    html.split("(UTC").skip(1).any(|after| {
        let offset = &after[..after.len().min(7)];
        let sign_ok = offset.starts_with('+') || offset.starts_with('-');
        sign_ok && offset.as_bytes().get(3) == Some(&b':') && offset.ends_with(')')
    })
}

#[tokio::test]
async fn the_fleet_shows_what_devices_report_in_local_time_and_filters() {
    let mut s = scene().await;
    let nour = WebClient::sign_in(&s, "nour").await;
    let (_, before) = nour.get("/back-office/fleet").await;
    assert!(
        before.contains("class=\"app-version\"><bdi dir=\"ltr\">inconnu"),
        "nothing reported yet: {before}"
    );
    // An upload that says what the device is.
    let e = s.alg.next(EventKind::Arrived, None);
    let body = serde_json::to_vec(&json!({
        "events": [e],
        "log_size": 3,
        "device": {"app_version": "9.8.7", "profile": "test", "events_waiting": 4},
    }))
    .expect("json");
    let (status, text) = s.h.signed(&mut s.alg, "POST", "/v1/events", body).await;
    assert_eq!(status, 200, "{text}");
    let (status, fleet) = nour.get("/back-office/fleet").await;
    assert_eq!(status, 200);
    assert!(fleet.contains("9.8.7"), "{fleet}");
    assert!(
        fleet.contains("<span class=\"badge warn\">4</span>"),
        "{fleet}"
    );
    assert!(
        fleet.contains("taille 3"),
        "the checkpoint it keeps: {fleet}"
    );
    assert!(
        fleet.contains("badge warn\">Test<"),
        "its platform: {fleet}"
    );
    assert!(shows_local_time(&fleet), "times with their offset: {fleet}");
    assert!(!fleet.contains("T20:"), "no ISO UTC times: {fleet}");
    // An upload without the report (an older app) keeps what was reported.
    let again = upload(&s.h, &mut s.alg, std::slice::from_ref(&e)).await;
    assert_eq!(again.len(), 1, "answered: {again:?}");
    let (_, fleet) = nour.get("/back-office/fleet").await;
    assert!(fleet.contains("9.8.7"), "{fleet}");
    // Filters: by depot, by status, by alerts, with the text search.
    let count = |html: &str| text_of_id(html, "device-count");
    let (_, alg) = nour.get("/back-office/fleet?depot=ALG-1").await;
    assert_eq!(count(&alg), "1");
    assert!(alg.contains(&s.alg.id) && !alg.contains(&s.orn.id));
    let (_, revoked) = nour.get("/back-office/fleet?status=revoked").await;
    assert_eq!(count(&revoked), "0");
    let (_, active) = nour.get("/back-office/fleet?status=active").await;
    assert_eq!(count(&active), "2");
    let (_, quiet) = nour.get("/back-office/fleet?alerts=without").await;
    let (_, alerted) = nour.get("/back-office/fleet?alerts=with").await;
    assert_eq!(
        count(&quiet).parse::<u32>().expect("n") + count(&alerted).parse::<u32>().expect("n"),
        2
    );
    let (_, by_version) = nour.get("/back-office/fleet?q=9.8").await;
    assert_eq!(count(&by_version), "1");
    // The device's page says the same.
    let (_, page) = nour.get(&format!("/back-office/fleet/{}", s.alg.id)).await;
    assert!(
        page.contains("9.8.7") && page.contains("taille 3"),
        "{page}"
    );
    assert!(shows_local_time(&page));
}

#[tokio::test]
async fn an_enrollment_token_is_shown_once_with_its_qr_and_enrolls_a_device() {
    let s = scene().await;
    let nour = WebClient::sign_in(&s, "nour").await;
    let csrf = nour.csrf("/back-office/fleet").await;
    let issue = "/back-office/fleet/enrollment-token";
    let (status, _) = nour
        .post(issue, &[("server_url", "https://escrow.test")])
        .await;
    assert_eq!(status, 403, "no CSRF token, no token");
    let (status, page) = nour
        .post(
            issue,
            &[
                ("csrf", &csrf),
                ("server_url", "https://escrow.test"),
                ("profile", "test"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<svg") && page.contains("h1v1h-1z"), "a QR");
    let token = text_of_id(&page, "enrollment-token");
    let qr_text = text_of_id(&page, "enrollment-qr-text");
    let qr = courier_protocol::enrollment_qr::EnrollmentQr::parse(&qr_text.replace("&amp;", "&"))
        .expect("an enrollment QR");
    assert_eq!(qr.token, token);
    assert_eq!(qr.server, "https://escrow.test");
    assert!(shows_local_time(&page), "expiry in local time: {page}");
    // The token works once, for a device.
    let key = courier_protocol::keys::keypair_from_pkcs8(
        &courier_protocol::keys::generate_pkcs8().expect("gen"),
    )
    .expect("key");
    let pk = courier_protocol::keys::Signer::public_key(&key);
    let body = json!({"token": token, "device_public_key": pk, "hardware_label": "QR-1"});
    let enroll = || async {
        s.h.http
            .post(s.h.url("/v1/enroll"))
            .json(&body)
            .send()
            .await
            .expect("enroll")
            .status()
            .as_u16()
    };
    assert_eq!(enroll().await, 200);
    // Used: another device cannot enroll with it.
    let other = courier_protocol::keys::keypair_from_pkcs8(
        &courier_protocol::keys::generate_pkcs8().expect("gen"),
    )
    .expect("key");
    let status = s
        .h
        .http
        .post(s.h.url("/v1/enroll"))
        .json(&json!({"token": token, "device_public_key": courier_protocol::keys::Signer::public_key(&other), "hardware_label": "QR-2"}))
        .send()
        .await
        .expect("enroll")
        .status();
    assert_ne!(status.as_u16(), 200, "once only");
    let (_, fleet) = nour.get("/back-office/fleet").await;
    assert!(fleet.contains("QR-1"), "{fleet}");
    assert!(
        audit(&s)
            .await
            .iter()
            .any(|(a, o, _)| a == "enrollment_token_issued" && o == "nour"),
        "audited with the operator's name"
    );
    assert!(
        !audit(&s)
            .await
            .iter()
            .any(|(_, _, subject)| subject.contains(&token)),
        "never the token"
    );
    // A depot manager may not issue one.
    let yacine = WebClient::sign_in(&s, "yacine").await;
    let csrf = yacine.csrf("/back-office/fleet").await;
    let (status, _) = yacine.post(issue, &[("csrf", &csrf)]).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_supervisor_badge_is_printed_once_reissued_and_revoked_within_the_managers_depots() {
    let s = scene().await;
    let yacine = WebClient::sign_in(&s, "yacine").await;
    let csrf = yacine.csrf("/back-office/supervisors?depot=ALG-1").await;
    let form = |id: &'static str, csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("depot", "ALG-1".to_owned()),
            ("supervisor_id", id.to_owned()),
            ("name", "Leila Haddad".to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>, path: &'static str| {
        let yacine = &yacine;
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            yacine.post(path, &f).await
        }
    };
    let (status, _) = post(form("leila", ""), "/back-office/supervisors").await;
    assert_eq!(status, 403, "no CSRF token, no badge");
    let (status, badge) = post(form("leila", &csrf), "/back-office/supervisors").await;
    assert_eq!(status, 200, "{badge}");
    let first = text_of_id(&badge, "badge-text");
    assert!(!first.is_empty() && badge.contains("<svg"), "{badge}");
    let (_, list) = yacine.get("/back-office/supervisors?depot=ALG-1").await;
    assert!(list.contains("Leila Haddad"), "{list}");
    assert!(!list.contains(&first), "the secret is never shown again");
    let (status, again) = post(form("leila", &csrf), "/back-office/supervisors").await;
    assert_eq!(status, 200);
    assert_ne!(text_of_id(&again, "badge-text"), first, "a new badge");
    // Another depot's supervisors are not the manager's.
    let mut other = form("omar", &csrf);
    other[1].1 = "ORN-2".into();
    let (status, _) = post(other, "/back-office/supervisors").await;
    assert_eq!(status, 404);
    let (status, _) = yacine.get("/back-office/supervisors?depot=ORN-2").await;
    assert_eq!(status, 404);
    // Revoked: no longer listed.
    let (status, _) = post(form("leila", &csrf), "/back-office/supervisors/revoke").await;
    assert_eq!(status, 303);
    let (_, list) = yacine
        .get("/back-office/supervisors?depot=ALG-1&revoked=1")
        .await;
    assert!(!list.contains("Leila Haddad"), "{list}");
    let log = audit(&s).await;
    let by_yacine = |action: &str| {
        log.iter()
            .filter(|(a, o, subject)| a == action && o == "yacine" && subject == "ALG-1/leila")
            .count()
    };
    assert_eq!(by_yacine("supervisor_badge_issued"), 2);
    assert_eq!(by_yacine("supervisor_revoked"), 1);
    assert!(!log.iter().any(|(_, _, subject)| subject.contains(&first)));
    // A back-office agent has no such page.
    let amina = WebClient::sign_in(&s, "amina").await;
    let (status, _) = amina.get("/back-office/supervisors").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn orders_are_found_by_label_phone_and_day_with_a_map_of_their_positions() {
    let mut s = scene().await;
    mapped_order(&mut s).await;
    let amina = WebClient::sign_in(&s, "amina").await;
    for q in [
        "PKG-MAP-1",
        "98123456",
        "+216%2098%20123%20456",
        "0021698123456",
    ] {
        let (status, page) = amina.get(&format!("/back-office/orders?q={q}")).await;
        assert_eq!(status, 200, "{q}: {page}");
        assert_eq!(text_of_id(&page, "order-ref"), "W-MAP", "{q}");
        assert_eq!(page.matches("timeline-event").count(), 2, "{q}");
        assert!(page.contains("id=\"order-map\""), "{q}: a map");
        assert_eq!(page.matches("class=\"accuracy\"").count(), 1, "{q}");
        assert_eq!(page.matches("class=\"destination\"").count(), 1, "{q}");
        assert!(shows_local_time(&page), "{q}");
    }
    // By day: every order with an event signed that local day.
    let date = DisplayZone::System.day_containing(T0).date;
    let (status, day) = amina.get(&format!("/back-office/orders?date={date}")).await;
    assert_eq!(status, 200, "{day}");
    assert_eq!(text_of_id(&day, "order-count"), "3", "{day}");
    assert!(day.contains("W-MAP") && day.contains("W-ALG") && day.contains("W-ORN"));
    assert!(
        day.contains("…3456") && !day.contains("98 123"),
        "the phone masked"
    );
    // An order without positions has no map.
    let (_, plain) = amina.get("/back-office/orders?q=W-ALG").await;
    assert!(plain.contains("timeline-event") && !plain.contains("order-map"));
    // A depot manager finds nothing of another depot.
    let (_, other) = amina.get("/back-office/orders?q=LBL-W-ORN").await;
    assert!(
        other.contains("timeline-event"),
        "the agent sees every depot"
    );
    let yacine = WebClient::sign_in(&s, "yacine").await;
    let (_, other) = yacine.get("/back-office/orders?q=LBL-W-ORN").await;
    assert!(!other.contains("timeline-event"), "{other}");
    let (_, day) = yacine
        .get(&format!("/back-office/orders?date={date}"))
        .await;
    assert_eq!(text_of_id(&day, "order-count"), "2", "{day}");
}

#[tokio::test]
async fn the_day_sheet_prints_the_depots_day_and_the_events_not_honoured_are_listed() {
    let mut s = scene().await;
    let order = order_with_phone(&s, "W-TWICE", "PKG-TWICE").await;
    let m: SignedManifest =
        s.h.admin_post(
            "/v1/admin/manifests",
            &IssueManifestRequest {
                desks: Default::default(),
                photos: Default::default(),
                device_id: s.alg.id.clone(),
                parcel_ids: vec![order.parcel_id.clone()],
                withdrawn: vec![],
                depot: "ALG-1".into(),
                valid_for_ms: 48 * HOUR,
                load_check: false,
            },
        )
        .await;
    let mut accepted_body = s.alg.body(
        s.alg.seq + 1,
        &s.alg.prev.clone(),
        EventKind::ManifestAccepted,
        None,
    );
    accepted_body.manifest_version = Some(m.body.version);
    let took = s.alg.seal_next(accepted_body);
    let arrived = s.alg.next(EventKind::Arrived, Some(&order.parcel_id));
    let first = delivered(&mut s.alg, &m, &order.parcel_id, &order.numeric_code, 1);
    let again = delivered(&mut s.alg, &m, &order.parcel_id, &order.numeric_code, 2);
    let results = upload(&s.h, &mut s.alg, &[took, arrived, first, again]).await;
    assert_eq!(results[..3], [accepted(), accepted(), accepted()]);
    assert_eq!(results[3].0, not_honoured("").0, "{results:?}");
    let date = DisplayZone::System.day_containing(T0).date;
    let yacine = WebClient::sign_in(&s, "yacine").await;
    let (status, page) = yacine
        .get(&format!("/back-office/depots?depot=ALG-1&date={date}"))
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"day-sheet\""), "a link to the day sheet");
    assert_eq!(page.matches("not-honoured-row").count(), 1, "{page}");
    assert!(page.contains(&results[3].1), "its reason: {page}");
    let (status, sheet) = yacine
        .get(&format!(
            "/back-office/depots/day-sheet?depot=ALG-1&date={date}"
        ))
        .await;
    assert_eq!(status, 200, "{sheet}");
    assert!(
        sheet.contains("PKG-TWICE") && sheet.contains("Livrés 1"),
        "{sheet}"
    );
    assert!(!sheet.contains("LBL-W-ORN"), "only the depot's devices");
    assert!(sheet.contains("window.print()"), "a print button");
    let (status, _) = yacine
        .get(&format!(
            "/back-office/depots/day-sheet?depot=ORN-2&date={date}"
        ))
        .await;
    assert_eq!(status, 404, "another depot's sheet");
}
