//! One-time enrollment tokens: issued here, stored by their hash only.

use courier_protocol::api::EnrollmentTokenResponse;
use courier_protocol::keys::sha256;
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::ServerError;
use crate::storage::Storage;

/// Lifetime of an enrollment token.
pub const TOKEN_LIFETIME_MS: i64 = 24 * 3600 * 1000;

/// Hash under which a token is stored (the token itself is never kept).
pub fn token_hash(token: &str) -> String {
    hex::encode(sha256(token.as_bytes()))
}

/// Random bytes as hex.
pub fn random_hex<const N: usize>() -> Result<String, ServerError> {
    let mut b = [0u8; N];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| ServerError::Key(courier_protocol::ProtocolError::Random))?;
    Ok(hex::encode(b))
}

/// Issues a one-time enrollment token.
pub async fn issue_token(
    db: &dyn Storage,
    now_ms: i64,
) -> Result<EnrollmentTokenResponse, ServerError> {
    let token = random_hex::<16>()?;
    let expires_at_ms = now_ms + TOKEN_LIFETIME_MS;
    db.add_token(&token_hash(&token), expires_at_ms).await?;
    Ok(EnrollmentTokenResponse {
        token,
        expires_at_ms,
    })
}
