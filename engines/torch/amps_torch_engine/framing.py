"""Frames of the engine protocol: magic, header length (u32 LE), payload length (u64 LE),
a JSON header naming the payload's tensors, the raw little-endian tensor bytes."""

from __future__ import annotations

import json
import struct

import numpy as np

from .errors import EngineError

MAGIC = b"AMPS"
MAX_HEADER = 16 << 20
MAX_PAYLOAD = 16 << 30
DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8"), "I32": np.dtype("<i4"),
          "U8": np.dtype("u1")}
NAMES = {v: k for k, v in DTYPES.items()}


class EndOfInput(Exception):
    """The stream ended cleanly between frames."""


def _read_exact(stream, n: int, what: str) -> bytes:
    chunks, got = [], 0
    while got < n:
        b = stream.read(n - got)
        if not b:
            raise EngineError("truncated", f"input ended inside a frame ({what}: {got} of {n} bytes)", fatal=True)
        chunks.append(b)
        got += len(b)
    return b"".join(chunks)


def read_frame(stream) -> tuple[dict, dict[str, np.ndarray]]:
    """One frame from a binary stream: (header, {name: array}). EndOfInput at a clean EOF."""
    first = stream.read(1)
    if not first:
        raise EndOfInput()
    prefix = first + _read_exact(stream, 15, "frame prefix")
    if prefix[:4] != MAGIC:
        shown = "".join(chr(c) if 32 <= c < 127 else "." for c in prefix)
        raise EngineError("bad_frame", f"not a protocol frame (expected magic 'AMPS', got {shown!r})", fatal=True)
    hlen, plen = struct.unpack("<IQ", prefix[4:])
    if not 2 <= hlen <= MAX_HEADER:
        raise EngineError("bad_frame", f"header length {hlen} out of range (2 to {MAX_HEADER})", fatal=True)
    if plen > MAX_PAYLOAD:
        raise EngineError("bad_frame", f"payload length {plen} exceeds {MAX_PAYLOAD}", fatal=True)
    raw = _read_exact(stream, hlen, "header")
    payload = _read_exact(stream, plen, "payload") if plen else b""
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise EngineError("bad_frame", f"header is not UTF-8 JSON ({e})", fatal=True)
    if not isinstance(header, dict):
        raise EngineError("bad_frame", "header is not a JSON object", fatal=True)
    return header, _tensors(header.get("tensors", []), payload)


def _tensors(specs, payload: bytes) -> dict[str, np.ndarray]:
    if not isinstance(specs, list):
        raise EngineError("bad_frame", "header field 'tensors' is not a list", fatal=True)
    out, offset = {}, 0
    for i, s in enumerate(specs):
        if not (isinstance(s, dict) and isinstance(s.get("name"), str) and s.get("dtype") in DTYPES
                and isinstance(s.get("shape"), list) and all(isinstance(d, int) and d >= 0 for d in s["shape"])):
            raise EngineError("bad_frame", f"tensors[{i}] needs a name, a dtype in {sorted(DTYPES)} and a shape "
                                           f"of non-negative integers", fatal=True)
        dt = DTYPES[s["dtype"]]
        count = int(np.prod(s["shape"], dtype=np.int64)) if s["shape"] else 1
        size = count * dt.itemsize
        if offset + size > len(payload):
            raise EngineError("bad_frame", f"tensor '{s['name']}' {s['shape']} needs {size} bytes but the payload "
                                           f"has {len(payload) - offset} left", fatal=True)
        out[s["name"]] = np.frombuffer(payload, dtype=dt, count=count, offset=offset).reshape(s["shape"])
        offset += size
    if offset != len(payload):
        raise EngineError("bad_frame", f"payload has {len(payload) - offset} bytes beyond its tensors", fatal=True)
    return out


def encode_frame(header: dict, tensors: dict[str, np.ndarray] | None = None) -> bytes:
    specs, blobs = [], []
    for name, a in (tensors or {}).items():
        a = np.asarray(a)
        dt = a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype
        if dt not in NAMES:
            raise ValueError(f"tensor {name}: dtype {a.dtype} has no protocol name")
        specs.append({"name": name, "dtype": NAMES[dt], "shape": list(a.shape)})
        blobs.append(np.ascontiguousarray(a, dtype=dt).tobytes())
    h = dict(header)
    if specs:
        h["tensors"] = specs
    raw = json.dumps(h, allow_nan=False, separators=(",", ":")).encode("utf-8")
    payload = b"".join(blobs)
    return MAGIC + struct.pack("<IQ", len(raw), len(payload)) + raw + payload


def write_frame(stream, header: dict, tensors: dict[str, np.ndarray] | None = None) -> None:
    stream.write(encode_frame(header, tensors))
    stream.flush()
