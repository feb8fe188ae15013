#!/usr/bin/env bash
# The PyTorch engine's GPU benchmark, ready for a host with a CUDA GPU and nothing downloadable:
# builds random-weight checkpoints of the exact shapes of llava-hf/llava-1.5-7b-hf and
# Qwen/Qwen2.5-VL-7B-Instruct from their configs (written below), in bfloat16, with a synthetic
# word-level tokenizer that has each model's vocabulary size and special-token ids, then runs
# `amps-torch-engine bench` on each: prefill of one 336x336 / 448x448 image + 100 tokens, one
# full MCS map (every layer x 2 modalities x N = 32) and eval-like probes per second.
#
#   tools/gpu_bench.sh [OUT_DIR]          (default bench-out/gpu; checkpoints in $CKPT_DIR or /tmp)
#   GPU_BENCH_TINY=1 tools/gpu_bench.sh   the same pipeline at toy sizes on the CPU (a smoke test)
#
# Needs python3 with torch (CUDA build), transformers 5.x, safetensors, pillow, numpy, tokenizers;
# the engine is used from engines/torch (no install needed). Results: OUT_DIR/bench-*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench-out/gpu}
CKPT=${CKPT_DIR:-/tmp/amps-gpu-bench}
PY=${PYTHON:-python3}
TINY=${GPU_BENCH_TINY:-0}
mkdir -p "$OUT" "$CKPT"
export PYTHONPATH="$PWD/engines/torch${PYTHONPATH:+:$PYTHONPATH}"
if ! "$PY" -c "import torch, transformers, safetensors, PIL, numpy, tokenizers" 2>/dev/null; then
  echo "gpu_bench.sh: error: $PY lacks one of torch, transformers, safetensors, pillow, numpy, tokenizers" >&2
  exit 2
fi
if [ "$TINY" != 1 ] && ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "gpu_bench.sh: error: torch sees no CUDA device (GPU_BENCH_TINY=1 runs the pipeline on the CPU)" >&2
  exit 2
fi

"$PY" - "$CKPT" "$TINY" <<'PYEOF'
import json, os, sys, time
import torch, transformers
from tokenizers import Tokenizer, models, pre_tokenizers

ckpt, tiny = sys.argv[1], sys.argv[2] == "1"

