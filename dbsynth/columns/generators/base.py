"""What a user-specified generator is, and the registry that names it in ``dbsynth.yaml``.

A generator is a :class:`~dbsynth.columns.base.ColumnModel` built from the config instead of
fitted on a sample, so it lands in the model file like any other model (kind
``generator.<name>``) and the engine generates it like any other model. It adds to the
column-model contract:

* ``params``: the keys the config may give it, each with the YAML shapes it accepts; the config
  loader checks shapes and names (with "did you mean") from this table alone, and the JSON Schema
  of the config lists the same keys (a test keeps the two equal);
* ``check_params(params)``: the checks that need no column (a regex that does not parse,
  ``min > max``, a weight below zero), run when the file is loaded;
* ``for_column(params, column, ctx)``: the model for one column, or :class:`ParamProblems`
  saying why the column cannot take it (``range`` on a text column, a choice label that is not
  one of the enum's), run when the config is bound to a schema;
* ``unique_capable``: ``from_index`` makes distinct values, so ``unique: true`` is allowed
  (the engine recognises the method itself through :class:`~dbsynth.columns.base.IndexedModel`);
  ``by_index`` (declared on every column model): values come from the row index, so the engine
  calls ``from_index`` for every row, unique or not (``sequence``); a generator whose values
  come from the row's other columns (``expression``) has ``derive(frame, rng)``
  (:class:`~dbsynth.columns.base.DerivedModel`), called once the chunk's other columns exist.

Models hold no source value: every field comes from the user's config. NULLs stay the caller's
business (the column's null rate), as for every model.

Built-ins register through :func:`register_generator` exactly as plugins do.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar

import numpy as np
import pandas as pd

from dbsynth.columns.base import (
    ColumnModel,
    FitContext,
    clip_unit,
    find_model_class,
    register,
    registered_kinds,
)
from dbsynth.errors import ModelError, UsageError, did_you_mean
from dbsynth.schema import Column, LogicalType, Table

G = TypeVar("G", bound="GeneratorModel")

KIND_PREFIX = "generator."

# The YAML shapes a parameter may take; ``scalar`` is any of string/number/boolean/date.
Shape = Literal["integer", "number", "string", "boolean", "scalar", "mapping", "list"]

Scalar = bool | int | float | str

TEXT_TYPES = frozenset({LogicalType.STRING, LogicalType.TEXT})
NUMBER_TYPES = frozenset({LogicalType.INTEGER, LogicalType.DECIMAL, LogicalType.FLOAT})
DATE_TYPES = frozenset({LogicalType.DATE, LogicalType.TIMESTAMP, LogicalType.TIMESTAMPTZ})
# Column types whose values a config can spell as one YAML scalar (choice and constant values).
SCALAR_TYPES = (
    TEXT_TYPES | NUMBER_TYPES | DATE_TYPES | {LogicalType.BOOLEAN, LogicalType.ENUM, LogicalType.UUID}
)


@dataclass(frozen=True)
class Param:
    """One config key of a generator: its name, the YAML shapes it accepts, whether it must be
    given, and one line of documentation (shown by the JSON Schema)."""

    name: str
    shapes: tuple[Shape, ...]
    required: bool = False
    doc: str = ""


Problem = tuple[str | None, str]  # (the parameter at fault, or None for the generator itself; message)


class ParamProblems(Exception):
    """A generator's parameters do not fit: each problem names the parameter at fault (so the
    config can point at its line) and says what is wrong in words."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(m for _, m in problems))
        self.problems = problems


class GeneratorModel(ColumnModel):
    """Base of generator models (see the module docstring). Subclasses are frozen dataclasses."""

    generator: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()
    unique_capable: ClassVar[bool] = False

    @classmethod
    def registered(cls, kind: str) -> None:
        # Kind ``generator.<name>`` makes the class the config's ``generator: <name>``.
        if kind.startswith(KIND_PREFIX):
            cls.generator = kind.removeprefix(KIND_PREFIX)

    @classmethod
    def provides(cls) -> str:
        if cls.kind == KIND_PREFIX + cls.generator:
            return f"config generator '{cls.generator}' (column model '{cls.kind}')"
        return super().provides()

    @classmethod
    def fit(cls: type[G], values: pd.Series, column: Column, ctx: FitContext) -> G:
        raise ModelError(
            f"the {cls.generator} generator is set in the config (generator: {cls.generator}), not fitted"
        )

    @classmethod
    def check_params(cls, params: Mapping[str, Any], ctx: FitContext) -> list[Problem]:
        """Problems found without a column (shapes are already checked)."""
        return []

    @classmethod
    def for_column(
        cls: type[G], params: Mapping[str, Any], column: Column, ctx: FitContext, table: Table
    ) -> G:
        raise NotImplementedError

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        # A generator's values carry no order the copula could use: independent noise.
        return clip_unit(rng.random(len(values)))


def register_generator(name: str) -> Callable[[type[G]], type[G]]:
    """Class decorator: make a generator known to the config as ``generator: <name>`` and to
    the model file as kind ``generator.<name>`` (built-ins and plugins alike)."""
    return register(KIND_PREFIX + name)


