"""The model file: everything ``generate`` needs, nothing from a production row.

One versioned JSON document. It carries the source :class:`~dbsynth.schema.Schema`, and per table
its row count, a model per column (with its null rate and role), a Gaussian copula over the
modelled columns (plus null flags, child counts and the driving parent's columns), the orderings
that held in every sampled row; per foreign key the distribution of children per parent.

It is meant to be read by a person before it leaves the production side (``dbsynth fit
--explain`` prints it in words) and to be loaded on a machine with no access to the source.

Format rule: ``format`` changes whenever an older dbsynth could misread a newer file; loading a
file of another format is a :class:`~dbsynth.errors.ModelError`, never a guess.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from dbsynth import invariants as inv
from dbsynth.columns.base import ColumnModel, decode
from dbsynth.columns.copula import GaussianCopula
from dbsynth.errors import ModelError, UsageError, did_you_mean
from dbsynth.modelcheck import check_model_data
from dbsynth.schema import Schema
from dbsynth.serde import from_data, to_data

MODEL_FORMAT = 1

ColumnRole = Literal[
    "value",  # modelled from its values
    "key",  # a primary/unique key the engine numbers itself (sequence, identity)
    "foreign_key",  # filled from the parent table's keys
    "generated",  # computed by the database: never written
    "unmodelled",  # no usable model (all NULL, unknown type): NULL or a type-valid constant
]


@dataclass(frozen=True)
class ColumnFit:
    """A column's fitted description. ``model`` is the encoded column model (``kind`` + fields)."""

    name: str
    role: ColumnRole
    null_rate: float = 0.0
    model: dict[str, Any] | None = None
    pii: str | None = None
    note: str | None = None

    @cached_property
    def column_model(self) -> ColumnModel | None:
        return decode(self.model) if self.model is not None else None


@dataclass(frozen=True)
class Ordering:
    """``left op right`` held in every sampled row where both sides were non-NULL.

    Within a table both names are columns of that table; for a relationship ``right`` is a
    column of the parent (``left`` of the child), e.g. ``rental.rental_date >= film.last_update``.
    """

    left: str
    op: Literal[">=", ">"]
    right: str
    support: int = 0


@dataclass(frozen=True)
class Relation:
    """``column`` computed from ``base`` in the same row, because the source showed it to be
    (almost) a function of it (:mod:`dbsynth.fitting.relations`):

    * ``lookup``: ``column = values[i]`` where ``base == keys[i]`` (region → continent); both
      sides are values the column models keep, each seen at least ``--min-count`` times;
    * ``ratio``: ``column = base × d`` (gnp ≈ gnpold × growth);
    * ``gap``: ``column = base + d`` seconds (shipped_at = created_at + delivery time), for an
      ordering that held in every sampled row, so the gap keeps its shape;
    * ``nulls``: ``column`` is NULL exactly where ``base`` is one of ``keys`` (shipped_at is NULL
      while an order is pending), and has a value where ``base`` is another kept value;

    ``d`` is drawn from ``delta`` (an encoded column model of the ratio or gap). ``holds``: the
    share of sampled rows (both sides non-NULL) where the relation held.
    """

    kind: Literal["lookup", "ratio", "gap", "nulls"]
    column: str
    base: str
    keys: tuple[bool | int | float | str, ...] = ()
    values: tuple[bool | int | float | str, ...] = ()
    delta: dict[str, Any] | None = None
    holds: float = 1.0
    lower: float | None = None  # a computed number stays within the column's observed range
    upper: float | None = None


@dataclass(frozen=True)
class TableModel:
    """``row_count`` is the source table's size; ``sampled_rows`` how many rows the fit saw.

    ``copula`` dimensions are named: a column (``price``), its null flag (``price?null``), the
    number of children through a foreign key (``#children:<fk id>``), or a column of the driving
    parent (``^<fk id>.<column>``), which is what lets generation sample this table's columns
    conditionally on its parent row.
    """

    table: str
    row_count: int
    sampled_rows: int
    columns: tuple[ColumnFit, ...]
    copula: GaussianCopula | None = None
    driving_fk: str | None = None
    orderings: tuple[Ordering, ...] = ()
    copy: bool = False  # rows are copied verbatim from the source at generation (config: copy)
    # Why a table is copied when the fit found it to be reference data (dbsynth.fitting.reference);
    # None for a table the config copies.
    copy_reason: str | None = None
    relations: tuple[Relation, ...] = ()  # computed columns, applied in this order

    def column(self, name: str) -> ColumnFit:
        for c in self.columns:
            if c.name == name:
                return c
        raise ModelError(f"table {self.table} has no column '{name}' in the model")


