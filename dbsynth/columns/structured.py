"""Structured values: JSON documents, arrays, and MySQL SETs.

**JSON** (:class:`JsonModel`): a tree of :class:`JsonNode`, one per path. A node keeps the shares
of the JSON types found there and, per type, a small model: objects their keys (each with its
presence rate among the objects at that path, and a child node), arrays a length model and one
node for all their elements, strings a :class:`~dbsynth.columns.categorical.CategoricalModel`
(frequent strings kept, the rest generated as new pattern-shaped strings), integers and numbers a
:class:`~dbsynth.columns.numeric.NumericModel`, booleans their share of ``true``. The tree stops at
``MAX_DEPTH`` levels (deeper objects and arrays come back empty). Keys present in fewer than
``min_count`` documents are dropped, like any rare value: a map keyed by customer e-mails loses
those keys. Keys are drawn independently given their parent (co-occurrence such as "either
phone or email" is not kept). Documents are generated as JSON text, which every target accepts.
A document has no order, so its uniform is noise: the copula leaves JSON columns independent.

**Arrays** (:class:`ArrayModel`): a length model (empty arrays are its point mass at 0) and one
column model for all elements, fitted like a column of the element type; the uniform drives the
length ("more tags" can correlate with other columns), elements are drawn independently.
Multi-dimensional arrays are flattened and generated one-dimensional (PostgreSQL does not
enforce declared dimensions).

**SET** (:class:`SetModel`): label combinations seen at least ``min_count`` times as categories
ordered by MySQL's bitmask value (how MySQL itself sorts SET values), the rest pooled and
generated label by label from the labels' presence rates.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd

from dbsynth import invariants as inv
from dbsynth.columns.base import ColumnModel, FitContext, clip_unit, decode, encode, register
from dbsynth.columns.categorical import CategoricalModel, scalar
from dbsynth.columns.numeric import PROB_DECIMALS, NumericModel, check_length, fit_counts
from dbsynth.columns.simple import BooleanModel, BytesModel, ConstantModel, UuidModel
from dbsynth.columns.temporal import TemporalModel
from dbsynth.errors import ModelError
from dbsynth.schema import Column, LogicalType
from dbsynth.serde import FieldError

JsonType = Literal["object", "array", "string", "integer", "number", "boolean", "null"]
MAX_DEPTH = 4
MAX_KEYS = 200


def _json_type(value: Any) -> JsonType:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return "string"


def parse_json(value: Any) -> Any:
    """A document as Python data: drivers give dicts/lists (psycopg) or JSON text (MySQL, SQLite)."""
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return value if isinstance(value, str) else value.decode("utf-8", "replace")
    return value


@dataclass(frozen=True)
class JsonKey:
    """A key of the objects at one path: ``presence`` is the share of those objects having it."""

    name: str
    presence: float
    node: JsonNode

    def check(self) -> None:
        inv.share("presence", self.presence)


@dataclass(frozen=True)
class JsonNode:
    """The values at one path (module doc). ``types`` and ``type_probs`` pair up; the per-type
    models are set only for types that occur."""

    types: tuple[JsonType, ...] = ()
    type_probs: tuple[float, ...] = ()
    keys: tuple[JsonKey, ...] = ()
    length: NumericModel | None = None
    items: JsonNode | None = None
    strings: CategoricalModel | None = None
    integers: NumericModel | None = None
    numbers: NumericModel | None = None
    true_share: float = 0.5

    def check(self) -> None:
        """``types`` unique with their shares (summing to 1), key names unique, a count model for
        array lengths; the objects below are checked by :func:`~dbsynth.invariants.check_tree`."""
        inv.unique("types", self.types)
        inv.same_length("type_probs", self.type_probs, "types", self.types)
        inv.shares("type_probs", self.type_probs, total=1.0 if self.types else None)
        inv.unique("keys", [k.name for k in self.keys])
        if self.length is not None:
            check_length("length", self.length)
        inv.share("true_share", self.true_share)

    @classmethod
    def fit(cls, values: list[Any], ctx: FitContext, depth: int = 0) -> JsonNode:
        groups: dict[JsonType, list[Any]] = {}
        for v in values:
            groups.setdefault(_json_type(v), []).append(v)
        n = len(values)
        fields: dict[str, Any] = {
            "types": tuple(groups),
            "type_probs": tuple(round(len(g) / n, PROB_DECIMALS) for g in groups.values()),
        }
        deeper = depth < MAX_DEPTH
        if "object" in groups and deeper:
            fields["keys"] = _fit_keys(groups["object"], ctx, depth)
        if "array" in groups:
            arrays = groups["array"]
            lengths = np.array([len(a) for a in arrays], dtype=np.float64)
            fields["length"] = fit_counts(lengths, ctx)
            elements = [e for a in arrays for e in a]
            if elements and deeper:
                fields["items"] = cls.fit(elements, ctx, depth + 1)
        if "string" in groups:
            fields["strings"] = CategoricalModel.from_counts(Counter(map(str, groups["string"])), ctx)
        if "integer" in groups:
            x = np.array(groups["integer"], dtype=np.float64)
            fields["integers"] = NumericModel.from_array(x, number="integer", ctx=ctx, shape=False)
        if "number" in groups:
            x = np.array(groups["number"], dtype=np.float64)
            fields["numbers"] = NumericModel.from_array(x, number="float", ctx=ctx, shape=False)
        if "boolean" in groups:
            fields["true_share"] = round(float(np.mean(groups["boolean"])), PROB_DECIMALS)
        return cls(**fields)

    def generate(self, n: int, rng: np.random.Generator) -> list[Any]:
        """``n`` values of this path as Python data."""
        out: list[Any] = [None] * n
        if n == 0 or not self.types:
            return out
        p = np.asarray(self.type_probs, dtype=np.float64)
        which = rng.choice(len(self.types), size=n, p=p / p.sum())
        for t, kind in enumerate(self.types):
            rows = np.flatnonzero(which == t)
            if rows.size:
                for i, value in zip(rows.tolist(), self._generate_type(kind, rows.size, rng), strict=True):
                    out[i] = value
        return out

    def _generate_type(self, kind: JsonType, m: int, rng: np.random.Generator) -> list[Any]:
        if kind == "object":
            objects: list[dict[str, Any]] = [{} for _ in range(m)]
            for key in self.keys:
                present = np.flatnonzero(rng.random(m) < key.presence)
                for i, value in zip(present.tolist(), key.node.generate(present.size, rng), strict=True):
                    objects[i][key.name] = value
            return objects
        if kind == "array":
            lengths = self.length.from_uniform(rng.random(m), rng) if self.length else np.zeros(m, np.int64)
            lengths = np.maximum(lengths, 0) if self.items else np.zeros(m, np.int64)
            flat = self.items.generate(int(lengths.sum()), rng) if self.items else []
            ends = np.cumsum(lengths).tolist()
            return [flat[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
        if kind == "string" and self.strings is not None:
            return [str(s) for s in self.strings.from_uniform(rng.random(m), rng)]
        if kind == "integer" and self.integers is not None:
            return [int(v) for v in self.integers.from_uniform(rng.random(m), rng)]
        if kind == "number" and self.numbers is not None:
            return [float(v) for v in self.numbers.from_uniform(rng.random(m), rng)]
        if kind == "boolean":
            return (rng.random(m) < self.true_share).tolist()  # type: ignore[no-any-return]
        return [None] * m

    def summary(self) -> str:
        shares = sorted(zip(self.type_probs, self.types, strict=True), reverse=True)
        parts = [f"{kind} {share:.0%}" for share, kind in shares]
        if self.keys:
            listed = ", ".join(f"{k.name} ({k.presence:.0%})" for k in self.keys[:6])
            more = f", {len(self.keys) - 6} more" if len(self.keys) > 6 else ""
            parts.append(f"keys {listed}{more}")
        return "; ".join(parts)


def _fit_keys(objects: list[dict[str, Any]], ctx: FitContext, depth: int) -> tuple[JsonKey, ...]:
    seen: Counter[str] = Counter()
    first: dict[str, int] = {}
    for obj in objects:
        for key in obj:
            seen[str(key)] += 1
            first.setdefault(str(key), len(first))
    kept = [k for k, c in seen.most_common(MAX_KEYS) if c >= ctx.min_count]
    kept.sort(key=first.__getitem__)  # generated objects list their keys in the source's order
    keys = []
    for name in kept:
        child = [obj[name] for obj in objects if name in obj]
        presence = round(len(child) / len(objects), PROB_DECIMALS)
        keys.append(JsonKey(name, presence, JsonNode.fit(child, ctx, depth + 1)))
    return tuple(keys)


@register("json")
@dataclass(frozen=True)
class JsonModel(ColumnModel):
    """JSON documents from a :class:`JsonNode` tree (module doc); generated as JSON text."""

    root: JsonNode

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> JsonModel:
        return cls(JsonNode.fit([parse_json(v) for v in values.tolist()], ctx))

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        return clip_unit(rng.random(len(values)))

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        docs = self.root.generate(np.asarray(u).size, rng)
        out = np.empty(len(docs), dtype=object)
        out[:] = docs  # Python objects: the writers serialise them (see dbsynth.writing.base)
        return out

    def describe(self) -> str:
        return f"json: {self.root.summary()}" if self.root.types else "json: no documents"


# -- arrays -------------------------------------------------------------------------------------


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, list | tuple | np.ndarray):
        return [e for item in value for e in _flatten(item)]
    return [value]


def _parse_array(value: Any) -> list[Any]:
    """Drivers give lists (psycopg); text forms are JSON (``[1,2]``) or PostgreSQL's ``{1,2}``."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return _flatten(json.loads(text))
        if text.startswith("{") and text.endswith("}"):
            inner = text[1:-1].replace("{", "").replace("}", "")
            return [item.strip().strip('"') for item in inner.split(",")] if inner.strip() else []
        return [value]
    return _flatten(value) if isinstance(value, list | tuple | np.ndarray) else [value]


