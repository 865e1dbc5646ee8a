//! Why the terminal refuses a doorstep action: the shared rules' [`Refusal`],
//! which the escrow server applies too (see `courier_protocol::rules`).

pub use courier_protocol::rules::refusal::Refusal;
