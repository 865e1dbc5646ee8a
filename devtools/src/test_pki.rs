//! A throwaway PKI for HTTPS on loopback: a carrier CA, a server certificate
//! for `localhost` and `127.0.0.1` signed by it, written as PEM files. Tests,
//! the install test and the walkthrough make one at run time; nothing of it
//! ships.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};

/// The PEM files of one CA and the server certificate it signed.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The CA certificate (what a device puts in `[server] ca_file`).
    pub ca: PathBuf,
    /// The server's certificate chain (leaf, then the CA).
    pub cert_chain: PathBuf,
    /// The server's private key (mode 0600).
    pub key: PathBuf,
}

impl TestPki {
    /// Makes a CA named `name` and a loopback server certificate under `dir`
    /// (files `<name>-ca.pem`, `<name>-server.pem`, `<name>-server.key`).
    pub fn create(dir: &Path, name: &str) -> Result<TestPki> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} test CA"));
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate()?;
        let ca = ca_params.self_signed(&ca_key)?;

        let mut leaf =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
        leaf.distinguished_name
            .push(DnType::CommonName, "escrow server (loopback)");
        let leaf_key = KeyPair::generate()?;
        let leaf = leaf.signed_by(&leaf_key, &ca, &ca_key)?;

        let pki = TestPki {
            ca: dir.join(format!("{name}-ca.pem")),
            cert_chain: dir.join(format!("{name}-server.pem")),
            key: dir.join(format!("{name}-server.key")),
        };
        write(&pki.ca, &ca.pem(), 0o644)?;
        write(&pki.cert_chain, &(leaf.pem() + &ca.pem()), 0o644)?;
        write(&pki.key, &leaf_key.serialize_pem(), 0o600)?;
        Ok(pki)
    }
}

fn write(path: &Path, text: &str, mode: u32) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .with_context(|| format!("writing {}", path.display()))
}
