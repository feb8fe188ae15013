"""The Swift engine's seeded noise generator (Sources/AMPSEngine/Noise/NoiseGenerator.swift),
reproduced bit for bit; the algorithm is specified in docs/METHOD.md, section "Noise generator".

Every step is integer arithmetic modulo 2**64 or a single IEEE-754 operation, performed in
the same order and at the same width as the Swift code; the three transcendental functions of
the Box-Muller transform (log, cos, sin) are the C library's, called through Python's `math`
module as Swift's Foundation calls them, so the two agree exactly on hosts whose libm is the
same (glibc). numpy's vectorised log/cos/sin are NOT used: on AVX-512 CPUs numpy dispatches
them to SVML, whose last bit differs from glibc's.
"""

from __future__ import annotations

import math

import numpy as np

MASK64 = (1 << 64) - 1
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x00000100000001B3
TWO_POW_53 = 9007199254740992.0


def stream_seed(base: int, *parts: str) -> int:
    """NoiseGenerator.seed(base, parts...): FNV-1a 64 over the UTF-8 bytes of each part
    followed by '|', starting from the FNV offset basis XOR the base seed."""
    h = (FNV_OFFSET ^ (base & MASK64)) & MASK64
    for p in parts:
        for byte in (p + "|").encode("utf-8"):
            h = ((h ^ byte) * FNV_PRIME) & MASK64
    return h


def mcs_stream_seed(base: int, instance: str, order: str, instruction: str, layer: int,
                    modality: str, tag: str) -> int:
    """The seed of one MCS cell, as ModalityContribution.noise forms it: ONE part, the
    '/'-joined (instance id, order, instruction, layer, modality, tag), tag in {k, v, r}."""
    return stream_seed(base, "/".join([instance, order, instruction, str(layer), modality, tag]))


def box_muller(u1: list[float], u2: list[float]) -> np.ndarray:
    """Normals float64 [2 * pairs] from uniform pairs (u1[i], u2[i]): r = sqrt(-2 log u1),
    then r cos(2 pi u2) and r sin(2 pi u2) interleaved, value by value with the C library's
    log / cos / sin (as the Swift engine computes them)."""
    log, sqrt, cos, sin, two_pi = math.log, math.sqrt, math.cos, math.sin, 2.0 * math.pi
    r = [sqrt(-2.0 * log(a)) for a in u1]
    ang = [two_pi * b for b in u2]
    both = np.empty(2 * len(r), dtype=np.float64)
    both[0::2] = [ri * cos(a) for ri, a in zip(r, ang)]
    both[1::2] = [ri * sin(a) for ri, a in zip(r, ang)]
    return both


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (64 - k))) & MASK64


class NoiseGenerator:
    """SplitMix64 seeding xoshiro256**; uniforms in (0, 1) from the top 53 bits; Box-Muller
    normals, cosine branch first and the sine branch kept as the spare."""

    def __init__(self, seed: int):
        x = seed & MASK64
        state = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & MASK64
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
            state.append(z ^ (z >> 31))
        self.s = state
        self.spare: float | None = None

    def next_u64(self) -> int:
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & MASK64, 7) * 9) & MASK64
        t = (s1 << 17) & MASK64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def next_u64_block(self, count: int) -> list[int]:
        """`count` successive outputs (the same as calling next_u64 count times), with the
        state kept in locals: the hot loop of noise()."""
        s0, s1, s2, s3 = self.s
        out = [0] * count
        m = MASK64
        for i in range(count):
            r = (s1 * 5) & m
            out[i] = ((((r << 7) | (r >> 57)) & m) * 9) & m
            t = (s1 << 17) & m
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= t
            s3 = ((s3 << 45) | (s3 >> 19)) & m
        self.s = [s0, s1, s2, s3]
        return out

    def uniform(self) -> float:
        return (float(self.next_u64() >> 11) + 0.5) / TWO_POW_53

    def gaussian(self) -> float:
        if self.spare is not None:
            v, self.spare = self.spare, None
            return v
        u1 = self.uniform()
        u2 = self.uniform()
        r = math.sqrt(-2.0 * math.log(u1))
        self.spare = r * math.sin(2.0 * math.pi * u2)
        return r * math.cos(2.0 * math.pi * u2)

    def gaussians(self, count: int) -> np.ndarray:
        """`count` successive gaussian() values as float64 [count] (pairs from successive
        uniform pairs; an odd count leaves the sine of the last pair as the spare)."""
        out = np.empty(count, dtype=np.float64)
        i = 0
        if count and self.spare is not None:
            out[0] = self.spare
            self.spare = None
            i = 1
        pairs = (count - i + 1) // 2
        if pairs:
            words = np.array(self.next_u64_block(2 * pairs), dtype=np.uint64)
            # (Double(x >> 11) + 0.5) / 2^53: every step exact or one rounding, as in Swift.
            u = ((words >> np.uint64(11)).astype(np.float64) + 0.5) / TWO_POW_53
            both = box_muller(u[0::2].tolist(), u[1::2].tolist())
            take = count - i
            out[i:] = both[:take]
            if take < 2 * pairs:
                self.spare = float(both[-1])
        return out

    def noise(self, samples: int, positions: int, sigma: np.ndarray) -> np.ndarray:
        """noise [samples, positions, F] float32: element (n, p, f) is
        Float(gaussian()) * sigma[f] in float32, drawn in row-major order."""
        sigma = np.asarray(sigma, dtype=np.float32)
        f = sigma.shape[0]
        g = self.gaussians(samples * positions * f).astype(np.float32)
        return (g.reshape(samples, positions, f) * sigma[None, None, :]).astype(np.float32)


def feature_std(states: np.ndarray, positions) -> np.ndarray:
    """featureStd: population std (divide by P) of feature f over rows `positions` of
    states [T, F] float32, accumulated in float64 in the order of `positions`
    (sum and sum of squares, then max(0, sq/n - m*m)), rounded to float32."""
    states = np.asarray(states, dtype=np.float32)
    f = states.shape[-1]
    s = np.zeros(f, dtype=np.float64)
    sq = np.zeros(f, dtype=np.float64)
    for p in positions:  # sequential, never numpy's pairwise summation
        v = states[p].astype(np.float64)
        s += v
        sq += v * v
    n = float(max(len(positions), 1))
    m = s / n
    return np.sqrt(np.maximum(0.0, sq / n - m * m)).astype(np.float32)


def mcs_noise(states: np.ndarray, positions, samples: int, sigma_scale: float, seed: int,
              instance: str, order: str, instruction: str, layer: int, modality: str,
              tag: str) -> np.ndarray:
    """One MCS cell's noise [samples, P, F], exactly as ModalityContribution.noise draws it:
    sigma = Float(featureStd) * Float(sigmaScale) (a float32 product)."""
    sigma = feature_std(states, positions) * np.float32(sigma_scale)
    g = NoiseGenerator(mcs_stream_seed(seed, instance, order, instruction, layer, modality, tag))
    return g.noise(samples, len(positions), sigma.astype(np.float32))
