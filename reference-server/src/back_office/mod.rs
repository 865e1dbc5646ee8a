//! The back office's actions by named operators, shared by the API and the
//! command line: accounts and sessions (`accounts`, with password hashing in
//! `passwords`), claims with two approvers (`claims`), cancellations before
//! delivery (`cancel`) and the daily accounting extraction (`extraction`).
//! The rules are `courier_protocol::rules::claim`'s; each action is decided
//! inside the transaction that writes it, with its audit line.

mod accounts;
mod cancel;
mod claims;
mod extraction;
mod passwords;

pub use accounts::{
    ADMIN_TOKEN_ACTOR, CookieSession, SESSION_LIFETIME_MS, authenticate, create_operator,
    csrf_token, sign_in, sign_in_cookie,
};
pub use cancel::cancel_order;
pub use claims::{claims_in_scope, decide_claim, file_claim, visible_claim};
pub use extraction::{EXTRACTION_HEADER, extraction_csv};
pub use passwords::PasswordCost;
