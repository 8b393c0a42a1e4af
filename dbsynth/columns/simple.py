"""Small models: booleans, UUIDs, byte strings, and constants (also the fallback for unknown types).

Privacy: a boolean's share of ``true`` and a byte string's length distribution are aggregates
(the two booleans and the bytes come from the type, not from rows); UUIDs and bytes are drawn
fresh from the generator, so no source key or blob is ever stored. A constant is a value seen
at least ``min_count`` times, or a type default.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from dbsynth import invariants as inv
from dbsynth.columns.base import ColumnModel, FitContext, clip_unit, register
from dbsynth.columns.categorical import Scalar, scalar
from dbsynth.columns.numeric import PROB_DECIMALS, NumericModel, check_length, fit_counts
from dbsynth.columns.sqltypes import type_literal
from dbsynth.schema import Column, LogicalType
from dbsynth.serde import FieldError

_TRUE = frozenset({"t", "true", "1", "y", "yes", "on"})
_FALSE = frozenset({"f", "false", "0", "n", "no", "off"})


def as_bools(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(bool array, valid mask)`` for booleans, 0/1 (MySQL ``tinyint(1)``) and 't'/'false' text."""
    out = np.zeros(len(values), dtype=bool)
    ok = np.ones(len(values), dtype=bool)
    for i, v in enumerate(values.tolist()):
        if isinstance(v, str):
            word = v.strip().lower()
            out[i], ok[i] = word in _TRUE, word in _TRUE | _FALSE
        elif isinstance(v, bool | int | float | np.bool_ | np.number) and v == v:  # NaN != NaN
            out[i] = bool(v)
        else:
            ok[i] = False
    return out, ok


@register("boolean")
@dataclass(frozen=True)
class BooleanModel(ColumnModel):
    """``true_share`` of the values are true. The CDF puts false below true: u < 1 − share is false."""

    true_share: float = 0.5

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> BooleanModel:
        flags, ok = as_bools(values)
        share = float(flags[ok].mean()) if ok.any() else 0.5
        return cls(true_share=round(share, PROB_DECIMALS))

    def check(self) -> None:
        inv.share("true_share", self.true_share)

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        flags, ok = as_bools(values)
        jitter = rng.random(flags.size)
        cut = 1.0 - self.true_share
        u = np.where(flags, cut + jitter * self.true_share, jitter * cut)
        return clip_unit(np.where(ok, u, jitter))

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.asarray(clip_unit(u) >= 1.0 - self.true_share)

    def describe(self) -> str:
        return f"boolean, {self.true_share:.0%} true"


UuidForm = Literal["uuid", "text", "upper", "hex"]
_TOP_BITS = 53  # a float64 uniform carries 53 bits: they become the UUID's leading bits


