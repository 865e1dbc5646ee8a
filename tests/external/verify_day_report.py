#!/usr/bin/env python3
"""Verify a courier terminal's signed JSON day report using docs/protocol.md alone.

Usage: verify_day_report.py REPORT.json DEVICE_PUBLIC_KEY_HEX [--events EVENTS.jsonl]

Checks: the file is JSON without a repeated key; body.schema is
courier.day_report.v1; the Ed25519 signature over the canonical body verifies
strictly with the device key; the totals add up from the rows. With the
device's exported events (verified here as verify_events.py does: hash,
strict signature, seq, prev_hash), also that the report's last event and its
day-close event are in that log with the same seq and hash, and that the
day-close event is of kind day_closed. Exits 0 when all hold, 1 with the
first failure otherwise. Uses only hashlib, json and `cryptography`.
"""
import argparse
import collections
import hashlib
import sys

from strict_ed25519 import strict_public_key, verify_strict
from verify_events import canonical, strict_loads


def totals_from_rows(rows, fee_changes):
    """The totals as docs/protocol.md defines them from the rows (the number
    of fee changes is the day's count of fee_changed events, not a row's)."""
    t = collections.Counter()
    failed = collections.Counter()
    for r in rows:
        if r["item"] == "parcel" and r["parcel_id"] is not None:
            t["parcels"] += 1
            if r["outcome"] == "delivered":
                t["delivered"] += 1
            elif r["outcome"] is not None:
                failed[r["outcome"]] += 1
            because = (r["expected_because"] or {}).get("why")
            if because in ("withdrawn", "locked", "not_attempted"):
                t[because] += 1
        status = r["return_status"]
        if status in ("received", "missing"):
            t["expected_back"] += 1
        if status == "received":
            t["returned_in"] += 1
        if status in ("missing", "unexpected"):
            t[status] += 1
    keys = ["parcels", "delivered", "withdrawn", "locked", "not_attempted", "expected_back",
            "returned_in", "missing", "unexpected"]
    out = {k: t[k] for k in keys}
    out["failed"] = dict(failed)
    out["fee_changes"] = fee_changes
    out["photos"] = sum(len(r.get("photos") or []) for r in rows)
    return out


def log_points(path, key):
    """{seq: (hash, kind)} of a verified event log."""
    points, prev_hash, prev_seq = {}, "0" * 64, 0
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            event = strict_loads(line)
            body = event["body"]
            data = canonical(body)
            if hashlib.sha256(data).hexdigest() != event["hash"]:
                raise ValueError(f"events line {n}: hash does not match the canonical body")
            if not verify_strict(key, event["signature"], data):
                raise ValueError(f"events line {n}: signature does not verify with the device key")
            if body["seq"] != prev_seq + 1 or body["prev_hash"] != prev_hash:
                raise ValueError(f"events line {n}: the chain is broken")
            prev_hash, prev_seq = event["hash"], body["seq"]
            points[body["seq"]] = (event["hash"], body["kind"])
    return points


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("device_key")
    ap.add_argument("--events")
    args = ap.parse_args(argv)
    try:
        key = strict_public_key(args.device_key)
        with open(args.report, encoding="utf-8") as f:
            doc = strict_loads(f.read())
        body = doc["body"]
        if body.get("schema") != "courier.day_report.v1":
            return fail("not a courier.day_report.v1")
        if not verify_strict(key, doc["signature"], canonical(body)):
            return fail("the signature does not verify (strictly) with the device key")
        if totals_from_rows(body["rows"], body["totals"].get("fee_changes")) != body["totals"]:
            return fail("the totals do not add up from the rows")
        if args.events:
            points = log_points(args.events, key)
            for name in ("head", "day_closed"):
                point = body.get(name)
                if point is None:
                    continue
                found = points.get(point["seq"])
                if found is None or found[0] != point["hash"]:
                    return fail(f"the report's {name} (seq {point['seq']}) is not in the device's log")
                if name == "day_closed" and found[1] != "day_closed":
                    return fail("the report's day close is not a day_closed event")
    except (ValueError, KeyError, TypeError) as e:
        return fail(str(e))
    closed = body.get("day_closed")
    print(f"ok: day report {body['device_id']} {body['day']['date']}: signature verifies, "
          f"{len(body['rows'])} rows add up"
          + (f", day close at seq {closed['seq']} is in the log" if closed and args.events else "")
          + " (python)")
    return 0


def fail(why):
    print(f"FAILED: {why}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
