//! Issue 22: `docs/protocol.md` states every rule the server applies, with the
//! exact status and reason code. These tests read the document's tables and
//! check each row against the reference server's answers, so the document
//! and the server cannot drift apart again (an integrator wrote a client from
//! the document alone and found two places where they had).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{ADMIN, Harness, T0, error_code};
use courier_protocol::api::{EventStatus, RejectReason};
use courier_protocol::envelope::Verification;
use courier_protocol::keys::{Signer, generate_pkcs8, keypair_from_pkcs8};
use courier_protocol::request_signing::sign_request;
use courier_protocol::vocabulary::{CheckMode, CheckResult, CodePolicy, EntryMode, EventKind};
use escrow_reference_server::faults::Faults;
use escrow_reference_server::{AppState, ServerConfig, start};

const PROTOCOL: &str = include_str!("../../docs/protocol.md");

/// The rows of the markdown table whose header line is `header`: each row's
/// cells, trimmed, with the backquotes of a code cell removed.
fn table(header: &str) -> Vec<Vec<String>> {
    let mut lines = PROTOCOL.lines().map(str::trim);
    lines
        .by_ref()
        .find(|l| *l == header)
        .unwrap_or_else(|| panic!("docs/protocol.md has no table {header:?}"));
    lines
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().trim_matches('`').to_owned())
                .collect()
        })
        .collect()
}

/// The statuses a cell allows: `401`, or `500/503`.
fn statuses(cell: &str) -> Vec<u16> {
    cell.split('/')
        .map(|s| {
            s.trim()
                .parse()
                .unwrap_or_else(|_| panic!("status {cell:?}"))
        })
        .collect()
}

async fn enroll_body(h: &Harness, body: Vec<u8>) -> (u16, String) {
    let r = h
        .http
        .post(h.url("/v1/enroll"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("enroll");
    (r.status().as_u16(), r.text().await.expect("text"))
}

fn enroll_json(token: &str, key: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "token": token, "device_public_key": key, "hardware_label": "t"
    }))
    .expect("json")
}