@register("uuid")
@dataclass(frozen=True)
class UuidModel(ColumnModel):
    """Fresh random UUIDs with the source's version and form.

    ``version`` is the version most values carry (≥ 90 % of them), with RFC 4122 variant bits;
    0 means the values follow no version (random 128-bit identifiers) and none is imposed.
    ``form``: ``uuid`` objects (native uuid columns), lowercase ``text``, ``upper``case text, or
    32-digit ``hex``. The uniform sets the leading 53 bits, so the map is monotone (time-ordered
    version 7 UUIDs keep their order against other columns); the other 75 bits come from ``rng``,
    which makes collisions as unlikely as for ``uuid4()``.
    """

    version: int = 4
    form: UuidForm = "uuid"

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> UuidModel:
        parsed = [u for u in (_parse_uuid(v) for v in values.tolist()) if u is not None]
        texts = [v for v in values.tolist() if isinstance(v, str)]
        form: UuidForm = "uuid"
        if all("-" not in t for t in texts) and texts:
            form = "hex"
        elif texts:
            form = "upper" if any(t != t.lower() for t in texts) else "text"
        versions = Counter((u.version or 0) if u.variant == uuid.RFC_4122 else 0 for u in parsed)
        version = 4
        if versions:
            top, count = versions.most_common(1)[0]
            version = top if count >= 0.9 * len(parsed) and count >= ctx.min_count else 0
        return cls(version=version, form=form)

    def check(self) -> None:
        inv.between("version", self.version, 0, 15)  # one hexadecimal digit of the UUID

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        jitter = rng.random(len(values))
        parsed = [_parse_uuid(v) for v in values.tolist()]
        lead = np.array([(p.int >> (128 - _TOP_BITS)) if p else -1 for p in parsed], dtype=np.float64)
        u = (lead + jitter) / 2.0**_TOP_BITS
        return clip_unit(np.where(lead >= 0, u, jitter))

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        lead = np.floor(clip_unit(u) * 2.0**_TOP_BITS).astype(np.int64)
        low = rng.integers(0, 2**63, size=lead.size, dtype=np.int64)  # 63 + 12 = 75 random bits
        mid = rng.integers(0, 2**12, size=lead.size, dtype=np.int64)
        out = np.empty(lead.size, dtype=object)
        for i, (a, b, c) in enumerate(zip(lead.tolist(), mid.tolist(), low.tolist(), strict=True)):
            value = (a << 75) | (b << 63) | c
            if self.version:
                value = (value & ~(0xF << 76)) | (self.version << 76)  # version nibble
                value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
            out[i] = self._render(uuid.UUID(int=value))
        return out

    def _render(self, value: uuid.UUID) -> Any:
        if self.form == "uuid":
            return value
        if self.form == "hex":
            return value.hex
        return str(value).upper() if self.form == "upper" else str(value)

    def describe(self) -> str:
        kind = f"version {self.version}" if self.version else "unversioned"
        return f"uuid, random {kind} ({self.form})"


def _parse_uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@register("bytes")
@dataclass(frozen=True)
class BytesModel(ColumnModel):
    """Random bytes whose lengths follow ``length`` (a numeric model of the byte counts; the
    uniform drives the length, so "bigger attachments" can correlate with other columns)."""

    length: NumericModel

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> BytesModel:
        sizes = np.array([_byte_length(v) for v in values.tolist()], dtype=np.float64)
        return cls(fit_counts(sizes, ctx, float(column.length) if column.length else math.inf))

    def check(self) -> None:
        check_length("length", self.length)

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        sizes = pd.Series([_byte_length(v) for v in values.tolist()], dtype=np.float64)
        return self.length.to_uniform(sizes, rng)

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        sizes = np.maximum(self.length.from_uniform(u, rng), 0)
        blob = rng.bytes(int(sizes.sum()))
        ends = np.cumsum(sizes).tolist()
        starts = [0, *ends[:-1]]
        out = np.empty(sizes.size, dtype=object)
        out[:] = [blob[a:b] for a, b in zip(starts, ends, strict=True)]
        return out

    def describe(self) -> str:
        return f"bytes, random content, length: {self.length.describe()}"


def _byte_length(value: Any) -> float:
    if isinstance(value, bytes | bytearray | memoryview):
        return float(len(value))
    if isinstance(value, str):
        return float(len(value.encode("utf-8")))
    return math.nan


# What a column of each type gets when no value is frequent enough to repeat: valid for the type,
# as neutral as possible. OTHER is None: dbsynth cannot know a valid value of a type it does not
# understand, so NULL is the honest fallback (and a warning says so).
_TYPE_DEFAULTS: dict[LogicalType, Scalar | None] = {
    LogicalType.INTEGER: 0,
    LogicalType.DECIMAL: 0.0,
    LogicalType.FLOAT: 0.0,
    LogicalType.BOOLEAN: False,
    LogicalType.STRING: "",
    LogicalType.TEXT: "",
    LogicalType.DATE: "2000-01-01",
    LogicalType.TIME: "00:00:00",
    LogicalType.TIMESTAMP: "2000-01-01T00:00:00",
    LogicalType.TIMESTAMPTZ: "2000-01-01T00:00:00+00:00",
    LogicalType.INTERVAL: 0,
    LogicalType.UUID: "00000000-0000-4000-8000-000000000000",
    LogicalType.JSON: "{}",
    LogicalType.BYTES: "",
    LogicalType.SET: "",
    LogicalType.ARRAY: "[]",
    LogicalType.OTHER: None,
}


