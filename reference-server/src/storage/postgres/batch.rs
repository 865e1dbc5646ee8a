//! A batch on PostgreSQL: what [`crate::ingest::plan()`] reads, loaded with a
//! few set statements (`= ANY($1)`, sent together), the orders locked in
//! parcel order (so batches never deadlock), and the writes it decided
//! (`UNNEST`, sent together), not one round trip per event. Both run inside the caller's transaction, after it
//! locked the device's row.

use std::collections::{HashMap, HashSet};

use courier_protocol::envelope::SignedEvent;
use courier_protocol::rules::ParcelLedger;
use deadpool_postgres::ClientWrapper;

use super::reads::{order_from, pg_err};
use crate::batch::{BatchContext, BatchKeys, BatchWrites};
use crate::error::ServerError;
use crate::records::{DeviceRow, OrderRow};
use crate::storage::rows::{self, manifest_body, to_i64, to_u64};

/// Loads the context of a batch (the device's row is locked already). The
/// independent reads go out together (tokio-postgres pipelines queries
/// polled at once on one connection): one round trip's wait, not eight.
pub(super) async fn load_context(
    tx: &ClientWrapper,
    device: DeviceRow,
    depot: Option<String>,
    keys: &BatchKeys,
) -> Result<BatchContext, ServerError> {
    let (known, at_seq, parcels, proof_failures, supervisors) = tokio::try_join!(
        known_ids(tx, keys),
        hashes_at_seq(tx, &device, keys),
        parcel_rows(tx, &device.device_id, keys),
        spent_proofs(tx, keys),
        super::supervisors::load(tx, keys),
    )?;
    let ParcelRows {
        issued,
        orders,
        holders,
        cancelled,
        withdrawals,
        ledgers,
    } = parcels;
    let held_events = if keys.needs_held_events() {
        let stmt = tx
            .prepare_cached("SELECT signed_json FROM events WHERE device_id = $1 AND NOT EXISTS (SELECT 1 FROM not_honoured n WHERE n.event_id = events.event_id) ORDER BY seq")
            .await
            .map_err(pg_err)?;
        tx.query(&stmt, &[&device.device_id])
            .await
            .map_err(pg_err)?
            .iter()
            .map(|r| rows::event(r.get::<_, &str>(0)))
            .collect::<Result<Vec<SignedEvent>, _>>()?
    } else {
        Vec::new()
    };
    let mut manifests = HashMap::new();
    let versions: Vec<i64> = keys
        .manifest_versions(&held_events)
        .into_iter()
        .map(to_i64)
        .collect();
    if !versions.is_empty() {
        let stmt = tx
            .prepare_cached(
                "SELECT version, signed_json FROM manifests WHERE device_id = $1 AND version = ANY($2)",
            )
            .await
            .map_err(pg_err)?;
        for r in tx
            .query(&stmt, &[&device.device_id, &versions])
            .await
            .map_err(pg_err)?
        {
            manifests.insert(to_u64(r.get(0)), manifest_body(r.get(1))?);
        }
    }
    let mut desk_ledgers = HashMap::new();
    for (desk, p) in &keys.desk_ledgers {
        let stmt = tx
            .prepare_cached(
                "SELECT ledger_json FROM parcel_ledgers WHERE device_id = $1 AND parcel_id = $2",
            )
            .await
            .map_err(pg_err)?;
        if let Some(r) = tx.query_opt(&stmt, &[desk, p]).await.map_err(pg_err)? {
            let ledger = rows::json(r.get::<_, &str>(0), "parcel ledger")?;
            desk_ledgers.insert((desk.clone(), p.clone()), ledger);
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

/// Stored events among the batch's ids: `(device, seq, hash)` by id.
async fn known_ids(
    tx: &ClientWrapper,
    keys: &BatchKeys,
) -> Result<HashMap<String, (String, u64, String)>, ServerError> {
    let mut known = HashMap::new();
    if keys.event_ids.is_empty() {
        return Ok(known);
    }
    let stmt = tx
        .prepare_cached(
            "SELECT event_id, device_id, seq, hash FROM event_ids WHERE event_id = ANY($1)",
        )
        .await
        .map_err(pg_err)?;
    for r in tx.query(&stmt, &[&keys.event_ids]).await.map_err(pg_err)? {
        known.insert(
            r.get::<_, String>(0),
            (r.get(1), to_u64(r.get(2)), r.get(3)),
        );
    }
    Ok(known)
}

/// The device's stored hashes at the batch's sequence numbers up to its tip.
async fn hashes_at_seq(
    tx: &ClientWrapper,
    device: &DeviceRow,
    keys: &BatchKeys,
) -> Result<HashMap<u64, String>, ServerError> {
    let mut at_seq = HashMap::new();
    let old: Vec<i64> = keys
        .seqs
        .iter()
        .filter(|s| **s <= device.tip.seq)
        .map(|s| to_i64(*s))
        .collect();
    if old.is_empty() {
        return Ok(at_seq);
    }
    let stmt = tx
        .prepare_cached("SELECT seq, hash FROM event_ids WHERE device_id = $1 AND seq = ANY($2)")
        .await
        .map_err(pg_err)?;
    for r in tx
        .query(&stmt, &[&device.device_id, &old])
        .await
        .map_err(pg_err)?
    {
        at_seq.insert(to_u64(r.get(0)), r.get(1));
    }
    Ok(at_seq)
}

/// What the batch's parcels hold: see the fields of [`BatchContext`].
#[derive(Default)]
struct ParcelRows {
    issued: HashSet<String>,
    orders: HashMap<String, OrderRow>,
    holders: HashMap<String, String>,
    cancelled: HashSet<String>,
    withdrawals: HashMap<String, Vec<u64>>,
    ledgers: HashMap<String, ParcelLedger>,
}

/// The batch's parcels: their orders (locked, in parcel order), whether
/// each was issued to the device, its withdrawals and its ledger.
async fn parcel_rows(
    tx: &ClientWrapper,
    device_id: &str,
    keys: &BatchKeys,
) -> Result<ParcelRows, ServerError> {
    let mut out = ParcelRows::default();
    if keys.parcel_ids.is_empty() {
        return Ok(out);
    }
    let p = &keys.parcel_ids;
    let (orders, issued, withdrawals, ledgers) = tokio::try_join!(
        async {
            let stmt = tx
                .prepare_cached(
                    "SELECT parcel_id, spec_json, numeric_key, qr_key, attempts_spent, attempt_limit, holder,
                            cancelled_at_ms IS NOT NULL
                     FROM orders WHERE parcel_id = ANY($1) ORDER BY parcel_id FOR UPDATE",
                )
                .await
                .map_err(pg_err)?;
            tx.query(&stmt, &[p]).await.map_err(pg_err)
        },
        async {
            let stmt = tx
                .prepare_cached(
                    "SELECT parcel_id FROM manifest_parcels WHERE device_id = $1 AND parcel_id = ANY($2)",
                )
                .await
                .map_err(pg_err)?;
            tx.query(&stmt, &[&device_id, p]).await.map_err(pg_err)
        },
        async {
            let stmt = tx
                .prepare_cached(
                    "SELECT parcel_id, version FROM withdrawals WHERE device_id = $1 AND parcel_id = ANY($2)",
                )
                .await
                .map_err(pg_err)?;
            tx.query(&stmt, &[&device_id, p]).await.map_err(pg_err)
        },
        async {
            let stmt = tx
                .prepare_cached(
                    "SELECT parcel_id, ledger_json FROM parcel_ledgers WHERE device_id = $1 AND parcel_id = ANY($2)",
                )
                .await
                .map_err(pg_err)?;
            tx.query(&stmt, &[&device_id, p]).await.map_err(pg_err)
        },
    )?;
    for r in &orders {
        if let Some(h) = r.get::<_, Option<String>>(6) {
            out.holders.insert(r.get::<_, String>(0), h);
        }
        if r.get::<_, bool>(7) {
            out.cancelled.insert(r.get::<_, String>(0));
        }
        out.orders.insert(r.get::<_, String>(0), order_from(r)?);
    }
    for r in &issued {
        out.issued.insert(r.get::<_, String>(0));
    }
    for r in &withdrawals {
        out.withdrawals
            .entry(r.get::<_, String>(0))
            .or_default()
            .push(to_u64(r.get(1)));
    }
    for r in &ledgers {
        let ledger = rows::json(r.get::<_, &str>(1), "parcel ledger")?;
        out.ledgers.insert(r.get::<_, String>(0), ledger);
    }
    Ok(out)
}

/// Event hashes of the batch whose wrong proof already spent a try.
async fn spent_proofs(
    tx: &ClientWrapper,
    keys: &BatchKeys,
) -> Result<HashSet<String>, ServerError> {
    let mut spent = HashSet::new();
    if keys.parcel_ids.is_empty() || keys.hashes.is_empty() {
        return Ok(spent);
    }
    let stmt = tx
        .prepare_cached("SELECT event_hash FROM proof_failures WHERE event_hash = ANY($1)")
        .await
        .map_err(pg_err)?;
    for r in tx.query(&stmt, &[&keys.hashes]).await.map_err(pg_err)? {
        spent.insert(r.get::<_, String>(0));
    }
    Ok(spent)
}

/// Writes what a batch's plan decided.
pub(super) async fn apply(
    tx: &ClientWrapper,
    device_id: &str,
    writes: &BatchWrites,
    now_ms: i64,
) -> Result<(), ServerError> {
    // The batch's main writes go out together (pipelined), then the rare
    // ones (photos, wrong proofs, alerts, flags) one by one.
    tokio::try_join!(
        insert_events(tx, device_id, writes, now_ms),
        upsert_ledgers(tx, device_id, writes),
        async {
            let stmt = tx
                .prepare_cached(
                    "UPDATE devices SET last_seq = $2, last_hash = $3 WHERE device_id = $1",
                )
                .await
                .map_err(pg_err)?;
            tx.execute(
                &stmt,
                &[&device_id, &to_i64(writes.tip.seq), &writes.tip.hash],
            )
            .await
            .map_err(pg_err)
        },
    )?;
    for e in &writes.events {
        super::photos::insert_refs(tx, device_id, e).await?;
    }
    for (hash, parcel_id) in &writes.proof_failures {
        tx.execute(
            "INSERT INTO proof_failures(event_hash, parcel_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[hash, parcel_id],
        )
        .await
        .map_err(pg_err)?;
    }
    for (parcel_id, n) in &writes.attempts {
        let n = i32::try_from(*n).unwrap_or(i32::MAX);
        tx.execute(
            "UPDATE orders SET attempts_spent = $2 WHERE parcel_id = $1",
            &[parcel_id, &n],
        )
        .await
        .map_err(pg_err)?;
    }
    for a in &writes.alerts {
        tracing::warn!(device_id, kind = a.kind, detail = %a.detail, "alert recorded");
        tx.execute(
            "INSERT INTO alerts(kind, device_id, detail, at_ms) VALUES ($1, $2, $3, $4)",
            &[&a.kind, &device_id, &a.detail, &now_ms],
        )
        .await
        .map_err(pg_err)?;
    }
    for n in &writes.not_honoured {
        tx.execute(
            "INSERT INTO not_honoured(event_id, device_id, seq, reason, recorded_at_ms)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[
                &n.event_id,
                &device_id,
                &to_i64(n.seq),
                &rows::reason_code(n.reason),
                &now_ms,
            ],
        )
        .await
        .map_err(pg_err)?;
    }
    for f in &writes.day_close_flags {
        let json = rows::to_json(&f.differences, "day-close differences")?;
        tx.execute(
            "INSERT INTO day_close_flags(event_id, device_id, seq, differences_json, flagged_at_ms)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[&f.event_id, &device_id, &to_i64(f.seq), &json, &now_ms],
        )
        .await
        .map_err(pg_err)?;
    }
    super::supervisors::count_failures(tx, &writes.supervisor_failures).await?;
    Ok(())
}

/// Inserts the batch's events and their ids (two statements, pipelined).
async fn insert_events(
    tx: &ClientWrapper,
    device_id: &str,
    writes: &BatchWrites,
    now_ms: i64,
) -> Result<(), ServerError> {
    if writes.events.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = writes
        .events
        .iter()
        .map(|e| e.event.body.event_id.as_str())
        .collect();
    let seqs: Vec<i64> = writes
        .events
        .iter()
        .map(|e| to_i64(e.event.body.seq))
        .collect();
    let hashes: Vec<&str> = writes
        .events
        .iter()
        .map(|e| e.event.hash.as_str())
        .collect();
    let times: Vec<i64> = writes.events.iter().map(|e| e.signed_at_ms).collect();
    let jsons: Vec<&str> = writes.events.iter().map(|e| e.json.as_str()).collect();
    let refs: Vec<Option<&str>> = writes
        .events
        .iter()
        .map(|e| e.order_ref.as_deref())
        .collect();
    let depots: Vec<Option<&str>> = writes.events.iter().map(|e| e.depot.as_deref()).collect();
    tokio::try_join!(
        async {
            let stmt = tx
                .prepare_cached(
                    "INSERT INTO event_ids(event_id, device_id, seq, hash, signed_at_ms)
                     SELECT id, $2, seq, hash, t FROM UNNEST($1::text[], $3::bigint[], $4::text[], $5::bigint[]) AS u(id, seq, hash, t)",
                )
                .await
                .map_err(pg_err)?;
            tx.execute(&stmt, &[&ids, &device_id, &seqs, &hashes, &times])
                .await
                .map_err(pg_err)
        },
        async {
            let stmt = tx
                .prepare_cached(
                    "INSERT INTO events(device_id, seq, event_id, hash, signed_json, received_at_ms, signed_at_ms, order_ref, depot)
                     SELECT $1, seq, id, hash, js, $2, t, r, d
                     FROM UNNEST($3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[])
                     AS u(seq, id, hash, js, t, r, d)",
                )
                .await
                .map_err(pg_err)?;
            tx.execute(
                &stmt,
                &[
                    &device_id, &now_ms, &seqs, &ids, &hashes, &jsons, &times, &refs, &depots,
                ],
            )
            .await
            .map_err(pg_err)
        },
    )?;
    Ok(())
}

/// Writes the parcels' new ledgers.
async fn upsert_ledgers(
    tx: &ClientWrapper,
    device_id: &str,
    writes: &BatchWrites,
) -> Result<(), ServerError> {
    if writes.ledgers.is_empty() {
        return Ok(());
    }
    let parcels: Vec<&str> = writes.ledgers.keys().map(String::as_str).collect();
    let jsons = writes
        .ledgers
        .values()
        .map(|l| rows::to_json(l, "parcel ledger"))
        .collect::<Result<Vec<_>, _>>()?;
    let stmt = tx
        .prepare_cached(
            "INSERT INTO parcel_ledgers(device_id, parcel_id, ledger_json)
             SELECT $1, p, j FROM UNNEST($2::text[], $3::text[]) AS u(p, j)
             ON CONFLICT (device_id, parcel_id) DO UPDATE SET ledger_json = excluded.ledger_json",
        )
        .await
        .map_err(pg_err)?;
    tx.execute(&stmt, &[&device_id, &parcels, &jsons])
        .await
        .map_err(pg_err)?;
    Ok(())
}
