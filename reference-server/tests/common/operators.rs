//! Named operators and manifests by depot in the server's tests: an
//! account created with the admin token and signed in, and a manifest
//! issued for a device in a depot.
#![allow(dead_code)]

use courier_protocol::api::IssueManifestRequest;
use courier_protocol::back_office::{
    CreateOperatorRequest, CreateOperatorResponse, OperatorSession,
};
use courier_protocol::manifest::SignedManifest;
use courier_protocol::rules::operator_role::OperatorRole;
use serde_json::json;

use super::Harness;

const HOUR: i64 = 3_600_000;

/// Creates an account with the admin token and signs it in.
pub async fn operator(h: &Harness, name: &str, roles: &[OperatorRole], depots: &[&str]) -> String {
    let created: CreateOperatorResponse = h
        .admin_post(
            "/v1/admin/operators",
            &CreateOperatorRequest {
                name: name.into(),
                roles: roles.to_vec(),
                depots: depots.iter().map(|d| d.to_string()).collect(),
            },
        )
        .await;
    let r = h
        .http
        .post(h.url("/v1/operator-sessions"))
        .json(&json!({"name": name, "password": created.password}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status(), 200);
    let s: OperatorSession = r.json().await.expect("session");
    s.token
}

/// A manifest for `device` in `depot`.
pub async fn manifest_in(
    h: &Harness,
    device: &str,
    parcels: &[&str],
    depot: &str,
) -> SignedManifest {
    h.admin_post(
        "/v1/admin/manifests",
        &IssueManifestRequest {
            device_id: device.into(),
            parcel_ids: parcels.iter().map(|s| s.to_string()).collect(),
            withdrawn: vec![],
            depot: depot.into(),
            valid_for_ms: 48 * HOUR,
            load_check: false,
            desks: Default::default(),
            photos: Default::default(),
        },
    )
    .await
}
