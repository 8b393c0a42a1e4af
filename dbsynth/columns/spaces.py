"""Value spaces: the values a unique column can take, numbered ``0 … size-1``.

A unique column (or one column of a composite key) is filled by construction: its row index goes
through a keyed bijection (:func:`dbsynth.columns.permute.permute`) into ``[0, size)`` and the
space turns that number into a value of the column's type. Distinct rows give distinct numbers,
hence distinct values, whatever chunk or random stream a row is drawn in; a space smaller than
the rows asked is known before anything is generated, which is what lets the plan refuse it in
one line instead of the target refusing a duplicate halfway through a load.

The space follows the type first (``char(3)`` holds three characters, ``smallint`` stops at
32767, a timestamp stays in years every target accepts) and the fitted model second (integers
start at the fitted minimum and spread over the fitted range, text keeps the fitted length and
letter case, dates start at the fitted first day), so keys still look like the source's.

Strings use one letter case only: MySQL and MariaDB compare text case-insensitively by default,
so ``'abc'`` and ``'ABC'`` would collide in a UNIQUE index there. No space holds blanks either
(``char(n)`` pads with them, and PAD SPACE collations ignore trailing ones).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dbsynth.columns.base import ColumnModel
from dbsynth.columns.categorical import CategoricalModel
from dbsynth.columns.free_text import FreeTextModel
from dbsynth.columns.numeric import NumericModel, base_type_name, number_kind, type_bounds
from dbsynth.columns.permute import MAX_KEY
from dbsynth.columns.simple import UuidModel
from dbsynth.columns.sqltypes import LITERALS as SPECIAL_LITERAL_TYPES
from dbsynth.columns.sqltypes import NETWORK_TYPES, base_type
from dbsynth.columns.temporal import DAY, SECOND, TemporalModel
from dbsynth.schema import Column, LogicalType

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = _UPPER.lower()
_DIGITS = "0123456789"
_TEXT_LENGTH = 12  # the length of unbounded text keys when no model says otherwise
_EPOCH = dt.date(1970, 1, 1)
# Every target stores these instants (MySQL TIMESTAMP: 1970-01-01 00:00:01 to 2038-01-19).
_FIRST_INSTANT_S = 86_400
_LAST_INSTANT_S = 2_147_483_647 - 86_400
_FIRST_DAY, _LAST_DAY = 1, 2_932_896  # 1970-01-02 … 9999-12-31 in days since the epoch
_DOUBLE_NAMES = frozenset({"double precision", "double", "float8"})
_TODAY_DAY = 20_000  # 2024-10-04: where dates start when nothing was fitted


@dataclass(frozen=True)
class ValueSpace:
    """``size`` distinct values of one column, numbered ``0 … size-1`` (``values``)."""

    size: int

    def values(self, keys: Sequence[int]) -> np.ndarray:
        """The values numbered ``keys`` (each in ``[0, size)``), as an object array."""
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class IntegerSpace(ValueSpace):
    """``first, first + 1, …`` in steps of ``10**-scale`` (``scale`` 0: integers)."""

    first: int = 0
    scale: int = 0

    def values(self, keys: Sequence[int]) -> np.ndarray:
        out = np.empty(len(keys), dtype=object)
        if self.scale == 0:
            out[:] = [self.first + int(k) for k in keys]
        else:
            unit = 10**self.scale
            out[:] = [round((self.first + int(k)) / unit, self.scale) for k in keys]
        return out

    def describe(self) -> str:
        unit = 10**self.scale
        return f"numbers from {self.first / unit:g} in steps of {1 / unit:g}"


@dataclass(frozen=True)
class StringSpace(ValueSpace):
    """Strings of exactly ``length`` characters over ``alphabet`` (``size = len(alphabet)**length``)."""

    alphabet: str = _UPPER
    length: int = 1
    capital: bool = False  # the first letter upper case (sentence case); still one value per key

    def values(self, keys: Sequence[int]) -> np.ndarray:
        base = len(self.alphabet)
        out = np.empty(len(keys), dtype=object)
        for i, k in enumerate(keys):
            k = int(k)
            chars = []
            for _ in range(self.length):
                k, r = divmod(k, base)
                chars.append(self.alphabet[r])
            text = "".join(reversed(chars))
            out[i] = text[:1].upper() + text[1:] if self.capital else text
        return out

    def describe(self) -> str:
        return f"{self.length}-character strings over {self.alphabet!r}"


@dataclass(frozen=True)
class BytesSpace(ValueSpace):
    """Byte strings of exactly ``length`` bytes, the key in big-endian order."""

    length: int = 16

    def values(self, keys: Sequence[int]) -> np.ndarray:
        out = np.empty(len(keys), dtype=object)
        out[:] = [int(k).to_bytes(self.length, "big") for k in keys]
        return out

    def describe(self) -> str:
        return f"{self.length}-byte strings"


@dataclass(frozen=True)
class NetworkSpace(ValueSpace):
    """Addresses numbered by the key: IPv4 host addresses in 10.0.0.0/8 onwards (``inet``;
    ``cidr`` as /32 networks, which have no host bits), MAC addresses under one vendor prefix."""

    kind: str = "inet"

    def values(self, keys: Sequence[int]) -> np.ndarray:
        out = np.empty(len(keys), dtype=object)
        out[:] = [self._one(int(k)) for k in keys]
        return out

    def _one(self, k: int) -> str:
        if self.kind in ("macaddr", "macaddr8"):
            width = 3 if self.kind == "macaddr" else 5
            tail = k.to_bytes(width, "big")
            return ":".join(f"{b:02x}" for b in (b"\x08\x00\x2b" + tail))
        n = (10 << 24) + k
        text = ".".join(str((n >> shift) & 255) for shift in (24, 16, 8, 0))
        return f"{text}/32" if self.kind == "cidr" else text

    def describe(self) -> str:
        return "MAC addresses" if self.kind.startswith("mac") else "IPv4 addresses"


@dataclass(frozen=True)
class TemporalSpace(ValueSpace):
    """Instants ``first + k`` in units of ``unit_us`` microseconds since the epoch (or since
    midnight, for times; a length, for intervals)."""

    logical: LogicalType = LogicalType.DATE
    first: int = 0
    unit_us: int = DAY

    def values(self, keys: Sequence[int]) -> np.ndarray:
        us = [(self.first + int(k)) * self.unit_us for k in keys]
        out = np.empty(len(keys), dtype=object)
        if self.logical is LogicalType.DATE:
            out[:] = [_EPOCH + dt.timedelta(days=u // DAY) for u in us]
        elif self.logical is LogicalType.TIMESTAMP:
            out[:] = [dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=u) for u in us]
        elif self.logical is LogicalType.TIMESTAMPTZ:
            out[:] = [dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=u) for u in us]
        elif self.logical is LogicalType.TIME:
            out[:] = [(dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=u)).time() for u in us]
        else:
            out[:] = [dt.timedelta(microseconds=u) for u in us]
        return out

    def describe(self) -> str:
        return f"{self.logical.value} values {self.unit_us // SECOND or self.unit_us}-unit apart"


@dataclass(frozen=True)
class LabelSpace(ValueSpace):
    """A fixed list of values (enum labels, the two booleans)."""

    labels: tuple[object, ...] = ()

    def values(self, keys: Sequence[int]) -> np.ndarray:
        out = np.empty(len(keys), dtype=object)
        out[:] = [self.labels[int(k)] for k in keys]
        return out

    def describe(self) -> str:
        return f"{len(self.labels)} labels"


@dataclass(frozen=True)
class UuidSpace(ValueSpace):
    """Version-4 UUIDs whose 62 low bits are the key and whose high half is a hash of the key
    and ``salt`` (the seed, table and column): reproducible from the row index alone, so a row can
    be found again by its UUID (an UPDATE after a cycle) without keeping it in memory."""

    salt: int = 0
    form: str = "uuid"

    def values(self, keys: Sequence[int]) -> np.ndarray:
        out = np.empty(len(keys), dtype=object)
        for i, k in enumerate(keys):
            # The high half is a hash of the key: UUIDs look random, the low half keeps them distinct.
            high = (_mix64(int(k) ^ self.salt) & ~(0xF << 12)) | (4 << 12)  # version 4
            value = uuid.UUID(int=(high << 64) | (0x2 << 62) | int(k))  # RFC 4122 variant
            text = value.hex if self.form == "hex" else str(value)
            out[i] = value if self.form == "uuid" else text.upper() if self.form == "upper" else text
        return out

    def describe(self) -> str:
        return "version-4 UUIDs numbered by row"


def _mix64(x: int) -> int:
    """SplitMix64's finaliser: 64 well-scattered bits from any integer."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


