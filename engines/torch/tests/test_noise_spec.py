"""The Python noise generator against the committed fixture that the Swift test
NoiseSpecTests also checks (Tests/AMPSMethodTests/Fixtures/noise_spec.json), bit for bit,
plus the properties the specification promises (stream independence of the call pattern)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from amps_torch_engine import noise as N

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FIXTURE = os.path.join(REPO, "Tests", "AMPSMethodTests", "Fixtures", "noise_spec.json")


@pytest.fixture(scope="module")
def spec():
    with open(FIXTURE) as fh:
        return json.load(fh)


def f32(bits):
    return np.array(bits, dtype=np.uint32).view(np.float32)


def bits(a):
    return np.ascontiguousarray(a, dtype=np.float32).reshape(-1).view(np.uint32).tolist()


def digest(a):
    h = N.FNV_OFFSET
    for byte in np.ascontiguousarray(a, dtype="<f4").tobytes():
        h = ((h ^ byte) * N.FNV_PRIME) & N.MASK64
    return f"{h:016x}"


def test_stream_seeds(spec):
    for c in spec["stream_seeds"]:
        assert f"{N.stream_seed(int(c['base'], 16), *c['parts']):016x}" == c["seed"]


def test_words(spec):
    for c in spec["words"]:
        g = N.NoiseGenerator(int(c["seed"], 16))
        assert [f"{g.next_u64():016x}" for _ in range(8)] == c["next"]
        # the block path is the same stream
        g2 = N.NoiseGenerator(int(c["seed"], 16))
        assert [f"{w:016x}" for w in g2.next_u64_block(8)] == c["next"]


def test_small_noise(spec):
    for c in spec["noise_small"]:
        g = N.NoiseGenerator(int(c["seed"], 16))
        assert bits(g.noise(c["samples"], c["positions"], f32(c["sigma_bits"]))) == c["noise_bits"]


def test_large_noise(spec):
    for c in spec["noise_large"]:
        f = c["features"]
        sigma = (np.arange(f, dtype=np.float32) + np.float32(1)) / np.float32(16)
        a = N.NoiseGenerator(int(c["seed"], 16)).noise(c["samples"], c["positions"], sigma)
        assert bits(a.reshape(-1)[:16]) == c["first_bits"]
        assert digest(a) == c["fnv1a64"]


def test_feature_std(spec):
    for c in spec["feature_std"]:
        st = f32(c["states_bits"]).reshape(c["rows"], c["features"])
        assert bits(N.feature_std(st, c["positions"])) == c["std_bits"]


def test_mcs_cells(spec):
    for c in spec["mcs_cells"]:
        st = f32(c["states_bits"]).reshape(c["rows"], c["features"])
        a = N.mcs_noise(st, c["positions"], c["samples"], c["sigma_scale"], c["seed"], c["instance"], c["order"],
                        c["instruction"], c["layer"], c["modality"], c["tag"])
        assert a.shape == (c["samples"], len(c["positions"]), c["features"])
        assert digest(a) == c["fnv1a64"]


def test_scalar_and_vector_paths_agree():
    """gaussians(count) is the stream of gaussian() calls, spare included, whatever the split."""
    a = N.NoiseGenerator(99)
    scalar = [a.gaussian() for _ in range(11)]
    b = N.NoiseGenerator(99)
    parts = np.concatenate([b.gaussians(3), b.gaussians(1), b.gaussians(7)])
    assert parts.tolist() == scalar


def test_noise_is_roughly_standard_normal():
    g = N.NoiseGenerator(3).gaussians(20000)
    assert abs(g.mean()) < 0.03 and abs(g.std() - 1) < 0.03


def test_lanes_give_the_same_integer_stream():
    from amps_torch_engine import noise_lanes as F
    for seed, count, lanes in [(0, 1, 1), (42, 1000, 7), (2 ** 63 + 5, 12345, None), (9, 4097, 4096)]:
        want = N.NoiseGenerator(seed).next_u64_block(count)
        got = F.words(seed, count, lanes=lanes).numpy().view(np.uint64).tolist()
        assert got == want, (seed, count, lanes)


def test_fast_noise_matches_fixture(spec):
    """The vectorised path against the fixture: identical here except, at most, a few values
    one float32 ulp apart (torch's log/cos/sin against the C library's)."""
    from amps_torch_engine import noise_lanes as F
    for c in spec["noise_large"]:
        f = c["features"]
        sigma = (np.arange(f, dtype=np.float32) + np.float32(1)) / np.float32(16)
        exact = N.NoiseGenerator(int(c["seed"], 16)).noise(c["samples"], c["positions"], sigma)
        fast = F.noise(int(c["seed"], 16), c["samples"], c["positions"], sigma).numpy()
        diff = exact != fast
        assert diff.mean() < 1e-4
        assert np.all(np.abs(exact - fast)[diff] <= np.spacing(np.abs(exact[diff])) * 1.01)


def test_exact_lanes_path_is_bit_identical(spec):
    """noise_lanes.noise(exact=True): the integer stream from lanes, the C library's transform
    value by value: the fixture's values bit for bit (what --noise exact uses for large draws)."""
    from amps_torch_engine import noise_lanes as F
    for c in spec["noise_large"]:
        f = c["features"]
        sigma = (np.arange(f, dtype=np.float32) + np.float32(1)) / np.float32(16)
        a = F.noise(int(c["seed"], 16), c["samples"], c["positions"], sigma, exact=True).numpy()
        assert digest(a) == c["fnv1a64"]
    for c in spec["noise_small"]:
        a = F.noise(int(c["seed"], 16), c["samples"], c["positions"], f32(c["sigma_bits"]), exact=True).numpy()
        assert bits(a) == c["noise_bits"]


def test_device_lane_states_equal_numpy_ones():
    """The GPU path's jump products (run here on the CPU) give the numpy path's lane states."""
    from amps_torch_engine import noise_lanes as F
    for seed, lanes, stride_log2 in [(0, 1, 0), (5, 37, 3), (2 ** 64 - 1, 300, 6)]:
        want = F.lane_states(seed, lanes, stride_log2)
        got = F.lane_states_torch(seed, lanes, stride_log2, "cpu").numpy().view(np.uint64)
        assert (got == want).all()
    # and the first lane's state is the generator's own
    assert F.lane_states(11, 1, 4).tolist()[0] == N.NoiseGenerator(11).s


def test_torch_stepping_gives_the_same_words():
    """The CUDA path's int64 stepping (logical shifts emulated on two's complement), run on the CPU."""
    from amps_torch_engine import noise_lanes as F
    for seed, count, lanes in [(1, 999, 5), (2 ** 63 + 5, 20000, None)]:
        want = N.NoiseGenerator(seed).next_u64_block(count)
        got = F.words(seed, count, lanes=lanes, backend="torch").numpy().view(np.uint64).tolist()
        assert got == want
