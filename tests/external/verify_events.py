#!/usr/bin/env python3
"""Verify a courier terminal's exported events using docs/protocol.md alone.

Usage: verify_events.py EVENTS.jsonl DEVICE_PUBLIC_KEY_HEX

Checks, for every event in order: SHA-256 of the canonical body equals "hash",
the Ed25519 signature verifies with the device key, seq grows by exactly one
from 1, and prev_hash equals the previous event's hash. Exits 0 when all hold,
1 with the first failure otherwise. Uses only hashlib, json and `cryptography`.
"""
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def main(path, key_hex):
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key_hex))
    prev_hash, prev_seq = "0" * 64, 0
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            event = json.loads(line)
            body = event["body"]
            data = canonical(body)
            if hashlib.sha256(data).hexdigest() != event["hash"]:
                return fail(n, "hash does not match the canonical body")
            try:
                key.verify(bytes.fromhex(event["signature"]), data)
            except InvalidSignature:
                return fail(n, "signature does not verify")
            if body["seq"] != prev_seq + 1:
                return fail(n, f"sequence gap: expected {prev_seq + 1}, found {body['seq']}")
            if body["prev_hash"] != prev_hash:
                return fail(n, "prev_hash does not match the previous event's hash")
            prev_hash, prev_seq = event["hash"], body["seq"]
    print(f"ok: {prev_seq} events, signatures and chain verify (python)")
    return 0


def fail(line, why):
    print(f"FAILED at line {line}: {why}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
