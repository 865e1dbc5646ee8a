#!/usr/bin/env python3
"""A reverse proxy that signs device requests, so a schema-driven tester
(schemathesis) reaches the logic behind authentication.

Usage: signing_proxy.py BASE_URL ADMIN_TOKEN PORT_FILE

Enrolls a fresh device (key held here), gives it one order in a manifest,
then listens on a free loopback port (written to PORT_FILE) and forwards
every request to BASE_URL. A request that carries all four authentication
headers (X-Device-Id, X-Timestamp, X-Nonce, X-Signature, whatever their
values) is re-signed for the enrolled device with a fresh timestamp and
nonce; a request missing any of them is forwarded as it is, so missing or
absent authentication still reaches the server as such.
"""
import http.server
import re
import sys
import urllib.error
import urllib.request

from escrow_client import Client, request_headers

AUTH = ("x-device-id", "x-timestamp", "x-nonce", "x-signature")


def main(base, admin_token, port_file):
    client = Client(base, admin_token)
    device = client.enroll()
    order = client.admin("POST", "/v1/admin/orders", {
        "order_ref": "ST-1", "label": "LBL-ST-1", "kind": "delivery", "policy": "online_only",
        "recipient": {"name": "B", "phone": "1"},
        "address": {"text": "x", "city": "y", "lat_e7": None, "lon_e7": None},
        "amount_minor": 100, "currency": "EUR", "iterations": 1000,
    })
    client.admin("POST", "/v1/admin/manifests", {
        "device_id": device.id, "parcel_ids": [order["parcel_id"]], "depot": "D", "valid_for_ms": 3_600_000,
    })

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def forward(self):
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()
                       if k.lower() not in ("host", "content-length", "connection", "transfer-encoding")}
            # Re-sign only requests whose headers have the documented shape, so
            # that malformed authentication still reaches the server as sent.
            if (all(h in headers for h in AUTH) and headers["x-device-id"]
                    and re.fullmatch(r"-?[0-9]+", headers["x-timestamp"])
                    and re.fullmatch(r"[0-9a-f]{32}", headers["x-nonce"])):
                headers.update(request_headers(device.key, device.id, self.command, self.path, body))
            req = urllib.request.Request(base + self.path, data=body if body else None,
                                         method=self.command, headers=headers)
            try:
                with urllib.request.urlopen(req) as r:
                    status, rheaders, rbody = r.status, r.headers, r.read()
            except urllib.error.HTTPError as e:
                status, rheaders, rbody = e.code, e.headers, e.read()
            self.send_response(status)
            for k, v in rheaders.items():
                if k.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                    self.send_header(k, v)
            self.send_header("content-length", str(len(rbody)))
            self.end_headers()
            self.wfile.write(rbody)

        def __getattr__(self, name):
            # Every method, even ones http.server has never heard of (TRACE,
            # QUERY...), goes to the server, which must answer it.
            if name.startswith("do_"):
                return self.forward
            raise AttributeError(name)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file, "w") as f:
        f.write(f"{server.server_address[1]}\n")
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:4])
