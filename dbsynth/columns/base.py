"""The contract every column model keeps, and the registry that names them.

A column model describes the *non-null* values of one column. It is fitted on a sample, stored
as plain JSON inside the model file, and used by the engine through two maps to and from the
unit interval, which is what lets a Gaussian copula tie columns together:

* ``to_uniform(values, rng)`` sends observed values to (0, 1) through the model's CDF (ties and
  categories get a uniform jitter inside their probability mass), used when fitting the copula;
* ``from_uniform(u, rng)`` is the inverse CDF: it turns uniforms (from the copula, so already
  correlated with the other columns) into values; ``rng`` serves models whose values need more
  randomness than one uniform carries (free text, JSON documents, arrays).

NULLs are not a model's business: the caller keeps each column's null rate and null flag.

Models are frozen dataclasses registered by ``kind``; ``encode``/``decode`` add and read that
``kind`` field so the file says which model each column uses. Plugins register their own kinds
through the same decorator.

Privacy rule for every model: its fields hold no source row and no value seen fewer than
``FitContext.min_count`` times; personal-data columns hold no source value at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np
import pandas as pd

from dbsynth.errors import ModelError, did_you_mean
from dbsynth.schema import Column
from dbsynth.serde import from_data, to_data

M = TypeVar("M", bound="ColumnModel")

_REGISTRY: dict[str, type[ColumnModel]] = {}


@dataclass(frozen=True)
class FitContext:
    """What a model's ``fit`` may know beyond the values: privacy threshold, locale, uniqueness."""

    min_count: int = 5
    locale: str = "en_US"
    unique: bool = False
    table: str = ""
    seed: int = 0


class ColumnModel:
    """Base class of column models (subclasses are frozen dataclasses; see the module doc)."""

    kind: ClassVar[str] = ""

    @classmethod
    def fit(cls: type[M], values: pd.Series, column: Column, ctx: FitContext) -> M:
        """Fit on the non-null values of ``column`` (``values`` has no NULLs, may be empty)."""
        raise NotImplementedError

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        """Map non-null values to (0, 1) through this model's CDF (float64 array, same length)."""
        raise NotImplementedError

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> Any:
        """Inverse CDF: an array-like of ``len(u)`` values (numpy array or pandas Series)."""
        raise NotImplementedError

    def describe(self) -> str:
        """One line a reviewer understands, for ``dbsynth fit --explain``."""
        return self.kind


def register(kind: str):  # type: ignore[no-untyped-def]
    """Class decorator: make a model known under ``kind`` (built-ins and plugins alike)."""

    def deco(cls: type[M]) -> type[M]:
        if kind in _REGISTRY and _REGISTRY[kind] is not cls:
            raise ValueError(f"column model kind '{kind}' is registered twice")
        cls.kind = kind
        _REGISTRY[kind] = cls
        return cls

    return deco


def registered_kinds() -> dict[str, type[ColumnModel]]:
    return dict(_REGISTRY)


def encode(model: ColumnModel) -> dict[str, Any]:
    data = to_data(model)
    return {"kind": model.kind, **data}


def decode(data: dict[str, Any]) -> ColumnModel:
    if not isinstance(data, dict) or "kind" not in data:
        raise ModelError("a column model must be an object with a 'kind'")
    body = dict(data)
    kind = body.pop("kind")
    cls = _REGISTRY.get(kind)
    if cls is None:
        raise ModelError(f"unknown column model kind '{kind}'." + did_you_mean(kind, _REGISTRY))
    try:
        return from_data(cls, body)  # type: ignore[no-any-return]
    except (TypeError, ValueError, KeyError) as exc:
        raise ModelError(f"invalid '{kind}' column model: {exc}") from None


def clip_unit(u: np.ndarray) -> np.ndarray:
    """Keep uniforms strictly inside (0, 1) so normal scores stay finite."""
    eps = 1e-9
    return np.clip(np.asarray(u, dtype=np.float64), eps, 1.0 - eps)
