"""The value generators of ``dbsynth.yaml``: ``choice``, ``constant``, ``range`` and ``sequence``.

``choice`` and ``range`` are true inverse CDFs (``from_uniform(u)`` is monotone in ``u``), so
they behave like fitted models wherever the engine hands them a uniform. ``sequence`` numbers
rows (``start + step × row index``), so it is unique by construction and needs the engine to pass
row indexes (``by_index``).
"""

from __future__ import annotations

import datetime as dt
import math
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

from dbsynth.columns.base import FitContext, clip_unit
from dbsynth.columns.generators.base import (
    DATE_TYPES,
    NUMBER_TYPES,
    SCALAR_TYPES,
    TEXT_TYPES,
    GeneratorModel,
    Param,
    ParamProblems,
    Problem,
    Scalar,
    column_value,
    describe_type,
    filled,
    python_value,
    register_generator,
)
from dbsynth.columns.permute import permute
from dbsynth.columns.sqltypes import NETWORK_TYPES, SPATIAL_TYPES, Wkt, base_type, literal_problem, split_srid
from dbsynth.errors import GenerationError
from dbsynth.schema import Column, LogicalType, Table


def _not_for(column: Column, name: str, what: str) -> ParamProblems:
    return ParamProblems([(None, f"generator {name} needs {what} column; {describe_type(column)}")])


# -- choice -----------------------------------------------------------------------------------


@register_generator("choice")
@dataclass(frozen=True)
class ChoiceGenerator(GeneratorModel):
    """One of ``values`` per row, value ``i`` with probability ``weights[i]`` (weights sum to 1).

    ``from_uniform`` walks the cumulative weights in declaration order, so ``u`` picks the value
    whose probability mass holds it: a real inverse CDF.
    """

    summary = "one of a list of values, optionally weighted: values: {new: 3, paid: 5} or [a, b]"
    params = (Param("values", ("mapping", "list"), required=True, doc="values, or value: weight pairs"),)

    logical: LogicalType
    values: tuple[Scalar, ...]
    weights: tuple[float, ...]

    @classmethod
    def check_params(cls, params: Mapping[str, Any], ctx: FitContext) -> list[Problem]:
        values = params["values"]
        if not values:
            return [("values", "values: give at least one value")]
        if isinstance(values, dict):
            for value, weight in values.items():
                if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight >= 0:
                    return [
                        ("values", f"values: the weight of {value!r} must be a number >= 0, got {weight!r}")
                    ]
            if not sum(values.values()) > 0:
                return [("values", "values: the weights add up to 0")]
        return []

    @classmethod
    def for_column(
        cls, params: Mapping[str, Any], column: Column, ctx: FitContext, table: Table
    ) -> ChoiceGenerator:
        if column.logical not in SCALAR_TYPES:
            raise _not_for(column, "choice", "a number, text, boolean, date or enum")
        raw = params["values"]
        pairs = list(raw.items()) if isinstance(raw, dict) else [(v, 1) for v in raw]
        values: list[Scalar] = []
        weights: list[float] = []
        problems: list[Problem] = []
        for value, weight in pairs:
            try:
                v = column_value(value, column)
            except ValueError as exc:
                problems.append(("values", f"values: {exc}"))
                continue
            if v in values:
                problems.append(("values", f"values: {v!r} is given twice"))
                continue
            values.append(v)
            weights.append(float(weight))
        if problems:
            raise ParamProblems(problems)
        total = sum(weights)
        return cls(column.logical, tuple(values), tuple(round(w / total, 12) for w in weights))

    def _cumulative(self) -> np.ndarray:
        return np.cumsum(np.asarray(self.weights, dtype=np.float64))

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> Any:
        cum = self._cumulative()
        which = np.minimum(np.searchsorted(cum, clip_unit(u), side="right"), len(self.values) - 1)
        pool = [python_value(v, self.logical) for v in self.values]
        if self.logical in (LogicalType.TIMESTAMP, LogicalType.TIMESTAMPTZ):
            return pd.Series([pool[i] for i in which])
        out = np.empty(len(which), dtype=object)
        out[:] = [pool[i] for i in which]
        return out if self.logical not in NUMBER_TYPES | {LogicalType.BOOLEAN} else np.array(out.tolist())

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        upper = self._cumulative()
        lower = np.concatenate([[0.0], upper[:-1]])
        index = {python_value(v, self.logical): i for i, v in enumerate(self.values)}
        noise = rng.random(len(values))
        u = noise.copy()  # a value not in the list: anywhere
        for row, value in enumerate(values.tolist()):
            i = index.get(value)
            if i is not None:
                u[row] = lower[i] + noise[row] * (upper[i] - lower[i])
        return clip_unit(u)

    def describe(self) -> str:
        shown = ", ".join(f"{v!r} {w:.0%}" for v, w in list(zip(self.values, self.weights, strict=True))[:6])
        more = f" and {len(self.values) - 6} more" if len(self.values) > 6 else ""
        return f"choice (config): {shown}{more}"


