#!/usr/bin/env python3
"""Write Tests/AMPSMethodTests/Fixtures/noise_spec.json: noise drawn by the Python implementation
of the noise generator (engines/torch/amps_torch_engine/noise.py, specified in docs/METHOD.md,
"Noise generator"), which the Swift test NoiseSpecTests and the engine's pytest both check.

    python3 tools/make_noise_fixture.py [--out Tests/AMPSMethodTests/Fixtures/noise_spec.json]

64-bit integers are written as 16-digit hex strings, float32 values as their bit patterns
(unsigned integers), so nothing is rounded by JSON. Large draws are stored as a digest:
FNV-1a 64 over the little-endian float32 bytes, plus their first 16 values.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "engines", "torch"))
from amps_torch_engine import noise as N  # noqa: E402


def bits(a: np.ndarray) -> list[int]:
    return np.ascontiguousarray(a, dtype=np.float32).reshape(-1).view(np.uint32).tolist()


def digest(a: np.ndarray) -> str:
    h = N.FNV_OFFSET
    for byte in np.ascontiguousarray(a, dtype="<f4").tobytes():
        h = ((h ^ byte) * N.FNV_PRIME) & N.MASK64
    return f"{h:016x}"


def states_of(t: int, f: int, salt: int) -> np.ndarray:
    """Deterministic float32 test states [t, f] (exact binary fractions, mixed signs)."""
    i = np.arange(t * f, dtype=np.int64).reshape(t, f)
    return (((i * 37 + salt * 11) % 29) - 14).astype(np.float32) / np.float32(8) + np.float32(salt) / np.float32(64)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="Tests/AMPSMethodTests/Fixtures/noise_spec.json")
    args = ap.parse_args()

    seeds = []
    for base, parts in [(0, ["a"]), (0, ["b"]), (7, ["x", "y"]), (2**64 - 1, ["200000/vision-first/none/3/vision/k"]),
                        (0, ["déjà vu"]), (0, [])]:
        seeds.append({"base": f"{base:016x}", "parts": parts, "seed": f"{N.stream_seed(base, *parts):016x}"})

    words = []
    for seed in [0, 42, 2**63 + 5]:
        g = N.NoiseGenerator(seed)
        words.append({"seed": f"{seed:016x}", "next": [f"{g.next_u64():016x}" for _ in range(8)]})

    noise_small = []
    for seed, n, p, sigma in [(7, 3, 5, [0.5, 2.0, 1.0, 0.1]), (42, 1, 3, [1.0, 0.25, 3.0, 1e-3, 7.5]),
                              (0, 2, 1, [0.0, 1.0])]:
        g = N.NoiseGenerator(seed)
        s = np.array(sigma, dtype=np.float32)
        noise_small.append({"seed": f"{seed:016x}", "samples": n, "positions": p, "sigma_bits": bits(s),
                            "noise_bits": bits(g.noise(n, p, s))})

    noise_large = []
    for seed, n, p, f in [(1, 32, 64, 64), (2**64 - 3, 8, 17, 33)]:
        g = N.NoiseGenerator(seed)
        s = (np.arange(f, dtype=np.float32) + np.float32(1)) / np.float32(16)
        a = g.noise(n, p, s)
        noise_large.append({"seed": f"{seed:016x}", "samples": n, "positions": p, "features": f,
                            "sigma": "(f + 1) / 16 in float32", "fnv1a64": digest(a), "first_bits": bits(a.reshape(-1)[:16])})

    stds = []
    for t, f, positions, salt in [(6, 5, [4, 1, 2], 1), (9, 3, list(range(9)), 2), (4, 2, [3], 3)]:
        st = states_of(t, f, salt)
        stds.append({"states_bits": bits(st), "rows": t, "features": f, "positions": positions,
                     "std_bits": bits(N.feature_std(st, positions))})

    cells = []
    for (seed, inst, order, instr, layer, mod, tag, scale) in [(0, "200000", "vision-first", "none", 3, "vision", "k", 1.0),
                                                                (5, "x1", "text-first", "vision", 0, "text", "v", 0.5)]:
        st = states_of(20, 8, layer + 4)
        positions = [2, 3, 5, 7, 11, 13]
        a = N.mcs_noise(st, positions, 4, scale, seed, inst, order, instr, layer, mod, tag)
        cells.append({"seed": seed, "instance": inst, "order": order, "instruction": instr, "layer": layer,
                      "modality": mod, "tag": tag, "sigma_scale": scale, "samples": 4, "positions": positions,
                      "states_bits": bits(st), "rows": 20, "features": 8,
                      "fnv1a64": digest(a), "first_bits": bits(a.reshape(-1)[:16])})

    out = {"made_by": "tools/make_noise_fixture.py (engines/torch/amps_torch_engine/noise.py)",
           "spec": "docs/METHOD.md, section Noise generator",
           "stream_seeds": seeds, "words": words, "noise_small": noise_small, "noise_large": noise_large,
           "feature_std": stds, "mcs_cells": cells}
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
