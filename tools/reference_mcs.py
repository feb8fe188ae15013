#!/usr/bin/env python3
"""Independent PyTorch + transformers-hooks reference for the AMPS MCS map.

Recomputes, for one instance, the per-layer Modality Contribution Score (functional entropy of the
answer distribution under Gaussian perturbation of one modality's internal states) from the exact noise
samples the Swift engine used, which `amps diagnose --dump-noise NOISE.safetensors` writes:

    amps diagnose --model samples/model --data samples/data/test.jsonl --instance ID -n 8 \\
        --dump-noise /tmp/noise.safetensors --json > /tmp/swift.json
    python3 tools/reference_mcs.py --model samples/model --noise /tmp/noise.safetensors \\
        --out /tmp/ref.json --compare /tmp/swift.json

Nothing here comes from the Swift sources: the model is Hugging Face's LlavaForConditionalGeneration
(eager attention, float32, eval, no_grad), the input comes from LlavaProcessor, and the noise is injected
with forward hooks:

  * target kv:       noise.{m}.{l}.k / .v [N, P, kv_heads*head_dim] are added to the OUTPUTS of
                     language_model.layers[l].self_attn.k_proj / v_proj (before RoPE), row p at
                     position positions_m[p];
  * target residual: noise.{m}.{l}.r [N, P, hidden] is added to the hidden states ENTERING decoder layer l
                     (forward pre-hook) at positions_m.

The N samples run as batches of copies of the prompt (`--batch`, default all N at once).

Answer distribution at the last position: p = softmax(logits[-1]) over the full vocabulary, computed in
float64 from the float32 logits as the Swift engine does (`--softmax float32` for torch.softmax in float32,
which adds ~1e-7 relative rounding to every probability);
(p_vision, p_text) = (p[idA], p[idB]) for order vision-first, swapped for text-first;
p_other = max(0, 1 - p_vision - p_text).  In float64:
  ce:      f = -sum_i clean_i log max(pert_i, 1e-12)
  kl:      f = max(0, sum_{clean_i>0} clean_i (log clean_i - log max(pert_i, 1e-12)))
  p-clean: f = pert[argmax clean]
  MCS = Ent(f) = max(0, mean(f log f) - mean(f) log mean(f)),  0 log 0 = 0
  MCR = MCS_vision / (MCS_vision + MCS_text)  (null if the sum is 0)

`--compare SWIFT.json` compares with the Swift diagnose JSON (layers[].mcs_vision / mcs_text) and exits 1 if
any relative difference exceeds --tolerance (default 1e-4; denominator max(|a|,|b|,1e-12); pairs with both
|values| < 1e-9 count as equal).  `--reference REF.json --compare SWIFT.json` compares a stored reference
output without recomputing.

Exit codes: 0 ok, 1 comparison failed, 2 usage / input error.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

REQUIRED_META = ["prompt", "image", "instance", "target", "functional", "samples",
                 "vision_positions", "text_positions", "answer_ids", "order"]
TARGETS = ("kv", "residual")
FUNCTIONALS = ("ce", "kl", "p-clean")
ORDERS = ("vision-first", "text-first")
EPS = 1e-12


class InputError(Exception):
    """A problem with the user's files or arguments (exit code 2)."""


# --------------------------------------------------------------------------------------------------
# Pure-float64 math (no torch): the functional and the functional entropy
# --------------------------------------------------------------------------------------------------

def functional_value(kind: str, clean: list[float], pert: list[float]) -> float:
    if kind == "ce":
        return sum(-c * math.log(max(p, EPS)) for c, p in zip(clean, pert))
    if kind == "kl":
        s = sum(c * (math.log(c) - math.log(max(p, EPS))) for c, p in zip(clean, pert) if c > 0)
        return max(0.0, s)
    if kind == "p-clean":
        k = max(range(len(clean)), key=lambda i: (clean[i], -i))  # first index of the maximum
        return pert[k]
    raise InputError(f"unknown functional '{kind}' (expected one of {', '.join(FUNCTIONALS)})")


def functional_entropy(f: list[float]) -> float:
    n = len(f)
    if n < 1:
        raise InputError("functional entropy needs at least one sample")
    for v in f:
        if not (math.isfinite(v) and v >= 0):
            raise ArithmeticError(f"functional sample {v!r} is negative, NaN or infinite")
    a = sum(v * math.log(v) if v > 0 else 0.0 for v in f) / n
    b = sum(f) / n
    blogb = b * math.log(b) if b > 0 else 0.0
    return max(0.0, a - blogb)