@register("constant")
@dataclass(frozen=True)
class ConstantModel(ColumnModel):
    """Every value is ``value`` (JSON-coded for its ``logical`` type: ISO text for dates and
    times, microseconds for intervals, hex for bytes, JSON text for documents and arrays).

    Fitted value: the most frequent one when seen at least ``min_count`` times, else the type
    default (an enum's first label). ``warning`` says why a column ended up constant when that
    is a fallback rather than the data (unknown type, nothing frequent), for ``describe``.
    """

    logical: LogicalType = LogicalType.OTHER
    value: Scalar | None = None
    warning: str = ""

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> ConstantModel:
        counts = Counter(_encode(v, column.logical) for v in values.tolist())
        common = counts.most_common(1)
        if common and common[0][1] >= ctx.min_count:
            warning = ""
            if column.logical == LogicalType.OTHER:
                warning = f"unknown type '{column.sql_type}': generates its most frequent value"
            return cls(column.logical, common[0][0], warning)
        value = _TYPE_DEFAULTS.get(column.logical)
        if column.logical == LogicalType.ENUM:
            value = column.enum_labels[0] if column.enum_labels else ""
        if column.logical == LogicalType.OTHER:
            if column.nullable:
                return cls(column.logical, None, f"unknown type '{column.sql_type}': generated as NULL")
            literal = type_literal(column, ctx.dialect)
            if literal is None:  # the engine refuses the column, naming the config key that fixes it
                return cls(column.logical, None, f"type '{column.sql_type}' (NOT NULL): no value to generate")
            warning = f"no value seen {ctx.min_count} or more times: generates {literal!r}"
            return cls(column.logical, str(literal), warning)
        warning = f"no value seen {ctx.min_count} or more times: generates the type default {value!r}"
        return cls(column.logical, value, warning)

    def check(self) -> None:
        """``value`` is one of its logical type, in the JSON coding of the class docstring."""
        try:
            _decode(self.value, self.logical)
        except (ValueError, TypeError, OverflowError):
            raise FieldError("value", f"{self.value!r} is not a {self.logical.value} value") from None

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        return clip_unit(rng.random(len(values)))

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> Any:
        n = np.asarray(u).size
        value = _decode(self.value, self.logical)
        if self.logical in (LogicalType.TIMESTAMP, LogicalType.TIMESTAMPTZ, LogicalType.INTERVAL):
            return pd.Series([value] * n)
        if isinstance(value, bool | int | float):
            return np.full(n, value)
        out = np.empty(n, dtype=object)
        for i in range(n):  # one object per row: lists and dicts must not be shared between rows
            out[i] = _decode(self.value, self.logical) if isinstance(value, list) else value
        return out

    def describe(self) -> str:
        text = "NULL" if self.value is None else f"constant {self.value!r}"
        return f"{text} (warning: {self.warning})" if self.warning else text


def _encode(value: Any, logical: LogicalType) -> Scalar:
    if logical == LogicalType.INTERVAL and isinstance(value, dt.timedelta):
        return int(value // dt.timedelta(microseconds=1))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, sort_keys=True, default=str)
    return scalar(value)


def _decode(value: Scalar | None, logical: LogicalType) -> Any:
    if value is None:
        return None
    converters: dict[LogicalType, Any] = {
        LogicalType.DATE: lambda v: dt.date.fromisoformat(str(v)[:10]),
        LogicalType.TIME: lambda v: dt.time.fromisoformat(str(v)),
        LogicalType.TIMESTAMP: lambda v: pd.Timestamp(str(v)).tz_localize(None),
        LogicalType.TIMESTAMPTZ: lambda v: pd.Timestamp(str(v)).tz_convert("UTC"),
        LogicalType.INTERVAL: lambda v: pd.Timedelta(microseconds=int(v)),
        LogicalType.UUID: lambda v: uuid.UUID(str(v)),
        LogicalType.BYTES: lambda v: bytes.fromhex(str(v)),
        LogicalType.ARRAY: lambda v: json.loads(v) if isinstance(v, str) else v,
    }
    convert = converters.get(logical)
    return convert(value) if convert else value