@dataclass(frozen=True)
class ChildrenShape:
    """How children spread over parents, kept without any rare exact count.

    ``values`` are the counts seen for at least ``--min-count`` parents (0 among them when enough
    parents had none), with the share of parents at each (``value_shares``); every other count
    is only known by its log-spaced bin ``[bin_low[i], bin_high[i]]`` (``bin_shares``: share of
    parents). ``top`` are shares of parents counted from the busiest one down (the top 2 of
    1,000: 0.002) and ``top_shares`` the share of all children they hold, rounded to a
    percentage point: the heavy tail (2 of 1,500 staff hold every rental) that a distribution of
    pooled counts cannot carry.
    """

    values: tuple[int, ...] = ()
    value_shares: tuple[float, ...] = ()
    bin_low: tuple[int, ...] = ()
    bin_high: tuple[int, ...] = ()
    bin_shares: tuple[float, ...] = ()
    top: tuple[float, ...] = ()
    top_shares: tuple[float, ...] = ()

    @property
    def zero_share(self) -> float:
        """Share of parents with no child (a kept count of 0, or the bin [0, 0] when fewer than
        ``--min-count`` parents had none)."""
        kept = sum(s for v, s in zip(self.values, self.value_shares, strict=True) if v == 0)
        return kept + sum(s for h, s in zip(self.bin_high, self.bin_shares, strict=True) if h == 0)

    def describe(self) -> str:
        """In words, for ``fit --explain``: the parents without children and, when a few parents
        hold far more than their share, the busiest group of them."""
        words = [f"{_percent(self.zero_share)} of parents without children"]
        if self.top:
            # The group whose share of children most exceeds its share of parents.
            k = max(range(len(self.top)), key=lambda i: self.top_shares[i] - self.top[i])
            if self.top_shares[k] - self.top[k] >= 0.1:
                held = f"{self.top_shares[k]:.0%}"
                words.append(f"the busiest {_percent(self.top[k])} hold {held} of the children")
        return ", ".join(words)

    def check(self) -> None:
        inv.same_length("value_shares", self.value_shares, "values", self.values)
        inv.same_length("bin_low", self.bin_low, "bin_shares", self.bin_shares)
        inv.same_length("bin_high", self.bin_high, "bin_shares", self.bin_shares)
        inv.same_length("top_shares", self.top_shares, "top", self.top)
        inv.ordered("values", self.values, strictly=True)
        inv.require(all(v >= 0 for v in self.values), "values", "holds a negative count")
        inv.require(all(v >= 0 for v in self.bin_low), "bin_low", "holds a negative count")
        ok = all(lo <= hi for lo, hi in zip(self.bin_low, self.bin_high, strict=True))
        inv.require(ok, "bin_high", "is below its bin_low")
        inv.shares("value_shares", self.value_shares)
        inv.shares("bin_shares", self.bin_shares)
        total = sum(self.value_shares) + sum(self.bin_shares)
        inv.require(abs(total - 1.0) <= 1e-3, "bin_shares", f"with value_shares sum to {total:g}, not 1")
        inv.ordered("top", self.top, strictly=True)
        inv.require(all(0.0 < t <= 1.0 for t in self.top), "top", "holds a share outside (0, 1]")
        inv.shares("top_shares", self.top_shares)
        inv.ordered("top_shares", self.top_shares)