def triple_from_probs(p_a: float, p_b: float, order: str) -> list[float]:
    pv, pt = (p_a, p_b) if order == "vision-first" else (p_b, p_a)
    return [pv, pt, max(0.0, 1.0 - pv - pt)]


# --------------------------------------------------------------------------------------------------
# Noise file
# --------------------------------------------------------------------------------------------------

def parse_positions(meta: dict, key: str) -> list[int]:
    s = meta[key].strip()
    if not s:
        return []
    try:
        return [int(x) for x in s.split(",")]
    except ValueError:
        raise InputError(f"noise metadata '{key}' is not a comma-separated list of integers: {s[:80]!r}")


def load_noise_meta(path: str) -> tuple[dict, list[str]]:
    from safetensors import safe_open
    if not os.path.isfile(path):
        raise InputError(f"noise file not found: {path}")
    try:
        with safe_open(path, framework="pt") as fh:
            meta = dict(fh.metadata() or {})
            keys = list(fh.keys())
    except Exception as e:  # noqa: BLE001 - report any parse failure as an input error
        raise InputError(f"{path}: cannot be read as .safetensors ({e})")
    missing = [k for k in REQUIRED_META if k not in meta]
    if missing:
        raise InputError(f"{path}: metadata lacks {', '.join(missing)} (was it written by `amps diagnose --dump-noise`?)")
    if meta["target"] not in TARGETS:
        raise InputError(f"{path}: metadata target '{meta['target']}' is not one of {TARGETS}")
    if meta["functional"] not in FUNCTIONALS:
        raise InputError(f"{path}: metadata functional '{meta['functional']}' is not one of {FUNCTIONALS}")
    if meta["order"] not in ORDERS:
        raise InputError(f"{path}: metadata order '{meta['order']}' is not one of {ORDERS}")
    try:
        int(meta["samples"])
    except ValueError:
        raise InputError(f"{path}: metadata samples '{meta['samples']}' is not an integer")
    ids = meta["answer_ids"].split(",")
    if len(ids) != 2 or not all(x.strip().lstrip("-").isdigit() for x in ids):
        raise InputError(f"{path}: metadata answer_ids '{meta['answer_ids']}' must be 'idA,idB'")
    if meta["prompt"].count("<image>") != 1:
        raise InputError(f"{path}: metadata prompt must contain exactly one <image> marker")
    return meta, keys


def resolve_image(meta_image: str, noise_path: str, override: str | None) -> str:
    if override:
        if not os.path.isfile(override):
            raise InputError(f"image not found: {override}")
        return override
    cands = [meta_image]
    if not os.path.isabs(meta_image):
        cands.append(os.path.join(os.path.dirname(os.path.abspath(noise_path)), meta_image))
    for c in cands:
        if os.path.isfile(c):
            return c
    raise InputError(f"image '{meta_image}' (from the noise metadata) not found; run from the directory amps "
                     f"diagnose ran in, or pass --image PATH")


# --------------------------------------------------------------------------------------------------
# Model side
# --------------------------------------------------------------------------------------------------