/// Makes the server answer the error of one row of the table: the row is
/// identified by its code and its status, so two rows of one code (401 and
/// 403 `forbidden`) are each provoked. `None` for a row no client can
/// provoke from outside (an unexpected failure of the server itself).
async fn provoke(h: &Harness, code: &str, status: &[u16]) -> Option<(u16, String)> {
    let fresh_key = || {
        Signer::public_key(&keypair_from_pkcs8(&generate_pkcs8().expect("gen")).expect("key"))
            .to_hex()
    };
    Some(match (code, status) {
        ("bad_request", _) => enroll_body(h, b"{".to_vec()).await,
        ("weak_key", _) => {
            let small_order = format!("01{}", "0".repeat(62));
            enroll_body(h, enroll_json("any", &small_order)).await
        }
        ("bad_request_signature", _) => {
            let r = h.http.get(h.url("/v1/manifest")).send().await.expect("get");
            (r.status().as_u16(), r.text().await.expect("text"))
        }
        ("unknown_device", _) => {
            let mut stranger = h.enroll().await;
            stranger.id = "never-enrolled".into();
            h.signed(&mut stranger, "GET", "/v1/manifest", vec![]).await
        }
        ("stale_timestamp", _) => {
            let dev = h.enroll().await;
            let auth = sign_request(
                &dev.key,
                &dev.id,
                "GET",
                "/v1/manifest",
                b"",
                T0 - 600_000,
                [7; 16],
            );
            h.send_with(&auth, "GET", "/v1/manifest", vec![]).await
        }
        ("replayed_nonce", _) => {
            let mut dev = h.enroll().await;
            let auth = h.sign(&mut dev, "GET", "/v1/manifest", b"");
            let (first, _) = h.send_with(&auth, "GET", "/v1/manifest", vec![]).await;
            assert_eq!(first, 200);
            h.send_with(&auth, "GET", "/v1/manifest", vec![]).await
        }
        ("invalid_token", _) => enroll_body(h, enroll_json("no-such-token", &fresh_key())).await,
        ("forbidden", [401]) => {
            let r = h
                .http
                .post(h.url("/v1/admin/enrollment-tokens"))
                .bearer_auth("not-the-admin-token")
                .json(&serde_json::json!({}))
                .send()
                .await
                .expect("admin");
            (r.status().as_u16(), r.text().await.expect("text"))
        }
        ("forbidden", [403]) => {
            // The same call on a server whose admin API is disabled.
            let dir = tempfile::tempdir().expect("tmp");
            let config = ServerConfig {
                database: common::test_database(&dir).await,
                admin_token: None,
                clock: Arc::new(|| T0),
                password_cost: escrow_reference_server::back_office::PasswordCost::for_tests(),
            };
            let state = AppState::open(&config, Arc::new(Faults::default()))
                .await
                .expect("open");
            let server = start(state, "127.0.0.1:0".parse().expect("addr"))
                .await
                .expect("start");
            let r = h
                .http
                .post(format!("{}/v1/admin/enrollment-tokens", server.url()))
                .bearer_auth(ADMIN)
                .json(&serde_json::json!({}))
                .send()
                .await
                .expect("admin");
            (r.status().as_u16(), r.text().await.expect("text"))
        }
        ("not_found", _) => {
            let r = h
                .http
                .get(h.url("/v1/nothing-here"))
                .send()
                .await
                .expect("get");
            (r.status().as_u16(), r.text().await.expect("text"))
        }
        ("method_not_allowed", _) => {
            let r = h.http.get(h.url("/v1/enroll")).send().await.expect("get");
            (r.status().as_u16(), r.text().await.expect("text"))
        }
        ("batch_too_large", _) => {
            let mut dev = h.enroll().await;
            let events: Vec<_> = (0..1001)
                .map(|_| dev.next(EventKind::ManifestAccepted, None))
                .collect();
            let body = serde_json::to_vec(&serde_json::json!({ "events": events })).expect("json");
            h.signed(&mut dev, "POST", "/v1/events", body).await
        }
        ("rate_limited", _) => {
            let mut dev = h.enroll().await;
            let mut last = (0, String::new());
            for _ in 0..100 {
                last = h
                    .signed(&mut dev, "POST", "/v1/code-checks", b"{}".to_vec())
                    .await;
                if last.0 != 400 {
                    break;
                }
            }
            last
        }
        ("unavailable", _) => {
            let mut dev = h.enroll().await;
            let _: serde_json::Value = h
                .admin_post("/v1/admin/faults", &serde_json::json!({"fail_next": 1}))
                .await;
            h.signed(&mut dev, "GET", "/v1/manifest", vec![]).await
        }
        ("device_revoked", _) => {
            let mut dev = h.enroll().await;
            let _: serde_json::Value = h
                .admin_post(
                    &format!("/v1/admin/devices/{}/revoke", dev.id),
                    &serde_json::json!({"reason": "stolen"}),
                )
                .await;
            h.signed(&mut dev, "GET", "/v1/manifest", vec![]).await
        }
        ("refused", _) => {
            // A claim on an order never delivered.
            let created: serde_json::Value = h
                .admin_post(
                    "/v1/admin/operators",
                    &serde_json::json!({"name": "agent", "roles": ["back_office"]}),
                )
                .await;
            let session: serde_json::Value = h
                .http
                .post(h.url("/v1/operator-sessions"))
                .json(&serde_json::json!({"name": "agent", "password": created["password"]}))
                .send()
                .await
                .expect("sign in")
                .json()
                .await
                .expect("session");
            h.order("REFUSED-1", CodePolicy::OfflineAllowed).await;
            let r = h
                .http
                .post(h.url("/v1/claims"))
                .bearer_auth(session["token"].as_str().expect("token"))
                .json(&serde_json::json!({"order_ref": "REFUSED-1", "asked": "refund", "reason": "never came"}))
                .send()
                .await
                .expect("claim");
            (r.status().as_u16(), r.text().await.expect("text"))
        }
        ("internal", _) => return None,
        other => {
            panic!("docs/protocol.md lists {other:?}, which this test cannot provoke: add it here")
        }
    })
}

