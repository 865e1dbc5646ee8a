#!/usr/bin/env python3
"""Verify an order's dispute pack using docs/protocol.md ("Dispute pack") alone.

Usage: verify_dispute_pack.py PACK.tar [--server-key SERVER_PUBLIC_KEY_HEX]

Opens the tar with Python's tarfile, then checks, as the recipe says:
the server's signature over "courier.dispute-pack.v1\\n" + SHA256SUMS; every
file's SHA-256 against SHA256SUMS and no file outside it; the checkpoint note
(C2SP signed note, origin from the server key); for every event listed in
pack.json: present once in its device's file, its hash, its strict Ed25519
signature by the device key the pack lists, and its RFC 6962 inclusion proof
(leaf = SHA-256(0x00 || canonical body || signature bytes)) to the
checkpoint's root and size; no event in the files that pack.json does not
list; every photo an event names with its file's SHA-256 and size. Without
--server-key, the key in the pack is used and its fingerprint printed, to
compare with the one the escrow operator publishes.

Prints every failure (FAILED: ...), exits 1 if there is one, 0 otherwise.
Uses only the standard library and `cryptography`.
"""
import argparse
import base64
import hashlib
import sys
import tarfile

from strict_ed25519 import strict_public_key, verify_strict
from verify_events import canonical, strict_loads