_ELEMENT_MODELS: dict[LogicalType, type[ColumnModel]] = {
    LogicalType.INTEGER: NumericModel,
    LogicalType.DECIMAL: NumericModel,
    LogicalType.FLOAT: NumericModel,
    LogicalType.BOOLEAN: BooleanModel,
    LogicalType.STRING: CategoricalModel,
    LogicalType.TEXT: CategoricalModel,
    LogicalType.ENUM: CategoricalModel,
    LogicalType.DATE: TemporalModel,
    LogicalType.TIME: TemporalModel,
    LogicalType.TIMESTAMP: TemporalModel,
    LogicalType.TIMESTAMPTZ: TemporalModel,
    LogicalType.INTERVAL: TemporalModel,
    LogicalType.UUID: UuidModel,
    LogicalType.BYTES: BytesModel,
    LogicalType.JSON: JsonModel,
}


# Element type by Python type, for arrays whose Schema does not name it (most specific first:
# bool before int, datetime before date).
_PYTHON_LOGICAL: tuple[tuple[type | tuple[type, ...], LogicalType], ...] = (
    (bool, LogicalType.BOOLEAN),
    (int, LogicalType.INTEGER),
    (Decimal, LogicalType.DECIMAL),
    (float, LogicalType.FLOAT),
    (dt.datetime, LogicalType.TIMESTAMP),
    (dt.date, LogicalType.DATE),
    (dt.time, LogicalType.TIME),
    (dt.timedelta, LogicalType.INTERVAL),
    (uuid.UUID, LogicalType.UUID),
    ((bytes, bytearray, memoryview), LogicalType.BYTES),
    (dict, LogicalType.JSON),
)


