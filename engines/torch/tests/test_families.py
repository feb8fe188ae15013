"""Every family through the engine, on tiny transformers-random checkpoints
(tools/make_family_fixtures.py -> fixtures/<family>/) and on the default model (llava):
  * input ids and image positions == the family's own processor's; clean logits == the model's
    own forward (<= 1e-4, float32);
  * K/V noise and residual noise == the same noise added by modules written here, wrapped
    around k_proj / v_proj / the decoder layer, in the model's own full forward (vision tower
    included), N copies;
  * steering == a forward hook written here on the model's own forward;
  * logit lens == lm_head(norm(hidden state)) from output_hidden_states;
  * greedy generation == transformers' generate(do_sample=False).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from amps_torch_engine.model import LoadedModel, Steering

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
FAMILY_DIRS = {f: os.path.join(HERE, "fixtures", f) for f in ("llava_next", "qwen2_vl", "qwen2_5_vl")}
TOL = 1e-4


def default_model_case():
    d = os.path.join(REPO, "samples", "model")
    prompt = "<image>\nText context: the object is red .\nQuestion: What color is the object ?\nA. red\nB. blue\nAnswer:"
    return d, prompt, os.path.join(REPO, "samples", "data", "images", "200000.png"), None


def family_case(f):
    d = FAMILY_DIRS[f]
    with open(os.path.join(d, "expected.json")) as fh:
        e = json.load(fh)
    return d, e["prompt"], os.path.join(d, "image.png"), e


CASES = ["llava"] + list(FAMILY_DIRS)


@pytest.fixture(scope="module", params=CASES)
def case(request):
    torch.set_num_threads(1)
    d, prompt, image, expected = default_model_case() if request.param == "llava" else family_case(request.param)
    m = LoadedModel(d, device="cpu", dtype="float32")
    with open(image, "rb") as fh:
        img = fh.read()
    h = m.prepare(prompt, img, image, None)
    return request.param, m, h, expected


def own_inputs(m: LoadedModel, h, batch: int) -> dict:
    """The model's own forward inputs for the handle's prompt, batch copies (full model, with pixels)."""
    enc, _, _ = m.family.encode(m, m_prompt[id(h)], m_image[id(h)], "image")
    out = {}
    for k, v in enc.items():
        if k in ("pixel_values",) and m.family.name in ("qwen2_vl", "qwen2_5_vl"):
            out[k] = torch.cat([v] * batch)            # patches of every copy, concatenated
        elif k == "image_grid_thw":
            out[k] = v.repeat(batch, 1)
        else:
            out[k] = v.repeat(batch, *([1] * (v.dim() - 1)))
    return out


m_prompt: dict = {}
m_image: dict = {}


@pytest.fixture(scope="module")
def prepared(case):
    name, m, h, expected = case
    d, prompt, image, _ = default_model_case() if name == "llava" else family_case(name)
    m_prompt[id(h)] = prompt
    with open(image, "rb") as fh:
        m_image[id(h)] = fh.read()
    return name, m, h, expected


def test_ids_and_logits_match_transformers(prepared):
    name, m, h, e = prepared
    if e is None:
        # the default model: LlavaProcessor itself is the reference
        from transformers import LlavaProcessor
        from PIL import Image
        proc = LlavaProcessor.from_pretrained(m.path, backend="pil")
        enc = proc(text=m_prompt[id(h)], images=Image.open(os.path.join(REPO, "samples/data/images/200000.png")).convert("RGB"),
                   return_tensors="pt")
        assert h.ids == enc["input_ids"][0].tolist()
        with torch.no_grad():
            want = m.model(**enc).logits[0, -1].numpy()
    else:
        assert h.ids == e["input_ids"] and h.image_positions == e["image_positions"]
        assert e["processor_ids"] is None or e["processor_ids"] == h.ids
        want = np.array(e["logits_last"], dtype=np.float32)
    assert h.image_positions == [i for i, t in enumerate(h.ids) if t == m.family.image_token_id(m.model)]
    assert np.abs(h.logits - want).max() <= TOL
    # the engine's own language-model-only path (used by every later request) agrees too
    assert np.abs(m._lm_logits(h, 1)[0] - want).max() <= TOL


class AddAtPositions(torch.nn.Module):
    """Wraps a module; adds noise[b, p] to its output at positions[p] (full-sequence calls only)."""

    def __init__(self, inner, positions, noise):
        super().__init__()
        self.inner, self.positions, self.noise = inner, positions, noise

    def forward(self, x, *args, **kwargs):
        y = self.inner(x, *args, **kwargs)
        y = y.clone()
        for pi, p in enumerate(self.positions):
            y[:, p, :] += self.noise[:, pi, :]
        return y


class NoisyLayerInput(torch.nn.Module):
    def __init__(self, inner, positions, noise):
        super().__init__()
        self.inner, self.positions, self.noise = inner, positions, noise
        self.attention_type = getattr(inner, "attention_type", None)

    def forward(self, hidden_states, *args, **kwargs):
        h = hidden_states.clone()
        for pi, p in enumerate(self.positions):
            h[:, p, :] += self.noise[:, pi, :]
        return self.inner(h, *args, **kwargs)


def test_kv_noise_matches_wrapped_projections(prepared):
    name, m, h, _ = prepared
    n = 3
    for layer in (0, m.layer_count - 1):
        pos = h.image_positions[1:5] + [h.length - 3]
        noise = m.draw_noise(h, layer, "kv", pos, n, 1.0, 7, f"t/{layer}")
        got = m.perturb(h, layer, "kv", pos, noise)
        attn = m.layers[layer].self_attn
        k0, v0 = attn.k_proj, attn.v_proj
        attn.k_proj = AddAtPositions(k0, pos, torch.from_numpy(noise["k"]))
        attn.v_proj = AddAtPositions(v0, pos, torch.from_numpy(noise["v"]))
        try:
            with torch.no_grad():
                want = m.model(**own_inputs(m, h, n), use_cache=False).logits[:, -1].float().numpy()
        finally:
            attn.k_proj, attn.v_proj = k0, v0
        assert np.abs(got - want).max() <= TOL, (name, layer)
        assert np.abs(got - h.logits[None]).max() > 1e-4, "the noise moved nothing"


def test_residual_noise_matches_wrapped_layer(prepared):
    name, m, h, _ = prepared
    n, layer = 2, 1
    pos = h.image_positions[:3]
    noise = m.draw_noise(h, layer, "residual", pos, n, 0.5, 0, "r")
    got = m.perturb(h, layer, "residual", pos, noise)
    layers = m.lm.layers
    orig = layers[layer]
    layers[layer] = NoisyLayerInput(orig, pos, torch.from_numpy(noise["r"]))
    try:
        with torch.no_grad():
            want = m.model(**own_inputs(m, h, n), use_cache=False).logits[:, -1].float().numpy()
    finally:
        layers[layer] = orig
    assert np.abs(got - want).max() <= TOL


def test_noise_sigma_is_feature_std_of_own_states(prepared):
    name, m, h, _ = prepared
    pos = h.image_positions
    noise = m.draw_noise(h, 0, "kv", pos, 400, 2.0, 1, "s")
    k = h.keys[0].float().numpy()[pos]
    want = k.std(axis=0) * 2.0
    got = noise["k"].reshape(-1, k.shape[1]).std(axis=0)
    # 400 x P samples per feature: within 10% of the target sigma
    assert np.all(np.abs(got - want) <= 0.1 * want + 1e-6)


def test_noise_sigma_from_other_positions(prepared):
    """`sigma_positions` (the client's --noise-scale shared): sigma is the spread over those
    positions, the noise still goes to `positions`; the same stream as with sigma given there."""
    name, m, h, _ = prepared
    pos = h.image_positions[:4]
    wide = list(range(h.length))
    noise = m.draw_noise(h, 0, "kv", pos, 3, 1.0, 5, "t", sigma_positions=wide)
    k = h.keys[0].float().numpy()
    from amps_torch_engine import noise as spec
    sigma = (spec.feature_std(k, wide) * np.float32(1.0)).astype(np.float32)
    want = spec.NoiseGenerator(spec.stream_seed(5, "t/k")).noise(3, len(pos), sigma)
    assert noise["k"].shape == (3, len(pos), k.shape[1])
    assert np.array_equal(noise["k"], want)
    assert not np.array_equal(noise["k"], m.draw_noise(h, 0, "kv", pos, 3, 1.0, 5, "t")["k"])


def test_steering_matches_hook_written_here(prepared):
    name, m, h, _ = prepared
    rng = np.random.default_rng(0)
    u = {l: rng.standard_normal(m.hidden).astype(np.float32) for l in range(m.layer_count)}
    window = [0, m.layer_count - 1]
    scales = [0.0, 0.5, -1.5]
    st = Steering({"vectors": "u", "layers": window, "scales": scales}, {"u": u}, m.layer_count, m.hidden)
    got = m.steer(h, st)
    hooks = []
    sc = torch.tensor(scales)
    for l in window:
        ut = torch.from_numpy(u[l])

        def hook(mod, args, out, ut=ut):
            x = out[0] if isinstance(out, tuple) else out
            x = x + sc[:, None, None] * ut[None, None, :]
            return (x,) + tuple(out[1:]) if isinstance(out, tuple) else x
        hooks.append(m.lm.layers[l].register_forward_hook(hook))
    try:
        with torch.no_grad():
            want = m.model(**own_inputs(m, h, len(scales)), use_cache=False).logits[:, -1].float().numpy()
    finally:
        for k in hooks:
            k.remove()
    assert np.abs(got - want).max() <= TOL
    assert np.abs(got[0] - h.logits).max() <= TOL  # scale 0 is the clean answer


def test_last_token_only_steering(prepared):
    name, m, h, _ = prepared
    u = {1: np.ones(m.hidden, dtype=np.float32)}
    st = Steering({"vectors": "u", "layers": [1], "scales": [2.0], "positions": {"positions": [h.length - 1]}},
                  {"u": u}, m.layer_count, m.hidden)
    got = m.steer(h, st)[0]
    def hook(mod, args, out):
        x = out[0] if isinstance(out, tuple) else out
        x = x.clone()
        x[:, -1, :] += 2.0
        return (x,) + tuple(out[1:]) if isinstance(out, tuple) else x
    k = m.lm.layers[1].register_forward_hook(hook)
    try:
        with torch.no_grad():
            want = m.model(**own_inputs(m, h, 1), use_cache=False).logits[0, -1].float().numpy()
    finally:
        k.remove()
    assert np.abs(got - want).max() <= TOL


def test_steered_pass_from_the_clean_one_is_the_steered_prepare(prepared):
    """steered_pass (resumed at the first steered layer) records what prepare with the same
    steering records: logits, every layer's residual and K/V, and so its perturbations."""
    name, m, h, _ = prepared
    rng = np.random.default_rng(1)
    lo = min(2, m.layer_count - 1)
    u = {l: rng.standard_normal(m.hidden).astype(np.float32) for l in range(lo, m.layer_count)}
    st = Steering({"vectors": "u", "layers": sorted(u), "scales": [1.25]}, {"u": u}, m.layer_count, m.hidden)
    full = m.prepare(m_prompt[id(h)], m_image[id(h)], "image", st)
    resumed = m.steered_pass(h, st)
    assert np.abs(resumed.logits - full.logits).max() <= TOL
    assert np.abs(resumed.logits - h.logits).max() > 1e-3      # the steering acts
    for l in range(m.layer_count + 1):
        assert torch.allclose(resumed.layer_inputs[l], full.layer_inputs[l], atol=TOL, rtol=0), l
    for l in range(m.layer_count):
        assert torch.allclose(resumed.keys[l], full.keys[l], atol=TOL, rtol=0), l
        assert torch.allclose(resumed.values[l], full.values[l], atol=TOL, rtol=0), l
    pos = list(h.image_positions[:3])
    noise = m.draw_noise(resumed, lo, "kv", pos, 2, 1.0, 7, "t")
    assert np.abs(m.perturb(resumed, lo, "kv", pos, noise) - m.perturb(full, lo, "kv", pos, noise)).max() <= TOL
    with pytest.raises(Exception):
        m.steered_pass(h, Steering({"vectors": "u", "layers": [lo], "scales": [1.0, 2.0]}, {"u": u}, m.layer_count, m.hidden))


def test_logit_lens(prepared):
    name, m, h, _ = prepared
    with torch.no_grad():
        out = m.model(**own_inputs(m, h, 1), use_cache=False, output_hidden_states=True)
        hs = out.hidden_states  # embeddings, then after each layer (the last one after the final norm)
        L = m.layer_count
        want = [m.model.lm_head(m.lm.norm(hs[l + 1][0, -1])).numpy() for l in range(L - 1)]
        want.append(out.logits[0, -1].numpy())
    got = m.logit_lens(h, list(range(L)))
    assert np.abs(got - np.stack(want)).max() <= TOL


def test_greedy_generation_matches_generate(prepared):
    name, m, h, _ = prepared
    tokens, _ = m.generate(h, 6, False, None)
    with torch.no_grad():
        out = m.model.generate(**own_inputs(m, h, 1), max_new_tokens=6, do_sample=False, min_new_tokens=6,
                               eos_token_id=None, pad_token_id=0)
    assert tokens == out[0, h.length:].tolist()


def test_steered_generation_matches_generate_with_hook(prepared):
    name, m, h, _ = prepared
    u = {1: np.linspace(-1, 1, m.hidden).astype(np.float32)}
    st = Steering({"vectors": "u", "layers": [1], "scales": [3.0]}, {"u": u}, m.layer_count, m.hidden)
    tokens, _ = m.generate(h, 5, False, st)
    ut = torch.from_numpy(u[1])

    def hook(mod, args, out):
        x = out[0] if isinstance(out, tuple) else out
        x = x + 3.0 * ut
        return (x,) + tuple(out[1:]) if isinstance(out, tuple) else x
    k = m.lm.layers[1].register_forward_hook(hook)
    try:
        with torch.no_grad():
            out = m.model.generate(**own_inputs(m, h, 1), max_new_tokens=5, min_new_tokens=5, do_sample=False,
                                   eos_token_id=None, pad_token_id=0)
    finally:
        k.remove()
    assert tokens == out[0, h.length:].tolist()


def test_bfloat16_engine_follows_float32():
    """--dtype bfloat16: the same primitives run in the checkpoint's half precision; the answers stay
    close to float32's (bf16 rounding: loose bound) and finite, noise and steering cast as needed."""
    d, prompt, image, _ = default_model_case()
    with open(image, "rb") as fh:
        img = fh.read()
    m32 = LoadedModel(d, device="cpu", dtype="float32")
    m16 = LoadedModel(d, device="cpu", dtype="bfloat16")
    h32, h16 = m32.prepare(prompt, img, image, None), m16.prepare(prompt, img, image, None)
    assert h16.ids == h32.ids and m16.describe()["dtype"] == "bfloat16"
    p32 = np.exp(h32.logits - h32.logits.max()); p32 /= p32.sum()
    p16 = np.exp(h16.logits - h16.logits.max()); p16 /= p16.sum()
    assert np.abs(p32 - p16).max() < 0.05
    pos = h16.image_positions[:8]
    got = m16.perturb(h16, 2, "kv", pos, m16.draw_noise(h16, 2, "kv", pos, 4, 1.0, 0, "bf16"))
    assert got.dtype == np.float32 and np.isfinite(got).all() and got.shape == (4, m16.vocab)
    u = {3: np.ones(m16.hidden, dtype=np.float32)}
    st = Steering({"vectors": "u", "layers": [3], "scales": [0.0, 1.0]}, {"u": u}, m16.layer_count, m16.hidden)
    s16 = m16.steer(h16, st)
    assert np.isfinite(s16).all() and np.abs(s16[0] - h16.logits).max() < 1e-2


def test_llava_with_siglip_counts_no_class_token(tmp_path):
    """A LLaVA checkpoint with a SigLIP tower (llava-interleave-qwen: num_additional_image_tokens
    0, strategy "full") expands <image> to one token per patch, as LlavaProcessor does, and runs."""
    import subprocess
    import sys
    from PIL import Image
    from transformers import LlavaProcessor
    out = tmp_path / "siglip"
    subprocess.run([sys.executable, os.path.join(REPO, "tools", "make_bench_checkpoint.py"), "--tiny", "--out", str(out)],
                   check=True, capture_output=True)
    m = LoadedModel(str(out), device="cpu", dtype="float32")
    img = tmp_path / "img.png"
    Image.new("RGB", (40, 30), (200, 30, 30)).save(img)
    prompt = "<|im_start|>user\n<image>\nWhat color is it?<|im_end|>\n<|im_start|>assistant\n"
    h = m.prepare(prompt, img.read_bytes(), str(img), None)
    assert len(h.image_positions) == m.model.config.image_seq_length
    with open(out / "processor_config.json") as fh:
        pc = json.load(fh)
    proc = LlavaProcessor(image_processor=m.image_processor, tokenizer=m.tokenizer, patch_size=pc["patch_size"],
                          vision_feature_select_strategy=pc["vision_feature_select_strategy"],
                          num_additional_image_tokens=pc["num_additional_image_tokens"], image_token="<image>")
    enc = proc(text=prompt, images=Image.open(img), return_tensors="pt")
    assert enc["input_ids"][0].tolist() == h.ids
    with torch.no_grad():
        ref = m.model(**enc).logits[0, -1].float().numpy()
    assert np.abs(ref - h.logits).max() <= TOL
