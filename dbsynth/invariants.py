"""The invariants a fitted object states, and the walk that checks them over a whole tree.

A model file is untrusted input (:mod:`dbsynth.modelcheck`): every column model, JSON node and
copula states its invariants in a ``check()`` method (the :class:`Checked` protocol) that raises
:class:`~dbsynth.serde.FieldError` naming the field relative to itself (``grid``,
``atom_probs``). :func:`check_tree` calls ``check()`` on an object and on every object below it,
and puts each error under the path of the object that raised it, so the message reads
``tables[3].columns.price.model.grid: not sorted``. The helpers below are the checks most models
share; each names its field and says what is wrong in words.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from dbsynth.serde import FieldError, item, join

# Stored probabilities are rounded to 6 decimals: a sum of n of them is 1 within n rounding errors.
ROUNDING = 1e-6
# The most characters, bytes or elements one generated value may have (PostgreSQL's 1 GB limit):
# a length model beyond it could only come from an edited file, and would exhaust memory.
MAX_LENGTH = 1 << 30


@runtime_checkable
class Checked(Protocol):
    """An object that states its invariants: ``check()`` raises :class:`FieldError` naming the
    field (relative to the object) that breaks one; it need not check the objects below it."""

    def check(self) -> None: ...


def check_tree(obj: Any, path: str = "") -> None:
    """Check ``obj`` and everything below it (dataclass fields, list items, dict values); an
    error is raised with its full path from ``path``."""
    if isinstance(obj, Checked) and not isinstance(obj, type):
        try:
            obj.check()
        except FieldError as exc:
            raise exc.at(path) from None
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            if f.init:
                check_tree(getattr(obj, f.name), join(path, f.name))
    elif isinstance(obj, list | tuple):
        for i, value in enumerate(obj):
            check_tree(value, join(path, item(i, value)))
    elif isinstance(obj, dict):
        for key, value in obj.items():
            check_tree(value, join(path, str(key)))


def require(ok: bool, field: str, problem: str) -> None:
    """Raise ``FieldError(field, problem)`` unless ``ok``."""
    if not ok:
        raise FieldError(field, problem)


def finite(field: str, values: Sequence[float] | float) -> None:
    """Every number is finite (not NaN, not infinite)."""
    for i, v in _each(values):
        require(math.isfinite(v), join(field, i), f"{v} is not a finite number")


def share(field: str, value: float) -> None:
    """A share (a probability, a rate): a finite number in [0, 1]."""
    require(math.isfinite(value) and 0.0 <= value <= 1.0, field, f"{value} is not between 0 and 1")


def shares(field: str, values: Sequence[float], *, total: float | None = None, plus: float = 0.0) -> None:
    """Every value a share; with ``total``, ``sum(values) + plus`` is ``total`` up to rounding."""
    for i, v in enumerate(values):
        share(join(field, f"[{i}]"), v)
    if total is not None:
        got = math.fsum(values) + plus
        slack = ROUNDING * (len(values) + 2)
        require(abs(got - total) <= slack, field, f"sum to {got:.6g}, not {total:g}")


def same_length(field: str, values: Sequence[Any], other: str, others: Sequence[Any]) -> None:
    require(len(values) == len(others), field, f"has {len(values)} item(s) but {other} has {len(others)}")


def ordered(field: str, values: Sequence[float], *, strictly: bool = False) -> None:
    """Non-decreasing (``strictly``: increasing)."""
    for i in range(1, len(values)):
        bad = values[i] <= values[i - 1] if strictly else values[i] < values[i - 1]
        require(not bad, field, f"not sorted{' strictly' if strictly else ''} (item {i} is {values[i]})")


def unique(field: str, values: Sequence[Any]) -> None:
    seen: set[Any] = set()
    for v in values:
        require(v not in seen, field, f"{v!r} appears twice")
        seen.add(v)


def between(field: str, value: float, low: float, high: float) -> None:
    require(low <= value <= high, field, f"{value} is not between {low:g} and {high:g}")


def _each(values: Sequence[float] | float) -> list[tuple[str, float]]:
    if isinstance(values, int | float):
        return [("", values)]
    return [(f"[{i}]", v) for i, v in enumerate(values)]
