"""A small client of the engine protocol for the tests: starts `python -m amps_torch_engine.cli`
as a subprocess and exchanges frames with it, with a timeout on every reply."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import threading

from amps_torch_engine.framing import encode_frame, read_frame

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(PKG))


class EngineProcess:
    def __init__(self, *args: str, timeout: float = 120):
        env = dict(os.environ)
        env["PYTHONPATH"] = PKG + os.pathsep + env.get("PYTHONPATH", "")
        self.p = subprocess.Popen([sys.executable, "-m", "amps_torch_engine.cli", "--threads", "1", *args],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.timeout = timeout
        self.next_id = 0

    def send_raw(self, data: bytes) -> None:
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def read(self, timeout: float | None = None):
        """One reply frame, or raise TimeoutError (the process is then killed)."""
        box: dict = {}

        def run():
            try:
                box["frame"] = read_frame(self.p.stdout)
            except BaseException as e:  # noqa: BLE001
                box["error"] = e
        th = threading.Thread(target=run, daemon=True)
        th.start()
        th.join(timeout or self.timeout)
        if th.is_alive():
            self.p.kill()
            raise TimeoutError("engine did not reply in time")
        if "error" in box:
            raise box["error"]
        return box["frame"]

    def request(self, kind: str, tensors=None, **fields):
        self.next_id += 1
        self.send_raw(encode_frame({"kind": kind, "id": self.next_id, **fields}, tensors))
        header, out = self.read()
        assert header.get("id") == self.next_id, header
        return header, out

    def hello(self):
        return self.request("hello", protocol=1, client="tests")

    def close(self) -> int:
        if self.p.poll() is None:
            try:
                self.p.stdin.close()
            except BrokenPipeError:
                pass
            try:
                self.p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.p.stdout.close()
        self.p.stderr.close()
        return self.p.returncode


def frame_prefix(hlen: int, plen: int) -> bytes:
    return b"AMPS" + struct.pack("<IQ", hlen, plen)
