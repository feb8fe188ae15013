#!/usr/bin/env python3
"""Make tiny transformers-random checkpoints of the PyTorch engine's other families and dump
transformers' own outputs for them (engines/torch/tests/fixtures/<family>/):

    python3 tools/make_family_fixtures.py [--out engines/torch/tests/fixtures] [--only qwen2_vl ...]

Families: llava_next (CLIP + Llama, anyres tiles), qwen2_vl (dynamic-resolution ViT + M-RoPE),
qwen2_5_vl (windowed ViT + M-RoPE). Each folder holds config.json, model.safetensors (float32, random
weights from seed 0), a WordLevel tokenizer.json with the family's special tokens, the image
processor's config (PIL backend), generation_config.json, image.png (a 40x24 test picture: not
square, so anyres / dynamic resolution do something), and expected.json:
  prompt (amps' form, with `<image>`), expanded_text, input_ids, image_positions, logits_last (the
  model's own forward on the processor's inputs, float32) and, for the Qwen families, the ids the
  family's own processor class makes when it can be built here (without torchvision its video
  processor may not load; then processor_ids is null and the test checks the hand expansion only).
Deterministic: fixed seeds, eager attention, one thread.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

WORDS = ("Text context : the object is red . What color is the object ? A . red B . blue Answer : "
         "Instruction if image and text disagree , follow").split()


def tokenizer_json(specials: list[str], path: str) -> dict:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    vocab = {}
    for w in specials + sorted(set(WORDS)) + ["[UNK]"]:
        vocab.setdefault(w, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens(specials)
    tok.save(path)
    return vocab


def picture() -> "Image":
    from PIL import Image
    y, x = np.mgrid[0:24, 0:40]
    rgb = np.stack([(x * 6) % 256, (y * 10) % 256, ((x + y) * 4) % 256], axis=-1).astype(np.uint8)
    return Image.fromarray(rgb, "RGB")


def write_json(path, obj):
    with open(path, "w") as fh:
        json.dump(obj, fh, indent=1)
        fh.write("\n")


def make_qwen(out: str, family: str):
    import torch
    import transformers
    from transformers import AutoTokenizer
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>",
                "<|video_pad|>"]
    vocab = tokenizer_json(specials, os.path.join(out, "tokenizer.json"))
    write_json(os.path.join(out, "tokenizer_config.json"), {
        "backend": "tokenizers", "tokenizer_class": "TokenizersBackend", "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>", "unk_token": "[UNK]", "model_max_length": 512})
    ids = {s: vocab[s] for s in specials}
    text = dict(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512, rms_norm_eps=1e-6,
                rope_parameters={"rope_type": "default", "mrope_section": [1, 1, 2], "rope_theta": 10000.0},
                bos_token_id=None, eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"])
    if family == "qwen2_vl":
        vision = dict(depth=2, embed_dim=16, hidden_size=32, num_heads=2, mlp_ratio=2, patch_size=4,
                      spatial_merge_size=2, temporal_patch_size=2, in_channels=3)
        cfg = transformers.Qwen2VLConfig(text_config=text, vision_config=vision)
        model_cls, ip_cls = transformers.Qwen2VLForConditionalGeneration, transformers.Qwen2VLImageProcessorPil
    else:
        vision = dict(depth=2, hidden_size=16, intermediate_size=32, out_hidden_size=32, num_heads=2, patch_size=4,
                      spatial_merge_size=2, temporal_patch_size=2, in_channels=3, window_size=16, fullatt_block_indexes=[1])
        cfg = transformers.Qwen2_5_VLConfig(text_config=text, vision_config=vision)
        model_cls, ip_cls = transformers.Qwen2_5_VLForConditionalGeneration, transformers.Qwen2VLImageProcessorPil
    cfg.image_token_id, cfg.video_token_id = ids["<|image_pad|>"], ids["<|video_pad|>"]
    cfg.vision_start_token_id, cfg.vision_end_token_id = ids["<|vision_start|>"], ids["<|vision_end|>"]
    torch.manual_seed(0)
    model = model_cls(cfg).eval()
    model.save_pretrained(out, safe_serialization=True)
    ip = ip_cls(min_pixels=8 * 8, max_pixels=48 * 48, patch_size=4, temporal_patch_size=2, merge_size=2)
    ip.save_pretrained(out)
    tok = AutoTokenizer.from_pretrained(out)
    img = picture()
    img.save(os.path.join(out, "image.png"))
    prompt = "<|im_start|> <image> Text context : the object is red . What color is the object ? A . red B . blue Answer : <|im_end|>"
    pix = ip(images=[img], return_tensors="pt")
    n = int(pix["image_grid_thw"][0].prod()) // 4
    expanded = prompt.replace("<image>", "<|vision_start|>" + "<|image_pad|>" * n + "<|vision_end|>")
    input_ids = tok(expanded)["input_ids"]
    positions = [i for i, t in enumerate(input_ids) if t == cfg.image_token_id]
    processor_ids = None
    try:
        class ImagesOnlyProcessor(transformers.Qwen2VLProcessor):
            # transformers 5.24 insists on a video processor (torchvision); images need none.
            def check_argument_for_proper_class(self, name, arg):
                return None if name == "video_processor" else super().check_argument_for_proper_class(name, arg)
        proc = ImagesOnlyProcessor(image_processor=ip, tokenizer=tok, video_processor=None)
        qp = prompt.replace("<image>", "<|vision_start|><|image_pad|><|vision_end|>")
        processor_ids = proc(text=[qp], images=[img], return_tensors="pt")["input_ids"][0].tolist()
    except Exception as e:  # noqa: BLE001 - recorded, the test then checks the hand expansion alone
        print(f"{family}: the processor class cannot be built here ({type(e).__name__}: {e})", file=sys.stderr)
    tt = torch.zeros(1, len(input_ids), dtype=torch.int32)
    tt[0, positions] = 1
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([input_ids]), attention_mask=torch.ones(1, len(input_ids), dtype=torch.long),
                       pixel_values=pix["pixel_values"], image_grid_thw=pix["image_grid_thw"], mm_token_type_ids=tt).logits[0, -1]
    return {"prompt": prompt, "expanded_text": expanded, "input_ids": input_ids, "image_positions": positions,
            "image_grid_thw": pix["image_grid_thw"][0].tolist(), "processor_ids": processor_ids,
            "logits_last": logits.tolist()}


def make_llava_next(out: str):
    import torch
    import transformers
    from transformers import AutoTokenizer
    specials = ["<unk>", "<s>", "</s>", "<image>", "[INST]", "[/INST]"]
    vocab = tokenizer_json(specials, os.path.join(out, "tokenizer.json"))
    write_json(os.path.join(out, "tokenizer_config.json"), {
        "backend": "tokenizers", "tokenizer_class": "TokenizersBackend", "bos_token": "<s>", "eos_token": "</s>",
        "unk_token": "<unk>", "pad_token": "<unk>", "model_max_length": 1024})
    text = transformers.LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                    num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                                    bos_token_id=vocab["<s>"], eos_token_id=vocab["</s>"], pad_token_id=vocab["<unk>"])
    vision = transformers.CLIPVisionConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
                                           image_size=16, patch_size=4, projection_dim=32)
    cfg = transformers.LlavaNextConfig(vision_config=vision, text_config=text, image_token_index=vocab["<image>"],
                                       image_grid_pinpoints=[[16, 32], [32, 16], [32, 32]],
                                       vision_feature_select_strategy="default", vision_feature_layer=-1)
    torch.manual_seed(0)
    model = transformers.LlavaNextForConditionalGeneration(cfg).eval()
    model.save_pretrained(out, safe_serialization=True)
    ip = transformers.LlavaNextImageProcessorPil(size={"shortest_edge": 16}, crop_size={"height": 16, "width": 16},
                                                 image_grid_pinpoints=[[16, 32], [32, 16], [32, 32]])
    ip.save_pretrained(out)
    tok = AutoTokenizer.from_pretrained(out)
    proc = transformers.LlavaNextProcessor(image_processor=ip, tokenizer=tok, patch_size=4,
                                           vision_feature_select_strategy="default", image_token="<image>",
                                           num_additional_image_tokens=1)
    proc.save_pretrained(out)
    img = picture()
    img.save(os.path.join(out, "image.png"))
    prompt = "[INST] <image> Text context : the object is red . What color is the object ? A . red B . blue [/INST] Answer :"
    enc = proc(text=prompt, images=img, return_tensors="pt")
    input_ids = enc["input_ids"][0].tolist()
    positions = [i for i, t in enumerate(input_ids) if t == cfg.image_token_index]
    with torch.no_grad():
        logits = model(**enc).logits[0, -1]
    return {"prompt": prompt, "input_ids": input_ids, "image_positions": positions, "processor_ids": input_ids,
            "image_sizes": enc["image_sizes"][0].tolist(), "logits_last": logits.tolist()}


def main() -> int:
    import torch
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="engines/torch/tests/fixtures")
    ap.add_argument("--only", nargs="*", default=["llava_next", "qwen2_vl", "qwen2_5_vl"])
    args = ap.parse_args()
    torch.set_num_threads(1)
    import transformers
    transformers.logging.set_verbosity_error()
    for family in args.only:
        out = os.path.join(args.out, family)
        os.makedirs(out, exist_ok=True)
        exp = make_llava_next(out) if family == "llava_next" else make_qwen(out, family)
        write_json(os.path.join(out, "generation_config.json"),
                   {"eos_token_id": json.load(open(os.path.join(out, "config.json")))["text_config"]["eos_token_id"]})
        exp["family"] = family
        write_json(os.path.join(out, "expected.json"), exp)
        size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
        print(f"{family}: {len(exp['input_ids'])} ids, {len(exp['image_positions'])} image tokens, {size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