@dataclass(frozen=True)
class RelationshipModel:
    """One foreign key ``child(columns) -> parent(ref_columns)`` as fitted.

    ``children`` is an encoded numeric column model of the number of children per parent row,
    zeros included; ``null_rate`` the share of child rows whose key is NULL; ``orderings`` the
    child-after-parent facts (left = child column, right = parent column).

    ``children_by`` names a categorical column of the parent that shifts the number of children
    strongly (tier → orders); ``children_strata`` then holds one children model per category
    (categories with enough parents; the others use ``children``). The copula dimension of the
    count is the *residual* rank within the parent's category, so the category effect is exact
    and the copula only carries what is left.

    ``shape`` is the spread of children over parents (:class:`ChildrenShape`), which generation
    gives every FK's parents; ``children`` only orders them. ``note`` says why the spread is a
    prior or the config's rather than fitted (``fit --explain`` prints it).
    """

    id: str
    child: str
    parent: str
    columns: tuple[str, ...]
    ref_columns: tuple[str, ...]
    children: dict[str, Any] | None = None
    children_by: str | None = None
    children_strata: dict[str, dict[str, Any]] = field(default_factory=dict)
    mean_children: float = 0.0
    null_rate: float = 0.0
    orderings: tuple[Ordering, ...] = ()
    shape: ChildrenShape | None = None
    note: str | None = None  # where the children per parent came from when not from data

    @cached_property
    def children_model(self) -> ColumnModel | None:
        return decode(self.children) if self.children is not None else None

    @cached_property
    def strata_models(self) -> dict[str, ColumnModel]:
        return {k: decode(v) for k, v in self.children_strata.items()}

    def children_for(self, category: object) -> ColumnModel | None:
        """The children model for a parent whose ``children_by`` value is ``category`` (a value or
        its :func:`stratum_key`)."""
        return self.strata_models.get(stratum_key(category), self.children_model)


@dataclass(frozen=True)
class FitSettings:
    sample_rows: int = 100_000
    min_count: int = 5
    seed: int = 0
    locale: str = "en_US"


@dataclass(frozen=True)
class HeldOutTable:
    """The rows of one table kept out of the fit, recorded by keyed hash of their key, never by
    value (:mod:`dbsynth.sampling.holdout`). ``key`` names the hashed columns: the primary key,
    else a unique key, else every column. ``whole`` is True when the fit read every row of the
    table, so every row not held out was learnt from; else only ``rows_fitted`` of them were."""

    table: str
    key: tuple[str, ...]
    rows_fitted: int
    rows_held_out: int
    whole: bool = True
    hashes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Holdout:
    """Source rows kept out of the fit (``dbsynth fit --holdout F``), so that ``dbsynth report``
    can test membership: whether the synthetic rows sit closer to the rows the model saw than to
    rows it never saw. ``salt`` (hex, random per model) keys the hashes; ``roots`` are the tables
    whose rows were drawn, the other tables lost rows as their descendants."""

    fraction: float
    salt: str
    roots: tuple[str, ...] = ()
    tables: tuple[HeldOutTable, ...] = ()

    def table(self, key: str) -> HeldOutTable | None:
        return next((t for t in self.tables if t.table == key), None)


