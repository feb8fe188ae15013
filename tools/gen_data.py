#!/usr/bin/env python3
"""Synthetic MC^2-format modality-conflict instances for amps.

Each instance is a 32x32 RGB PNG of simple objects plus a short text context,
a question and two answers: `answer_vision` (what the image shows) and
`answer_text` (what the context claims). Kinds (meta.kind):
  conflict    answer_vision != answer_text
  consistent  the context agrees with the image (meta.distractor = wrong option)
  image_only  neutral context that says nothing about the answer
  text_only   uninformative image (flat grey + faint noise)

Everything is deterministic from --seed: instance i of split s uses
numpy.random.default_rng([seed, SPLIT_CODE[s], i]).  The trainer draws fresh
instances from the same generator with split code 9 ("fresh", index range
disjoint by construction) so that shipped splits are never trained on twice.

Usage:
  python3 tools/gen_data.py --seed 1234 --out samples/data
"""
import argparse
import json
import os
import re

import numpy as np
from PIL import Image, ImageDraw

IMG = 32
SUPER = 4  # draw at 4x and box-downsample (anti-aliasing)

COLORS = {
    "red": (215, 35, 35),
    "green": (40, 170, 50),
    "blue": (40, 70, 225),
    "yellow": (235, 215, 30),
    "purple": (150, 50, 190),
    "orange": (240, 135, 20),
}
SHAPES = ["circle", "square", "triangle", "diamond", "cross"]
SIZES = {"small": 3.3, "large": 5.3}  # radius in pixels
SLOTS = {"left": (7, 16), "right": (25, 16), "top": (16, 7), "bottom": (16, 25)}
NUMBERS = ["one", "two", "three", "four"]
TASKS = ["color", "counting", "positional_reasoning", "object_recognition", "attribute"]
KINDS = ["conflict", "consistent", "image_only", "text_only"]

IMAGE_LEVELS = ["clear", "noisy", "very_noisy"]
TEXT_LEVELS = ["confident", "plain", "hedged"]
# (contrast, noise sigma, number of grey occluder blocks)
IMAGE_NOISE = {
    "clear": (1.0, 4.0, 0),
    "noisy": (0.85, 16.0, 0),
    "very_noisy": (0.7, 30.0, 2),
    "blank": (0.0, 4.0, 0),
}
BACKGROUND = 128

# ---- label rule (documented in docs/FORMATS.md and docs/DEFAULT_MODEL.md) ----
IMAGE_VALUE = {"clear": 2, "noisy": 1, "very_noisy": 0}
TEXT_VALUE = {"confident": 2, "plain": 1, "hedged": 0}
TASK_BIAS = {"color": 1.0, "object_recognition": 0.5, "attribute": 0.0,
             "positional_reasoning": -0.5, "counting": -1.0}


def rule(task, img_level, txt_level):
    """Which modality a conflict instance 'should' follow.

    Returns dict with score and, for each instruction (none/vision/text),
    'vision', 'text' or 'either' (50/50 cell: the trainer samples the label)."""
    s = IMAGE_VALUE[img_level] - TEXT_VALUE[txt_level] + TASK_BIAS[task]
    default = "vision" if s > 0 else ("text" if s < 0 else "either")
    follow_vision = "vision" if img_level != "very_noisy" else default
    follow_text = "text" if txt_level != "hedged" else default
    return {"score": s, "none": default, "vision": follow_vision, "text": follow_text}


# ---- text ----
CLAIM = {
    "color": "the {shape} is {v}",
    "counting": "the number of objects is {v}",
    "positional_reasoning": "the {shape} is at the {v}",
    "object_recognition": "the shape of the {color} object is {v}",
    "attribute": "the {shape} is {v}",
}
QUESTION = {
    "color": "What color is the {shape} ?",
    "counting": "How many objects are there ?",
    "positional_reasoning": "Where is the {shape} ?",
    "object_recognition": "What shape is the {color} object ?",
    "attribute": "What size is the {shape} ?",
}
WRAP = {
    "confident": [
        "The careful observer checked the picture twice and confirmed that {c} .",
        "It is certain that {c} , as the official description clearly states .",
        "Everyone who looked at the picture agrees that {c} , without any doubt .",
    ],
    "plain": [
        "The short note that came with the picture says that {c} .",
        "According to the caption written for this picture , {c} .",
        "One person described the picture and said that {c} .",
    ],
    "hedged": [
        "Someone guessed that {c} , but was not sure at all .",
        "One quick glance suggested that {c} , though this might be wrong .",
        "It is possible that {c} , but nobody really checked the picture .",
    ],
}
NEUTRAL = [
    "The picture was made by the small program that draws simple shapes on grey .",
    "This picture belongs to the test set , and the note says nothing else about it .",
    "The picture shows some simple shapes , and nobody wrote anything about them .",
]
INSTRUCTION_WORDS = ("Instruction: if the image and the text disagree , follow the image . "
                     "follow the text . Text context: Question: A. B. Answer:")


