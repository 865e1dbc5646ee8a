#!/usr/bin/env python3
"""The checkpoint recipe end to end, as a third party would run it.

Usage: checkpoint_recipe.py BASE_URL ADMIN_TOKEN WORKDIR

Enrolls a device (key held by Python), uploads five events, keeps the
server's signed checkpoint from the answer, exports the device's log through
the admin API, and runs verify_events.py with the checkpoint on the whole
log (accepted), on the log cut short (refused) and on a rewritten log whose
chain is valid but is not the one the server signed (refused).
"""
import json
import os
import subprocess
import sys

from escrow_client import Client

HERE = os.path.dirname(os.path.abspath(__file__))


def main(base, admin_token, work):
    client = Client(base, admin_token)
    dev = client.enroll()
    events = [dev.event() for _ in range(5)]
    status, answer = dev.signed("POST", "/v1/events", json.dumps({"events": events}).encode())
    assert status == 200, answer
    with open(f"{work}/checkpoint.json", "w") as f:
        json.dump(answer["checkpoint"], f)
    log = client.admin("GET", f"/v1/admin/devices/{dev.id}/events")
    write(f"{work}/log.jsonl", log["events"])
    write(f"{work}/cut.jsonl", log["events"][:3])
    dev.seq, dev.prev = 3, log["events"][2]["hash"]
    write(f"{work}/forked.jsonl", log["events"][:3] + [dev.event(), dev.event()])
    pub = log["device_public_key"]

    def verify(name):
        return subprocess.run(
            [sys.executable, f"{HERE}/verify_events.py", f"{work}/{name}", pub,
             "--checkpoint", f"{work}/checkpoint.json", "--server-key", dev.server_key],
            capture_output=True, text=True,
        )

    ok = verify("log.jsonl")
    print(ok.stdout.strip())
    if ok.returncode != 0:
        return 1
    for name, what in (("cut.jsonl", "TRUNCATED"), ("forked.jsonl", "FORKED")):
        r = verify(name)
        if r.returncode == 0 or what not in r.stdout:
            print(f"FAILED: the verifier did not report {what} for {name}: {r.stdout}")
            return 1
        print(f"ok: {what.lower()} log detected against the checkpoint")
    return 0


def write(path, events):
    with open(path, "w", encoding="utf-8") as f:
        for e in events:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