def value_space(column: Column, model: ColumnModel | None, rows: int, salt: int = 0) -> ValueSpace | None:
    """The space of ``column`` given its fitted ``model`` (None: nothing fitted), sized for
    ``rows`` where the type allows it; None for a type dbsynth has no space for (JSON, arrays,
    geometry, …), whose uniqueness is left to the model and checked after."""
    kind = column.logical
    if kind is LogicalType.UUID:
        form = model.form if isinstance(model, UuidModel) else "uuid"
        return UuidSpace(size=1 << 62, salt=salt, form=form)
    if kind is LogicalType.BOOLEAN:
        return LabelSpace(size=2, labels=(False, True))
    if kind is LogicalType.ENUM and column.enum_labels:
        return LabelSpace(size=len(column.enum_labels), labels=tuple(column.enum_labels))
    if kind in (LogicalType.INTEGER, LogicalType.DECIMAL, LogicalType.FLOAT):
        return _number_space(column, model, rows)
    special = base_type(column.sql_type)
    if special in NETWORK_TYPES:
        # 10.0.0.0 up to 223.255.255.255 stays unicast; 3 or 5 vendor-free bytes of a MAC.
        size = {"macaddr": 256**3, "macaddr8": 256**5}.get(special, (224 - 10) << 24)
        return NetworkSpace(size=size, kind=special)
    if special in SPECIAL_LITERAL_TYPES:
        return None  # ranges, bit strings, geometry …: no space; the model's values and the check
    if kind in (LogicalType.STRING, LogicalType.TEXT):
        return _string_space(column, model, rows)
    if kind in (LogicalType.DATE, LogicalType.TIMESTAMP, LogicalType.TIMESTAMPTZ, LogicalType.TIME):
        return _temporal_space(column, model, rows)
    if kind is LogicalType.BYTES:
        # binary(n) is padded to n bytes: use all n. Otherwise as few as the rows need (>= 8).
        length = column.length or max(8, math.ceil(max(rows, 1).bit_length() / 8))
        return BytesSpace(size=min(256**length, MAX_KEY), length=length)
    return None


