#!/usr/bin/env python3
"""Write the MCS-map test fixtures Tests/AMPSMethodTests/Fixtures/mcs_reference{,_residual}.json.

    python3 tools/make_mcs_fixtures.py [--amps .build/debug/amps] [--instance 200000]

For each target (kv -> mcs_reference.json, residual -> mcs_reference_residual.json) it
  1. runs `amps diagnose --model samples/model --data samples/data/test.jsonl --instance ID -n 8 --seed 0
     --target T --functional ce --threads 2 --dump-noise NOISE --json` (default window and options),
  2. runs tools/reference_mcs.py on that noise dump (float32 model, float64 softmax = the reference) and
     again with --dtype float64 (a float64 model: the rounding-free value, for judging tolerances),
  3. compares the Swift numbers with the reference (1e-4 relative, below 1e-9 equal) and writes the fixture:
     the reference output plus `swift_command`, `instance`, `layers_float64`, `swift_cli` (the CLI's own
     numbers), `model_sha256` and a suggested `tolerance`. No noise tensors are stored: the Swift test
     regenerates them from the seed.

Exit code 1 if a comparison fails (the fixture is still written, with "comparison_ok": false).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference_mcs as R  # noqa: E402


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def find_amps(explicit: str | None) -> str:
    for c in ([explicit] if explicit else [".build/release/amps", ".build/debug/amps"]):
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    raise SystemExit("make_mcs_fixtures.py: error: amps binary not found (swift build, or pass --amps PATH)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--amps", help="amps binary (default .build/release/amps, else .build/debug/amps)")
    ap.add_argument("--model", default="samples/model")
    ap.add_argument("--data", default="samples/data/test.jsonl")
    ap.add_argument("--instance", default="200000", help="a conflict instance of the data file (default 200000)")
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--out-dir", default="Tests/AMPSMethodTests/Fixtures")
    ap.add_argument("--targets", default="kv,residual")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    amps = find_amps(args.amps)
    os.makedirs(args.out_dir, exist_ok=True)
    ok_all = True
    with tempfile.TemporaryDirectory() as tmp:
        for target in args.targets.split(","):
            noise = os.path.join(tmp, f"mcs_noise_{target}.safetensors")
            swift_args = ["diagnose", "--model", args.model, "--data", args.data, "--instance", args.instance,
                          "-n", str(args.samples), "--seed", "0", "--target", target, "--functional", "ce",
                          "--threads", str(args.threads), "--dump-noise", f"/tmp/mcs_noise_{target}.safetensors", "--json"]
            command = "amps " + " ".join(shlex.quote(a) for a in swift_args)
            run_args = [a if not a.startswith("/tmp/mcs_noise_") else noise for a in swift_args]
            print(f"[{target}] {amps} {' '.join(run_args)}", file=sys.stderr)
            res = subprocess.run([amps] + run_args, capture_output=True, text=True)
            if res.returncode != 0:
                print(res.stderr, file=sys.stderr)
                raise SystemExit(f"make_mcs_fixtures.py: error: amps diagnose failed ({res.returncode})")
            swift_json = os.path.join(tmp, f"swift_{target}.json")
            with open(swift_json, "w") as fh:
                fh.write(res.stdout)
            sw = json.loads(res.stdout)
            refs = {}
            for dtype in ("float32", "float64"):
                outp = os.path.join(tmp, f"ref_{target}_{dtype}.json")
                rc = R.main(["--model", args.model, "--noise", noise, "--out", outp, "--dtype", dtype,
                             "--softmax", "float64", "--threads", str(args.threads)])
                if rc != 0:
                    raise SystemExit(f"make_mcs_fixtures.py: error: reference_mcs.py failed ({rc})")
                with open(outp) as fh:
                    refs[dtype] = json.load(fh)
            ref = refs["float32"]
            print(f"[{target}] Swift vs reference:", file=sys.stderr)
            ok = R.compare(ref, swift_json, 1e-4, refs["float64"])
            ok_all &= ok
            fx = dict(ref)
            fx["swift_command"] = command
            fx["instance"] = str(args.instance)
            fx["seed"] = 0
            fx["options"] = {"window": "default", "sigma_scale": 1.0, "text_span": "context",
                             "order": "vision-first", "instruction": "none"}
            fx["model_sha256"] = sha256(os.path.join(args.model, "model.safetensors"))
            fx["layers_float64"] = [{k: r[k] for k in ("layer", "mcs_vision", "mcs_text", "mcr")}
                                    for r in refs["float64"]["layers"]]
            fx["swift_cli"] = {"unsteered": {k: sw["unsteered"][k] for k in ("p_vision", "p_text", "p_other")},
                               "layers": [{k: r[k] for k in ("layer", "mcs_vision", "mcs_text", "mcr")} for r in sw["layers"]],
                               "window": sw.get("window"), "mcr_window": sw.get("mcr_window")}
            fx["comparison_ok"] = ok
            fx["max_relative_difference"] = max(
                max(R.rel_diff(float(a["mcs_vision"]), b["mcs_vision"]), R.rel_diff(float(a["mcs_text"]), b["mcs_text"]))
                for a, b in zip(sw["layers"], ref["layers"]))
            fx["tolerance"] = {
                "relative": 1e-4, "absolute": 1e-10,
                "note": "MCS is a difference of nearly equal sample means, so float32 rounding of the logits gives "
                        "relative errors ~1e-4 already at MCS ~1e-7..1e-9 (torch float32, Swift with 1 vs 2 BLAS threads "
                        "and a float64 model all differ there); compare with |a-b| <= relative*max(|a|,|b|) + absolute, "
                        "and compare MCR only where mcs_vision + mcs_text > 1e-8."}
            name = "mcs_reference.json" if target == "kv" else f"mcs_reference_{target}.json"
            with open(os.path.join(args.out_dir, name), "w") as fh:
                json.dump(fx, fh, indent=1)
                fh.write("\n")
            print(f"[{target}] wrote {os.path.join(args.out_dir, name)}", file=sys.stderr)
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
