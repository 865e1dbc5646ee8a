//! Key and manifest helpers for tests and demos: a server key, a signed sample
//! manifest, the sample buyers' codes.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::{Context, Result};
use courier_protocol::keys::{Signer, generate_pkcs8, keypair_from_pkcs8};

use crate::sample_day::{SampleSpec, sample_day};

/// Writes a new server signing key (PKCS#8, mode 0600) and returns its public key hex.
pub fn server_key(out: &Path) -> Result<String> {
    let pkcs8 = generate_pkcs8()?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(out)
        .with_context(|| format!("cannot create {}", out.display()))?;
    f.write_all(&pkcs8)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(Signer::public_key(&keypair_from_pkcs8(&pkcs8)?).to_hex())
}

/// What a sample manifest holds.
#[derive(Debug, Clone)]
pub struct SampleManifestArgs<'a> {
    /// Server key file (PKCS#8).
    pub server_key: &'a Path,
    /// Device id.
    pub device_id: &'a str,
    /// Output file.
    pub out: &'a Path,
    /// Parcels.
    pub parcels: usize,
    /// Version.
    pub version: u64,
    /// PBKDF2 iterations of numeric codes.
    pub iterations: u32,
    /// Validity in hours (negative: already expired).
    pub valid_hours: i64,
    /// Labels to mark withdrawn.
    pub withdraw: &'a [String],
    /// Also write the buyers' codes here (JSON).
    pub codes_out: Option<&'a Path>,
    /// Issue time, Unix ms.
    pub now_ms: i64,
}

/// Signs a sample manifest (Algiers) for a device and writes it; returns the
/// depot supervisor it lists (their badge works offline at the sample depot).
pub fn sample_manifest(a: &SampleManifestArgs<'_>) -> Result<crate::sample_day::SampleSupervisor> {
    let pkcs8 = std::fs::read(a.server_key)
        .with_context(|| format!("cannot read {}", a.server_key.display()))?;
    let pair = keypair_from_pkcs8(&pkcs8)?;
    let day = sample_day(
        &SampleSpec {
            device_id: a.device_id,
            version: a.version,
            issued_at_ms: a.now_ms.min(a.now_ms + a.valid_hours * 3_600_000 - 1),
            valid_for_ms: a.valid_hours * 3_600_000,
            parcels: a.parcels,
            iterations: a.iterations,
            withdrawn: a.withdraw,
            load_check: false,
            two_parcel_orders: &[],
        },
        &pair,
    )?;
    std::fs::write(a.out, serde_json::to_vec_pretty(&day.manifest)?)
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    if let Some(c) = a.codes_out {
        std::fs::write(c, serde_json::to_vec_pretty(&day.codes)?)
            .with_context(|| format!("cannot write {}", c.display()))?;
    }
    Ok(day.supervisor)
}

/// The buyers' codes of the sample day (derived from the public demo secret).
pub fn codes(parcels: usize) -> Result<Vec<crate::sample_day::SampleCode>> {
    let throwaway = keypair_from_pkcs8(&generate_pkcs8()?)?;
    Ok(sample_day(
        &SampleSpec {
            device_id: "any",
            version: 1,
            issued_at_ms: 0,
            valid_for_ms: 1,
            parcels,
            iterations: 1,
            withdrawn: &[],
            load_check: false,
            two_parcel_orders: &[],
        },
        &throwaway,
    )?
    .codes)
}
