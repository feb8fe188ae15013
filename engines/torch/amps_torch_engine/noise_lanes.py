"""The noise generator of noise.py, vectorised for large draws (a 7B model's MCS cell is ~10^8
normals; the exact path draws them one by one in Python):

  * the integer stream is the SAME xoshiro256** stream, bit for bit: it is cut into C lanes of L
    consecutive words; lane c starts from the state after c*L steps, got by jumping with the
    state transition's matrix over GF(2) (xoshiro's transition is linear: s' = M s, M a 256x256
    bit matrix), and all lanes then step together as int64 tensors (on the engine's device);
  * the Box-Muller transform runs on the same tensors in float64, with the device library's
    log / cos / sin (torch's), where the exact path uses the C library's: their last bit may
    differ for a few values, so a few float32 noise values in 10^7 may differ by one unit in
    the last place. This is the engine's `--noise fast`; `--noise exact` (the default) is noise.py.
"""

from __future__ import annotations

import numpy as np

from .noise import NoiseGenerator, box_muller

MASK64 = (1 << 64) - 1


def _step_state(s: list[int]) -> list[int]:
    s0, s1, s2, s3 = s
    t = (s1 << 17) & MASK64
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = ((s3 << 45) | (s3 >> 19)) & MASK64
    return [s0, s1, s2, s3]


