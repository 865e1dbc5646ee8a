//! Shared set-up of the sync tests: the reference server on loopback and the
//! real `courier-terminal` binary as the device.
#![allow(dead_code, missing_docs)]

pub mod rewriting_proxy;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

use courier_protocol::api::{
    CreateOrderRequest, CreateOrderResponse, CreateSupervisorRequest, EnrollmentTokenResponse,
    IssueManifestRequest,
};
use courier_protocol::manifest::{Address, Recipient, SignedManifest};
use courier_protocol::vocabulary::{CodePolicy, ParcelKind};
use escrow_reference_server::faults::Faults;
use escrow_reference_server::tls::TlsAcceptor;
use escrow_reference_server::{
    AppState, RunningServer, ServerConfig, admin, block_on, start, start_tls, system_clock,
};

pub const BIN: &str = env!("CARGO_BIN_EXE_courier-terminal");

/// The reference server, restartable on the same file and port.
pub struct Server {
    pub tmp: tempfile::TempDir,
    pub config: ServerConfig,
    pub faults: Arc<Faults>,
    pub addr: SocketAddr,
    pub running: Option<RunningServer>,
    /// Serving HTTPS with this certificate when set.
    pub tls: Option<TlsAcceptor>,
}

impl Server {
    pub async fn start() -> Server {
        Server::start_with_clock_offset(0).await
    }

    /// A server whose clock is `offset_ms` ahead of this machine's.
    pub async fn start_with_clock_offset(offset_ms: i64) -> Server {
        Server::launch(offset_ms, None).await
    }

    /// A server on HTTPS with the certificate `tls` holds.
    pub async fn start_tls(tls: TlsAcceptor) -> Server {
        Server::launch(0, Some(tls)).await
    }

    /// A server on the test database: PostgreSQL when `ESCROW_TEST_DATABASE_URL`
    /// is set (a fresh database beside the one named), else SQLite.
    pub async fn start_on_test_database() -> Server {
        Server::launch(0, None).await
    }

    async fn launch(offset_ms: i64, tls: Option<TlsAcceptor>) -> Server {
        let tmp = tempfile::tempdir().expect("tempdir");
        let system = system_clock();
        let database = courier_test_support::server::test_database(&tmp).await;
        let config = ServerConfig {
            database,
            admin_token: Some("admin".into()),
            clock: Arc::new(move || system() + offset_ms),
            password_cost: escrow_reference_server::back_office::PasswordCost::for_tests(),
        };
        let faults = Arc::new(Faults::default());
        let state = AppState::open(&config, faults.clone())
            .await
            .expect("open server");
        let addr = "127.0.0.1:0".parse().expect("addr");
        let running = match tls.clone() {
            None => start(state, addr).await,
            Some(tls) => start_tls(state, addr, tls).await,
        }
        .expect("start server");
        Server {
            tmp,
            config,
            faults,
            addr: running.addr,
            running: Some(running),
            tls,
        }
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    pub fn state(&self) -> &Arc<AppState> {
        &self.running.as_ref().expect("server running").state
    }

    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }

    /// Starts again on the same SQLite file and port, with fresh state in memory.
    pub async fn restart(&mut self) {
        self.stop().await;
        let state = AppState::open(&self.config, self.faults.clone())
            .await
            .expect("reopen");
        self.running = Some(
            match self.tls.clone() {
                None => start(state, self.addr).await,
                Some(tls) => start_tls(state, self.addr, tls).await,
            }
            .expect("restart on the same port"),
        );
    }

    pub fn order(&self, order_ref: &str, policy: CodePolicy) -> CreateOrderResponse {
        self.order_of_parcels(order_ref, policy, &[])
    }

    /// An order of several parcels under one code: `(label, amount)` of each
    /// (the first is the order's label); none: the one parcel `L-<order_ref>`
    /// of 1000.
    pub fn order_of_parcels(
        &self,
        order_ref: &str,
        policy: CodePolicy,
        parcels: &[(&str, i64)],
    ) -> CreateOrderResponse {
        let order_parcels: Vec<courier_protocol::order_parcels::OrderParcel> = parcels
            .iter()
            .map(
                |(label, amount)| courier_protocol::order_parcels::OrderParcel {
                    label: (*label).into(),
                    amount_minor: *amount,
                    description: None,
                },
            )
            .collect();
        block_on(admin::create_order(
            self.state().store(),
            &CreateOrderRequest {
                order_ref: order_ref.into(),
                label: parcels
                    .first()
                    .map_or_else(|| format!("L-{order_ref}"), |(l, _)| (*l).to_owned()),
                kind: ParcelKind::Delivery,
                policy,
                recipient: Recipient {
                    name: "Buyer".into(),
                    phone: "+1".into(),
                },
                address: Address {
                    text: "1 Street".into(),
                    city: "City".into(),
                    lat_e7: None,
                    lon_e7: None,
                },
                amount_minor: if parcels.is_empty() {
                    1000
                } else {
                    parcels.iter().map(|(_, a)| a).sum()
                },
                currency: "EUR".into(),
                collect: None,
                digits: None,
                iterations: Some(1_000),
                attempt_limit: Some(3),
                demo_secret: None,
                order_parcels,
            },
        ))
        .expect("create order")
    }

