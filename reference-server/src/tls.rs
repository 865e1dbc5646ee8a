//! HTTPS: the server's certificate chain and key, loaded from PEM files, for
//! the accept loop to wrap each connection in TLS (rustls, ring provider).

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
pub use tokio_rustls::TlsAcceptor;

use crate::error::{ServerError, TlsError};

/// Builds the TLS acceptor from a PEM certificate chain (leaf first) and its
/// PEM private key (PKCS#8, PKCS#1 or SEC1).
pub fn acceptor(cert_chain: &Path, key: &Path) -> Result<TlsAcceptor, ServerError> {
    let tls_error =
        |what: &'static str, path: &Path, e: rustls::pki_types::pem::Error| TlsError::Read {
            what,
            path: path.to_owned(),
            source: e.into(),
        };
    let certs = CertificateDer::pem_file_iter(cert_chain)
        .map_err(|e| tls_error("cannot read the certificate chain", cert_chain, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_error("unreadable certificate in", cert_chain, e))?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(cert_chain.to_owned()).into());
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| tls_error("cannot read the private key", key, e))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(TlsError::Config)?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(TlsError::KeyMismatch)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
