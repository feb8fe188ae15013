#!/usr/bin/env python3
"""PyTorch side of `make bench`: time, with transformers + hooks, the work the Swift engine does.

    python3 tools/bench_torch.py [--model samples/model] [--data samples/data/test.jsonl] [--threads 2]
                                 [--out bench-out/bench_torch.json] [--quick] [--large DIR]

Three measurements on the default model (LlavaForConditionalGeneration, eager attention, float32, eval,
no_grad, torch.set_num_threads(T)):

  steered_forward  one forward pass of one conflict instance's prompt (vision-first, no instruction) with
                   uniform steering: a forward hook adds alpha * u_l to the output of every decoder layer l
                   in the window, at every position. u_l = tensor `layer.{l}` of
                   <model>/amps/steering_vectors.safetensors if present, else a fixed random unit vector.
                   Median (and min / mean) over --repeats runs after --warmup runs; the input is prepared once.
  mcs_map          one instance's full MCS map: every layer x {vision, text} x N samples (default 32).
                   One clean pass records k_proj / v_proj outputs; sigma = per-feature population std over the
                   modality's positions; noise ~ sigma * N(0, 1) drawn with torch; the N samples run as one
                   batch of N prompt copies per (layer, modality) with hooks adding the noise to the k_proj and
                   v_proj outputs at the modality's positions; f = cross-entropy between the clean and perturbed
                   (vision, text, other) triples, MCS = functional entropy. Timed end to end (clean pass included).
  eval_uniform     the first --eval-instances (default 200) conflict instances of the split, both option
                   orders, no instruction, one steered forward pass each at --alpha, batch size 1. Times the
                   total (image load + processor + forward) and the forward passes alone; also the answer tally.

Prompts are built from <model>/prompt.json exactly as the Swift engine does (sequential replacement of
{context} {instruction} {question} {option_a} {option_b}; instruction "none" -> ""; for conflict instances
option_a / option_b = answer_vision / answer_text in vision-first order). Text positions (for the text
modality's MCS) = the context's tokens, found as the context's token sequence inside input_ids.

With --large DIR (a LLaVA checkpoint folder, e.g. made by tools/make_bench_checkpoint.py), as `amps bench --large DIR`:

  large_load       LlavaProcessor.from_pretrained + LlavaForConditionalGeneration.from_pretrained(dtype=float32,
                   attn_implementation=--large-attn, default sdpa), eval.
  large_prefill    one forward pass (logits of the last position only, KV cache built) of one synthetic RGB image of
                   the model's image size (byte i of the HxWx3 array = (i*37) % 251) and the prompt
                   processor.image_token + "\\n" + ("hello " * 100).strip(); median of 3 (--large-repeats) after one
                   warm-up pass; the input is prepared once.
  large_decode     32 (--large-new-tokens) greedy single-token forward passes with the KV cache after a prefill,
                   timed on their own (as amps bench does); tokens_per_second.
  large_peak_rss_mib / large_prompt_tokens   VmHWM of this process (/proc/self/status) after the large workloads,
                   and the prompt length in tokens (image tokens expanded).
--quick: 1 prefill repeat and 4 new tokens (as amps bench --quick). --only large runs just these (no default model).

Output: one JSON object (stdout or --out): versions, threads, sizes, one entry per measurement, and `workloads`:
name -> {"seconds": s, ...} for every measurement (what `amps bench --torch FILE` reads; steered_forward's seconds is
the forward-only median, eval_uniform's the total), plus `large` (details), `large_peak_rss_mib`, `large_prompt_tokens`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_mcs import functional_entropy, functional_value, triple_from_probs  # noqa: E402


class BenchError(Exception):
    pass


def default_window(layers: int) -> tuple[int, int]:
    """The Swift default (SteeringSettings.defaultWindow): the middle-to-late part of the decoder."""
    lo = max(0, layers // 2 - 1)
    hi = max(lo, min(layers - 1, lo + max(1, layers // 4)))
    return lo, hi


def parse_window(s: str | None, layers: int) -> tuple[int, int]:
    if not s:
        return default_window(layers)
    try:
        a, b = (int(x) for x in s.split("-"))
    except ValueError:
        raise BenchError(f"--window must be FIRST-LAST (got {s!r})")
    if not (0 <= a <= b < layers):
        raise BenchError(f"--window {s} is outside the model's layers 0-{layers - 1}")
    return a, b


def render(prompt: dict, inst: dict, order: str = "vision-first", instruction: str = "none") -> str:
    conflict = inst.get("meta", {}).get("kind", "conflict") == "conflict" and inst["answer_vision"] != inst["answer_text"]
    x = inst["answer_vision"]
    y = inst["answer_text"] if conflict else inst.get("meta", {}).get("distractor", inst["answer_text"])
    a, b = (x, y) if order == "vision-first" else (y, x)
    instr = "" if instruction == "none" else prompt["instructions"][instruction]
    return (prompt["template"].replace("{context}", inst["context"]).replace("{instruction}", instr)
            .replace("{question}", inst["question"]).replace("{option_a}", a).replace("{option_b}", b))


def find_sub(ids: list[int], sub: list[int]) -> int:
    for i in range(len(ids) - len(sub) + 1):
        if ids[i:i + len(sub)] == sub:
            return i
    return -1


class Bench:
    def __init__(self, args):
        import torch
        import transformers
        from transformers import LlavaForConditionalGeneration, LlavaProcessor
        transformers.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        self.torch = torch
        self.args = args
        for f in ("config.json", "model.safetensors", "prompt.json"):
            if not os.path.isfile(os.path.join(args.model, f)):
                raise BenchError(f"{args.model}: {f} is missing (train the default model first: tools/README.md)")
        if not os.path.isfile(args.data):
            raise BenchError(f"data file not found: {args.data}")
        torch.set_num_threads(args.threads)
        t0 = time.perf_counter()
        self.processor = LlavaProcessor.from_pretrained(args.model)
        self.model = LlavaForConditionalGeneration.from_pretrained(
            args.model, attn_implementation="eager", dtype=torch.float32).eval()
        self.load_seconds = time.perf_counter() - t0
        self.prompt = json.load(open(os.path.join(args.model, "prompt.json")))
        self.layers = self.model.model.language_model.layers
        self.L = len(self.layers)
        self.window = parse_window(args.window, self.L)
        tok = self.processor.tokenizer
        ids = [tok.convert_tokens_to_ids(t) for t in self.prompt["answer_options"]]
        if len(ids) != 2 or any(i is None or i == tok.unk_token_id for i in ids):
            raise BenchError(f"answer options {self.prompt['answer_options']} are not single tokens")
        self.id_a, self.id_b = ids
        self.data_dir = os.path.dirname(os.path.abspath(args.data))
        self.instances = [json.loads(l) for l in open(args.data) if l.strip()]
        self.conflicts = [r for r in self.instances
                          if r.get("meta", {}).get("kind", "conflict") == "conflict" and r["answer_vision"] != r["answer_text"]]
        if not self.conflicts:
            raise BenchError(f"{args.data}: no conflict instances")
        self.vectors, self.vector_source = self.load_vectors()

    # ---------------------------------------------------------------- helpers
    def load_vectors(self):
        torch = self.torch
        D = self.model.config.text_config.hidden_size
        path = os.path.join(self.args.model, "amps", "steering_vectors.safetensors")
        if os.path.isfile(path):
            from safetensors import safe_open
            with safe_open(path, framework="pt") as fh:
                keys = set(fh.keys())
                vecs = {}
                for l in range(self.window[0], self.window[1] + 1):
                    if f"layer.{l}" not in keys:
                        raise BenchError(f"{path}: tensor layer.{l} missing")
                    vecs[l] = fh.get_tensor(f"layer.{l}").to(torch.float32).reshape(D)
            return vecs, path
        g = torch.Generator().manual_seed(0)
        vecs = {}
        for l in range(self.window[0], self.window[1] + 1):
            v = torch.randn(D, generator=g)
            vecs[l] = v / v.norm()
        return vecs, "random unit vectors (seed 0; no amps/steering_vectors.safetensors)"

    def image_path(self, inst):
        p = inst.get("image") or f"images/{inst['image_id']}.png"
        return p if os.path.isabs(p) else os.path.join(self.data_dir, p)

    def prepare(self, inst, order="vision-first"):
        from PIL import Image
        text = render(self.prompt, inst, order)
        img = Image.open(self.image_path(inst)).convert("RGB")
        return text, self.processor(text=text, images=img, return_tensors="pt")

    def steering_hooks(self, alpha):
        hooks = []
        for l, u in self.vectors.items():
            du = (alpha * u)

            def hook(m, i, o, du=du):
                if isinstance(o, tuple):
                    return (o[0] + du,) + tuple(o[1:])
                return o + du
            hooks.append(self.layers[l].register_forward_hook(hook))
        return hooks

    def forward_last_logits(self, enc, batch=1):
        kw = {k: v.expand(batch, *v.shape[1:]) for k, v in enc.items() if isinstance(v, self.torch.Tensor)}
        return self.model(**kw, use_cache=False, logits_to_keep=1).logits[:, -1, :]

    def triple(self, probs_row, order="vision-first"):
        return triple_from_probs(float(probs_row[self.id_a]), float(probs_row[self.id_b]), order)

    # ---------------------------------------------------------------- measurements
    def steered_forward(self, inst):
        torch = self.torch
        _, enc = self.prepare(inst)
        hooks = self.steering_hooks(self.args.alpha)
        times = []
        try:
            with torch.no_grad():
                for _ in range(self.args.warmup):
                    self.forward_last_logits(enc)
                for _ in range(self.args.repeats):
                    t0 = time.perf_counter()
                    lg = self.forward_last_logits(enc)
                    times.append(time.perf_counter() - t0)
        finally:
            for h in hooks:
                h.remove()
        p = torch.softmax(lg[0], -1)
        return {"seconds_median": statistics.median(times), "seconds_min": min(times),
                "seconds_mean": statistics.fmean(times), "repeats": len(times), "warmup": self.args.warmup,
                "instance": str(inst["image_id"]), "num_tokens": int(enc["input_ids"].shape[1]),
                "alpha": self.args.alpha, "window": list(self.window),
                "answer": dict(zip(("p_vision", "p_text", "p_other"), self.triple(p)))}

    def mcs_map(self, inst):
        torch = self.torch
        N = self.args.samples
        g = torch.Generator().manual_seed(self.args.seed)
        t_start = time.perf_counter()
        text, enc = self.prepare(inst)
        ids = enc["input_ids"][0].tolist()
        vis = [i for i, t in enumerate(ids) if t == self.model.config.image_token_id]
        ctx = self.processor.tokenizer(inst["context"], add_special_tokens=False)["input_ids"]
        s = find_sub(ids, ctx)
        if s < 0 or not ctx or not vis:
            raise BenchError(f"instance {inst['image_id']}: cannot locate the context / image tokens in input_ids")
        positions = {"vision": vis, "text": list(range(s, s + len(ctx)))}
        with torch.no_grad():
            # clean pass, recording k_proj / v_proj outputs of every layer
            states, hooks = {}, []
            for l, lay in enumerate(self.layers):
                hooks.append(lay.self_attn.k_proj.register_forward_hook(lambda m, i, o, l=l: states.__setitem__((l, "k"), o[0])))
                hooks.append(lay.self_attn.v_proj.register_forward_hook(lambda m, i, o, l=l: states.__setitem__((l, "v"), o[0])))
            try:
                clean_p = torch.softmax(self.forward_last_logits(enc)[0], -1)
            finally:
                for h in hooks:
                    h.remove()
            clean = self.triple(clean_p)
            layers = []
            for l in range(self.L):
                row = {"layer": l}
                for m, ps in positions.items():
                    pos = torch.tensor(ps)
                    noise = {}
                    for t in ("k", "v"):
                        sigma = states[(l, t)][pos].std(dim=0, unbiased=False)
                        noise[t] = torch.randn(N, len(ps), sigma.numel(), generator=g) * sigma

                    def add(o, nz, pos=pos):
                        o = o.clone()
                        o[:, pos, :] += nz
                        return o
                    lay = self.layers[l]
                    hs = [lay.self_attn.k_proj.register_forward_hook(lambda m_, i, o, nz=noise["k"]: add(o, nz)),
                          lay.self_attn.v_proj.register_forward_hook(lambda m_, i, o, nz=noise["v"]: add(o, nz))]
                    try:
                        probs = torch.softmax(self.forward_last_logits(enc, N), -1)
                    finally:
                        for h in hs:
                            h.remove()
                    f = [functional_value("ce", clean, self.triple(probs[i])) for i in range(N)]
                    row[f"mcs_{m}"] = functional_entropy(f)
                tot = row["mcs_vision"] + row["mcs_text"]
                row["mcr"] = row["mcs_vision"] / tot if tot > 0 else None
                layers.append(row)
        secs = time.perf_counter() - t_start
        return {"seconds": secs, "instance": str(inst["image_id"]), "samples": N, "layers": self.L,
                "forward_passes": 1 + 2 * self.L, "sequences": 1 + 2 * self.L * N,
                "num_tokens": len(ids), "vision_positions": len(vis), "text_positions": len(ctx),
                "target": "kv", "functional": "ce", "seed": self.args.seed, "map": layers}

    def eval_uniform(self):
        torch = self.torch
        insts = self.conflicts[: self.args.eval_instances]
        hooks = self.steering_hooks(self.args.alpha)
        tally = {"vision": 0, "text": 0, "other": 0}
        fwd = 0.0
        t0 = time.perf_counter()
        try:
            with torch.no_grad():
                for inst in insts:
                    for order in ("vision-first", "text-first"):
                        _, enc = self.prepare(inst, order)
                        t1 = time.perf_counter()
                        lg = self.forward_last_logits(enc)[0]
                        fwd += time.perf_counter() - t1
                        top = int(torch.argmax(lg))
                        if top == self.id_a:
                            tally["vision" if order == "vision-first" else "text"] += 1
                        elif top == self.id_b:
                            tally["text" if order == "vision-first" else "vision"] += 1
                        else:
                            tally["other"] += 1
        finally:
            for h in hooks:
                h.remove()
        total = time.perf_counter() - t0
        n = 2 * len(insts)
        vt = tally["vision"] + tally["text"]
        return {"seconds_total": total, "seconds_forward": fwd, "forward_passes": n,
                "seconds_per_forward": fwd / n, "instances": len(insts), "orders": 2, "batch_size": 1,
                "alpha": self.args.alpha, "window": list(self.window), "tally": tally,
                "vision_ratio": tally["vision"] / vt if vt else None}


def peak_rss_mib() -> float:
    """Peak resident set size of this process (VmHWM), MiB; 0 if unavailable."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def synthetic_image(size: int):
    """The image `amps bench --large` uses: RGB, size x size, byte i of the HxWx3 array = (i*37) % 251."""
    import numpy as np
    from PIL import Image
    return Image.fromarray(((np.arange(size * size * 3, dtype=np.int64) * 37) % 251).astype(np.uint8)
                           .reshape(size, size, 3), "RGB")


