//! The reference server on loopback, an enrolled device that signs its
//! requests and events, and signed manifests the server issues.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use courier_protocol::api::{
    CreateOrderRequest, CreateOrderResponse, EnrollRequest, EnrollResponse, ErrorBody, EventBatch,
    EventsResponse, IssueManifestRequest,
};
use courier_protocol::envelope::{EventBody, GENESIS_PREV_HASH, SignedEvent};
use courier_protocol::keys::{PublicKey, Signer, generate_pkcs8, keypair_from_pkcs8};
use courier_protocol::manifest::{Address, Recipient, SignedManifest};
use courier_protocol::request_signing::sign_request;
use courier_protocol::vocabulary::{CodePolicy, EventKind, ParcelKind};
use escrow_reference_server::faults::Faults;
use escrow_reference_server::{AppState, Database, RunningServer, ServerConfig, start};
use ring::signature::Ed25519KeyPair;

/// The admin token of every test server.
pub const ADMIN: &str = "admin-secret";
/// Set to a `postgres://` URL to run these tests on PostgreSQL (each test in a
/// fresh database beside the one named); unset runs them on SQLite.
pub const DATABASE_ENV: &str = "ESCROW_TEST_DATABASE_URL";
/// The test servers' clock at start (2026-05-28 UTC), Unix ms.
pub const T0: i64 = 1_780_000_000_000;

/// A reference server on loopback with a settable clock and an HTTP client.
pub struct Harness {
    /// Holds the SQLite file while the server runs.
    pub dir: tempfile::TempDir,
    /// The database this server runs on (a second server may share it).
    pub database: Database,
    /// The server.
    pub server: RunningServer,
    /// The server's clock, Unix ms (tests move it).
    pub clock: Arc<AtomicI64>,
    /// A client for admin and device calls.
    pub http: reqwest::Client,
}

