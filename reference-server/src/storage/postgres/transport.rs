//! How the server reaches PostgreSQL. The link carries the server's private
//! key, every supervisor's key and every device's evidence, so to another
//! machine it is TLS with the certificate chain and the host name verified
//! (`sslmode=verify-full`; the authority in `sslrootcert=PATH`, else the
//! system's roots). Plain TCP is for this machine (loopback or a Unix socket)
//! or where the URL says `sslmode=disable` in so many words. libpq's weaker
//! modes (`prefer`, `require`, `verify-ca`) are refused: each can end in a
//! connection whose peer nobody checked.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::url::redact;
use crate::error::{Invalid, ServerError};

/// How connections to the database are made.
#[derive(Clone)]
pub enum PgTransport {
    /// Plain TCP or a Unix socket (this machine, or `sslmode=disable`).
    Plain,
    /// TLS, certificate chain and host name verified.
    Verified(MakeRustlsConnect),
}

/// A database URL read: the driver's configuration and how to connect.
pub struct PgTarget {
    /// The driver's configuration (without the TLS parameters it does not know).
    pub config: tokio_postgres::Config,
    /// Plain or verified TLS.
    pub transport: PgTransport,
}

/// Why a database URL's connection security was refused.
#[derive(Debug, thiserror::Error)]
pub enum TransportRefusal {
    /// Another machine with no TLS asked for.
    #[error(
        "the database is on another machine ({host}) and the URL asks for no TLS: the server key, \
         supervisors' keys and devices' evidence would cross the network in clear; add \
         ?sslmode=verify-full&sslrootcert=/path/to/ca.pem (or sslmode=disable to accept that)"
    )]
    ClearToRemote {
        /// The remote host.
        host: String,
    },
    /// A libpq mode that does not verify the peer.
    #[error(
        "sslmode={0} is not supported: use sslmode=verify-full (certificate and host name \
         verified) or sslmode=disable"
    )]
    WeakMode(String),
    /// The authority file could not be used.
    #[error("sslrootcert {path}: {why}")]
    RootCert {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// The TLS configuration could not be built.
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// Reads `url`: its own TLS parameters (`sslmode`, `sslrootcert`) are taken
/// out and decided here; the rest goes to the driver.
pub fn target(url: &str) -> Result<PgTarget, ServerError> {
    let invalid = |source: Box<dyn std::error::Error + Send + Sync>| Invalid::DatabaseUrl {
        url: redact(url),
        source,
    };
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut mode = None;
    let mut root_cert = None;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode", v)) => mode = Some(v.to_owned()),
            Some(("sslrootcert", v)) => root_cert = Some(PathBuf::from(percent_decode(v))),
            _ => rest.push(pair),
        }
    }
    let driver_url = if rest.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    let mut config =
        tokio_postgres::Config::from_str(&driver_url).map_err(|e| invalid(Box::new(e)))?;
    let transport = match mode.as_deref() {
        Some("verify-full") => {
            config.ssl_mode(SslMode::Require);
            let tls = client_config(root_cert.as_deref()).map_err(|e| invalid(Box::new(e)))?;
            PgTransport::Verified(MakeRustlsConnect::new(tls))
        }
        Some("disable") => {
            config.ssl_mode(SslMode::Disable);
            PgTransport::Plain
        }
        None => {
            if let Some(host) = remote_host(&config) {
                return Err(invalid(Box::new(TransportRefusal::ClearToRemote { host })).into());
            }
            config.ssl_mode(SslMode::Disable);
            PgTransport::Plain
        }
        Some(other) => {
            return Err(invalid(Box::new(TransportRefusal::WeakMode(other.to_owned()))).into());
        }
    };
    Ok(PgTarget { config, transport })
}

/// What to check when opening failed: the TLS settings when the handshake
/// failed, else `otherwise` (the server, the role, the database).
pub fn open_hint<'a>(causes: &str, otherwise: &'a str) -> &'a str {
    if causes.contains("TLS") || causes.contains("certificate") {
        "the connection's TLS was refused: check sslrootcert and the host name in the URL"
    } else {
        otherwise
    }
}

/// The first host that is not this machine, if any.
fn remote_host(config: &tokio_postgres::Config) -> Option<String> {
    config.get_hosts().iter().find_map(|h| match h {
        Host::Unix(_) => None,
        Host::Tcp(name) => {
            let local = name.eq_ignore_ascii_case("localhost")
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            (!local).then(|| name.clone())
        }
    })
}

/// The rustls client configuration: the roots of `root_cert`, or the system's.
fn client_config(root_cert: Option<&Path>) -> Result<rustls::ClientConfig, TransportRefusal> {
    let mut roots = rustls::RootCertStore::empty();
    match root_cert {
        Some(path) => {
            let refusal = |why: String| TransportRefusal::RootCert {
                path: path.to_owned(),
                why,
            };
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| refusal(e.to_string()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| refusal(e.to_string()))?;
            if certs.is_empty() {
                return Err(refusal("no certificate in the file".into()));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| refusal(e.to_string()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                // A system root rustls cannot parse is skipped, as libpq does.
                let _ = roots.add(cert);
            }
            if roots.is_empty() {
                return Err(TransportRefusal::Config(
                    "no system root certificate found: give sslrootcert=/path/to/ca.pem".into(),
                ));
            }
        }
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportRefusal::Config(e.to_string()))
        .map(|b| b.with_root_certificates(roots).with_no_client_auth())
}

/// `%XX` escapes of a URL query value (a path with spaces, say).
fn percent_decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(url: &str) -> String {
        match target(url) {
            Ok(_) => panic!("accepted {url}"),
            Err(e) => format!("{e:#}"),
        }
    }

    #[test]
    fn another_machine_without_tls_is_refused() {
        let e = refusal("postgres://escrow:pw@db.internal:5432/escrow");
        assert!(e.contains("db.internal"), "{e}");
        assert!(e.contains("sslmode=verify-full"), "{e}");
        assert!(!e.contains("pw@"), "no password in the message: {e}");
    }

    #[test]
    fn modes_that_do_not_verify_the_peer_are_refused() {
        for mode in ["prefer", "require", "verify-ca", "allow"] {
            let e = refusal(&format!("postgres://u@db.internal/escrow?sslmode={mode}"));
            assert!(e.contains("not supported"), "{mode}: {e}");
        }
    }

    #[test]
    fn loopback_and_explicit_disable_are_plain() {
        for url in [
            "postgres://u@127.0.0.1:5432/escrow",
            "postgres://u@localhost/escrow",
            "postgres://u@[::1]:5432/escrow?application_name=escrow",
            "postgres://u@db.internal/escrow?sslmode=disable",
        ] {
            let t = target(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert!(matches!(t.transport, PgTransport::Plain), "{url}");
        }
    }

    #[test]
    fn verify_full_needs_a_readable_authority() {
        let e = refusal(
            "postgres://u@db.internal/escrow?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
        );
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
    }

    #[test]
    fn query_values_are_percent_decoded() {
        assert_eq!(percent_decode("/tmp/my%20ca.pem"), "/tmp/my ca.pem");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
