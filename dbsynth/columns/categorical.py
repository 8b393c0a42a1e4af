"""Categories: frequencies of the values seen at least ``min_count`` times, rare values pooled.

A :class:`CategoricalModel` lists *slots* in a fixed order, each with a probability; the copula
sees a column through that order (randomised PIT: a value maps to a uniform point of its slot),
so the order decides what a correlation with another column means:

* ``value`` order for numbers and booleans (ratings, prices like 0.99/2.99/4.99, codes): the
  copula then keeps monotone relations such as "higher rating, higher price", exactly as a
  numeric model would;
* ``declared`` order for enums: the schema's label order is usually meaningful
  (``'G' < 'PG' < 'PG-13' < 'R'``, ``'low' < 'medium' < 'high'``) and is stable across samples;
* ``frequency`` order (most common first) for free strings: their labels have no order of
  their own, and alphabetical order would make a correlation depend on spelling. With frequency
  order the normal score means "how common is this value", which is stable and interpretable
  (dependence then reads as "rare values go with large amounts").

Rare values (seen fewer than ``min_count`` times) never enter the model; their total share is
kept and generated as:

* for enums: the declared labels that were not kept, in equal shares (labels come from the
  schema, not the data, so listing them reveals nothing about rows);
* for numbers and booleans: folded into the kept values in proportion (a code seen twice is not
  worth inventing a new code for, and a new number would be outside the column's domain);
* for free strings: a *mixture* (partial pooling). The kept values keep their frequencies, and
  only the pooled remainder is generated as text, by the model of the pooled values that
  :func:`dbsynth.columns.shape.codes_or_prose` chooses (codes by their shapes, anything else as
  free text of their lengths and word counts), so a column whose frequent values cover 93 % of
  the rows keeps them and makes up the other 7 %. That remainder model is fitted only when at
  least ``min_count`` values are pooled, and keeps no value seen fewer than ``min_count`` times
  (shape tokens and literals follow the same rule; free text keeps lengths only). With fewer
  pooled values, and for strings inside JSON documents (:meth:`CategoricalModel.from_counts`),
  new strings take a *shape* of the pooled values: a shape maps every digit to ``9``, every
  letter to ``A`` or ``a`` by case and keeps the rest (``'75014'`` → ``'99999'``, ``'XK-193'``
  → ``'AA-999'``); shapes seen at least ``min_count`` times are kept with their frequencies,
  and a new string fills a shape with random digits and letters (``'QX-48'``). When no shape of
  the pooled values is that frequent, the kept values serve as shapes; when nothing is kept at
  all, random lowercase words whose length is the median length of the pooled values (an
  aggregate of at least ``min_count`` values, else 8). New strings are cut to the column's
  length.

At most ``MAX_KEPT`` values are kept, the most frequent ones (a bound on the model file); the
values beyond it are pooled with the rare ones.

:func:`choose_categorical` says when a column should use this model at all.
"""

from __future__ import annotations

import math
import string
from collections import Counter
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from dbsynth import invariants as inv
from dbsynth.columns.base import ColumnModel, FitContext, clip_unit, decode, encode, register
from dbsynth.columns.numeric import PROB_DECIMALS
from dbsynth.columns.shape import codes_or_prose
from dbsynth.columns.text_sample import withheld
from dbsynth.errors import ModelError
from dbsynth.schema import Column, LogicalType
from dbsynth.serde import FieldError

Scalar = bool | int | float | str
Order = Literal["value", "declared", "frequency"]

FEW_DISTINCT = 50  # numbers: at most this many distinct values to be categories, not a distribution
NUMBER_COVERAGE = 0.99  # numbers: share of rows whose value is kept
STRING_COVERAGE = 0.95  # strings: share of rows whose value is kept
MAX_KEPT = 10_000  # the most frequent values kept at most; the rest is pooled (model file size)
REST_KINDS = ("shape", "free_text")  # what may generate the pooled remainder of strings
DEFAULT_WORD_LENGTH = 8
MAX_SHAPE_LENGTH = 64  # longer strings are prose: their shapes do not repeat
_NUMBER_TYPES = (LogicalType.INTEGER, LogicalType.DECIMAL, LogicalType.FLOAT)
_STRING_TYPES = (LogicalType.STRING, LogicalType.TEXT)