# -- constant ---------------------------------------------------------------------------------


@register_generator("constant")
@dataclass(frozen=True)
class ConstantGenerator(GeneratorModel):
    """The same ``value`` in every row (stored as for :func:`column_value`). A column of a type
    with a syntax of its own (``point``, a range, ``inet``, a MySQL geometry in well-known text,
    optionally ``SRID=n;``) takes the value as text, checked against that syntax when dbsynth
    knows it; ``geometry`` marks a MySQL geometry (:class:`~dbsynth.columns.sqltypes.Wkt`)."""

    summary = "the same value in every row: value: DE"
    params = (Param("value", ("scalar",), required=True, doc="the value"),)

    logical: LogicalType
    value: Scalar
    geometry: bool = False

    @classmethod
    def check_params(cls, params: Mapping[str, Any], ctx: FitContext) -> list[Problem]:
        if params["value"] is None:
            return [("value", "value: null is not a value; give the column null_rate: 1 instead")]
        return []

    @classmethod
    def for_column(
        cls, params: Mapping[str, Any], column: Column, ctx: FitContext, table: Table
    ) -> ConstantGenerator:
        base = base_type(column.sql_type)
        if column.logical is LogicalType.OTHER or base in NETWORK_TYPES:
            value = params["value"]
            if isinstance(value, bool | list | dict) or not isinstance(value, str | int | float):
                raise ParamProblems([("value", f"value: {value!r} is not text ({describe_type(column)})")])
            problem = literal_problem(column, str(value), ctx.dialect)
            if problem is not None:
                raise ParamProblems([("value", f"value: {problem}")])
            return cls(column.logical, str(value), ctx.dialect == "mysql" and base in SPATIAL_TYPES)
        if column.logical not in SCALAR_TYPES:
            raise _not_for(column, "constant", "a number, text, boolean, date or enum")
        try:
            return cls(column.logical, column_value(params["value"], column))
        except ValueError as exc:
            raise ParamProblems([("value", f"value: {exc}")]) from None

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> Any:
        if self.geometry:
            return filled(Wkt(*split_srid(str(self.value))), np.asarray(u).size)
        return filled(python_value(self.value, self.logical), np.asarray(u).size)

    def describe(self) -> str:
        return f"constant {self.value!r} (config)"


# -- range ------------------------------------------------------------------------------------

Distribution = Literal["uniform", "normal", "lognormal"]
DISTRIBUTIONS: tuple[Distribution, ...] = ("uniform", "normal", "lognormal")
Unit = Literal["number", "day", "microsecond"]
_EPOCH = dt.datetime(1970, 1, 1)


