"""The request loop: reads frames from stdin, answers each on stdout (docs/ENGINE_PROTOCOL.md).
Nothing else ever reaches stdout: the libraries' prints go to stderr."""

from __future__ import annotations

import contextlib
import math
import sys
import traceback

import numpy as np

from . import ENGINE_NAME, PROTOCOL_VERSION, __version__
from .errors import EngineError, bad_request
from .families import FAMILIES
from .framing import EndOfInput, read_frame, write_frame


def _int(h: dict, key: str, lo: int | None = None, hi: int | None = None, default=None) -> int:
    v = h.get(key, default)
    if not isinstance(v, int) or isinstance(v, bool):
        raise bad_request(f"field {key!r} must be an integer")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise bad_request(f"field {key!r} = {v} is outside {lo}..{hi}")
    return v


def _int_list(h: dict, key: str, lo: int, hi: int) -> list[int]:
    v = h.get(key)
    if not isinstance(v, list) or not v or not all(isinstance(x, int) and not isinstance(x, bool) for x in v):
        raise bad_request(f"field {key!r} must be a non-empty list of integers")
    bad = [x for x in v if not lo <= x <= hi]
    if bad:
        raise bad_request(f"field {key!r}: {bad[0]} is outside {lo}..{hi}")
    return v


def answer_outputs(logits: np.ndarray, answer_ids: list[int]) -> dict[str, np.ndarray]:
    """Per row: p(answer id) = exp(l - max) / sum exp(l - max) in float64 over the whole
    vocabulary (the Swift engine's Probe.answer), and the first maximal id."""
    l64 = logits.astype(np.float64)
    mx = l64.max(axis=1, keepdims=True)
    e = np.exp(l64 - mx)
    p = e[:, answer_ids] / e.sum(axis=1, keepdims=True)
    return {"answer_probs": p, "argmax": np.argmax(logits, axis=1).astype(np.int64)}