def large_bench(args) -> dict:
    """large_load / large_prefill / large_decode on the checkpoint folder args.large (see the module docstring)."""
    import torch
    import transformers
    from transformers import LlavaForConditionalGeneration, LlavaProcessor
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    d = args.large
    if not os.path.isfile(os.path.join(d, "config.json")):
        raise BenchError(f"--large {d}: config.json is missing (make one with tools/make_bench_checkpoint.py)")
    t0 = time.perf_counter()
    processor = LlavaProcessor.from_pretrained(d)
    t1 = time.perf_counter()
    model = LlavaForConditionalGeneration.from_pretrained(
        d, dtype=torch.float32, attn_implementation=args.large_attn).eval()
    t2 = time.perf_counter()
    cfg = model.config
    size = cfg.vision_config.image_size
    text = processor.image_token + "\n" + ("hello " * 100).strip()
    enc = processor(text=text, images=synthetic_image(size), return_tensors="pt")
    ids = enc["input_ids"][0].tolist()
    n_image = sum(1 for i in ids if i == cfg.image_token_id)
    if n_image == 0:
        raise BenchError(f"--large {d}: the prompt has no image tokens (id {cfg.image_token_id})")
    inputs = {k: v for k, v in enc.items() if isinstance(v, torch.Tensor)}
    reps = args.large_repeats if args.large_repeats is not None else (1 if args.quick else 3)
    new = args.large_new_tokens if args.large_new_tokens is not None else (4 if args.quick else 32)
    times = []
    with torch.no_grad():
        model(**inputs, use_cache=True, logits_to_keep=1)  # warm-up
        for _ in range(reps):
            ta = time.perf_counter()
            model(**inputs, use_cache=True, logits_to_keep=1)
            times.append(time.perf_counter() - ta)
        prefill = statistics.median(times)
        # Decoding timed on its own: `new` single-token forward passes with the KV cache after the
        # prefill (the first new token comes from the prefill's logits), greedy, no EOS stop.
        out = model(**inputs, use_cache=True, logits_to_keep=1)
        pkv = out.past_key_values
        nxt = out.logits[:, -1].argmax(-1, keepdim=True)
        mask = inputs["attention_mask"]
        generated = [int(nxt)]
        ta = time.perf_counter()
        for _ in range(new):
            mask = torch.cat([mask, mask.new_ones(1, 1)], dim=1)
            o = model(input_ids=nxt, attention_mask=mask, past_key_values=pkv, use_cache=True)
            pkv = o.past_key_values
            nxt = o.logits[:, -1].argmax(-1, keepdim=True)
            generated.append(int(nxt))
        decode = max(1e-9, time.perf_counter() - ta)
    rss = peak_rss_mib()
    load = {"seconds": t2 - t0, "processor_seconds": t1 - t0, "model_seconds": t2 - t1,
            "dtype": "float32", "attn_implementation": args.large_attn}
    pre = {"seconds": prefill, "seconds_min": min(times), "seconds_mean": statistics.fmean(times),
           "repeats": reps, "warmup": 1, "prompt_tokens": len(ids), "image_tokens": n_image, "logits_to_keep": 1}
    dec = {"seconds": decode, "tokens_per_second": new / decode, "new_tokens": new, "steps": new,
           "generated_ids": generated}
    info = {"folder": d, "parameters": sum(p.numel() for p in model.parameters()), "image_size": size,
            "prompt": "<image>\\n + 'hello' x 100 (space-separated)", "prompt_tokens": len(ids),
            "image_tokens": n_image, "threads": torch.get_num_threads(),
            "text_layers": cfg.text_config.num_hidden_layers, "text_hidden_size": cfg.text_config.hidden_size,
            "vision_layers": cfg.vision_config.num_hidden_layers, "attn_implementation": args.large_attn,
            "peak_rss_mib": rss}
    return {"workloads": {"large_load": load, "large_prefill": pre, "large_decode": dec},
            "info": info, "peak_rss_mib": rss, "prompt_tokens": len(ids)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="samples/model")
    ap.add_argument("--data", default="samples/data/test.jsonl")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", help="write the JSON here (default: stdout)")
    ap.add_argument("--quick", action="store_true", help="smoke size: 3 repeats, N=4, 3 eval instances")
    ap.add_argument("--alpha", type=float, default=2.0, help="uniform steering strength (default 2)")
    ap.add_argument("--window", help="steering layers FIRST-LAST (default: the Swift default window)")
    ap.add_argument("--instance", help="image_id for steered_forward and mcs_map (default: the first conflict instance)")
    ap.add_argument("--repeats", type=int, default=None, help="timed runs of steered_forward (default 20; quick 3)")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--samples", type=int, default=None, help="N for mcs_map (default 32; quick 4)")
    ap.add_argument("--eval-instances", type=int, default=None, help="conflict instances for eval_uniform (default 200; quick 3)")
    ap.add_argument("--seed", type=int, default=0, help="torch seed of the mcs_map noise")
    ap.add_argument("--only", choices=["steered_forward", "mcs_map", "eval_uniform", "large"], action="append",
                    help="run only these measurements (repeatable; 'large' = the --large workloads)")
    ap.add_argument("--large", metavar="DIR", help="a large LLaVA checkpoint folder for large_load / large_prefill / "
                    "large_decode (e.g. made by tools/make_bench_checkpoint.py)")
    ap.add_argument("--large-repeats", type=int, default=None, help="timed prefill passes (default 3; quick 1)")
    ap.add_argument("--large-new-tokens", type=int, default=None, help="greedy tokens for large_decode (default 32; quick 4)")
    ap.add_argument("--large-attn", choices=["sdpa", "eager"], default="sdpa",
                    help="attn_implementation of the large model (default sdpa, transformers' default)")
    args = ap.parse_args(argv)
    args.repeats = args.repeats if args.repeats is not None else (3 if args.quick else 20)
    args.samples = args.samples if args.samples is not None else (4 if args.quick else 32)
    args.eval_instances = args.eval_instances if args.eval_instances is not None else (3 if args.quick else 200)
    try:
        if args.threads < 1 or args.repeats < 1 or args.samples < 2 or args.eval_instances < 1 or args.warmup < 0:
            raise BenchError("--threads, --repeats, --eval-instances must be >= 1, --samples >= 2, --warmup >= 0")
        if not math.isfinite(args.alpha):
            raise BenchError("--alpha must be finite")
        only = set(args.only or ["steered_forward", "mcs_map", "eval_uniform"] + (["large"] if args.large else []))
        if "large" in only and not args.large:
            raise BenchError("--only large needs --large DIR")
        if (args.large_repeats is not None and args.large_repeats < 1) or \
                (args.large_new_tokens is not None and args.large_new_tokens < 1):
            raise BenchError("--large-repeats and --large-new-tokens must be >= 1")
        import torch
        import transformers
        out = {
            "tool": "tools/bench_torch.py",
            "torch_version": torch.__version__,
            "transformers_version": transformers.__version__,
            "python_version": platform.python_version(),
            "threads": None,
            "cpu_count": os.cpu_count(),
            # the instruction set of torch's kernels (ATEN_CPU_CAPABILITY caps it; MKL_ENABLE_INSTRUCTIONS caps MKL's)
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "loadavg_at_start": list(os.getloadavg()),  # other busy processes distort the timings (oversubscription)
            "quick": args.quick,
        }
        if only - {"large"}:
            b = Bench(args)
            if args.instance:
                inst = next((r for r in b.instances if str(r["image_id"]) == args.instance), None)
                if inst is None:
                    raise BenchError(f"{args.data}: no instance {args.instance}")
            else:
                inst = b.conflicts[0]
            out.update({
                "model": args.model,
                "data": args.data,
                "layers": b.L,
                "hidden_size": b.model.config.text_config.hidden_size,
                "attn_implementation": "eager",
                "dtype": "float32",
                "steering_vectors": b.vector_source,
                "load_seconds": b.load_seconds,
            })
        else:
            torch.set_num_threads(args.threads)
        out["threads"] = torch.get_num_threads()
        if "steered_forward" in only:
            out["steered_forward"] = b.steered_forward(inst)
            print(f"steered_forward: median {out['steered_forward']['seconds_median'] * 1e3:.2f} ms", file=sys.stderr)
        if "mcs_map" in only:
            out["mcs_map"] = b.mcs_map(inst)
            print(f"mcs_map: {out['mcs_map']['seconds']:.2f} s", file=sys.stderr)
        if "eval_uniform" in only:
            out["eval_uniform"] = b.eval_uniform()
            print(f"eval_uniform: {out['eval_uniform']['seconds_total']:.2f} s for "
                  f"{out['eval_uniform']['forward_passes']} passes", file=sys.stderr)
        # name -> {"seconds": ...}: the layout `amps bench --torch FILE` reads.
        workloads = {}
        if "steered_forward" in out:
            workloads["steered_forward"] = {"seconds": out["steered_forward"]["seconds_median"],
                                            "definition": "forward pass only (median); the input is prepared once"}
        if "mcs_map" in out:
            workloads["mcs_map"] = {"seconds": out["mcs_map"]["seconds"], "definition": "end to end, clean pass included"}
        if "eval_uniform" in out:
            workloads["eval_uniform"] = {"seconds": out["eval_uniform"]["seconds_total"],
                                         "definition": "total: image load + processor + forward passes"}
        if "large" in only:
            lg = large_bench(args)
            workloads.update(lg["workloads"])
            out["large"] = lg["info"]
            out["large_peak_rss_mib"] = lg["peak_rss_mib"]
            out["large_prompt_tokens"] = lg["prompt_tokens"]
            w = lg["workloads"]
            print(f"large: load {w['large_load']['seconds']:.2f} s, prefill ({lg['prompt_tokens']} tokens) median "
                  f"{w['large_prefill']['seconds']:.3f} s, decode {w['large_decode']['new_tokens']} tokens "
                  f"{w['large_decode']['seconds']:.3f} s ({w['large_decode']['tokens_per_second']:.2f} tokens/s), "
                  f"peak RSS {lg['peak_rss_mib']:.0f} MiB", file=sys.stderr)
        out["workloads"] = workloads
        out["loadavg_at_end"] = list(os.getloadavg())
        text = json.dumps(out, indent=1)
        if args.out:
            os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
            with open(args.out, "w") as fh:
                fh.write(text + "\n")
        else:
            print(text)
        return 0
    except BenchError as e:
        print(f"bench_torch.py: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
