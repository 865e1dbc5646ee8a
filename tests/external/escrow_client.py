"""A third-party client of the escrow server API, from docs/protocol.md alone.

Signs requests and events with a device key held by `cryptography`; used by
the checkpoint recipe test and by the schemathesis signing proxy.
"""
import hashlib
import json
import os
import time
import urllib.error
import urllib.request

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

GENESIS = "0" * 64


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def uuid7():
    """A UUIDv7 (48-bit Unix ms, version 7, variant 10, random rest), lower-case."""
    ms = int(time.time() * 1000)
    b = bytearray(ms.to_bytes(6, "big") + os.urandom(10))
    b[6] = 0x70 | (b[6] & 0x0F)
    b[8] = 0x80 | (b[8] & 0x3F)
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def public_hex(key):
    return key.public_key().public_bytes_raw().hex()


def request_headers(key, device_id, method, path, body):
    """The four authentication headers of docs/protocol.md, "Request signing"."""
    ts = str(int(time.time() * 1000))
    nonce = os.urandom(16).hex()
    signed = "\n".join(
        ["courier-request-v1", method.upper(), path, ts, nonce, hashlib.sha256(body).hexdigest()]
    ).encode()
    return {
        "x-device-id": device_id,
        "x-timestamp": ts,
        "x-nonce": nonce,
        "x-signature": key.sign(signed).hex(),
    }


class Client:
    def __init__(self, base, admin_token):
        self.base = base.rstrip("/")
        self.admin_token = admin_token

    def call(self, method, path, body=b"", headers=None):
        req = urllib.request.Request(self.base + path, data=body or None, method=method)
        req.add_header("content-type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def admin(self, method, path, obj=None):
        body = json.dumps(obj).encode() if obj is not None else b""
        status, answer = self.call(method, path, body, {"authorization": f"Bearer {self.admin_token}"})
        if status != 200:
            raise RuntimeError(f"admin {path}: {status} {answer}")
        return answer

    def enroll(self, key=None):
        key = key or Ed25519PrivateKey.generate()
        token = self.admin("POST", "/v1/admin/enrollment-tokens", {})["token"]
        body = json.dumps(
            {"token": token, "device_public_key": public_hex(key), "hardware_label": "python"}
        ).encode()
        status, answer = self.call("POST", "/v1/enroll", body)
        if status != 200:
            raise RuntimeError(f"enroll: {status} {answer}")
        return Device(self, key, answer["device_id"], answer["server_public_key"])


class Device:
    def __init__(self, client, key, device_id, server_key):
        self.client, self.key, self.id, self.server_key = client, key, device_id, server_key
        self.seq, self.prev = 0, GENESIS

    def signed(self, method, path, body=b""):
        return self.client.call(method, path, body, request_headers(self.key, self.id, method, path, body))

    def event(self, kind="manifest_accepted", **fields):
        """Seals the next event of this device's chain."""
        body = {
            "schema": "courier.event.v1", "event_id": uuid7(), "device_id": self.id,
            "seq": self.seq + 1, "prev_hash": self.prev, "kind": kind, "parcel_id": None,
            "order_ref": None, "outcome": None, "reason": None, "liability": None,
            "verification": None, "code_proof": None, "inspection_offered": None,
            "corrects": None, "detail": {},
            "position": {"status": "no_fix", "source": "none", "fix": None, "last_fix": None},
            "clock": {"device_utc_ms": int(time.time() * 1000), "monotonic_ms": 1, "boot_id": "py"},
            "gnss_utc_ms": None, "manifest_version": None, "app_version": "python",
        }
        body.update(fields)
        data = canonical(body)
        event = {"body": body, "hash": hashlib.sha256(data).hexdigest(), "signature": self.key.sign(data).hex()}
        self.seq, self.prev = body["seq"], event["hash"]
        return event
