"""Protocol framing, handshake and errors against the real engine process: every bad input gets
an error reply (or, where the stream cannot continue, an error reply and a clean exit), never a
crash, a traceback on stdout, or a hang."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from amps_torch_engine.framing import encode_frame, read_frame
from amps_torch_engine.errors import EngineError
from engine_client import EngineProcess, frame_prefix
import io


def test_frame_round_trip():
    t = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1, -2], dtype=np.int64),
         "c": np.frombuffer(b"\x89PNG", dtype=np.uint8), "d": np.array([0.1], dtype=np.float64)}
    h, out = read_frame(io.BytesIO(encode_frame({"kind": "x", "id": 3}, t)))
    assert h["kind"] == "x" and h["id"] == 3
    for k, v in t.items():
        assert out[k].dtype == v.dtype and out[k].shape == v.shape and (out[k] == v).all()


def test_frame_layout_is_documented_one():
    raw = encode_frame({"kind": "k", "id": 1}, {"x": np.array([1.0], dtype=np.float32)})
    assert raw[:4] == b"AMPS"
    hlen, plen = struct.unpack("<IQ", raw[4:16])
    header = json.loads(raw[16:16 + hlen])
    assert header["tensors"] == [{"name": "x", "dtype": "F32", "shape": [1]}]
    assert plen == 4 and raw[16 + hlen:] == struct.pack("<f", 1.0)


@pytest.mark.parametrize("data, code", [
    (b"hello engine, are you there?\n", "bad_frame"),
    (frame_prefix(1, 0) + b"{", "bad_frame"),
    (frame_prefix(5, 0) + b"[1,2]", "bad_frame"),
    (frame_prefix(4, 0) + b"\xff\xfe{}", "bad_frame"),
    (frame_prefix(2, 4) + b"{}" + b"abcd", "bad_frame"),   # payload bytes no tensor claims
    (frame_prefix(2 ** 31, 0), "bad_frame"),
])
def test_reader_rejects(data, code):
    with pytest.raises(EngineError) as e:
        read_frame(io.BytesIO(data))
    assert e.value.code == code and e.value.fatal and "\n" not in e.value.message


def test_reader_truncated():
    raw = encode_frame({"kind": "hello", "id": 0, "protocol": 1})
    for cut in (3, 10, 20, len(raw) - 1):
        with pytest.raises(EngineError) as e:
            read_frame(io.BytesIO(raw[:cut]))
        assert e.value.code == "truncated"


@pytest.fixture
def engine():
    e = EngineProcess(timeout=60)
    yield e
    e.close()


def test_garbage_gets_error_then_exit(engine):
    engine.send_raw(b"SSH-2.0-OpenSSH_9.6 banner, not a frame\n")
    h, _ = engine.read()
    assert h["kind"] == "error" and h["code"] == "bad_frame" and h["fatal"]
    assert engine.close() == 2


def test_truncated_message_exits_cleanly(engine):
    raw = encode_frame({"kind": "hello", "id": 0, "protocol": 1})
    engine.send_raw(raw[:len(raw) - 3])
    engine.p.stdin.close()
    h, _ = engine.read()
    assert h["code"] == "truncated"
    assert engine.close() == 2


@pytest.mark.parametrize("version", [0, 2, "1", None])
def test_wrong_version(engine, version):
    h, _ = engine.request("hello", protocol=version)
    assert h["kind"] == "error" and h["code"] == "version" and "speaks 1" in h["message"]
    assert engine.close() == 3


def test_request_before_hello(engine):
    h, _ = engine.request("load_model", path="/nowhere")
    assert h["code"] == "no_hello"
    assert engine.hello()[0]["kind"] == "hello"  # the session continues


def test_unknown_kind_and_bad_requests_keep_session(engine):
    engine.hello()
    for kind, fields, code in [("frobnicate", {}, "unknown_kind"), ("__init__", {}, "unknown_kind"),
                               ("perturb", {"handle": 1}, "no_model"),
                               ("load_model", {}, "bad_request"),
                               ("load_model", {"path": "/no/such/model"}, "model_load")]:
        h, _ = engine.request(kind, **fields)
        assert h["kind"] == "error" and h["code"] == code, (kind, h)
        assert "\n" not in h["message"]
    h, _ = engine.request("shutdown")
    assert h["kind"] == "ok"
    assert engine.close() == 0


def test_unsupported_family(engine, tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    engine.hello()
    h, _ = engine.request("load_model", path=str(tmp_path))
    assert h["code"] == "unsupported" and "gpt2" in h["message"]


def test_requests_on_a_model(engine):
    from engine_client import REPO
    import os
    kinds = engine.hello()[0]["requests"]
    assert {"prepare", "steer", "steered_pass", "perturb", "capture", "release"} <= set(kinds)
    assert engine.request("load_model", path=os.path.join(REPO, "samples", "model"), device="cpu")[0]["kind"] == "ok"
    img = np.frombuffer(open(os.path.join(REPO, "samples", "data", "images", "200000.png"), "rb").read(), dtype=np.uint8)
    cases = [
        ("prepare", {"image": img}, {"prompt": "no marker here"}, "bad_request"),
        ("prepare", {"image": img}, {"prompt": "<image><image>"}, "bad_request"),
        ("prepare", {"image": np.zeros(10, dtype=np.uint8)}, {"prompt": "<image>\nhi"}, "bad_request"),
        ("prepare", None, {"prompt": "<image>\nhi"}, "bad_request"),
        ("prepare", {"image": img}, {"prompt": "<image>\n" + "A " * 300}, "bad_request"),   # context is 256
        ("steer", None, {"handle": 99}, "bad_request"),
        ("steered_pass", None, {"handle": 99}, "bad_request"),
        ("upload_vectors", {"layer.0": np.zeros(5, dtype=np.float32)}, {"name": "v", "layers": [0]}, "bad_request"),
        ("upload_vectors", {"layer.0": np.zeros(128, dtype=np.float32)}, {"name": "v", "layers": [8]}, "bad_request"),
    ]
    for kind, tensors, fields, code in cases:
        h, _ = engine.request(kind, tensors, **fields)
        assert h["kind"] == "error" and h["code"] == code, (kind, fields, h)
    h, out = engine.request("prepare", {"image": img}, prompt="<image>\nAnswer:")
    assert h["kind"] == "ok" and out["logits"].shape == (134,)
    hid = h["handle"]
    engine_logits = out["logits"]
    for kind, fields in [("perturb", {"layer": 8, "positions": [1], "samples": 2, "tags": "t"}),
                         ("perturb", {"layer": 0, "positions": [999], "samples": 2, "tags": "t"}),
                         ("perturb", {"layer": 0, "positions": [1], "samples": 2, "tags": "t", "sigma_scale": -1}),
                         ("perturb", {"layer": 0, "positions": [1], "samples": 2}),
                         ("steer", {"steering": {"vectors": "none", "layers": [0], "scales": [1]}}),
                         ("logit_lens", {"layers": []}),
                         ("steered_pass", {}),
                         ("steered_pass", {"steering": {"vectors": "none", "layers": [0], "scales": [1]}})]:
        h, _ = engine.request(kind, handle=hid, **fields)
        assert h["kind"] == "error" and h["code"] == "bad_request", (kind, fields, h)
    v = np.ones(128, dtype=np.float32)
    assert engine.request("upload_vectors", {"layer.5": v}, name="v", layers=[5])[0]["kind"] == "ok"
    steering = {"vectors": "v", "layers": [5], "scales": [0.5]}
    h, out = engine.request("steered_pass", handle=hid, steering=steering)
    assert h["kind"] == "ok" and h["length"] == len(engine.request("prepare", {"image": img}, prompt="<image>\nAnswer:")[1]["input_ids"])
    full = engine.request("prepare", {"image": img}, prompt="<image>\nAnswer:", steering=steering)[1]["logits"]
    assert np.abs(out["logits"] - full).max() <= 1e-4 and np.abs(out["logits"] - engine_logits).max() > 1e-4
    assert engine.request("steered_pass", handle=h["handle"], steering=steering)[0]["code"] == "bad_request"  # already steered
    assert engine.request("release", handle=hid)[0]["kind"] == "ok"
    assert engine.request("release", handle=hid)[0]["code"] == "bad_request"


def test_exceptions_are_classified():
    from amps_torch_engine.server import Server

    class OutOfMemoryError(RuntimeError):
        pass
    e = Server.classify(OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB\nmore detail"))
    assert e.code == "out_of_memory" and "\n" not in e.message
    assert Server.classify(ImportError("No module named 'torchvision'")).code == "missing_package"
    e = Server.classify(ValueError("something odd\nsecond line"))
    assert e.code == "internal" and e.message == "ValueError: something odd"


def test_answer_outputs_fold_the_full_softmax():
    from amps_torch_engine.server import answer_outputs
    logits = np.array([[0.0, 1.0, 2.0, -1.0], [5.0, 5.0, -3.0, 0.5]], dtype=np.float32)
    out = answer_outputs(logits, [1, 3])
    for row in range(2):
        e = [np.exp(float(x) - float(logits[row].max())) for x in logits[row]]
        assert np.allclose(out["answer_probs"][row], [e[1] / sum(e), e[3] / sum(e)], rtol=1e-15, atol=0)
    assert out["argmax"].tolist() == [2, 0]   # ties go to the first id
    assert out["answer_probs"].dtype == np.float64 and out["argmax"].dtype == np.int64
