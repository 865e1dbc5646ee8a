//! A batch on SQLite: what [`crate::ingest::plan()`] reads, loaded with one
//! small query per key (the file is local), and the writes it decided.
//! Both run inside the transaction the caller opened (`BEGIN IMMEDIATE`,
//! which holds the file's write lock, so batches never interleave).

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension, params};

use super::reads::{db_err, events_query, order_in};
use crate::batch::{BatchContext, BatchKeys, BatchWrites};
use crate::error::ServerError;
use crate::records::DeviceRow;
use crate::storage::rows::{self, manifest_body, to_i64, to_u64};

/// Loads the context of a batch.
pub(super) fn load_context(
    tx: &Connection,
    device: DeviceRow,
    keys: &BatchKeys,
) -> Result<BatchContext, ServerError> {
    let mut known = HashMap::new();
    let mut at_seq = HashMap::new();
    {
        let mut by_id = tx
            .prepare_cached("SELECT device_id, seq, hash FROM events WHERE event_id = ?1")
            .map_err(db_err)?;
        for id in &keys.event_ids {
            if let Some((d, s, h)) = by_id
                .query_row([id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get(2)?))
                })
                .optional()
                .map_err(db_err)?
            {
                known.insert(id.clone(), (d, to_u64(s), h));
            }
        }
        let mut by_seq = tx
            .prepare_cached("SELECT hash FROM events WHERE device_id = ?1 AND seq = ?2")
            .map_err(db_err)?;
        for seq in &keys.seqs {
            if *seq <= device.tip.seq
                && let Some(h) = by_seq
                    .query_row(params![device.device_id, to_i64(*seq)], |r| r.get(0))
                    .optional()
                    .map_err(db_err)?
            {
                at_seq.insert(*seq, h);
            }
        }
    }
    let mut issued = HashSet::new();
    let mut orders = HashMap::new();
    let mut holders = HashMap::new();
    let mut cancelled = HashSet::new();
    let mut withdrawals = HashMap::new();
    let mut ledgers = HashMap::new();
    for p in &keys.parcel_ids {
        let is_issued = tx
            .query_row(
                "SELECT 1 FROM manifest_parcels WHERE device_id = ?1 AND parcel_id = ?2",
                [&device.device_id, p],
                |_| Ok(()),
            )
            .optional()
            .map_err(db_err)?
            .is_some();
        if is_issued {
            issued.insert(p.clone());
        }
        if let Some(o) = order_in(tx, p)? {
            orders.insert(p.clone(), o);
        }
        let holder: Option<(Option<String>, bool)> = tx
            .query_row(
                "SELECT holder, cancelled_at_ms IS NOT NULL FROM orders WHERE parcel_id = ?1",
                [p],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db_err)?;
        if let Some((holder, was_cancelled)) = holder {
            if let Some(h) = holder {
                holders.insert(p.clone(), h);
            }
            if was_cancelled {
                cancelled.insert(p.clone());
            }
        }
        let mut stmt = tx
            .prepare_cached(
                "SELECT version FROM withdrawals WHERE device_id = ?1 AND parcel_id = ?2",
            )
            .map_err(db_err)?;
        let versions = stmt
            .query_map([&device.device_id, p], |r| r.get::<_, i64>(0))
            .map_err(db_err)?
            .map(|v| v.map(to_u64))
            .collect::<Result<Vec<_>, _>>()
            .map_err(db_err)?;
        if !versions.is_empty() {
            withdrawals.insert(p.clone(), versions);
        }
        let ledger: Option<String> = tx
            .query_row(
                "SELECT ledger_json FROM parcel_ledgers WHERE device_id = ?1 AND parcel_id = ?2",
                [&device.device_id, p],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)?;
        if let Some(j) = ledger {
            ledgers.insert(p.clone(), rows::json(&j, "parcel ledger")?);
        }
    }
    let mut proof_failures = HashSet::new();
    for h in &keys.hashes {
        let seen = tx
            .query_row(
                "SELECT 1 FROM proof_failures WHERE event_hash = ?1",
                [h],
                |_| Ok(()),
            )
            .optional()
            .map_err(db_err)?
            .is_some();
        if seen {
            proof_failures.insert(h.clone());
        }
    }
    let depot: Option<String> = tx
        .query_row(
            "SELECT depot FROM devices WHERE device_id = ?1",
            [&device.device_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(db_err)?
        .flatten();
    let supervisors = super::supervisors::load(tx, keys)?;
    let held_events = if keys.needs_held_events() {
        events_query(
            tx,
            "SELECT signed_json FROM events WHERE device_id = ?1 AND NOT EXISTS (SELECT 1 FROM not_honoured n WHERE n.event_id = events.event_id) ORDER BY seq",
            [&device.device_id],
        )?
    } else {
        Vec::new()
    };
    let mut manifests = HashMap::new();
    for v in keys.manifest_versions(&held_events) {
        let json: Option<String> = tx
            .prepare_cached(
                "SELECT signed_json FROM manifests WHERE device_id = ?1 AND version = ?2",
            )
            .map_err(db_err)?
            .query_row(params![device.device_id, to_i64(v)], |r| r.get(0))
            .optional()
            .map_err(db_err)?;
        if let Some(json) = json {
            manifests.insert(v, manifest_body(&json)?);
        }
    }
    let mut desk_ledgers = HashMap::new();
    for (desk, p) in &keys.desk_ledgers {
        let ledger: Option<String> = tx
            .query_row(
                "SELECT ledger_json FROM parcel_ledgers WHERE device_id = ?1 AND parcel_id = ?2",
                [desk, p],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)?;
        if let Some(j) = ledger {
            desk_ledgers.insert((desk.clone(), p.clone()), rows::json(&j, "parcel ledger")?);
        }
    }
    Ok(BatchContext {
        device,
        known,
        at_seq,
        issued,
        orders,
        holders,
        cancelled,
        withdrawals,
        ledgers,
        proof_failures,
        depot,
        supervisors,
        manifests,
        held_events,
        desk_ledgers,
    })
}

/// Writes what a batch's plan decided.
pub(super) fn apply(
    tx: &Connection,
    device_id: &str,
    writes: &BatchWrites,
    now_ms: i64,
) -> Result<(), ServerError> {
    for e in &writes.events {
        tx.prepare_cached(
            "INSERT INTO events(device_id, seq, event_id, hash, signed_json, received_at_ms, signed_at_ms, order_ref, depot)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .map_err(db_err)?
        .execute(params![
            device_id,
            to_i64(e.event.body.seq),
            e.event.body.event_id,
            e.event.hash,
            e.json,
            now_ms,
            e.signed_at_ms,
            e.order_ref,
            e.depot
        ])
        .map_err(db_err)?;
        super::photos::insert_refs(tx, device_id, e)?;
    }
    for (parcel_id, ledger) in &writes.ledgers {
        let json = rows::to_json(ledger, "parcel ledger")?;
        tx.execute(
            "INSERT INTO parcel_ledgers(device_id, parcel_id, ledger_json) VALUES (?1, ?2, ?3)
             ON CONFLICT(device_id, parcel_id) DO UPDATE SET ledger_json = excluded.ledger_json",
            params![device_id, parcel_id, json],
        )
        .map_err(db_err)?;
    }
    for (hash, parcel_id) in &writes.proof_failures {
        tx.execute(
            "INSERT OR IGNORE INTO proof_failures(event_hash, parcel_id) VALUES (?1, ?2)",
            params![hash, parcel_id],
        )
        .map_err(db_err)?;
    }
    for (parcel_id, n) in &writes.attempts {
        tx.execute(
            "UPDATE orders SET attempts_spent = ?2 WHERE parcel_id = ?1",
            params![parcel_id, n],
        )
        .map_err(db_err)?;
    }
    for a in &writes.alerts {
        tracing::warn!(device_id, kind = a.kind, detail = %a.detail, "alert recorded");
        tx.execute(
            "INSERT INTO alerts(kind, device_id, detail, at_ms) VALUES (?1, ?2, ?3, ?4)",
            params![a.kind, device_id, a.detail, now_ms],
        )
        .map_err(db_err)?;
    }
    for n in &writes.not_honoured {
        tx.execute(
            "INSERT OR IGNORE INTO not_honoured(event_id, device_id, seq, reason, recorded_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                n.event_id,
                device_id,
                to_i64(n.seq),
                rows::reason_code(n.reason),
                now_ms
            ],
        )
        .map_err(db_err)?;
    }
    for f in &writes.day_close_flags {
        let json = rows::to_json(&f.differences, "day-close differences")?;
        tx.execute(
            "INSERT OR IGNORE INTO day_close_flags(event_id, device_id, seq, differences_json, flagged_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![f.event_id, device_id, to_i64(f.seq), json, now_ms],
        )
        .map_err(db_err)?;
    }
    super::supervisors::count_failures(tx, &writes.supervisor_failures)?;
    tx.execute(
        "UPDATE devices SET last_seq = ?2, last_hash = ?3 WHERE device_id = ?1",
        params![device_id, to_i64(writes.tip.seq), writes.tip.hash],
    )
    .map_err(db_err)?;
    Ok(())
}
