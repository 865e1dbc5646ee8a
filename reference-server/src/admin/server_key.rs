//! The server's signing key, kept in the database.

use courier_protocol::keys::{generate_pkcs8, keypair_from_pkcs8};
use ring::signature::Ed25519KeyPair;

use crate::error::{ServerError, StorageError};
use crate::storage::Storage;

/// Loads the server key from the database, creating it on first use (server
/// processes starting together on one database agree on the first one stored).
pub async fn server_key(db: &dyn Storage) -> Result<Ed25519KeyPair, ServerError> {
    let stored = match db.meta("server_key_pkcs8").await? {
        Some(h) => h,
        None => {
            let k = generate_pkcs8().map_err(ServerError::Key)?;
            db.meta_or_insert("server_key_pkcs8", &hex::encode(&k))
                .await?
        }
    };
    let pkcs8 = hex::decode(stored).map_err(|e| StorageError::corrupt("server key", e))?;
    keypair_from_pkcs8(&pkcs8).map_err(ServerError::Key)
}
