#!/usr/bin/env python3
"""Verify a courier terminal's exported events using docs/protocol.md alone.

Usage: verify_events.py EVENTS.jsonl DEVICE_PUBLIC_KEY_HEX
                        [--checkpoint CHECKPOINT.json --server-key SERVER_PUBLIC_KEY_HEX]

Checks, for every event in order: the line is JSON without a repeated key,
SHA-256 of the canonical body equals "hash", the Ed25519 signature verifies
strictly with the device key (no small-order key or R, S below the group
order), seq grows by exactly one from 1, and prev_hash equals the previous
event's hash. With a server checkpoint (the "checkpoint" object of an upload
answer or of GET /v1/checkpoint), also checks its server signature and that
the log holds the checkpoint's head: a log cut short or rewritten is refused.
Exits 0 when all hold, 1 with the first failure otherwise. Uses only hashlib,
json and `cryptography`.
"""
import argparse
import hashlib
import json
import sys

from strict_ed25519 import strict_public_key, verify_strict


class RepeatedKey(ValueError):
    pass


def no_repeated_keys(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise RepeatedKey(f"repeated JSON key {key!r}")
        obj[key] = value
    return obj


def strict_loads(text):
    """json.loads that refuses a repeated key (plain json.loads keeps the last)."""
    return json.loads(text, object_pairs_hook=no_repeated_keys)


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def verify_checkpoint(path, server_key_hex):
    """Returns the checkpoint body once its signature verifies."""
    with open(path, encoding="utf-8") as f:
        cp = strict_loads(f.read())
    cp = cp.get("checkpoint", cp)
    body = cp["body"]
    if body.get("schema") != "courier.checkpoint.v1":
        raise ValueError("not a courier.checkpoint.v1")
    if not verify_strict(strict_public_key(server_key_hex), cp["signature"], canonical(body)):
        raise ValueError("checkpoint signature does not verify with the server key")
    return body


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("events")
    ap.add_argument("device_key")
    ap.add_argument("--checkpoint")
    ap.add_argument("--server-key")
    args = ap.parse_args(argv)
    try:
        key = strict_public_key(args.device_key)
        checkpoint = None
        if args.checkpoint:
            if not args.server_key:
                return fail(0, "--checkpoint needs --server-key")
            checkpoint = verify_checkpoint(args.checkpoint, args.server_key)
    except (ValueError, KeyError) as e:
        return fail(0, str(e))
    prev_hash, prev_seq, hash_at_checkpoint = "0" * 64, 0, None
    if checkpoint and checkpoint["seq"] == 0:
        hash_at_checkpoint = "0" * 64
    with open(args.events, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                event = strict_loads(line)
            except ValueError as e:
                return fail(n, str(e))
            body = event["body"]
            data = canonical(body)
            if hashlib.sha256(data).hexdigest() != event["hash"]:
                return fail(n, "hash does not match the canonical body")
            if not verify_strict(key, event["signature"], data):
                return fail(n, "signature does not verify (strictly) with the device key")
            if body["seq"] != prev_seq + 1:
                return fail(n, f"sequence gap: expected {prev_seq + 1}, found {body['seq']}")
            if body["prev_hash"] != prev_hash:
                return fail(n, "prev_hash does not match the previous event's hash")
            if checkpoint and body["device_id"] != checkpoint["device_id"]:
                return fail(n, "event of another device than the checkpoint's")
            prev_hash, prev_seq = event["hash"], body["seq"]
            if checkpoint and prev_seq == checkpoint["seq"]:
                hash_at_checkpoint = prev_hash
    if checkpoint:
        if hash_at_checkpoint is None:
            return fail(0, f"TRUNCATED: the log ends at seq {prev_seq}, the server's checkpoint holds {checkpoint['seq']}")
        if hash_at_checkpoint != checkpoint["head_hash"]:
            return fail(0, f"FORKED: event {checkpoint['seq']} is not the one the server signed")
        print(f"ok: {prev_seq} events, signatures and chain verify, consistent with the server checkpoint at seq {checkpoint['seq']} (python)")
        return 0
    print(f"ok: {prev_seq} events, signatures and chain verify (python)")
    return 0


def fail(line, why):
    print(f"FAILED at line {line}: {why}" if line else f"FAILED: {why}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
