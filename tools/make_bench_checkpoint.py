#!/usr/bin/env python3
"""Make a random-weight LLaVA checkpoint with the exact shape of llava-hf/llava-interleave-qwen-0.5b-hf, for the
large-checkpoint part of `make bench` (amps bench --large DIR, tools/bench_torch.py --large DIR).

    python3 tools/make_bench_checkpoint.py --out bench-out/llava-qwen05b-shape [--tiny] [--dtype bf16|f16|f32]
                                           [--text qwen1.5-0.5b|qwen2-0.5b] [--max-shard-size SIZE] [--seed S]

Shape (the hub config.json of llava-hf/llava-interleave-qwen-0.5b-hf, whose language model is Qwen1.5-0.5B-Chat):
  vision  siglip_vision_model: hidden 1152, intermediate 4304, 26 layers, 16 heads, image 384, patch 14 (27x27 = 729
          patches), gelu_pytorch_tanh, layer_norm_eps 1e-6, vision_use_head false
  llava   vision_feature_layer -1, vision_feature_select_strategy "full", projector gelu (1152 -> 1024 -> 1024, biases),
          image_token_index 151646, image_seq_length 729, tie_word_embeddings true
  text    qwen2: hidden 1024, intermediate 2816, 24 layers, 16 heads, 16 KV heads (no GQA), rope_theta 1e6,
          rms_norm_eps 1e-6, vocab 152000 (151936 of Qwen1.5 padded), max_position_embeddings 32768,
          bos 151643, eos 151645, tied lm_head, use_sliding_window false (max_window_layers 21)
  --text qwen2-0.5b swaps in the Qwen2-0.5B text shape instead (hidden 896, intermediate 4864, 14 heads, 2 KV heads,
          vocab 151936), i.e. the text model of llava-onevision-qwen2-0.5b; everything else unchanged.
--tiny keeps the architecture, the tokenizer and the vocabulary (152000) but shrinks everything else (image 56 -> 16
patches, 2+2 layers, hidden 32/64) for quick checks.

Weights: transformers' own random init (torch.manual_seed(--seed), initializer_range 0.02), saved with save_pretrained
in --dtype (default bf16, as the hub checkpoint is half precision) and transformers' default sharding (max_shard_size
50GB in 5.24, i.e. one model.safetensors; --max-shard-size 500MB gives shards + index).

Processor: LlavaProcessor (patch_size 14, strategy "full", num_additional_image_tokens 0, image token "<image>") with a
SiglipImageProcessor (384x384, bicubic, rescale 1/255, mean/std 0.5; the PIL backend class, as torchvision is not
required) and a byte-level BPE tokenizer trained with the `tokenizers` library on the small corpus below (NFC, Qwen2's
Split regex + ByteLevel, ByteLevel decoder); the corpus saturates at 972 tokens. Its special tokens sit at the real model's ids: <|endoftext|>
151643, <|im_start|> 151644, <|im_end|> 151645, <image> 151646 (entries of the BPE vocab with those ids, so the vocab
is sparse, and added special tokens with the same ids). eos "<|im_end|>", pad "<|endoftext|>", no BOS (as Qwen2).

The folder is written to OUT.partial and renamed at the end, so an interrupted run never leaves an OUT that looks
complete. OUT must not exist (--force replaces it). Also written: bench_checkpoint.json (shape, parameter count,
sizes, seed, tokenizer facts). Real shape: 864,031,264 parameters, ~30 s and ~4.4 GB peak RAM, 1.73 GB on disk in bf16.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

IMAGE_TOKEN = "<image>"
SPECIAL_IDS = {"<|endoftext|>": 151643, "<|im_start|>": 151644, "<|im_end|>": 151645, IMAGE_TOKEN: 151646}
IMAGE_TOKEN_INDEX = SPECIAL_IDS[IMAGE_TOKEN]
QWEN2_PATTERN = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"""
                 r""" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")

VISION = dict(hidden_size=1152, intermediate_size=4304, num_hidden_layers=26, num_attention_heads=16, image_size=384,
              patch_size=14, hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6, vision_use_head=False)
TEXT = {
    # llava-interleave-qwen-0.5b-hf text_config (Qwen/Qwen1.5-0.5B-Chat, vocab padded to 152000 by the llava-hf port)
    "qwen1.5-0.5b": dict(hidden_size=1024, intermediate_size=2816, num_hidden_layers=24, num_attention_heads=16,
                         num_key_value_heads=16, vocab_size=152000, max_position_embeddings=32768,
                         max_window_layers=21),
    # Qwen/Qwen2-0.5B(-Instruct) (the text model of llava-onevision-qwen2-0.5b)
    "qwen2-0.5b": dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                       num_key_value_heads=2, vocab_size=151936, max_position_embeddings=32768, max_window_layers=24),
}
TINY_VISION = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=56)
TINY_TEXT = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4)

CORPUS = """\
hello world! Hello there, hello again; say hello to everyone. hello hello hello.
The quick brown fox jumps over the lazy dog. A picture is worth a thousand words.
What is shown in this image? The image shows a cat sitting on a wooden table next to a cup of coffee.
Describe the image in detail. There is a red ball on the left and a blue cube on the right.
How many objects are there? There are three objects: a sphere, a cylinder and a cone.
Question: what color is the car? Answer: the car is yellow. Question: where is the dog? Answer: under the tree.
The weather today is sunny with a light breeze, and the temperature is about twenty degrees.
In 2024 the city had 1,234,567 inhabitants; in 1999 it had 987,654. Prices rose by 3.5% per year.
She said: "I'm going to the store, don't wait for me!" He replied: 'We'll see, you're always late.'
The model reads the picture and the text, then answers the question with one word.
Large language models are trained on text; vision language models also see images.
Attention layers mix information between tokens, while the feed-forward layers transform each token.
def tokenize(text):
    return [token for token in text.split() if token]