class Reference:
    def __init__(self, model_dir: str, threads: int, dtype: str = "float32", softmax: str = "float32"):
        import torch
        import transformers
        from transformers import LlavaForConditionalGeneration, LlavaProcessor
        transformers.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        if not os.path.isdir(model_dir):
            raise InputError(f"model folder not found: {model_dir}")
        for f in ("config.json", "model.safetensors"):
            if not os.path.isfile(os.path.join(model_dir, f)):
                raise InputError(f"{model_dir}: {f} is missing")
        torch.set_num_threads(threads)
        self.torch = torch
        self.processor = LlavaProcessor.from_pretrained(model_dir)
        self.model = LlavaForConditionalGeneration.from_pretrained(
            model_dir, attn_implementation="eager", dtype=torch.float32).eval()
        self.dtype = {"float32": torch.float32, "float64": torch.float64}[dtype]
        if self.dtype != torch.float32:
            self.model = self.model.to(self.dtype)
        self.softmax64 = softmax == "float64"
        self.layers = self.model.model.language_model.layers
        self.image_token_id = self.model.config.image_token_id

    def prepare(self, prompt: str, image_path: str):
        from PIL import Image
        img = Image.open(image_path).convert("RGB")
        enc = self.processor(text=prompt, images=img, return_tensors="pt")
        return enc

    def forward_probs(self, enc, batch: int):
        """softmax(last-position logits) for `batch` copies of the input: [batch, V]."""
        torch = self.torch
        kw = {k: (v.to(self.dtype) if v.is_floating_point() else v).expand(batch, *v.shape[1:])
              for k, v in enc.items() if isinstance(v, torch.Tensor)}
        out = self.model(**kw, use_cache=False, logits_to_keep=1)
        logits = out.logits[:, -1, :]
        if not torch.isfinite(logits).all():
            raise ArithmeticError("logits contain NaN or infinity")
        if self.softmax64:
            logits = logits.double()
        return torch.softmax(logits, dim=-1)

    def capture_clean_states(self, enc):
        """Clean k_proj / v_proj outputs and decoder-layer inputs, per layer: for the sigma sanity check."""
        torch = self.torch
        store: dict[str, torch.Tensor] = {}
        hooks = []
        for l, layer in enumerate(self.layers):
            hooks.append(layer.self_attn.k_proj.register_forward_hook(
                lambda m, i, o, l=l: store.__setitem__(f"{l}.k", o[0].detach().clone())))
            hooks.append(layer.self_attn.v_proj.register_forward_hook(
                lambda m, i, o, l=l: store.__setitem__(f"{l}.v", o[0].detach().clone())))
            hooks.append(layer.register_forward_pre_hook(
                lambda m, a, kw, l=l: store.__setitem__(f"{l}.r", (a[0] if a else kw["hidden_states"])[0].detach().clone()),
                with_kwargs=True))
        try:
            probs = self.forward_probs(enc, 1)
        finally:
            for h in hooks:
                h.remove()
        return probs[0], store

    def perturbed_probs(self, enc, layer: int, target: str, positions: list[int], noise: dict, batch: int):
        """Probabilities [N, V] with noise[n] added at `positions` of layer `layer` for sample n."""
        torch = self.torch
        n_total = next(iter(noise.values())).shape[0]
        pos = torch.tensor(positions, dtype=torch.long)
        results = []
        for start in range(0, n_total, batch):
            chunk = {k: v[start:start + batch] for k, v in noise.items()}
            b = next(iter(chunk.values())).shape[0]

            def add(x, t):
                if x.shape[0] != b:
                    raise RuntimeError(f"hooked tensor has batch {x.shape[0]}, expected {b}")
                y = x.clone()
                y[:, pos, :] = y[:, pos, :] + t.to(y.dtype)
                return y

            hooks = []
            lay = self.layers[layer]
            if target == "kv":
                hooks.append(lay.self_attn.k_proj.register_forward_hook(lambda m, i, o, t=chunk["k"]: add(o, t)))
                hooks.append(lay.self_attn.v_proj.register_forward_hook(lambda m, i, o, t=chunk["v"]: add(o, t)))
            else:
                def pre(m, args, kwargs, t=chunk["r"]):
                    if args:
                        return (add(args[0], t),) + tuple(args[1:]), kwargs
                    kwargs = dict(kwargs)
                    kwargs["hidden_states"] = add(kwargs["hidden_states"], t)
                    return args, kwargs
                hooks.append(lay.register_forward_pre_hook(pre, with_kwargs=True))
            try:
                results.append(self.forward_probs(enc, b))
            finally:
                for h in hooks:
                    h.remove()
        return torch.cat(results, dim=0)