/// Every row of the error table: the server answers that status with that code.
#[tokio::test]
async fn every_documented_error_is_the_servers_answer() {
    let h = Harness::new().await;
    let rows = table("| code | HTTP | meaning | client action |");
    assert!(rows.len() >= 14, "{rows:?}");
    let mut seen = BTreeMap::new();
    for row in &rows {
        let (code, status) = (&row[0], statuses(&row[1]));
        let Some((answered, text)) = provoke(&h, code, &status).await else {
            continue;
        };
        assert!(
            status.contains(&answered),
            "docs/protocol.md: {code} is {status:?}, the server answered {answered}: {text}"
        );
        assert_eq!(&error_code(&text), code, "{text}");
        seen.insert((code.clone(), answered), ());
    }
    // The two answers an integrator found contradicting the document.
    assert!(
        seen.contains_key(&("forbidden".to_owned(), 401)),
        "{seen:?}"
    );
    assert!(
        seen.contains_key(&("forbidden".to_owned(), 403)),
        "{seen:?}"
    );
}

/// Every reason code the document lists exists on the wire, and every reason
/// the server can give is documented.
#[test]
fn every_reject_reason_is_documented_and_every_documented_one_exists() {
    let rules = table("| reason | when |");
    let documented: Vec<String> = rules.iter().map(|r| r[0].clone()).collect();
    for reason in &documented {
        let parsed: Result<RejectReason, _> = serde_json::from_value(serde_json::json!(reason));
        assert!(
            parsed.is_ok(),
            "docs/protocol.md lists {reason:?}, not a reason"
        );
    }
    let receipt_list = PROTOCOL
        .split("`status` is `accepted`,")
        .nth(1)
        .expect("the results paragraph")
        .split("\n\n")
        .next()
        .expect("paragraph")
        .to_owned();
    for reason in [
        RejectReason::Conflict,
        RejectReason::SequenceGap,
        RejectReason::ChainBroken,
        RejectReason::BadSignature,
        RejectReason::WrongDevice,
        RejectReason::UnknownParcel,
        RejectReason::BadProof,
        RejectReason::Malformed,
        RejectReason::NotProcessed,
        RejectReason::TooLarge,
    ] {
        let wire = serde_json::to_value(reason).expect("json");
        let wire = wire.as_str().expect("str");
        assert!(
            receipt_list.contains(&format!("`{wire}`")),
            "{wire} not in the document's list of results"
        );
    }
}

/// The rule the integrator's device froze on: a `code_attempt` with `result:
/// match` on an open parcel. The server's answer is the one the document's
/// rule table gives for it.
#[tokio::test]
async fn a_matching_code_attempt_on_an_open_parcel_is_answered_as_documented() {
    let rules = table("| reason | when |");
    let row = rules
        .iter()
        .find(|r| {
            r[1].contains("code_attempt` with `verification.result: match` on a parcel still open")
        })
        .expect("docs/protocol.md states the rule for a matching code_attempt on an open parcel");
    let documented: RejectReason =
        serde_json::from_value(serde_json::json!(row[0])).expect("a reason");
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let order = h.order("ORD-MATCH", CodePolicy::OfflineAllowed).await;
    h.manifest(&dev.id, &[&order.parcel_id], 3_600_000).await;
    let arrived = dev.next(EventKind::Arrived, Some(&order.parcel_id));
    let mut body = dev.body(
        dev.seq + 1,
        &dev.prev.clone(),
        EventKind::CodeAttempt,
        Some(&order.parcel_id),
    );
    body.verification = Some(Verification {
        entry: EntryMode::Keypad,
        check: CheckMode::Offline,
        result: CheckResult::Match,
        attempt: 1,
        attempt_limit: 3,
    });
    let attempt = dev.seal_next(body);
    let r = h.upload(&mut dev, &[arrived, attempt]).await;
    let result = &r.receipt.body.results[1];
    assert_eq!(result.reason, Some(documented), "{result:?}");
    assert_ne!(result.status, EventStatus::Accepted, "{result:?}");
}