class Server:
    def __init__(self, device: str = "auto", dtype: str = "auto", attention: str = "auto", max_batch: int = 64,
                 noise: str = "exact"):
        self.device, self.dtype, self.attention, self.max_batch, self.noise = device, dtype, attention, max_batch, noise
        self.greeted = False
        self.model = None
        self.handles: dict[int, object] = {}
        self.next_handle = 1
        self.vectors: dict[str, dict[int, np.ndarray]] = {}

    # ---- the loop ----------------------------------------------------------------------

    def serve(self, stdin, stdout) -> int:
        while True:
            rid = None
            try:
                header, tensors = read_frame(stdin)
                rid = header.get("id")
                reply, out = self.dispatch(header, tensors)
                reply.setdefault("kind", "ok")
                reply["id"] = rid
                write_frame(stdout, reply, out)
                if header.get("kind") == "shutdown":
                    return 0
            except EndOfInput:
                return 0
            except EngineError as e:
                with contextlib.suppress(BrokenPipeError, OSError, ValueError):
                    write_frame(stdout, {"kind": "error", "id": rid, "code": e.code, "message": e.message, "fatal": e.fatal})
                if e.fatal:
                    print(f"{ENGINE_NAME}: {e.message}", file=sys.stderr)
                    return e.exit_status
            except BrokenPipeError:
                return 1
            except Exception as e:  # noqa: BLE001 - never die on a request
                err = self.classify(e)
                traceback.print_exc(file=sys.stderr)
                with contextlib.suppress(BrokenPipeError, OSError, ValueError):
                    write_frame(stdout, {"kind": "error", "id": rid, "code": err.code, "message": err.message, "fatal": False})

    @staticmethod
    def classify(e: Exception) -> EngineError:
        name = type(e).__name__
        text = str(e).splitlines()[0] if str(e) else ""
        if "OutOfMemory" in name or "out of memory" in text.lower():
            return EngineError("out_of_memory", f"the device ran out of memory ({text[:160]})")
        if isinstance(e, ImportError):
            return EngineError("missing_package", text)
        return EngineError("internal", f"{name}: {text[:200]}")

    def dispatch(self, h: dict, t: dict):
        kind = h.get("kind")
        if not isinstance(kind, str):
            raise bad_request("header has no string field 'kind'")
        if kind == "hello":
            return self.hello(h)
        if not self.greeted:
            raise EngineError("no_hello", f"request {kind!r} before the hello handshake")
        fn = getattr(self, "do_" + kind, None) if kind.replace("_", "").isalpha() else None
        if fn is None:
            raise EngineError("unknown_kind", f"unknown request kind {kind!r}")
        return fn(h, t)

    def hello(self, h: dict):
        v = h.get("protocol")
        if v != PROTOCOL_VERSION:
            raise EngineError("version", f"client speaks protocol {v}, engine {ENGINE_NAME} {__version__} speaks "
                                         f"{PROTOCOL_VERSION}", fatal=True, exit_status=3)
        self.greeted = True
        devices = ["cpu"]
        with contextlib.suppress(Exception):
            import torch
            if torch.cuda.is_available():
                devices.append("cuda")
        return {"kind": "hello", "protocol": PROTOCOL_VERSION, "engine": ENGINE_NAME, "version": __version__,
                "families": list(FAMILIES), "devices": devices, "device": self.device, "dtype": self.dtype, "noise": self.noise,
                "requests": self.request_kinds()}, None

    @classmethod
    def request_kinds(cls) -> list[str]:
        """Every request kind this engine answers (a later client asks before using a newer one)."""
        return ["hello"] + sorted(n[3:] for n in dir(cls) if n.startswith("do_"))

    # ---- requests --------------------------------------------------------------------

    def need_model(self):
        if self.model is None:
            raise EngineError("no_model", "no model loaded (send load_model first)")
        return self.model

    def handle(self, h: dict):
        hid = h.get("handle")
        if hid not in self.handles:
            raise bad_request(f"unknown handle {hid!r}")
        return self.handles[hid]

    def keep(self, handle) -> int:
        """Registers a recorded pass under a new handle number."""
        hid = self.next_handle
        self.next_handle += 1
        self.handles[hid] = handle
        return hid

    def steering(self, spec):
        from .model import Steering
        m = self.need_model()
        return None if spec is None else Steering(spec, self.vectors, m.layer_count, m.hidden)

    def outputs(self, h: dict, logits: np.ndarray) -> dict:
        if h.get("output", "logits") == "answer":
            ids = _int_list(h, "answer_ids", 0, self.model.vocab - 1)
            return answer_outputs(logits, ids)
        if h.get("output", "logits") != "logits":
            raise bad_request("field 'output' must be \"logits\" or \"answer\"")
        return {"logits": logits.astype(np.float32)}

    def do_load_model(self, h, t):
        from .model import LoadedModel
        path = h.get("path")
        if not isinstance(path, str):
            raise bad_request("load_model needs a string field 'path'")
        self.model = None
        self.handles.clear()
        self.vectors.clear()
        # "auto" in the request leaves the choice to the engine's own --dtype / --device.
        dtype = h.get("dtype", "auto")
        device = h.get("device", "auto")
        self.model = LoadedModel(path, family=h.get("family", "auto"), dtype=self.dtype if dtype == "auto" else dtype,
                                 device=self.device if device == "auto" else device, attention=self.attention, max_batch=self.max_batch,
                                 noise_mode=self.noise)
        return {"model": self.model.describe()}, None

    def do_tokenize(self, h, t):
        m = self.need_model()
        texts = h.get("texts")
        if not isinstance(texts, list) or not all(isinstance(x, str) for x in texts):
            raise bad_request("tokenize needs 'texts', a list of strings")
        special = bool(h.get("add_special_tokens", False))
        ids, lengths = [], []
        for x in texts:
            if h.get("expand_image", False):
                if m.family.name not in ("llava",):
                    raise bad_request(f"expand_image needs the image for family {m.family.name}; use prepare's spans")
                x = x.replace("<image>", m.family.expansion(int(m.model.config.image_seq_length)))
            e = m.tokenizer(x, add_special_tokens=special)["input_ids"]
            ids += e
            lengths.append(len(e))
        return {"lengths": lengths}, {"ids": np.array(ids, dtype=np.int64)}

    def do_detokenize(self, h, t):
        m = self.need_model()
        ids = _int_list(h, "ids", 0, m.vocab - 1)
        return {"tokens": m.tokenizer.convert_ids_to_tokens(ids),
                "text": m.tokenizer.decode(ids, skip_special_tokens=True)}, None

    def do_prepare(self, h, t):
        m = self.need_model()
        prompt = h.get("prompt")
        if not isinstance(prompt, str):
            raise bad_request("prepare needs a string field 'prompt'")
        if "image" not in t or t["image"].dtype != np.uint8 or t["image"].ndim != 1:
            raise bad_request("prepare needs the image file's bytes as tensor 'image' U8 [n]")
        name = h.get("image_name", "image")
        handle = m.prepare(prompt, t["image"].tobytes(), str(name), self.steering(h.get("steering")))
        spans = []
        for s in h.get("spans", []) or []:
            spans.append(self.span_positions(m, prompt, s))
        hid = self.keep(handle)
        out = {"input_ids": np.array(handle.ids, dtype=np.int64),
               "image_positions": np.array(handle.image_positions, dtype=np.int64)}
        out.update(self.outputs(h, handle.logits[None, :]) if h.get("output") == "answer" else {"logits": handle.logits})
        return {"handle": hid, "length": handle.length, "span_positions": spans}, out

    @staticmethod
    def span_positions(m, prompt: str, span) -> list[int]:
        """Probe's rule: tokens of the prompt up to and through the span's first occurrence
        (markers expanded, no special tokens), offset by the special prefix."""
        if not isinstance(span, str) or not span:
            raise bad_request("spans must be non-empty strings")
        i = prompt.find(span)
        if i < 0:
            raise bad_request(f"span {span[:40]!r} does not appear in the prompt")
        exp = m.family.last_expansion

        def count(text):
            return len(m.tokenizer(text.replace("<image>", exp), add_special_tokens=False)["input_ids"])
        before, through = count(prompt[:i]), count(prompt[:i + len(span)])
        return list(range(before + m.special_prefix, through + m.special_prefix))

    def do_upload_vectors(self, h, t):
        m = self.need_model()
        name = h.get("name")
        if not isinstance(name, str) or not name:
            raise bad_request("upload_vectors needs a string field 'name'")
        layers = _int_list(h, "layers", 0, m.layer_count - 1)
        vs = {}
        for l in layers:
            a = t.get(f"layer.{l}")
            if a is None or a.shape != (m.hidden,) or a.dtype != np.float32:
                raise bad_request(f"vector set {name!r}: tensor layer.{l} must be F32 [{m.hidden}]")
            if not np.isfinite(a).all():
                raise bad_request(f"vector set {name!r}: layer.{l} contains NaN or infinity")
            vs[l] = np.array(a)
        self.vectors[name] = vs
        return {"name": name, "layers": len(vs)}, None

    def clean_and_steering(self, h: dict):
        """The unsteered handle and the STEERING field that steer and steered_pass act with."""
        handle = self.handle(h)
        if handle.steering is not None:
            raise bad_request(f"{h['kind']} needs an unsteered handle")
        st = self.steering(h.get("steering"))
        if st is None:
            raise bad_request(f"{h['kind']} needs a 'steering' field")
        return handle, st

    def do_steer(self, h, t):
        m = self.need_model()
        logits = m.steer(*self.clean_and_steering(h))
        return {"batch": logits.shape[0]}, self.outputs(h, logits)

    def do_steered_pass(self, h, t):
        m = self.need_model()
        handle = m.steered_pass(*self.clean_and_steering(h))
        hid = self.keep(handle)
        return {"handle": hid, "length": handle.length}, {"logits": handle.logits}

    def do_perturb(self, h, t):
        m = self.need_model()
        handle = self.handle(h)
        layer = _int(h, "layer", 0, m.layer_count - 1)
        target = h.get("target", "kv")
        if target not in ("kv", "residual"):
            raise bad_request("field 'target' must be \"kv\" or \"residual\"")
        positions = _int_list(h, "positions", 0, handle.length - 1)
        samples = _int(h, "samples", 1, 1 << 16)
        sigma = h.get("sigma_scale", 1.0)
        if not isinstance(sigma, (int, float)) or not math.isfinite(sigma) or sigma <= 0:
            raise bad_request("field 'sigma_scale' must be a positive finite number")
        seed = _int(h, "seed", 0, (1 << 64) - 1, default=0)
        tags = h.get("tags")
        if not isinstance(tags, str):
            raise bad_request("field 'tags' must be the cell's instance/order/instruction/layer/modality string")
        sigma_positions = _int_list(h, "sigma_positions", 0, handle.length - 1) if "sigma_positions" in h else positions
        noise = m.draw_noise(handle, layer, target, positions, samples, float(sigma), seed, tags, sigma_positions)
        logits = m.perturb(handle, layer, target, positions, noise)
        out = self.outputs(h, logits)
        if h.get("return_noise"):
            out.update({f"noise.{k}": v for k, v in noise.items()})
        return {"samples": samples}, out

    def do_capture(self, h, t):
        m = self.need_model()
        handle = self.handle(h)
        what = h.get("what", "residual")
        if what not in ("residual", "layer_input", "k", "v"):
            raise bad_request("field 'what' must be residual, layer_input, k or v")
        layers = _int_list(h, "layers", 0, m.layer_count - 1)
        positions = _int_list(h, "positions", -handle.length, handle.length - 1)
        return {}, m.capture(handle, what, layers, positions)

    def do_logit_lens(self, h, t):
        m = self.need_model()
        handle = self.handle(h)
        layers = _int_list(h, "layers", 0, m.layer_count - 1)
        return {}, self.outputs(h, m.logit_lens(handle, layers))

    def do_generate(self, h, t):
        m = self.need_model()
        handle = self.handle(h)
        n = _int(h, "max_new_tokens", 1, 1 << 16)
        st = self.steering(h.get("steering"))
        if st is not None and len(st.scales) != 1:
            raise bad_request("generate takes steering with one scale")
        if handle.steering is not None and st is None:
            st = handle.steering
        tokens, stopped = m.generate(handle, n, bool(h.get("stop_at_eos", True)), st)
        return {"stopped": stopped}, {"tokens": np.array(tokens, dtype=np.int64)}

    def do_release(self, h, t):
        self.handle(h)
        del self.handles[h["handle"]]
        return {}, None

    def do_shutdown(self, h, t):
        return {}, None
