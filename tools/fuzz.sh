#!/usr/bin/env bash
# Runs libFuzzer targets one at a time (the cores are shared) and prints one line per target:
#   fuzz NAME: R runs, C crashes
# Usage: tools/fuzz.sh BINARY SECONDS OUT [TARGET...]   (no TARGET: every target the binary lists)
# FUZZ_RUNS=N (optional) also ends a target after N runs.
# Each target gets OUT/NAME/corpus (new inputs; the committed seeds in Fuzz/Corpus/NAME are only
# read), OUT/NAME/crashes (crashing, leaking-memory or timed-out inputs, as libFuzzer writes them),
# OUT/NAME/log and OUT/NAME/summary (runs, coverage, features, seconds). After a crash the target
# is started again until its SECONDS are used, so one crash does not end the run. Exit status 1
# when any target crashed.
set -u
bin=$1 seconds=$2 out=$3
shift 3
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(AMPS_FUZZ_TARGET=list "$bin"); fi
# Leaks are not what these runs look for (the loaders keep process-wide caches); a malloc
# larger than the limit is reported as a crash ("malloc limit"), which is what hostile sizes do.
# No allocation stack traces and a small quarantine: the Swift runtime allocates constantly and
# collecting a stack per malloc took most of the time (3x fewer runs); a crash report still
# has the faulting stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1:handle_abort=1:malloc_context_size=0:quarantine_size_mb=16}
# FUZZ_DICT=1 (make fuzz) gives the JSON targets a dictionary of JSON tokens and of the keys
# amps reads (Fuzz/Dictionaries); the smoke runs without it.
json_targets=" config processor-config shard-index tokenizer-load prompt instances scaling safetensors steering-vectors learned-scaler "
mkdir -p "$out"
dict=$out/.json.dict
grep -hv '^#' Fuzz/Dictionaries/*.dict > "$dict" 2>/dev/null || true
failed=0
for t in "${targets[@]}"; do
  dictarg=()
  if [ "${FUZZ_DICT:-0}" = 1 ] && [[ $json_targets == *" $t "* ]]; then dictarg=(-dict="$dict"); fi
  dir=$out/$t
  mkdir -p "$dir/corpus" "$dir/crashes"
  : > "$dir/log"
  runs=0 left=$seconds start=$(date +%s) cov=0 ft=0
  while [ "$left" -gt 0 ]; do
    AMPS_FUZZ_TARGET=$t "$bin" "$dir/corpus" "Fuzz/Corpus/$t" "${dictarg[@]}" -max_total_time="$left" -timeout=10 \
      -rss_limit_mb=3072 -malloc_limit_mb=2048 -max_len=65536 -print_final_stats=1 ${FUZZ_RUNS:+-runs=$((FUZZ_RUNS - runs))} \
      -artifact_prefix="$dir/crashes/" >> "$dir/log" 2>&1
    status=$?
    # This attempt's runs: the final stats line, or the last progress line after a crash.
    n=$(tac "$dir/log" | grep -m1 -oE '^stat::number_of_executed_units: [0-9]+' | grep -oE '[0-9]+$')
    last=$(tac "$dir/log" | grep -m1 -E '^#[0-9]+' || true)
    [ -z "$n" ] || [ "$status" -ne 0 ] && n=$(echo "$last" | grep -oE '^#[0-9]+' | tr -d '#')
    runs=$((runs + ${n:-0}))
    c=$(echo "$last" | grep -oE 'cov: [0-9]+' | grep -oE '[0-9]+'); f=$(echo "$last" | grep -oE 'ft: [0-9]+' | grep -oE '[0-9]+')
    [ -n "$c" ] && [ "$c" -gt "$cov" ] && cov=$c
    [ -n "$f" ] && [ "$f" -gt "$ft" ] && ft=$f
    echo "--- attempt ended with status $status" >> "$dir/log"
    [ "$status" -eq 0 ] && break
    left=$((seconds - ($(date +%s) - start)))
  done
  crashes=$(find "$dir/crashes" -type f | wc -l)
  elapsed=$(($(date +%s) - start))
  printf 'target=%s runs=%s cov=%s ft=%s seconds=%s crashes=%s\n' "$t" "$runs" "$cov" "$ft" "$elapsed" "$crashes" > "$dir/summary"
  echo "fuzz $t: $runs runs, $crashes crashes"
  [ "$crashes" -gt 0 ] && failed=1
done
exit $failed
