//! A back office with something to look at, for the browser back office's
//! tests: two depots (`ALG-1`, `ORN-2`), a delivering device in each, an
//! order delivered and claimed in each, and named operators of every role;
//! and a small browser-less client that signs in with the session cookie
//! and posts forms with their CSRF token.
#![allow(dead_code)]

use std::sync::atomic::Ordering;

use courier_protocol::api::{CreateOrderRequest, CreateOrderResponse, IssueManifestRequest};
use courier_protocol::back_office::{
    Claim, CreateOperatorRequest, CreateOperatorResponse, OperatorSession,
};
use courier_protocol::envelope::{FixRecord, PositionRecord};
use courier_protocol::manifest::SignedManifest;
use courier_protocol::manifest::{Address, Recipient};
use courier_protocol::rules::operator_role::OperatorRole;
use courier_protocol::vocabulary::{CodePolicy, EventKind, ParcelKind};
use serde_json::json;

use crate::common::{Device, Harness, T0};
use crate::doorstep::{accepted, delivered, upload};

/// One hour, ms.
pub const HOUR: i64 = 3_600_000;

/// The scene's operators: (name, roles, depots).
pub const OPERATORS: &[(&str, &[OperatorRole], &[&str])] = &[
    ("nour", &[OperatorRole::CarrierIt], &[]),
    ("amina", &[OperatorRole::BackOffice], &[]),
    ("sami", &[OperatorRole::Approver], &[]),
    ("karim", &[OperatorRole::BackOffice], &[]),
    (
        "yacine",
        &[OperatorRole::DepotManager, OperatorRole::BackOffice],
        &["ALG-1"],
    ),
];

/// The scene: the server, its devices, claims and operators' passwords.
pub struct Scene {
    /// The server.
    pub h: Harness,
    /// The device of depot ALG-1.
    pub alg: Device,
    /// The device of depot ORN-2.
    pub orn: Device,
    /// The claim on ALG-1's order W-ALG.
    pub claim_alg: Claim,
    /// The claim on ORN-2's order W-ORN.
    pub claim_orn: Claim,
    /// Passwords by operator name.
    pub passwords: Vec<(String, String)>,
}

impl Scene {
    /// The password of operator `name`.
    pub fn password(&self, name: &str) -> &str {
        self.passwords
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p.as_str())
            .expect("operator of the scene")
    }
}

async fn manifest_in(h: &Harness, device: &str, parcels: &[&str], depot: &str) -> SignedManifest {
    h.admin_post(
        "/v1/admin/manifests",
        &IssueManifestRequest {
            photos: Default::default(),
            device_id: device.into(),
            parcel_ids: parcels.iter().map(|s| s.to_string()).collect(),
            withdrawn: vec![],
            depot: depot.into(),
            valid_for_ms: 48 * HOUR,
            load_check: false,
            desks: Default::default(),
        },
    )
    .await
}

async fn deliver(h: &Harness, dev: &mut Device, m: &SignedManifest, order: &CreateOrderResponse) {
    let pid = &order.parcel_id;
    let arrived = dev.next(EventKind::Arrived, Some(pid));
    let d = delivered(dev, m, pid, &order.numeric_code, 1);
    assert_eq!(
        upload(h, dev, &[arrived, d]).await,
        vec![accepted(), accepted()]
    );
}

