#!/usr/bin/env python3
"""Make the two small random-weight checkpoints that the end-to-end command tests run every
`amps` command on, one per real model family, with that family's prompt file:

  e2e_llava15          like llava-hf/llava-1.5-7b-hf: CLIP vision (class token, feature layer -2,
                       strategy "default"), Llama text, a SentencePiece-style BPE tokenizer with byte
                       fallback (Metaspace, <s> added), CLIPImageProcessor (shortest edge 24, bicubic,
                       center crop 24: the 32x32 sample images are resized), bfloat16 weights;
                       prompt samples/prompts/llava-1.5.json.
  e2e_interleave_qwen  like llava-hf/llava-interleave-qwen-0.5b-hf: SigLIP vision (strategy "full"),
                       Qwen2 text (q/k/v biases, tied embeddings), a byte-level BPE tokenizer (ChatML
                       specials), SiglipImageProcessor (26x26, bicubic; 26 is not a multiple of the
                       patch 6, as 384 is not of 14 in the real one), float32 weights in shards;
                       prompt samples/prompts/qwen2-chat.json.

Both tokenizers are trained with the `tokenizers` library on prompts rendered from
samples/data/train.jsonl with the family's prompt file, so that the instances encode to
ordinary tokens and the answer letters are single tokens, as they are for the real models.

Each folder also gets expected.json: for the first conflict instance of samples/data/test.jsonl
(vision answer first, no instruction) the rendered prompt, transformers' input_ids, and the
last-position logits (float32 forward of the saved weights), so the end-to-end test checks the
numbers too, not only that the commands run.

Run from the repository root (deterministic; re-running rewrites identical files):

    python3 tools/make_e2e_fixtures.py [--out Tests/AMPSInspectorTests/Fixtures]
"""
import argparse
import json
import os
import shutil
import sys

import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_tokenizer_fixtures as MTF  # noqa: E402  (the BPE trainers of the tokenizer fixtures)

import transformers  # noqa: E402

transformers.logging.set_verbosity_error()
from transformers import (  # noqa: E402
    CLIPImageProcessorPil, CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration,
    LlavaProcessor, PreTrainedTokenizerFast, Qwen2Config, SiglipImageProcessorPil, SiglipVisionConfig,
)
from transformers.image_utils import PILImageResampling  # noqa: E402

torch.set_num_threads(1)
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def render(template: dict, inst: dict, instruction: str, vision_first: bool, answer: str = "") -> str:
    a, b = (inst["answer_vision"], inst["answer_text"]) if vision_first else (inst["answer_text"], inst["answer_vision"])
    text = (template["template"].replace("{context}", inst["context"])
            .replace("{instruction}", template["instructions"][instruction])
            .replace("{question}", inst["question"]).replace("{option_a}", a).replace("{option_b}", b))
    return text + answer


def corpus(template: dict, insts: list) -> str:
    lines = []
    for k, inst in enumerate(insts):
        instr = ["none", "vision", "text"][k % 3]
        lines.append(render(template, inst, instr, k % 2 == 0, " A" if k % 4 < 2 else " B"))
        lines.append(render(template, inst, instr, k % 2 == 1, "A" if k % 4 < 2 else "B"))
    return "\n".join(lines) + "\n"


def llava15_tokenizer(text: str) -> PreTrainedTokenizerFast:
    MTF.CORPUS = text
    current, _ = MTF.train_llama(700)
    return PreTrainedTokenizerFast(tokenizer_object=current, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="<pad>")


def qwen_tokenizer(text: str) -> PreTrainedTokenizerFast:
    MTF.CORPUS = text
    tk = MTF.train_qwen2(700)
    return PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   unk_token="<|endoftext|>")


CASES = {
    "e2e_llava15": dict(prompt="llava-1.5", seed=11, vision="clip", text="llama", dtype=torch.bfloat16, shard=None),
    "e2e_interleave_qwen": dict(prompt="qwen2-chat", seed=12, vision="siglip", text="qwen2", dtype=torch.float32,
                                shard="200KB"),
}


