# The two commands of the README: `make run` (the inspector on the default model) and
# `make test` (all tests). Each installs the Debian packages it needs when missing.
SHELL := /bin/bash
# The tests and CI cap OpenBLAS (and the engine's kernels) at AVX2, as the project's
# machines require; running the program is not capped (OpenBLAS picks the CPU's kernels).
TEST_CORETYPE ?= Haswell
SWIFT ?= swift
DEB_PACKAGES := libopenblas-dev libncurses-dev libpng-dev libjpeg62-turbo-dev pkg-config tmux
BIN := .build/release/amps

.PHONY: deps build build-release run test swift-test engine-venv engine-test bench bench-engines fixtures artifacts reference clean fuzz fuzz-build fuzz-smoke

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -j 2

build-release: deps
	$(SWIFT) build -c release -j 2

run: build-release
	$(BIN)

# The engine's environment first (the Swift client's tests drive the PyTorch engine from it),
# then both suites, whatever the first gives; the target fails if anything failed.
test swift-test engine-test: export OPENBLAS_CORETYPE ?= $(TEST_CORETYPE)
test: deps
	@status=0; \
	$(MAKE) --no-print-directory engine-venv || status=1; \
	$(MAKE) --no-print-directory swift-test || status=1; \
	$(MAKE) --no-print-directory engine-test || status=1; \
	exit $$status

swift-test: deps
	$(SWIFT) test -j 2 --disable-swift-testing
	$(MAKE) fuzz-smoke

# Fuzzing (docs/RELIABILITY.md): libFuzzer + address sanitizer builds of Fuzz/Runner in their
# own scratch folder, so the normal build is untouched. `make fuzz` runs every target for
# FUZZ_SECONDS each, one at a time, keeping new inputs and crashes in fuzz-out/NAME/;
# `make fuzz-smoke` (part of `make test`) runs each over the committed corpus for
# FUZZ_SMOKE_SECONDS and fails on any crash.
# The long runs use an optimized build (about 3x the runs a second; its first build takes
# minutes), the smoke a debug one (built in well under a minute).
# FUZZ_TARGETS="config image" limits a run to some targets; FUZZ_RUNS=N ends each after N runs.
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_FLAGS := --scratch-path .build/fuzz --product amps-fuzz --sanitize fuzzer --sanitize address \
  -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link -Xswiftc -DAMPS_LIBFUZZER
fuzz-build: deps
	$(SWIFT) build -c release -j 2 $(FUZZ_FLAGS)

fuzz: fuzz-build
	FUZZ_DICT=1 tools/fuzz.sh .build/fuzz/release/amps-fuzz $(FUZZ_SECONDS) fuzz-out $(FUZZ_TARGETS)

fuzz-smoke: deps
	$(SWIFT) build -j 2 $(FUZZ_FLAGS)
	rm -rf .build/fuzz-smoke
	tools/fuzz.sh .build/fuzz/debug/amps-fuzz $(FUZZ_SMOKE_SECONDS) .build/fuzz-smoke

# The PyTorch engine (engines/torch) in a virtual environment of the repository (.venv/, git-
# ignored): the pinned CPU stack of tools/requirements.txt, then the package itself without
# dependencies, so its install never replaces torch. The stamp makes it quick once there.
VENV := .venv
ENGINE_STAMP := $(VENV)/.amps-engine-stamp
PYTHON3 ?= python3

$(ENGINE_STAMP): tools/requirements.txt engines/torch/pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON3) -m venv $(VENV)
	$(VENV)/bin/pip install -q -r tools/requirements.txt pytest==9.2.0
	$(VENV)/bin/pip install -q --no-deps --no-build-isolation -e engines/torch
	$(VENV)/bin/pip check
	touch $@

engine-venv: $(ENGINE_STAMP)

# pytest's exit status is the target's: 0 all passed; anything else (failures, errors, no
# tests collected = 5) fails it.
engine-test: engine-venv
	cd engines/torch && ../../$(VENV)/bin/python -m pytest -q -p no:cacheprovider tests

# Both sides at the same instruction set, twice: AVX-512 (OpenBLAS's SkylakeX kernels and
# the engine's; PyTorch's own default) where the CPU has it, then capped at AVX2 (the
# tests' setting; PyTorch capped likewise). Three alternating rounds each, best of each side.
BENCH_LARGE := bench-out/llava-qwen05b-shape
BENCH_ARGS := --threads 2 --repeats 20 --rounds 3 --large $(BENCH_LARGE) --torch-command "$(VENV)/bin/python tools/bench_torch.py --threads 2"
bench: build-release engine-venv
	mkdir -p bench-out/avx512 bench-out/avx2
	test -d $(BENCH_LARGE) || $(VENV)/bin/python tools/make_bench_checkpoint.py --out $(BENCH_LARGE)
	if grep -qw avx512f /proc/cpuinfo; then \
	  OPENBLAS_CORETYPE=SkylakeX $(BIN) bench $(BENCH_ARGS) --json bench-out/avx512/bench.json; \
	else echo "bench: this CPU has no AVX-512; only the AVX2 run"; fi
	OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2 \
	  $(BIN) bench $(BENCH_ARGS) --json bench-out/avx2/bench.json

# The two engines' MCS maps through the engine interface (default model; the 0.5B shape in
# float32 and bfloat16 on the PyTorch side): about 40 minutes on 2 cores. docs/BENCHMARKS.md.
bench-engines: build-release engine-venv
	tools/bench_engines.sh bench-out/engines

# The committed fixtures, from the pinned stack of the .venv (a fresh machine's system python
# has no torch). The PyTorch engine's family checkpoints and the noise specification's draws too.
fixtures: engine-venv
	$(VENV)/bin/python tools/make_fixtures.py
	$(VENV)/bin/python tools/make_real_fixtures.py
	$(VENV)/bin/python tools/make_tokenizer_fixtures.py
	$(VENV)/bin/python tools/make_image_fixtures.py
	$(VENV)/bin/python tools/make_e2e_fixtures.py
	$(VENV)/bin/python tools/make_family_fixtures.py
	$(VENV)/bin/python tools/make_noise_fixture.py

# The default model's steering vectors, AMPS rule (alpha fitted with beta), learned scaler,
# L2S network and learned AMPS modules (samples/model/amps/); about 5 minutes on 2 cores.
artifacts: build-release
	$(BIN) vectors --data samples/data/calib.jsonl
	$(BIN) fit --data samples/data/calib.jsonl -n 16 --alpha auto

# The PyTorch reference MCS maps the Swift tests compare with.
reference: export OPENBLAS_CORETYPE ?= $(TEST_CORETYPE)
reference: build engine-venv
	$(VENV)/bin/python tools/make_mcs_fixtures.py --amps .build/debug/amps

clean:
	rm -rf .build
