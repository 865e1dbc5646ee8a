//! The device's Ed25519 signing key: generated on first run, kept with mode 0600.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use courier_protocol::keys::{PublicKey, Signer, generate_pkcs8, keypair_from_pkcs8};
use ring::signature::Ed25519KeyPair;
use thiserror::Error;

/// Problems with the device key file.
#[derive(Debug, Error)]
pub enum KeyError {
    /// The key file is missing.
    #[error(
        "no device key at {0}: a new device is set up with `courier-terminal enroll`; if this device had a key, it is lost and the device must be re-enrolled (README, \"Re-enrollment\")"
    )]
    Missing(PathBuf),
    /// The key file is readable by others.
    #[error("the device key {path} has mode {mode:o}; it must be 600: run `chmod 600 {path}`", path = .0.display(), mode = .1)]
    Permissions(PathBuf, u32),
    /// The key file does not hold a valid key.
    #[error("the device key {0} is damaged: the device must be re-enrolled (carrier IT)")]
    Damaged(PathBuf),
    /// Reading or writing failed.
    #[error("cannot access the device key {path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No randomness.
    #[error("cannot generate a key: the system random generator failed")]
    Random,
}

/// The device key. Its private half never leaves this type and is never logged.
pub struct DeviceKey {
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceKey(public {})", self.pair.public_key().to_hex())
    }
}

impl DeviceKey {
    /// Creates a new key file (mode 0600, fsynced); fails if one exists.
    pub fn create(path: &Path) -> Result<DeviceKey, KeyError> {
        let io = |source| KeyError::Io {
            path: path.to_owned(),
            source,
        };
        let pkcs8 = generate_pkcs8().map_err(|_| KeyError::Random)?;
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
        file.write_all(&pkcs8).map_err(io)?;
        file.sync_all().map_err(io)?;
        if let Some(dir) = path.parent() {
            fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        let pair = keypair_from_pkcs8(&pkcs8).map_err(|_| KeyError::Damaged(path.to_owned()))?;
        Ok(DeviceKey { pair })
    }

    /// Loads the key file, refusing one that others can read.
    pub fn load(path: &Path) -> Result<DeviceKey, KeyError> {
        let meta = fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => KeyError::Missing(path.to_owned()),
            _ => KeyError::Io {
                path: path.to_owned(),
                source: e,
            },
        })?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Permissions(path.to_owned(), mode));
        }
        let bytes = fs::read(path).map_err(|source| KeyError::Io {
            path: path.to_owned(),
            source,
        })?;
        let pair = keypair_from_pkcs8(&bytes).map_err(|_| KeyError::Damaged(path.to_owned()))?;
        Ok(DeviceKey { pair })
    }
}

impl Signer for DeviceKey {
    fn public_key(&self) -> PublicKey {
        self.pair.public_key()
    }

    fn sign(&self, message: &[u8]) -> [u8; 64] {
        Signer::sign(&self.pair, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_0600_and_reloads_to_the_same_public_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("device.key");
        let k = DeviceKey::create(&path).expect("create");
        let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = DeviceKey::load(&path).expect("load");
        assert_eq!(k.public_key(), again.public_key());
        assert!(DeviceKey::create(&path).is_err(), "never overwrites a key");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(matches!(
            DeviceKey::load(&path),
            Err(KeyError::Permissions(_, 0o644))
        ));
    }
}
