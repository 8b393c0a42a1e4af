"""Column models for SQL types with an input syntax of their own: network addresses, ranges,
points, bit strings and money. :func:`choose_special` is what :mod:`dbsynth.fitting.choose`
asks before the logical type (``inet`` is a STRING there, a range an OTHER).

* **network** (``inet``, ``cidr``, ``macaddr``, ``macaddr8``): random addresses with the source's
  mix of families and prefix lengths. The IPv4 /16 networks and the MAC vendor prefixes (first
  three bytes) seen at least ``min_count`` times are kept with their shares, so private ranges
  stay private; the rest is random. ``cidr`` values have zero host bits. A unique column gets
  distinct addresses by construction (``from_index``).
* **range** (``int4range`` … ``tstzrange``): the lower bound and the width modelled as numbers
  (days for dates, seconds for timestamps), the shares of empty ranges and of infinite bounds,
  and the source's bounds style; ``lower <= upper`` always.
* **point** (PostgreSQL ``point``; MySQL/MariaDB ``point`` and ``geometry`` holding points;
  PostGIS points): x and y modelled as numbers, independently. Written as ``(x,y)``, as
  ``SRID=n;POINT(x y)`` for PostGIS, and for a MySQL source as :class:`~dbsynth.columns.sqltypes.Wkt`.
* **bits** (``bit(n)``, ``bit varying(n)``): random bit strings, the declared length or the
  source's lengths, the source's share of ones.
* **money**: the amounts as a decimal model, written as plain numbers (``12.34``), which every
  ``lc_monetary`` accepts as input.

Privacy: only aggregates (shares, quantile grids) and values seen at least ``min_count`` times.
"""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import re
import struct
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from dbsynth import invariants as inv
from dbsynth.columns.base import ColumnModel, FitContext, clip_unit, register
from dbsynth.columns.numeric import PROB_DECIMALS, Number, NumericModel, fit_counts
from dbsynth.columns.permute import permute
from dbsynth.columns.simple import ConstantModel
from dbsynth.columns.sqltypes import BIT_TYPES, NETWORK_TYPES, RANGE_SUBTYPES, SPATIAL_TYPES, Wkt, base_type
from dbsynth.schema import Column, LogicalType


def choose_special(column: Column, values: pd.Series, ctx: FitContext) -> ColumnModel | None:
    """The model of a column whose SQL type has a syntax of its own (module doc), fitted on its
    non-null ``values``; None for any other column (or values no special model can read)."""
    base = base_type(column.sql_type)
    if base in NETWORK_TYPES and column.logical is LogicalType.STRING:
        return NetworkModel.fit(values, column, ctx)
    if column.logical is not LogicalType.OTHER:
        return None
    if base in RANGE_SUBTYPES:
        return RangeModel.fit(values, column, ctx)
    if base in SPATIAL_TYPES or base == "geography":
        points = PointModel.fit_points(values, column, ctx) if base in _POINT_COLUMNS else None
        if points is not None:
            return points
        # Lines and polygons: NULL, and a NOT NULL column is refused before a row is written.
        return ConstantModel(column.logical, None, f"{base} values: dbsynth generates points only")
    if base in BIT_TYPES:
        return BitsModel.fit(values, column, ctx)
    if base == "money":
        return MoneyModel.fit(values, column, ctx)
    return None


_POINT_COLUMNS = frozenset({"point", "geometry", "geography"})


def _shares(counter: Counter[Any], total: int, min_count: int) -> tuple[tuple[Any, ...], tuple[float, ...]]:
    kept = [(v, c) for v, c in counter.most_common() if c >= min_count]
    return tuple(v for v, _ in kept), tuple(round(c / total, PROB_DECIMALS) for _, c in kept)