def generators() -> dict[str, type[GeneratorModel]]:
    """Every registered generator by its config name (loads every column-model entry point)."""
    return {
        cls.generator: cls
        for kind, cls in registered_kinds().items()
        if issubclass(cls, GeneratorModel) and kind == KIND_PREFIX + cls.generator
    }


def generator(name: str) -> type[GeneratorModel]:
    """The generator named ``name``; unknown names raise a UsageError with "did you mean"."""
    cls = find_model_class(KIND_PREFIX + name)
    if cls is None or not issubclass(cls, GeneratorModel):
        raise UsageError(f"unknown generator '{name}'." + did_you_mean(name, generators()))
    return cls


# -- values the config spells for a column --------------------------------------------------------


def describe_type(column: Column) -> str:
    return f"{column.name} is {column.sql_type}"


def column_value(value: Any, column: Column) -> Scalar:
    """``value`` (as YAML read it) as the JSON scalar a model stores for ``column``; raises
    ValueError saying why it does not fit (wrong kind, not an enum label, too long ...).

    Dates and timestamps are stored as ISO text, everything else as itself, so a model file
    stays plain JSON and :func:`python_value` turns them back."""
    kind = column.logical
    if kind not in SCALAR_TYPES:
        raise ValueError(f"{describe_type(column)}, which takes no value from the config")
    if isinstance(value, list | dict) or value is None:
        raise ValueError(f"{_show(value)} is not a single value")
    if kind is LogicalType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
            raise ValueError(f"{_show(value)} is not an integer ({describe_type(column)})")
        return int(value)
    if kind in (LogicalType.DECIMAL, LogicalType.FLOAT):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{_show(value)} is not a number ({describe_type(column)})")
        return float(value) if column.scale is None else round(float(value), column.scale)
    if kind is LogicalType.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError(f"{_show(value)} is not true or false ({describe_type(column)})")
        return value
    if kind in DATE_TYPES:
        return _date_text(value, column)
    if isinstance(value, bool):
        # YAML 1.1 reads NO (Norway), off, yes ... as booleans: say so, the user meant text.
        raise ValueError(
            f"{_show(value)} is not text ({describe_type(column)}); "
            "YAML reads yes/no/on/off as true/false: quote it"
        )
    if not isinstance(value, str | int | float):
        raise ValueError(f"{_show(value)} is not text ({describe_type(column)})")
    text = str(value)
    if kind is LogicalType.ENUM and column.enum_labels is not None and text not in column.enum_labels:
        raise ValueError(
            f"'{text}' is not a label of {column.sql_type}." + did_you_mean(text, column.enum_labels)
        )
    if kind is LogicalType.UUID:
        try:
            text = str(uuid.UUID(text))
        except ValueError:
            raise ValueError(f"'{text}' is not a UUID") from None
    if column.length is not None and kind is not LogicalType.ENUM and len(text) > column.length:
        raise ValueError(f"'{text}' has {len(text)} characters; {describe_type(column)}")
    return text


def _date_text(value: Any, column: Column) -> str:
    if isinstance(value, dt.datetime | dt.date):
        stamp = value
    elif isinstance(value, str):
        try:
            stamp = (
                dt.datetime.fromisoformat(value)
                if "T" in value or " " in value
                else dt.date.fromisoformat(value)
            )
        except ValueError:
            raise ValueError(f"'{value}' is not an ISO date or timestamp ({describe_type(column)})") from None
    else:
        raise ValueError(f"{_show(value)} is not a date ({describe_type(column)})")
    if column.logical is LogicalType.DATE:
        day = stamp.date() if isinstance(stamp, dt.datetime) else stamp
        return day.isoformat()
    if not isinstance(stamp, dt.datetime):
        stamp = dt.datetime.combine(stamp, dt.time())
    return stamp.isoformat()


def python_value(value: Scalar, logical: LogicalType) -> Any:
    """The generated form of a stored :func:`column_value`: dates as ``datetime.date``,
    timestamps as pandas Timestamps (UTC for ``timestamptz``), the rest unchanged."""
    if logical is LogicalType.DATE:
        return dt.date.fromisoformat(str(value))
    if logical is LogicalType.TIMESTAMP:
        stamp = pd.Timestamp(str(value))
        return stamp.tz_convert(None) if stamp.tzinfo is not None else stamp
    if logical is LogicalType.TIMESTAMPTZ:
        stamp = pd.Timestamp(str(value))
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return value


def filled(value: Any, n: int) -> Any:
    """``n`` copies of one generated value in the array form the engine accepts."""
    if isinstance(value, pd.Timestamp):
        return pd.Series([value] * n)
    if isinstance(value, bool | int | float):
        return np.full(n, value)
    out = np.empty(n, dtype=object)
    out[:] = [value] * n
    return out


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"'{value}'" if isinstance(value, str) else repr(value) if value is not None else "null"


def faker_seed(rng: np.random.Generator) -> int:
    """An integer seed for a fresh Faker instance, drawn from the caller's stream: no Faker global
    state is ever used, so the same rng state gives the same values."""
    return int(rng.integers(0, 2**63 - 1))
