"""A loaded checkpoint and the engine's primitives on it (docs/ENGINE_PROTOCOL.md), all built
from forward hooks on the transformers model:

  * the clean (or steered) pass of a prompt records, per decoder layer l, the residual entering
    l [T, D], the k_proj / v_proj outputs [T, K] (before RoPE), and the last layer's output
    before the final norm: the Swift engine's PromptPass;
  * later passes run the language model alone on the recorded input embeddings (the vision
    tower runs once per prompt), B copies at once, with hooks that add
      - steering: scale[b] * u_l to decoder layer l's output at the chosen positions,
      - K/V noise: noise[b, p] to k_proj / v_proj outputs of layer l at positions[p],
      - residual noise: noise[b, p] to the hidden states entering layer l;
  * logit lens: lm_head(final_norm(h)) of a recorded residual.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os

import numpy as np

from . import noise as noise_spec
from . import noise_lanes
from .errors import EngineError, bad_request
from .families import FAMILIES, family_for

DTYPE_NAMES = ("float32", "bfloat16", "float16")
FAST_NOISE_MIN = 1 << 20   # values; --noise fast draws smaller tensors exactly
LANES_MIN = 1 << 14        # values; from here the exact draw takes its integer stream from lanes


def _torch():
    try:
        import torch
        return torch
    except ImportError as e:  # pragma: no cover - depends on the host
        raise EngineError("missing_package", f"python package 'torch' is not installed ({e})")


class Steering:
    """A STEERING request field, resolved against the uploaded vector sets."""

    def __init__(self, spec, vector_sets: dict, layers: int, hidden: int):
        if not isinstance(spec, dict):
            raise bad_request("steering must be an object with vectors, layers, scales")
        name = spec.get("vectors")
        if name not in vector_sets:
            raise bad_request(f"steering: no uploaded vector set named {name!r}")
        ls = spec.get("layers")
        if not isinstance(ls, list) or not all(isinstance(l, int) and 0 <= l < layers for l in ls):
            raise bad_request(f"steering.layers must be a list of layers in 0..{layers - 1}")
        vs = vector_sets[name]
        missing = [l for l in ls if l not in vs]
        if missing:
            raise bad_request(f"steering: vector set {name!r} has no vector for layer {missing[0]}")
        scales = spec.get("scales")
        if not isinstance(scales, list) or not scales or not all(isinstance(s, (int, float)) and np.isfinite(s) for s in scales):
            raise bad_request("steering.scales must be a non-empty list of finite numbers")
        self.vectors = {l: vs[l] for l in ls}
        self.scales = np.array(scales, dtype=np.float32)
        pos = spec.get("positions", "all")
        if pos == "all":
            self.positions, self.generated = None, True
        elif isinstance(pos, dict) and isinstance(pos.get("positions"), list):
            self.positions = set(int(p) for p in pos["positions"])
            self.generated = bool(pos.get("generated", False))
        else:
            raise bad_request("steering.positions must be \"all\" or {\"positions\": [...], \"generated\": bool}")

    def scales_for(self, batch: int) -> np.ndarray:
        if len(self.scales) == 1:
            return np.repeat(self.scales, batch)
        if len(self.scales) != batch:
            raise bad_request(f"steering has {len(self.scales)} scales for a batch of {batch}")
        return self.scales


class Handle:
    """A prepared prompt: inputs of the language model and every recorded state."""

    def __init__(self, ids, image_positions, lm_inputs, layer_inputs, keys, values, logits, steering):
        self.ids = ids                        # list[int], T
        self.image_positions = image_positions
        self.lm_inputs = lm_inputs            # kwargs of the language model, batch 1
        self.layer_inputs = layer_inputs      # L+1 tensors [T, D] (entry L: last layer's output)
        self.keys = keys                      # L tensors [T, K]
        self.values = values
        self.logits = logits                  # float32 numpy [V]
        self.steering = steering

    @property
    def length(self) -> int:
        return len(self.ids)


def _expand_batch(name: str, t, b: int):
    if t is None or b == 1:
        return t
    if name == "position_ids" and t.dim() == 3:   # multimodal rotary positions [sections, 1, T]
        return t.expand(t.shape[0], b, *t.shape[2:]).contiguous()
    # Materialised: a stride-0 batch sends the projections down a slow path.
    return t.expand(b, *t.shape[1:]).contiguous()


class LoadedModel:
    def __init__(self, path: str, family: str = "auto", dtype: str = "auto", device: str = "auto",
                 attention: str = "auto", max_batch: int = 64, noise_mode: str = "exact"):
        torch = _torch()
        if noise_mode not in ("exact", "fast"):
            raise EngineError("bad_request", f"noise mode {noise_mode!r} is not exact or fast")
        self.noise_mode = noise_mode
        self.torch = torch
        if not isinstance(path, str) or not os.path.isdir(path):
            raise EngineError("model_load", f"model folder not found: {path}")
        cfg_path = os.path.join(path, "config.json")
        try:
            with open(cfg_path) as fh:
                cfg = json.load(fh)
        except (OSError, json.JSONDecodeError) as e:
            raise EngineError("model_load", f"{cfg_path}: cannot be read as JSON ({e})")
        model_type = cfg.get("model_type")
        if family == "auto":
            family = model_type
        if family not in FAMILIES:
            raise EngineError("unsupported", f"{cfg_path}: model family {family!r} is not supported by amps-torch-engine "
                                             f"(supported: {', '.join(FAMILIES)})")
        if family != model_type:
            raise EngineError("model_load", f"{cfg_path}: model_type is {model_type!r}, not the requested family {family!r}")
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise EngineError("unsupported", "device cuda requested but torch sees no CUDA device")
        if dtype == "auto":
            dtype = cfg.get("dtype") or cfg.get("torch_dtype") or (cfg.get("text_config") or {}).get("dtype") or "float32"
        if dtype not in DTYPE_NAMES:
            raise EngineError("unsupported", f"dtype {dtype!r} is not one of {', '.join(DTYPE_NAMES)}")
        if attention == "auto":
            attention = "sdpa" if device.startswith("cuda") else "eager"
        self.family = family_for(family)
        try:
            self.model = self.family.load_model(path, dtype=getattr(torch, dtype), attention=attention).to(device).eval()
            self.tokenizer, self.image_processor = self.family.load_processing(path)
        except EngineError:
            raise
        except ImportError as e:
            raise EngineError("missing_package", f"loading {path}: {e}")
        except Exception as e:  # noqa: BLE001 - any loader failure is one line naming the folder
            raise EngineError("model_load", f"{path}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        self.path, self.name = path, os.path.basename(os.path.normpath(path))
        self.dtype, self.device, self.max_batch = dtype, device, max_batch
        self.lm = self.model.model.language_model
        self.layers = self.lm.layers
        self.norm = self.lm.norm
        self.head = self.model.lm_head
        tc = self.model.config.text_config
        self.hidden = tc.hidden_size
        head_dim = getattr(tc, "head_dim", None) or tc.hidden_size // tc.num_attention_heads
        self.kv_dim = tc.num_key_value_heads * head_dim
        self.vocab = tc.vocab_size
        self.eos = self.family.eos_ids(path, self.model.config)
        params = inspect.signature(self.lm.forward).parameters
        self._cache_kwarg = "cache" if "cache" in params else "past_key_values"
        self.special_prefix = len(self.tokenizer("", add_special_tokens=True)["input_ids"])

    @property
    def layer_count(self) -> int:
        return len(self.layers)

    def describe(self) -> dict:
        return {"name": self.name, "family": self.family.name, "layers": self.layer_count, "hidden_size": self.hidden,
                "kv_dim": self.kv_dim, "vocab_size": self.vocab, "dtype": self.dtype, "device": str(self.device),
                "image_token": "<image>", "eos_token_ids": sorted(self.eos), "special_prefix_count": self.special_prefix}

    # ---- hooks ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _hooks(self, steering: Steering | None = None, batch: int = 1, prompt_length: int = 0, kv_noise=None, residual_noise=None,
               record: dict | None = None):
        """Registers the hooks of one pass and removes them afterwards. kv_noise / residual_noise:
        (layer, positions LongTensor [P], {"k"/"v"/"r": tensor [B, P, F]})."""
        torch = self.torch
        handles = []
        # Absolute position of the first row each layer sees in this call (decoding steps advance it).
        step = {"first": 0}

        def rows_mask(n_rows: int):
            first = step["first"]
            pos = range(first, first + n_rows)
            if steering.positions is None:
                return None
            keep = [i for i, p in enumerate(pos) if (p >= prompt_length and steering.generated) or
                    (p < prompt_length and p in steering.positions)]
            return keep

        if steering is not None:
            sc = steering.scales_for(batch)
            for l, u in steering.vectors.items():
                ut = torch.from_numpy(np.asarray(u, dtype=np.float32)).to(self.device)
                st = torch.from_numpy(sc).to(self.device)

                def steer_hook(module, args, output, ut=ut, st=st):
                    h = output[0] if isinstance(output, tuple) else output
                    add = (st[:, None, None] * ut[None, None, :]).to(h.dtype)   # [B, 1, D]
                    keep = rows_mask(h.shape[1])
                    if keep is None:
                        h = h + add
                    elif keep:
                        idx = torch.tensor(keep, device=h.device)
                        h = h.clone()
                        h[:, idx, :] = h[:, idx, :] + add
                    return (h,) + tuple(output[1:]) if isinstance(output, tuple) else h
                handles.append(self.layers[l].register_forward_hook(steer_hook))

        def add_at(x, pos, t):
            first = step["first"]
            sel = [(i, int(p) - first) for i, p in enumerate(pos.tolist()) if first <= int(p) < first + x.shape[1]]
            if not sel:
                return x
            y = x.clone()
            src = torch.tensor([i for i, _ in sel], device=x.device)
            dst = torch.tensor([r for _, r in sel], device=x.device)
            y[:, dst, :] = y[:, dst, :] + t[:, src, :].to(y.dtype)
            return y

        if kv_noise is not None:
            l, pos, tensors = kv_noise
            attn = self.layers[l].self_attn
            if "k" in tensors:
                handles.append(attn.k_proj.register_forward_hook(lambda m, a, o, t=tensors["k"]: add_at(o, pos, t)))
            if "v" in tensors:
                handles.append(attn.v_proj.register_forward_hook(lambda m, a, o, t=tensors["v"]: add_at(o, pos, t)))
        if residual_noise is not None:
            l, pos, tensors = residual_noise

            def pre(m, args, kwargs, t=tensors["r"]):
                if args:
                    return (add_at(args[0], pos, t),) + tuple(args[1:]), kwargs
                kwargs = dict(kwargs)
                kwargs["hidden_states"] = add_at(kwargs["hidden_states"], pos, t)
                return args, kwargs
            handles.append(self.layers[l].register_forward_pre_hook(pre, with_kwargs=True))

        if record is not None:
            L = self.layer_count

            def lm_pre(m, args, kwargs):
                record["lm_inputs"] = {k: kwargs.get(k) for k in ("inputs_embeds", "attention_mask", "position_ids")}
            handles.append(self.lm.register_forward_pre_hook(lm_pre, with_kwargs=True))
            for l in range(L):
                def layer_pre(m, args, kwargs, l=l):
                    h = args[0] if args else kwargs["hidden_states"]
                    record.setdefault("inputs", {})[l] = h[0].detach().clone()
                handles.append(self.layers[l].register_forward_pre_hook(layer_pre, with_kwargs=True))
                attn = self.layers[l].self_attn
                handles.append(attn.k_proj.register_forward_hook(
                    lambda m, a, o, l=l: record.setdefault("keys", {}).__setitem__(l, o[0].detach().clone())))
                handles.append(attn.v_proj.register_forward_hook(
                    lambda m, a, o, l=l: record.setdefault("values", {}).__setitem__(l, o[0].detach().clone())))

            def last_out(m, args, output):
                h = output[0] if isinstance(output, tuple) else output
                record["last"] = h[0].detach().clone()
            handles.append(self.layers[L - 1].register_forward_hook(last_out))

        # Decoding: every layer sees the same rows; advance the absolute position after the last one.
        def advance(m, args, output):
            h = output[0] if isinstance(output, tuple) else output
            step["first"] += h.shape[1]
        handles.append(self.layers[self.layer_count - 1].register_forward_hook(advance))
        try:
            yield step
        finally:
            for h in handles:
                h.remove()

    # ---- primitives ------------------------------------------------------------------------

    def prepare(self, prompt: str, image_bytes: bytes, image_name: str, steering: Steering | None) -> Handle:
        torch = self.torch
        enc, ids, image_positions = self.family.encode(self, prompt, image_bytes, image_name)
        record: dict = {}
        with torch.no_grad(), self._hooks(steering, 1, len(ids), record=record):
            out = self.model(**{k: (v.to(self.device) if hasattr(v, "to") else v) for k, v in enc.items()},
                             use_cache=False, logits_to_keep=1)
        logits = out.logits[0, -1].float().cpu().numpy()
        if not np.isfinite(logits).all():
            raise EngineError("numerical", f"prompt with image {image_name}: logits contain NaN or infinity")
        L = self.layer_count
        layer_inputs = [record["inputs"][l] for l in range(L)] + [record["last"]]
        return Handle(ids, image_positions, record["lm_inputs"], layer_inputs,
                      [record["keys"][l] for l in range(L)], [record["values"][l] for l in range(L)], logits, steering)

    def _resumable_from(self, layer: int) -> int:
        """The layer a pass may resume from: `layer`, unless the decoder mixes attention types
        (the language model indexes its per-layer mask by position in its layer list)."""
        types = getattr(self.model.config.text_config, "layer_types", None)
        return 0 if types and len(set(types)) > 1 else layer

    def _resumed_last_hidden(self, handle: Handle, batch: int, from_layer: int = 0, **hook_args):
        """(the layer the pass started at, the last position's final hidden state [B, D]) of B
        copies of the prompt under the hooks. With from_layer > 0 the pass resumes from the
        recorded residual entering that layer (nothing the hooks add acts below it), running
        only the layers from there up: the language model is called with its layer list cut
        to layers[from_layer:]."""
        torch = self.torch
        start = self._resumable_from(from_layer)
        kw = {k: _expand_batch(k, v, batch) for k, v in handle.lm_inputs.items() if v is not None}
        full = self.lm.layers
        if start > 0:
            kw["inputs_embeds"] = _expand_batch("inputs_embeds", handle.layer_inputs[start][None], batch)
            self.lm.layers = torch.nn.ModuleList(list(full)[start:])
        try:
            with torch.no_grad(), self._hooks(prompt_length=handle.length, batch=batch, **hook_args):
                return start, self.lm(**kw, use_cache=False).last_hidden_state[:, -1, :]
        finally:
            self.lm.layers = full

    def _lm_logits(self, handle: Handle, batch: int, from_layer: int = 0, **hook_args):
        """Last-position logits [B, V] float32 of B copies of the prompt under the hooks."""
        _, h = self._resumed_last_hidden(handle, batch, from_layer, **hook_args)
        with self.torch.no_grad():
            logits = self.head(h).float()
        if not self.torch.isfinite(logits).all():
            raise EngineError("numerical", "logits contain NaN or infinity")
        return logits.cpu().numpy()

    def steer(self, handle: Handle, steering: Steering) -> np.ndarray:
        b = len(steering.scales)
        chunks = []
        for s in range(0, b, self.max_batch):
            part = Steering.__new__(Steering)
            part.__dict__.update(steering.__dict__)
            part.scales = steering.scales[s:s + self.max_batch]
            chunks.append(self._lm_logits(handle, len(part.scales), from_layer=min(steering.vectors, default=0), steering=part))
        return np.concatenate(chunks, axis=0)

    def steered_pass(self, clean: Handle, steering: Steering) -> Handle:
        """The steered pass of a prepared prompt from its clean pass (PromptPass's
        run(_:steering:resumingFrom:)): the layers below the first steered one are the clean
        pass's, so the language model runs from the residual recorded entering it, with the
        steering's hooks, recording what prepare records for the layers it runs."""
        if len(steering.scales) != 1:
            raise bad_request("steered_pass takes steering with one scale")
        record: dict = {}
        start, h = self._resumed_last_hidden(clean, 1, min(steering.vectors, default=0), steering=steering, record=record)
        with self.torch.no_grad():
            logits = self.head(h).float()[0].cpu().numpy()
        if not np.isfinite(logits).all():
            raise EngineError("numerical", "steered pass: logits contain NaN or infinity")
        L = self.layer_count
        below = range(start)
        layer_inputs = [clean.layer_inputs[l] for l in below] + [record["inputs"][l] for l in range(start, L)] + [record["last"]]
        keys = [clean.keys[l] for l in below] + [record["keys"][l] for l in range(start, L)]
        values = [clean.values[l] for l in below] + [record["values"][l] for l in range(start, L)]
        return Handle(clean.ids, clean.image_positions, clean.lm_inputs, layer_inputs, keys, values, logits, steering)

    def draw_noise(self, handle: Handle, layer: int, target: str, positions: list[int], samples: int,
                   sigma_scale: float, seed: int, tags: str, sigma_positions: list[int] | None = None) -> dict[str, np.ndarray]:
        """The request's noise: sigma from the spread over `sigma_positions` (default: the
        perturbed positions themselves), one stream per tensor (docs/METHOD.md)."""
        if target == "kv":
            states = {"k": handle.keys[layer], "v": handle.values[layer]}
        else:
            states = {"r": handle.layer_inputs[layer]}
        out = {}
        for tag, st in states.items():
            arr = st.float().cpu().numpy()
            sigma = (noise_spec.feature_std(arr, positions if sigma_positions is None else sigma_positions)
                     * np.float32(sigma_scale)).astype(np.float32)
            stream = noise_spec.stream_seed(seed, f"{tags}/{tag}")
            count = samples * len(positions) * sigma.shape[0]
            # Small draws are cheaper value by value than the lanes' jump matrices.
            if self.noise_mode == "fast" and count >= FAST_NOISE_MIN:
                out[tag] = noise_lanes.noise(stream, samples, len(positions), sigma, device=self.device).cpu().numpy()
            elif count >= LANES_MIN:
                out[tag] = noise_lanes.noise(stream, samples, len(positions), sigma, exact=True).numpy()
            else:
                out[tag] = noise_spec.NoiseGenerator(stream).noise(samples, len(positions), sigma)
        return out

    def perturb(self, handle: Handle, layer: int, target: str, positions: list[int], noise: dict[str, np.ndarray]) -> np.ndarray:
        torch = self.torch
        n = next(iter(noise.values())).shape[0]
        pos = torch.tensor(positions, dtype=torch.long)
        chunks = []
        for s in range(0, n, self.max_batch):
            part = {k: torch.from_numpy(np.ascontiguousarray(v[s:s + self.max_batch])).to(self.device) for k, v in noise.items()}
            b = next(iter(part.values())).shape[0]
            st = handle.steering
            if st is not None and len(st.scales) != 1:
                raise bad_request("a handle steered with several scales cannot be perturbed")
            spec = (layer, pos, part)
            chunks.append(self._lm_logits(handle, b, from_layer=layer, steering=st,
                                          kv_noise=spec if target == "kv" else None,
                                          residual_noise=spec if target == "residual" else None))
        return np.concatenate(chunks, axis=0)

    def logit_lens(self, handle: Handle, layers: list[int]) -> np.ndarray:
        torch = self.torch
        with torch.no_grad():
            h = torch.stack([handle.layer_inputs[l + 1][-1] for l in layers])
            return self.head(self.norm(h)).float().cpu().numpy()

    def generate(self, handle: Handle, max_new_tokens: int, stop_at_eos: bool, steering: Steering | None):
        """Greedy decoding with the language model's KV cache, from the recorded prompt inputs."""
        torch = self.torch
        kw = {k: v for k, v in handle.lm_inputs.items() if v is not None}
        out_ids: list[int] = []
        t = handle.length
        with torch.no_grad(), self._hooks(steering, 1, t):
            res = self.lm(**kw, use_cache=True)
            cache = self._output_cache(res)
            logits = self.head(res.last_hidden_state[:, -1, :]).float()
            pos = kw.get("position_ids")
            while len(out_ids) < max_new_tokens:
                nxt = int(torch.argmax(logits[0]))
                out_ids.append(nxt)
                if stop_at_eos and nxt in self.eos:
                    return out_ids, "eos"
                if len(out_ids) == max_new_tokens:
                    break
                emb = self.lm.embed_tokens(torch.tensor([[nxt]], device=self.device))
                step_kw = {"inputs_embeds": emb, "use_cache": True, self._cache_kwarg: cache}
                if pos is not None:
                    # The token fed now sits one past the prompt's largest position per generated
                    # token (every rotary section alike, as multimodal rotary positions continue).
                    step_kw["position_ids"] = torch.full_like(pos[..., -1:], int(pos.max()) + len(out_ids))
                res = self.lm(**step_kw)
                cache = self._output_cache(res) or cache
                logits = self.head(res.last_hidden_state[:, -1, :]).float()
        return out_ids, "length"

    @staticmethod
    def _output_cache(res):
        # transformers 5.x renames the output's past_key_values to cache.
        if "cache" in res:
            return res["cache"]
        return res.get("past_key_values")

    def capture(self, handle: Handle, what: str, layers: list[int], positions: list[int]) -> dict[str, np.ndarray]:
        out = {}
        for l in layers:
            if what == "residual":
                st = handle.layer_inputs[l + 1]
            elif what == "layer_input":
                st = handle.layer_inputs[l]
            elif what == "k":
                st = handle.keys[l]
            else:
                st = handle.values[l]
            rows = [p if p >= 0 else handle.length + p for p in positions]
            out[f"{what}.{l}"] = st[rows].float().cpu().numpy()
        return out
