#!/usr/bin/env python3
"""Make tiny random-weight LLaVA checkpoints and dump Hugging Face transformers' reference outputs.

Run from the repository root:

    python3 tools/make_fixtures.py [--out Tests/AMPSModelTests/Fixtures]

Pinned versions: tools/requirements.txt (transformers 5.24.0, torch 2.13.0+cpu, tokenizers 0.23.3).
The output is deterministic (fixed seeds, single-threaded torch, eager attention).

For every case <out>/<case>/ holds exactly what LlavaForConditionalGeneration.save_pretrained and
LlavaProcessor.save_pretrained write, plus image.png, expected.json and expected.safetensors. <out>/ also
gets tokenizer_cases.json. See tools/README.md for the meaning of every key and tensor.

Conventions used in expected.json / expected.safetensors:
  * token positions are 0-based indices into the *expanded* input_ids (BOS at 0, one id per image token);
  * "T" = len(input_ids), "D" = text hidden size, "V" = vocab size, "L" = number of decoder layers;
  * layer_out.{l} is the output of decoder layer l (residual stream after the layer, no final norm);
  * steering adds steer_scale * steer_vector to the output of each layer in steer_layers at the given
    positions; KV noise is added to the outputs of self_attn.k_proj / self_attn.v_proj (before RoPE and
    before the head reshape) of layer kv_layer; residual noise is added to the input of decoder layer
    resid_layer (i.e. to layer_out.{resid_layer-1}, or to embeds when resid_layer == 0).

Besides writing files, the script checks (and fails loudly otherwise):
  * pixel_values == (x/255 - mean)/std computed by hand (same float32 op order as transformers);
  * an independent float64 re-implementation of CLIP vision + projector + Llama decoder (written from the
    saved model.safetensors, no transformers modules) matches image_features, embeds, layer_out.*, logits,
    the steered logits, the KV-noise logits and the residual-noise logits;
  * hidden_states tuple layout vs. the forward hooks;
  * greedy generate() (KV cache) == a naive greedy loop without cache, for plain and steered generation;
  * perturbed logits differ from the clean logits (fixtures are not degenerate);
  * reloading each folder with from_pretrained reproduces every dumped tensor and id bit-for-bit.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors import safe_open
from safetensors.torch import save_file
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

import transformers
from transformers import (
    CLIPImageProcessorPil,
    CLIPVisionConfig,
    LlamaConfig,
    LlavaConfig,
    LlavaForConditionalGeneration,
    LlavaProcessor,
    PreTrainedTokenizerFast,
)
from transformers.models.llama.modeling_llama import LlamaRMSNorm

transformers.logging.set_verbosity_error()
torch.set_num_threads(1)

ATTN_IMPL = "eager"
EXPECTED_TRANSFORMERS = "5.24.0"

# --------------------------------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------------------------------

SPECIAL_TOKENS = ["<pad>", "<unk>", "<s>", "</s>", "<image>"]  # ids 0..4
IMAGE_TOKEN = "<image>"
WORDS = (  # 60 words
    "Text context Question Answer The What "
    "the a red blue green yellow purple "
    "ball cube box sphere cone "
    "is are left right of above below next to and or "
    "what which color shape small large how many "
    "there in this image picture shows "
    "fish first find office "
    "1 2 3 "
    ". , : ? ! ' ( ) - \""
).split()

PROMPT = (
    "<image>\nText context: the red ball is left of the cube .\n"
    "Question: what color is the ball ?\nAnswer:"
)

TOKENIZER_CASE_STRINGS = [
    "",
    " ",
    "the red ball",
    "The red ball is left of the cube.",
    "Question: what color is the ball?\nAnswer:",
    PROMPT,
    "<image>",
    "<image><image><image>",
    "<image> <image>",
    "look at <image> please",
    "red<image>ball",
    "<s>",
    "<s> the ball </s>",
    "the<s>ball",
    "</s></s>",
    "<pad> <unk>",
    "<unk>",
    "<imag> <image",
    "<IMAGE>",
    "the   red    ball",
    "  leading and trailing spaces  ",
    "\tthe\tball\t",
    "line one\nline two\n\nline four",
    "\r\nwindows\r\nnewlines",
    "what?!",
    "what ?!",
    "hello... world",
    "a,b,c",
    "((the ball))",
    "--",
    "'quoted' \"double\"",
    "the ball's color",
    "left-right",
    "zebra giraffe",
    "Red RED red",
    "the cube!!!",
    "1 2 3 123 4",
    "one1two2",
    "\uff54\uff48\uff45 \uff52\uff45\uff44 \uff42\uff41\uff4c\uff4c",  # full-width "the red ball"
    "\uff32\uff45\uff44",  # full-width "Red"
    "\ufb01sh",  # "fish" with fi ligature
    "\ufb01rst \ufb01nd",  # fi ligatures
    "o\ufb03ce",  # "office" with ffi ligature
    "\u2460 \u2461 \u2462",  # circled digits -> 1 2 3
    "x\u00b2",  # superscript two
    "\uff1f",  # full-width question mark
    "what color\uff1f",
    "caf\u00e9",
    "cafe\u0301",  # decomposed e + combining acute (NFKC composes)
    "na\u00efve",
    "\u00a0the\u00a0ball\u00a0",  # no-break spaces
    "the\u3000ball",  # ideographic space
    "\u2026",  # ellipsis -> "..."
    "\u65e5\u672c\u8a9e",
    "emoji \U0001f600 here",
    "tab\tand\u2003em space",
    "is the cube above or below the sphere?",
    "How many balls are there in this picture?",
    "the_red_ball",
    "x=1+2",
    "\u2122 \u00bd",  # trademark, one-half
    "The image shows a small yellow cone next to a large purple box.",
]

# --------------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------------

BASE_TEXT = dict(hidden_size=64, num_hidden_layers=3, num_attention_heads=4, intermediate_size=96,
                 max_position_embeddings=256)
BASE_VISION = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                   image_size=16, patch_size=4, hidden_act="quick_gelu", projection_dim=32)

CASES = [
    dict(name="llava_clip_llama_default", seed=1001, vision_feature_layer=-2,
         vision_feature_select_strategy="default", num_key_value_heads=2, rope_theta=10000.0,
         rms_norm_eps=1e-6),
    dict(name="llava_clip_llama_full", seed=2002, vision_feature_layer=-1,
         vision_feature_select_strategy="full", num_key_value_heads=4, rope_theta=5000.0,
         rms_norm_eps=1e-5),
    dict(name="llava_clip_llama_multilayer", seed=3003, vision_feature_layer=[-3, -1],
         vision_feature_select_strategy="default", num_key_value_heads=2, rope_theta=10000.0,
         rms_norm_eps=1e-6),
]

HOOKS = dict(
    max_new_tokens=8,
    steer_layers=[1, 2],
    steer_scale=4.0,
    steer_vector_norm=4.0,
    kv_layer=1,
    kv_noise_std=0.5,
    num_noise_samples=4,
    resid_layer=1,
    resid_noise_std=1.0,
    top_k=5,
)


def build_tokenizer() -> PreTrainedTokenizerFast:
    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS)}
    for w in WORDS:
        assert w not in vocab, f"duplicate word {w!r}"
        vocab[w] = len(vocab)
    tk = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tk.normalizer = normalizers.Sequence([normalizers.NFKC()])
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 2)])
    tk.add_special_tokens(SPECIAL_TOKENS)
    for i, t in enumerate(SPECIAL_TOKENS):
        assert tk.token_to_id(t) == i
    return PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="<s>", eos_token="</s>",
                                   unk_token="<unk>", pad_token="<pad>")


def build_processor(strategy: str) -> LlavaProcessor:
    # Without torchvision, transformers 5.24's CLIPImageProcessor *is* this PIL backend (it falls back to it);
    # importing it directly just avoids the fallback warning. It is saved as "CLIPImageProcessor".
    image_processor = CLIPImageProcessorPil(
        do_resize=False, do_center_crop=False, do_rescale=True, rescale_factor=1 / 255,
        do_normalize=True, do_convert_rgb=True,
    )
    return LlavaProcessor(image_processor=image_processor, tokenizer=build_tokenizer(), patch_size=4,
                          vision_feature_select_strategy=strategy, num_additional_image_tokens=1,
                          image_token=IMAGE_TOKEN)


def build_config(case: dict, vocab_size: int, num_image_tokens: int) -> LlavaConfig:
    text = LlamaConfig(
        vocab_size=vocab_size, num_key_value_heads=case["num_key_value_heads"],
        rope_parameters={"rope_type": "default", "rope_theta": case["rope_theta"]},
        rms_norm_eps=case["rms_norm_eps"], tie_word_embeddings=False,
        bos_token_id=2, eos_token_id=3, pad_token_id=0, **BASE_TEXT,
    )
    vision = CLIPVisionConfig(**BASE_VISION)
    return LlavaConfig(
        vision_config=vision, text_config=text, image_token_index=SPECIAL_TOKENS.index(IMAGE_TOKEN),
        vision_feature_layer=case["vision_feature_layer"],
        vision_feature_select_strategy=case["vision_feature_select_strategy"],
        projector_hidden_act="gelu", image_seq_length=num_image_tokens, tie_word_embeddings=False,
    )


@torch.no_grad()
def scale_up_init(model: torch.nn.Module, gen: torch.Generator) -> None:
    """Big random weights so activations/logits are far from zero and differences are meaningful."""

    def normal_(p, std, mean=0.0):
        p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float32) * std + mean)

    seen = set()
    token_embedding = model.get_input_embeddings()
    for _, mod in model.named_modules():
        if mod is token_embedding:
            # std 1 (norm ~8) so text embeddings are not dwarfed by the projected image features (norm ~15-25)
            normal_(mod.weight, 1.0)
            seen.add(id(mod.weight))
        elif isinstance(mod, (torch.nn.Linear, torch.nn.Embedding, torch.nn.Conv2d)):
            normal_(mod.weight, 0.2)
            seen.add(id(mod.weight))
            if getattr(mod, "bias", None) is not None:
                normal_(mod.bias, 0.1)
                seen.add(id(mod.bias))
        elif isinstance(mod, torch.nn.LayerNorm):
            normal_(mod.weight, 0.1, 1.0)
            normal_(mod.bias, 0.1)
            seen.update({id(mod.weight), id(mod.bias)})
        elif isinstance(mod, LlamaRMSNorm):
            normal_(mod.weight, 0.1, 1.0)
            seen.add(id(mod.weight))
    for name, p in model.named_parameters():
        if id(p) not in seen:  # e.g. CLIP class_embedding
            normal_(p, 0.2)
            seen.add(id(p))
    # Damp the lm_head rows of the special tokens (<pad> <unk> <s> </s> <image>) so greedy generation with
    # these random weights produces ordinary words for all 8 steps (no early EOS, no generated <image>).
    model.lm_head.weight[: len(SPECIAL_TOKENS)] *= 0.05
    for name, p in model.named_parameters():
        assert p.dtype == torch.float32, name


def make_image(seed: int, size: int) -> np.ndarray:
    rs = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) / (size - 1)
    base = np.stack([255 * xx, 255 * yy, 255 * (1 - xx) * yy], axis=-1)
    noisy = base * 0.5 + rs.randint(0, 256, (size, size, 3)) * 0.5
    return np.clip(np.round(noisy), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------------------------------
# transformers computations (all via hooks on the real modules)
# --------------------------------------------------------------------------------------------------


def decoder_layers(model):
    # transformers 5.x: LlavaForConditionalGeneration.model (LlavaModel).language_model (LlamaModel).layers
    return model.model.language_model.layers


def final_norm(model):
    return model.model.language_model.norm


class Hooks:
    def __init__(self):
        self.handles = []

    def add(self, h):
        self.handles.append(h)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for h in self.handles:
            h.remove()
        self.handles.clear()


def steer_hook(vec: torch.Tensor, scale: float, positions: list[int] | None):
    def hook(module, args, output):
        assert isinstance(output, torch.Tensor), type(output)
        out = output.clone()
        if positions is None:  # every position the layer sees (prompt + each generated token)
            out += scale * vec
        else:
            out[:, positions, :] += scale * vec
        return out
    return hook


def add_at_positions_hook(noise: torch.Tensor, positions: list[int]):
    """Forward hook adding noise [P, C] to output[0, positions, :]."""
    def hook(module, args, output):
        out = output.clone()
        out[0, positions, :] += noise
        return out
    return hook


def resid_pre_hook(noise: torch.Tensor, positions: list[int]):
    def hook(module, args, kwargs):
        if args:
            hs = args[0].clone()
            hs[0, positions, :] += noise
            return (hs, *args[1:]), kwargs
        hs = kwargs["hidden_states"].clone()
        hs[0, positions, :] += noise
        kwargs = dict(kwargs, hidden_states=hs)
        return args, kwargs
    return hook


@torch.no_grad()
def last_logits(model, inputs) -> torch.Tensor:
    out = model(**inputs, use_cache=False)
    return out.logits[0, -1].clone()


@torch.no_grad()
def greedy_generate(model, inputs, max_new_tokens) -> list[int]:
    out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
    return out[0, inputs["input_ids"].shape[1]:].tolist()


@torch.no_grad()
def naive_greedy(model, inputs, max_new_tokens, eos_id) -> list[int]:
    ids = inputs["input_ids"]
    new = []
    for _ in range(max_new_tokens):
        logits = model(input_ids=ids, attention_mask=torch.ones_like(ids),
                       pixel_values=inputs["pixel_values"], use_cache=False).logits[0, -1]
        nxt = int(torch.argmax(logits))
        new.append(nxt)
        ids = torch.cat([ids, torch.tensor([[nxt]])], dim=1)
        if nxt == eos_id:
            break
    return new


@torch.no_grad()
def compute_all(model, inputs, params: dict, rand: dict, check_naive: bool = False) -> tuple[dict, dict, tuple]:
    """Every reference tensor/id list for one case. `rand` holds the (pre-drawn) steer vector and noises."""
    layers = decoder_layers(model)
    L = len(layers)
    T = inputs["input_ids"].shape[1]
    tensors: dict[str, torch.Tensor] = {}
    ids: dict[str, list] = {}

    tensors["pixel_values"] = inputs["pixel_values"][0].clone()
    feats = model.model.get_image_features(pixel_values=inputs["pixel_values"]).pooler_output
    assert len(feats) == 1
    tensors["image_features"] = feats[0].clone()

    captured = {}
    with Hooks() as hk:
        hk.add(layers[0].register_forward_pre_hook(
            lambda m, a, k: captured.__setitem__("embeds", (a[0] if a else k["hidden_states"])[0].clone()),
            with_kwargs=True))
        for l in range(L):
            hk.add(layers[l].register_forward_hook(
                lambda m, a, o, l=l: captured.__setitem__(f"layer_out.{l}", o[0].clone())))
        out = model(**inputs, use_cache=False, output_hidden_states=True)
    tensors["embeds"] = captured["embeds"]
    for l in range(L):
        tensors[f"layer_out.{l}"] = captured[f"layer_out.{l}"]
    tensors["logits"] = out.logits[0, -1].clone()
    hidden_states = out.hidden_states
    for l in range(L):
        h = tensors[f"layer_out.{l}"][-1]
        tensors[f"lens_logits.{l}"] = model.lm_head(final_norm(model)(h[None]))[0].clone()

    top = torch.topk(tensors["logits"], params["top_k"])
    ids["top_tokens"] = top.indices.tolist()
    ids["top_logits"] = [float(v) for v in top.values]

    eos = model.config.text_config.eos_token_id
    ids["generated_ids"] = greedy_generate(model, inputs, params["max_new_tokens"])
    assert len(ids["generated_ids"]) == params["max_new_tokens"] and min(ids["generated_ids"]) >= len(SPECIAL_TOKENS)
    if check_naive:
        naive = naive_greedy(model, inputs, params["max_new_tokens"], eos)
        assert naive == ids["generated_ids"], (naive, ids["generated_ids"])

    # ---- steering
    vec = rand["steer_vector"]
    tensors["steer_vector"] = vec.clone()
    for name, positions in (("all", params["steer_positions_all"]), ("last3", params["steer_positions_last3"])):
        with Hooks() as hk:
            for l in params["steer_layers"]:
                hk.add(layers[l].register_forward_hook(steer_hook(vec, params["steer_scale"], positions)))
            tensors[f"logits_steered_{name}"] = last_logits(model, inputs)
    with Hooks() as hk:
        for l in params["steer_layers"]:
            hk.add(layers[l].register_forward_hook(steer_hook(vec, params["steer_scale"], None)))
        ids["generated_ids_steered"] = greedy_generate(model, inputs, params["max_new_tokens"])
        assert len(ids["generated_ids_steered"]) == params["max_new_tokens"]
        assert min(ids["generated_ids_steered"]) >= len(SPECIAL_TOKENS)
        if check_naive:
            naive = naive_greedy(model, inputs, params["max_new_tokens"], eos)
            assert naive == ids["generated_ids_steered"], (naive, ids["generated_ids_steered"])

    # ---- KV noise (image positions and text positions), one sample at a time
    attn = layers[params["kv_layer"]].self_attn
    for prefix, pos_key in (("kv", "kv_positions"), ("kv_text", "kv_text_positions")):
        nk, nv = rand[f"{prefix}_noise_k"], rand[f"{prefix}_noise_v"]
        tensors[f"{prefix}_noise_k"], tensors[f"{prefix}_noise_v"] = nk.clone(), nv.clone()
        rows = []
        for n in range(nk.shape[0]):
            with Hooks() as hk:
                hk.add(attn.k_proj.register_forward_hook(add_at_positions_hook(nk[n], params[pos_key])))
                hk.add(attn.v_proj.register_forward_hook(add_at_positions_hook(nv[n], params[pos_key])))
                rows.append(last_logits(model, inputs))
        tensors[f"logits_{prefix}_noise"] = torch.stack(rows)

    # ---- residual noise entering layer resid_layer
    rn = rand["resid_noise"]
    tensors["resid_noise"] = rn.clone()
    rows = []
    for n in range(rn.shape[0]):
        with Hooks() as hk:
            hk.add(layers[params["resid_layer"]].register_forward_pre_hook(
                resid_pre_hook(rn[n], params["resid_positions"]), with_kwargs=True))
            rows.append(last_logits(model, inputs))
    tensors["logits_resid_noise"] = torch.stack(rows)

    for k, v in tensors.items():
        assert v.dtype == torch.float32, k
    return {k: v.contiguous() for k, v in tensors.items()}, ids, hidden_states


@torch.no_grad()
def batched_kv_noise(model, inputs, params, nk, nv, positions) -> torch.Tensor:
    """Same KV noise as a batch of N identical prompts (sanity check of the one-by-one result)."""
    N = nk.shape[0]
    attn = decoder_layers(model)[params["kv_layer"]].self_attn

    def mk(noise):
        def hook(module, args, output):
            out = output.clone()
            out[:, positions, :] += noise
            return out
        return hook

    batch = {k: v.repeat(N, *([1] * (v.dim() - 1))) for k, v in inputs.items()}
    with Hooks() as hk:
        hk.add(attn.k_proj.register_forward_hook(mk(nk)))
        hk.add(attn.v_proj.register_forward_hook(mk(nv)))
        return model(**batch, use_cache=False).logits[:, -1].clone()


# --------------------------------------------------------------------------------------------------
# Independent float64 reference (reads model.safetensors; no transformers modules)
# --------------------------------------------------------------------------------------------------


class Ref:
    def __init__(self, folder: str):
        with open(os.path.join(folder, "config.json")) as f:
            self.cfg = json.load(f)
        self.w = {}
        with safe_open(os.path.join(folder, "model.safetensors"), "pt") as f:
            for k in f.keys():
                self.w[k] = f.get_tensor(k).to(torch.float64)

    def g(self, *names):
        for n in names:
            if n in self.w:
                return self.w[n]
        raise KeyError(names)

    def vt(self, suffix):  # vision tower: accept both "vision_tower.vision_model." and "vision_tower."
        return self.g(f"vision_tower.vision_model.{suffix}", f"vision_tower.{suffix}")

    def lm(self, suffix):
        return self.g(f"language_model.model.{suffix}", f"model.language_model.{suffix}")

    @staticmethod
    def ln(x, w, b, eps):
        mu = x.mean(-1, keepdim=True)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)
        return (x - mu) / torch.sqrt(var + eps) * w + b

    @staticmethod
    def rms(x, w, eps):
        return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * w

    def vision_hidden_states(self, pix):  # pix [3,H,W] -> list of [1+N, Dv]
        vc = self.cfg["vision_config"]
        p, D, H = vc["patch_size"], vc["hidden_size"], vc["num_attention_heads"]
        eps = vc["layer_norm_eps"]
        C, Hh, Ww = pix.shape
        patches = pix.reshape(C, Hh // p, p, Ww // p, p).permute(1, 3, 0, 2, 4).reshape(-1, C * p * p)
        x = patches @ self.vt("embeddings.patch_embedding.weight").reshape(D, -1).T
        x = torch.cat([self.vt("embeddings.class_embedding")[None], x], 0)
        x = x + self.vt("embeddings.position_embedding.weight")
        x = self.ln(x, self.vt("pre_layrnorm.weight"), self.vt("pre_layrnorm.bias"), eps)
        hs = [x]
        hd = D // H
        for i in range(vc["num_hidden_layers"]):
            pre = f"encoder.layers.{i}."
            lin = lambda n, t: t @ self.vt(pre + n + ".weight").T + self.vt(pre + n + ".bias")
            h = self.ln(x, self.vt(pre + "layer_norm1.weight"), self.vt(pre + "layer_norm1.bias"), eps)
            q = lin("self_attn.q_proj", h).reshape(-1, H, hd).transpose(0, 1)
            k = lin("self_attn.k_proj", h).reshape(-1, H, hd).transpose(0, 1)
            v = lin("self_attn.v_proj", h).reshape(-1, H, hd).transpose(0, 1)
            a = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(hd), -1) @ v
            x = x + lin("self_attn.out_proj", a.transpose(0, 1).reshape(-1, D))
            h = self.ln(x, self.vt(pre + "layer_norm2.weight"), self.vt(pre + "layer_norm2.bias"), eps)
            h = lin("mlp.fc1", h)
            assert vc["hidden_act"] == "quick_gelu"
            h = h * torch.sigmoid(1.702 * h)
            x = x + lin("mlp.fc2", h)
            hs.append(x)
        return hs

    def image_features(self, pix):
        hs = self.vision_hidden_states(pix)
        layer = self.cfg["vision_feature_layer"]
        layers = [layer] if isinstance(layer, int) else layer
        sel = [hs[i] for i in layers]  # python indexing into [embeddings(pre-LN'd), layer0, ..., layerN-1]
        if self.cfg["vision_feature_select_strategy"] == "default":
            sel = [s[1:] for s in sel]
        x = torch.cat(sel, -1)
        x = x @ self.g("multi_modal_projector.linear_1.weight").T + self.g("multi_modal_projector.linear_1.bias")
        assert self.cfg["projector_hidden_act"] == "gelu"
        x = 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))
        x = x @ self.g("multi_modal_projector.linear_2.weight").T + self.g("multi_modal_projector.linear_2.bias")
        return x

    def text_forward(self, input_ids, pix, steer=None, kv=None, resid=None):
        """Returns (embeds, [layer_out], last logits). steer=(layers, vec*scale, positions),
        kv=(layer, positions, noise_k, noise_v), resid=(layer, positions, noise)."""
        tc = self.cfg["text_config"]
        D, H, KVH = tc["hidden_size"], tc["num_attention_heads"], tc["num_key_value_heads"]
        hd = tc.get("head_dim") or D // H
        eps = tc["rms_norm_eps"]
        theta = tc["rope_parameters"]["rope_theta"]
        ids = torch.tensor(input_ids)
        T = len(input_ids)
        x = self.lm("embed_tokens.weight")[ids].clone()
        img_pos = (ids == self.cfg["image_token_index"]).nonzero()[:, 0]
        x[img_pos] = self.image_features(pix)
        embeds = x.clone()
        inv = 1.0 / theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd)
        ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None]
        cos, sin = torch.cat([ang, ang], -1).cos(), torch.cat([ang, ang], -1).sin()

        def rope(t):  # [h, T, hd]
            rot = torch.cat([-t[..., hd // 2:], t[..., : hd // 2]], -1)
            return t * cos + rot * sin

        mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
        outs = []
        for i in range(tc["num_hidden_layers"]):
            pre = f"layers.{i}."
            W = lambda n: self.lm(pre + n + ".weight")
            if resid is not None and resid[0] == i:
                x = x.clone()
                x[resid[1]] += resid[2]
            h = self.rms(x, W("input_layernorm"), eps)
            q, k, v = h @ W("self_attn.q_proj").T, h @ W("self_attn.k_proj").T, h @ W("self_attn.v_proj").T
            if kv is not None and kv[0] == i:
                k, v = k.clone(), v.clone()
                k[kv[1]] += kv[2]
                v[kv[1]] += kv[3]
            q = rope(q.reshape(T, H, hd).transpose(0, 1))
            k = rope(k.reshape(T, KVH, hd).transpose(0, 1)).repeat_interleave(H // KVH, 0)
            v = v.reshape(T, KVH, hd).transpose(0, 1).repeat_interleave(H // KVH, 0)
            a = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(hd) + mask, -1) @ v
            x = x + a.transpose(0, 1).reshape(T, H * hd) @ W("self_attn.o_proj").T
            h = self.rms(x, W("post_attention_layernorm"), eps)
            h = (F.silu(h @ W("mlp.gate_proj").T) * (h @ W("mlp.up_proj").T)) @ W("mlp.down_proj").T
            x = x + h
            if steer is not None and i in steer[0]:
                x = x.clone()
                x[steer[2]] += steer[1]
            outs.append(x)
        head = self.g("language_model.lm_head.weight", "lm_head.weight")
        logits = self.rms(x[-1], self.lm("norm.weight"), eps) @ head.T
        return embeds, outs, logits


def assert_close(name, got: torch.Tensor, ref: torch.Tensor, rtol=2e-5):
    got = got.to(torch.float64)
    scale = max(ref.abs().max().item(), 1.0)
    err = (got - ref).abs().max().item()
    if not err <= rtol * scale:
        raise AssertionError(f"{name}: max abs err {err:.3g} vs scale {scale:.3g}")
    return err / scale


def check_against_reference(folder, tensors, ids, params, rand):
    ref = Ref(folder)
    pix = tensors["pixel_values"].to(torch.float64)
    input_ids = ids["input_ids"]
    worst = 0.0
    worst = max(worst, assert_close("image_features", tensors["image_features"], ref.image_features(pix)))
    emb, outs, logits = ref.text_forward(input_ids, pix)
    worst = max(worst, assert_close("embeds", tensors["embeds"], emb))
    for l, o in enumerate(outs):
        worst = max(worst, assert_close(f"layer_out.{l}", tensors[f"layer_out.{l}"], o))
    worst = max(worst, assert_close("logits", tensors["logits"], logits))
    sv = rand["steer_vector"].to(torch.float64) * params["steer_scale"]
    for name in ("all", "last3"):
        _, _, lg = ref.text_forward(input_ids, pix, steer=(params["steer_layers"], sv, params[f"steer_positions_{name}"]))
        worst = max(worst, assert_close(f"logits_steered_{name}", tensors[f"logits_steered_{name}"], lg))
    for prefix, pos_key in (("kv", "kv_positions"), ("kv_text", "kv_text_positions")):
        for n in range(params["num_noise_samples"]):
            _, _, lg = ref.text_forward(input_ids, pix, kv=(
                params["kv_layer"], params[pos_key],
                rand[f"{prefix}_noise_k"][n].to(torch.float64), rand[f"{prefix}_noise_v"][n].to(torch.float64)))
            worst = max(worst, assert_close(f"logits_{prefix}_noise[{n}]", tensors[f"logits_{prefix}_noise"][n], lg))
    for n in range(params["num_noise_samples"]):
        _, _, lg = ref.text_forward(input_ids, pix, resid=(
            params["resid_layer"], params["resid_positions"], rand["resid_noise"][n].to(torch.float64)))
        worst = max(worst, assert_close(f"logits_resid_noise[{n}]", tensors["logits_resid_noise"][n], lg))
    return worst


# --------------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------------


def write_json(path: str, obj: dict) -> None:
    """One top-level key per line (one list element per line for lists of dicts); compact values."""
    def dump(v):
        return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))

    lines = []
    for k, v in obj.items():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            inner = ",\n".join("  " + dump(x) for x in v)
            lines.append(f" {dump(k)}: [\n{inner}\n ]")
        else:
            lines.append(f" {dump(k)}: {dump(v)}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")
    with open(path, encoding="utf-8") as f:
        assert json.load(f) == json.loads(json.dumps(obj))


def load_inputs(processor, folder):
    image = Image.open(os.path.join(folder, "image.png")).convert("RGB")
    return processor(images=image, text=PROMPT, return_tensors="pt"), image


def check_pixel_values(pixel_values: torch.Tensor, image: Image.Image, image_processor) -> None:
    x = np.asarray(image, dtype=np.uint8).transpose(2, 0, 1)  # [3,H,W]
    # transformers (PIL backend): float64 x * (1/255) -> float32, then (x - mean) / std in float32.
    r = (x.astype(np.float64) * (1 / 255)).astype(np.float32)
    mean = np.array(image_processor.image_mean, dtype=np.float32)[:, None, None]
    std = np.array(image_processor.image_std, dtype=np.float32)[:, None, None]
    exact = (r - mean) / std
    assert pixel_values.shape == (1, 3, x.shape[1], x.shape[2]), pixel_values.shape
    diff = np.abs(pixel_values[0].numpy() - exact).max()
    assert diff == 0.0, f"pixel_values mismatch {diff}"
    # and against the textbook formula in float64
    approx = (x / 255.0 - np.array(image_processor.image_mean)[:, None, None]) / np.array(image_processor.image_std)[:, None, None]
    assert np.abs(pixel_values[0].numpy() - approx).max() < 1e-6


def make_case(case: dict, out_root: str) -> dict:
    folder = os.path.join(out_root, case["name"])
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    processor = build_processor(case["vision_feature_select_strategy"])
    tok = processor.tokenizer

    vc = BASE_VISION
    n_patches = (vc["image_size"] // vc["patch_size"]) ** 2
    num_image_tokens = n_patches + (1 if case["vision_feature_select_strategy"] == "full" else 0)
    config = build_config(case, len(tok), num_image_tokens)
    config._attn_implementation = ATTN_IMPL
    torch.manual_seed(case["seed"])
    model = LlavaForConditionalGeneration(config)
    scale_up_init(model, torch.Generator().manual_seed(case["seed"]))
    model.eval()
    if not isinstance(case["vision_feature_layer"], int):
        assert model.model.multi_modal_projector.linear_1.in_features == vc["hidden_size"] * len(case["vision_feature_layer"])
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    saved_files = sorted(os.listdir(folder))

    Image.fromarray(make_image(case["seed"], vc["image_size"])).save(os.path.join(folder, "image.png"))
    inputs, image = load_inputs(processor, folder)
    check_pixel_values(inputs["pixel_values"], image, processor.image_processor)

    input_ids = inputs["input_ids"][0].tolist()
    image_token_id = config.image_token_id
    assert image_token_id == processor.image_token_id == tok.convert_tokens_to_ids(IMAGE_TOKEN)
    image_positions = [i for i, t in enumerate(input_ids) if t == image_token_id]
    assert len(image_positions) == num_image_tokens, (len(image_positions), num_image_tokens)
    assert image_positions == list(range(image_positions[0], image_positions[0] + num_image_tokens))
    # the processor's ids are the tokenizers-library ids of the prompt with the marker repeated
    raw = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    assert raw.encode(PROMPT.replace(IMAGE_TOKEN, IMAGE_TOKEN * num_image_tokens)).ids == input_ids

    T = len(input_ids)
    text = tok.convert_tokens_to_ids
    ctx = input_ids.index(text("context"))
    assert input_ids[ctx + 1] == text(":")
    ctx_end = input_ids.index(text("."), ctx)
    kv_text_positions = list(range(ctx + 2, ctx_end))  # "the red ball is left of the cube"

    tcfg = config.text_config
    L, D, V = tcfg.num_hidden_layers, tcfg.hidden_size, tcfg.vocab_size
    head_dim = tcfg.head_dim or D // tcfg.num_attention_heads
    KVD = tcfg.num_key_value_heads * head_dim
    N = HOOKS["num_noise_samples"]
    params = dict(HOOKS)
    params.update(
        steer_positions_all=list(range(T)),
        steer_positions_last3=list(range(T - 3, T)),
        kv_positions=image_positions,
        kv_text_positions=kv_text_positions,
        resid_positions=image_positions,
    )
    g = torch.Generator().manual_seed(case["seed"] + 77)
    sv = torch.randn(D, generator=g)
    rand = dict(
        steer_vector=(sv / sv.norm() * HOOKS["steer_vector_norm"]).float(),
        kv_noise_k=torch.randn(N, len(image_positions), KVD, generator=g) * HOOKS["kv_noise_std"],
        kv_noise_v=torch.randn(N, len(image_positions), KVD, generator=g) * HOOKS["kv_noise_std"],
        kv_text_noise_k=torch.randn(N, len(kv_text_positions), KVD, generator=g) * HOOKS["kv_noise_std"],
        kv_text_noise_v=torch.randn(N, len(kv_text_positions), KVD, generator=g) * HOOKS["kv_noise_std"],
        resid_noise=torch.randn(N, len(image_positions), D, generator=g) * HOOKS["resid_noise_std"],
    )

    tensors, ids, hidden_states = compute_all(model, inputs, params, rand, check_naive=True)

    # hidden_states tuple layout: (embeds, layer_out.0, ..., layer_out.L-2, final_norm(layer_out.L-1))
    assert len(hidden_states) == L + 1
    assert torch.equal(hidden_states[0][0], tensors["embeds"])
    for l in range(L - 1):
        assert torch.equal(hidden_states[l + 1][0], tensors[f"layer_out.{l}"])
    assert not torch.allclose(hidden_states[L][0], tensors[f"layer_out.{L - 1}"])
    assert torch.allclose(hidden_states[L][0], final_norm(model)(tensors[f"layer_out.{L - 1}"][None])[0])
    assert torch.allclose(tensors[f"lens_logits.{L - 1}"], tensors["logits"], atol=1e-5)

    # batch-of-N KV noise agrees with the one-by-one result
    b = batched_kv_noise(model, inputs, params, rand["kv_noise_k"], rand["kv_noise_v"], image_positions)
    assert torch.allclose(b, tensors["logits_kv_noise"], atol=1e-4), (b - tensors["logits_kv_noise"]).abs().max()

    # fixtures are not degenerate
    clean = tensors["logits"]
    stats = {"logits_std": float(clean.std()), "logits_absmax": float(clean.abs().max())}
    assert stats["logits_std"] > 0.5, stats
    for k in ("logits_steered_all", "logits_steered_last3", "logits_kv_noise", "logits_kv_text_noise",
              "logits_resid_noise"):
        d = float((tensors[k] - clean).abs().max())
        stats[f"maxdiff_{k}"] = d
        assert d > 0.05, (k, d)
    assert ids["generated_ids_steered"] != ids["generated_ids"]
    for k in ("logits_kv_noise", "logits_kv_text_noise", "logits_resid_noise"):
        assert float((tensors[k][0] - tensors[k][1]).abs().max()) > 0.01, k
    for l in range(L - 1):
        assert float((tensors[f"lens_logits.{l}"] - clean).abs().max()) > 0.05

    worst = check_against_reference(folder, tensors, {"input_ids": input_ids}, params, rand)
    stats["reference_max_rel_err"] = worst

    ev = tensors["image_features"]
    expected = dict(
        case=case["name"],
        conventions=(
            "positions are 0-based indices into input_ids (image tokens already expanded, BOS at 0); "
            "layer_out.l = output of decoder layer l (no final norm); embeds = input of layer 0; "
            "steering: layer_out[steer_layers][positions] += steer_scale * steer_vector; "
            "kv noise: added to self_attn.k_proj / v_proj outputs of layer kv_layer (before RoPE) at kv_positions; "
            "resid noise: added to the input of decoder layer resid_layer at resid_positions; "
            "logits* are last-position logits; generation is greedy, stops at eos_token_id or max_new_tokens"),
        transformers_version=transformers.__version__,
        torch_version=torch.__version__,
        attn_implementation=ATTN_IMPL,
        prompt=PROMPT,
        image="image.png",
        input_ids=input_ids,
        num_tokens=T,
        image_token=IMAGE_TOKEN,
        image_token_id=image_token_id,
        num_image_tokens=num_image_tokens,
        image_positions=image_positions,
        vision_feature_layer=case["vision_feature_layer"],
        vision_feature_select_strategy=case["vision_feature_select_strategy"],
        num_layers=L,
        hidden_size=D,
        vocab_size=V,
        num_attention_heads=tcfg.num_attention_heads,
        num_key_value_heads=tcfg.num_key_value_heads,
        head_dim=head_dim,
        eos_token_id=tcfg.eos_token_id,
        generation=dict(max_new_tokens=HOOKS["max_new_tokens"], do_sample=False, stop_at_eos=True,
                        eos_token_id=tcfg.eos_token_id),
        generated_ids=ids["generated_ids"],
        generated_ids_steered=ids["generated_ids_steered"],
        top_k=HOOKS["top_k"],
        top_tokens=ids["top_tokens"],
        top_logits=ids["top_logits"],
        steer_layers=params["steer_layers"],
        steer_scale=params["steer_scale"],
        steer_vector_norm=HOOKS["steer_vector_norm"],
        steer_positions_all=params["steer_positions_all"],
        steer_positions_last3=params["steer_positions_last3"],
        steer_generation_positions="all prompt positions and every generated token",
        kv_layer=params["kv_layer"],
        kv_positions=params["kv_positions"],
        kv_text_positions=params["kv_text_positions"],
        kv_text_positions_text=" ".join(tok.convert_ids_to_tokens([input_ids[i] for i in kv_text_positions])),
        kv_noise_std=HOOKS["kv_noise_std"],
        kv_noise_dim=KVD,
        resid_layer=params["resid_layer"],
        resid_positions=params["resid_positions"],
        resid_noise_std=HOOKS["resid_noise_std"],
        num_noise_samples=N,
        saved_by_transformers=saved_files,
        tensors={k: list(v.shape) for k, v in sorted(tensors.items())},
        stats=stats,
    )
    save_file(tensors, os.path.join(folder, "expected.safetensors"))
    write_json(os.path.join(folder, "expected.json"), expected)
    print(f"[{case['name']}] T={T} image_tokens={num_image_tokens} generated={ids['generated_ids']} "
          f"steered={ids['generated_ids_steered']} top={ids['top_tokens']} ref_rel_err={worst:.2e} "
          f"image_features_absmax={float(ev.abs().max()):.2f}")
    print(f"    files written by save_pretrained: {saved_files}")

    # ---- reload from disk and reproduce everything bit-for-bit
    del model
    model2 = LlavaForConditionalGeneration.from_pretrained(folder, attn_implementation=ATTN_IMPL, dtype=torch.float32)
    model2.eval()
    proc2 = LlavaProcessor.from_pretrained(folder)
    inputs2, _ = load_inputs(proc2, folder)
    assert inputs2["input_ids"][0].tolist() == input_ids
    exp_t = {}
    with safe_open(os.path.join(folder, "expected.safetensors"), "pt") as f:
        for k in f.keys():
            exp_t[k] = f.get_tensor(k)
    with open(os.path.join(folder, "expected.json")) as f:
        exp_j = json.load(f)
    t2, ids2, _ = compute_all(model2, inputs2, params, {k: exp_t[k] for k in rand})
    assert set(t2) == set(exp_t)
    for k in exp_t:
        d = (t2[k] - exp_t[k]).abs().max().item()
        assert d == 0.0, f"reload mismatch {k}: {d}"
    for k in ("generated_ids", "generated_ids_steered", "top_tokens"):
        assert ids2[k] == exp_j[k], k
    print("    reload check: all tensors max abs diff 0, ids identical")
    return expected


def write_tokenizer_cases(out_root: str, tokenizer_path: str) -> None:
    tk = Tokenizer.from_file(tokenizer_path)
    cases = []
    for s in TOKENIZER_CASE_STRINGS:
        with_sp = tk.encode(s, add_special_tokens=True)
        without = tk.encode(s, add_special_tokens=False)
        cases.append(dict(text=s, ids=with_sp.ids, ids_no_special=without.ids, tokens=with_sp.tokens))
    data = dict(
        tokenizer="llava_clip_llama_default/tokenizer.json",
        note="ids: tokenizers.Tokenizer.encode(text).ids (add_special_tokens=True, i.e. '<s>' prepended); "
             "ids_no_special: encode(text, add_special_tokens=False); tokens: tokens of the first encoding",
        tokenizers_version=__import__("tokenizers").__version__,
        cases=cases,
    )
    write_json(os.path.join(out_root, "tokenizer_cases.json"), data)
    n_unk = sum(1 in c["ids_no_special"] for c in cases)
    print(f"[tokenizer_cases.json] {len(cases)} strings ({n_unk} contain <unk>)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="Tests/AMPSModelTests/Fixtures", help="output directory")
    args = ap.parse_args()
    if transformers.__version__ != EXPECTED_TRANSFORMERS:
        print(f"warning: transformers {transformers.__version__} != pinned {EXPECTED_TRANSFORMERS}", file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    for case in CASES:
        make_case(case, args.out)
    write_tokenizer_cases(args.out, os.path.join(args.out, CASES[0]["name"], "tokenizer.json"))
    total = 0
    for root, _, files in os.walk(args.out):
        for fn in files:
            total += os.path.getsize(os.path.join(root, fn))
    print(f"total fixture size: {total} bytes ({total / 1024:.1f} KiB) in {args.out}")


if __name__ == "__main__":
    main()
