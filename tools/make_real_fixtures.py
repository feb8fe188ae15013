#!/usr/bin/env python3
"""Make tiny random-weight LLaVA checkpoints with the *architectures of real hub checkpoints* and dump transformers'
reference outputs, in exactly the fixture layout of tools/make_fixtures.py.

Run from the repository root:

    python3 tools/make_real_fixtures.py [--out Tests/AMPSModelTests/Fixtures] [--only CASE ...]

Pinned versions: tools/requirements.txt (transformers 5.24.0, torch 2.13.0+cpu, tokenizers 0.23.3).
Deterministic (fixed seeds, single-threaded torch, eager attention): re-running rewrites identical files.

Cases (<out>/<case>/):
  llava_siglip_qwen2       like llava-hf/llava-interleave-qwen-0.5b-hf: SigLIP vision (no class token, patch conv with
                           bias, no pre-layernorm, gelu_pytorch_tanh, post_layernorm saved but unused), feature layer -1,
                           strategy "full"; Qwen2 text (q/k/v biases, rope_theta 1e6, GQA 4/2, tied lm_head, vocab_size
                           padded past the tokenizer); SiglipImageProcessor (16x16, do_resize, bicubic, mean/std 0.5);
                           no BOS, ChatML prompt, `<image>` an added special token after the Qwen specials.
  llava_clip_llama_bf16    CLIP + Llama (GQA), every weight saved in bfloat16; references computed in float32 from the
                           bf16-rounded weights (from_pretrained(dir, dtype=torch.float32)).
  llava_clip_llama_f16     the same with float16 weights.
  llava_clip_llama_sharded CLIP + Llama, float32, save_pretrained(max_shard_size=...) -> 3 shards + index.json.
  llava_siglip_mistral     SigLIP (feature layer -2, "full") + Mistral text (head_dim 24 != hidden/heads = 16, like
                           Mistral-Nemo / Pixtral; sliding_window 4096 > sequence length so it has no effect).

Hook semantics, tensor names and expected.json keys are those of tools/make_fixtures.py (see tools/README.md); this
script is self-contained on purpose (it does not import make_fixtures.py) so that edits there cannot silently change
these fixtures.

Besides writing files, the script checks (and fails loudly otherwise):
  * pixel_values == (x/255 - mean)/std computed by hand (the SigLIP resize to the same size is a no-op);
  * an independent float64 re-implementation (CLIP or SigLIP vision, projector, Llama/Qwen2/Mistral decoder; reads
    the saved safetensors, single file or shards, any float dtype, tied or untied lm_head) matches image_features,
    embeds, layer_out.*, logits and every perturbed logits tensor;
  * bf16/f16 cases: the reloaded float32 weights are exactly the half-precision values on disk;
  * greedy generate() (KV cache) == a naive greedy loop without cache, for plain and steered generation;
  * perturbed logits differ from the clean logits; generation yields max_new_tokens ordinary tokens;
  * reloading the folder with from_pretrained reproduces every dumped tensor and id bit-for-bit.
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

transformers.logging.set_verbosity_error()

from transformers import (  # noqa: E402
    CLIPImageProcessorPil,
    CLIPVisionConfig,
    LlamaConfig,
    LlavaConfig,
    LlavaForConditionalGeneration,
    LlavaProcessor,
    MistralConfig,
    PreTrainedTokenizerFast,
    Qwen2Config,
    SiglipImageProcessorPil,
    SiglipVisionConfig,
)
from transformers.image_utils import PILImageResampling  # noqa: E402

torch.set_num_threads(1)

ATTN_IMPL = "eager"
EXPECTED_TRANSFORMERS = "5.24.0"

# --------------------------------------------------------------------------------------------------
# Tokenizers (WordLevel, like make_fixtures.py; special tokens laid out like the real model families)
# --------------------------------------------------------------------------------------------------

IMAGE_TOKEN = "<image>"
WORDS = (  # the 60 words of make_fixtures.py
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
CHAT_WORDS = ["user", "assistant", "system"]

PROMPT = (
    "<image>\nText context: the red ball is left of the cube .\n"
    "Question: what color is the ball ?\nAnswer:"
)
# ChatML like llava-interleave-qwen's chat template ("<|im_start|>user <image>\n...<|im_end|>\n<|im_start|>assistant\n")
QWEN_PROMPT = (
    "<|im_start|>user <image>\nText context: the red ball is left of the cube .\n"
    "Question: what color is the ball ?\nAnswer:<|im_end|>\n<|im_start|>assistant\n"
)

TOKENIZERS = {
    # make_fixtures.py / llava-1.5 style: <pad> <unk> <s> </s> <image> = 0..4, then the words; "<s> $A"
    "llama": dict(prefix=["<pad>", "<unk>", "<s>", "</s>", IMAGE_TOKEN], words=WORDS, suffix=[],
                  unk="<unk>", bos="<s>", eos="</s>", pad="<pad>", add_bos=True, normalizer="NFKC", prompt=PROMPT),
    # Qwen2 style: ordinary vocabulary first, then <|endoftext|> <|im_start|> <|im_end|>, then the added special
    # token <image> (llava-interleave-qwen: 151643..151646). No BOS is added; eos = <|im_end|>; pad = <|endoftext|>.
    # (WordLevel needs an unk token; <|endoftext|> plays that role. The prompt contains no unknown word.)
    "qwen2": dict(prefix=[], words=WORDS + CHAT_WORDS, suffix=["<|endoftext|>", "<|im_start|>", "<|im_end|>", IMAGE_TOKEN],
                  unk="<|endoftext|>", bos=None, eos="<|im_end|>", pad="<|endoftext|>", add_bos=False,
                  normalizer="NFC", prompt=QWEN_PROMPT),
    # Mistral / llava-v1.6-mistral style: <unk> <s> </s> = 0..2, words, then <image> appended (id = len(vocab)); no pad.
    "mistral": dict(prefix=["<unk>", "<s>", "</s>"], words=WORDS, suffix=[IMAGE_TOKEN],
                    unk="<unk>", bos="<s>", eos="</s>", pad=None, add_bos=True, normalizer="NFKC", prompt=PROMPT),
}


def build_tokenizer(kind: str) -> tuple[PreTrainedTokenizerFast, dict]:
    spec = TOKENIZERS[kind]
    order = spec["prefix"] + spec["words"] + spec["suffix"]
    vocab = {}
    for t in order:
        assert t not in vocab, t
        vocab[t] = len(vocab)
    specials = spec["prefix"] + spec["suffix"]
    tk = Tokenizer(models.WordLevel(vocab, unk_token=spec["unk"]))
    tk.normalizer = normalizers.Sequence([normalizers.NFKC() if spec["normalizer"] == "NFKC" else normalizers.NFC()])
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    if spec["add_bos"]:
        tk.post_processor = processors.TemplateProcessing(single=f"{spec['bos']} $A",
                                                          special_tokens=[(spec["bos"], vocab[spec["bos"]])])
    tk.add_special_tokens(specials)
    for t in specials:
        assert tk.token_to_id(t) == vocab[t]
    kw = {k: spec[k] for k in ("bos", "eos", "unk", "pad") if spec[k] is not None}
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, **{f"{k}_token": v for k, v in kw.items()})
    ids = {t: vocab[t] for t in specials}
    return tok, dict(spec=spec, special_ids=sorted(ids.values()), ids=ids, size=len(vocab))


# --------------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------------

CLIP_VISION = dict(kind="clip", hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                   image_size=16, patch_size=4, hidden_act="quick_gelu", projection_dim=32)
SIGLIP_VISION = dict(kind="siglip", hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                     image_size=16, patch_size=4, hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6,
                     vision_use_head=False)

CASES = [
    dict(name="llava_siglip_qwen2", seed=4004, vision=SIGLIP_VISION, text="qwen2", tokenizer="qwen2",
         vision_feature_layer=-1, vision_feature_select_strategy="full", num_additional_image_tokens=0,
         text_cfg=dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                       intermediate_size=96, max_position_embeddings=256, rms_norm_eps=1e-6, rope_theta=1e6,
                       tie_word_embeddings=True, vocab_pad_to=8),
         weights_dtype="float32", max_shard_size=None),
    dict(name="llava_clip_llama_bf16", seed=5005, vision=CLIP_VISION, text="llama", tokenizer="llama",
         vision_feature_layer=-2, vision_feature_select_strategy="default", num_additional_image_tokens=1,
         text_cfg=dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                       intermediate_size=64, max_position_embeddings=256, rms_norm_eps=1e-5, rope_theta=10000.0,
                       tie_word_embeddings=False),
         weights_dtype="bfloat16", max_shard_size=None),
    dict(name="llava_clip_llama_f16", seed=6006, vision=CLIP_VISION, text="llama", tokenizer="llama",
         vision_feature_layer=-2, vision_feature_select_strategy="default", num_additional_image_tokens=1,
         text_cfg=dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                       intermediate_size=64, max_position_embeddings=256, rms_norm_eps=1e-5, rope_theta=10000.0,
                       tie_word_embeddings=False),
         weights_dtype="float16", max_shard_size=None),
    dict(name="llava_clip_llama_sharded", seed=7007, vision=CLIP_VISION, text="llama", tokenizer="llama",
         vision_feature_layer=-2, vision_feature_select_strategy="default", num_additional_image_tokens=1,
         text_cfg=dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                       intermediate_size=64, max_position_embeddings=256, rms_norm_eps=1e-6, rope_theta=10000.0,
                       tie_word_embeddings=False),
         weights_dtype="float32", max_shard_size="150KB"),
    dict(name="llava_siglip_mistral", seed=8008, vision=SIGLIP_VISION, text="mistral", tokenizer="mistral",
         vision_feature_layer=-2, vision_feature_select_strategy="full", num_additional_image_tokens=0,
         text_cfg=dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                       head_dim=24, intermediate_size=64, max_position_embeddings=512, rms_norm_eps=1e-5,
                       rope_theta=1e6, tie_word_embeddings=False, sliding_window=4096),
         weights_dtype="float32", max_shard_size=None),
]

HOOKS = dict(
    max_new_tokens=8,
    steer_scale=4.0,
    steer_vector_norm=4.0,
    kv_layer=1,
    kv_noise_std=0.5,
    num_noise_samples=4,
    resid_layer=1,
    resid_noise_std=1.0,
    top_k=5,
)

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def build_processor(case: dict, tok) -> LlavaProcessor:
    vc = case["vision"]
    if vc["kind"] == "siglip":
        # like llava-interleave-qwen's preprocessor: resize to (image_size, image_size), bicubic, rescale, mean/std 0.5.
        # The fixture image already has that size, so the resize is a no-op (checked in check_pixel_values).
        ip = SiglipImageProcessorPil(
            do_resize=True, size={"height": vc["image_size"], "width": vc["image_size"]},
            resample=PILImageResampling.BICUBIC, do_rescale=True, rescale_factor=1 / 255, do_normalize=True,
            image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5], do_convert_rgb=True,
        )
    else:
        ip = CLIPImageProcessorPil(do_resize=False, do_center_crop=False, do_rescale=True, rescale_factor=1 / 255,
                                   do_normalize=True, do_convert_rgb=True)
    return LlavaProcessor(image_processor=ip, tokenizer=tok, patch_size=vc["patch_size"],
                          vision_feature_select_strategy=case["vision_feature_select_strategy"],
                          num_additional_image_tokens=case["num_additional_image_tokens"], image_token=IMAGE_TOKEN)


def build_config(case: dict, tokinfo: dict, num_image_tokens: int) -> LlavaConfig:
    tc = dict(case["text_cfg"])
    ids, spec = tokinfo["ids"], tokinfo["spec"]
    vocab_size = tokinfo["size"]
    pad_to = tc.pop("vocab_pad_to", None)
    if pad_to:  # real checkpoints often have vocab_size > len(tokenizer) (llava-interleave-qwen: 152000 vs 151648)
        vocab_size = (vocab_size // pad_to + 1) * pad_to
    theta = tc.pop("rope_theta")
    common = dict(vocab_size=vocab_size, rope_parameters={"rope_type": "default", "rope_theta": theta},
                  bos_token_id=ids.get(spec["bos"]) if spec["bos"] else None,
                  eos_token_id=ids[spec["eos"]],
                  pad_token_id=ids.get(spec["pad"]) if spec["pad"] else None, **tc)
    if case["text"] == "qwen2":
        # as in the hub config: bos = <|endoftext|> (never added by the tokenizer), use_sliding_window false.
        common["bos_token_id"] = ids["<|endoftext|>"]
        text = Qwen2Config(use_sliding_window=False, sliding_window=32768, max_window_layers=21, **common)
    elif case["text"] == "mistral":
        text = MistralConfig(**common)
    else:
        text = LlamaConfig(**common)
    vc = {k: v for k, v in case["vision"].items() if k != "kind"}
    vision = SiglipVisionConfig(**vc) if case["vision"]["kind"] == "siglip" else CLIPVisionConfig(**vc)
    return LlavaConfig(
        vision_config=vision, text_config=text, image_token_index=ids[IMAGE_TOKEN],
        vision_feature_layer=case["vision_feature_layer"],
        vision_feature_select_strategy=case["vision_feature_select_strategy"],
        projector_hidden_act="gelu", image_seq_length=num_image_tokens,
        tie_word_embeddings=case["text_cfg"]["tie_word_embeddings"],
    )


@torch.no_grad()
def scale_up_init(model: torch.nn.Module, gen: torch.Generator, damp_rows: list[int], tied: bool) -> None:
    """Big random weights so activations/logits are far from zero (as make_fixtures.py), all float32."""

    def normal_(p, std, mean=0.0):
        p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float32) * std + mean)

    seen = set()
    token_embedding = model.get_input_embeddings()
    for _, mod in model.named_modules():
        w = getattr(mod, "weight", None)
        if w is not None and id(w) in seen:  # the tied lm_head shares the embedding matrix
            continue
        if mod is token_embedding:
            # untied: std 1 (as make_fixtures.py); tied: std 0.5 so the logits (= embedding rows . hidden) stay moderate
            normal_(mod.weight, 0.5 if tied else 1.0)
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
        elif type(mod).__name__.endswith("RMSNorm"):  # LlamaRMSNorm / Qwen2RMSNorm / MistralRMSNorm
            normal_(mod.weight, 0.1, 1.0)
            seen.add(id(mod.weight))
    for name, p in model.named_parameters():
        if id(p) not in seen:  # e.g. CLIP class_embedding
            normal_(p, 0.2)
            seen.add(id(p))
    # Damp the lm_head rows of special tokens (and of vocab padding rows) so greedy generation produces ordinary
    # words for all steps. With tied embeddings this also shrinks those tokens' input embeddings (harmless).
    model.lm_head.weight[damp_rows] *= 0.05
    assert (model.lm_head.weight is model.model.language_model.embed_tokens.weight) == tied
    for name, p in model.named_parameters():
        assert p.dtype == torch.float32, name


def make_image(seed: int, size: int) -> np.ndarray:
    rs = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) / (size - 1)
    base = np.stack([255 * xx, 255 * yy, 255 * (1 - xx) * yy], axis=-1)
    noisy = base * 0.5 + rs.randint(0, 256, (size, size, 3)) * 0.5
    return np.clip(np.round(noisy), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------------------------------
# transformers computations (hooks on the real modules; identical semantics to make_fixtures.py)
# --------------------------------------------------------------------------------------------------


def decoder_layers(model):
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
        return args, dict(kwargs, hidden_states=hs)
    return hook


@torch.no_grad()
def last_logits(model, inputs) -> torch.Tensor:
    return model(**inputs, use_cache=False).logits[0, -1].clone()


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
def compute_all(model, inputs, params: dict, rand: dict, ordinary, check_naive: bool = False):
    layers = decoder_layers(model)
    L = len(layers)
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
    for l in range(L):
        h = tensors[f"layer_out.{l}"][-1]
        tensors[f"lens_logits.{l}"] = model.lm_head(final_norm(model)(h[None]))[0].clone()

    top = torch.topk(tensors["logits"], params["top_k"])
    ids["top_tokens"] = top.indices.tolist()
    ids["top_logits"] = [float(v) for v in top.values]

    eos = model.config.text_config.eos_token_id
    n_new = params["max_new_tokens"]
    ids["generated_ids"] = greedy_generate(model, inputs, n_new)
    assert len(ids["generated_ids"]) == n_new and all(map(ordinary, ids["generated_ids"])), ids["generated_ids"]
    if check_naive:
        naive = naive_greedy(model, inputs, n_new, eos)
        assert naive == ids["generated_ids"], (naive, ids["generated_ids"])

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
        ids["generated_ids_steered"] = greedy_generate(model, inputs, n_new)
        assert len(ids["generated_ids_steered"]) == n_new and all(map(ordinary, ids["generated_ids_steered"]))
        if check_naive:
            naive = naive_greedy(model, inputs, n_new, eos)
            assert naive == ids["generated_ids_steered"], (naive, ids["generated_ids_steered"])

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
    return {k: v.contiguous() for k, v in tensors.items()}, ids, out.hidden_states


# --------------------------------------------------------------------------------------------------
# Independent float64 reference (reads the saved safetensors; no transformers modules)
# --------------------------------------------------------------------------------------------------


def load_checkpoint_tensors(folder: str) -> tuple[dict, list[str]]:
    """All tensors of a save_pretrained folder (single file or index + shards), as stored (any dtype)."""
    single = os.path.join(folder, "model.safetensors")
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        assert not os.path.exists(single)
        with open(index) as f:
            weight_map = json.load(f)["weight_map"]
        files = sorted(set(weight_map.values()))
    else:
        weight_map, files = None, ["model.safetensors"]
    w = {}
    for fn in files:
        with safe_open(os.path.join(folder, fn), "pt") as f:
            for k in f.keys():
                assert k not in w, k
                if weight_map is not None:
                    assert weight_map[k] == fn, (k, fn)
                w[k] = f.get_tensor(k)
    if weight_map is not None:
        assert set(weight_map) == set(w)
    return w, files


class Ref:
    def __init__(self, folder: str):
        with open(os.path.join(folder, "config.json")) as f:
            self.cfg = json.load(f)
        raw, _ = load_checkpoint_tensors(folder)
        self.w = {k: v.to(torch.float64) for k, v in raw.items()}

    def g(self, *names):
        for n in names:
            if n in self.w:
                return self.w[n]
        raise KeyError(names)

    def has(self, *names):
        return any(n in self.w for n in names)

    def vt(self, suffix):
        return self.g(f"vision_tower.vision_model.{suffix}", f"vision_tower.{suffix}")

    def lm_names(self, suffix):
        return (f"language_model.model.{suffix}", f"model.language_model.{suffix}")

    def lm(self, suffix):
        return self.g(*self.lm_names(suffix))

    @staticmethod
    def ln(x, w, b, eps):
        mu = x.mean(-1, keepdim=True)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)
        return (x - mu) / torch.sqrt(var + eps) * w + b

    @staticmethod
    def rms(x, w, eps):
        return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * w

    @staticmethod
    def act(name, h):
        if name == "quick_gelu":
            return h * torch.sigmoid(1.702 * h)
        if name == "gelu_pytorch_tanh":
            return 0.5 * h * (1 + torch.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h ** 3)))
        if name == "gelu":
            return 0.5 * h * (1 + torch.erf(h / math.sqrt(2)))
        raise ValueError(name)

    def vision_hidden_states(self, pix):  # pix [3,H,W] -> [embeddings, layer0, ..., layerN-1]
        vc = self.cfg["vision_config"]
        siglip = vc["model_type"] == "siglip_vision_model"
        p, D, H = vc["patch_size"], vc["hidden_size"], vc["num_attention_heads"]
        eps = vc["layer_norm_eps"]
        C, Hh, Ww = pix.shape
        patches = pix.reshape(C, Hh // p, p, Ww // p, p).permute(1, 3, 0, 2, 4).reshape(-1, C * p * p)
        x = patches @ self.vt("embeddings.patch_embedding.weight").reshape(D, -1).T
        if siglip:  # conv with bias, no class token, no pre-layernorm; post_layernorm exists but LLaVA never uses it
            x = x + self.vt("embeddings.patch_embedding.bias")
            x = x + self.vt("embeddings.position_embedding.weight")
            assert self.has("vision_tower.post_layernorm.weight", "vision_tower.vision_model.post_layernorm.weight")
            assert not self.has("vision_tower.embeddings.class_embedding", "vision_tower.pre_layrnorm.weight")
        else:
            assert not self.has("vision_tower.embeddings.patch_embedding.bias")
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
            x = x + lin("mlp.fc2", self.act(vc["hidden_act"], lin("mlp.fc1", h)))
            hs.append(x)
        return hs

    def image_features(self, pix):
        hs = self.vision_hidden_states(pix)
        layer = self.cfg["vision_feature_layer"]
        layers = [layer] if isinstance(layer, int) else layer
        sel = [hs[i] for i in layers]
        if self.cfg["vision_feature_select_strategy"] == "default":
            sel = [s[1:] for s in sel]
        x = torch.cat(sel, -1)
        x = x @ self.g("multi_modal_projector.linear_1.weight").T + self.g("multi_modal_projector.linear_1.bias")
        x = self.act(self.cfg["projector_hidden_act"], x)
        x = x @ self.g("multi_modal_projector.linear_2.weight").T + self.g("multi_modal_projector.linear_2.bias")
        return x

    def lm_head(self):
        if self.has("language_model.lm_head.weight", "lm_head.weight"):
            assert not self.cfg["tie_word_embeddings"]
            return self.g("language_model.lm_head.weight", "lm_head.weight")
        assert self.cfg["tie_word_embeddings"]
        return self.lm("embed_tokens.weight")

    def text_forward(self, input_ids, pix, steer=None, kv=None, resid=None):
        tc = self.cfg["text_config"]
        D, H, KVH = tc["hidden_size"], tc["num_attention_heads"], tc["num_key_value_heads"]
        hd = tc.get("head_dim") or D // H
        eps = tc["rms_norm_eps"]
        theta = tc["rope_parameters"]["rope_theta"]
        assert tc["rope_parameters"]["rope_type"] == "default"
        ids = torch.tensor(input_ids)
        T = len(input_ids)
        if tc.get("sliding_window") is not None:  # Mistral: the window must not bind at this length
            assert T + HOOKS["max_new_tokens"] <= tc["sliding_window"]
        x = self.lm("embed_tokens.weight")[ids].clone()
        img_pos = (ids == self.cfg["image_token_index"]).nonzero()[:, 0]
        x[img_pos] = self.image_features(pix)
        embeds = x.clone()
        inv = 1.0 / theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd)
        ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None]
        cos, sin = torch.cat([ang, ang], -1).cos(), torch.cat([ang, ang], -1).sin()

        def rope(t):
            rot = torch.cat([-t[..., hd // 2:], t[..., : hd // 2]], -1)
            return t * cos + rot * sin

        mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
        outs = []
        for i in range(tc["num_hidden_layers"]):
            pre = f"layers.{i}."
            W = lambda n: self.lm(pre + n + ".weight")

            def proj(n, t):
                y = t @ W(n).T
                if self.has(*self.lm_names(pre + n + ".bias")):
                    y = y + self.lm(pre + n + ".bias")
                return y

            if resid is not None and resid[0] == i:
                x = x.clone()
                x[resid[1]] += resid[2]
            h = self.rms(x, W("input_layernorm"), eps)
            q, k, v = proj("self_attn.q_proj", h), proj("self_attn.k_proj", h), proj("self_attn.v_proj", h)
            if kv is not None and kv[0] == i:
                k, v = k.clone(), v.clone()
                k[kv[1]] += kv[2]
                v[kv[1]] += kv[3]
            q = rope(q.reshape(T, H, hd).transpose(0, 1))
            k = rope(k.reshape(T, KVH, hd).transpose(0, 1)).repeat_interleave(H // KVH, 0)
            v = v.reshape(T, KVH, hd).transpose(0, 1).repeat_interleave(H // KVH, 0)
            a = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(hd) + mask, -1) @ v
            x = x + proj("self_attn.o_proj", a.transpose(0, 1).reshape(T, H * hd))
            h = self.rms(x, W("post_attention_layernorm"), eps)
            h = (F.silu(h @ W("mlp.gate_proj").T) * (h @ W("mlp.up_proj").T)) @ W("mlp.down_proj").T
            x = x + h
            if steer is not None and i in steer[0]:
                x = x.clone()
                x[steer[2]] += steer[1]
            outs.append(x)
        logits = self.rms(x[-1], self.lm("norm.weight"), eps) @ self.lm_head().T
        return embeds, outs, logits


def assert_close(name, got: torch.Tensor, ref: torch.Tensor, rtol=2e-5):
    got = got.to(torch.float64)
    scale = max(ref.abs().max().item(), 1.0)
    err = (got - ref).abs().max().item()
    if not err <= rtol * scale:
        raise AssertionError(f"{name}: max abs err {err:.3g} vs scale {scale:.3g}")
    return err / scale


def check_against_reference(folder, tensors, input_ids, params, rand):
    ref = Ref(folder)
    pix = tensors["pixel_values"].to(torch.float64)
    worst = assert_close("image_features", tensors["image_features"], ref.image_features(pix))
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
    """One top-level key per line; compact values (same format as make_fixtures.py)."""
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


def load_inputs(processor, folder, prompt):
    image = Image.open(os.path.join(folder, "image.png")).convert("RGB")
    return processor(images=image, text=prompt, return_tensors="pt"), image


def check_pixel_values(pixel_values: torch.Tensor, image: Image.Image, image_processor) -> None:
    x = np.asarray(image, dtype=np.uint8).transpose(2, 0, 1)  # [3,H,W]
    r = (x.astype(np.float64) * (1 / 255)).astype(np.float32)
    mean = np.array(image_processor.image_mean, dtype=np.float32)[:, None, None]
    std = np.array(image_processor.image_std, dtype=np.float32)[:, None, None]
    exact = (r - mean) / std
    assert pixel_values.shape == (1, 3, x.shape[1], x.shape[2]), pixel_values.shape
    diff = np.abs(pixel_values[0].numpy() - exact).max()
    assert diff == 0.0, f"pixel_values mismatch {diff}"
    approx = (x / 255.0 - np.array(image_processor.image_mean)[:, None, None]) / np.array(image_processor.image_std)[:, None, None]
    assert np.abs(pixel_values[0].numpy() - approx).max() < 1e-6


def load_model(folder):
    m = LlavaForConditionalGeneration.from_pretrained(folder, attn_implementation=ATTN_IMPL, dtype=torch.float32)
    m.eval()
    for name, p in m.named_parameters():
        assert p.dtype == torch.float32, name
    return m


def make_case(case: dict, out_root: str) -> dict:
    folder = os.path.join(out_root, case["name"])
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    tok, tokinfo = build_tokenizer(case["tokenizer"])
    prompt = tokinfo["spec"]["prompt"]
    processor = build_processor(case, tok)

    vc = case["vision"]
    n_patches = (vc["image_size"] // vc["patch_size"]) ** 2
    has_cls = vc["kind"] == "clip"
    num_image_tokens = n_patches + (1 if has_cls and case["vision_feature_select_strategy"] == "full" else 0)
    config = build_config(case, tokinfo, num_image_tokens)
    config._attn_implementation = ATTN_IMPL
    tcfg = config.text_config
    tied = case["text_cfg"]["tie_word_embeddings"]
    V = tcfg.vocab_size
    damp = sorted(set(tokinfo["special_ids"]) | set(range(tokinfo["size"], V)))
    special = set(damp)

    def ordinary(t):
        return t not in special and 0 <= t < tokinfo["size"]

    torch.manual_seed(case["seed"])
    model = LlavaForConditionalGeneration(config)
    scale_up_init(model, torch.Generator().manual_seed(case["seed"]), damp, tied)
    model.eval()
    wdtype = DTYPES[case["weights_dtype"]]
    f32_state = {k: v.clone() for k, v in model.state_dict().items()}
    if wdtype != torch.float32:
        model = model.to(wdtype)
    save_kw = {"max_shard_size": case["max_shard_size"]} if case["max_shard_size"] else {}
    model.save_pretrained(folder, **save_kw)
    processor.save_pretrained(folder)
    saved_files = sorted(os.listdir(folder))
    del model

    # --- what landed on disk
    disk, shard_files = load_checkpoint_tensors(folder)
    disk_dtypes = sorted({str(v.dtype).replace("torch.", "") for v in disk.values()})
    assert disk_dtypes == [case["weights_dtype"]], disk_dtypes
    assert any(k.endswith("lm_head.weight") for k in disk) != tied, "tied lm_head must not be saved (and vice versa)"
    if case["max_shard_size"]:
        assert "model.safetensors.index.json" in saved_files and 2 <= len(shard_files) <= 3, shard_files
    with open(os.path.join(folder, "config.json")) as f:
        saved_cfg = json.load(f)

    Image.fromarray(make_image(case["seed"], vc["image_size"])).save(os.path.join(folder, "image.png"))
    inputs, image = load_inputs(processor, folder, prompt)
    check_pixel_values(inputs["pixel_values"], image, processor.image_processor)

    # --- the reference model is the reloaded checkpoint, computed in float32
    model = load_model(folder)
    sd = model.state_dict()
    for k, v in f32_state.items():
        if k not in sd:
            continue
        expect = v.to(wdtype).to(torch.float32)
        assert torch.equal(sd[k], expect), f"reloaded weight {k} != {case['weights_dtype']}-rounded original"
    if wdtype != torch.float32:
        n_changed = sum(int(not torch.equal(sd[k], v)) for k, v in f32_state.items() if k in sd)
        assert n_changed > 0.9 * len(sd), n_changed  # rounding really happened

    input_ids = inputs["input_ids"][0].tolist()
    image_token_id = config.image_token_id
    assert image_token_id == processor.image_token_id == tok.convert_tokens_to_ids(IMAGE_TOKEN)
    image_positions = [i for i, t in enumerate(input_ids) if t == image_token_id]
    assert len(image_positions) == num_image_tokens, (len(image_positions), num_image_tokens)
    assert image_positions == list(range(image_positions[0], image_positions[0] + num_image_tokens))
    raw = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    assert raw.encode(prompt.replace(IMAGE_TOKEN, IMAGE_TOKEN * num_image_tokens)).ids == input_ids
    if tokinfo["spec"]["add_bos"]:
        assert input_ids[0] == tcfg.bos_token_id
    else:
        assert tcfg.bos_token_id not in input_ids

    T = len(input_ids)
    text = tok.convert_tokens_to_ids
    ctx = input_ids.index(text("context"))
    assert input_ids[ctx + 1] == text(":")
    ctx_end = input_ids.index(text("."), ctx)
    kv_text_positions = list(range(ctx + 2, ctx_end))  # "the red ball is left of the cube"

    L, D = tcfg.num_hidden_layers, tcfg.hidden_size
    head_dim = getattr(tcfg, "head_dim", None) or D // tcfg.num_attention_heads
    KVD = tcfg.num_key_value_heads * head_dim
    N = HOOKS["num_noise_samples"]
    params = dict(HOOKS)
    params.update(
        steer_layers=[L - 2, L - 1],
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

    tensors, ids, hidden_states = compute_all(model, inputs, params, rand, ordinary, check_naive=True)

    # hidden_states layout: (embeds, layer_out.0, ..., layer_out.L-2, final_norm(layer_out.L-1))
    assert len(hidden_states) == L + 1
    assert torch.equal(hidden_states[0][0], tensors["embeds"])
    for l in range(L - 1):
        assert torch.equal(hidden_states[l + 1][0], tensors[f"layer_out.{l}"])
    assert torch.allclose(hidden_states[L][0], final_norm(model)(tensors[f"layer_out.{L - 1}"][None])[0])
    assert torch.allclose(tensors[f"lens_logits.{L - 1}"], tensors["logits"], atol=1e-5)

    # SigLIP: post_layernorm is really unused (features differ if it were applied)
    if vc["kind"] == "siglip":
        with torch.no_grad():
            vt = model.model.vision_tower
            vout = vt(inputs["pixel_values"], output_hidden_states=True)
            hs_sel = vout.hidden_states[case["vision_feature_layer"]]
            assert torch.equal(model.model.multi_modal_projector(hs_sel)[0], tensors["image_features"])
            assert len(vout.hidden_states) == vc["num_hidden_layers"] + 1
            if case["vision_feature_layer"] == -1:
                assert not torch.allclose(vout.last_hidden_state, hs_sel), "post_layernorm should change the last layer"

    # Mistral: the sliding window has no effect at this length (same logits with sliding_window=None)
    if getattr(tcfg, "sliding_window", None) is not None:
        assert T + HOOKS["max_new_tokens"] <= tcfg.sliding_window
        model.config.text_config.sliding_window = None
        model.model.language_model.config.sliding_window = None
        assert torch.equal(last_logits(model, inputs), tensors["logits"])
        model.config.text_config.sliding_window = saved_cfg["text_config"]["sliding_window"]
        model.model.language_model.config.sliding_window = saved_cfg["text_config"]["sliding_window"]
        assert torch.equal(last_logits(model, inputs), tensors["logits"])

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

    worst = check_against_reference(folder, tensors, input_ids, params, rand)
    stats["reference_max_rel_err"] = worst

    if wdtype != torch.float32:
        # the half-precision rounding matters far beyond the Swift tolerance (1e-4): a loader that mis-decodes
        # bf16/f16 (or a reference computed from the unrounded weights) cannot pass by accident
        unrounded = LlavaForConditionalGeneration(config)
        unrounded.load_state_dict(f32_state)
        unrounded.eval()
        d = float((last_logits(unrounded, inputs) - clean).abs().max())
        stats["maxdiff_logits_vs_unrounded_f32_weights"] = d
        assert d > 1e-3, d
        del unrounded

    bos_note = "BOS at 0" if tokinfo["spec"]["add_bos"] else "no BOS is added (Qwen2 tokenizer), position 0 is <|im_start|>"
    arch = dict(
        vision_model_type=saved_cfg["vision_config"]["model_type"],
        text_model_type=saved_cfg["text_config"]["model_type"],
        weights_dtype=case["weights_dtype"],
        weight_files=shard_files,
        sharded=bool(case["max_shard_size"]),
        max_shard_size=case["max_shard_size"],
        tie_word_embeddings=tied,
        lm_head_in_checkpoint=not tied,
        tokenizer_vocab_size=tokinfo["size"],
        special_token_ids=tokinfo["ids"],
        bos_added=tokinfo["spec"]["add_bos"],
        rope_theta=saved_cfg["text_config"]["rope_parameters"]["rope_theta"],
        sliding_window=saved_cfg["text_config"].get("sliding_window"),
        reference_compute_dtype="float32 (weights widened on load)",
    )
    expected = dict(
        case=case["name"],
        conventions=(
            f"positions are 0-based indices into input_ids (image tokens already expanded; {bos_note}); "
            "layer_out.l = output of decoder layer l (no final norm); embeds = input of layer 0; "
            "steering: layer_out[steer_layers][positions] += steer_scale * steer_vector; "
            "kv noise: added to self_attn.k_proj / v_proj outputs of layer kv_layer (before RoPE) at kv_positions; "
            "resid noise: added to the input of decoder layer resid_layer at resid_positions; "
            "logits* are last-position logits; generation is greedy, stops at eos_token_id or max_new_tokens; "
            "all references computed in float32 from the weights as stored (half weights widened exactly)"),
        transformers_version=transformers.__version__,
        torch_version=torch.__version__,
        attn_implementation=ATTN_IMPL,
        prompt=prompt,
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
        architecture=arch,
        saved_by_transformers=saved_files,
        tensors={k: list(v.shape) for k, v in sorted(tensors.items())},
        stats=stats,
    )
    save_file(tensors, os.path.join(folder, "expected.safetensors"))
    write_json(os.path.join(folder, "expected.json"), expected)
    print(f"[{case['name']}] T={T} image_tokens={num_image_tokens} V={V} generated={ids['generated_ids']} "
          f"steered={ids['generated_ids_steered']} top={ids['top_tokens']} ref_rel_err={worst:.2e} "
          f"logits_absmax={stats['logits_absmax']:.2f} image_features_absmax={float(tensors['image_features'].abs().max()):.2f}")
    print(f"    files written by save_pretrained: {saved_files}")

    # ---- reload from disk and reproduce everything bit-for-bit
    del model
    model2 = load_model(folder)
    proc2 = LlavaProcessor.from_pretrained(folder)
    inputs2, _ = load_inputs(proc2, folder, prompt)
    assert inputs2["input_ids"][0].tolist() == input_ids
    assert torch.equal(inputs2["pixel_values"], inputs["pixel_values"])
    exp_t = {}
    with safe_open(os.path.join(folder, "expected.safetensors"), "pt") as f:
        for k in f.keys():
            exp_t[k] = f.get_tensor(k)
    with open(os.path.join(folder, "expected.json")) as f:
        exp_j = json.load(f)
    t2, ids2, _ = compute_all(model2, inputs2, params, {k: exp_t[k] for k in rand}, ordinary, check_naive=True)
    assert set(t2) == set(exp_t)
    for k in exp_t:
        d = (t2[k] - exp_t[k]).abs().max().item()
        assert d == 0.0, f"reload mismatch {k}: {d}"
    for k in ("generated_ids", "generated_ids_steered", "top_tokens"):
        assert ids2[k] == exp_j[k], k
    print("    reload check: all tensors max abs diff 0, ids identical; generate() == no-cache greedy loop")
    return expected


def folder_size(path: str) -> int:
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(path) for f in fs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="Tests/AMPSModelTests/Fixtures", help="output directory")
    ap.add_argument("--only", nargs="*", help="case names to (re)build; default all")
    args = ap.parse_args()
    if transformers.__version__ != EXPECTED_TRANSFORMERS:
        print(f"warning: transformers {transformers.__version__} != pinned {EXPECTED_TRANSFORMERS}", file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    names = [c["name"] for c in CASES]
    for n in args.only or []:
        assert n in names, f"unknown case {n}; known: {names}"
    total = 0
    for case in CASES:
        if args.only and case["name"] not in args.only:
            continue
        make_case(case, args.out)
        size = folder_size(os.path.join(args.out, case["name"]))
        total += size
        print(f"    {case['name']}: {size} bytes")
    print(f"total size of these fixtures: {total} bytes ({total / 1024:.1f} KiB)")


if __name__ == "__main__":
    main()
