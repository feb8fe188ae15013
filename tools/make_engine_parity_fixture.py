#!/usr/bin/env python3
"""Write engines/torch/tests/fixtures/swift_diagnose.json: what the Swift engine computes on one
default-model instance, for the PyTorch engine's parity test (engines/torch/tests/test_parity_swift.py).

    python3 tools/make_engine_parity_fixture.py [--amps .build/debug/amps] [--instance 200000]

For each target (kv, residual) it runs
    amps diagnose --model samples/model --data samples/data/test.jsonl --instance ID -n 8 --seed 0
                  --target T --threads 2 --json --dump-noise NOISE
and stores the diagnose JSON (clean answer, sensitivity curve over the alpha grid, steered answers,
per-layer MCS), the probe's metadata from the noise file (prompt, image, positions, answer ids) and,
per noise tensor, its first 16 values and the float64 sum of its absolute values (the tensors
themselves are megabytes; the test redraws them on the engine's side from the seed).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np
from safetensors.numpy import load_file
from safetensors import safe_open


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--amps", default=".build/debug/amps")
    ap.add_argument("--instance", default="200000")
    ap.add_argument("--out", default="engines/torch/tests/fixtures/swift_diagnose.json")
    args = ap.parse_args()
    if not os.access(args.amps, os.X_OK):
        raise SystemExit(f"make_engine_parity_fixture.py: error: {args.amps} not found (swift build first)")
    out = {"made_by": "tools/make_engine_parity_fixture.py", "targets": {}}
    env = dict(os.environ, OPENBLAS_CORETYPE=os.environ.get("OPENBLAS_CORETYPE", "Haswell"))
    with tempfile.TemporaryDirectory() as tmp:
        for target in ("kv", "residual"):
            noise = os.path.join(tmp, f"noise_{target}.safetensors")
            cmd = [args.amps, "diagnose", "--model", "samples/model", "--data", "samples/data/test.jsonl",
                   "--instance", args.instance, "-n", "8", "--seed", "0", "--target", target, "--threads", "2",
                   "--json", "--dump-noise", noise]
            print(" ".join(shlex.quote(c) for c in cmd), file=sys.stderr)
            res = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if res.returncode != 0:
                raise SystemExit(f"make_engine_parity_fixture.py: error: amps diagnose failed: {res.stderr.strip()}")
            with safe_open(noise, framework="numpy") as fh:
                meta = dict(fh.metadata())
            meta["image"] = os.path.relpath(meta["image"])  # the repository-relative path
            tensors = load_file(noise)
            summary = {k: {"shape": list(v.shape), "first": v.reshape(-1)[:16].astype(float).tolist(),
                           "abs_sum": float(np.abs(v.astype(np.float64)).sum())} for k, v in sorted(tensors.items())}
            out["targets"][target] = {"command": " ".join(shlex.quote(c) for c in ["amps"] + cmd[1:-2]),
                                      "diagnose": json.loads(res.stdout), "meta": meta, "noise": summary}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