def run_reference(args) -> dict:
    import torch
    import transformers
    from safetensors import safe_open

    meta, keys = load_noise_meta(args.noise)
    target, functional, order = meta["target"], meta["functional"], meta["order"]
    n = int(meta["samples"])
    id_a, id_b = (int(x) for x in meta["answer_ids"].split(","))
    positions = {"vision": parse_positions(meta, "vision_positions"), "text": parse_positions(meta, "text_positions")}
    image_path = resolve_image(meta["image"], args.noise, args.image)

    ref = Reference(args.model, args.threads, args.dtype, args.softmax)
    enc = ref.prepare(meta["prompt"], image_path)
    ids = enc["input_ids"][0].tolist()
    T = len(ids)

    # Sanity: positions must lie in the prompt, vision positions must be exactly the image tokens.
    img_pos = [i for i, t in enumerate(ids) if t == ref.image_token_id]
    if positions["vision"] != img_pos:
        raise InputError(f"vision_positions in the noise file ({len(positions['vision'])} positions, first "
                         f"{positions['vision'][:3]}) differ from the <image> token positions of the processor's "
                         f"input_ids ({len(img_pos)} positions, first {img_pos[:3]})")
    for m, ps in positions.items():
        if not ps:
            raise InputError(f"{m}_positions is empty")
        if min(ps) < 0 or max(ps) >= T:
            raise InputError(f"{m}_positions out of range for a {T}-token input")
    vocab = ref.model.config.text_config.vocab_size
    if not (0 <= id_a < vocab and 0 <= id_b < vocab):
        raise InputError(f"answer ids {id_a},{id_b} outside the vocabulary ({vocab})")

    cfg = ref.model.config.text_config
    n_layers = len(ref.layers)
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    kv_dim = cfg.num_key_value_heads * head_dim
    tags = ("k", "v") if target == "kv" else ("r",)
    feat = {"k": kv_dim, "v": kv_dim, "r": cfg.hidden_size}
    keyset = set(keys)
    for l in range(n_layers):
        for m in ("vision", "text"):
            for t in tags:
                name = f"noise.{m}.{l}.{t}"
                if name not in keyset:
                    raise InputError(f"{args.noise}: tensor {name} is missing (target {target}, {n_layers} layers)")

    text_tokens = ref.processor.tokenizer.convert_ids_to_tokens([ids[p] for p in positions["text"]])

    with torch.no_grad():
        clean_probs, states = ref.capture_clean_states(enc)
        clean = triple_from_probs(float(clean_probs[id_a]), float(clean_probs[id_b]), order)
        top_id = int(torch.argmax(clean_probs))
        batch = args.batch or n
        layers_out, sigma_checks, per_sample = [], [], []
        t0 = time.time()
        with safe_open(args.noise, framework="pt") as fh:
            for l in range(n_layers):
                row = {"layer": l}
                for m in ("vision", "text"):
                    noise = {}
                    for t in tags:
                        x = fh.get_tensor(f"noise.{m}.{l}.{t}").to(ref.dtype)
                        want = (n, len(positions[m]), feat[t])
                        if tuple(x.shape) != want:
                            raise InputError(f"noise.{m}.{l}.{t} has shape {list(x.shape)}, expected {list(want)}")
                        noise[t] = x
                        # Independent sanity check of the noise scale: population std of the clean states
                        # over the modality's positions vs. the empirical std of the noise (N*P draws).
                        st = states[f"{l}.{t}"][positions[m]].double()
                        sigma = st.std(dim=0, unbiased=False)
                        emp = x.double().reshape(-1, x.shape[-1]).pow(2).mean(dim=0).sqrt()
                        ok = sigma > 1e-6
                        ratio = (emp[ok] / sigma[ok]) if ok.any() else torch.zeros(0, dtype=torch.float64)
                        sigma_checks.append({"layer": l, "modality": m, "tensor": t,
                                             "noise_rms_over_sigma_median": float(ratio.median()) if ratio.numel() else None,
                                             "features": int(ok.sum())})
                    probs = ref.perturbed_probs(enc, l, target, positions[m], noise, batch)
                    f = []
                    for i in range(n):
                        pert = triple_from_probs(float(probs[i, id_a]), float(probs[i, id_b]), order)
                        f.append(functional_value(functional, clean, pert))
                    row[f"mcs_{m}"] = functional_entropy(f)
                    if args.verbose:
                        per_sample.append({"layer": l, "modality": m, "f": f})
                s = row["mcs_vision"] + row["mcs_text"]
                row["mcr"] = row["mcs_vision"] / s if s > 0 else None
                layers_out.append(row)
                if args.verbose:
                    print(f"layer {l}: mcs_vision {row['mcs_vision']:.6e}  mcs_text {row['mcs_text']:.6e}  "
                          f"({time.time() - t0:.1f}s)", file=sys.stderr)

    out = {
        "instance": meta["instance"],
        "prompt": meta["prompt"],
        "samples": n,
        "target": target,
        "functional": functional,
        "order": order,
        "unsteered": {"p_vision": clean[0], "p_text": clean[1], "p_other": clean[2], "top_token_id": top_id},
        "layers": layers_out,
        "answer_ids": [id_a, id_b],
        "vision_positions": positions["vision"],
        "text_positions": positions["text"],
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "dtype": args.dtype,
        "softmax": args.softmax,
        "checks": {
            "num_tokens": T,
            "vision_positions": len(positions["vision"]),
            "text_positions": len(positions["text"]),
            "text_span_tokens": " ".join(text_tokens),
            "noise_rms_over_sigma_median_range": [
                min(c["noise_rms_over_sigma_median"] for c in sigma_checks if c["noise_rms_over_sigma_median"] is not None),
                max(c["noise_rms_over_sigma_median"] for c in sigma_checks if c["noise_rms_over_sigma_median"] is not None),
            ],
        },
    }
    if args.verbose:
        out["checks"]["sigma"] = sigma_checks
        out["checks"]["functional_samples"] = per_sample
    return out


