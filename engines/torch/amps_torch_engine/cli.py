"""`amps-torch-engine`: serve the engine protocol on stdin/stdout (the default), or `bench`."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "bench":
        from .bench import main as bench_main
        return bench_main(argv[1:])
    ap = argparse.ArgumentParser(prog="amps-torch-engine",
                                 description="PyTorch engine for amps: speaks the engine protocol (docs/ENGINE_PROTOCOL.md) "
                                             "on stdin/stdout. `amps-torch-engine bench --help` for the benchmark.")
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16", "float16"])
    ap.add_argument("--attention", default="auto", choices=["auto", "eager", "sdpa"])
    ap.add_argument("--max-batch", type=int, default=64, help="largest batch of one forward pass (noise samples, scales)")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads of torch")
    ap.add_argument("--noise", default="exact", choices=["exact", "fast"],
                    help="exact: the specified generator value by value (bit-identical to the Swift engine); fast: the "
                         "same integer stream vectorised on the device, log/cos/sin of torch (rare last-bit differences)")
    args = ap.parse_args(argv)
    if args.max_batch < 1:
        ap.error("--max-batch must be at least 1")
    # The protocol owns stdout: keep a private copy of its descriptor for the frames, and point
    # descriptor 1 (and Python's sys.stdout) at stderr, so stray prints of any library, Python or
    # native, can never corrupt the stream.
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    from .server import Server
    return Server(args.device, args.dtype, args.attention, args.max_batch, args.noise).serve(sys.stdin.buffer, out)


if __name__ == "__main__":
    sys.exit(main())