def build(case: dict, tok: PreTrainedTokenizerFast):
    image_token_id = tok.convert_tokens_to_ids("<image>")
    if case["vision"] == "clip":
        vc = CLIPVisionConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                              image_size=24, patch_size=6, hidden_act="quick_gelu", projection_dim=32,
                              initializer_range=0.1)
        ip = CLIPImageProcessorPil(do_resize=True, size={"shortest_edge": 24}, resample=PILImageResampling.BICUBIC,
                                   do_center_crop=True, crop_size={"height": 24, "width": 24}, do_rescale=True,
                                   rescale_factor=1 / 255, do_normalize=True, image_mean=CLIP_MEAN,
                                   image_std=CLIP_STD, do_convert_rgb=True)
        strategy, layer, extra, n_img = "default", -2, 1, 16
    else:
        # image_size 26 with patch 6: like SigLIP-so400m's 384 / 14, the size is not a multiple of the
        # patch, and the patch convolution drops the remainder (4 x 4 patches).
        vc = SiglipVisionConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                                image_size=26, patch_size=6, hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6,
                                vision_use_head=False, initializer_range=0.1)
        ip = SiglipImageProcessorPil(do_resize=True, size={"height": 26, "width": 26},
                                     resample=PILImageResampling.BICUBIC, do_rescale=True, rescale_factor=1 / 255,
                                     do_normalize=True, image_mean=[0.5] * 3, image_std=[0.5] * 3,
                                     do_convert_rgb=True)
        strategy, layer, extra, n_img = "full", -1, 0, 16
    common = dict(vocab_size=len(tok), hidden_size=64, num_hidden_layers=4, num_attention_heads=4,
                  num_key_value_heads=2, intermediate_size=128, max_position_embeddings=2048, initializer_range=0.1,
                  eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    if case["text"] == "llama":
        tc = LlamaConfig(bos_token_id=tok.bos_token_id, rms_norm_eps=1e-5,
                         rope_parameters={"rope_type": "default", "rope_theta": 10000.0}, tie_word_embeddings=False,
                         **common)
        tied = False
    else:
        tc = Qwen2Config(bos_token_id=tok.convert_tokens_to_ids("<|endoftext|>"), rms_norm_eps=1e-6,
                         rope_parameters={"rope_type": "default", "rope_theta": 1e6}, tie_word_embeddings=True,
                         use_sliding_window=False, **common)
        tied = True
    cfg = LlavaConfig(vision_config=vc, text_config=tc, image_token_index=image_token_id,
                      vision_feature_layer=layer, vision_feature_select_strategy=strategy,
                      projector_hidden_act="gelu", image_seq_length=n_img, tie_word_embeddings=tied)
    proc = LlavaProcessor(image_processor=ip, tokenizer=tok, patch_size=6, vision_feature_select_strategy=strategy,
                          num_additional_image_tokens=extra, image_token="<image>")
    return cfg, proc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="Tests/AMPSInspectorTests/Fixtures")
    ap.add_argument("--data", default="samples/data")
    a = ap.parse_args()
    train = [json.loads(line) for line in open(os.path.join(a.data, "train.jsonl"))][:400]
    test = [json.loads(line) for line in open(os.path.join(a.data, "test.jsonl"))]
    probe = next(i for i in test if i["meta"]["kind"] == "conflict")
    for name, case in CASES.items():
        template = json.load(open(f"samples/prompts/{case['prompt']}.json"))
        text = corpus(template, train)
        tok = llava15_tokenizer(text) if case["text"] == "llama" else qwen_tokenizer(text)
        for letter in template["answer_options"]:
            assert len(tok.encode(letter, add_special_tokens=False)) == 1, (name, letter)
        cfg, proc = build(case, tok)
        torch.manual_seed(case["seed"])
        model = LlavaForConditionalGeneration(cfg).eval()
        folder = os.path.join(a.out, name)
        shutil.rmtree(folder, ignore_errors=True)
        kw = {"max_shard_size": case["shard"]} if case["shard"] else {}
        model.to(case["dtype"]).save_pretrained(folder, **kw)
        proc.save_pretrained(folder)
        ref = LlavaForConditionalGeneration.from_pretrained(folder, dtype=torch.float32).eval()
        prompt = render(template, probe, "none", True)
        image = Image.open(os.path.join(a.data, probe["image"])).convert("RGB")
        enc = proc(images=image, text=prompt, return_tensors="pt")
        with torch.no_grad():
            logits = ref(**enc).logits[0, -1]
        a_id, b_id = (tok.convert_tokens_to_ids(tok.tokenize(x)[0]) for x in template["answer_options"])
        expected = {
            "prompt_file": case["prompt"], "image_id": probe["image_id"], "image": probe["image"], "prompt": prompt,
            "input_ids": enc["input_ids"][0].tolist(), "answer_ids": [a_id, b_id],
            "logits": [round(float(x), 7) for x in logits], "weights_dtype": str(case["dtype"]).replace("torch.", ""),
            "pixel_values_sum": round(float(enc["pixel_values"].sum()), 5),
        }
        with open(os.path.join(folder, "expected.json"), "w") as f:
            json.dump(expected, f, indent=1)
            f.write("\n")
        size = sum(os.path.getsize(os.path.join(folder, x)) for x in os.listdir(folder))
        print(f"{name}: vocab {len(tok)}, {len(enc['input_ids'][0])} prompt tokens, {size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
