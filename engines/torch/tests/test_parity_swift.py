"""The PyTorch engine against the Swift engine on the default model (samples/model): the clean
answer, the steered answers over the sensitivity grid, the noise and every layer's MCS from the
same seed. The Swift side is a committed dump of `amps diagnose --json --dump-noise`
(tools/make_engine_parity_fixture.py -> fixtures/swift_diagnose.json)."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
from safetensors.numpy import load_file

from engine_client import REPO, EngineProcess

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "swift_diagnose.json")
MODEL = os.path.join(REPO, "samples", "model")
EPS = 1e-12


def ce(clean, pert):
    return sum(-c * math.log(max(p, EPS)) for c, p in zip(clean, pert))


def entropy(f):
    n = len(f)
    a = sum(v * math.log(v) if v > 0 else 0.0 for v in f) / n
    b = sum(f) / n
    return max(0.0, a - (b * math.log(b) if b > 0 else 0.0))


def triple(p_a, p_b, order):
    pv, pt = (p_a, p_b) if order == "vision-first" else (p_b, p_a)
    return [pv, pt, max(0.0, 1.0 - pv - pt)]


def rel_close(a, b, tol=1e-4):
    if abs(a) < 1e-9 and abs(b) < 1e-9:
        return True
    return abs(a - b) / max(abs(a), abs(b), 1e-12) <= tol


@pytest.fixture(scope="module")
def ref():
    with open(FIXTURE) as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def engine(ref):
    e = EngineProcess()
    assert e.hello()[0]["kind"] == "hello"
    h, _ = e.request("load_model", path=MODEL, dtype="float32", device="cpu")
    assert h["kind"] == "ok", h
    vecs = load_file(os.path.join(MODEL, "amps", "steering_vectors.safetensors"))
    layers = sorted(int(k.split(".")[1]) for k in vecs)
    h, _ = e.request("upload_vectors", {f"layer.{l}": vecs[f"layer.{l}"] for l in layers}, name="amps", layers=layers)
    assert h["kind"] == "ok", h
    yield e
    e.request("shutdown")
    assert e.close() == 0


def context_of(instance: str) -> str:
    with open(os.path.join(REPO, "samples", "data", "test.jsonl")) as fh:
        for line in fh:
            d = json.loads(line)
            if str(d["image_id"]) == instance:
                return d["context"]
    raise AssertionError(instance)


def prepare(engine, meta):
    with open(os.path.join(REPO, meta["image"]), "rb") as fh:
        img = np.frombuffer(fh.read(), dtype=np.uint8)
    ids = [int(x) for x in meta["answer_ids"].split(",")]
    h, out = engine.request("prepare", {"image": img}, prompt=meta["prompt"], image_name=meta["image"],
                            spans=[context_of(meta["instance"])], output="answer", answer_ids=ids)
    assert h["kind"] == "ok", h
    return h, out, ids


@pytest.mark.parametrize("target", ["kv", "residual"])
def test_clean_positions_and_mcs(engine, ref, target):
    r = ref["targets"][target]
    meta, diag = r["meta"], r["diagnose"]
    h, out, ids = prepare(engine, meta)
    order = meta["order"]
    assert out["image_positions"].tolist() == [int(x) for x in meta["vision_positions"].split(",")]
    assert h["span_positions"][0] == [int(x) for x in meta["text_positions"].split(",")]
    clean = triple(*out["answer_probs"][0].tolist(), order)
    assert abs(clean[0] - diag["unsteered"]["p_vision"]) < 1e-4
    assert abs(clean[1] - diag["unsteered"]["p_text"]) < 1e-4
    assert int(out["argmax"][0]) == diag["unsteered"]["top_token_id"]
    positions = {"vision": out["image_positions"].tolist(), "text": h["span_positions"][0]}
    n = diag["settings"]["samples"]
    checked_noise = 0
    for row in diag["layers"]:
        l = row["layer"]
        for m in ("vision", "text"):
            tags = "/".join([meta["instance"], order, diag["instruction"], str(l), m])
            ph, po = engine.request("perturb", handle=h["handle"], layer=l, target=target, positions=positions[m],
                                    samples=n, sigma_scale=1.0, seed=0, tags=tags, output="answer", answer_ids=ids,
                                    return_noise=True)
            assert ph["kind"] == "ok", ph
            f = [ce(clean, triple(*p, order)) for p in po["answer_probs"].tolist()]
            mcs = entropy(f)
            assert rel_close(mcs, row[f"mcs_{m}"]), (target, l, m, mcs, row[f"mcs_{m}"])
            for tag in (("k", "v") if target == "kv" else ("r",)):
                want = r["noise"][f"noise.{m}.{l}.{tag}"]
                got = po[f"noise.{tag}"]
                assert list(got.shape) == want["shape"]
                # Same normals; sigma comes from each engine's own states (equal to ~1e-7).
                np.testing.assert_allclose(got.reshape(-1)[:16], want["first"], rtol=2e-5, atol=1e-7)
                assert rel_close(float(np.abs(got.astype(np.float64)).sum()), want["abs_sum"], 2e-5)
                checked_noise += 1
    assert checked_noise == len(r["noise"])
    engine.request("release", handle=h["handle"])


def test_steered_answers(engine, ref):
    r = ref["targets"]["kv"]
    meta, diag = r["meta"], r["diagnose"]
    h, out, ids = prepare(engine, meta)
    lo, hi = diag["window"]
    alphas = diag["sensitivity"]["alphas"]
    sh, so = engine.request("steer", handle=h["handle"], output="answer", answer_ids=ids,
                            steering={"vectors": "amps", "layers": list(range(lo, hi + 1)), "scales": alphas})
    assert sh["kind"] == "ok", sh
    for i, want in enumerate(diag["sensitivity"]["points"]):
        got = triple(*so["answer_probs"][i].tolist(), meta["order"])
        assert abs(got[0] - want["p_vision"]) < 1e-4 and abs(got[1] - want["p_text"]) < 1e-4, (alphas[i], got, want)
        assert int(so["argmax"][i]) == want["top_token_id"]
    for s in diag["steered"]:
        sh, so = engine.request("steer", handle=h["handle"], output="answer", answer_ids=ids,
                                steering={"vectors": "amps", "layers": list(range(lo, hi + 1)), "scales": [s["alpha"]]})
        got = triple(*so["answer_probs"][0].tolist(), meta["order"])
        assert abs(got[0] - s["answer"]["p_vision"]) < 1e-4 and abs(got[1] - s["answer"]["p_text"]) < 1e-4, s
    engine.request("release", handle=h["handle"])