def domain(task):
    return {
        "color": list(COLORS),
        "counting": NUMBERS,
        "positional_reasoning": list(SLOTS),
        "object_recognition": SHAPES,
        "attribute": list(SIZES),
    }[task]


def vocabulary():
    """All words the generator and the prompt template can produce."""
    texts = [INSTRUCTION_WORDS] + NEUTRAL
    for w in WRAP.values():
        texts += w
    texts += list(CLAIM.values()) + list(QUESTION.values())
    words = list(COLORS) + SHAPES + list(SIZES) + list(SLOTS) + NUMBERS
    toks = set(words)
    for t in texts:
        t = t.replace("{c}", " ").replace("{shape}", " ").replace("{color}", " ").replace("{v}", " ")
        toks.update(re.findall(r"\w+|[^\w\s]+", t))
    return sorted(toks)


# ---- images ----
def draw_shape(d, shape, cx, cy, r, rgb):
    S = SUPER
    cx, cy, r = cx * S, cy * S, r * S
    if shape == "circle":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=rgb)
    elif shape == "square":
        h = r * 0.82
        d.rectangle([cx - h, cy - h, cx + h, cy + h], fill=rgb)
    elif shape == "triangle":
        d.polygon([(cx, cy - r), (cx + r, cy + r * 0.8), (cx - r, cy + r * 0.8)], fill=rgb)
    elif shape == "diamond":
        d.polygon([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)], fill=rgb)
    elif shape == "cross":
        w = r * 0.36
        d.rectangle([cx - r, cy - w, cx + r, cy + w], fill=rgb)
        d.rectangle([cx - w, cy - r, cx + w, cy + r], fill=rgb)


def render(objects, level, rng):
    contrast, sigma, occ = IMAGE_NOISE[level]
    im = Image.new("RGB", (IMG * SUPER, IMG * SUPER), (BACKGROUND,) * 3)
    d = ImageDraw.Draw(im)
    for o in objects:
        cx, cy = SLOTS[o["position"]]
        cx += o["jitter"][0]
        cy += o["jitter"][1]
        draw_shape(d, o["shape"], cx, cy, SIZES[o["size"]], COLORS[o["color"]])
    a = np.asarray(im.resize((IMG, IMG), Image.BOX), dtype=np.float32)
    for _ in range(occ):  # small grey occluders (partial occlusion)
        x, y = rng.integers(0, IMG - 3, size=2)
        a[y:y + 3, x:x + 3] = BACKGROUND
    a = BACKGROUND + contrast * (a - BACKGROUND)
    # monochrome (luminance) Gaussian noise, the same for the three channels
    a = a + rng.normal(0.0, sigma, size=a.shape[:2])[:, :, None]
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


# ---- instances ----
def make_scene(task, rng):
    """Objects (one per slot) and (target description, true answer).

    counting: 1-4 small objects of mixed colors, "How many objects are there ?".
    Other tasks: a single object (its colour, shape, size and slot are random), so
    that reading the image needs no binding between objects (the tiny default model
    could not learn that binding within the 2-core training budget)."""
    jit = lambda: [int(rng.integers(-1, 2)), int(rng.integers(-1, 2))]
    cols, shs = list(COLORS), SHAPES
    if task == "counting":
        n = int(rng.integers(1, 5))
        slots = list(rng.permutation(list(SLOTS)))[:n]
        objs = [dict(shape=shs[rng.integers(len(shs))], color=cols[rng.integers(len(cols))], size="small",
                     position=str(p), jitter=jit()) for p in slots]
        return objs, {}, NUMBERS[n - 1]
    slot = list(SLOTS)[rng.integers(len(SLOTS))]
    t = dict(shape=shs[rng.integers(len(shs))], color=cols[rng.integers(len(cols))],
             size=list(SIZES)[rng.integers(2)], position=slot, jitter=jit())
    objs = [t]
    if task == "object_recognition":
        # A small shape is 6-7 pixels across, under two 4x4 patches: telling a diamond
        # from a circle there is beyond the tiny model, which then learned to name the
        # option the text does not claim instead of reading the image. Shapes asked
        # about are always drawn large (the size was still drawn, so the random stream
        # of every other task is unchanged).
        t["size"] = "large"
        return objs, {"color": t["color"]}, t["shape"]
    ans = {"color": t["color"], "positional_reasoning": t["position"], "attribute": t["size"]}[task]
    return objs, {"shape": t["shape"]}, ans


