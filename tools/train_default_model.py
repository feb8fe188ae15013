#!/usr/bin/env python3
"""Train the tiny default LLaVA model shipped in samples/model/.

Builds a WordLevel tokenizer over the closed vocabulary of tools/gen_data.py,
a LlavaProcessor, and a small LlavaForConditionalGeneration (CLIP vision tower
+ Llama text model), trains it on MC^2-style conflict prompts (loss on the
answer token only, plus an auxiliary scene-reading loss on the vision features
that is dropped at save time), and saves everything with save_pretrained.

Training data = the shipped samples/data/train.jsonl (2000 instances) plus
fresh instances from gen_data.fresh_instance(seed, i) (split code 9, never
written to disk, disjoint from train/calib/test by construction).

Usage (reproduces the shipped model, ~37 min on an idle 2-core machine; the defaults are its recipe):
  python3 tools/train_default_model.py --seed 1234 --out samples/model
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_data as G  # noqa: E402

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
SPECIALS = ["<pad>", "<unk>", "<s>", "</s>", "<image>"]
N_IMAGE_TOKENS = (G.IMG // 4) ** 2  # 64 (CLS dropped by the "default" strategy)

PROMPT = {
    "template": "<image>\nText context: {context}\n{instruction}Question: {question}\nA. {option_a}\nB. {option_b}\nAnswer:",
    "instructions": {
        "none": "",
        "vision": "Instruction: if the image and the text disagree , follow the image .\n",
        "text": "Instruction: if the image and the text disagree , follow the text .\n",
    },
    "answer_options": ["A", "B"],
}


# ---------------------------------------------------------------- building
def build_tokenizer():
    from tokenizers import AddedToken, Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast
    words = G.vocabulary()
    vocab = {t: i for i, t in enumerate(SPECIALS)}
    for w in words:
        vocab.setdefault(w, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC()])
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 2)])
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIALS])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="<pad>", extra_special_tokens={"image_token": "<image>"})
    return fast


def build_processor(tokenizer):
    from transformers import CLIPImageProcessor, LlavaProcessor
    ip = CLIPImageProcessor(do_resize=False, do_center_crop=False, do_rescale=True, rescale_factor=1 / 255,
                            do_normalize=True, image_mean=CLIP_MEAN, image_std=CLIP_STD, do_convert_rgb=True,
                            size={"shortest_edge": G.IMG}, crop_size={"height": G.IMG, "width": G.IMG})
    return LlavaProcessor(image_processor=ip, tokenizer=tokenizer, patch_size=4,
                          vision_feature_select_strategy="default", num_additional_image_tokens=1,
                          image_token="<image>")


def build_model(vocab_size, hp):
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration
    vc = CLIPVisionConfig(hidden_size=hp["vision_hidden"], intermediate_size=4 * hp["vision_hidden"],
                          num_hidden_layers=hp["vision_layers"], num_attention_heads=4, image_size=G.IMG,
                          patch_size=4, num_channels=3, hidden_act="quick_gelu", layer_norm_eps=1e-5,
                          projection_dim=hp["vision_hidden"])
    tc = LlamaConfig(vocab_size=vocab_size, hidden_size=hp["text_hidden"], intermediate_size=hp["text_intermediate"],
                     num_hidden_layers=hp["text_layers"], num_attention_heads=4, num_key_value_heads=2,
                     max_position_embeddings=256, rms_norm_eps=1e-5, hidden_act="silu",
                     rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
                     tie_word_embeddings=False, bos_token_id=2, eos_token_id=3, pad_token_id=0)
    cfg = LlavaConfig(vision_config=vc, text_config=tc, image_token_index=4, image_seq_length=N_IMAGE_TOKENS,
                      projector_hidden_act="gelu", vision_feature_select_strategy="default",
                      vision_feature_layer=hp["vision_feature_layer"], tie_word_embeddings=False)
    return LlavaForConditionalGeneration(cfg)


# ---------------------------------------------------------------- data
def pixel_tensor(imgs):
    """uint8 [B,32,32,3] -> normalized float [B,3,32,32] (== CLIPImageProcessor here)."""
    x = torch.from_numpy(np.stack(imgs)).float().div_(255.0).permute(0, 3, 1, 2)
    m = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    s = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    return (x - m) / s


def prompt_text(inst, order, instruction, options):
    """options = (x, y): order 0 -> A=x, B=y; order 1 -> swapped."""
    a, b = options if order == 0 else options[::-1]
    return PROMPT["template"].format(context=inst["context"], instruction=PROMPT["instructions"][instruction],
                                     question=inst["question"], option_a=a, option_b=b)


def options_of(inst):
    """(vision option, other option); for non-conflict the other is the distractor."""
    m = inst["meta"]
    if m["kind"] == "conflict":
        return inst["answer_vision"], inst["answer_text"]
    return inst["answer_vision"], m["distractor"]


def aux_targets(inst):
    """Per-slot (color 0..6, shape 0..5, size 0..2; 0 = empty) + image level (0..3)."""
    t = []
    objs = {o["position"]: o for o in inst["meta"]["objects"]} if inst["meta"]["kind"] != "text_only" else {}
    for slot in G.SLOTS:
        o = objs.get(slot)
        if o is None:
            t += [0, 0, 0]
        else:
            t += [1 + list(G.COLORS).index(o["color"]), 1 + G.SHAPES.index(o["shape"]),
                  1 + list(G.SIZES).index(o["size"])]
    t.append(["clear", "noisy", "very_noisy", "blank"].index(inst["meta"]["image_reliability"]))
    return t


AUX_SIZES = [7, 6, 3] * 4 + [4]


def patch_targets(inst):
    """Per image patch (8x8 grid of 4x4 pixels): color (0 = background, 1..6), shape (0, 1..5),
    size (0, 1..2), slot (0, 1..4) of the object covering most of the patch (>= 3 of its 16 pixels)."""
    from PIL import ImageDraw
    t = np.zeros((4, 8, 8), dtype=np.int64)
    if inst["meta"]["kind"] == "text_only":
        return t.reshape(4, 64)
    im = Image.new("L", (G.IMG * G.SUPER, G.IMG * G.SUPER), 0)
    d = ImageDraw.Draw(im)
    objs = inst["meta"]["objects"]
    for k, o in enumerate(objs):
        cx, cy = G.SLOTS[o["position"]]
        G.draw_shape(d, o["shape"], cx + o["jitter"][0], cy + o["jitter"][1], G.SIZES[o["size"]], k + 1)
    lab = np.asarray(im).reshape(8, 16, 8, 16).transpose(0, 2, 1, 3).reshape(8, 8, 256)
    for y in range(8):
        for x in range(8):
            counts = np.bincount(lab[y, x], minlength=len(objs) + 1)
            counts[0] = 0
            k = int(counts.argmax())
            if counts[k] >= 48:  # >= 3 of 16 pixels at 4x super-sampling
                o = objs[k - 1]
                t[:, y, x] = [1 + list(G.COLORS).index(o["color"]), 1 + G.SHAPES.index(o["shape"]),
                              1 + list(G.SIZES).index(o["size"]), 1 + list(G.SLOTS).index(o["position"])]
    return t.reshape(4, 64)


def make_example(inst, rng, instruction=None, order=None):
    """Sample instruction/order and the target letter for one presentation."""
    if instruction is None:
        instruction = ["none", "vision", "text"][rng.randrange(3)]
    if order is None:
        order = rng.randrange(2)
    inst["_order"] = order
    inst["_instr"] = instruction
    m = inst["meta"]
    if m["kind"] == "conflict":
        follow = m["rule"][instruction]
        if follow == "either":
            follow = "vision" if rng.random() < 0.5 else "text"
        vision_target = follow == "vision"
    else:
        vision_target = True  # option 0 is the true answer
    letter = "A" if (vision_target == (order == 0)) else "B"
    return prompt_text(inst, order, instruction, options_of(inst)), letter


class Batcher:
    def __init__(self, tokenizer):
        self.tok = tokenizer
        self.a_id = tokenizer.convert_tokens_to_ids("A")
        self.b_id = tokenizer.convert_tokens_to_ids("B")

    def encode(self, texts):
        texts = [t.replace("<image>", "<image>" * N_IMAGE_TOKENS) for t in texts]
        enc = self.tok(texts, add_special_tokens=True)["input_ids"]
        L = max(len(e) for e in enc)
        ids = torch.zeros(len(enc), L, dtype=torch.long)
        mask = torch.zeros(len(enc), L, dtype=torch.long)
        for i, e in enumerate(enc):
            ids[i, :len(e)] = torch.tensor(e)
            mask[i, :len(e)] = 1
        last = mask.sum(1) - 1
        return ids, mask, last


def answer_logits(model, ids, mask, last, pix, mid_layer=None):
    out = model.model(input_ids=ids, attention_mask=mask, pixel_values=pix, output_hidden_states=mid_layer is not None)
    h = out.last_hidden_state[torch.arange(ids.shape[0]), last]
    if mid_layer is None:
        return model.lm_head(h)
    return model.lm_head(h), out.hidden_states


# option-word positions counted back from the last prompt token (":" of "Answer:"):
# ... A . <optA> B . <optB> Answer :
OPT_A_BACK, OPT_B_BACK = 5, 2
# the question's key word (the object referred to), counted back from the last prompt token
KEY_BACK = {"color": 9, "positional_reasoning": 9, "attribute": 9, "object_recognition": 10, "counting": 12}
ALL_ANSWERS = list(G.COLORS) + G.NUMBERS + list(G.SLOTS) + G.SHAPES + list(G.SIZES)


def key_target(inst):
    """What the image answers (index in ALL_ANSWERS), -100 for a blank image."""
    if inst["meta"]["kind"] == "text_only":
        return -100
    return ALL_ANSWERS.index(inst["answer_vision"])


def option_targets(inst, order):
    """For options (A, B): text relation (0 claimed by the context, 1 not claimed, 2 neutral context)
    and image relation (1 = what the image shows, 0 = not, -100 = blank image)."""
    m = inst["meta"]
    x, y = options_of(inst)
    opts = (x, y) if order == 0 else (y, x)
    t = []
    for o in opts:
        if m["kind"] == "image_only":
            tr = 2
        else:
            tr = 0 if o == inst["answer_text"] else 1
        ir = -100 if m["kind"] == "text_only" else int(o == inst["answer_vision"])
        t += [tr, ir]
    return t


# ---------------------------------------------------------------- eval
@torch.no_grad()
def quick_eval(model, batcher, insts, imgs, bs=64):
    """Agreement with the rule on deterministic conflict cells + non-conflict accuracy."""
    model.eval()
    rng = random.Random(0)
    stats = {}
    for instr in ["none", "vision", "text"]:
        for order in [0, 1]:
            for s in range(0, len(insts), bs):
                chunk = list(range(s, min(s + bs, len(insts))))
                sel = [i for i in chunk if instr == "none" or insts[i]["meta"]["kind"] == "conflict"]
                if not sel:
                    continue
                texts, letters = zip(*[make_example(insts[i], rng, instr, order) for i in sel])
                ids, mask, last = batcher.encode(list(texts))
                lg = answer_logits(model, ids, mask, last, pixel_tensor([imgs[i] for i in sel]))
                pred = lg.argmax(-1)
                for j, i in enumerate(sel):
                    m = insts[i]["meta"]
                    p = pred[j].item()
                    pl = "A" if p == batcher.a_id else "B" if p == batcher.b_id else "other"
                    if m["kind"] == "conflict":
                        key = f"conflict/{instr}"
                        vis_letter = "A" if order == 0 else "B"
                        d = stats.setdefault(key, [0, 0, 0, 0])  # rule-agree, rule-n, vision, vision+text
                        if pl != "other":
                            d[3] += 1
                            d[2] += pl == vis_letter
                        if m["rule"][instr] != "either":
                            d[1] += 1
                            d[0] += pl == letters[j]
                    else:
                        d = stats.setdefault(m["kind"], [0, 0])
                        d[1] += 1
                        d[0] += pl == letters[j]
    model.train()
    parts = []
    for k, v in sorted(stats.items()):
        if k.startswith("conflict"):
            parts.append(f"{k}: rule-acc {v[0] / max(v[1], 1):.3f} vis-ratio {v[2] / max(v[3], 1):.3f}")
        else:
            parts.append(f"{k}: acc {v[0] / max(v[1], 1):.3f}")
    return "; ".join(parts), stats


def load_split(path):
    insts, imgs = [], []
    base = os.path.dirname(path)
    for line in open(path):
        r = json.loads(line)
        insts.append(r)
        imgs.append(np.asarray(Image.open(os.path.join(base, r["image"])).convert("RGB")))
    return insts, imgs


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--data", default="samples/data")
    ap.add_argument("--out", default="samples/model")
    ap.add_argument("--fresh", type=int, default=40000, help="number of on-the-fly generated instances")
    ap.add_argument("--fresh-offset", type=int, default=0, help="first fresh-instance index (use a new range per stage)")
    ap.add_argument("--steps", type=int, default=4400)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--aux-weight", type=float, default=0.5)
    ap.add_argument("--option-aux-weight", type=float, default=1.0,
                    help="weight of the auxiliary option-relation loss (mid-layer hidden state at the option words)")
    ap.add_argument("--key-aux-weight", type=float, default=1.0,
                    help="weight of the auxiliary object look-up loss (hidden state at the question's key word)")
    ap.add_argument("--instr-aux-weight", type=float, default=0.5,
                    help="weight of the auxiliary instruction-type loss (middle layer, last prompt token)")
    ap.add_argument("--patch-aux-weight", type=float, default=1.0,
                    help="weight of the auxiliary per-patch object loss (colour/shape/size of the object under "
                         "each of the 64 image features)")
    ap.add_argument("--vision-warmup", type=int, default=150, help="vision-only aux steps before joint training")
    ap.add_argument("--text-hidden", type=int, default=128)
    ap.add_argument("--text-layers", type=int, default=8)
    ap.add_argument("--text-intermediate", type=int, default=352)
    ap.add_argument("--vision-hidden", type=int, default=96)
    ap.add_argument("--vision-layers", type=int, default=3)
    ap.add_argument("--vision-feature-layer", type=int, default=-1)
    ap.add_argument("--max-minutes", type=float, default=44.0, help="stop early (cosine schedule is time-aware)")
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--init-from", default=None,
                    help="continue training from a saved model folder (second stage)")
    ap.add_argument("--threads", type=int, default=2,
                    help="torch threads (2 on an idle 2-core machine: 0.49 s/step vs 0.82 with 1; on a loaded machine OpenMP "
                         "threads thrash, up to 10x slower, and the time budget then ends the run early)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    rng = random.Random(a.seed)
    t0 = time.time()
    hp = dict(text_hidden=a.text_hidden, text_layers=a.text_layers, text_intermediate=a.text_intermediate,
              vision_hidden=a.vision_hidden, vision_layers=a.vision_layers,
              vision_feature_layer=a.vision_feature_layer)

    tokenizer = build_tokenizer()
    processor = build_processor(tokenizer)
    if a.init_from:
        from transformers import LlavaForConditionalGeneration
        model = LlavaForConditionalGeneration.from_pretrained(a.init_from, dtype=torch.float32)
        prev = json.load(open(os.path.join(a.init_from, "TRAINING.json")))
    else:
        model = build_model(len(tokenizer), hp)
        prev = None
    model.train()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"vocab {len(tokenizer)}  params {n_params / 1e6:.2f}M", flush=True)
    batcher = Batcher(tokenizer)

    # sanity: our encoding == LlavaProcessor's
    tr_insts, tr_imgs = load_split(os.path.join(a.data, "train.jsonl"))
    txt, _ = make_example(tr_insts[0], random.Random(0), "vision", 0)
    pe = processor(images=Image.fromarray(tr_imgs[0]), text=txt, return_tensors="pt")
    ids, _, _ = batcher.encode([txt])
    assert torch.equal(pe["input_ids"], ids), "tokenization mismatch with LlavaProcessor"
    assert torch.allclose(pe["pixel_values"], pixel_tensor([tr_imgs[0]]), atol=1e-5), "pixel mismatch"
    assert (ids == 4).sum() == N_IMAGE_TOKENS and (ids == 1).sum() == 0

    print(f"generating {a.fresh} fresh instances ...", flush=True)
    pool_insts, pool_imgs = list(tr_insts), list(tr_imgs)
    for i in range(a.fresh_offset, a.fresh_offset + a.fresh):
        inst, img = G.fresh_instance(a.seed, i)
        pool_insts.append(inst)
        pool_imgs.append(img)
    cal_insts, cal_imgs = load_split(os.path.join(a.data, "calib.jsonl"))
    cal_insts, cal_imgs = cal_insts[:300], cal_imgs[:300]
    aux_t = torch.tensor([aux_targets(x) for x in pool_insts])
    patch_t = torch.from_numpy(np.stack([patch_targets(x) for x in pool_insts])) if a.patch_aux_weight else None
    print(f"data ready in {time.time() - t0:.0f}s; pool {len(pool_insts)}", flush=True)

    # auxiliary scene-reading head on the features fed to the projector (not saved)
    vh = a.vision_hidden
    aux_head = nn.Sequential(nn.Flatten(), nn.Linear(N_IMAGE_TOKENS * vh, sum(AUX_SIZES)))
    captured = {}
    model.model.multi_modal_projector.register_forward_pre_hook(lambda mod, args: captured.__setitem__("f", args[0]))

    patch_head = nn.Linear(vh, 7 + 6 + 3 + 5)  # discarded

    def aux_loss(feats, idx):
        if patch_t is not None:
            pl = patch_head(feats)  # [B, 64, 16]
            pt = patch_t[idx]  # [B, 3, 64]
            lp = (F.cross_entropy(pl[..., :7].reshape(-1, 7), pt[:, 0].reshape(-1))
                  + F.cross_entropy(pl[..., 7:13].reshape(-1, 6), pt[:, 1].reshape(-1))
                  + F.cross_entropy(pl[..., 13:16].reshape(-1, 3), pt[:, 2].reshape(-1))
                  + F.cross_entropy(pl[..., 16:].reshape(-1, 5), pt[:, 3].reshape(-1)))
            extra = a.patch_aux_weight / max(a.aux_weight, 1e-6) * lp
        else:
            extra = 0.0
        logits = aux_head(feats)
        tg = aux_t[idx]
        loss, o = 0.0, 0
        for k, n in enumerate(AUX_SIZES):
            loss = loss + F.cross_entropy(logits[:, o:o + n], tg[:, k])
            o += n
        return loss / len(AUX_SIZES) + extra

    def vision_feats(pix):
        vo = model.model.vision_tower(pix, output_hidden_states=True)
        return vo.hidden_states[a.vision_feature_layer][:, 1:]

    # stage 0: vision warm-up (vision tower + aux head only)
    if a.vision_warmup:
        opt0 = torch.optim.AdamW(list(model.model.vision_tower.parameters()) + list(aux_head.parameters())
                                 + list(patch_head.parameters()), lr=2e-3)
        for step in range(a.vision_warmup):
            idx = [rng.randrange(len(pool_insts)) for _ in range(128)]
            loss = aux_loss(vision_feats(pixel_tensor([pool_imgs[i] for i in idx])), idx)
            opt0.zero_grad()
            loss.backward()
            opt0.step()
            if step % 50 == 0 or step == a.vision_warmup - 1:
                print(f"[vision warm-up {step}] aux {loss.item():.3f}  {time.time() - t0:.0f}s", flush=True)

    mid = a.text_layers // 2
    opt_head = nn.Linear(a.text_hidden, 3 + 2)  # text relation (3) + image relation (2); discarded
    key_head = nn.Linear(a.text_hidden, len(ALL_ANSWERS))  # object look-up at the key word; discarded
    key_layer = max(1, mid - 1)
    instr_head = nn.Linear(a.text_hidden, 3)  # none / vision / text at the last token; discarded
    params = (list(model.parameters()) + list(aux_head.parameters()) + list(patch_head.parameters())
              + list(opt_head.parameters())
              + list(key_head.parameters()) + list(instr_head.parameters()))
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.01, betas=(0.9, 0.98))
    warm = 100
    t_train = time.time()
    budget = a.max_minutes * 60 - (t_train - t0)
    step, ema, ema_aux = 0, None, None
    history = []
    while step < a.steps:
        # time-aware schedule: progress = max(step fraction, time fraction)
        frac = max(step / a.steps, (time.time() - t_train) / budget)
        if frac >= 1.0:
            print(f"time budget reached at step {step}", flush=True)
            break
        lr = a.lr * min(1.0, (step + 1) / warm) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        idx = [rng.randrange(len(pool_insts)) for _ in range(a.batch)]
        exs = []
        for i in idx:  # record the sampled order / instruction right away (an instance may repeat in a batch)
            txt, let = make_example(pool_insts[i], rng)
            exs.append((txt, let, pool_insts[i]["_order"], pool_insts[i]["_instr"]))
        texts, letters, orders, instrs = zip(*exs)
        ids, mask, last = batcher.encode(list(texts))
        target = torch.tensor([batcher.a_id if l == "A" else batcher.b_id for l in letters])
        lg, hs = answer_logits(model, ids, mask, last, pixel_tensor([pool_imgs[i] for i in idx]), True)
        hmid = hs[mid]
        kpos = last - torch.tensor([KEY_BACK[pool_insts[i]["task"]] for i in idx])
        kt = torch.tensor([key_target(pool_insts[i]) for i in idx])
        loss_key = F.cross_entropy(key_head(hs[key_layer][torch.arange(len(idx)), kpos]), kt, ignore_index=-100)
        loss_ans = F.cross_entropy(lg, target)
        loss_aux = aux_loss(captured["f"], idx)
        ot = torch.tensor([option_targets(pool_insts[i], o) for i, o in zip(idx, orders)])
        ar = torch.arange(len(idx))
        ha = opt_head(hmid[ar, last - OPT_A_BACK])
        hb = opt_head(hmid[ar, last - OPT_B_BACK])
        loss_opt = (F.cross_entropy(ha[:, :3], ot[:, 0]) + F.cross_entropy(hb[:, :3], ot[:, 2])
                    + F.cross_entropy(ha[:, 3:], ot[:, 1], ignore_index=-100)
                    + F.cross_entropy(hb[:, 3:], ot[:, 3], ignore_index=-100)) / 4
        it = torch.tensor([["none", "vision", "text"].index(x) for x in instrs])
        loss_instr = F.cross_entropy(instr_head(hmid[torch.arange(len(idx)), last]), it)
        loss = (loss_ans + a.aux_weight * loss_aux + a.option_aux_weight * loss_opt + a.key_aux_weight * loss_key
                + a.instr_aux_weight * loss_instr)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        ema = loss_ans.item() if ema is None else 0.98 * ema + 0.02 * loss_ans.item()
        ema_aux = loss_aux.item() if ema_aux is None else 0.98 * ema_aux + 0.02 * loss_aux.item()
        ema_opt = loss_opt.item() if step == 1 else 0.98 * ema_opt + 0.02 * loss_opt.item()
        ema_key = loss_key.item() if step == 1 else 0.98 * ema_key + 0.02 * loss_key.item()
        if step % 50 == 0:
            el = time.time() - t_train
            print(f"step {step} loss {ema:.4f} aux {ema_aux:.3f} opt {ema_opt:.3f} key {ema_key:.3f} lr {lr:.2e} {el:.0f}s ({step * a.batch / el:.1f} ex/s)",
                  flush=True)
        if step % a.eval_every == 0:
            msg, _ = quick_eval(model, batcher, cal_insts, cal_imgs)
            print(f"[eval calib@{step}] {msg}", flush=True)
            history.append({"step": step, "loss": ema, "calib": msg})
    train_seconds = time.time() - t0
    msg, _ = quick_eval(model, batcher, cal_insts, cal_imgs)
    print(f"[final eval calib] {msg}", flush=True)

    os.makedirs(a.out, exist_ok=True)
    model.eval()
    model.save_pretrained(a.out, safe_serialization=True)
    processor.save_pretrained(a.out)
    with open(os.path.join(a.out, "prompt.json"), "w") as f:
        json.dump(PROMPT, f, indent=2)
        f.write("\n")
    info = {
        "seed": a.seed, "command": "python3 " + " ".join(sys.argv),
        "hyperparameters": {**hp, "steps_planned": a.steps, "steps_done": step, "batch": a.batch, "lr": a.lr,
                            "optimizer": "AdamW(betas=(0.9,0.98), weight_decay=0.01), grad clip 1.0",
                            "schedule": "linear warm-up 100 steps, cosine to 5% (time-aware)",
                            "aux_weight": a.aux_weight, "option_aux_weight": a.option_aux_weight,
                            "key_aux_weight": a.key_aux_weight,
                            "instr_aux_weight": a.instr_aux_weight,
                            "patch_aux_weight": a.patch_aux_weight, "vision_warmup_steps": a.vision_warmup,
                            "fresh_instances": a.fresh, "fresh_offset": a.fresh_offset, "max_minutes": a.max_minutes},
        "data": {"shipped_train": len(tr_insts), "fresh_generator": "gen_data.fresh_instance(seed, i), split code 9",
                 "instruction_mix": "none/vision/text 1/3 each", "option_order": "random 50/50"},
        "init_from": a.init_from, "previous_stage": prev,
        "parameters": n_params, "train_seconds": round(train_seconds, 1), "threads": a.threads,
        "torch": torch.__version__, "final_calib_eval": msg, "history": history,
    }
    with open(os.path.join(a.out, "TRAINING.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    print(f"saved to {a.out} in {train_seconds / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