# llava-hf/llava-1.5-7b-hf: CLIP ViT-L/14-336 + Vicuna-7B (Llama), vocab 32064.
LLAVA = {
    "architectures": ["LlavaForConditionalGeneration"], "model_type": "llava", "image_token_index": 32000,
    "pad_token_id": 32001, "projector_hidden_act": "gelu", "vision_feature_layer": -2,
    "vision_feature_select_strategy": "default", "image_seq_length": 576, "tie_word_embeddings": False,
    "text_config": {"model_type": "llama", "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
                    "num_attention_heads": 32, "num_key_value_heads": 32, "max_position_embeddings": 4096,
                    "rms_norm_eps": 1e-5, "vocab_size": 32064, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 32001,
                    "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0}},
    "vision_config": {"model_type": "clip_vision_model", "hidden_size": 1024, "intermediate_size": 4096,
                      "num_hidden_layers": 24, "num_attention_heads": 16, "image_size": 336, "patch_size": 14,
                      "projection_dim": 768, "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5},
}
LLAVA_IP = {"image_processor_type": "CLIPImageProcessor", "crop_size": {"height": 336, "width": 336},
            "size": {"shortest_edge": 336}, "do_center_crop": True, "do_normalize": True, "do_rescale": True,
            "do_resize": True, "do_convert_rgb": True, "resample": 3, "rescale_factor": 1 / 255,
            "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711]}
# Qwen/Qwen2.5-VL-7B-Instruct: windowed ViT (32 blocks) + Qwen2 7B text with M-RoPE, vocab 152064.
QWEN = {
    "architectures": ["Qwen2_5_VLForConditionalGeneration"], "model_type": "qwen2_5_vl",
    "image_token_id": 151655, "video_token_id": 151656, "vision_start_token_id": 151652, "vision_end_token_id": 151653,
    "tie_word_embeddings": False,
    "text_config": {"model_type": "qwen2_5_vl_text", "hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28,
                    "num_attention_heads": 28, "num_key_value_heads": 4, "max_position_embeddings": 128000,
                    "rms_norm_eps": 1e-6, "vocab_size": 152064, "bos_token_id": 151643, "eos_token_id": 151645,
                    "hidden_act": "silu", "sliding_window": 32768, "use_sliding_window": False,
                    "rope_parameters": {"rope_type": "default", "mrope_section": [16, 24, 24], "rope_theta": 1000000.0}},
    "vision_config": {"model_type": "qwen2_5_vl", "depth": 32, "hidden_act": "silu", "hidden_size": 1280,
                      "intermediate_size": 3420, "num_heads": 16, "in_channels": 3, "out_hidden_size": 3584, "patch_size": 14,
                      "spatial_merge_size": 2, "temporal_patch_size": 2, "window_size": 112,
                      "fullatt_block_indexes": [7, 15, 23, 31], "tokens_per_second": 2},
}
QWEN_IP = {"image_processor_type": "Qwen2VLImageProcessor", "min_pixels": 3136, "max_pixels": 12845056,
           "patch_size": 14, "temporal_patch_size": 2, "merge_size": 2, "do_convert_rgb": True, "do_normalize": True,
           "do_rescale": True, "do_resize": True, "resample": 3, "rescale_factor": 1 / 255,
           "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711]}

def shrink(cfg):
    """GPU_BENCH_TINY: the same architecture at toy width and depth (a CPU smoke test of the pipeline)."""
    t, v = cfg["text_config"], cfg["vision_config"]
    t.update(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=4 if t["num_key_value_heads"] == t["num_attention_heads"] else 2)
    if "mrope_section" in t["rope_parameters"]:
        t["rope_parameters"]["mrope_section"] = [2, 3, 3]
        v.update(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=64, fullatt_block_indexes=[1])
    else:
        v.update(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, projection_dim=32)

def tokenizer(folder, vocab_size, specials, words, eos, extra):
    vocab = {f"tok{i}": i for i in range(vocab_size)}
    for tokstr, i in list(specials.items()) + list(words.items()):
        del vocab[f"tok{i}"]
        vocab[tokstr] = i
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=extra["unk_token"]))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens(list(specials))
    tok.save(os.path.join(folder, "tokenizer.json"))
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as fh:
        json.dump({"backend": "tokenizers", "tokenizer_class": "TokenizersBackend", "eos_token": eos,
                   "model_max_length": 131072, **extra}, fh)

def build(name, cfg, ip, specials, words, eos, extra):
    folder = os.path.join(ckpt, name + ("-tiny" if tiny else ""))
    if os.path.isfile(os.path.join(folder, "model.safetensors.index.json")) or os.path.isfile(os.path.join(folder, "model.safetensors")):
        print(f"{name}: using {folder}", file=sys.stderr)
        return
    os.makedirs(folder, exist_ok=True)
    if tiny:
        shrink(cfg)
    t0 = time.time()
    config = transformers.AutoConfig.for_model(**cfg)
    cls = getattr(transformers, cfg["architectures"][0])
    device = "cpu" if tiny else "cuda"
    torch.manual_seed(0)
    with torch.device(device):
        model = cls._from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(folder, max_shard_size="5GB")
    with open(os.path.join(folder, "preprocessor_config.json"), "w") as fh:
        json.dump(ip, fh)
    with open(os.path.join(folder, "generation_config.json"), "w") as fh:
        json.dump({"eos_token_id": cfg["text_config"]["eos_token_id"]}, fh)
    tokenizer(folder, cfg["text_config"]["vocab_size"], specials, words, eos, extra)
    n = sum(p.numel() for p in model.parameters())
    print(f"{name}: {n / 1e9:.2f} B parameters, bfloat16, written to {folder} in {time.time() - t0:.0f} s", file=sys.stderr)
    del model
    if device == "cuda":
        torch.cuda.empty_cache()

build("llava-1.5-7b-shape", LLAVA, LLAVA_IP,
      {"<unk>": 0, "<s>": 1, "</s>": 2, "<image>": 32000, "<pad>": 32001},
      {"USER": 3148, ":": 29901, "ASSISTANT": 22933, "the": 278}, "</s>",
      {"bos_token": "<s>", "unk_token": "<unk>", "pad_token": "<pad>"})
build("qwen2.5-vl-7b-shape", QWEN, QWEN_IP,
      {"<|endoftext|>": 151643, "<|im_start|>": 151644, "<|im_end|>": 151645, "<|vision_start|>": 151652,
       "<|vision_end|>": 151653, "<|image_pad|>": 151655, "<|video_pad|>": 151656},
      {"user": 872, "assistant": 77091, "the": 1782, "[UNK]": 0}, "<|im_end|>",
      {"unk_token": "[UNK]", "pad_token": "<|endoftext|>"})
PYEOF

suffix=""; device=cuda; image_llava=336; image_qwen=448; samples=32; probes=32
if [ "$TINY" = 1 ]; then suffix="-tiny"; device=cpu; image_llava=336; image_qwen=56; samples=4; probes=2; fi
set -x
"$PY" -m amps_torch_engine.cli bench --model "$CKPT/llava-1.5-7b-shape$suffix" --device $device --dtype bfloat16 \
  --image-size $image_llava --text-tokens 100 --samples $samples --probes $probes --out "$OUT/bench-llava-1.5-7b-shape$suffix.json"
"$PY" -m amps_torch_engine.cli bench --model "$CKPT/qwen2.5-vl-7b-shape$suffix" --device $device --dtype bfloat16 \
  --image-size $image_qwen --text-tokens 100 --samples $samples --probes $probes --out "$OUT/bench-qwen2.5-vl-7b-shape$suffix.json"
