"""Codes through shapes (:class:`ShapeModel`): ``SKU-000123``, ``tt0111161``, ``INV2023/0042``.

:func:`learn_shapes` finds at most ``MAX_SHAPES`` shapes (literal, choice and character-run
segments) covering the values; :func:`is_code_like` says whether a shape is a code, and
:func:`codes_or_prose` turns that into the model of text that is neither personal data nor a
category: codes by shape, anything else free text. Unique columns get the digit runs of the code
from an injective image of the row index.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Literal

import numpy as np
import pandas as pd

from dbsynth.columns.base import ColumnModel, FitContext, clip_unit, register
from dbsynth.columns.free_text import FreeTextModel
from dbsynth.columns.permute import MAX_KEY, permute
from dbsynth.columns.text_sample import text_values, withheld
from dbsynth.errors import ModelError
from dbsynth.schema import Column

MAX_SHAPES = 3
CODE_COVERAGE = 0.9  # share of the values the frequent shapes must cover to be codes
SHAPE_SAMPLE = 50_000  # values shapes are learnt on at most

SegmentKind = Literal["literal", "choice", "digits", "letters", "hex", "alnum"]
RUN_KINDS = ("digits", "letters", "hex", "alnum")
CASES = ("upper", "lower", "title", "mixed")  # order of ``Segment.case_weights``
_SEPARATOR = re.compile(r"([^A-Za-z0-9])")
_SUB_RUN = re.compile(r"[A-Za-z]+|[0-9]+")
_CHOICE_COVERAGE = 0.95  # frequent tokens must cover this share of a slot to make it a choice
_MAX_CHOICES = 20
_ALPHABETS = {
    "digits": "0123456789",
    "letters": "abcdefghijklmnopqrstuvwxyz",
    "hex": "0123456789abcdef",
    "alnum": "0123456789abcdefghijklmnopqrstuvwxyz",
}


@dataclass(frozen=True)
class Segment:
    """One part of a code shape.

    ``literal``: ``tokens == (text,)``, the same text in every value of the shape.
    ``choice``: ``tokens`` (each seen at least ``min_count`` times) with ``token_weights``.
    Runs (``digits``, ``letters``, ``hex``, ``alnum``): random characters of one class; their
    length is one of ``lengths`` with ``length_weights``; letters follow ``case_weights`` over
    :data:`CASES`; ``leading_zero`` False means digit runs longer than 1 never start with 0;
    ``digit_share`` is the share of digits in an ``alnum`` run.
    """

    kind: SegmentKind
    tokens: tuple[str, ...] = ()
    token_weights: tuple[float, ...] = ()
    lengths: tuple[int, ...] = ()
    length_weights: tuple[float, ...] = ()
    case_weights: tuple[float, ...] = ()
    leading_zero: bool = True
    digit_share: float = 0.0


@dataclass(frozen=True)
class Shape:
    """A code pattern: its segments in order, and the share of values it stands for."""

    segments: tuple[Segment, ...]
    weight: float


def _weights(counts: Counter[Any]) -> tuple[tuple[Any, ...], tuple[float, ...]]:
    total = sum(counts.values())
    keys = sorted(counts, key=lambda k: (-counts[k], k))
    return tuple(keys), tuple(round(counts[k] / total, 6) for k in keys)


def _case(word: str) -> str:
    letters = "".join(ch for ch in word if ch.isalpha())
    if not letters or letters.isupper():
        return "upper" if letters else "lower"
    if letters.islower():
        return "lower"
    return "title" if letters[0].isupper() and letters[1:].islower() else "mixed"


def _run(kind: SegmentKind, words: list[str]) -> Segment:
    lengths, length_weights = _weights(Counter(len(w) for w in words))
    lettered = [w for w in words if any(map(str.isalpha, w))]
    cases = Counter(_case(w) for w in lettered) if kind != "digits" else Counter()
    chars = sum(len(w) for w in words) or 1
    return Segment(
        kind=kind,
        lengths=lengths,
        length_weights=length_weights,
        case_weights=tuple(round(cases[c] / len(lettered), 6) for c in CASES) if lettered else (),
        leading_zero=any(len(w) > 1 and w[0] == "0" for w in words) if kind == "digits" else True,
        digit_share=round(sum(ch.isdigit() for w in words for ch in w) / chars, 6)
        if kind == "alnum"
        else 0.0,
    )


def _slot(words: list[str], min_count: int, personal: frozenset[str] = frozenset()) -> list[Segment]:
    """Segments for one word position of a shape (``words``: that word in every value).

    Frequent tokens become a literal or a choice (rare ones and personal values found elsewhere,
    ``personal``, are left out, never stored); else
    a run of the words' character class; else, when every word splits into the same sequence of
    letter and digit runs (``tt0111161``), one segment per sub-run; else a mixed run.
    """
    counts = Counter(words)
    frequent = Counter({t: c for t, c in counts.items() if c >= min_count and not withheld(t, personal)})
    if frequent and len(frequent) <= _MAX_CHOICES and frequent.total() >= _CHOICE_COVERAGE * len(words):
        if len(frequent) == 1:
            return [Segment("literal", tokens=(next(iter(frequent)),))]
        tokens, weights = _weights(frequent)
        return [Segment("choice", tokens=tokens, token_weights=weights)]
    filled = [w for w in words if w]
    if all(w.isdigit() for w in filled):
        return [_run("digits", words)]
    if all(w.isalpha() for w in filled):
        return [_run("letters", words)]
    if (
        all(re.fullmatch(r"[0-9A-Fa-f]+", w) for w in filled)
        and len({_case(w) for w in filled} - {"upper"}) <= 1
    ):
        return [_run("hex", words)]
    runs = [_SUB_RUN.findall(w) for w in words]
    signatures = {tuple(r[0].isdigit() for r in split) for split in runs}
    if len(signatures) == 1 and len(runs[0]) > 1:
        columns = ([split[j] for split in runs] for j in range(len(runs[0])))
        return [seg for words_j in columns for seg in _slot(words_j, min_count, personal)]
    return [_run("alnum", words)]


def _merge_literals(segments: list[Segment]) -> tuple[Segment, ...]:
    out: list[Segment] = []
    for seg in segments:
        if seg.kind == "literal" and not seg.tokens[0]:
            continue
        if seg.kind == "literal" and out and out[-1].kind == "literal":
            out[-1] = Segment("literal", tokens=(out[-1].tokens[0] + seg.tokens[0],))
        else:
            out.append(seg)
    return tuple(out)


def learn_shapes(
    values: Sequence[str],
    min_count: int,
    max_shapes: int = MAX_SHAPES,
    personal: frozenset[str] = frozenset(),
) -> tuple[tuple[Shape, ...], float]:
    """The most common shapes of ``values`` (at most ``max_shapes``, each seen at least
    ``min_count`` times) and the share of values they cover; no token of ``personal`` (personal
    values found elsewhere) becomes a literal or a choice.

    Values are grouped by their separators (every character that is not an ASCII letter or
    digit, in order): ``SKU-000123`` and ``SKU-9`` share the group ``('-',)``. Separators are
    literal in every value of a group, so they are never rare.
    """
    groups: dict[tuple[str, ...], list[list[str]]] = {}
    for value in values:
        parts = _SEPARATOR.split(value)
        groups.setdefault(tuple(parts[1::2]), []).append(parts[0::2])
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    kept = [(seps, words) for seps, words in ranked[:max_shapes] if len(words) >= min_count]
    covered = sum(len(words) for _, words in kept)
    shapes = []
    for seps, words in kept:
        segments: list[Segment] = []
        for j in range(len(seps) + 1):
            segments += _slot([w[j] for w in words], min_count, personal)
            if j < len(seps):
                segments.append(Segment("literal", tokens=(seps[j],)))
        shapes.append(Shape(_merge_literals(segments), round(len(words) / covered, 6)))
    return tuple(shapes), (covered / len(values) if len(values) else 0.0)


def is_code_like(shape: Shape) -> bool:
    """A shape of codes: it has a digit, hex or mixed run (or digits in its literals), or it has
    no whitespace and only fixed-length letter runs. Words of varying length separated by
    spaces are titles or prose, not codes."""
    texts = [t for s in shape.segments for t in s.tokens]
    if any(s.kind in ("digits", "hex", "alnum") for s in shape.segments) or any(
        ch.isdigit() for t in texts for ch in t
    ):
        return True
    if any(ch.isspace() for t in texts for ch in t):
        return False
    return all(len(s.lengths) == 1 for s in shape.segments if s.kind == "letters")


def shape_regex(shape: Shape) -> str:
    """A regular expression every value generated from ``shape`` fully matches."""
    parts = []
    for seg in shape.segments:
        if seg.kind == "literal":
            parts.append(re.escape(seg.tokens[0]))
        elif seg.kind == "choice":
            parts.append(
                "(?:" + "|".join(re.escape(t) for t in sorted(seg.tokens, key=len, reverse=True)) + ")"
            )
        else:
            cls = {"digits": "[0-9]", "letters": "[A-Za-z]", "hex": "[0-9A-Fa-f]", "alnum": "[0-9A-Za-z]"}[
                seg.kind
            ]
            lo, hi = min(seg.lengths), max(seg.lengths)
            parts.append(f"{cls}{{{lo}}}" if lo == hi else f"{cls}{{{lo},{hi}}}")
    return "".join(parts)


@cache
def _compiled(shape: Shape) -> re.Pattern[str]:
    return re.compile(shape_regex(shape))


def _apply_case(chars: np.ndarray, case: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Upper-case letter codes (``chars``, uint8, rows x length) per row's case class."""
    upper = np.zeros(chars.shape, dtype=bool)
    upper[case == 0] = True
    if chars.shape[1]:
        upper[case == 2, 0] = True
    mixed = case == 3
    upper[mixed] = rng.random((int(mixed.sum()), chars.shape[1])) < 0.5
    is_letter = (chars >= ord("a")) & (chars <= ord("z"))
    return np.where(upper & is_letter, chars - 32, chars).astype(np.uint8)


