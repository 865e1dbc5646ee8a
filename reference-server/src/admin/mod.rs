//! Operator actions shared by the admin API and the command line: the server
//! key, enrollment tokens, orders with their codes, depot supervisors,
//! manifests and device revocation, one file each.

mod devices;
mod manifests;
mod orders;
mod server_key;
mod supervisors;
mod tokens;

pub use devices::{MAX_REVOCATION_REASON_CHARS, revoke_device};
pub use manifests::{issue_manifest, issue_manifest_unchecked};
pub use orders::{DEFAULT_ITERATIONS, MAX_ITERATIONS, create_order};
pub use server_key::server_key;
pub use supervisors::{create_supervisor, revoke_supervisor, set_depot_settings};
pub use tokens::{TOKEN_LIFETIME_MS, issue_token, random_hex, token_hash};