# --------------------------------------------------------------------------------------------------
# Comparison with the Swift JSON
# --------------------------------------------------------------------------------------------------

def rel_diff(a: float, b: float) -> float:
    if abs(a) < 1e-9 and abs(b) < 1e-9:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b), 1e-12)


def compare(ref: dict, swift_path: str, tol: float, ref64: dict | None = None, abs_tol: float = 0.0) -> bool:
    if not os.path.isfile(swift_path):
        raise InputError(f"Swift JSON not found: {swift_path}")
    try:
        with open(swift_path) as fh:
            sw = json.load(fh)
    except json.JSONDecodeError as e:
        raise InputError(f"{swift_path}: not JSON ({e})")
    if "layers" not in sw:
        raise InputError(f"{swift_path}: no 'layers' key (is it `amps diagnose --json` output?)")
    ok = True
    if str(sw.get("instance")) != str(ref["instance"]):
        print(f"WARNING: instance differs: swift {sw.get('instance')} vs reference {ref['instance']}")
    if sw.get("prompt") is not None and sw["prompt"] != ref["prompt"]:
        print("WARNING: prompt differs between the Swift JSON and the noise file")
    st = sw.get("settings", {})
    for k in ("samples", "target", "functional"):
        if k in st and str(st[k]) != str(ref[k]):
            print(f"WARNING: settings.{k} differs: swift {st[k]} vs reference {ref[k]}")
    if "unsteered" in sw:
        u = sw["unsteered"]
        d = max(abs(u[k] - ref["unsteered"][k]) for k in ("p_vision", "p_text", "p_other"))
        print(f"unsteered   swift ({u['p_vision']:.7f}, {u['p_text']:.7f}, {u['p_other']:.7f})  "
              f"ref ({ref['unsteered']['p_vision']:.7f}, {ref['unsteered']['p_text']:.7f}, "
              f"{ref['unsteered']['p_other']:.7f})  max abs diff {d:.2e}")
    swl = {int(r["layer"]): r for r in sw["layers"]}
    rfl = {int(r["layer"]): r for r in ref["layers"]}
    if set(swl) != set(rfl):
        print(f"FAIL: layer sets differ: swift {sorted(swl)} vs reference {sorted(rfl)}")
        ok = False
    print(f"{'layer':>5}  {'mcs_vision swift':>17} {'reference':>13} {'rel':>9}   "
          f"{'mcs_text swift':>15} {'reference':>13} {'rel':>9}   {'mcr swift':>9} {'ref':>9}")
    worst = 0.0
    for l in sorted(set(swl) & set(rfl)):
        a, b = swl[l], rfl[l]
        dv = rel_diff(float(a["mcs_vision"]), b["mcs_vision"])
        dt = rel_diff(float(a["mcs_text"]), b["mcs_text"])
        worst = max(worst, dv, dt)
        bad = any(d > tol and abs(x - y) > tol * max(abs(x), abs(y)) + abs_tol
                  for d, x, y in ((dv, float(a["mcs_vision"]), b["mcs_vision"]), (dt, float(a["mcs_text"]), b["mcs_text"])))
        flag = "   <-- exceeds tolerance" if bad else ""
        if bad:
            ok = False
        def fm(x):
            return "     null" if x is None else f"{x:9.5f}"
        extra = ""
        if ref64 is not None:
            c = {int(r["layer"]): r for r in ref64["layers"]}.get(l)
            if c is not None:
                extra = ("   vs float64: swift {:.1e}/{:.1e} torch32 {:.1e}/{:.1e}".format(
                    rel_diff(float(a["mcs_vision"]), c["mcs_vision"]), rel_diff(float(a["mcs_text"]), c["mcs_text"]),
                    rel_diff(b["mcs_vision"], c["mcs_vision"]), rel_diff(b["mcs_text"], c["mcs_text"])))
        print(f"{l:5d}  {float(a['mcs_vision']):17.9e} {b['mcs_vision']:13.6e} {dv:9.2e}   "
              f"{float(a['mcs_text']):15.9e} {b['mcs_text']:13.6e} {dt:9.2e}   {fm(a.get('mcr'))} {fm(b.get('mcr'))}{flag}{extra}")
    extra = f" + {abs_tol:g} absolute" if abs_tol > 0 else ""
    print(f"max relative difference {worst:.3e} (tolerance {tol:g} relative{extra}): {'OK' if ok else 'FAIL'}")
    return ok


