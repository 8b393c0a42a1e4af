"""The options of the fit and generate steps, as data: one definition for the API and the CLI.

``dbsynth.fit(url, sample_rows=...)``, ``dbsynth.generate(model, target, scale=...)``,
``dbsynth.clone`` and the command line all build a :class:`FitOptions` or a
:class:`GenerateOptions`, so every option has one name, one default and one check, and
``clone`` takes exactly what ``fit`` and ``generate`` take.

The checks derive from the field types: the type itself (a whole number, a number, a flag, one
of the words of a ``Literal``) and the :class:`Bound` annotated on it
(``Annotated[int, AT_LEAST_ONE]``). They run when the object is made, so a bad value fails
before any database is touched, never halfway through a run, with one line that names the
option as the command line spells it::

    >>> GenerateOptions(scale=-1)
    dbsynth.errors.UsageError: --scale must be a non-negative number, got -1

Only the standard library and :mod:`dbsynth.errors` are imported here: every layer may use
these types.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, Union

from dbsynth.errors import UsageError, did_you_mean

IfExists = Literal["fail", "truncate", "append"]
FileFormat = Literal["csv", "parquet"]
DEFAULT_CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class Bound:
    """The range a number option must lie in: ``low <= value < high`` (``low < value`` when
    ``open_low``), and finite. ``wants`` is how the error message says it ("at least 1")."""

    wants: str
    low: float | None = None
    high: float | None = None
    open_low: bool = False

    def holds(self, value: float) -> bool:
        return (
            math.isfinite(value)
            and (self.low is None or value > self.low or (value == self.low and not self.open_low))
            and (self.high is None or value < self.high)
        )


@dataclass(frozen=True)
class Flag:
    """The option's command-line spelling, when it is not ``--`` + the field name with dashes
    (``file_format`` is ``--format``)."""

    name: str


# A plan fixes this option: given together with a ready plan it would be ignored, so it is refused.
PLANNED = "planned"

AT_LEAST_ONE = Bound("at least 1", low=1)
NON_NEGATIVE = Bound("a non-negative number", low=0)
ROW_COUNT = Bound("at least 0", low=0)
# The most rows a run writes into one table: far more than any test or staging database holds,
# and hours at the fastest sink; a count above it is a typo or an exponent, not a plan.
MAX_TABLE_ROWS = 10_000_000_000
# Seeds end up in numpy's SeedSequence (any non-negative integer) but also in the model file
# and in the sampler's SQL (md5 of 'seed:key'), where other tools read them as a signed 64-bit
# integer; -1 used to fail only once generation had started.
SEED = Bound("a whole number from 0 to 2**63 - 1", low=0, high=2**63)
# A share of the source kept out of the fit: none (0) is no holdout, all (1) leaves nothing to fit.
SHARE = Bound("above 0 and below 1", low=0, high=1, open_low=True)
# A probability: 0 to 1, both included (the bound's top is exclusive, so just above 1).
RATE = Bound("a number from 0 to 1", low=0, high=math.nextafter(1.0, 2.0))


@dataclass(frozen=True)
class FitOptions:
    """What to sample from the source and how much of it the model keeps.

    ``None`` means "the config's value, else the default of :class:`dbsynth.model.FitSettings`".
    ``schemas`` restricts PostgreSQL to these namespaces; ``tables`` restricts the fit to these
    tables; ``where`` maps a table to a SQL filter in the source's dialect applied while sampling.
    ``holdout`` keeps that share of the root entities (with all their descendants) out of the
    fit, recorded in the model by keyed hash for the report's membership tests
    (:mod:`dbsynth.sampling.holdout`).
    """

    schemas: tuple[str, ...] | None = None
    tables: tuple[str, ...] | None = None
    sample_rows: Annotated[int | None, AT_LEAST_ONE] = None
    min_count: Annotated[int | None, AT_LEAST_ONE] = None
    seed: Annotated[int | None, SEED] = None
    locale: str | None = None
    where: Mapping[str, str] | None = None
    holdout: Annotated[float | None, SHARE] = None

    def __post_init__(self) -> None:
        _validate(self)
        if self.locale is not None:
            from faker.config import AVAILABLE_LOCALES  # Faker loads slowly: only when a locale is given

            if self.locale not in AVAILABLE_LOCALES:
                hint = did_you_mean(self.locale, AVAILABLE_LOCALES)
                raise UsageError(f"--locale: unknown locale '{self.locale}'.{hint}")


@dataclass(frozen=True)
class GenerateOptions:
    """How many rows to generate, from which seed, and how to write them.

    ``scale`` multiplies every table's source row count; ``rows`` pins tables to an exact count
    (their children follow); ``seed`` None means the config's seed, else the model's;
    ``edge_cases`` is the probability that a value is an edge of its column (``generation.edges``). The
    options marked :data:`PLANNED` are decisions of the plan (:func:`dbsynth.plan`); ``dry_run``,
    ``file_format`` and ``jobs`` only concern the run.
    """

    scale: Annotated[float, NON_NEGATIVE, PLANNED] = 1.0
    rows: Annotated[Mapping[str, int] | None, ROW_COUNT, PLANNED] = None
    seed: Annotated[int | None, SEED, PLANNED] = None
    create_schema: Annotated[bool, PLANNED] = False
    if_exists: Annotated[IfExists, PLANNED] = "fail"
    chunk_rows: Annotated[int, AT_LEAST_ONE, PLANNED] = DEFAULT_CHUNK_ROWS
    edge_cases: Annotated[float, RATE, PLANNED] = 0.0
    dry_run: bool = False
    file_format: Annotated[FileFormat | None, Flag("--format")] = None
    # Processes of the run: 1 generates and writes in one process; 2 or more generate (and,
    # where the target can, encode) in a second process while this one writes. None: the
    # number of cores. The rows are the same either way.
    jobs: Annotated[int | None, AT_LEAST_ONE] = None

    def __post_init__(self) -> None:
        _validate(self)

    def planned(self) -> dict[str, Any]:
        """The options a plan fixes, by name."""
        fields = dataclasses.fields(self)
        return {f.name: getattr(self, f.name) for f in fields if PLANNED in _marks(type(self), f.name)}


Options = TypeVar("Options", FitOptions, GenerateOptions)


def choices(literal: Any) -> list[str]:
    """The words of a ``Literal`` type (``choices(IfExists)``), for the CLI's ``click.Choice``."""
    return [str(a) for a in typing.get_args(literal)]