    /// A depot supervisor signing in with `pin` (PIN verifier at a low KDF
    /// iteration count, as tests use), with a badge too when `badge`.
    pub async fn supervisor(&self, id: &str, name: &str, depot: &str, pin: &str, badge: bool) {
        let now = self.state().now_ms();
        admin::create_supervisor(
            self.state().store(),
            &CreateSupervisorRequest {
                supervisor_id: id.into(),
                name: name.into(),
                depot: depot.into(),
                badge,
                pin: Some(pin.into()),
                attempt_limit: None,
                pin_iterations: Some(1_000),
            },
            now,
        )
        .await
        .expect("supervisor");
    }

    pub fn token(&self) -> EnrollmentTokenResponse {
        let now = self.state().now_ms();
        block_on(admin::issue_token(self.state().store(), now)).expect("token")
    }

    pub fn manifest(&self, device_id: &str, parcels: &[&str], valid_for_ms: i64) -> SignedManifest {
        self.manifest_with_photos(device_id, parcels, valid_for_ms, Default::default())
    }

    /// A manifest with a photo policy.
    pub fn manifest_with_photos(
        &self,
        device_id: &str,
        parcels: &[&str],
        valid_for_ms: i64,
        photos: courier_protocol::photo_policy::PhotoPolicy,
    ) -> SignedManifest {
        let state = self.state();
        let now = state.now_ms();
        // A non-positive validity makes the expired manifest terminals must
        // refuse; the admin API would not sign it, so go round it.
        let req = IssueManifestRequest {
            device_id: device_id.into(),
            parcel_ids: parcels.iter().map(|p| p.to_string()).collect(),
            withdrawn: vec![],
            depot: "Depot".into(),
            valid_for_ms,
            load_check: false,
            desks: Default::default(),
            photos,
        };
        let (store, key) = (state.store(), state.key());
        block_on(async {
            if valid_for_ms <= 0 {
                admin::issue_manifest_unchecked(store, key, &req, now).await
            } else {
                admin::issue_manifest(store, key, &req, now).await
            }
        })
        .expect("manifest")
    }
}

/// Runs the terminal binary to completion (on a blocking thread).
pub async fn term(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    run(data, args, env, None).await
}

/// Runs the terminal with `stdin` on its standard input (a supervisor's PIN or badge).
pub async fn term_stdin(data: &Path, args: &[&str], stdin: &str) -> Output {
    run(data, args, &[], Some(stdin)).await
}

async fn run(data: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    use std::io::Write as _;
    use std::process::Stdio;
    let data = data.to_owned();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let stdin = stdin.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(BIN);
        command.arg("--data-dir").arg(&data).args(&args).envs(env);
        let Some(input) = stdin else {
            return command.output().expect("run courier-terminal");
        };
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run courier-terminal");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("stdin");
        child.wait_with_output().expect("wait")
    })
    .await
    .expect("join")
}

pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Must succeed.
pub async fn ok(data: &Path, args: &[&str]) -> String {
    let o = term(data, args, &[]).await;
    assert!(o.status.success(), "{args:?} failed: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Enrolls a fresh device; returns its id.
pub async fn enroll(server: &Server, data: &Path) -> String {
    let token = server.token().token;
    let out = ok(
        data,
        &[
            "enroll",
            "--server",
            &server.url(),
            "--token",
            &token,
            "--hardware-label",
            "test",
        ],
    )
    .await;
    out.lines()
        .find_map(|l| l.strip_prefix("enrolled as"))
        .map(|s| s.trim().to_owned())
        .expect("device id printed")
}

/// Fast-retry sync flags for tests.
pub const FAST: &[&str] = &["--backoff-base-ms", "5", "--request-timeout-ms", "700"];

pub fn data_dir(tmp: &tempfile::TempDir) -> PathBuf {
    tmp.path().join("device")
}

impl Server {
    /// An enrollment QR for a fresh token of this server.
    pub fn enrollment_qr(&self, profile: courier_protocol::enrollment_qr::Profile) -> String {
        use courier_protocol::keys::Signer;
        let token = self.token().token;
        let key = Signer::public_key(self.state().key());
        courier_protocol::enrollment_qr::EnrollmentQr::new(&self.url(), profile, &token, &key)
            .to_string()
    }
}