def _pick(choices: tuple[Any, ...], probs: tuple[float, ...], n: int, rng: np.random.Generator) -> list[Any]:
    """``n`` draws from ``choices`` with ``probs``; None where the remaining mass falls."""
    cum = np.cumsum(np.asarray(probs, dtype=np.float64))
    at = np.searchsorted(cum, rng.random(n), side="right")
    return [choices[i] if i < len(choices) else None for i in at.tolist()]


# -- network addresses --------------------------------------------------------------------------

NetworkType = Literal["inet", "cidr", "macaddr", "macaddr8"]


@register("network")
@dataclass(frozen=True)
class NetworkModel(ColumnModel):
    """Addresses of one network type (module doc). ``shapes`` are ``"4/24"``-like family and
    prefix length pairs with their shares; ``leads`` the kept /16 networks (``"10.0"``) or
    vendor prefixes (``"08:00:2b"``), ``lead_probs`` their shares among all values."""

    type: NetworkType = "inet"
    shapes: tuple[str, ...] = ("4/32",)
    shape_probs: tuple[float, ...] = (1.0,)
    leads: tuple[str, ...] = ()
    lead_probs: tuple[float, ...] = ()

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> NetworkModel:
        kind: NetworkType = base_type(column.sql_type)  # type: ignore[assignment]
        texts = [str(v).strip().lower() for v in values.tolist()]
        if kind in ("macaddr", "macaddr8"):
            leads = Counter(":".join(re.split("[:.-]", t)[:3]) for t in texts if _is_mac(t))
            kept, probs = _shares(leads, max(len(texts), 1), ctx.min_count)
            return cls(kind, (), (), kept, probs)
        shapes: Counter[str] = Counter()
        leads = Counter()
        for t in texts:
            try:
                iface = ipaddress.ip_interface(t)
            except ValueError:
                continue
            shapes[f"{iface.version}/{iface.network.prefixlen}"] += 1
            if iface.version == 4:
                leads[".".join(str(iface.ip).split(".")[:2])] += 1
        total = sum(shapes.values())
        if not total:
            return cls(kind, ("4/32",) if kind == "inet" else ("4/24",), (1.0,))
        shape_list = tuple(s for s, _ in shapes.most_common())
        shape_probs = tuple(round(shapes[s] / total, PROB_DECIMALS) for s in shape_list)
        kept, probs = _shares(leads, total, ctx.min_count)
        return cls(kind, shape_list, shape_probs, kept, probs)

    def check(self) -> None:
        inv.require(len(self.shapes) == len(self.shape_probs), "shape_probs", "one share per shape")
        inv.require(len(self.leads) == len(self.lead_probs), "lead_probs", "one share per lead")
        for s in self.shapes:
            inv.require(re.fullmatch(r"[46]/\d{1,3}", s) is not None, "shapes", f"'{s}' is not family/prefix")

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        return clip_unit(rng.random(len(values)))

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = np.asarray(u).size
        words = [int.from_bytes(rng.bytes(16), "big") for _ in range(n)]
        shapes = _pick(self.shapes, self.shape_probs, n, rng) if self.shapes else [None] * n
        leads = _pick(self.leads, self.lead_probs, n, rng)
        out = np.empty(n, dtype=object)
        out[:] = [self._address(w, s, lead) for w, s, lead in zip(words, shapes, leads, strict=True)]
        return out

    def from_index(self, index: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Distinct addresses for distinct row indexes, all of the most common family and prefix:
        the permuted index fills the bits that tell them apart (the network bits of a ``cidr``,
        the address of an ``inet``, the bytes of a MAC address)."""
        shape = self.shapes[0] if self.shapes else None
        family, plen = (shape or "4/32").split("/")
        bits = 32 if family == "4" else 128
        if self.type in ("macaddr", "macaddr8"):
            space = 2**48 if self.type == "macaddr" else 2**64
        else:
            space = 2 ** min(int(plen) if self.type == "cidr" else bits, 64)
        keys = permute(np.asarray(index), space, f"{self.type} values")
        out = np.empty(len(keys), dtype=object)
        for i, key in enumerate(keys):
            word = key << (bits - int(plen)) if self.type == "cidr" else key
            if family == "6" and self.type == "inet":
                word |= 0x20010DB8 << 96  # the documentation prefix, 2001:db8::/32
            out[i] = self._address(word, shape, None)
        return out

    def _address(self, word: int, shape: str | None, lead: str | None) -> str:
        if self.type in ("macaddr", "macaddr8"):
            octets = list((word % 2**64).to_bytes(8, "big")[-(6 if self.type == "macaddr" else 8) :])
            if lead is not None:
                octets[:3] = [int(x, 16) for x in lead.split(":")]
            return ":".join(f"{b:02x}" for b in octets)
        family, prefix = (shape or "4/32").split("/")
        bits = 32 if family == "4" else 128
        word %= 1 << bits
        if family == "4" and lead is not None:
            a, b = (int(x) for x in lead.split("."))
            word = (a << 24) | (b << 16) | (word & 0xFFFF)
        plen = min(int(prefix), bits)
        if self.type == "cidr":
            word &= ((1 << bits) - 1) ^ ((1 << (bits - plen)) - 1)
        ip = ipaddress.IPv4Address(word) if family == "4" else ipaddress.IPv6Address(word)
        return str(ip) if (plen == bits and self.type == "inet") else f"{ip}/{plen}"

    def describe(self) -> str:
        shapes = ", ".join(
            f"IPv{s.replace('/', ' /')} {p:.0%}" for s, p in zip(self.shapes, self.shape_probs, strict=True)
        )
        leads = f"; kept prefixes {', '.join(self.leads[:4])}" if self.leads else ""
        return f"{self.type}, random addresses" + (f": {shapes}" if self.shapes else "") + leads


def _is_mac(text: str) -> bool:
    return re.fullmatch(r"[0-9a-f]{2}([:.-]?[0-9a-f]{2}){5,7}", text) is not None


# -- ranges ------------------------------------------------------------------------------------

Subtype = Literal["int", "num", "date", "ts", "tstz"]
_EPOCH_DAY = dt.date(1970, 1, 1)
_EPOCH = dt.datetime(1970, 1, 1)
_RANGE_TEXT = re.compile(r'\s*([\[(])\s*("(?:[^"]|"")*"|[^,]*?)\s*,\s*("(?:[^"]|"")*"|[^)\]]*?)\s*([\])])\s*')


@dataclass(frozen=True)
class RangeValue:
    empty: bool
    lower: Any
    upper: Any
    bounds: str


def parse_range(value: Any) -> RangeValue | None:
    if hasattr(value, "isempty"):  # psycopg's Range
        if value.isempty:
            return RangeValue(True, None, None, "[)")
        return RangeValue(False, value.lower, value.upper, value.bounds or "[)")
    text = str(value).strip()
    if text.lower() == "empty":
        return RangeValue(True, None, None, "[)")
    m = _RANGE_TEXT.fullmatch(text)
    if m is None:
        return None
    lo, hi = (x.strip('"') or None for x in (m[2], m[3]))
    return RangeValue(False, lo, hi, m[1] + m[4])


def range_number(value: Any, subtype: Subtype) -> float | None:
    if value is None:
        return None
    try:
        if subtype in ("int", "num"):
            return float(decimal.Decimal(str(value)))
        if subtype == "date":
            day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
            return float((day - _EPOCH_DAY).days)
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        return (stamp.to_pydatetime() - _EPOCH).total_seconds()
    except (ValueError, TypeError, decimal.InvalidOperation, ArithmeticError):
        return None


def _narrowest(subtype: Subtype, scale: int) -> float:
    """The smallest width of a non-empty range with an open end, in the subtype's units."""
    return 10.0**-scale if subtype == "num" else 1.0


def range_bound_text(x: float, subtype: Subtype, scale: int = 0) -> str:
    """A range bound in the subtype's units (days for dates, seconds for timestamps) as range
    literal text."""
    if subtype == "int":
        return str(round(x))
    if subtype == "num":
        return f"{x:.{scale}f}"
    if subtype == "date":
        return (_EPOCH_DAY + dt.timedelta(days=round(x))).isoformat()
    stamp = _EPOCH + dt.timedelta(microseconds=round(x * 1e6))
    return f'"{stamp.isoformat(sep=" ")}{"+00" if subtype == "tstz" else ""}"'


@register("range")
@dataclass(frozen=True)
class RangeModel(ColumnModel):
    """Ranges of one subtype (module doc): ``lower`` and ``width`` are number models in the
    subtype's units; ``scale`` the decimals of a numrange's bounds."""

    subtype: Subtype = "int"
    lower: NumericModel | None = None
    width: NumericModel | None = None
    empty: float = 0.0
    lower_inf: float = 0.0
    upper_inf: float = 0.0
    bounds: str = "[)"
    scale: int = 0

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> RangeModel:
        subtype: Subtype = RANGE_SUBTYPES[base_type(column.sql_type)]  # type: ignore[assignment]
        parsed = [b for b in (parse_range(v) for v in values.tolist()) if b is not None]
        full = [b for b in parsed if not b.empty]
        n = max(len(parsed), 1)
        lows = [range_number(b.lower, subtype) for b in full]
        highs = [range_number(b.upper, subtype) for b in full]
        widths = [h - lo for lo, h in zip(lows, highs, strict=True) if lo is not None and h is not None]
        number: Number = "integer" if subtype in ("int", "date") else "float"
        scale = 0
        if subtype == "num":
            digits = [
                len(str(x).split(".")[1]) if "." in str(x) else 0
                for b in full
                for x in (b.lower, b.upper)
                if x is not None
            ]
            scale = min(max(digits, default=0), 6)
        styles = Counter(b.bounds for b in full)
        return cls(
            subtype=subtype,
            lower=NumericModel.from_array(
                np.array([x for x in lows if x is not None]), number=number, ctx=ctx, shape=False
            ),
            width=NumericModel.from_array(
                np.array(widths), number=number, bounds=(0.0, np.inf), ctx=ctx, shape=False
            ),
            empty=round((len(parsed) - len(full)) / n, PROB_DECIMALS),
            lower_inf=round(sum(x is None for x in lows) / max(len(full), 1), PROB_DECIMALS),
            upper_inf=round(sum(x is None for x in highs) / max(len(full), 1), PROB_DECIMALS),
            bounds=styles.most_common(1)[0][0] if styles else "[)",
            scale=scale,
        )

    def check(self) -> None:
        for name in ("empty", "lower_inf", "upper_inf"):
            inv.share(name, getattr(self, name))
        inv.require(
            self.bounds in ("[)", "[]", "(]", "()"), "bounds", f"'{self.bounds}' is not a bounds style"
        )
        inv.between("scale", self.scale, 0, 6)

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        return clip_unit(rng.random(len(values)))

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = np.asarray(u).size
        lower_model = self.lower or NumericModel()
        width_model = self.width or NumericModel()
        lows = np.asarray(
            lower_model.from_uniform(clip_unit(np.asarray(u, dtype=np.float64)), rng), dtype=np.float64
        )
        widths = np.maximum(np.asarray(width_model.from_uniform(rng.random(n), rng), dtype=np.float64), 0.0)
        if self.bounds != "[]":
            # A width of 0 with an open end is an empty range ('[0,0)' reads as 'empty'), which
            # only the ``empty`` share may give (a width model that kept nothing says 0).
            widths = np.maximum(widths, _narrowest(self.subtype, self.scale))
        empty = rng.random(n) < self.empty
        no_low = rng.random(n) < self.lower_inf
        no_high = rng.random(n) < self.upper_inf
        out = np.empty(n, dtype=object)
        for i in range(n):
            if empty[i]:
                out[i] = "empty"
                continue
            lo, hi = self._text(lows[i]), self._text(lows[i] + widths[i])
            out[i] = f"{self.bounds[0]}{'' if no_low[i] else lo},{'' if no_high[i] else hi}{self.bounds[1]}"
        return out

    def _text(self, x: float) -> str:
        return range_bound_text(x, self.subtype, self.scale)

    def describe(self) -> str:
        parts = [f"{self.subtype} ranges {self.bounds}"]
        if self.empty:
            parts.append(f"{self.empty:.0%} empty")
        if self.lower is not None:
            parts.append(f"lower: {self.lower.describe()}")
        return ", ".join(parts)


# -- points ------------------------------------------------------------------------------------

PointForm = Literal["pg", "postgis", "mysql"]
_PG_POINT = re.compile(r"\s*\(\s*([^,]+?)\s*,\s*([^)]+?)\s*\)\s*")


def _parse_point(value: Any) -> tuple[float, float, int] | None:
    """``(x, y, srid)`` of a PostgreSQL point text, a MySQL internal geometry (bytes) or a PostGIS
    EWKB (hex text); None for anything else, other geometries included."""
    if isinstance(value, str):
        m = _PG_POINT.fullmatch(value)
        if m is not None:
            try:
                return float(m[1]), float(m[2]), 0
            except ValueError:
                return None
        try:
            data = bytes.fromhex(value)
        except ValueError:
            return None
        return _ewkb_point(data)
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        if len(data) < 25:
            return None
        got = _ewkb_point(data[4:])
        return None if got is None else (got[0], got[1], struct.unpack("<I", data[:4])[0])
    return None


def _ewkb_point(data: bytes) -> tuple[float, float, int] | None:
    if len(data) < 21 or data[0] not in (0, 1):
        return None
    order = "<" if data[0] == 1 else ">"
    (kind,) = struct.unpack(order + "I", data[1:5])
    srid, at = 0, 5
    if kind & 0x20000000:  # PostGIS: an SRID follows the type
        (srid,) = struct.unpack(order + "I", data[5:9])
        at = 9
    if kind & 0xFFFF != 1 or len(data) < at + 16:
        return None
    x, y = struct.unpack(order + "dd", data[at : at + 16])
    return x, y, srid


@register("point")
@dataclass(frozen=True)
class PointModel(ColumnModel):
    """Points (module doc): ``x`` and ``y`` number models, the SRID most values carry, and the
    form they are written in."""

    form: PointForm = "pg"
    x: NumericModel | None = None
    y: NumericModel | None = None
    srid: int = 0

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> PointModel:
        model = cls.fit_points(values, column, ctx)
        return model if model is not None else cls(form=_form(column, ctx))

    @classmethod
    def fit_points(cls, values: pd.Series, column: Column, ctx: FitContext) -> PointModel | None:
        """The model, or None when no value is a point (a column of polygons)."""
        points = [p for p in (_parse_point(v) for v in values.tolist()) if p is not None]
        if not points:
            return None
        xs = np.array([p[0] for p in points])
        ys = np.array([p[1] for p in points])
        srids = Counter(p[2] for p in points)
        return cls(
            form=_form(column, ctx),
            x=NumericModel.from_array(xs, number="float", ctx=ctx, shape=False),
            y=NumericModel.from_array(ys, number="float", ctx=ctx, shape=False),
            srid=srids.most_common(1)[0][0],
        )

    def check(self) -> None:
        inv.between("srid", self.srid, 0, 2**32 - 1)

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        return clip_unit(rng.random(len(values)))

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = np.asarray(u).size
        xs = (self.x or NumericModel()).from_uniform(clip_unit(np.asarray(u, dtype=np.float64)), rng)
        ys = (self.y or NumericModel()).from_uniform(rng.random(n), rng)
        out = np.empty(n, dtype=object)
        for i, (x, y) in enumerate(zip(np.asarray(xs).tolist(), np.asarray(ys).tolist(), strict=True)):
            if self.form == "pg":
                out[i] = f"({x!r},{y!r})"
            elif self.form == "postgis":
                out[i] = f"SRID={self.srid};POINT({x!r} {y!r})" if self.srid else f"POINT({x!r} {y!r})"
            else:
                out[i] = Wkt(f"POINT({x!r} {y!r})", self.srid)
        return out

    def describe(self) -> str:
        where = f", SRID {self.srid}" if self.srid else ""
        return f"points ({self.form}{where}), x: {(self.x or NumericModel()).describe()}"


def _form(column: Column, ctx: FitContext) -> PointForm:
    if ctx.dialect == "mysql":
        return "mysql"
    return "pg" if base_type(column.sql_type) == "point" else "postgis"


# -- bit strings and money ----------------------------------------------------------------------


@register("bits")
@dataclass(frozen=True)
class BitsModel(ColumnModel):
    """Bit strings: ``fixed`` bits each (``bit(n)``), else lengths from ``length``; each bit is
    1 with probability ``ones``."""

    fixed: int | None = None
    length: NumericModel | None = None
    ones: float = 0.5

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> BitsModel:
        texts = [str(v) for v in values.tolist() if re.fullmatch("[01]*", str(v))]
        bits = "".join(texts)
        ones = round(bits.count("1") / len(bits), PROB_DECIMALS) if bits else 0.5
        if base_type(column.sql_type) == "bit":
            return cls(fixed=column.length or 1, ones=ones)
        lengths = np.array([len(t) for t in texts], dtype=np.float64)
        return cls(length=fit_counts(lengths, ctx, float(column.length or 2**20)), ones=ones)

    def check(self) -> None:
        inv.share("ones", self.ones)
        if self.fixed is not None:
            inv.between("fixed", self.fixed, 1, 83886080)

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        return clip_unit(rng.random(len(values)))

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = np.asarray(u).size
        if self.fixed is not None:
            lengths = np.full(n, self.fixed, dtype=np.int64)
        else:
            model = self.length or NumericModel(number="integer")
            lengths = np.maximum(
                np.asarray(model.from_uniform(clip_unit(np.asarray(u, dtype=np.float64)), rng)), 0
            )
            lengths = lengths.astype(np.int64)
        flags = rng.random(int(lengths.sum())) < self.ones
        text = "".join("1" if f else "0" for f in flags.tolist())
        ends = np.cumsum(lengths).tolist()
        out = np.empty(n, dtype=object)
        out[:] = [text[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
        return out

    def describe(self) -> str:
        size = f"{self.fixed} bits" if self.fixed is not None else "varying length"
        return f"bit strings, {size}, {self.ones:.0%} ones"


_AMOUNT = re.compile(r"[^0-9.\-]")


def _amount(value: Any) -> float:
    text = str(value).strip()
    negative = text.startswith(("-", "(")) or "-" in text
    try:
        number = float(_AMOUNT.sub("", text.replace(",", "")).replace("-", "") or "nan")
    except ValueError:
        return float("nan")
    return -number if negative else number


@register("money")
@dataclass(frozen=True)
class MoneyModel(ColumnModel):
    """Amounts (a decimal model of two places), written as plain numbers."""

    amount: NumericModel

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> MoneyModel:
        x = np.array([_amount(v) for v in values.tolist()], dtype=np.float64)
        return cls(NumericModel.from_array(x, number="decimal", scale=2, ctx=ctx))

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        return self.amount.to_uniform(pd.Series([_amount(v) for v in values.tolist()]), rng)

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        amounts = np.asarray(self.amount.from_uniform(u, rng), dtype=np.float64)
        out = np.empty(amounts.size, dtype=object)
        out[:] = [f"{a:.2f}" for a in amounts.tolist()]
        return out

    def describe(self) -> str:
        return f"money, {self.amount.describe()}"
