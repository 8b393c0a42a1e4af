"""``generator: faker``: any Faker provider, with arguments (``provider: pyint``,
``args: {min_value: 1, max_value: 9}``).

Each call builds a fresh Faker for the model's locale seeded from the caller's rng (never Faker's
global state), so the same rng state gives the same values for a given Faker release. The
provider and its arguments are tried once when the config is loaded, so a misspelt provider or
argument is reported with the file position rather than in the middle of a run.
"""

from __future__ import annotations

import datetime as dt
import decimal
import inspect
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from dbsynth.columns.base import FitContext
from dbsynth.columns.generators.base import (
    DATE_TYPES,
    NUMBER_TYPES,
    TEXT_TYPES,
    GeneratorModel,
    Param,
    ParamProblems,
    Problem,
    describe_type,
    faker_seed,
    register_generator,
)
from dbsynth.errors import did_you_mean
from dbsynth.schema import Column, LogicalType, Table

SAMPLE_VALUES = 5  # values drawn when binding, to see what the provider returns


@cache
def _faker(locale: str) -> Any:
    from faker import Faker

    return Faker(locale, use_weighting=False)


@cache
def provider_names(locale: str) -> tuple[str, ...]:
    """The providers a Faker of ``locale`` has (its generator's own methods left out)."""
    from faker.generator import Generator

    own = set(dir(Generator))
    gen = _faker(locale).factories[0]
    return tuple(
        sorted(n for n in dir(gen) if not n.startswith("_") and n not in own and callable(getattr(gen, n)))
    )


def _call(locale: str, seed: int, provider: str, args: Any, n: int) -> list[Any]:
    from faker import Faker

    fake = Faker(locale, use_weighting=False)
    fake.seed_instance(seed)
    method = getattr(fake, provider)
    if isinstance(args, list):
        return [method(*args) for _ in range(n)]
    return [method(**args) for _ in range(n)]


def _json_like(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_like(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_json_like(v) for v in value)
    return value is None or isinstance(value, bool | int | float | str)


@register_generator("faker")
@dataclass(frozen=True)
class FakerGenerator(GeneratorModel):
    """Values of the Faker provider ``provider`` called with ``args`` (keyword arguments, or a
    list of positional ones), in ``locale``; text columns get the value's text, cut to
    ``max_length``."""

    summary = "any Faker provider with arguments: provider: pyint, args: {min_value: 1, max_value: 9}"
    params = (
        Param("provider", ("string",), required=True, doc="the Faker provider, e.g. phone_number, pyint"),
        Param("args", ("mapping", "list"), doc="arguments for the provider: keyword mapping or list"),
    )

    provider: str
    locale: str
    logical: LogicalType
    args: dict[str, Any] = field(default_factory=dict)
    positional: tuple[Any, ...] = ()
    max_length: int | None = None

    @classmethod
    def check_params(cls, params: Mapping[str, Any], ctx: FitContext) -> list[Problem]:
        provider = params["provider"]
        names = provider_names(ctx.locale)
        if provider not in names:
            return [
                ("provider", f"unknown Faker provider '{provider}' (locale {ctx.locale})."
                 + did_you_mean(provider, names))
            ]  # fmt: skip
        args = params.get("args", {})
        if not _json_like(args):
            return [("args", "args: give plain values (text, numbers, booleans, lists, mappings)")]
        if isinstance(args, dict):
            method = getattr(_faker(ctx.locale), provider)
            accepted = _keyword_names(method)
            if accepted is not None:
                for name in args:
                    if name not in accepted:
                        return [
                            ("args", f"Faker provider {provider} has no argument '{name}'."
                             + did_you_mean(name, accepted))
                        ]  # fmt: skip
        try:
            _call(ctx.locale, 0, provider, args, 1)
        except Exception as exc:  # the provider's own complaint, whatever its type
            return [("args", f"Faker provider {provider} fails with these args: {type(exc).__name__}: {exc}")]
        return []

    @classmethod
    def for_column(
        cls, params: Mapping[str, Any], column: Column, ctx: FitContext, table: Table
    ) -> FakerGenerator:
        args = params.get("args", {})
        sample = _call(ctx.locale, 0, params["provider"], args, SAMPLE_VALUES)
        for value in sample:
            reason = _misfit(value, column)
            if reason:
                raise ParamProblems(
                    [(None, f"Faker provider {params['provider']} returns {reason}; {describe_type(column)}")]
                )
        return cls(
            provider=params["provider"],
            locale=ctx.locale,
            logical=column.logical,
            args=dict(args) if isinstance(args, dict) else {},
            positional=tuple(args) if isinstance(args, list) else (),
            max_length=column.length if column.logical in TEXT_TYPES else None,
        )

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> Any:
        n = np.asarray(u).size
        args: Any = list(self.positional) if self.positional else self.args
        values = _call(self.locale, faker_seed(rng), self.provider, args, n)
        if self.logical in TEXT_TYPES:
            values = [str(v)[: self.max_length] if self.max_length else str(v) for v in values]
        out = np.empty(n, dtype=object)
        out[:] = values
        return out

    def describe(self) -> str:
        args = self.args or list(self.positional)
        shown = f" with {args}" if args else ""
        return f"Faker {self.provider}{shown}, locale {self.locale} (config)"


def _keyword_names(method: Any) -> list[str] | None:
    """The keyword arguments ``method`` accepts, or None when it takes ``**kwargs``."""
    try:
        sig = inspect.signature(method)
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()):
        return None
    return [n for n, p in sig.parameters.items() if p.kind is not inspect.Parameter.VAR_POSITIONAL]


_TYPE_WORDS: dict[type, str] = {
    str: "text",
    int: "integers",
    float: "numbers",
    decimal.Decimal: "numbers",
    bool: "booleans",
    dt.date: "dates",
    dt.datetime: "timestamps",
    dt.time: "times",
    list: "lists",
    dict: "mappings",
}


def _misfit(value: Any, column: Column) -> str | None:
    """What ``value`` is when it does not fit ``column`` ("text", "dates"), or None."""
    kind = column.logical
    shown = _TYPE_WORDS.get(type(value), f"{type(value).__name__} values")
    if kind in TEXT_TYPES or kind in (LogicalType.JSON, LogicalType.OTHER):
        return None
    if kind is LogicalType.INTEGER:
        return None if isinstance(value, int) and not isinstance(value, bool) else shown
    if kind in NUMBER_TYPES:
        ok = isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)
        return None if ok else shown
    if kind is LogicalType.BOOLEAN:
        return None if isinstance(value, bool) else shown
    if kind in DATE_TYPES:
        if kind is LogicalType.DATE:
            return None if isinstance(value, dt.date) else shown
        return None if isinstance(value, dt.datetime) else shown
    if kind is LogicalType.UUID:
        try:
            uuid.UUID(str(value))
        except ValueError:
            return shown
        return None
    if kind is LogicalType.ENUM and column.enum_labels is not None:
        return None if value in column.enum_labels else shown
    return shown
