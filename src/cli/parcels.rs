//! `parcels`: the day in route order.

use anyhow::Result;
use clap::Args;
use courier_protocol::vocabulary::{CodePolicy, ParcelKind};
use serde::Serialize;

use super::output::{display_name, json_line, text_line};
use super::{Cli, reader};
use crate::domain::parcel::Parcel;
use crate::storage::Reads;

/// Options of `parcels`.
#[derive(Debug, Args)]
pub struct ParcelsArgs {
    /// JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// One parcel as `parcels --json` prints it.
#[derive(Debug, Serialize)]
struct ParcelLine<'a> {
    label: &'a str,
    parcel_id: &'a str,
    order_ref: &'a str,
    kind: ParcelKind,
    state: String,
    attempts_spent: u32,
    tries_left: u32,
    address: &'a str,
    city: &'a str,
    amount_minor: i64,
    currency: &'a str,
    policy: CodePolicy,
}

impl<'a> ParcelLine<'a> {
    fn of(p: &'a Parcel) -> Self {
        ParcelLine {
            label: &p.spec.label,
            parcel_id: &p.spec.parcel_id,
            order_ref: &p.spec.order_ref,
            kind: p.spec.kind,
            state: display_name(p.display_state()),
            attempts_spent: p.attempts_spent,
            tries_left: p.tries_left(),
            address: &p.spec.address.text,
            city: &p.spec.address.city,
            amount_minor: p.spec.amount_minor,
            currency: &p.spec.currency,
            policy: p.spec.policy,
        }
    }
}

pub(super) fn run(cli: &Cli, args: &ParcelsArgs) -> Result<u8> {
    let parcels = reader(cli)?.parcels()?;
    let out = std::io::stdout();
    let mut out = out.lock();
    for p in &parcels {
        let line = ParcelLine::of(p);
        let written = if args.json {
            json_line(&mut out, &line)?
        } else {
            text_line(
                &mut out,
                &format!(
                    "{:>3} {:<12} {:<9} {:<10} {:<14} {}, {}",
                    p.spec.route_order,
                    line.label,
                    format!("{:?}", line.kind).to_lowercase(),
                    line.state,
                    line.order_ref,
                    line.address,
                    line.city
                ),
            )?
        };
        if !written {
            break;
        }
    }
    Ok(0)
}