def _to_strings(chars: np.ndarray) -> np.ndarray:
    if chars.shape[1] == 0:
        return np.full(chars.shape[0], "", dtype=object)
    raw = np.ascontiguousarray(chars).view(f"S{chars.shape[1]}").ravel()
    return raw.astype(str).astype(object)


def _run_codes(seg: Segment, digits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Character codes of a run from per-position alphabet indexes ``digits`` (rows x length)."""
    table = np.frombuffer(_ALPHABETS[seg.kind].encode(), dtype=np.uint8)
    chars = table[digits]
    if seg.case_weights and seg.kind != "digits":
        case = rng.choice(len(CASES), len(digits), p=np.array(seg.case_weights) / sum(seg.case_weights))
        chars = _apply_case(chars, case, rng)
    return chars


def _random_run(seg: Segment, n: int, rng: np.random.Generator) -> np.ndarray:
    lengths = rng.choice(seg.lengths, n, p=np.array(seg.length_weights) / sum(seg.length_weights))
    out = np.empty(n, dtype=object)
    size = len(_ALPHABETS[seg.kind])
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        if seg.kind == "alnum":  # digits with the observed share, letters otherwise
            is_digit = rng.random((len(rows), length)) < seg.digit_share
            idx = np.where(
                is_digit, rng.integers(0, 10, (len(rows), length)), rng.integers(10, 36, (len(rows), length))
            )
        else:
            idx = rng.integers(0, size, (len(rows), length))
            if seg.kind == "digits" and not seg.leading_zero and length > 1:
                idx[:, 0] = rng.integers(1, 10, len(rows))
        out[rows] = _to_strings(_run_codes(seg, idx, rng))
    return out


def _widened(shape: Shape, need: int) -> tuple[Shape, int]:
    """``shape`` with its last run one character longer at a time until it numbers ``need``
    unique values (``C-99`` becomes ``C-100``): scaling past the source must not fail on codes.
    The added length has weight 0, so only unique generation uses it."""
    runs = [i for i, seg in enumerate(shape.segments) if seg.kind in RUN_KINDS]
    if not runs:
        return shape, 1
    segments = list(shape.segments)
    last = runs[-1]
    cap = 1
    for _ in range(19):
        cap = min(math.prod(_radix(segments[i]) for i in runs), MAX_KEY)
        if cap >= need:
            break
        seg = segments[last]
        segments[last] = replace(
            seg, lengths=(*seg.lengths, max(seg.lengths) + 1), length_weights=(*seg.length_weights, 0.0)
        )
    return replace(shape, segments=tuple(segments)), cap


def _radix(seg: Segment) -> int:
    """How many distinct strings a run makes at its longest length (case does not count)."""
    length = max(seg.lengths)
    size = len(_ALPHABETS[seg.kind])
    if seg.kind == "digits" and not seg.leading_zero and length > 1:
        return 9 * 10 ** (length - 1)
    return int(size**length)


@register("shape")
@dataclass(frozen=True)
class ShapeModel(ColumnModel):
    """Codes and identifiers as shapes (see :func:`learn_shapes`); weights sum to 1.

    Privacy: literals and choice tokens are kept only when seen in at least ``min_count``
    values; runs keep lengths, letter case and digit share, never characters.
    ``to_uniform`` places each value in its shape's share of (0, 1), so the copula can tie the
    choice of shape to other columns; the characters themselves are drawn from ``rng``.
    """

    shapes: tuple[Shape, ...]

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> ShapeModel:
        shapes, _ = learn_shapes([str(v) for v in values.dropna()], ctx.min_count, personal=ctx.withheld)
        if not shapes:
            raise ModelError(f"column '{column.name}' has no shape seen at least {ctx.min_count} times")
        return cls(shapes)

    def _cumulative(self) -> np.ndarray:
        w = np.array([s.weight for s in self.shapes], dtype=np.float64)
        return np.cumsum(w / w.sum())

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        upper = self._cumulative()
        lower = np.concatenate([[0.0], upper[:-1]])
        noise = rng.random(len(values))
        u = noise.copy()  # a value of no known shape: anywhere
        for i, value in enumerate(values.astype(str)):
            for j, shape in enumerate(self.shapes):
                if _compiled(shape).fullmatch(value):
                    u[i] = lower[j] + noise[i] * (upper[j] - lower[j])
                    break
        return clip_unit(u)

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> Any:
        u = np.asarray(u, dtype=np.float64)
        which = np.minimum(np.searchsorted(self._cumulative(), u, side="right"), len(self.shapes) - 1)
        out = np.empty(len(u), dtype=object)
        for j, shape in enumerate(self.shapes):
            rows = np.flatnonzero(which == j)
            if len(rows):
                out[rows] = self._draw(shape, len(rows), rng)
        return out

    def _draw(self, shape: Shape, n: int, rng: np.random.Generator) -> np.ndarray:
        out = np.full(n, "", dtype=object)
        for seg in shape.segments:
            if seg.kind == "literal":
                part: Any = seg.tokens[0]
            elif seg.kind == "choice":
                p = np.array(seg.token_weights) / sum(seg.token_weights)
                part = np.array(seg.tokens, dtype=object)[rng.choice(len(seg.tokens), n, p=p)]
            else:
                part = _random_run(seg, n, rng)
            out = out + part
        return out

    def capacity(self) -> tuple[Shape, int]:
        """The shape unique values use (the one allowing most values, the most common among
        equals) and how many unique values it allows (capped at :data:`MAX_KEY`)."""
        best: tuple[int, float, int] | None = None
        for j, shape in enumerate(self.shapes):
            cap = math.prod(_radix(s) for s in shape.segments if s.kind in RUN_KINDS)
            cap = cap if any(s.kind in RUN_KINDS for s in shape.segments) else 1
            if best is None or (min(cap, MAX_KEY), shape.weight) > (best[0], best[1]):
                best = (min(cap, MAX_KEY), shape.weight, j)
        assert best is not None
        return self.shapes[best[2]], best[0]

    def from_index(self, index: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Unique codes: the permuted row index is spelled in mixed radix by the runs, least
        significant in the last run, each such run at its longest length; runs more significant
        than the key needs, choices and literals are drawn freely. Inside a word letters and digits
        alternate and words are cut by literal separators, so a value parses back into its runs
        and equal values would spell equal keys."""
        shape, cap = self.capacity()
        need = int(np.max(index)) + 1 if len(index) else 0
        if need > cap:  # more rows than the source's shape can number (a 10x load test)
            shape, cap = _widened(shape, need)
        keys = permute(index, cap, f"values of shape '{shape_regex(shape)}'")
        n = len(keys)
        runs = [s for s in shape.segments if s.kind in RUN_KINDS]
        spelled: list[np.ndarray] = [np.empty(0)] * len(runs)
        rest, covered = list(keys), 1
        for k in range(len(runs) - 1, -1, -1):
            seg = runs[k]
            if covered >= cap:  # every key is already spelled: this run is free
                spelled[k] = _random_run(seg, n, rng)
                continue
            radix, length, base = _radix(seg), max(seg.lengths), len(_ALPHABETS[seg.kind])
            offset = 10 ** (length - 1) if seg.kind == "digits" and not seg.leading_zero and length > 1 else 0
            idx = np.zeros((n, length), dtype=np.int64)
            for row in range(n):
                rest[row], value = divmod(rest[row], radix)
                value += offset
                for pos in range(length - 1, -1, -1):
                    value, idx[row, pos] = divmod(value, base)
            spelled[k] = _to_strings(_run_codes(seg, idx, rng))
            covered *= radix
        out = np.full(n, "", dtype=object)
        runs_left = iter(spelled)
        for seg in shape.segments:
            if seg.kind == "literal":
                out = out + seg.tokens[0]
            elif seg.kind == "choice":
                p = np.array(seg.token_weights) / sum(seg.token_weights)
                out = out + np.array(seg.tokens, dtype=object)[rng.choice(len(seg.tokens), n, p=p)]
            else:
                out = out + next(runs_left)
        return out

    def describe(self) -> str:
        shapes = ", ".join(f"'{shape_regex(s)}' {s.weight:.0%}" for s in self.shapes)
        return f"code shapes {shapes}"


def codes_or_prose(values: pd.Series, column: Column, ctx: FitContext) -> ColumnModel:
    """The model of text values that are neither personal data nor categories: a
    :class:`ShapeModel` when at least ``CODE_COVERAGE`` of the values fall into at most
    ``MAX_SHAPES`` shapes, each seen at least ``min_count`` times, the median value has at most
    64 characters and every such shape is code-like (:func:`is_code_like`); else a
    :class:`~dbsynth.columns.free_text.FreeTextModel`. ``values`` has no NULLs."""
    # Shapes are learnt on a bounded subsample: 50k values show every frequent shape, and
    # counting literals on fewer values only makes the min_count rule stricter.
    if len(values) > SHAPE_SAMPLE:
        values = values.sample(n=SHAPE_SAMPLE, random_state=ctx.seed)
    text = text_values(values)
    shapes, coverage = learn_shapes(text, ctx.min_count, personal=ctx.withheld)
    median_length = sorted(len(v) for v in text)[len(text) // 2] if text else 0
    if shapes and coverage >= CODE_COVERAGE and median_length <= 64 and all(is_code_like(s) for s in shapes):
        return ShapeModel(shapes)
    return FreeTextModel.fit(values, column, ctx)
