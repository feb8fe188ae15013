"""The package installs into an environment that has the pinned stack without replacing anything
(its dependency ranges are satisfied by tools/requirements.txt), and its console script speaks."""

from __future__ import annotations

import os
import subprocess
import sys

from amps_torch_engine.framing import encode_frame, read_frame
import io

PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_install_would_replace_nothing():
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--no-build-isolation",
                        "-e", PKG], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    would = [line for line in r.stdout.splitlines() if line.startswith("Would install")]
    assert would and would[0].split()[2:] == ["amps-torch-engine-0.1.0"], would


def test_console_script_answers_hello():
    script = os.path.join(os.path.dirname(sys.executable), "amps-torch-engine")
    if not os.path.exists(script):
        import pytest
        pytest.skip("package not installed in this environment (make engine-venv installs it)")
    r = subprocess.run([script, "--device", "cpu"], input=encode_frame({"kind": "hello", "id": 1, "protocol": 1}),
                       capture_output=True, timeout=120)
    assert r.returncode == 0
    h, _ = read_frame(io.BytesIO(r.stdout))
    assert h["kind"] == "hello" and h["engine"] == "amps-torch-engine" and h["id"] == 1