def scalar(value: Any) -> Scalar:
    """A JSON-safe Python scalar for a cell value (numpy scalars, Decimals, anything → str)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating | Decimal):
        return float(value)
    if isinstance(value, str):
        return str(value)  # numpy's str_ subclass would not survive JSON as itself
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _counts(values: pd.Series) -> Counter[Scalar]:
    # value_counts hashes in C; only the distinct values go through scalar() in Python.
    out: Counter[Scalar] = Counter()
    counts = values.value_counts(dropna=True, sort=False)
    for value, n in zip(counts.index, counts.to_numpy().tolist(), strict=True):
        out[scalar(value)] += n
    return out


def _distinct(values: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Each value's position among the distinct values, and those values (NULLs included, as
    one value: they are no category either way)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return np.asarray(codes, dtype=np.intp), list(uniques)


def choose_categorical(values: pd.Series, column: Column, ctx: FitContext, *, pooling: bool = True) -> bool:
    """Whether ``column`` should be modelled as categories.

    Enums and booleans always are. Unique columns and empty samples never are. Numbers are when
    they take at most ``FEW_DISTINCT`` distinct values and values seen ``min_count`` times cover
    ``NUMBER_COVERAGE`` of the rows (codes, ratings, price points): categories then keep the
    exact domain where a quantile grid would invent in-between values. Strings are when some
    value is seen ``min_count`` times: a code or label that repeats is a category, and the
    values that do not repeat are the pooled remainder, generated as text (module doc).
    ``pooling=False`` (a column the personal-data detector finds fine-grained: cities, company
    names) asks more: the kept values must cover ``STRING_COVERAGE`` of the rows, else the column
    is generated as personal data.
    """
    if column.logical in (LogicalType.ENUM, LogicalType.BOOLEAN):
        return True
    if ctx.unique or len(values) == 0 or column.logical not in (*_NUMBER_TYPES, *_STRING_TYPES):
        return False
    counts = _count_array(values)
    kept = counts[counts >= ctx.min_count]
    coverage = int(kept.sum()) / len(values)
    if column.logical in _NUMBER_TYPES:
        return len(counts) <= FEW_DISTINCT and coverage >= NUMBER_COVERAGE
    if pooling:
        return len(kept) > 0
    return len(kept) <= MAX_KEPT and coverage >= STRING_COVERAGE


_NUMBERS = (bool, int, float, Decimal, np.bool_, np.integer, np.floating)
_NUMBER_INFERRED = frozenset({"decimal", "integer", "floating", "mixed-integer-float", "boolean"})


def _all_numbers(array: np.ndarray) -> bool:
    inferred = pd.api.types.infer_dtype(array, skipna=False)  # one pass in C
    if inferred in _NUMBER_INFERRED:
        return True
    return inferred in ("mixed", "mixed-integer") and all(isinstance(v, _NUMBERS) for v in array)


def _count_array(values: pd.Series) -> np.ndarray:
    """How often each distinct value occurs, values told apart as :func:`scalar` does (the
    counts of :func:`_counts`, without a Python call per distinct value where the dtype allows:
    a column of unique names has as many distinct values as rows)."""
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) or dtype.kind in "biuf":
        # scalar() is one-to-one on these: the counts are value_counts' own.
        return values.value_counts(dropna=True, sort=False).to_numpy(dtype=np.int64)
    array = values.to_numpy()
    if isinstance(dtype, np.dtype) and dtype.kind == "O" and _all_numbers(array):
        floats = np.asarray(array, dtype=np.float64)  # scalar() of a Decimal is its float
        if not np.isnan(floats).any():  # each NaN is its own Counter key: leave those to _counts
            return np.unique(floats, return_counts=True)[1]
    return np.fromiter(_counts(values).values(), dtype=np.int64)


@register("categorical")
@dataclass(frozen=True)
class CategoricalModel(ColumnModel):
    """Slots in ``order`` (module doc): ``values[i]`` with ``probs[i]``, then for ``frequency``
    order one more slot of mass ``other`` generating new strings: by ``rest`` (the encoded
    text model of the pooled values) when there is one, else by shapes.

    Invariants: ``values`` unique; ``len(probs) == len(values)``; ``sum(probs) + other == 1``
    up to rounding; ``other > 0`` only in ``frequency`` order; every value was seen at least
    ``min_count`` times, except enum labels (schema facts); ``rest`` only in ``frequency`` order,
    of a kind in ``REST_KINDS``. ``pooled`` is the share of rows whose value was pooled, kept for
    ``describe``.
    """

    values: tuple[Scalar, ...] = ()
    probs: tuple[float, ...] = ()
    order: Order = "frequency"
    other: float = 0.0
    pooled: float = 0.0
    max_length: int | None = None
    other_length: int = DEFAULT_WORD_LENGTH
    shapes: tuple[str, ...] = ()
    shape_probs: tuple[float, ...] = ()
    rest: dict[str, Any] | None = None

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> CategoricalModel:
        counts = _counts(values)
        labels = column.enum_labels if column.logical == LogicalType.ENUM else None
        if labels:
            return cls._fit_enum(counts, labels, ctx)
        model = cls.from_counts(counts, ctx, max_length=column.length)
        if model.order != "frequency":
            return model
        return model._with_rest(values, column, ctx)

    def _with_rest(self, values: pd.Series, column: Column, ctx: FitContext) -> CategoricalModel:
        """This model with the pooled remainder generated by the text model of the pooled values
        (module doc), when at least ``min_count`` values were pooled."""
        codes, distinct = _distinct(values)
        kept = set(self.values)
        is_kept = np.array([scalar(v) in kept for v in distinct], dtype=bool)
        pooled = values[~is_kept[codes]] if len(distinct) else values
        if len(pooled) < ctx.min_count:
            return self
        rest = codes_or_prose(pooled.reset_index(drop=True), column, replace(ctx, unique=False))
        return replace(self, rest=encode(rest), shapes=(), shape_probs=())

    @cached_property
    def rest_model(self) -> ColumnModel | None:
        return decode(self.rest) if self.rest is not None else None

    @classmethod
    def _fit_enum(cls, counts: Counter[Scalar], labels: tuple[str, ...], ctx: FitContext) -> CategoricalModel:
        n = sum(counts.values())
        # A value outside the labels (MySQL's '' for invalid input) cannot be written back: pooled.
        kept = {label: counts[label] for label in labels if counts[label] >= ctx.min_count}
        pooled = n - sum(kept.values())
        rest = [label for label in labels if label not in kept]
        if n == 0:
            weights = [1.0] * len(labels)
        elif rest and pooled:
            weights = [kept.get(label, pooled / len(rest)) for label in labels]
        else:  # nothing rare, or every label kept: rare junk is folded into the labels
            weights = [float(kept.get(label, 0)) for label in labels]
        total = sum(weights)
        probs = tuple(round(w / total, PROB_DECIMALS) for w in weights)
        return cls(values=tuple(labels), probs=probs, order="declared", pooled=_share(pooled, n))

    @classmethod
    def from_counts(
        cls, counts: Counter[Scalar], ctx: FitContext, *, max_length: int | None = None
    ) -> CategoricalModel:
        """Fit on value counts (also used for strings inside JSON documents and arrays)."""
        n = sum(counts.values())
        frequent = [(v, c) for v, c in counts.items() if c >= ctx.min_count and not withheld(v, ctx.withheld)]
        frequent.sort(key=lambda vc: (-vc[1], str(vc[0])))
        kept = dict(frequent[:MAX_KEPT])
        pooled = n - sum(kept.values())
        numeric = bool(kept) and all(not isinstance(v, str) for v in kept)
        if numeric:
            ordered = sorted(kept, key=lambda v: (float(v), str(type(v))))
            probs = tuple(round(kept[v] / (n - pooled), PROB_DECIMALS) for v in ordered)
            return cls(values=tuple(ordered), probs=probs, order="value", pooled=_share(pooled, n))
        ordered = sorted(kept, key=lambda v: (-kept[v], str(v)))
        rare = {str(v): c for v, c in counts.items() if v not in kept}
        shape_counts: Counter[str] = Counter()
        for text, c in rare.items():
            if len(text) <= MAX_SHAPE_LENGTH:
                shape_counts[shape_of(text)] += c
        shapes = sorted(
            (s for s, c in shape_counts.items() if c >= ctx.min_count), key=lambda s: (-shape_counts[s], s)
        )
        shape_total = sum(shape_counts[s] for s in shapes)
        other_length = DEFAULT_WORD_LENGTH
        if pooled >= ctx.min_count:
            lengths = np.repeat([len(t) for t in rare], list(rare.values()))
            other_length = max(1, round(float(np.median(lengths))))
        total = max(n, 1)
        return cls(
            values=tuple(ordered),
            probs=tuple(round(kept[v] / total, PROB_DECIMALS) for v in ordered),
            order="frequency",
            other=round(pooled / total, PROB_DECIMALS) if n else 1.0,
            pooled=_share(pooled, n),
            max_length=max_length,
            other_length=other_length,
            shapes=tuple(shapes),
            shape_probs=tuple(round(shape_counts[s] / shape_total, PROB_DECIMALS) for s in shapes),
        )

    def check(self) -> None:
        """The invariants of the class docstring (a model file is untrusted input)."""
        inv.unique("values", self.values)
        inv.finite("values", [v for v in self.values if isinstance(v, float)])
        inv.same_length("probs", self.probs, "values", self.values)
        inv.shares("probs", self.probs, total=1.0, plus=self.other)
        inv.share("other", self.other)
        inv.require(self.other == 0 or self.order == "frequency", "other", f"is not 0 in {self.order} order")
        inv.share("pooled", self.pooled)
        if self.order == "value":
            numbers = [v for v in self.values if not isinstance(v, str)]
            inv.require(len(numbers) == len(self.values), "values", "hold a string in value order")
            inv.ordered("values", [float(v) for v in numbers])
        if self.max_length is not None:
            inv.between("max_length", self.max_length, 0, inv.MAX_LENGTH)
        inv.between("other_length", self.other_length, 1, inv.MAX_LENGTH)
        inv.same_length("shape_probs", self.shape_probs, "shapes", self.shapes)
        inv.shares("shape_probs", self.shape_probs, total=1.0 if self.shapes else None)
        for i, shape in enumerate(self.shapes):
            inv.require(len(shape) <= MAX_SHAPE_LENGTH, f"shapes[{i}]", f"is longer than {MAX_SHAPE_LENGTH}")
        if self.rest is not None:
            inv.require(self.order == "frequency", "rest", f"is set in {self.order} order")
            inv.require(self.rest.get("kind") in REST_KINDS, "rest", f"is not one of {REST_KINDS}")
            try:
                rest = self.rest_model
            except ModelError as exc:
                raise FieldError("rest", str(exc)) from None
            inv.check_tree(rest, "rest")

    # -- the CDF and its inverse --------------------------------------------------------------

    def _cuts(self) -> np.ndarray:
        """Right ends of the slots on (0, 1], renormalised (stored shares are rounded)."""
        cum = np.cumsum(np.asarray([*self.probs, self.other], dtype=np.float64))
        return cum / cum[-1]

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        cuts = self._cuts()
        starts = np.concatenate([[0.0], cuts[:-1]])
        slot_of = {v: i for i, v in enumerate(self.values)}
        # Only the distinct values go through scalar() and the slot lookup in Python: a million
        # rows of a few categories cost one factorize in C.
        codes, distinct = _distinct(values)
        items = [scalar(v) for v in distinct]
        jitter = rng.random(len(codes))
        slot_by_code = np.array([slot_of.get(v, -1) for v in items], dtype=np.intp)
        slots = slot_by_code[codes] if len(items) else np.full(len(codes), -1, dtype=np.intp)
        u = jitter.copy()  # unknown values: no position to give them, so a neutral one
        known = slots >= 0
        u[known] = starts[slots[known]] + jitter[known] * (cuts[slots[known]] - starts[slots[known]])
        unknown = ~known
        if unknown.any() and self.order == "frequency" and self.other > 0:
            inside = jitter[unknown]
            rest = self.rest_model
            if rest is not None:  # where the remainder model places it (a long title: high)
                inside = rest.to_uniform(values.iloc[np.flatnonzero(unknown)].reset_index(drop=True), rng)
            u[unknown] = starts[-1] + inside * (1.0 - starts[-1])
        elif unknown.any() and self.order == "value" and self.values:
            # a pooled number sits between the kept ones: the boundary at its value
            keys = np.asarray([float(v) for v in self.values])
            numbers = np.array([_number_or_nan(v) for v in items], dtype=np.float64)
            positions = np.searchsorted(keys, numbers[codes[unknown]])
            u[unknown] = np.concatenate([[0.0], cuts])[positions]
        return clip_unit(u)

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        u = clip_unit(u)
        cuts = self._cuts()
        slots = np.clip(np.searchsorted(cuts, u, side="right"), 0, len(cuts) - 1)
        n_kept = len(self.values)
        if n_kept and all(isinstance(v, bool) for v in self.values):
            return np.asarray(self.values, dtype=bool)[np.minimum(slots, n_kept - 1)]
        if n_kept and all(isinstance(v, int) and not isinstance(v, bool) for v in self.values):
            return np.asarray(self.values, dtype=np.int64)[np.minimum(slots, n_kept - 1)]
        if n_kept and all(isinstance(v, int | float) and not isinstance(v, bool) for v in self.values):
            return np.asarray(self.values, dtype=np.float64)[np.minimum(slots, n_kept - 1)]
        out = np.empty(u.size, dtype=object)
        kept = slots < n_kept
        if n_kept:
            out[kept] = np.asarray(self.values, dtype=object)[slots[kept]]
        fresh = np.flatnonzero(~kept)
        rest = self.rest_model
        if rest is not None and fresh.size:
            # The remainder's own CDF gets the position inside the pooled slot, so the copula's
            # pull (long titles with high amounts) reaches the made-up values too.
            start = cuts[-2] if len(cuts) > 1 else 0.0
            inside = (u[fresh] - start) / max(1.0 - start, 1e-12)
            made = rest.from_uniform(clip_unit(inside), rng)
            out[fresh] = [str(v)[: self.max_length] if self.max_length else str(v) for v in made]
        else:
            out[fresh] = self.new_strings(fresh.size, rng)
        return out

    def new_strings(self, count: int, rng: np.random.Generator) -> list[str]:
        """``count`` new strings for the pooled mass (module doc: frequent shapes of the pooled
        values, else the kept values' shapes, else random words)."""
        if not count:
            return []
        strings, weights = (self.shapes, self.shape_probs) if self.shapes else (self.values, self.probs)
        if strings:
            p = np.asarray(weights, dtype=np.float64)
            picks = rng.choice(len(strings), size=count, p=p / p.sum())
            made = [reshape(str(strings[i]), rng) for i in picks]
        else:
            made = [
                "".join(rng.choice(list(string.ascii_lowercase), size=self.other_length))
                for _ in range(count)
            ]
        return [s[: self.max_length] for s in made] if self.max_length else made

    def describe(self) -> str:
        if not self.values:
            # Each value was seen in too few rows, or held by too few entities (fitting/entities.py).
            none = "categorical: no value kept (each too rare, or held by too few entities)"
            if self.rest_model is not None:
                return f"{none}; generated as {self.rest_model.describe()}"
            if self.shapes:
                return f"{none}; new strings of {len(self.shapes)} frequent shapes"
            return f"{none}; generates new {self.other_length}-letter words"
        what = {"value": "by value", "declared": "in declared order", "frequency": "by frequency"}[self.order]
        ranked = sorted(zip(self.probs, self.values, strict=True), key=lambda t: -t[0])
        shown = ", ".join(f"{v!r} {p:.0%}" for p, v in ranked[:3])
        more = f", {len(ranked) - 3} more" if len(ranked) > 3 else ""
        text = f"categorical, {len(self.values)} values {what}: {shown}{more}"
        if self.pooled > 0:
            fate = {
                "value": "folded into the kept values",
                "declared": "spread over the labels not kept",
                "frequency": "generated as new strings of "
                + (f"{len(self.shapes)} frequent shapes" if self.shapes else "the kept values' shapes"),
            }[self.order]
            rest = self.rest_model
            if rest is not None:
                fate = f"generated as {rest.describe()}"
            text += f"; {self.pooled:.1%} pooled (rare, or held by too few entities), {fate}"
        return text


def shape_of(text: str) -> str:
    """``'XK-193'`` → ``'AA-999'``: digits to 9, letters to A/a by case, everything else kept."""
    return "".join(
        "9" if ch.isdigit() else ("A" if ch.isupper() else "a") if ch.isalpha() else ch for ch in text
    )


def reshape(template: str, rng: np.random.Generator) -> str:
    """A random string with ``template``'s shape: letters keep their case, digits stay digits."""
    out = []
    draws = rng.random(len(template))
    for ch, r in zip(template, draws, strict=True):
        if ch.isdigit():
            out.append(string.digits[int(r * 10)])
        elif ch.isalpha():
            letters = string.ascii_uppercase if ch.isupper() else string.ascii_lowercase
            out.append(letters[int(r * 26)])
        else:
            out.append(ch)
    return "".join(out)


def _share(count: int, n: int) -> float:
    return round(count / n, PROB_DECIMALS) if n else 0.0


def _number_or_nan(value: Scalar) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