SUMS_PREFIX = b"courier.dispute-pack.v1\n"
ORIGIN_PREFIX = "courier-escrow.example/log/"


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index, size, leaf, path):
    """RFC 9162 section 2.1.3.2: the root an audit path leads to, or None."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node(p, r)
            while fn & 1 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def read_checkpoint(text, server_key_hex, fail):
    """Checks the note's signature; returns (size, root) of its tree."""
    key = bytes.fromhex(server_key_hex)
    origin = ORIGIN_PREFIX + hashlib.sha256(key).hexdigest()[:16]
    body, sep, sigs = text.partition("\n\n")
    if not sep:
        fail("CHECKPOINT: not a signed note (no blank line)")
        return None
    body += "\n"
    lines = body.split("\n")
    if len(lines) < 4 or lines[0] != origin:
        fail(f"CHECKPOINT: origin is not {origin} (another log's checkpoint)")
        return None
    key_id = hashlib.sha256(origin.encode() + b"\n\x01" + key).digest()[:4]
    signed = False
    for line in sigs.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "\u2014" or parts[1] != origin:
            continue
        raw = base64.b64decode(parts[2])
        if raw[:4] == key_id and verify_strict(strict_public_key(server_key_hex), raw[4:].hex(), body.encode()):
            signed = True
    if not signed:
        fail("CHECKPOINT: no valid signature by the server key")
        return None
    return int(lines[1]), base64.b64decode(lines[2])


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("pack")
    ap.add_argument("--server-key")
    args = ap.parse_args(argv)
    failures = []

    def fail(why):
        failures.append(why)
        print(f"FAILED: {why}")

    with tarfile.open(args.pack) as tar:
        files = {}
        for m in tar.getmembers():
            if m.isfile():
                top, _, rel = m.name.partition("/")
                files[rel] = tar.extractfile(m).read()
    try:
        index = strict_loads(files["pack.json"].decode("utf-8"))
    except (KeyError, ValueError) as e:
        fail(f"pack.json unreadable: {e}")
        return 1
    key_hex = args.server_key or index["server_public_key"]
    if not args.server_key:
        print(f"server key fingerprint {hashlib.sha256(bytes.fromhex(key_hex)).hexdigest()} "
              "(compare with the one the escrow operator publishes)")
    if index["server_public_key"] != key_hex:
        fail("SIGNATURE: pack.json names another server key than the one given")
    server_key = strict_public_key(key_hex)

    # 1. The sums, signed by the server; every file listed, every hash right.
    sums = files.pop("SHA256SUMS", b"")
    sig = files.pop("SHA256SUMS.sig", b"")
    if not verify_strict(server_key, sig.hex(), SUMS_PREFIX + sums):
        fail("SIGNATURE: SHA256SUMS.sig does not verify with the server key")
    listed = {}
    for line in sums.decode("utf-8").splitlines():
        digest, _, path = line.partition("  ")
        listed[path] = digest
    for path, data in files.items():
        if path not in listed:
            fail(f"SUMS: {path} is not in SHA256SUMS")
        elif hashlib.sha256(data).hexdigest() != listed[path]:
            fail(f"SUMS: {path} does not match its SHA-256 in SHA256SUMS")
    for path in listed:
        if path not in files:
            fail(f"SUMS: {path} is listed in SHA256SUMS but absent")

    # 2. The checkpoint every proof leads to.
    cp = read_checkpoint(files.get(index["checkpoint_file"], b"").decode("utf-8"), key_hex, fail)
    if cp and cp[0] != index["tree_size"]:
        fail(f"CHECKPOINT: its size {cp[0]} is not the pack's tree_size {index['tree_size']}")

    # 3. The events: each listed one present, signed, and in the log.
    keys = {d["device_id"]: strict_public_key(d["public_key"]) for d in index["devices"]}
    parcels = {m["parcel"]["parcel_id"] for m in index["manifest_entries"] if m["parcel"]["order_ref"] == index["order_ref"]}
    found = {}
    for path in index["event_files"]:
        for n, line in enumerate(files.get(path, b"").decode("utf-8").splitlines(), 1):
            try:
                e = strict_loads(line)
            except ValueError as err:
                fail(f"EVENT: {path} line {n}: {err}")
                continue
            b = e["body"]
            k = (b["device_id"], b["seq"])
            if k in found:
                fail(f"EVENT: {b['device_id']} #{b['seq']} appears twice")
            found[k] = e
    for item in index["events"]:
        k = (item["device_id"], item["seq"])
        e = found.pop(k, None)
        if e is None:
            fail(f"MISSING: event {k[0]} #{k[1]} listed in pack.json is not in the event files")
            continue
        data = canonical(e["body"])
        if hashlib.sha256(data).hexdigest() != e["hash"] or e["hash"] != item["hash"]:
            fail(f"EVENT: {k[0]} #{k[1]}: hash does not match its canonical body")
        key = keys.get(k[0])
        if key is None or not verify_strict(key, e["signature"], data):
            fail(f"EVENT: {k[0]} #{k[1]}: signature does not verify with the device key")
        if e["body"].get("order_ref") != index["order_ref"] and e["body"].get("parcel_id") not in parcels:
            fail(f"EVENT: {k[0]} #{k[1]} is not of order {index['order_ref']}")
        leaf = hashlib.sha256(b"\x00" + data + bytes.fromhex(e["signature"])).digest()
        path = [bytes.fromhex(h) for h in item["inclusion"]]
        if cp is None or root_from_inclusion(item["leaf_index"], cp[0], leaf, path) != cp[1]:
            fail(f"INCLUSION: {k[0]} #{k[1]} (leaf {item['leaf_index']}) is not in the checkpoint's tree")
        for photo in e["body"].get("photos", []):
            entry = next((p for p in index["photos"] if p["sha256"] == photo["sha256"]), None)
            if entry is None:
                fail(f"PHOTO: {photo['sha256']} named by {k[0]} #{k[1]} is not listed")
            elif entry["file"] is not None:
                data = files.get(entry["file"], b"")
                if hashlib.sha256(data).hexdigest() != photo["sha256"] or len(data) != photo["bytes"]:
                    fail(f"PHOTO: {entry['file']} is not the photo the event names")
    for k in found:
        fail(f"EVENT: {k[0]} #{k[1]} is in the event files but not listed in pack.json")

    if failures:
        return 1
    print(f"ok: dispute pack of order {index['order_ref']}: {len(index['events'])} events of "
          f"{len(index['devices'])} device(s) signed and in the log at tree size {index['tree_size']}, "
          f"{sum(1 for p in index['photos'] if p['file'])} photo(s), every file signed (python)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
