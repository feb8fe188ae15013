#!/usr/bin/env python3
"""Evaluate the default model (samples/model) on the test split with transformers.

Prompts come from samples/model/prompt.json, asked in both option orders
(order 0: A = vision answer (or the true answer for non-conflict items),
B = text answer (or the distractor); order 1: swapped). The answer is the
argmax over the full vocabulary at the last prompt position ("Answer:").
Conflict items are asked with each instruction (none / vision / text);
non-conflict items with each instruction too (accuracy is reported for
"none" and for all three).

Writes docs/DEFAULT_MODEL.md and samples/model/reference_answers.jsonl.

Usage:
  python3 tools/eval_default_model.py --model samples/model --data samples/data
"""
import argparse
import json
import os
import sys
import time
from collections import defaultdict

import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_data as G  # noqa: E402

INSTRS = ["none", "vision", "text"]


def build_prompts(insts, prompt):
    rows = []
    for k, r in enumerate(insts):
        m = r["meta"]
        conflict = m["kind"] == "conflict"
        x, y = (r["answer_vision"], r["answer_text"]) if conflict else (r["answer_vision"], m["distractor"])
        for instr in INSTRS:
            for order in (0, 1):
                a, b = (x, y) if order == 0 else (y, x)
                text = prompt["template"].format(context=r["context"], instruction=prompt["instructions"][instr],
                                                 question=r["question"], option_a=a, option_b=b)
                rows.append({"k": k, "instr": instr, "order": order, "text": text})
    return rows


@torch.no_grad()
def run(model, processor, insts, images, rows, bs):
    out = []
    for s in range(0, len(rows), bs):
        chunk = rows[s:s + bs]
        enc = processor(images=[images[r["k"]] for r in chunk], text=[r["text"] for r in chunk],
                        padding=True, return_tensors="pt")
        assert processor.tokenizer.padding_side == "right"
        logits = model(**enc).logits
        last = enc["attention_mask"].sum(1) - 1
        lg = logits[torch.arange(len(chunk)), last]
        out.append((lg, enc["attention_mask"].sum(1)))
    lg = torch.cat([o[0] for o in out])
    lens = torch.cat([o[1] for o in out])
    return lg, lens


