//! Which certificate authorities the terminal trusts for the escrow server's
//! HTTPS, and the words for a certificate it refuses.
//!
//! By default the system's roots (`/etc/ssl/certs`, kept by Debian's
//! `ca-certificates`); with `[server] ca_file`, only the carrier's own CA
//! bundle, so a certificate from any other authority is refused.

use std::error::Error as _;
use std::path::{Path, PathBuf};

/// The authorities the server's certificate must chain to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TlsTrust {
    /// The operating system's root store.
    #[default]
    SystemRoots,
    /// Only the certificates of this PEM file (the carrier's own PKI).
    CaFile(PathBuf),
}

/// Why the trust could not be set up.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "cannot use the carrier CA file {path}: {why}; fix [server] ca_file in the configuration \
     (a PEM file holding one or more \"BEGIN CERTIFICATE\" blocks)"
)]
pub struct CaFileError {
    /// The configured file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub why: String,
}

impl TlsTrust {
    /// From the configuration's `ca_file`.
    pub fn from_ca_file(ca_file: Option<&Path>) -> Self {
        ca_file.map_or(TlsTrust::SystemRoots, |p| TlsTrust::CaFile(p.to_owned()))
    }

    /// Applies this trust to an HTTP client being built.
    pub fn apply(
        &self,
        builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, CaFileError> {
        let TlsTrust::CaFile(path) = self else {
            return Ok(builder);
        };
        let error = |why: String| CaFileError {
            path: path.clone(),
            why,
        };
        let pem = std::fs::read(path).map_err(|e| error(e.to_string()))?;
        let certificates =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| error(e.to_string()))?;
        if certificates.is_empty() {
            return Err(error("it holds no certificate".into()));
        }
        Ok(certificates
            .into_iter()
            .fold(builder.tls_built_in_root_certs(false), |b, c| {
                b.add_root_certificate(c)
            }))
    }

    /// Where a refused certificate should have chained to, for messages.
    pub fn describe(&self) -> String {
        match self {
            TlsTrust::SystemRoots => "the system's certificate authorities".into(),
            TlsTrust::CaFile(p) => format!("the carrier CA in {}", p.display()),
        }
    }
}

/// The TLS refusal inside a failed request, in words, if that is what failed.
pub fn certificate_refusal(e: &reqwest::Error) -> Option<String> {
    let tls = e.source().and_then(find_rustls)?;
    Some(match tls {
        rustls::Error::InvalidCertificate(c) => describe_certificate(c),
        other => other.to_string(),
    })
}

/// The rustls error in a chain; `io::Error`s wrap theirs out of `source()`'s
/// reach, so they are opened with `get_ref`.
fn find_rustls<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    if let Some(inner) = e
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        return find_rustls(inner);
    }
    e.source().and_then(find_rustls)
}

fn describe_certificate(c: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match c {
        C::UnknownIssuer => "its certificate is not signed by a trusted authority".into(),
        C::Expired | C::ExpiredContext { .. } => "its certificate has expired".into(),
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "its certificate is not valid yet (check the device clock)".into()
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "its certificate is for another name than the server URL's".into()
        }
        C::Revoked => "its certificate is revoked".into(),
        other => format!("its certificate is refused ({other:?})"),
    }
}