def _bits(s: list[int]) -> np.ndarray:
    return np.array([(s[i // 64] >> (i % 64)) & 1 for i in range(256)], dtype=np.float64)


_M = None


def transition_matrix() -> np.ndarray:
    """M [256, 256] over GF(2): column j is the step of the state with only bit j set
    (bit i of the state = bit i % 64 of word i // 64)."""
    global _M
    if _M is None:
        cols = []
        for j in range(256):
            s = [0, 0, 0, 0]
            s[j // 64] = 1 << (j % 64)
            cols.append(_bits(_step_state(s)))
        _M = np.stack(cols, axis=1)
    return _M


def _matmul2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # 0/1 entries: every product and sum (<= 256) is an exact float32 integer.
    return np.mod(a.astype(np.float32) @ b.astype(np.float32), np.float32(2.0))


_POW2: list[np.ndarray] = []


def jump_matrix(k: int) -> np.ndarray:
    """M^(2^k), by repeated squaring, kept: lanes are always 2^k words apart."""
    if not _POW2:
        _POW2.append(transition_matrix().astype(np.float32))
    while len(_POW2) <= k:
        _POW2.append(_matmul2(_POW2[-1], _POW2[-1]))
    return _POW2[k]


def lane_states(seed: int, lanes: int, stride_log2: int) -> np.ndarray:
    """The xoshiro256** state after lane * 2^stride_log2 steps, for each lane: uint64 [lanes, 4]."""
    g = NoiseGenerator(seed)
    block_log2 = max(0, (lanes - 1).bit_length() // 2)
    block = 1 << block_log2
    jump = jump_matrix(stride_log2)
    # T[:, b] = jump^b s0 for b < block; then (jump^block)^a T for each a.
    t = np.empty((256, block), dtype=np.float32)
    v = _bits(g.s).astype(np.float32)
    for b in range(block):
        t[:, b] = v
        v = _matmul2(jump, v)
    big = jump_matrix(stride_log2 + block_log2)
    cols = []
    cur = t
    for _ in range((lanes + block - 1) // block):
        cols.append(cur)
        cur = _matmul2(big, cur)
    bits = np.concatenate(cols, axis=1)[:, :lanes].T.astype(np.uint8)   # [lanes, 256]
    packed = np.packbits(bits, axis=1, bitorder="little")                # [lanes, 32] bytes
    return np.ascontiguousarray(packed).view("<u8").reshape(lanes, 4)


def lane_states_torch(seed: int, lanes: int, stride_log2: int, device) -> "torch.Tensor":
    """lane_states with the jump products on `device` (float32 products of 0/1 entries with sums
    <= 256 are exact, TF32 included): int64 [lanes, 4], the uint64 words' bit patterns."""
    import torch
    g = NoiseGenerator(seed)
    block_log2 = max(0, (lanes - 1).bit_length() // 2)
    block = 1 << block_log2
    jump = torch.from_numpy(jump_matrix(stride_log2)).to(device)
    big = torch.from_numpy(jump_matrix(stride_log2 + block_log2)).to(device)
    t = torch.empty((256, block), dtype=torch.float32, device=device)
    v = torch.from_numpy(_bits(g.s).astype(np.float32)).to(device)
    for b in range(block):
        t[:, b] = v
        v = torch.remainder(jump @ v, 2.0)
    cols, cur = [], t
    for _ in range((lanes + block - 1) // block):
        cols.append(cur)
        cur = torch.remainder(big @ cur, 2.0)
    bits = torch.cat(cols, dim=1)[:, :lanes].t().to(torch.int64)         # [lanes, 256]
    weights = torch.ones(64, dtype=torch.int64, device=device) << torch.arange(64, device=device)
    return (bits.reshape(lanes, 4, 64) * weights).sum(dim=2)              # sums of distinct bits: exact


def _step_lanes_numpy(states: np.ndarray, stride: int) -> np.ndarray:
    """uint64 [lanes, stride]: each lane's next `stride` words (numpy's uint64 wraps mod 2^64)."""
    s0, s1, s2, s3 = (states[:, i].copy() for i in range(4))
    out = np.empty((stride, states.shape[0]), dtype=np.uint64)
    u5, u9 = np.uint64(5), np.uint64(9)
    k7, k57, k17, k45, k19 = (np.uint64(k) for k in (7, 57, 17, 45, 19))
    for i in range(stride):
        r = s1 * u5
        out[i] = ((r << k7) | (r >> k57)) * u9
        t = s1 << k17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << k45) | (s3 >> k19)
    return np.ascontiguousarray(out.T)


def words(seed: int, count: int, device="cpu", lanes: int | None = None, backend: str | None = None):
    """The first `count` words of the stream as an int64 tensor (two's complement of the uint64).
    backend: "torch" (lanes stepped as int64 tensors on `device`; the default on CUDA) or
    "numpy" (the default elsewhere)."""
    import torch
    if lanes is None:
        # Many lanes on a GPU (each step is one kernel per operation); few on a CPU, where the
        # jump matrices' cost grows with the lanes and a step's Python overhead is small.
        lanes = int(min(max(1, count // 256), (1 << 20) if str(device).startswith("cuda") else 256))
    stride_log2 = max(0, ((count + lanes - 1) // lanes - 1).bit_length())
    stride = 1 << stride_log2
    lanes = (count + stride - 1) // stride
    if (backend or ("torch" if str(device).startswith("cuda") else "numpy")) == "numpy":
        states = lane_states(seed, lanes, stride_log2)
        return torch.from_numpy(_step_lanes_numpy(states, stride).view(np.int64).reshape(-1)[:count].copy())
    st = lane_states_torch(seed, lanes, stride_log2, device)
    s0, s1, s2, s3 = (st[:, i].clone() for i in range(4))
    out = torch.empty((stride, lanes), dtype=torch.int64, device=device)

    def shr(x, k):  # logical right shift of int64 bit patterns
        return (x >> k) & ((1 << (64 - k)) - 1)

    def rotl(x, k):
        return (x << k) | shr(x, 64 - k)
    for i in range(stride):
        r = s1 * 5
        out[i] = rotl(r, 7) * 9
        t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
    return out.t().reshape(-1)[:count]


def noise(seed: int, samples: int, positions: int, sigma: np.ndarray, device="cpu", exact: bool = False):
    """As NoiseGenerator(seed).noise(samples, positions, sigma), as a float32 tensor on `device`.
    exact: the transform with the C library's log/cos/sin value by value (bit-identical to
    noise.py, the integer stream still vectorised); else torch's, on the device."""
    import torch
    sigma_t = torch.as_tensor(np.asarray(sigma, dtype=np.float32), device=device)
    f = sigma_t.shape[0]
    count = samples * positions * f
    pairs = (count + 1) // 2
    w = words(seed, 2 * pairs, device=device)
    u = ((w >> 11) & ((1 << 53) - 1)).to(torch.float64)
    u = (u + 0.5) / 9007199254740992.0
    if exact:
        both = box_muller(u[0::2].cpu().tolist(), u[1::2].cpu().tolist())
        g = torch.from_numpy(both[:count]).to(device)
    else:
        u1, u2 = u[0::2], u[1::2]
        r = torch.sqrt(-2.0 * torch.log(u1))
        a = (2.0 * np.pi) * u2
        g = torch.stack([r * torch.cos(a), r * torch.sin(a)], dim=1).reshape(-1)[:count]
    return g.to(torch.float32).reshape(samples, positions, f) * sigma_t