def _window(lo: float, hi: float, want_lo: float, span: int) -> tuple[int, int]:
    """The first value and size of a run of ``span`` integers starting near ``want_lo`` inside
    ``[lo, hi]`` (shifted down when it would pass ``hi``; shorter when the range is)."""
    lo_i = math.ceil(lo) if math.isfinite(lo) else -(2**62)
    hi_i = math.floor(hi) if math.isfinite(hi) else 2**62
    total = hi_i - lo_i + 1
    span = max(1, min(span, total, MAX_KEY))
    first = min(max(lo_i, round(want_lo)), hi_i - span + 1)
    return first, span


def _number_space(column: Column, model: ColumnModel | None, rows: int) -> ValueSpace:
    lo, hi = type_bounds(column)
    scale = 0
    if number_kind(column) != "integer":
        scale = column.scale if column.scale is not None else 0
        if isinstance(model, NumericModel) and model.scale is not None and column.scale is None:
            scale = min(model.scale, 6)
    unit = 10**scale
    want_lo, want_span = (1.0, rows)
    if isinstance(model, NumericModel) and not model.empty and model.upper >= model.lower:
        want_lo = model.lower * unit
        want_span = max(rows, int(min((model.upper - model.lower) * unit, 2**62)) + 1)
    if lo >= 0 and want_lo < lo * unit:
        want_lo = lo * unit
    # Integers that floats still count exactly: a float column must not round two keys together
    # (a 4-byte float, MySQL's FLOAT or PostgreSQL's real, only up to 2**24).
    bound = math.inf
    if number_kind(column) == "float":
        bound = 2.0**53 if base_type_name(column.sql_type) in _DOUBLE_NAMES else 2.0**24
    elif scale:
        bound = 2.0**53
    first, size = _window(max(lo * unit, -bound), min(hi * unit, bound), want_lo, want_span)
    return IntegerSpace(size=size, first=first, scale=scale)


