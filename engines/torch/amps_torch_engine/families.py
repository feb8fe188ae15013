"""The model families the engine serves: how each loads, and how amps' prompt (with one
`<image>` marker) and an image's bytes become the model's inputs, as the family's own
processor would make them, with the image processor pinned to its PIL backend (so the pixels do
not depend on whether torchvision is installed)."""

from __future__ import annotations

import io
import json
import os

import numpy as np

from .errors import EngineError, bad_request

MARKER = "<image>"


def _decode_image(image_bytes: bytes, image_name: str):
    from PIL import Image, UnidentifiedImageError
    try:
        img = Image.open(io.BytesIO(image_bytes))
        img.load()
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise bad_request(f"image {image_name}: cannot be decoded ({e})")
    return img.convert("RGB")


def _one_marker(prompt: str) -> None:
    n = prompt.count(MARKER)
    if n != 1:
        raise bad_request("prompt has no <image> marker; this is a vision model and needs one where the image goes" if n == 0
                          else f"prompt has {n} <image> markers but one image was given")


class Family:
    name = ""
    model_class = ""

    def load_model(self, path: str, dtype, attention: str):
        import transformers
        cls = getattr(transformers, self.model_class)
        return cls.from_pretrained(path, dtype=dtype, attn_implementation=attention)

    def load_processing(self, path: str):
        from transformers import AutoImageProcessor, AutoTokenizer
        return AutoTokenizer.from_pretrained(path), AutoImageProcessor.from_pretrained(path, backend="pil")

    def eos_ids(self, path: str, config) -> set[int]:
        gen = os.path.join(path, "generation_config.json")
        if os.path.isfile(gen):
            with open(gen) as fh:
                e = json.load(fh).get("eos_token_id")
            if e is not None:
                return set(e if isinstance(e, list) else [e])
        e = getattr(config.text_config, "eos_token_id", None)
        return set(e if isinstance(e, list) else ([] if e is None else [e]))

    def image_token_id(self, model) -> int:
        return int(model.model.config.image_token_id)

    def expansion(self, n_image_tokens: int) -> str:
        """What one `<image>` becomes in the text the tokenizer sees, for an image of n tokens."""
        raise NotImplementedError

    def pixels(self, model, img) -> tuple[dict, int]:
        """The image processor's tensors for one image and its number of image tokens."""
        raise NotImplementedError

    def encode(self, model, prompt: str, image_bytes: bytes, image_name: str):
        """(model inputs batch 1, input ids, image-token positions)."""
        import torch
        _one_marker(prompt)
        img = _decode_image(image_bytes, image_name)
        extra, n = self.pixels(model, img)
        text = prompt.replace(MARKER, self.expansion(n))
        ids = model.tokenizer(text, add_special_tokens=True)["input_ids"]
        tok = self.image_token_id(model.model)
        positions = [i for i, t in enumerate(ids) if t == tok]
        if len(positions) != n:
            raise bad_request(f"tokenizer: <image> became {len(positions)} image tokens (id {tok}), expected {n}")
        limit = getattr(model.model.config.text_config, "max_position_embeddings", None)
        if limit and len(ids) > limit:
            raise bad_request(f"prompt of {len(ids)} tokens exceeds the model's context of {limit} positions")
        if any(t < 0 or t >= model.vocab for t in ids):
            raise bad_request(f"a token id is outside the model's vocabulary of {model.vocab}")
        enc = {"input_ids": torch.tensor([ids]), "attention_mask": torch.ones(1, len(ids), dtype=torch.long)}
        enc.update({k: v.to(model.model.dtype) if v.is_floating_point() else v for k, v in extra.items()})
        self.add_inputs(enc, ids, positions)
        self.last_expansion = self.expansion(n)
        return enc, ids, positions

    def add_inputs(self, enc: dict, ids: list[int], positions: list[int]) -> None:
        pass


def processor_settings(model) -> dict:
    """The checkpoint's processor_config.json (LlavaProcessor's arguments), or {}."""
    pc = os.path.join(model.path, "processor_config.json")
    if not os.path.isfile(pc):
        return {}
    with open(pc) as fh:
        return json.load(fh)


class Llava(Family):
    name, model_class = "llava", "LlavaForConditionalGeneration"

    def pixels(self, model, img):
        pv = model.image_processor(images=img, return_tensors="pt")["pixel_values"]
        c = model.model.config
        vc = c.vision_config
        h, w = pv.shape[-2:]
        # LlavaProcessor: one token per patch, plus num_additional_image_tokens (1: CLIP's class
        # token; 0: SigLIP has none), less one when the "default" strategy drops the class token.
        settings = processor_settings(model)
        n = (h // vc.patch_size) * (w // vc.patch_size) + int(settings.get("num_additional_image_tokens", 1))
        if settings.get("vision_feature_select_strategy", c.vision_feature_select_strategy) == "default":
            n -= 1
        return {"pixel_values": pv}, n

    def expansion(self, n):
        return MARKER * n


class LlavaNext(Family):
    name, model_class = "llava_next", "LlavaNextForConditionalGeneration"

    def pixels(self, model, img):
        # The anyres token count (base tile + unpadded grid + newline tokens) is the processor's own
        # arithmetic: run LlavaNextProcessor, built from the PIL image processor and the
        # checkpoint's processor_config.json, and count what it expands one <image> to.
        from transformers import LlavaNextProcessor
        settings = processor_settings(model)
        c = model.model.config
        proc = LlavaNextProcessor(image_processor=model.image_processor, tokenizer=model.tokenizer,
                                  patch_size=settings.get("patch_size", c.vision_config.patch_size),
                                  vision_feature_select_strategy=settings.get("vision_feature_select_strategy",
                                                                              c.vision_feature_select_strategy),
                                  image_token=settings.get("image_token", MARKER),
                                  num_additional_image_tokens=settings.get("num_additional_image_tokens", 1))
        enc = proc(text=MARKER, images=img, return_tensors="pt")
        n = int((enc["input_ids"][0] == int(c.image_token_id)).sum())
        return {"pixel_values": enc["pixel_values"], "image_sizes": enc["image_sizes"]}, n

    def expansion(self, n):
        return MARKER * n


class Qwen2VL(Family):
    name, model_class = "qwen2_vl", "Qwen2VLForConditionalGeneration"
    vision_start, image_pad, vision_end = "<|vision_start|>", "<|image_pad|>", "<|vision_end|>"

    def pixels(self, model, img):
        out = model.image_processor(images=[img], return_tensors="pt")
        merge = model.image_processor.merge_size
        n = int(out["image_grid_thw"][0].prod()) // (merge * merge)
        return {"pixel_values": out["pixel_values"], "image_grid_thw": out["image_grid_thw"]}, n

    def expansion(self, n):
        # Qwen2VLProcessor: <|vision_start|><|image_pad|><|vision_end|>, the pad repeated per merged patch.
        return self.vision_start + self.image_pad * n + self.vision_end

    def add_inputs(self, enc, ids, positions):
        import torch
        tt = torch.zeros(1, len(ids), dtype=torch.int32)
        tt[0, positions] = 1
        enc["mm_token_type_ids"] = tt


class Qwen25VL(Qwen2VL):
    name, model_class = "qwen2_5_vl", "Qwen2_5_VLForConditionalGeneration"


FAMILIES = {f.name: f for f in (Llava, LlavaNext, Qwen2VL, Qwen25VL)}


def family_for(name: str) -> Family:
    if name not in FAMILIES:
        raise EngineError("unsupported", f"model family {name!r} is not supported (supported: {', '.join(FAMILIES)})")
    return FAMILIES[name]()