def make_instance(rng, task, kind):
    objs, target, truth = make_scene(task, rng)
    dom = domain(task)
    other = [v for v in dom if v != truth]
    other = other[int(rng.integers(len(other)))]
    img_level = "blank" if kind == "text_only" else IMAGE_LEVELS[rng.integers(3)]
    txt_level = "none" if kind == "image_only" else TEXT_LEVELS[rng.integers(3)]
    answer_vision = truth
    answer_text = other if kind == "conflict" else truth
    if kind == "image_only":
        context = NEUTRAL[rng.integers(len(NEUTRAL))]
    else:
        claim = CLAIM[task].format(v=answer_text, **target)
        context = WRAP[txt_level][rng.integers(3)].format(c=claim)
        context = context[0].upper() + context[1:]
    question = QUESTION[task].format(**target)
    img = render([] if kind == "text_only" else objs, img_level, rng)
    contrast, sigma, occ = IMAGE_NOISE[img_level]
    meta = {"kind": kind, "image_reliability": img_level, "text_reliability": txt_level,
            "noise": {"contrast": contrast, "sigma": sigma, "occluders": occ},
            "objects": objs}
    if kind == "conflict":
        meta["rule"] = rule(task, img_level, txt_level)
    else:
        meta["distractor"] = other
    inst = {"task": task, "question": question, "answer_vision": answer_vision,
            "answer_text": answer_text, "context": context, "meta": meta}
    return inst, img


SPLIT_CODE = {"train": 1, "calib": 2, "test": 3, "fresh": 9}
MIX = {  # kind counts per split
    "train": {"conflict": 1100, "consistent": 400, "image_only": 300, "text_only": 200},
    "calib": {"conflict": 400, "consistent": 100, "image_only": 60, "text_only": 40},
    "test": {"conflict": 520, "consistent": 100, "image_only": 80, "text_only": 80},
}


def plan(split, seed):
    """Deterministic (task, kind) list for a split: tasks balanced within each kind."""
    rng = np.random.default_rng([seed, SPLIT_CODE[split], 10 ** 9])
    items = []
    for kind, n in MIX[split].items():
        items += [(TASKS[i % len(TASKS)], kind) for i in range(n)]
    order = rng.permutation(len(items))
    return [items[i] for i in order]


def fresh_instance(seed, index):
    """On-the-fly instance for training (split code 9; never written to disk)."""
    rng = np.random.default_rng([seed, SPLIT_CODE["fresh"], index])
    r = rng.random()
    kind = "conflict" if r < 0.55 else "consistent" if r < 0.75 else "image_only" if r < 0.9 else "text_only"
    task = TASKS[int(rng.integers(len(TASKS)))]
    return make_instance(rng, task, kind)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--out", default="samples/data")
    a = ap.parse_args()
    os.makedirs(os.path.join(a.out, "images"), exist_ok=True)
    base_id = {"train": 0, "calib": 100000, "test": 200000}
    for split in ["train", "calib", "test"]:
        rows = []
        for i, (task, kind) in enumerate(plan(split, a.seed)):
            rng = np.random.default_rng([a.seed, SPLIT_CODE[split], i])
            inst, img = make_instance(rng, task, kind)
            iid = base_id[split] + i
            rel = f"images/{iid:06d}.png"
            Image.fromarray(img).save(os.path.join(a.out, rel), optimize=True)
            row = {"image_id": iid, "image": rel, **inst, "split": split}
            row["meta"] = {**row.pop("meta"), "generator_seed": a.seed}
            rows.append(row)
        with open(os.path.join(a.out, f"{split}.jsonl"), "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
        print(f"{split}: {len(rows)} instances")


if __name__ == "__main__":
    main()