async fn bearer(h: &Harness, name: &str, password: &str) -> String {
    let r = h
        .http
        .post(h.url("/v1/operator-sessions"))
        .json(&json!({"name": name, "password": password}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status(), 200);
    let s: OperatorSession = r.json().await.expect("session");
    s.token
}

async fn file_claim(h: &Harness, token: &str, order_ref: &str) -> Claim {
    let r = h
        .http
        .post(h.url("/v1/claims"))
        .bearer_auth(token)
        .json(
            &json!({"order_ref": order_ref, "asked": "refund", "reason": "the screen is cracked"}),
        )
        .send()
        .await
        .expect("claim");
    assert_eq!(r.status(), 200);
    r.json().await.expect("claim json")
}

/// Builds the scene on a fresh server.
pub async fn scene() -> Scene {
    let h = Harness::new().await;
    let mut passwords = Vec::new();
    for (name, roles, depots) in OPERATORS {
        let created: CreateOperatorResponse = h
            .admin_post(
                "/v1/admin/operators",
                &CreateOperatorRequest {
                    name: (*name).into(),
                    roles: roles.to_vec(),
                    depots: depots.iter().map(|d| d.to_string()).collect(),
                },
            )
            .await;
        passwords.push((name.to_string(), created.password));
    }
    let mut alg = h.enroll().await;
    let mut orn = h.enroll().await;
    let w_alg = h.order("W-ALG", CodePolicy::OfflineAllowed).await;
    let w_orn = h.order("W-ORN", CodePolicy::OfflineAllowed).await;
    let m_alg = manifest_in(&h, &alg.id, &[&w_alg.parcel_id], "ALG-1").await;
    let m_orn = manifest_in(&h, &orn.id, &[&w_orn.parcel_id], "ORN-2").await;
    deliver(&h, &mut alg, &m_alg, &w_alg).await;
    deliver(&h, &mut orn, &m_orn, &w_orn).await;
    h.clock.store(T0 + HOUR, Ordering::SeqCst);
    let amina = passwords[1].1.clone();
    let agent = bearer(&h, "amina", &amina).await;
    let claim_alg = file_claim(&h, &agent, "W-ALG").await;
    let claim_orn = file_claim(&h, &agent, "W-ORN").await;
    Scene {
        h,
        alg,
        orn,
        claim_alg,
        claim_orn,
        passwords,
    }
}

/// An order of a buyer with a phone and an address with coordinates.
pub async fn order_with_phone(s: &Scene, order_ref: &str, label: &str) -> CreateOrderResponse {
    s.h.admin_post(
        "/v1/admin/orders",
        &CreateOrderRequest {
            order_ref: order_ref.into(),
            label: label.into(),
            kind: ParcelKind::Delivery,
            policy: CodePolicy::OfflineAllowed,
            recipient: Recipient {
                name: "Buyer".into(),
                phone: "+216 98 123 456".into(),
            },
            address: Address {
                text: "12 rue de Marseille".into(),
                city: "Tunis".into(),
                lat_e7: Some(368_070_000),
                lon_e7: Some(101_820_000),
            },
            amount_minor: 4_500,
            currency: "TND".into(),
            collect: None,
            digits: None,
            iterations: Some(1_000),
            attempt_limit: Some(3),
            demo_secret: None,
            order_parcels: Vec::new(),
        },
    )
    .await
}

/// Order W-MAP (label PKG-MAP-1, phone +216 98 123 456) sent to ALG-1's
/// device, its manifest accepted, arrived with a GNSS fix, then delivered.
pub async fn mapped_order(s: &mut Scene) {
    let order = order_with_phone(s, "W-MAP", "PKG-MAP-1").await;
    let m = manifest_in(&s.h, &s.alg.id, &[&order.parcel_id], "ALG-1").await;
    let mut took = s.alg.body(
        s.alg.seq + 1,
        &s.alg.prev.clone(),
        EventKind::ManifestAccepted,
        None,
    );
    took.manifest_version = Some(m.body.version);
    let took = s.alg.seal_next(took);
    let mut body = s.alg.body(
        s.alg.seq + 1,
        &s.alg.prev.clone(),
        EventKind::Arrived,
        Some(&order.parcel_id),
    );
    body.position = PositionRecord {
        status: "fix".into(),
        source: "gnss".into(),
        fix: Some(FixRecord {
            lat_e7: 368_065_000,
            lon_e7: 101_815_000,
            alt_cm: None,
            hdop_centi: Some(180),
            satellites: Some(8),
            mode: "3d".into(),
            fix_utc_ms: Some(T0),
            age_ms: 0,
        }),
        last_fix: None,
        reason: None,
    };
    let arrived = s.alg.seal_next(body);
    let d = delivered(&mut s.alg, &m, &order.parcel_id, &order.numeric_code, 1);
    assert_eq!(
        upload(&s.h, &mut s.alg, &[took, arrived, d]).await,
        vec![accepted(), accepted(), accepted()]
    );
}

/// A browser-less client of the back office: a session cookie, and the
/// CSRF token read from the pages' forms.
pub struct WebClient {
    http: reqwest::Client,
    base: String,
    /// The session cookie's `name=value`.
    pub cookie: String,
    /// The `Set-Cookie` the sign-in answered.
    pub set_cookie: String,
}

/// The first `name="csrf" value="..."` of a page.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("a form with its CSRF token: {html}"));
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').expect("end of value")].to_owned()
}

impl WebClient {
    /// Signs `name` in through the sign-in form.
    pub async fn sign_in(s: &Scene, name: &str) -> WebClient {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let base = s.h.url("");
        let form = http
            .get(format!("{base}/back-office/sign-in"))
            .send()
            .await
            .expect("sign-in page");
        let login_cookie = form
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("the sign-in form's cookie")
            .to_owned();
        let csrf = csrf_of(&form.text().await.expect("html"));
        let r = http
            .post(format!("{base}/back-office/sign-in"))
            .header("cookie", login_cookie)
            .form(&[
                ("name", name),
                ("password", s.password(name)),
                ("csrf", &csrf),
            ])
            .send()
            .await
            .expect("sign in");
        assert_eq!(r.status(), 303, "sign-in of {name}");
        let set_cookie = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("the session cookie")
            .to_owned();
        let cookie = set_cookie.split(';').next().expect("name=value").to_owned();
        WebClient {
            http,
            base,
            cookie,
            set_cookie,
        }
    }

    /// `GET path`: status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("get");
        (r.status().as_u16(), r.text().await.expect("text"))
    }

    /// Posts a form: status and body.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(fields)
            .send()
            .await
            .expect("post");
        (r.status().as_u16(), r.text().await.expect("text"))
    }

    /// The CSRF token of the session (from the page at `path`).
    pub async fn csrf(&self, path: &str) -> String {
        let (status, html) = self.get(path).await;
        assert_eq!(status, 200, "{path}: {html}");
        csrf_of(&html)
    }
}