for (int i = 0; i < n; ++i) { sum += values[i] * 2; }
if x > 0 and y < 10: print("inside", x, y)
Numbers like 3.14159, 2.71828 and 1.41421 appear in many formulas; 42 is the answer.
Les élèves étudient la géométrie à l'école. Die Straße ist sehr schön. El niño comió una manzana.
Привет, как дела? 我喜欢学习语言。今天天气很好。 東京は日本の首都です。 서울은 대한민국의 수도입니다.
Emoji are fun 😀 👍 🎉 and so are symbols like → ≤ ≥ ± × ÷ ° € £ ¥.
email: someone@example.com, url: https://example.org/path?query=1&x=2#frag
The    spaces	and tabs
  matter   in code.
user: hello, can you help me? assistant: hello! Of course, what do you need?
system: You are a helpful assistant. user: Describe this picture. assistant: It shows a bright kitchen.
"""


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.2f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000
    return str(n)


def build_tokenizer(vocab_size: int):
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, \
        trainers
    from transformers import PreTrainedTokenizerFast

    tk = Tokenizer(models.BPE())
    tk.normalizer = normalizers.NFC()
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tk.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    tk.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tk.train_from_iterator(CORPUS.splitlines(keepends=True) * 4, trainer)
    base_size = tk.get_vocab_size()
    assert base_size < min(SPECIAL_IDS.values())
    # The special tokens get the real model's ids: put them into the BPE vocab at those ids (the vocab becomes sparse;
    # the tokenizers library maps an added token that is already in the vocab to its vocab id) and add them as
    # special added tokens. A plain add_special_tokens would number them base_size, base_size + 1, ...
    j = json.loads(tk.to_str())
    j["model"]["continuing_subword_prefix"] = ""  # as Qwen2's tokenizer.json writes them
    j["model"]["end_of_word_suffix"] = ""
    # decoders.ByteLevel(...) ignores its keyword arguments and saves the GPT-2 defaults (true, true, true); Qwen2's
    # tokenizer.json has false, false, false (the flags do not change decoding).
    j["decoder"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    for t, i in SPECIAL_IDS.items():
        j["model"]["vocab"][t] = i
    tk = Tokenizer.from_str(json.dumps(j, ensure_ascii=False))
    tk.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_IDS])
    for t, i in SPECIAL_IDS.items():
        if tk.token_to_id(t) != i:
            raise SystemExit(f"tokenizer: {t} got id {tk.token_to_id(t)}, expected {i}")
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    return tok, base_size


def build(args):
    import torch
    import transformers
    from transformers import LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor, Qwen2Config, \
        SiglipImageProcessorPil, SiglipVisionConfig
    from transformers.image_utils import PILImageResampling

    transformers.logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    vision = dict(VISION)
    text = dict(TEXT[args.text])
    if args.tiny:
        vision.update(TINY_VISION)
        kv = 4 if text["num_key_value_heads"] == text["num_attention_heads"] else 2
        text.update(TINY_TEXT, num_key_value_heads=kv, max_position_embeddings=4096,
                    max_window_layers=TINY_TEXT["num_hidden_layers"])
    patches = (vision["image_size"] // vision["patch_size"]) ** 2

    tok, base_vocab = build_tokenizer(args.vocab)
    ip = SiglipImageProcessorPil(
        do_resize=True, size={"height": vision["image_size"], "width": vision["image_size"]},
        resample=PILImageResampling.BICUBIC, do_rescale=True, rescale_factor=1 / 255, do_normalize=True,
        image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5], do_convert_rgb=True)
    processor = LlavaProcessor(image_processor=ip, tokenizer=tok, patch_size=vision["patch_size"],
                               vision_feature_select_strategy="full", num_additional_image_tokens=0,
                               image_token=IMAGE_TOKEN)

    text_config = Qwen2Config(
        rope_parameters={"rope_type": "default", "rope_theta": 1e6}, rms_norm_eps=1e-6, hidden_act="silu",
        tie_word_embeddings=True, use_sliding_window=False, sliding_window=32768,
        bos_token_id=SPECIAL_IDS["<|endoftext|>"], eos_token_id=SPECIAL_IDS["<|im_end|>"], **text)
    config = LlavaConfig(
        vision_config=SiglipVisionConfig(**vision), text_config=text_config, image_token_index=IMAGE_TOKEN_INDEX,
        vision_feature_layer=-1, vision_feature_select_strategy="full", projector_hidden_act="gelu",
        multimodal_projector_bias=True, image_seq_length=patches, tie_word_embeddings=True)

    t0 = time.perf_counter()
    model = LlavaForConditionalGeneration(config).eval()
    init_s = time.perf_counter() - t0
    n_params = sum(p.numel() for p in model.parameters())  # the tied head is counted once
    parts = {
        "vision_tower": sum(p.numel() for p in model.model.vision_tower.parameters()),
        "multi_modal_projector": sum(p.numel() for p in model.model.multi_modal_projector.parameters()),
        "language_model": sum(p.numel() for p in model.model.language_model.parameters()),
    }
    assert sum(parts.values()) == n_params, (parts, n_params)
    assert model.lm_head.weight is model.model.language_model.embed_tokens.weight
    dtype = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}[args.dtype]
    model.to(dtype)

    # sanity: the processor expands <image> to as many tokens as the vision tower yields, with the config's id
    from PIL import Image
    import numpy as np
    s = vision["image_size"]
    img = Image.fromarray(((np.arange(s * s * 3) * 37) % 251).astype(np.uint8).reshape(s, s, 3), "RGB")
    enc = processor(text=processor.image_token + "\n" + ("hello " * 100).strip(), images=img, return_tensors="pt")
    ids = enc["input_ids"][0].tolist()
    n_img = sum(1 for i in ids if i == IMAGE_TOKEN_INDEX)
    if n_img != patches:
        raise SystemExit(f"processor expanded <image> to {n_img} tokens with id {IMAGE_TOKEN_INDEX}, expected {patches}")
    hello = tok("hello hello", add_special_tokens=False)["input_ids"]
    if len(hello) != 2:
        raise SystemExit(f"'hello hello' is {len(hello)} tokens, expected 2")

    out = os.path.abspath(args.out)
    tmp = out + ".partial"
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    os.makedirs(tmp)
    t0 = time.perf_counter()
    kw = {"max_shard_size": args.max_shard_size} if args.max_shard_size else {}
    model.save_pretrained(tmp, **kw)
    processor.save_pretrained(tmp)
    save_s = time.perf_counter() - t0
    files = sorted(os.listdir(tmp))
    weight_bytes = sum(os.path.getsize(os.path.join(tmp, f)) for f in files if f.endswith(".safetensors"))
    info = {
        "tool": "tools/make_bench_checkpoint.py",
        "shape_of": "llava-hf/llava-interleave-qwen-0.5b-hf" if args.text == "qwen1.5-0.5b"
        else "llava-interleave-qwen-0.5b-hf vision + Qwen2-0.5B text",
        "tiny": args.tiny, "text": args.text, "seed": args.seed, "dtype": str(dtype).replace("torch.", ""),
        "transformers_version": transformers.__version__, "torch_version": torch.__version__,
        "parameters": n_params, "parameters_by_part": parts,
        "vision": vision, "text_config": text, "image_tokens": patches, "image_token_index": IMAGE_TOKEN_INDEX,
        "tokenizer": {"bpe_vocab": base_vocab, "special_ids": SPECIAL_IDS,
                      "bench_prompt_tokens": len(ids)},
        "weight_files": [f for f in files if f.endswith(".safetensors")], "weight_bytes": weight_bytes,
        "init_seconds": init_s, "save_seconds": save_s,
    }
    with open(os.path.join(tmp, "bench_checkpoint.json"), "w") as fh:
        json.dump(info, fh, indent=1)
        fh.write("\n")
    if os.path.exists(out):
        shutil.rmtree(out)
    os.rename(tmp, out)
    print(f"{args.out}: {n_params:,} parameters ({', '.join(f'{k} {v:,}' for k, v in parts.items())}), "
          f"{info['dtype']} weights {human(weight_bytes)} in {len(info['weight_files'])} file(s); "
          f"BPE vocab {base_vocab} + 4 specials; bench prompt {len(ids)} tokens; "
          f"init {init_s:.1f} s, save {save_s:.1f} s")
    print("files: " + " ".join(files + ["bench_checkpoint.json"]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--out", required=True, help="folder to create (e.g. bench-out/llava-qwen05b-shape)")
    ap.add_argument("--tiny", action="store_true", help="same architecture, tiny sizes (quick checks)")
    ap.add_argument("--dtype", choices=["bf16", "f16", "f32"], default="bf16", help="weights on disk (default bf16)")
    ap.add_argument("--text", choices=sorted(TEXT), default="qwen1.5-0.5b",
                    help="text model shape (default qwen1.5-0.5b = the hub model's)")
    ap.add_argument("--max-shard-size", help="save_pretrained max_shard_size (default: transformers' default)")
    ap.add_argument("--vocab", type=int, default=4096, help="BPE trainer vocab_size (the corpus saturates earlier)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    ap.add_argument("--force", action="store_true", help="replace --out if it exists")
    args = ap.parse_args(argv)
    if os.path.exists(args.out) and not args.force:
        print(f"make_bench_checkpoint.py: {args.out} exists (use --force to replace it)", file=sys.stderr)
        return 2
    build(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
