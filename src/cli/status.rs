//! `status`: device, manifest, the day in numbers, the outbox. Read-only.

use anyhow::Result;
use clap::Args;

use super::{Cli, Use, open};

/// Options of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub(super) fn run(cli: &Cli, args: &StatusArgs) -> Result<u8> {
    let (mut t, _feeds, _parts) = open(cli, Use::Read)?;
    let s = t.status()?;
    if args.json {
        outln!("{}", serde_json::to_string(&s)?);
    } else {
        let c = s.counts;
        outln!("device        {}", s.device_id);
        outln!("key           {}", s.key_fingerprint);
        outln!(
            "manifest      {}",
            s.manifest_version
                .map_or("none loaded".into(), |v| format!("version {v}"))
        );
        outln!(
            "parcels       {} total, {} delivered, {} to do, {} not delivered",
            c.total,
            c.delivered,
            c.to_do,
            c.not_delivered()
        );
        outln!(
            "events        {} recorded, {} waiting to sync",
            s.events,
            s.pending_sync
        );
    }
    Ok(0)
}