@register_generator("range")
@dataclass(frozen=True)
class RangeGenerator(GeneratorModel):
    """Numbers (or dates) between ``low`` and ``high`` inclusive.

    ``uniform``; ``normal`` with ``mean``/``sd`` truncated to the range; ``lognormal``: ``low``
    plus a log-normal variable whose mean is ``mean − low`` and standard deviation ``sd``,
    truncated at ``high`` (a right-skewed amount: order totals, durations). Truncation is exact,
    through the CDF, not by rejection. Integer columns get integers (rounded, inside the range);
    ``decimals`` rounds the others. Dates and timestamps are uniform between two ISO dates (held
    as days, or microseconds, since 1970).

    Unique values (``unique: true``) exist for uniform integers only: ``from_index`` is a fixed
    permutation of the range, so ``high − low + 1`` rows at most.
    """

    summary = "numbers or dates in [min, max]: distribution uniform (default), normal or lognormal"
    params = (
        Param("min", ("number", "scalar"), required=True, doc="smallest value (a number or an ISO date)"),
        Param("max", ("number", "scalar"), required=True, doc="largest value (a number or an ISO date)"),
        Param("distribution", ("string",), doc="uniform (default), normal or lognormal"),
        Param("mean", ("number",), doc="normal/lognormal: the mean (default: the middle of the range)"),
        Param("sd", ("number",), doc="normal/lognormal: the standard deviation (default: range / 6)"),
        Param("decimals", ("integer",), doc="decimal places to round to (decimal and float columns)"),
    )
    unique_capable = True

    logical: LogicalType
    low: float
    high: float
    distribution: Distribution = "uniform"
    mean: float | None = None
    sd: float | None = None
    integer: bool = False
    decimals: int | None = None
    unit: Unit = "number"

    @classmethod
    def check_params(cls, params: Mapping[str, Any], ctx: FitContext) -> list[Problem]:
        problems: list[Problem] = []
        dist = params.get("distribution", "uniform")
        if dist not in DISTRIBUTIONS:
            from dbsynth.errors import did_you_mean

            problems.append(
                (
                    "distribution",
                    f"distribution must be one of {', '.join(DISTRIBUTIONS)}, got '{dist}'."
                    + did_you_mean(str(dist), DISTRIBUTIONS),
                )
            )
        low, high = params["min"], params["max"]
        if _is_number(low) and _is_number(high) and low > high:
            problems.append(("max", f"max ({high}) is below min ({low})"))
        sd = params.get("sd")
        if sd is not None and not sd > 0:
            problems.append(("sd", f"sd must be above 0, got {sd}"))
        decimals = params.get("decimals")
        if decimals is not None and decimals < 0:
            problems.append(("decimals", f"decimals must be 0 or more, got {decimals}"))
        if dist == "uniform":
            for key in ("mean", "sd"):
                if key in params:
                    problems.append((key, f"{key} applies to the normal and lognormal distributions only"))
        return problems

    @classmethod
    def for_column(
        cls, params: Mapping[str, Any], column: Column, ctx: FitContext, table: Table
    ) -> RangeGenerator:
        dist: Distribution = params.get("distribution", "uniform")
        if column.logical in DATE_TYPES:
            return cls._dates(params, column, dist, ctx)
        if column.logical not in NUMBER_TYPES:
            raise _not_for(column, "range", "a numeric or date")
        problems: list[Problem] = []
        for key in ("min", "max"):
            if not _is_number(params[key]):
                problems.append((key, f"{key}: {params[key]!r} is not a number ({describe_type(column)})"))
        if problems:
            raise ParamProblems(problems)
        low, high = float(params["min"]), float(params["max"])
        integer = column.logical is LogicalType.INTEGER
        if integer and math.ceil(low) > math.floor(high):
            raise ParamProblems([("max", f"no integer lies between {params['min']} and {params['max']}")])
        mean = params.get("mean")
        sd = params.get("sd")
        if dist == "lognormal":
            mean = low + (high - low) / 4 if mean is None else mean
            if not mean > low:
                raise ParamProblems([("mean", f"a lognormal mean must be above min ({params['min']})")])
        if dist != "uniform":
            mean = (low + high) / 2 if mean is None else float(mean)
            sd = (high - low) / 6 if sd is None else float(sd)
            if sd <= 0:
                raise ParamProblems([("max", "a normal or lognormal range needs max above min")])
        if ctx.unique and (not integer or dist != "uniform"):
            raise ParamProblems(
                [(None, "range makes unique values only for an integer column with distribution uniform")]
            )
        decimals = params.get("decimals")
        if decimals is None and column.logical is LogicalType.DECIMAL:
            decimals = column.scale
        return cls(column.logical, low, high, dist, mean, sd, integer, None if integer else decimals)

    @classmethod
    def _dates(
        cls, params: Mapping[str, Any], column: Column, dist: Distribution, ctx: FitContext
    ) -> RangeGenerator:
        problems: list[Problem] = []
        ends: list[float] = []
        unit: Unit = "day" if column.logical is LogicalType.DATE else "microsecond"
        for key in ("min", "max"):
            try:
                ends.append(_epoch(python_value(column_value(params[key], column), column.logical), unit))
            except ValueError as exc:
                problems.append((key, f"{key}: {exc}"))
        if dist != "uniform":
            problems.append(("distribution", f"a date range is uniform; {describe_type(column)}"))
        if ctx.unique:
            problems.append((None, "range makes unique values only for an integer column"))
        if problems:
            raise ParamProblems(problems)
        if ends[0] > ends[1]:
            raise ParamProblems([("max", f"max ({params['max']}) is before min ({params['min']})")])
        return cls(column.logical, ends[0], ends[1], "uniform", integer=True, unit=unit)

    def _numbers(self, u: np.ndarray) -> np.ndarray:
        u = clip_unit(u)
        lo, hi = self.low, self.high
        if self.distribution == "uniform":
            if self.integer:
                lo, hi = math.ceil(lo), math.floor(hi)
                return np.minimum(np.floor(lo + u * (hi - lo + 1)), hi)
            return lo + u * (hi - lo)
        assert self.mean is not None and self.sd is not None
        if self.distribution == "normal":
            a, b = norm.cdf((lo - self.mean) / self.sd), norm.cdf((hi - self.mean) / self.sd)
            x = self.mean + self.sd * norm.ppf(a + u * (b - a))
        else:
            m = self.mean - lo
            sigma = math.sqrt(math.log1p((self.sd / m) ** 2))
            mu = math.log(m) - sigma**2 / 2
            b = norm.cdf((math.log(hi - lo) - mu) / sigma) if hi > lo else 0.0
            x = lo + np.exp(mu + sigma * norm.ppf(u * b)) if b > 0 else np.full(len(u), lo)
        x = np.clip(x, lo, hi)
        if self.integer:
            return np.clip(np.round(x), math.ceil(lo), math.floor(hi))
        return x

    def _finish(self, x: np.ndarray) -> Any:
        if self.unit != "number":
            return _from_epoch(x, self.unit, self.logical)
        if self.integer:
            return x.astype(np.int64)
        return np.round(x, self.decimals) if self.decimals is not None else x

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> Any:
        return self._finish(self._numbers(np.asarray(u, dtype=np.float64)))

    def from_index(self, index: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Distinct integers of the range for distinct row indexes (a fixed permutation)."""
        lo, hi = math.ceil(self.low), math.floor(self.high)
        keys = permute(index, hi - lo + 1, f"integers in [{lo}, {hi}]")
        return np.asarray(keys, dtype=np.int64) + lo

    def describe(self) -> str:
        if self.unit != "number":
            shown = _from_epoch(np.array([self.low, self.high]), self.unit, self.logical)
            return f"uniform dates from {shown[0]} to {shown[1]} (config)"
        extra = (
            f", mean {self.mean:g}, sd {self.sd:g}" if self.mean is not None and self.sd is not None else ""
        )
        what = "integers" if self.integer else "numbers"
        return f"{self.distribution} {what} in [{self.low:g}, {self.high:g}]{extra} (config)"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _epoch(value: Any, unit: Unit) -> float:
    if unit == "day":
        return float((value - _EPOCH.date()).days)
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return float((stamp.to_pydatetime() - _EPOCH) // dt.timedelta(microseconds=1))


def _from_epoch(x: np.ndarray, unit: Unit, logical: LogicalType) -> Any:
    ticks = np.asarray(np.round(x), dtype=np.int64)
    if unit == "day":
        days = ticks.astype("datetime64[D]")
        out = np.empty(len(ticks), dtype=object)
        out[:] = days.astype(dt.date).tolist()
        return out
    stamps = pd.Series(ticks.astype("datetime64[us]"))
    return stamps.dt.tz_localize("UTC") if logical is LogicalType.TIMESTAMPTZ else stamps


# -- sequence ---------------------------------------------------------------------------------


@register_generator("sequence")
@dataclass(frozen=True)
class SequenceGenerator(GeneratorModel):
    """Row ``i`` (numbered across the whole table) gets ``start + step × i``, written through
    ``format`` when given (``INV-{:06d}`` → ``INV-001000``). Distinct rows give distinct values,
    so it is unique by construction; it needs the row index, so the engine always generates it
    through ``from_index``."""

    summary = "start + step × row number, optionally formatted: format: 'INV-{:06d}'"
    params = (
        Param("start", ("integer",), doc="the first value (default 1)"),
        Param("step", ("integer",), doc="the difference between consecutive rows (default 1)"),
        Param("format", ("string",), doc="a Python format with one field, e.g. 'INV-{:06d}'"),
    )
    unique_capable = True
    by_index = True

    logical: LogicalType
    start: int = 1
    step: int = 1
    format: str | None = None

    @classmethod
    def check_params(cls, params: Mapping[str, Any], ctx: FitContext) -> list[Problem]:
        problems: list[Problem] = []
        if params.get("step") == 0:
            problems.append(("step", "step cannot be 0 (that is a constant)"))
        fmt = params.get("format")
        if fmt is not None:
            reason = format_problem(fmt)
            if reason:
                problems.append(("format", f"format '{fmt}' {reason}"))
        return problems

    @classmethod
    def for_column(
        cls, params: Mapping[str, Any], column: Column, ctx: FitContext, table: Table
    ) -> SequenceGenerator:
        fmt = params.get("format")
        if column.logical not in NUMBER_TYPES | TEXT_TYPES:
            raise _not_for(column, "sequence", "a numeric or text")
        if fmt is not None and column.logical not in TEXT_TYPES:
            raise ParamProblems([("format", f"format makes text; {describe_type(column)}")])
        return cls(column.logical, int(params.get("start", 1)), int(params.get("step", 1)), fmt)

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> Any:
        raise GenerationError(
            "the sequence generator numbers rows: the engine must call from_index with the row indexes"
        )

    def from_index(self, index: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        numbers = self.start + self.step * np.asarray(index, dtype=np.int64)
        if self.format is not None:
            out = np.empty(len(numbers), dtype=object)
            out[:] = [self.format.format(int(n)) for n in numbers]
            return out
        if self.logical in TEXT_TYPES:
            out = np.empty(len(numbers), dtype=object)
            out[:] = [str(int(n)) for n in numbers]
            return out
        return numbers

    def describe(self) -> str:
        shown = f" as '{self.format}'" if self.format else ""
        return f"sequence from {self.start} step {self.step}{shown} (config)"


def format_problem(fmt: str) -> str | None:
    """Why ``fmt`` is not a format with exactly one plain field for an integer, or None.

    Only ``{}``/``{0}`` with a format spec is allowed: attribute and index lookups
    (``{0.__class__}``) would let a config reach into Python objects."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(fmt) if f is not None]
    except ValueError as exc:
        return f"does not parse: {exc}"
    if len(fields) != 1:
        return f"must have exactly one {{}} field, it has {len(fields)}"
    if fields[0] not in ("", "0"):
        return "may only use {} or {0} (with a format spec such as {:06d})"
    try:
        fmt.format(1)
    except (ValueError, TypeError) as exc:
        return f"does not format an integer: {exc}"
    return None
