"""A protocol engine's stand-in for the Swift tests: relays frames between amps (stdin/stdout)
and a real engine started from COMMAND, and misbehaves on purpose.

    python engine_proxy.py --kill-on prepare "COMMAND"   the engine is killed when the first
                                                          request of that kind comes; the proxy
                                                          exits with status 9
    python engine_proxy.py --hide-requests "COMMAND"      the hello reply loses its `requests`
                                                          (an engine of protocol 1 as first
                                                          published)
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import threading


def read_frame(src):
    prefix = src.read(16)
    if len(prefix) < 16:
        return None
    hl, pl = struct.unpack("<IQ", prefix[4:16])
    return prefix, src.read(hl), src.read(pl)


def frame(header: dict, payload: bytes) -> bytes:
    h = json.dumps(header).encode()
    return b"AMPS" + struct.pack("<IQ", len(h), len(payload)) + h + payload


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kill-on")
    ap.add_argument("--hide-requests", action="store_true")
    ap.add_argument("command")
    a = ap.parse_args()
    engine = subprocess.Popen(a.command, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out = sys.stdout.buffer

    def replies():
        if a.hide_requests:
            f = read_frame(engine.stdout)
            if f is None:
                return
            header = json.loads(f[1])
            header.pop("requests", None)
            out.write(frame(header, f[2]))
            out.flush()
        while True:
            b = engine.stdout.read1(65536)
            if not b:
                return
            out.write(b)
            out.flush()
    relay = threading.Thread(target=replies, daemon=True)
    relay.start()
    while True:
        f = read_frame(sys.stdin.buffer)
        if f is None:
            break
        if a.kill_on and json.loads(f[1]).get("kind") == a.kill_on:
            engine.kill()
            engine.wait()
            os._exit(9)
        engine.stdin.write(b"".join(f))
        engine.stdin.flush()
    engine.stdin.close()
    engine.wait()
    relay.join(timeout=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