# --------------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See the module docstring / tools/README.md for the exact definitions.")
    ap.add_argument("--model", help="model folder (save_pretrained layout), e.g. samples/model")
    ap.add_argument("--noise", help="noise file written by `amps diagnose --dump-noise`")
    ap.add_argument("--image", help="override the image path stored in the noise metadata")
    ap.add_argument("--out", help="write the reference JSON here (default: stdout)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                    help="model precision (default float32 = the reference; float64 = a diagnostic of how much of a "
                         "Swift/PyTorch difference is float32 rounding)")
    ap.add_argument("--softmax", choices=["float32", "float64"], default="float64",
                    help="precision of the softmax over the float32 logits: float64 (default) is what the Swift engine "
                         "does (Probe.answer: exp(Double(l - max)) / sum); float32 = torch.softmax on float32 logits")
    ap.add_argument("--batch", type=int, default=0, help="samples per forward pass (default: all N)")
    ap.add_argument("--compare", metavar="SWIFT.json", help="compare with the Swift `amps diagnose --json` output")
    ap.add_argument("--reference", metavar="REF.json", help="with --compare: use this stored reference instead of recomputing")
    ap.add_argument("--float64-reference", metavar="REF64.json",
                    help="with --compare: a --dtype float64 reference output; adds each side's relative error against it "
                         "(tells float32 rounding from a real disagreement)")
    ap.add_argument("--tolerance", type=float, default=1e-4, help="relative tolerance for --compare (default 1e-4)")
    ap.add_argument("--abs-tolerance", type=float, default=0.0,
                    help="also accept |a-b| <= tolerance*max(|a|,|b|) + this (default 0: relative only; "
                         "1e-10 suits the float32 floor of tiny MCS values)")
    ap.add_argument("--extra", action="append", default=[], metavar="KEY=VALUE",
                    help="add a top-level string key to the output JSON (repeatable)")
    ap.add_argument("--verbose", action="store_true", help="progress on stderr; per-sample f values and sigma checks in the JSON")
    args = ap.parse_args(argv)

    try:
        if args.threads < 1:
            raise InputError("--threads must be at least 1")
        if args.batch < 0:
            raise InputError("--batch must be >= 0")
        if args.reference:
            if not args.compare:
                raise InputError("--reference needs --compare")
            if not os.path.isfile(args.reference):
                raise InputError(f"reference JSON not found: {args.reference}")
            with open(args.reference) as fh:
                ref = json.load(fh)
        else:
            if not args.model or not args.noise:
                raise InputError("--model and --noise are required (or --reference REF.json --compare SWIFT.json)")
            ref = run_reference(args)
            for kv in args.extra:
                if "=" not in kv:
                    raise InputError(f"--extra expects KEY=VALUE (got {kv!r})")
                k, v = kv.split("=", 1)
                ref[k] = v
            text = json.dumps(ref, indent=1)
            if args.out:
                with open(args.out, "w") as fh:
                    fh.write(text + "\n")
            elif not args.compare:
                print(text)
        if args.compare:
            ref64 = None
            if args.float64_reference:
                if not os.path.isfile(args.float64_reference):
                    raise InputError(f"float64 reference JSON not found: {args.float64_reference}")
                with open(args.float64_reference) as fh:
                    ref64 = json.load(fh)
            return 0 if compare(ref, args.compare, args.tolerance, ref64, args.abs_tolerance) else 1
        return 0
    except InputError as e:
        print(f"reference_mcs.py: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
