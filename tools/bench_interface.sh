#!/usr/bin/env bash
# Does the engine interface cost the Swift engine anything? `amps bench`'s default-model
# workloads (steered forward, steered live, MCS map, eval) with two binaries, alternately, in
# one run: BEFORE (a build of the commit before the interface, e.g. a worktree of 0720e63 built
# with `swift build -c release`) and AFTER (this tree's .build/release/amps). Each side's best
# round is compared; docs/BENCHMARKS.md, "The engine interface".
#
#   tools/bench_interface.sh BEFORE_BIN [AFTER_BIN] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=${1:?the binary built before the interface}
AFTER=${2:-.build/release/amps}
OUT=${3:-bench-out/interface}
ROUNDS=${ROUNDS:-3}
mkdir -p "$OUT"
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
args=(bench --threads 2 --repeats 20 --keys 0 --only steered_forward --only steered_live --only mcs_map --only eval_uniform)
for r in $(seq 1 "$ROUNDS"); do
  "$BEFORE" "${args[@]}" --json "$OUT/before-$r.json" > "$OUT/before-$r.txt"
  "$AFTER" "${args[@]}" --json "$OUT/after-$r.json" > "$OUT/after-$r.txt"
  echo "round $r of $ROUNDS done" >&2
done
python3 - "$OUT" "$ROUNDS" <<'PY'
import json, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def load(side):
    rows = {}
    for r in range(1, rounds + 1):
        for w in json.load(open(f"{out}/{side}-{r}.json"))["workloads"]:
            rows.setdefault(w["name"], []).append(w["swift_seconds"])
    return rows
b, a = load("before"), load("after")
print(f"{'workload':18}{'before best':>12}{'after best':>12}{'after/before':>14}   rounds before | after")
for k in b:
    print(f"{k:18}{min(b[k]):12.4f}{min(a[k]):12.4f}{min(a[k]) / min(b[k]):14.3f}   "
          + " ".join(f"{x:.4f}" for x in b[k]) + " | " + " ".join(f"{x:.4f}" for x in a[k]))
PY
