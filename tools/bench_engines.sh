#!/usr/bin/env bash
# The two engines side by side on this CPU (docs/BENCHMARKS.md, "Engines"): MCS maps (clean
# pass + layers x 2 modalities x N) through the engine interface (`amps bench --engine-map`),
# each engine running the same Swift method code: the Swift engine (float32 compute; the
# 0.5B-shape checkpoint's bf16 weights widened as they are multiplied), the PyTorch engine in
# float32 and in the checkpoint's own bfloat16.
#
#   tools/bench_engines.sh [OUT_DIR]      (default bench-out/engines; needs .build/release/amps and .venv)
#
# Default model: full maps at N = 8 and 32, 3 repeats each. 0.5B shape
# (tools/make_bench_checkpoint.py; 852 tokens, 24 layers): at N = 32 the map of layers
# LAYERS32 (default 20-23; the full N = 32 map takes about 25 min per engine here; FULL32=1
# runs it), and the full map at N = 8 (about 6 min on the Swift engine on 2 cores).
# A result file already in OUT_DIR is kept (FORCE=1 measures it again).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench-out/engines}
BIN=${AMPS:-.build/release/amps}
PY=${PYTHON:-.venv/bin/python}
LARGE=${LARGE:-bench-out/llava-qwen05b-shape}
THREADS=${THREADS:-2}
LAYERS32=${LAYERS32:-20-23}
mkdir -p "$OUT"
# Both sides at AVX2, as the tests and the second half of `make bench` run (OpenBLAS and the
# engine's kernels by OPENBLAS_CORETYPE; PyTorch's ATen, MKL and oneDNN capped alike).
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} ATEN_CPU_CAPABILITY=${ATEN_CPU_CAPABILITY:-avx2}
export MKL_ENABLE_INSTRUCTIONS=${MKL_ENABLE_INSTRUCTIONS:-AVX2} ONEDNN_MAX_CPU_ISA=${ONEDNN_MAX_CPU_ISA:-AVX2}
test -x "$BIN" || { echo "bench_engines.sh: $BIN missing (swift build -c release)" >&2; exit 2; }
test -x "$PY" || { echo "bench_engines.sh: $PY missing (make engine-venv)" >&2; exit 2; }
test -d "$LARGE" || "$PY" tools/make_bench_checkpoint.py --out "$LARGE"
torch() { echo "$PY -m amps_torch_engine.cli --device cpu --threads $THREADS --dtype $1"; }
run() {  # name, then amps bench options
  local name=$1; shift
  if [ -f "$OUT/$name.json" ] && [ "${FORCE:-0}" != 1 ]; then echo "== $name (kept from an earlier run; FORCE=1 remeasures)" >&2; return; fi
  echo "== $name" >&2
  "$BIN" bench --engine-map --threads "$THREADS" "$@" --json "$OUT/$name.json" | tail -1
}
large=(--model "$LARGE" --prompt-file qwen2-chat)
for n in 8 32; do
  run "default-n$n-swift"   -n $n --repeats 3
  run "default-n$n-torch32" -n $n --repeats 3 --engine-command "$(torch float32)"
done
# The 0.5B shape's draws are large (729 image positions x 1024 features x N per stream): the
# PyTorch engine draws them with --noise fast (the same stream; METHOD.md), as a user would.
layers=(--map-layers "$LAYERS32"); [ "${FULL32:-0}" = 1 ] && layers=()
run "large-n32-swift"     "${large[@]}" -n 32 --repeats 1 "${layers[@]}"
run "large-n32-torch32"   "${large[@]}" -n 32 --repeats 1 "${layers[@]}" --engine-command "$(torch float32) --noise fast"
run "large-n32-torchbf16" "${large[@]}" -n 32 --repeats 1 "${layers[@]}" --engine-command "$(torch bfloat16) --noise fast"
run "large-n8-swift"      "${large[@]}" -n 8 --repeats 1
run "large-n8-torch32"    "${large[@]}" -n 8 --repeats 1 --engine-command "$(torch float32) --noise fast"
run "large-n8-torchbf16"  "${large[@]}" -n 8 --repeats 1 --engine-command "$(torch bfloat16) --noise fast"