def default_of(cls: type[Any], name: str) -> Any:
    """The default of option ``name`` of ``cls``, so the CLI shows the same default."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    raise KeyError(name)


def option_names(cls: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def resolve(
    cls: type[Options], options: Options | None, keywords: Mapping[str, Any], *, where: str
) -> Options:
    """``options`` with ``keywords`` laid over it (``generate(model, t, options=o, seed=3)``).

    A keyword that is not an option of ``cls`` is a :class:`UsageError` naming it, with "did you
    mean" (``where`` names the function: ``generate()``).
    """
    names = option_names(cls)
    for name in keywords:
        if name not in names:
            raise UsageError(f"{where} has no option '{name}'.{did_you_mean(name, names)}")
    base = options if options is not None else cls()
    if not isinstance(base, cls):
        raise UsageError(f"{where}: options must be a {cls.__name__}, got {type(base).__name__}")
    return dataclasses.replace(base, **keywords) if keywords else base


def split(keywords: Mapping[str, Any], *classes: type[Any], where: str) -> list[dict[str, Any]]:
    """Share ``keywords`` out among option classes: each goes to every class that has it
    (``clone(..., seed=3)`` seeds both the sample and the generation)."""
    known = [n for cls in classes for n in option_names(cls)]
    for name in keywords:
        if name not in known:
            raise UsageError(f"{where} has no option '{name}'.{did_you_mean(name, known)}")
    return [{k: v for k, v in keywords.items() if k in option_names(cls)} for cls in classes]


# -- validation derived from the field types ------------------------------------------------------


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls, include_extras=True)
    return _HINTS[cls]


def _marks(cls: type[Any], name: str) -> tuple[Any, ...]:
    hint = _hints(cls)[name]
    return tuple(typing.get_args(hint)[1:]) if typing.get_origin(hint) is Annotated else ()


def _validate(obj: Any) -> None:
    """Check and normalise every field of a frozen options object in place (lists become
    tuples, mappings plain dicts, numpy numbers Python numbers)."""
    cls = type(obj)
    for f in dataclasses.fields(obj):
        hint = _hints(cls)[f.name]
        marks = _marks(cls, f.name)
        base = typing.get_args(hint)[0] if typing.get_origin(hint) is Annotated else hint
        flag = next((m.name for m in marks if isinstance(m, Flag)), "--" + f.name.replace("_", "-"))
        bound = next((m for m in marks if isinstance(m, Bound)), None)
        value = _check(flag, base, bound, getattr(obj, f.name))
        object.__setattr__(obj, f.name, value)


def _check(flag: str, tp: Any, bound: Bound | None, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        (tp,) = members  # options are "X or None", never a union of two kinds
        origin = typing.get_origin(tp)
    if origin is Literal:
        words = typing.get_args(tp)
        if value not in words:
            raise UsageError(f"{flag} must be one of {', '.join(map(str, words))}, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise UsageError(f"{flag} must be true or false, got {value!r}")
        return value
    if tp is int or tp is float:
        return _number(flag, tp, bound, value)
    if tp is str:
        if not isinstance(value, str):
            raise UsageError(f"{flag} must be a string, got {value!r}")
        return value
    if origin is tuple:  # tuple[str, ...]: one name, or several
        items = (value,) if isinstance(value, str) else value
        if not isinstance(items, Iterable) or isinstance(items, Mapping):
            raise UsageError(f"{flag} must be a name or a list of names, got {value!r}")
        items = tuple(items)
        for item in items:
            if not isinstance(item, str):
                raise UsageError(f"{flag} must be a name or a list of names, got {item!r}")
        return items
    if origin is Mapping:
        _, vt = typing.get_args(tp)
        if not isinstance(value, Mapping):
            raise UsageError(f"{flag} must map table names to values, got {value!r}")
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise UsageError(f"{flag} must be keyed by table name, got {key!r}")
            out[key] = _check(f"{flag} {key}", vt, bound, item)
        return out
    raise TypeError(f"no check for options of type {tp!r}")  # a new option needs a rule here


def _number(flag: str, tp: type, bound: Bound | None, value: Any) -> Any:
    whole = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if tp is int and not whole:
        raise UsageError(f"{flag} must be a whole number, got {value!r}")
    if tp is float and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
        raise UsageError(f"{flag} must be a number, got {value!r}")
    number = int(value) if tp is int else float(value)
    if bound is not None and not bound.holds(number):
        shown = f"{number:g}" if isinstance(number, float) else str(number)
        raise UsageError(f"{flag} must be {bound.wants}, got {shown}")
    return number


__all__ = [
    "AT_LEAST_ONE",
    "DEFAULT_CHUNK_ROWS",
    "MAX_TABLE_ROWS",
    "NON_NEGATIVE",
    "PLANNED",
    "ROW_COUNT",
    "SEED",
    "SHARE",
    "Bound",
    "FileFormat",
    "FitOptions",
    "Flag",
    "GenerateOptions",
    "IfExists",
    "choices",
    "default_of",
    "option_names",
    "resolve",
    "split",
]
