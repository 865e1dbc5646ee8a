//! Operators' passwords: Argon2id (the `argon2` crate, RFC 9106), stored as
//! PHC strings that carry their own cost, so a hash made at one cost still
//! verifies after the default changes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::admin::random_hex;
use crate::error::ServerError;

/// The cost of new password hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    /// Memory, KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordCost {
    /// OWASP's Argon2id setting: 19 MiB, 2 passes, 1 lane.
    fn default() -> Self {
        PasswordCost {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl PasswordCost {
    /// The lowest cost Argon2 allows: for tests that do not test the hash.
    pub fn for_tests() -> Self {
        PasswordCost {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        }
    }

    fn hasher(self) -> Result<Argon2<'static>, ServerError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| ServerError::Password(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Hashes `password` with a fresh random salt.
    pub fn hash(self, password: &str) -> Result<String, ServerError> {
        let salt_bytes =
            hex::decode(random_hex::<16>()?).map_err(|e| ServerError::Password(e.to_string()))?;
        let salt = SaltString::encode_b64(&salt_bytes)
            .map_err(|e| ServerError::Password(e.to_string()))?;
        Ok(self
            .hasher()?
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| ServerError::Password(e.to_string()))?
            .to_string())
    }
}

/// Whether `password` matches the stored PHC string (its own cost and salt).
pub fn verify(password: &str, stored: &str) -> Result<bool, ServerError> {
    let parsed = PasswordHash::new(stored).map_err(|e| ServerError::Password(e.to_string()))?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The production cost: a memory-hard Argon2id hash that verifies its
    /// own password only, and carries its cost.
    #[test]
    fn a_hash_verifies_its_password_only_and_names_its_cost() {
        let stored = PasswordCost::default().hash("correct horse").expect("hash");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("correct horse", &stored).expect("verify"));
        assert!(!verify("correct horsf", &stored).expect("verify"));
        let again = PasswordCost::default().hash("correct horse").expect("hash");
        assert_ne!(stored, again, "a fresh salt each time");
    }
}