def _infer_logical(values: list[Any]) -> LogicalType:
    for py_type, logical in _PYTHON_LOGICAL:
        if values and all(isinstance(v, py_type) for v in values):
            if logical == LogicalType.TIMESTAMP and any(v.tzinfo is not None for v in values):
                return LogicalType.TIMESTAMPTZ
            return logical
    return LogicalType.TEXT


def element_column(column: Column, values: list[Any] | None = None) -> Column:
    """The column an array's elements would be if they were a column of their own; the element
    type comes from the Schema, else from the Python types of ``values``."""
    logical = column.element or _infer_logical(values or [])
    return Column(
        name=f"{column.name}[]",
        sql_type=column.element_sql_type or logical.value,
        logical=logical,
        enum_labels=column.enum_labels if logical == LogicalType.ENUM else None,
    )


def _python_list(values: Any) -> list[Any]:
    if isinstance(values, pd.Series):
        if values.dtype.kind == "M":
            return list(values.dt.to_pydatetime())
        if values.dtype.kind == "m":
            return list(values.dt.to_pytimedelta())
        return values.tolist()
    return np.asarray(values, dtype=object).tolist() if not hasattr(values, "tolist") else values.tolist()


@register("array")
@dataclass(frozen=True)
class ArrayModel(ColumnModel):
    """A length model, the element model (stored encoded: any registered kind fits) and the share
    of NULL elements."""

    length: NumericModel
    element: dict[str, Any]
    element_nulls: float = 0.0

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> ArrayModel:
        arrays = [_parse_array(v) for v in values.tolist()]
        lengths = np.array([len(a) for a in arrays], dtype=np.float64)
        length = fit_counts(lengths, ctx)
        flat = [e for a in arrays for e in a]
        present = [e for e in flat if e is not None]
        nulls = round(1 - len(present) / len(flat), PROB_DECIMALS) if flat else 0.0
        elem = element_column(column, present)
        model_cls = _ELEMENT_MODELS.get(elem.logical, ConstantModel)
        element = model_cls.fit(pd.Series(present, dtype=object), elem, ctx)
        return cls(length, encode(element), nulls)

    def element_model(self) -> ColumnModel:
        return decode(self.element)

    def check(self) -> None:
        """A count model for the lengths, a share of NULL elements, and an element model of a
        known kind that keeps its own invariants (it is stored encoded, so checked here)."""
        check_length("length", self.length)
        inv.share("element_nulls", self.element_nulls)
        try:
            element = self.element_model()
        except ModelError as exc:
            raise FieldError("element", str(exc)) from None
        inv.check_tree(element, "element")

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        lengths = pd.Series([len(_parse_array(v)) for v in values.tolist()], dtype=np.float64)
        return self.length.to_uniform(lengths, rng)

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        lengths = np.maximum(self.length.from_uniform(u, rng), 0)
        total = int(lengths.sum())
        flat = _python_list(self.element_model().from_uniform(rng.random(total), rng)) if total else []
        if self.element_nulls > 0:
            for i in np.flatnonzero(rng.random(total) < self.element_nulls).tolist():
                flat[i] = None
        ends = np.cumsum(lengths).tolist()
        out = np.empty(lengths.size, dtype=object)
        out[:] = [flat[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
        return out

    def describe(self) -> str:
        nulls = f", {self.element_nulls:.0%} NULL elements" if self.element_nulls else ""
        return f"array, length: {self.length.describe()}; elements: {self.element_model().describe()}{nulls}"


# -- MySQL SET ----------------------------------------------------------------------------------


def _parse_set(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part for part in value.split(",") if part]
    if isinstance(value, set | frozenset | list | tuple):
        return [str(v) for v in value]
    return [str(scalar(value))]


@register("set")
@dataclass(frozen=True)
class SetModel(ColumnModel):
    """Frequent label combinations (bitmask over ``labels``: bit ``i`` is ``labels[i]``) in
    ascending mask order, then an ``other`` slot generated label by label from ``presence``.

    Invariants: ``labels`` unique, ``len(presence) == len(labels)``; ``combos`` strictly
    increasing, each seen at least ``min_count`` times; ``sum(combo_probs) + other == 1``."""

    labels: tuple[str, ...]
    presence: tuple[float, ...]
    combos: tuple[int, ...] = ()
    combo_probs: tuple[float, ...] = ()
    other: float = 0.0

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> SetModel:
        rows = [_parse_set(v) for v in values.tolist()]
        labels = column.enum_labels
        if not labels:  # no declared labels: those present in at least min_count rows
            counts = Counter(label for row in rows for label in set(row))
            labels = tuple(sorted(label for label, c in counts.items() if c >= ctx.min_count))
        bit = {label: i for i, label in enumerate(labels)}
        masks = Counter(sum(1 << bit[label] for label in set(row) if label in bit) for row in rows)
        n = max(len(rows), 1)
        having = [sum(c for m, c in masks.items() if m >> i & 1) for i in range(len(labels))]
        presence = tuple(round(h / n, PROB_DECIMALS) for h in having)
        kept = sorted(m for m, c in masks.items() if c >= ctx.min_count)
        probs = tuple(round(masks[m] / n, PROB_DECIMALS) for m in kept)
        other = round(1.0 - sum(masks[m] for m in kept) / n, PROB_DECIMALS) if rows else 1.0
        return cls(tuple(labels), presence, tuple(kept), probs, other)

    def check(self) -> None:
        """The invariants of the class docstring (a model file is untrusted input)."""
        inv.unique("labels", self.labels)
        inv.same_length("presence", self.presence, "labels", self.labels)
        inv.shares("presence", self.presence)
        inv.ordered("combos", self.combos, strictly=True)
        for i, mask in enumerate(self.combos):
            inv.require(
                0 <= mask < 1 << len(self.labels), f"combos[{i}]", f"{mask} is not a set of the labels"
            )
        inv.same_length("combo_probs", self.combo_probs, "combos", self.combos)
        inv.shares("combo_probs", self.combo_probs, total=1.0, plus=self.other)
        inv.share("other", self.other)

    def _cuts(self) -> np.ndarray:
        cum = np.cumsum(np.asarray([*self.combo_probs, self.other], dtype=np.float64))
        return cum / cum[-1] if cum[-1] > 0 else np.linspace(0.0, 1.0, cum.size + 1)[1:]

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        bit = {label: i for i, label in enumerate(self.labels)}
        slot_of = {m: i for i, m in enumerate(self.combos)}
        cuts = self._cuts()
        starts = np.concatenate([[0.0], cuts[:-1]])
        masks = [sum(1 << bit[x] for x in set(_parse_set(v)) if x in bit) for v in values.tolist()]
        slots = np.array([slot_of.get(m, len(self.combos)) for m in masks], dtype=np.intp)
        jitter = rng.random(slots.size)
        return clip_unit(starts[slots] + jitter * (cuts[slots] - starts[slots]))

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        slots = np.clip(np.searchsorted(self._cuts(), clip_unit(u), side="right"), 0, len(self.combos))
        fresh = np.flatnonzero(slots == len(self.combos))
        draws = rng.random((fresh.size, len(self.labels))) < np.asarray(self.presence)
        # label lists straight from bits: a SET has up to 64 labels, one more than int64 holds
        chosen = [[lab for i, lab in enumerate(self.labels) if m >> i & 1] for m in (*self.combos, 0)]
        rows = [chosen[s] for s in slots.tolist()]
        for r, flags in zip(fresh.tolist(), draws, strict=True):
            rows[r] = [lab for lab, on in zip(self.labels, flags.tolist(), strict=True) if on]
        out = np.empty(len(rows), dtype=object)
        out[:] = [",".join(row) for row in rows]
        return out

    def describe(self) -> str:
        rates = ", ".join(f"{lab} {p:.0%}" for lab, p in zip(self.labels, self.presence, strict=True))
        return f"set of {len(self.labels)} labels ({rates}); {len(self.combos)} frequent combinations"
