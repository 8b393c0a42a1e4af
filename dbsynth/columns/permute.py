"""A fixed bijection of row indexes onto keys: unique values by construction.

Models and generators that must give a unique column (``from_index``) put an injective image of
the row index at a fixed place in every value; :func:`permute` makes neighbouring rows get
unrelated-looking keys without ever colliding, whatever RNG stream a chunk is drawn with.
"""

from __future__ import annotations

import math

import numpy as np

from dbsynth.errors import GenerationError

MAX_KEY = 2**64  # permutations work on uint64; larger capacities are capped here (still injective)
_ROUND_KEYS = (0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0, 0x082EFA98EC4E6C89)


def _feistel(x: np.ndarray, half: int, keys: tuple[int, ...] = _ROUND_KEYS) -> np.ndarray:
    """A 4-round Feistel network on ``2 * half``-bit integers: a bijection whatever the round
    function, which only has to scatter bits."""
    mask = np.uint64((1 << half) - 1)
    shift = np.uint64(half)
    left, right = x >> shift, x & mask
    for key in keys:
        f = (right * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(key)
        f ^= f >> np.uint64(29)
        f = (f * np.uint64(0xBF58476D1CE4E5B9)) & mask
        left, right = right, left ^ f
    return (left << shift) | right


def permute(index: np.ndarray, modulus: int, what: str, key: int = 0) -> list[int]:
    """A fixed bijection of ``[0, modulus)`` (``modulus <= MAX_KEY``) applied to ``index``:
    distinct in, distinct out, and neighbouring rows get unrelated-looking keys. It is a Feistel
    network on the next even power of two, cycle-walked back into range. The map must not depend
    on the RNG, or chunks drawn from independent streams would collide.

    ``key`` (any integer, e.g. from the seed) picks another bijection of the same family, so
    two seeds number a key column differently; 0 is the fixed map models have always used.

    Raises :class:`GenerationError` for an index outside ``[0, modulus)``.
    """
    if modulus > MAX_KEY:
        raise ValueError(f"permute works up to {MAX_KEY}, got {modulus}")
    idx = np.asarray(index, dtype=np.int64).ravel()
    if idx.size and (idx.min() < 0 or idx.max() >= modulus):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise GenerationError(
            f"cannot make more than {modulus:,} unique {what}: row index {bad} is out of range"
        )
    half = max(1, math.ceil(max(1, (modulus - 1).bit_length()) / 2))
    keys: tuple[int, ...] = _ROUND_KEYS
    if key:
        mix = (key * 0x9E3779B97F4A7C15) & (MAX_KEY - 1)
        rotated = (((mix >> (8 * i)) | (mix << (64 - 8 * i))) & (MAX_KEY - 1) for i in range(len(keys)))
        keys = tuple(k ^ r for k, r in zip(keys, rotated, strict=True))
    with np.errstate(over="ignore"):  # uint64 products wrap on purpose
        x = _feistel(idx.astype(np.uint64), half, keys)
        out_of_range = x >= np.uint64(modulus) if modulus < MAX_KEY else np.zeros(len(x), dtype=bool)
        while out_of_range.any():  # cycle walking: each step stays inside the permutation's cycle
            x[out_of_range] = _feistel(x[out_of_range], half, keys)
            out_of_range = x >= np.uint64(modulus)
    return [int(v) for v in x]
