"""`amps-torch-engine bench`: the engine's own benchmark, no Swift needed (a GPU host):

    amps-torch-engine bench --model DIR [--device cuda] [--dtype bfloat16] [--image-size 336]
                            [--text-tokens 100] [--samples 32] [--probes 16] [--out bench.json]

  prefill   one prompt: an image of --image-size (square, synthetic) + about --text-tokens words;
            the time of `prepare` (vision tower + full forward recording every layer), best of --repeats
  mcs_map   one full MCS map: every layer x {vision, text} x N = --samples K/V perturbations,
            noise drawn as the protocol specifies (its drawing time reported apart)
  eval      eval-like throughput: per probe one prepare + one steered answer (uniform mode), probes/s
  steered   the inspector's steering change: the steered pass recorded by `steered_pass` from the
            clean one (resumed at the window) against `prepare` with the steering (image, vision
            tower and every layer again), best of --repeats each
Results go to stdout (one line each) and, with --out, to a JSON file.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import sys
import time

import numpy as np

from .errors import EngineError


def synthetic_png(size: int) -> bytes:
    from PIL import Image
    y, x = np.mgrid[0:size, 0:size]
    rgb = np.stack([(x * 7) % 256, (y * 5) % 256, ((x ^ y) * 3) % 256], axis=-1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, format="PNG")
    return buf.getvalue()


def bench_prompt(family: str, words: int) -> str:
    text = " ".join(["the"] * words)
    if family in ("qwen2_vl", "qwen2_5_vl"):
        return f"<|im_start|>user\n<image>{text}<|im_end|>\n<|im_start|>assistant\n"
    return f"USER: <image>\n{text} ASSISTANT:"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="amps-torch-engine bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16", "float16"])
    ap.add_argument("--attention", default="auto", choices=["auto", "eager", "sdpa"])
    ap.add_argument("--image-size", type=int, default=336)
    ap.add_argument("--text-tokens", type=int, default=100)
    ap.add_argument("--samples", type=int, default=32)
    ap.add_argument("--max-batch", type=int, default=32)
    ap.add_argument("--layers", type=int, default=0, help="MCS map over the first LAYERS layers only (0 = all)")
    ap.add_argument("--probes", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--noise", default="fast", choices=["exact", "fast"])
    ap.add_argument("--out")
    a = ap.parse_args(argv)
    import torch
    if a.threads:
        torch.set_num_threads(a.threads)
    from .model import LoadedModel, Steering
    try:
        m = LoadedModel(a.model, dtype=a.dtype, device=a.device, attention=a.attention, max_batch=a.max_batch,
                        noise_mode=a.noise)
    except EngineError as e:
        print(f"amps-torch-engine bench: error: {e.message}", file=sys.stderr)
        return 2

    def sync():
        if str(m.device).startswith("cuda"):
            torch.cuda.synchronize()

    img = synthetic_png(a.image_size)
    prompt = bench_prompt(m.family.name, a.text_tokens)
    res = {"model": a.model, "family": m.family.name, "layers": m.layer_count, "hidden_size": m.hidden,
           "dtype": m.dtype, "device": str(m.device), "noise": a.noise, "image_size": a.image_size, "torch": torch.__version__,
           "host": platform.node(), "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}
    h = m.prepare(prompt, img, "bench.png", None)  # warm-up
    times = []
    for _ in range(a.repeats):
        sync()
        t0 = time.perf_counter()
        h = m.prepare(prompt, img, "bench.png", None)
        sync()
        times.append(time.perf_counter() - t0)
    res["prompt_tokens"] = h.length
    res["image_tokens"] = len(h.image_positions)
    res["prefill_s"] = min(times)
    print(f"prefill: {h.length} tokens ({len(h.image_positions)} image) in {min(times) * 1e3:.1f} ms (best of {a.repeats})")

    vision = h.image_positions
    img_set = set(vision)
    text = [p for p in range(h.length) if p not in img_set]
    layers = range(a.layers or m.layer_count)
    draw = fwd = 0.0
    for l in layers:
        for mod, pos in (("vision", vision), ("text", text)):
            t0 = time.perf_counter()
            nz = m.draw_noise(h, l, "kv", pos, a.samples, 1.0, 0, f"bench/vision-first/none/{l}/{mod}")
            t1 = time.perf_counter()
            m.perturb(h, l, "kv", pos, nz)
            sync()
            t2 = time.perf_counter()
            draw += t1 - t0
            fwd += t2 - t1
    res.update({"mcs_layers": len(layers), "mcs_samples": a.samples, "mcs_map_s": draw + fwd, "mcs_noise_draw_s": draw,
                "mcs_forward_s": fwd})
    print(f"mcs map: {len(layers)} layers x 2 modalities x N={a.samples}: {draw + fwd:.2f} s "
          f"(forward {fwd:.2f} s, noise drawing {draw:.2f} s)")

    u = {l: np.full(m.hidden, 0.01, dtype=np.float32) for l in range(m.layer_count)}
    window = list(range(m.layer_count // 2 - 1, m.layer_count // 2 + m.layer_count // 4))
    st = Steering({"vectors": "u", "layers": window, "scales": [1.0]}, {"u": u}, m.layer_count, m.hidden)
    sync()
    t0 = time.perf_counter()
    for _ in range(a.probes):
        hp = m.prepare(prompt, img, "bench.png", None)
        m.steer(hp, st)
    sync()
    dt = time.perf_counter() - t0
    res.update({"eval_probes": a.probes, "eval_s": dt, "eval_probes_per_s": a.probes / dt})
    print(f"eval: {a.probes} probes (prepare + steered answer) in {dt:.2f} s = {a.probes / dt:.2f} probes/s")
    def best(fn):
        out = []
        for _ in range(a.repeats):
            sync()
            t0 = time.perf_counter()
            fn()
            sync()
            out.append(time.perf_counter() - t0)
        return min(out)
    full = best(lambda: m.prepare(prompt, img, "bench.png", st))
    resumed = best(lambda: m.steered_pass(h, st))
    res.update({"steered_prepare_s": full, "steered_pass_s": resumed, "steered_window": [window[0], window[-1]]})
    print(f"steered pass (window {window[0]}-{window[-1]}): steered_pass {resumed * 1e3:.1f} ms, "
          f"prepare with steering {full * 1e3:.1f} ms ({full / resumed:.2f}x)")
    if a.out:
        with open(a.out, "w") as fh:
            json.dump(res, fh, indent=1)
            fh.write("\n")
    return 0