def _string_space(column: Column, model: ColumnModel | None, rows: int) -> ValueSpace:
    top = column.length if column.length else None
    length, alphabet, capital = _TEXT_LENGTH, _UPPER, False
    if isinstance(model, FreeTextModel):
        q = model.char_quantiles
        length = round(q[len(q) // 2]) or 1
        alphabet = _UPPER if model.case == "upper" else _LOWER
        capital = model.case == "sentence"
    elif isinstance(model, CategoricalModel):
        words = [v for v in model.values if isinstance(v, str) and v]
        # Nothing kept (unique values are all rarer than k): the model's own unseen words.
        length, alphabet = model.other_length, _LOWER
        if words:
            length = max(1, round(float(np.median([len(w) for w in words]))))
            upper = any(c.isupper() for w in words for c in w)
            alphabet = _DIGITS if all(w.isdigit() for w in words) else _UPPER if upper else _LOWER
    if top is not None:
        length = min(length, top)
    length = max(length, 1)
    # Longer first (the type allows it), then a wider alphabet: the source's look where it fits.
    while len(alphabet) ** length < rows and (top is None or length < top):
        length += 1
    if len(alphabet) ** length < rows:
        alphabet = (_UPPER if alphabet != _LOWER else _LOWER) + _DIGITS
    size = min(len(alphabet) ** length, MAX_KEY)
    return StringSpace(size=size, alphabet=alphabet, length=length, capital=capital and alphabet == _LOWER)


def _temporal_space(column: Column, model: ColumnModel | None, rows: int) -> ValueSpace:
    kind = column.logical
    if kind is LogicalType.TIME:
        unit = SECOND if not isinstance(model, TemporalModel) else model.resolution_us
        first, size = _window(0, DAY // unit - 1, 0, max(rows, 1))
        return TemporalSpace(size=size, logical=kind, first=first, unit_us=unit)
    unit = DAY if kind is LogicalType.DATE else SECOND
    want = _TODAY_DAY * (DAY // unit)
    span = rows
    if isinstance(model, TemporalModel) and not model.epoch.empty:
        unit = max(model.resolution_us, DAY if kind is LogicalType.DATE else 1)
        if unit > DAY:
            unit = DAY
        factor = model.resolution_us / unit
        want = round(model.epoch.lower * factor)
        span = max(rows, round((model.epoch.upper - model.epoch.lower) * factor) + 1)
    if kind is LogicalType.DATE:
        lo, hi = _FIRST_DAY, _LAST_DAY
    else:
        lo, hi = _FIRST_INSTANT_S * SECOND // unit, _LAST_INSTANT_S * SECOND // unit
    first, size = _window(lo, hi, want, span)
    return TemporalSpace(size=size, logical=kind, first=first, unit_us=unit)