def pct(n, d):
    return f"{100.0 * n / d:.1f}" if d else "–"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="samples/model")
    ap.add_argument("--data", default="samples/data")
    ap.add_argument("--split", default="test")
    ap.add_argument("--doc", default="docs/DEFAULT_MODEL.md")
    ap.add_argument("--reference", default=None, help="default: <model>/reference_answers.jsonl")
    ap.add_argument("--n-reference", type=int, default=100)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    from transformers import LlavaForConditionalGeneration, LlavaProcessor

    t0 = time.time()
    model = LlavaForConditionalGeneration.from_pretrained(a.model, dtype=torch.float32).eval()
    processor = LlavaProcessor.from_pretrained(a.model)
    prompt = json.load(open(os.path.join(a.model, "prompt.json")))
    tok = processor.tokenizer
    a_id, b_id = (tok.convert_tokens_to_ids(t) for t in prompt["answer_options"])
    path = os.path.join(a.data, f"{a.split}.jsonl")
    insts = [json.loads(l) for l in open(path)]
    images = [Image.open(os.path.join(a.data, r["image"])).convert("RGB") for r in insts]
    rows = build_prompts(insts, prompt)
    lg, lens = run(model, processor, insts, images, rows, a.batch)
    probs = lg.softmax(-1)
    pred = lg.argmax(-1)
    eval_seconds = time.time() - t0

    # classify
    for i, r in enumerate(rows):
        p = pred[i].item()
        letter = "A" if p == a_id else "B" if p == b_id else None
        inst = insts[r["k"]]
        first = "A" if r["order"] == 0 else "B"  # letter of option x (vision / true answer)
        if letter is None:
            c = "other"
        elif inst["meta"]["kind"] == "conflict":
            c = "vision" if letter == first else "text"
        else:
            c = "correct" if letter == first else "wrong"
        r["cls"] = c
        r["p_x"] = probs[i, a_id if r["order"] == 0 else b_id].item()

    # aggregates
    n_other = sum(r["cls"] == "other" for r in rows)
    acc = defaultdict(lambda: [0, 0])
    vr = defaultdict(lambda: [0, 0])  # vision, vision+text
    rule_ok = defaultdict(lambda: [0, 0])
    pair = defaultdict(lambda: [0, 0])  # both orders same modality
    by_k = defaultdict(dict)
    for r in rows:
        inst = insts[r["k"]]
        m = inst["meta"]
        if m["kind"] != "conflict":
            for key in [(m["kind"], r["instr"]), ("all", r["instr"]), (m["kind"], "any"), ("all", "any"),
                        ("task:" + inst["task"], r["instr"]), ("level:" + m["image_reliability"], r["instr"])]:
                acc[key][1] += 1
                acc[key][0] += r["cls"] == "correct"
            continue
        by_k[(r["k"], r["instr"])][r["order"]] = r["cls"]
        if r["cls"] == "other":
            continue
        v = r["cls"] == "vision"
        for key in [(r["instr"], "all"), (r["instr"], "task", inst["task"]),
                    (r["instr"], "cell", m["image_reliability"], m["text_reliability"]),
                    (r["instr"], "img", m["image_reliability"]), (r["instr"], "txt", m["text_reliability"])]:
            vr[key][0] += v
            vr[key][1] += 1
        want = m["rule"][r["instr"]]
        if want != "either":
            rule_ok[r["instr"]][1] += 1
            rule_ok[r["instr"]][0] += r["cls"] == want
    for (k, instr), d in by_k.items():
        if len(d) == 2 and "other" not in d.values():
            pair[instr][1] += 1
            pair[instr][0] += d[0] == d[1]

    def ratio(key):
        n, d = vr.get(key, [0, 0])
        return pct(n, d)

    n_conf = sum(r["meta"]["kind"] == "conflict" for r in insts)
    kinds = defaultdict(int)
    for r in insts:
        kinds[r["meta"]["kind"]] += 1

    # reference answers (first instances until n_reference prompts)
    ref_path = a.reference or os.path.join(a.model, "reference_answers.jsonl")
    with open(ref_path, "w") as f:
        for i, r in enumerate(rows[:a.n_reference]):
            inst = insts[r["k"]]
            # recomputed one prompt at a time (no padding), as the Swift engine runs it
            enc = processor(images=images[r["k"]], text=r["text"], return_tensors="pt")
            with torch.no_grad():
                lg1 = model(**enc).logits[0, -1]
            assert enc["input_ids"].shape[1] == int(lens[i])
            pr1 = lg1.softmax(-1)
            rec = {"image_id": inst["image_id"], "image": inst["image"], "split": a.split, "order": r["order"],
                   "instruction": r["instr"], "n_tokens": int(lens[i]), "argmax_token_id": int(lg1.argmax()),
                   "argmax_token": tok.convert_ids_to_tokens(int(lg1.argmax())),
                   "p_a": round(pr1[a_id].item(), 7), "p_b": round(pr1[b_id].item(), 7),
                   "logit_a": round(lg1[a_id].item(), 6), "logit_b": round(lg1[b_id].item(), 6),
                   "prompt": r["text"]}
            f.write(json.dumps(rec) + "\n")

    # ------------------------------------------------------------ doc
    tr = json.load(open(os.path.join(a.model, "TRAINING.json")))
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    vc, tc = cfg["vision_config"], cfg["text_config"]
    size = os.path.getsize(os.path.join(a.model, "model.safetensors"))
    hp = tr["hyperparameters"]
    L = []
    w = L.append
    w("# The default model (`samples/model/`)\n")
    w("All figures below are measured by `tools/eval_default_model.py` (transformers "
      f"{__import__('transformers').__version__}, torch {torch.__version__}) on `{path}`; "
      "this file is generated by that script — do not edit by hand, re-run it.\n")
    w("## What it is\n")
    w("A tiny `LlavaForConditionalGeneration` trained from scratch on synthetic MC²-style "
      "modality-conflict instances (`tools/gen_data.py`). It is a test vehicle for amps, not a "
      "capable model: it only knows the closed vocabulary of the generator and 32x32 scenes of "
      "simple shapes.\n")
    w(f"- parameters: {tr['parameters']:,} (float32), `model.safetensors` {size / 1e6:.2f} MB")
    w(f"- vision: `clip_vision_model`, image {vc['image_size']}x{vc['image_size']}, patch {vc['patch_size']} "
      f"(64 patches + CLS), hidden {vc['hidden_size']}, {vc['num_hidden_layers']} layers, "
      f"{vc['num_attention_heads']} heads, MLP {vc['intermediate_size']}, {vc['hidden_act']}; "
      f"`vision_feature_layer` {cfg['vision_feature_layer']}, `vision_feature_select_strategy` "
      f"\"{cfg['vision_feature_select_strategy']}\" (CLS dropped) -> **{cfg['image_seq_length']} image tokens**")
    w(f"- projector: Linear({vc['hidden_size']}->{tc['hidden_size']}) -> {cfg['projector_hidden_act']} -> "
      f"Linear({tc['hidden_size']}->{tc['hidden_size']})")
    w(f"- text: `llama`, hidden {tc['hidden_size']}, **{tc['num_hidden_layers']} decoder layers**, "
      f"{tc['num_attention_heads']} heads / {tc['num_key_value_heads']} KV heads (GQA), head_dim {tc['head_dim']}, "
      f"SwiGLU MLP {tc['intermediate_size']}, RMSNorm eps {tc['rms_norm_eps']}, RoPE theta "
      f"{tc['rope_parameters']['rope_theta']}, vocab {tc['vocab_size']}, untied lm_head")
    w(f"- tokenizer: `tokenizers` WordLevel, {tc['vocab_size']} entries; specials `<pad>`=0 `<unk>`=1 `<s>`=2 "
      f"`</s>`=3 `<image>`=4; NFKC normalizer (case kept), Whitespace pre-tokenizer (`\\w+|[^\\w\\s]+`), "
      f"post-processor `<s> $A`. `A` = id {a_id}, `B` = id {b_id}. The processor expands the one `<image>` "
      f"of the template to 64 `<image>` tokens.")
    w("- image processor: CLIPImageProcessor, no resize / crop, x/255, CLIP mean/std normalisation.\n")
    w("## How it was trained\n")
    stages = []
    t = tr
    while t:
        stages.insert(0, t)
        t = t.get("previous_stage")
    w(f"Data first: `python3 tools/gen_data.py --seed {tr['seed']} --out samples/data`. Then, from the "
      "repository root:\n")
    w("```sh")
    for st in stages:
        w(st["command"])
    w("```\n")
    if len(stages) > 1:
        w(f"Training ran in {len(stages)} stages (each stage continues from the folder the previous one "
          "saved; fresh-instance index ranges differ per stage): "
          + "; ".join(f"stage {i + 1}: {st['hyperparameters']['steps_done']} steps, {st['train_seconds'] / 60:.1f} min"
                      for i, st in enumerate(stages)) + ".\n")
    if tr.get("notes"):
        w("Notes on provenance: " + tr["notes"] + "\n")
    total = sum(st["train_seconds"] for st in stages)
    w(f"- measured training time: **{total / 60:.1f} min in total** on {tr['threads']} CPU thread(s) "
      f"(torch {tr['torch']}); batch {hp['batch']}; {hp['optimizer']}; {hp['schedule']}.")
    for i, st in enumerate(stages):
        h = st["hyperparameters"]
        w(f"- stage {i + 1}: {h['steps_done']} steps, lr {h['lr']}, {h['fresh_instances']} fresh instances "
          f"(indices from {h.get('fresh_offset', 0)}), auxiliary weights: scene {h['aux_weight']}, option "
          f"relation {h.get('option_aux_weight', 0)}, key-word look-up {h.get('key_aux_weight', 0)}, instruction type {h.get('instr_aux_weight', 0)}, per-patch objects {h.get('patch_aux_weight', 0)}; vision-only "
          f"warm-up steps {h['vision_warmup_steps']}; final calib check: {st['final_calib_eval']}")
    w(f"- data: the {tr['data']['shipped_train']} shipped train instances + fresh "
      "instances from `gen_data.fresh_instance(seed, i)` (split code 9, never written to disk, disjoint from "
      "train/calib/test). Each presentation draws an instruction (none / vision / text, 1/3 each) and an option "
      "order (50/50).")
    w("- loss: cross-entropy over the full vocabulary on the answer token only (the token after `Answer:`). "
      "To get out of the initial plateau on a 2-core budget, auxiliary losses with *separate linear heads that "
      "are discarded* were added (the saved model is a plain LLaVA; no language-model loss on other tokens): "
      "(1) scene reading: a head on the 64 image features predicting colour/shape/size of each of the 4 object "
      "slots and the image reliability level (plus a vision-only warm-up with that head); (2) option relation: "
      "a head on the middle decoder layer at each option word predicting whether the context claims it "
      "(claimed / not / neutral context) and whether the image shows it; (3) key-word look-up (if weight > 0): "
      "a head on the layer below the middle at the question's key word (e.g. `circle` in `What color is the "
      "circle ?`) predicting the answer the image supports; (4) instruction type (if weight > 0): a head on the "
      "middle layer at the last prompt token predicting which instruction (none / vision / text) the prompt has; "
      "(5) per-patch objects (if weight > 0): a head on each of the 64 image features predicting colour, shape, "
      "size and slot of the object covering that patch (or background).")
    w("- labels: non-conflict items -> the true answer. Conflict items -> the rule of `gen_data.rule`: "
      "score = image value (clear 2, noisy 1, very_noisy 0) - text value (confident 2, plain 1, hedged 0) + "
      "task bias (color +1, object_recognition +0.5, attribute 0, positional_reasoning -0.5, counting -1); "
      "vision if score > 0, text if < 0, a fresh coin flip each presentation if = 0 (stochastic cells). "
      "With the \"follow the image\" instruction: vision unless the image is very_noisy (then the default "
      "rule); with \"follow the text\": text unless the text is hedged (then the default rule).\n")
    w("## Figures (test split)\n")
    w(f"Test split: {len(insts)} instances ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}); "
      f"{len(rows)} prompts (every instance x 3 instructions x 2 orders). Evaluation took {eval_seconds:.0f} s.\n")
    # targets
    nc = acc[("all", "none")]
    b0 = vr[("none", "all")]
    r0 = b0[0] / b0[1] if b0[1] else 0
    rv = vr[("vision", "all")][0] / max(vr[("vision", "all")][1], 1)
    rt = vr[("text", "all")][0] / max(vr[("text", "all")][1], 1)
    task_r = [vr[("none", "task", t)][0] / max(vr[("none", "task", t)][1], 1) for t in G.TASKS]
    img_r = [vr[("none", "img", l)][0] / max(vr[("none", "img", l)][1], 1) for l in G.IMAGE_LEVELS]
    ok = lambda c: "met" if c else "**NOT met**"
    w("### Targets\n")
    w("| target | measured | status |")
    w("|---|---|---|")
    w(f"| accuracy >= 95% on consistent + single-modality (no instruction) | {pct(*nc)}% | {ok(nc[1] and nc[0] / nc[1] >= 0.95)} |")
    w(f"| conflict vision ratio without instruction in [25%, 75%] | {100 * r0:.1f}% | {ok(0.25 <= r0 <= 0.75)} |")
    w(f"| differs across tasks / image reliability | tasks {100 * min(task_r):.0f}-{100 * max(task_r):.0f}%, image levels "
      f"{100 * min(img_r):.0f}-{100 * max(img_r):.0f}% | {ok(max(task_r) - min(task_r) > 0.15 and max(img_r) - min(img_r) > 0.15)} |")
    w(f"| image instruction raises it >= 10 points | {100 * (rv - r0):+.1f} | {ok(rv - r0 >= 0.10)} |")
    w(f"| text instruction lowers it >= 10 points | {100 * (rt - r0):+.1f} | {ok(r0 - rt >= 0.10)} |")
    w(f"| neither A nor B < 1% | {pct(n_other, len(rows))}% | {ok(n_other < 0.01 * len(rows))} |")
    w("")
    w("### Accuracy on non-conflict instances (both orders)\n")
    w("| kind | no instruction | all three instructions |")
    w("|---|---|---|")
    for kind in ["consistent", "image_only", "text_only", "all"]:
        n, d = acc[(kind, "none")]
        n2, d2 = acc[(kind, "any")]
        w(f"| {kind} | {pct(n, d)}% ({n}/{d}) | {pct(n2, d2)}% ({n2}/{d2}) |")
    w("")
    w("By task and by image reliability (all non-conflict kinds, no instruction):\n")
    w("| " + " | ".join(G.TASKS) + " | " + " | ".join(G.IMAGE_LEVELS + ["blank"]) + " |")
    w("|" + "---|" * (len(G.TASKS) + len(G.IMAGE_LEVELS) + 1))
    w("| " + " | ".join(pct(*acc[("task:" + t, "none")]) for t in G.TASKS) + " | "
      + " | ".join(pct(*acc[("level:" + l, "none")]) for l in G.IMAGE_LEVELS + ["blank"]) + " |")
    w("")
    w("### Conflict vision ratio = vision / (vision + text), both orders\n")
    w("| instruction | vision ratio | shift vs none | follows the label rule (deterministic cells) | same modality in both orders |")
    w("|---|---|---|---|---|")
    base = vr[("none", "all")]
    for instr in INSTRS:
        n, d = vr[(instr, "all")]
        shift = 100.0 * (n / d - base[0] / base[1]) if d and base[1] else 0.0
        ro = rule_ok[instr]
        pr = pair[instr]
        w(f"| {instr} | **{pct(n, d)}%** ({n}/{d}) | {shift:+.1f} | {pct(*ro)}% | {pct(*pr)}% |")
    w("")
    w(f"Answers that are neither A nor B (argmax over the full vocabulary): **{n_other} of {len(rows)} prompts "
      f"({pct(n_other, len(rows))}%)**.\n")
    w("### Vision ratio by task (%)\n")
    w("| task | none | vision instr. | text instr. | rule-expected (none) |")
    w("|---|---|---|---|---|")
    for task in G.TASKS:
        exp = [r for r in insts if r["meta"]["kind"] == "conflict" and r["task"] == task]
        ev = sum({"vision": 1, "text": 0, "either": 0.5}[r["meta"]["rule"]["none"]] for r in exp)
        w(f"| {task} | {ratio(('none', 'task', task))} | {ratio(('vision', 'task', task))} | "
          f"{ratio(('text', 'task', task))} | {pct(ev, len(exp))} |")
    w("")
    for instr in INSTRS:
        w(f"### Vision ratio by image reliability x text reliability, instruction = {instr} (%)\n")
        w("| image \\ text | " + " | ".join(G.TEXT_LEVELS) + " | all |")
        w("|---|" + "---|" * (len(G.TEXT_LEVELS) + 1))
        for il in G.IMAGE_LEVELS:
            w(f"| {il} | " + " | ".join(ratio((instr, "cell", il, tl)) for tl in G.TEXT_LEVELS)
              + f" | {ratio((instr, 'img', il))} |")
        w("| all | " + " | ".join(ratio((instr, "txt", tl)) for tl in G.TEXT_LEVELS) + f" | {ratio((instr, 'all'))} |")
        w("")
    w("## Reference answers for the Swift engine\n")
    w(f"`{os.path.relpath(ref_path)}`: the first {min(a.n_reference, len(rows))} prompts of the test split in the "
      "order above (instance, then instruction none/vision/text, then order 0/1). Fields: image_id, image "
      "(relative to samples/data), order (0: A = vision/true answer), instruction, n_tokens (prompt length "
      "after image expansion, incl. `<s>`), argmax_token_id / argmax_token (full-vocabulary argmax at the last "
      "position), p_a / p_b (softmax over the full vocabulary), logit_a / logit_b, prompt (the text before "
      "image-token expansion). These are computed one prompt at a time without padding (float32, sdpa "
      "attention); the batched figures above agree with them to ~1e-6.\n")
    with open(a.doc, "w") as f:
        f.write("\n".join(L))
    print("\n".join(L))


if __name__ == "__main__":
    main()
