"""Free text by length (:class:`FreeTextModel`): pronounceable syllable words whose character and
word counts follow the source's quantiles; never the source's own words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from dbsynth.columns.base import ColumnModel, FitContext, clip_unit, register
from dbsynth.columns.text_sample import letter_case, text_values
from dbsynth.schema import Column

GRID = tuple(round(p, 2) for p in np.linspace(0.0, 1.0, 21))  # probabilities of the quantile grids
_CONSONANTS = np.frombuffer(b"bcdfghklmnprstvz", dtype=np.uint8)
_VOWELS = np.frombuffer(b"aeiou", dtype=np.uint8)


def _quantiles(x: np.ndarray) -> tuple[float, ...]:
    if len(x) == 0:
        return tuple(0.0 for _ in GRID)
    return tuple(round(float(q), 2) for q in np.quantile(x, GRID))


def _grid_cdf(x: np.ndarray, q: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    """The CDF of the quantile grid ``q`` at ``x``: linear between knots; a value equal to
    knots (a flat stretch: many values of one length) gets a uniform draw over their span."""
    qs, grid = np.array(q), np.array(GRID)
    left = np.searchsorted(qs, x, side="left")
    right = np.searchsorted(qs, x, side="right")
    on_knot = left < right
    i = np.clip(left, 1, len(qs) - 1)
    span = qs[i] - qs[i - 1]
    between = grid[i - 1] + np.where(span > 0, (x - qs[i - 1]) / np.where(span > 0, span, 1), 0) * (
        grid[i] - grid[i - 1]
    )
    between = np.where(left == 0, 0.0, np.where(left >= len(qs), 1.0, between))
    lo = grid[np.clip(left, 0, len(qs) - 1)]
    hi = grid[np.clip(right - 1, 0, len(qs) - 1)]
    return clip_unit(np.where(on_knot, lo + rng.random(len(x)) * (hi - lo), between))


def syllable_text(chars: np.ndarray, words: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Pronounceable nonsense with exactly ``chars[i]`` characters in ``words[i]`` words (fewer
    words when they do not fit): consonant-vowel syllables and no vocabulary, so nothing of the
    source can be carried over (a short real word may still come out by chance)."""
    chars = np.maximum(np.asarray(chars, dtype=np.int64), 0)
    words = np.clip(np.asarray(words, dtype=np.int64), np.minimum(chars, 1), (chars + 1) // 2)
    n, total_words = len(chars), int(words.sum())
    letters = chars - np.maximum(words - 1, 0)  # one space between words
    row = np.repeat(np.arange(n), words)  # the row of each word
    # Split each row's letters over its words: 1 each, the rest in proportion to gamma draws
    # (shape 3: word lengths vary like real ones, without 30-letter monsters).
    share = rng.gamma(3.0, size=total_words)
    sums = np.bincount(row, share, minlength=n)
    extra = letters - words
    length = 1 + np.floor(extra[row] * share / np.where(sums[row] > 0, sums[row], 1)).astype(np.int64)
    first_word = np.concatenate([[0], np.cumsum(words)[:-1]]).astype(np.int64)
    if total_words:
        missing = letters - np.bincount(row, length, minlength=n).astype(np.int64)
        np.add.at(length, first_word[words > 0], missing[words > 0])
    # Letters alternate consonants and vowels from a random phase per word.
    n_letters = int(length.sum())
    word_of = np.repeat(np.arange(total_words), length)
    pos = np.arange(n_letters) - np.repeat(np.cumsum(length) - length, length)
    vowel = (pos + np.repeat(rng.integers(0, 2, total_words), length)) % 2 == 1
    codes = np.where(
        vowel,
        _VOWELS[rng.integers(0, len(_VOWELS), n_letters)],
        _CONSONANTS[rng.integers(0, len(_CONSONANTS), n_letters)],
    )
    # Place letters in a buffer of spaces: each letter moves right by the spaces before it.
    spaces_before_row = np.concatenate([[0], np.cumsum(np.maximum(words - 1, 0))[:-1]])
    ordinal = np.arange(total_words) - np.repeat(first_word, words)
    shift = ordinal[word_of] + spaces_before_row[row[word_of]] if total_words else np.zeros(0, dtype=np.int64)
    buffer = np.full(int(chars.sum()), ord(" "), dtype=np.uint8)
    buffer[np.arange(n_letters) + shift] = codes
    text = buffer.tobytes().decode("ascii")
    ends = np.cumsum(chars)
    return [text[e - c : e] for e, c in zip(ends.tolist(), chars.tolist(), strict=True)]


@register("free_text")
@dataclass(frozen=True)
class FreeTextModel(ColumnModel):
    """Free text as lengths only: quantile grids (over :data:`GRID`) of character lengths and
    word counts, the letter case and whether values end like sentences. No word, character
    sequence or value of the source is kept; text is generated from syllables.

    ``to_uniform``/``from_uniform`` go through the character-length CDF, so the copula can tie
    length to other columns (long reviews with low ratings).
    """

    char_quantiles: tuple[float, ...]
    word_quantiles: tuple[float, ...]
    max_length: int | None = None
    case: Literal["sentence", "upper", "lower"] = "sentence"
    period: bool = False

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> FreeTextModel:
        text = text_values(values)
        case = letter_case(text)
        return cls(
            char_quantiles=_quantiles(np.array([len(v) for v in text])),
            word_quantiles=_quantiles(np.array([len(v.split()) for v in text])),
            max_length=column.length,
            case="sentence" if case == "as_is" else case,
            period=bool(text) and sum(v.rstrip().endswith((".", "!", "?")) for v in text) >= 0.5 * len(text),
        )

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        lengths = values.astype(str).str.len().to_numpy(dtype=np.float64)
        return _grid_cdf(lengths, self.char_quantiles, rng)

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> Any:
        u = clip_unit(np.asarray(u, dtype=np.float64))
        chars = np.rint(np.interp(u, GRID, self.char_quantiles)).astype(np.int64)
        if self.max_length is not None:
            chars = np.minimum(chars, self.max_length)
        words = np.rint(np.interp(u, GRID, self.word_quantiles)).astype(np.int64)
        body = chars - (1 if self.period else 0) * (chars >= 2)
        texts = syllable_text(body, words, rng)
        out = np.empty(len(texts), dtype=object)
        for i, t in enumerate(texts):
            if self.case == "upper":
                t = t.upper()
            elif self.case == "sentence":
                t = t[:1].upper() + t[1:]
            out[i] = t + "." if self.period and chars[i] >= 2 else t
        return out

    def describe(self) -> str:
        q = self.char_quantiles
        return f"free text, {q[0]:.0f}–{q[-1]:.0f} chars, median {q[len(q) // 2]:.0f}"
