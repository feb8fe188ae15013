#!/usr/bin/env python3
"""Small PNG/JPEG images and transformers' image-processor outputs for the Swift parity tests.

Run from the repository root:

    python3 tools/make_image_fixtures.py [--out Tests/AMPSModelTests/Fixtures/images]

Pinned versions: tools/requirements.txt (transformers 5.24.0, pillow 13.0.0, numpy). torchvision is not
installed, so transformers uses its PIL backend (CLIPImageProcessorPil / SiglipImageProcessorPil): Pillow's
Image.resize on uint8, numpy center crop, float64 rescale then float32, float32 normalize.
Deterministic: images are drawn from formulas and a seeded RNG.

Writes into <out>/
  <name>.png / <name>.jpg       the inputs (sizes other than the targets; RGB, grey, RGBA, palette with
                                transparency, 4:2:0 / 4:4:4 / progressive / grey / CMYK JPEGs)
  <stem>.decoded.png            for the small images: Pillow's decode converted to RGB as transformers'
                                convert_to_rgb gives it (alpha over white), losslessly stored; for the big
                                JPEG every 8th pixel (<stem>.decoded_stride8.png); expected.json has checksums
                                of every decode
  <config>.json                 processor configs as save_pretrained writes them: clip (shortest_edge 24,
                                crop 24x24, bicubic), clip_bilinear (shortest_edge 20, crop 16x16, resample 2),
                                clip_pad (shortest_edge 12, crop 16x16: the crop pads), siglip (32x32 bicubic)
  <name>.<config>.png           the 8-bit image after resize + center crop (before rescale/normalize),
                                checked to give pixel_values exactly
  expected.safetensors          "<config>/<name>": pixel_values[0] (float32, [3, H, W]); all images for clip,
                                a few for the other configs (see FLOATS_FOR)
  expected.json                 list of images, configs and sizes
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np
from PIL import Image
from safetensors.numpy import save_file

import transformers
from transformers import CLIPImageProcessorPil, SiglipImageProcessorPil
from transformers.image_transforms import convert_to_rgb


def pattern(w: int, h: int, seed: int, noise: float = 6.0) -> np.ndarray:
    """Smooth gradients, a few hard edges and mild noise: resize errors show, files stay small."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 127 + 120 * np.sin(x / max(w, 1) * 2 * math.pi * 1.5 + seed)
    g = 255 * y / max(h - 1, 1)
    b = 255 * ((x // max(w // 5, 1) + y // max(h // 4, 1)) % 2)
    img = np.stack([r, g, b], -1) + rng.normal(0, noise, (h, w, 3))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def make_images(out: str) -> list[str]:
    names = []

    def save(img: Image.Image, name: str, **kw) -> None:
        img.save(os.path.join(out, name), **kw)
        names.append(name)

    save(Image.fromarray(pattern(50, 37, 1)), "rgb_50x37.png")
    save(Image.fromarray(pattern(37, 50, 2)), "rgb_37x50.png")
    save(Image.fromarray(pattern(400, 300, 3, noise=0)), "rgb_400x300.png", optimize=True)
    save(Image.fromarray(pattern(23, 61, 4)), "rgb_23x61.png")  # upscales in one direction
    save(Image.fromarray(pattern(40, 30, 5)).convert("L"), "grey_40x30.png")
    rgba = np.concatenate([pattern(45, 45, 6), np.tile(np.linspace(0, 255, 45).astype(np.uint8), (45, 1))[..., None]], -1)
    rgba[:5, :5, 3] = 0
    rgba[-5:, -5:, 3] = 255
    save(Image.fromarray(rgba, "RGBA"), "rgba_45x45.png")
    pal = Image.fromarray(pattern(30, 26, 7)).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    pal.info["transparency"] = 3
    save(pal, "palette_trns_30x26.png", transparency=3)
    save(Image.fromarray(pattern(333, 500, 8, noise=0)), "rgb_333x500.jpg", quality=75)  # 4:2:0
    save(Image.fromarray(pattern(41, 29, 9)), "rgb444_41x29.jpg", quality=92, subsampling=0)
    save(Image.fromarray(pattern(36, 52, 10)), "progressive_36x52.jpg", quality=85, progressive=True)
    save(Image.fromarray(pattern(30, 20, 11)).convert("L"), "grey_30x20.jpg", quality=90)
    save(Image.fromarray(pattern(26, 22, 12)).convert("CMYK"), "cmyk_26x22.jpg", quality=90)
    return names


CONFIGS = {
    "clip": lambda: CLIPImageProcessorPil(size={"shortest_edge": 24}, crop_size={"height": 24, "width": 24}),
    "clip_bilinear": lambda: CLIPImageProcessorPil(size={"shortest_edge": 20}, crop_size={"height": 16, "width": 16}, resample=2),
    "clip_pad": lambda: CLIPImageProcessorPil(size={"shortest_edge": 12}, crop_size={"height": 16, "width": 16}),
    "siglip": lambda: SiglipImageProcessorPil(size={"height": 32, "width": 32}),
}


# pixel_values are stored for every image under "clip" and for these under the other configs (the 8-bit
# intermediates, which reproduce pixel_values exactly, are stored for all).
FLOATS_FOR = {
    "siglip": ("rgb_50x37.png", "rgb_400x300.png", "rgba_45x45.png", "rgb_333x500.jpg", "grey_30x20.jpg", "cmyk_26x22.jpg"),
    "clip_bilinear": ("rgb_50x37.png", "rgb_37x50.png", "rgb_333x500.jpg"),
    "clip_pad": ("rgb_400x300.png", "rgb_23x61.png", "grey_40x30.png"),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="Tests/AMPSModelTests/Fixtures/images")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    names = make_images(args.out)

    tensors: dict[str, np.ndarray] = {}
    sizes: dict[str, dict] = {}
    for name in names:
        path = os.path.join(args.out, name)
        img = Image.open(path)
        rgb = convert_to_rgb(img, return_numpy=True)  # what the processor starts from
        sizes[name] = {"width": img.width, "height": img.height, "mode": img.mode}
        # Pillow's decode as convert_to_rgb gives it: whole for small images, for big JPEGs every 8th pixel
        # plus checksums of all bytes (sum, and sum of (i mod 65521 + 1) * byte).
        stem = name.rsplit(".", 1)[0]
        flat = np.ascontiguousarray(rgb).reshape(-1).astype(np.int64)
        sizes[name]["decoded_sum"] = int(flat.sum())
        sizes[name]["decoded_weighted_sum"] = int(((np.arange(flat.size) % 65521 + 1) * flat).sum())
        if rgb.shape[0] * rgb.shape[1] <= 64 * 64:
            Image.fromarray(rgb).save(os.path.join(args.out, stem + ".decoded.png"))
        elif name.endswith(".jpg"):
            Image.fromarray(np.ascontiguousarray(rgb[::8, ::8])).save(os.path.join(args.out, stem + ".decoded_stride8.png"))
        for cname, make in CONFIGS.items():
            proc = make()
            pv = proc(images=Image.open(path), return_tensors="np")["pixel_values"][0].astype(np.float32)
            # The 8-bit intermediate, by the same steps (resize with Pillow, center crop).
            size = proc.size
            if size.shortest_edge:
                h, w = rgb.shape[:2]
                short, long = (w, h) if w <= h else (h, w)
                new_long = int(size.shortest_edge * long / short)
                nh, nw = (new_long, size.shortest_edge) if w <= h else (size.shortest_edge, new_long)
            else:
                nh, nw = size.height, size.width
            mid = np.array(Image.fromarray(rgb).resize((nw, nh), resample=proc.resample))
            if proc.do_center_crop:
                mid = np.moveaxis(transformers.image_transforms.center_crop(
                    np.moveaxis(mid, -1, 0), (proc.crop_size.height, proc.crop_size.width),
                    input_data_format="channels_first"), 0, -1)
            mean = np.array(proc.image_mean, dtype=np.float32)
            std = np.array(proc.image_std, dtype=np.float32)
            again = ((mid.astype(np.float64) * proc.rescale_factor).astype(np.float32) - mean) / std
            if not np.array_equal(np.moveaxis(again, -1, 0), pv):
                sys.exit(f"{name} {cname}: the 8-bit intermediate does not reproduce pixel_values "
                         f"(max diff {np.abs(np.moveaxis(again, -1, 0) - pv).max()})")
            Image.fromarray(np.ascontiguousarray(mid)).save(os.path.join(args.out, f"{name.rsplit('.', 1)[0]}.{cname}.png"))
            if cname == "clip" or name in FLOATS_FOR.get(cname, ()):
                tensors[f"{cname}/{name}"] = np.ascontiguousarray(pv)

    for cname, make in CONFIGS.items():
        make().to_json_file(os.path.join(args.out, f"{cname}.json"))
    save_file(tensors, os.path.join(args.out, "expected.safetensors"))
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump({"transformers_version": transformers.__version__, "pillow_version": Image.__version__,
                   "images": sizes, "configs": list(CONFIGS),
                   "note": "expected.safetensors '<config>/<image>' = processor(images=Image.open(image))"
                           ".pixel_values[0]; <stem>.<config>.png = the uint8 image after resize and crop; "
                           "<stem>.decoded.png = Pillow's RGB decode of a JPEG"}, f, indent=1)
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(f"wrote {len(names)} images, {len(tensors)} outputs to {args.out} ({total / 1024:.0f} KB)", file=sys.stderr)


if __name__ == "__main__":
    main()