impl Harness {
    /// A server on a fresh test database ([`test_database`]).
    pub async fn new() -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = test_database(&dir).await;
        Harness::on(dir, database).await
    }

    /// A server on a given database (a second process's view of the same data).
    pub async fn on(dir: tempfile::TempDir, database: Database) -> Harness {
        let clock = Arc::new(AtomicI64::new(T0));
        let c = clock.clone();
        let config = ServerConfig {
            database: database.clone(),
            admin_token: Some(ADMIN.into()),
            clock: Arc::new(move || c.load(Ordering::SeqCst)),
            password_cost: escrow_reference_server::back_office::PasswordCost::for_tests(),
        };
        let state = AppState::open(&config, Arc::new(Faults::default()))
            .await
            .unwrap_or_else(|e| panic!("cannot open the server's database: {e}"));
        let server = start(state, "127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("start");
        Harness {
            dir,
            database,
            server,
            clock,
            http: reqwest::Client::new(),
        }
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// An admin call with the admin token; panics unless it succeeds.
    pub async fn admin_post<T: serde::Serialize, R: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &T,
    ) -> R {
        let r = self
            .http
            .post(self.url(path))
            .bearer_auth(ADMIN)
            .json(body)
            .send()
            .await
            .expect("admin call");
        assert!(r.status().is_success(), "admin {path}: {}", r.status());
        r.json().await.expect("admin json")
    }

    /// Creates order `order_ref` (label `LBL-<order_ref>`, 3 tries).
    pub async fn order(&self, order_ref: &str, policy: CodePolicy) -> CreateOrderResponse {
        self.admin_post(
            "/v1/admin/orders",
            &CreateOrderRequest {
                order_ref: order_ref.into(),
                label: format!("LBL-{order_ref}"),
                kind: ParcelKind::Delivery,
                policy,
                recipient: Recipient {
                    name: "B".into(),
                    phone: "1".into(),
                },
                address: Address {
                    text: "x".into(),
                    city: "y".into(),
                    lat_e7: None,
                    lon_e7: None,
                },
                amount_minor: 100,
                currency: "EUR".into(),
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

    /// Enrolls a new device with a fresh key and an enrollment token.
    pub async fn enroll(&self) -> Device {
        let token: courier_protocol::api::EnrollmentTokenResponse = self
            .admin_post("/v1/admin/enrollment-tokens", &serde_json::json!({}))
            .await;
        let key = keypair_from_pkcs8(&generate_pkcs8().expect("gen")).expect("key");
        let r: EnrollResponse = self
            .http
            .post(self.url("/v1/enroll"))
            .json(&EnrollRequest {
                token: token.token,
                device_public_key: Signer::public_key(&key),
                hardware_label: "test".into(),
            })
            .send()
            .await
            .expect("enroll")
            .json()
            .await
            .expect("json");
        Device {
            id: r.device_id,
            key,
            server_key: r.server_public_key,
            seq: 0,
            prev: GENESIS_PREV_HASH.into(),
            nonce: 0,
        }
    }

    /// A signed manifest for `device` listing `parcels`, issued by the server.
    pub async fn manifest(
        &self,
        device: &str,
        parcels: &[&str],
        valid_for_ms: i64,
    ) -> SignedManifest {
        self.admin_post(
            "/v1/admin/manifests",
            &IssueManifestRequest {
                device_id: device.into(),
                parcel_ids: parcels.iter().map(|s| s.to_string()).collect(),
                withdrawn: vec![],
                depot: "D".into(),
                valid_for_ms,
                load_check: false,
                desks: Default::default(),
                photos: Default::default(),
            },
        )
        .await
    }

    /// A second server process's view: another server on the same database
    /// (its own connections, nothing shared in memory).
    pub async fn twin(&self) -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        Harness::on(dir, self.database.clone()).await
    }

    /// Signs a request without sending it (to send it elsewhere, or twice).
    pub fn sign(
        &self,
        device: &mut Device,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> courier_protocol::request_signing::RequestAuth {
        device.nonce += 1;
        let mut nonce = [0u8; 16];
        nonce[..8].copy_from_slice(&device.nonce.to_le_bytes());
        let now = self.clock.load(Ordering::SeqCst);
        sign_request(&device.key, &device.id, method, path, body, now, nonce)
    }

    /// Sends a signed request; returns status and body text.
    pub async fn signed(
        &self,
        device: &mut Device,
        method: &str,
        path: &str,
        body: Vec<u8>,
    ) -> (u16, String) {
        device.nonce += 1;
        let mut nonce = [0u8; 16];
        nonce[..8].copy_from_slice(&device.nonce.to_le_bytes());
        let now = self.clock.load(Ordering::SeqCst);
        let auth = sign_request(&device.key, &device.id, method, path, &body, now, nonce);
        self.send_with(&auth, method, path, body).await
    }

    /// Sends a request already signed with `auth`; returns status and body text.
    pub async fn send_with(
        &self,
        auth: &courier_protocol::request_signing::RequestAuth,
        method: &str,
        path: &str,
        body: Vec<u8>,
    ) -> (u16, String) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let r = self
            .http
            .request(m, self.url(path))
            .header("x-device-id", &auth.device_id)
            .header("x-timestamp", auth.timestamp_ms.to_string())
            .header("x-nonce", &auth.nonce)
            .header("x-signature", &auth.signature)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("send");
        let status = r.status().as_u16();
        (status, r.text().await.expect("text"))
    }

    /// Uploads `events`; panics unless the server answers 200.
    pub async fn upload(&self, device: &mut Device, events: &[SignedEvent]) -> EventsResponse {
        let body = serde_json::to_vec(&EventBatch {
            events: events.to_vec(),
        })
        .expect("json");
        let (status, text) = self.signed(device, "POST", "/v1/events", body).await;
        assert_eq!(status, 200, "{text}");
        serde_json::from_str(&text).expect("events response")
    }
}

/// The database of one test: a SQLite file in `dir`, or a fresh PostgreSQL
/// database when [`DATABASE_ENV`] is set. PostgreSQL asked for but
/// unreachable fails the test: it never falls back to SQLite.
pub async fn test_database(dir: &tempfile::TempDir) -> Database {
    match std::env::var(DATABASE_ENV) {
        Ok(url) if !url.is_empty() => {
            let name = format!("escrow_test_{}", uuid::Uuid::now_v7().simple());
            let url = escrow_reference_server::postgres::create_fresh_database(&url, &name)
                .await
                .unwrap_or_else(|e| {
                    panic!("{DATABASE_ENV} is set but PostgreSQL cannot be used: {e}")
                });
            Database::Postgres(url)
        }
        _ => Database::Sqlite(dir.path().join("server.sqlite")),
    }
}

/// The `error.code` of an error body.
pub fn error_code(text: &str) -> String {
    let e: ErrorBody = serde_json::from_str(text).expect("error body");
    serde_json::to_value(e.error.code)
        .expect("json")
        .as_str()
        .expect("str")
        .to_owned()
}

/// An enrolled device: its key, and its chain and nonces so far.
pub struct Device {
    /// Its id at the server.
    pub id: String,
    /// Its signing key.
    pub key: Ed25519KeyPair,
    /// The server's key it was given.
    pub server_key: PublicKey,
    /// The seq of the last event sealed.
    pub seq: u64,
    /// The hash of the last event sealed.
    pub prev: String,
    /// The last request nonce used.
    pub nonce: u64,
}

impl Device {
    /// An unsealed event of this device at `seq` after `prev`, stamped at
    /// [`T0`], every optional field empty.
    pub fn body(&self, seq: u64, prev: &str, kind: EventKind, parcel: Option<&str>) -> EventBody {
        let mut body = crate::event_body(&self.id, seq, prev, kind, parcel);
        body.event_id = uuid::Uuid::now_v7().to_string();
        body.clock.device_utc_ms = T0;
        body.clock.monotonic_ms = 1;
        body
    }

    /// Seals the next event of the chain and advances it.
    pub fn next(&mut self, kind: EventKind, parcel: Option<&str>) -> SignedEvent {
        let body = self.body(self.seq + 1, &self.prev.clone(), kind, parcel);
        self.seal_next(body)
    }

    /// Seals `body` as the next event of the chain and advances it.
    pub fn seal_next(&mut self, body: EventBody) -> SignedEvent {
        let e = SignedEvent::seal(body, &self.key).expect("seal");
        self.seq = e.body.seq;
        self.prev = e.hash.clone();
        e
    }
}