@dataclass(frozen=True)
class Model:
    schema: Schema
    tables: tuple[TableModel, ...]
    relationships: tuple[RelationshipModel, ...] = ()
    settings: FitSettings = field(default_factory=FitSettings)
    source: str | None = None
    dbsynth_version: str = ""
    warnings: tuple[str, ...] = ()
    format: int = MODEL_FORMAT
    # (kind, server, database) of the source as its server names it (writing/identity.py), so
    # that generate refuses the model's own source under any name; () when it could not be asked.
    source_identity: tuple[str, ...] = ()
    holdout: Holdout | None = None  # rows kept out of the fit (--holdout)

    def table(self, name: str) -> TableModel:
        key = self.schema.table(name).key
        for t in self.tables:
            if t.table == key:
                return t
        raise ModelError(
            f"table '{name}' is not in the model." + did_you_mean(name, [t.table for t in self.tables])
        )

    def relationship(self, fk_id: str) -> RelationshipModel:
        for r in self.relationships:
            if r.id == fk_id:
                return r
        raise ModelError(f"relationship '{fk_id}' is not in the model")

    # -- file I/O -------------------------------------------------------------------------------

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"format": self.format}
        data.update(to_data(self))
        data["schema"] = self.schema.to_data()
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_data(), indent=1, ensure_ascii=False, allow_nan=False) + "\n"

    @classmethod
    def from_data(cls, data: Any, origin: str = "model") -> Model:
        if not isinstance(data, dict) or "tables" not in data or "schema" not in data:
            raise ModelError(f"{origin} is not a dbsynth model file")
        fmt = data.get("format")
        if fmt != MODEL_FORMAT:
            raise ModelError(
                f"{origin} has model format {fmt}, this dbsynth reads format {MODEL_FORMAT}; "
                "fit the model again with this version"
            )
        check_model_data(data, origin, _ModelBody)  # an untrusted file: fields, invariants, SQL text
        body = dict(data)
        schema = Schema.from_data(body.pop("schema"))
        try:
            rest = from_data(_ModelBody, body)
        except (TypeError, ValueError, KeyError) as exc:
            raise ModelError(f"{origin} is corrupted: {exc}") from None
        model = cls(schema=schema, **{f: getattr(rest, f) for f in _BODY_FIELDS})
        for t in model.tables:  # decode every column model now: fail at load, not mid-generate
            if not schema.has_table(t.table):
                raise ModelError(f"{origin} is corrupted: table {t.table} is not in its schema")
            for c in t.columns:
                _ = c.column_model
        for r in model.relationships:
            _ = r.children_model, r.strata_models
        return model

    def save(self, path: str | Path) -> Path:
        """Write atomically: a failed or interrupted save never leaves a partial model file."""
        target = Path(path)
        text = self.to_json()
        directory = check_writable(target)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise UsageError(f"--output: cannot write '{target}': {exc.strerror}") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    @classmethod
    def load(cls, path: str | Path) -> Model:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ModelError(f"model file '{p}' does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ModelError(f"cannot read model file '{p}': {exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelError(f"model file '{p}' is corrupted: {exc.msg} at line {exc.lineno}") from None
        except RecursionError:
            raise ModelError(f"model file '{p}' is nested too deeply to be a model file") from None
        return cls.from_data(data, origin=f"model file '{p}'")


def check_writable(target: Path) -> Path:
    """The directory a model file goes to, or a UsageError naming ``--output``."""
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"--output: directory '{directory}' does not exist")
    if target.is_dir():
        raise UsageError(f"--output: '{target}' is a directory")
    if not os.access(directory, os.W_OK):
        raise UsageError(f"--output: directory '{directory}' is not writable")
    return directory


@dataclass(frozen=True)
class _ModelBody:
    """The Model's fields other than the Schema, for decoding (the Schema has its own loader)."""

    tables: tuple[TableModel, ...]
    relationships: tuple[RelationshipModel, ...] = ()
    settings: FitSettings = field(default_factory=FitSettings)
    source: str | None = None
    dbsynth_version: str = ""
    warnings: tuple[str, ...] = ()
    format: int = MODEL_FORMAT
    # (kind, server, database) of the source as its server names it (writing/identity.py), so
    # that generate refuses the model's own source under any name; () when it could not be asked.
    source_identity: tuple[str, ...] = ()
    holdout: Holdout | None = None  # rows kept out of the fit (--holdout)


_BODY_FIELDS = (
    "tables",
    "relationships",
    "settings",
    "source",
    "dbsynth_version",
    "warnings",
    "source_identity",
    "holdout",
)


NULL_STRATUM = "\0null"  # the stratum of parents whose category is NULL (no category prints so)


def stratum_key(value: object) -> str:
    """How a category value names its stratum: ``5``, ``5.0`` and ``np.int64(5)`` are one; every
    spelling of NULL (None, NaN, ``pd.NA``) is :data:`NULL_STRATUM`."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return NULL_STRATUM
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _percent(share: float) -> str:
    """A share with three significant digits: 99.9 % of parents is not 100 %."""
    return f"{100 * share:.3g}%"


def stratum_labels(values: pd.Series) -> np.ndarray:
    """The stratum key of every value of a parent's category column: fit and generation group
    parents with this one mapping, so a stratum fitted is a stratum found (NULLs included,
    whatever dtype holds them)."""
    keys = values.astype(object).map(stratum_key)
    return keys.to_numpy(dtype=object)


def fk_id(child: str, columns: tuple[str, ...]) -> str:
    """A stable name for a foreign key: ``child(col1,col2)``; constraint names are not stable
    across dialects (and SQLite has none), the child's column list is."""
    return f"{child}({','.join(columns)})"
