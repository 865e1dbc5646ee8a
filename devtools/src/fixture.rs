//! A device with a pinned server key and a loaded sample manifest, for tests
//! and benches (of this workspace only: nothing here ships).

use std::path::PathBuf;
use std::sync::Arc;

use courier_protocol::keys::{Signer, generate_pkcs8, keypair_from_pkcs8};
use courier_terminal::clock::SystemClock;
use courier_terminal::position_source::{NoPosition, PositionSource};
use courier_terminal::terminal::{DataDir, Terminal, init};
use ring::signature::Ed25519KeyPair;

use crate::sample_day::{SampleCode, SampleSpec, sample_day};

/// KDF iterations of test manifests (low: these tests do not test the KDF).
pub const TEST_ITERATIONS: u32 = 1_000;

/// A set-up device and what made it.
#[allow(missing_docs)]
pub struct Day {
    pub tmp: tempfile::TempDir,
    pub dir: DataDir,
    pub server: Ed25519KeyPair,
    pub server_key_file: PathBuf,
    pub manifest_file: PathBuf,
    pub codes_file: PathBuf,
    pub codes: Vec<SampleCode>,
    pub device_id: String,
    pub supervisor: crate::sample_day::SampleSupervisor,
}

/// Now, Unix ms.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

/// A fresh device with a loaded manifest of `parcels` parcels.
pub fn day(parcels: usize) -> Day {
    day_with(parcels, false)
}

/// A fresh device with a loaded manifest of `parcels` parcels that asks (or
/// not) for the morning load check.
pub fn day_with(parcels: usize, load_check: bool) -> Day {
    day_with_orders(parcels, load_check, &[])
}

/// Like [`day_with`], the deliveries at these route positions made orders of
/// two parcels under one code ([`crate::sample_day::two_parcels`]).
pub fn day_with_orders(parcels: usize, load_check: bool, two_parcel_orders: &[u32]) -> Day {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = DataDir(tmp.path().join("data"));
    let pkcs8 = generate_pkcs8().expect("server key");
    let server_key_file = tmp.path().join("server.key");
    std::fs::write(&server_key_file, &pkcs8).expect("write server key");
    let server = keypair_from_pkcs8(&pkcs8).expect("server key");
    let report = init(&dir, Some("CT-TEST-1"), Some(server.public_key())).expect("init");
    let sample = sample_day(
        &SampleSpec {
            device_id: report.device_id.as_str(),
            version: 1,
            issued_at_ms: now_ms(),
            valid_for_ms: 12 * 3_600_000,
            parcels,
            iterations: TEST_ITERATIONS,
            withdrawn: &[],
            load_check,
            two_parcel_orders,
        },
        &server,
    )
    .expect("sample day");
    let manifest_file = tmp.path().join("manifest.json");
    std::fs::write(
        &manifest_file,
        serde_json::to_vec(&sample.manifest).expect("json"),
    )
    .expect("write");
    let codes_file = tmp.path().join("codes.json");
    std::fs::write(
        &codes_file,
        serde_json::to_vec(&sample.codes).expect("json"),
    )
    .expect("write");
    let mut t = open(&dir, Arc::new(NoPosition));
    t.load_manifest(&sample.manifest).expect("load manifest");
    Day {
        tmp,
        dir,
        server,
        server_key_file,
        manifest_file,
        codes_file,
        codes: sample.codes,
        device_id: report.device_id.to_string(),
        supervisor: sample.supervisor,
    }
}

/// Opens the terminal of a data directory.
pub fn open(dir: &DataDir, position: Arc<dyn PositionSource>) -> Terminal {
    Terminal::open(dir, Arc::new(SystemClock::new()), position).expect("open terminal")
}
