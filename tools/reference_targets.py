#!/usr/bin/env python3
"""PyTorch reference for the per-instance steering targets (AMPS paper Eq. 10, L2S's z).

For each of the first --count conflict instances of --data:

    z_l = mean over the two option orders of
          h_l(prompt with the "follow the image" instruction) - h_l(prompt with the "follow the text" instruction)

where h_l is the output of decoder layer l (the residual stream after layer l, read with a forward hook on
language_model.layers[l], so the final norm never enters) at the last prompt token.  Also dumps the plain
prompt's (no instruction) h_{input layer} at the last token for each order: the L2S network's input.

Prompts come from prompt.json ({context} {instruction} {question} {option_a} {option_b}; option A holds the
vision answer in order vision-first), tokens and pixels from LlavaProcessor, the model is Hugging Face's
LlavaForConditionalGeneration in float32 (eval, no_grad).  Nothing here comes from the Swift sources.

    /work/main/.venv/bin/python tools/reference_targets.py --model samples/model \\
        --data samples/data/calib.jsonl --count 4 --layers 3 4 5 --input-layer 2 \\
        --out Tests/AMPSMethodTests/Fixtures/steering_targets_reference.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import torch
from PIL import Image


def render(prompt: dict, inst: dict, order: str, instruction: str) -> str:
    meta = inst.get("meta", {})
    vision = inst["answer_vision"]
    other = inst["answer_text"] if inst["answer_vision"] != inst["answer_text"] else meta["distractor"]
    a, b = (vision, other) if order == "vision-first" else (other, vision)
    t = prompt["template"]
    for k, v in (("{context}", inst["context"]), ("{instruction}", prompt["instructions"][instruction]),
                 ("{question}", inst["question"]), ("{option_a}", a), ("{option_b}", b)):
        t = t.replace(k, v)
    return t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--count", type=int, default=4)
    ap.add_argument("--layers", type=int, nargs="+", required=True)
    ap.add_argument("--input-layer", type=int, required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    from transformers import LlavaForConditionalGeneration, LlavaProcessor
    import transformers

    with open(os.path.join(a.model, "prompt.json")) as f:
        prompt = json.load(f)
    processor = LlavaProcessor.from_pretrained(a.model)
    model = LlavaForConditionalGeneration.from_pretrained(a.model, dtype=torch.float32, attn_implementation="eager").eval()
    layers = model.model.language_model.layers
    n_layers = len(layers)
    if not all(0 <= l < n_layers for l in a.layers + [a.input_layer]):
        print(f"reference_targets: layers must be in 0-{n_layers - 1}", file=sys.stderr)
        return 2

    captured: dict[int, torch.Tensor] = {}

    def hook(l):
        def f(module, inputs, output):
            out = output[0] if isinstance(output, tuple) else output
            captured[l] = out.detach()
        return f

    for l in set(a.layers + [a.input_layer]):
        layers[l].register_forward_hook(hook(l))

    folder = os.path.dirname(os.path.abspath(a.data))

    @torch.no_grad()
    def last_states(text: str, image) -> dict[int, torch.Tensor]:
        captured.clear()
        enc = processor(images=image, text=text, return_tensors="pt")
        model(**enc)
        return {l: v[0, -1].double() for l, v in captured.items()}

    out = []
    with open(a.data) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    for inst in rows:
        if len(out) == a.count:
            break
        if inst["answer_vision"] == inst["answer_text"] or inst.get("meta", {}).get("kind", "conflict") != "conflict":
            continue
        image = Image.open(os.path.join(folder, inst.get("image", f"images/{inst['image_id']}.png"))).convert("RGB")
        z = {l: torch.zeros(model.config.text_config.hidden_size, dtype=torch.float64) for l in a.layers}
        plain = {}
        for order in ("vision-first", "text-first"):
            hv = last_states(render(prompt, inst, order, "vision"), image)
            ht = last_states(render(prompt, inst, order, "text"), image)
            for l in a.layers:
                z[l] += (hv[l] - ht[l]) / 2
            plain[order] = last_states(render(prompt, inst, order, "none"), image)[a.input_layer].tolist()
        out.append({"image_id": str(inst["image_id"]), "z": {str(l): z[l].tolist() for l in a.layers},
                    "plain_input": plain})
    doc = {"model": os.path.basename(os.path.abspath(a.model)), "data": os.path.basename(a.data), "layers": a.layers,
           "input_layer": a.input_layer, "position": -1, "torch_version": torch.__version__,
           "transformers_version": transformers.__version__, "dtype": "float32", "instances": out,
           "command": " ".join(["tools/reference_targets.py"] + sys.argv[1:])}
    with open(a.out, "w") as f:
        json.dump(doc, f)
    print(f"reference_targets: {len(out)} instances -> {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
