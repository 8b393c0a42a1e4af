"""The configuration as data: what ``dbsynth.yaml`` says (:class:`Config`), and what it means
for one live schema (:class:`BoundConfig`).

Every part of a :class:`Config` keeps the position (:class:`Mark`) of the YAML it came from, so
that a problem found later, when the config meets a schema, still points at its line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from dbsynth.columns.base import ColumnModel
from dbsynth.columns.pii import PiiKind
from dbsynth.errors import UsageError


@dataclass(frozen=True, order=True)
class Mark:
    """A position in the file, 1-based like editors show it."""

    line: int
    column: int


@dataclass(frozen=True)
class Issue:
    """One problem: where (None: the file as a whole) and what, in words."""

    mark: Mark | None
    message: str


class ConfigError(UsageError):
    """Everything wrong with a config file, one problem per line, in file order::

        dbsynth.yaml:12:5: unknown key 'colums' in table public.customers. Did you mean 'columns'?

    ``problems`` holds the lines; ``str()`` joins them with newlines.
    """

    def __init__(self, origin: str, issues: Sequence[Issue], partial: Config | None = None):
        # ``partial``: what the loader could read despite the problems, so a caller can still bind
        # it and report schema problems in the same run (:func:`dbsynth.config.load_and_bind`).
        self.partial = partial
        ordered = sorted(issues, key=lambda i: (i.mark or Mark(0, 0), i.message))
        self.origin = origin
        self.issues = tuple(dict.fromkeys(ordered))
        self.problems = tuple(
            f"{origin}:{i.mark.line}:{i.mark.column}: {i.message}" if i.mark else f"{origin}: {i.message}"
            for i in self.issues
        )
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class GeneratorSpec:
    """``generator: <name>`` and its parameters, as written (checked for shape, not yet bound to a
    column). ``marks`` holds the position of each parameter."""

    name: str
    params: dict[str, Any]
    mark: Mark
    marks: dict[str, Mark] = field(default_factory=dict)


ChildrenDistribution = Literal["geometric", "poisson", "uniform"]


@dataclass(frozen=True)
class ChildrenSpec:
    """``children:`` on a foreign-key column: how many child rows each parent row gets when
    there is no data to learn it from (or to replace what was learnt). ``mean`` is the mean
    before ``min``/``max`` cut the distribution; None: the default of
    :func:`dbsynth.fitting.children.prior_children`."""

    mean: float | None = None
    min: int = 0
    max: int | None = None
    distribution: ChildrenDistribution = "geometric"


@dataclass(frozen=True)
class ColumnConfig:
    """The settings of one column. ``pii``: True/False corrects detection, a kind names it."""

    name: str
    mark: Mark
    generator: GeneratorSpec | None = None
    null_rate: float | None = None
    pii: PiiKind | bool | None = None
    unique: bool | None = None
    children: ChildrenSpec | None = None
    marks: dict[str, Mark] = field(default_factory=dict)


@dataclass(frozen=True)
class TableConfig:
    """The settings of one table, under the name the file uses (a key or a bare name).

    Invariants (checked when loading): not both ``rows`` and ``scale``; an excluded table has no
    other setting; a copied table has no ``rows``, ``scale`` or ``columns``.
    """

    name: str
    mark: Mark
    rows: int | None = None
    scale: float | None = None
    where: str | None = None
    copy: bool = False
    exclude: bool = False
    columns: tuple[ColumnConfig, ...] = ()
    marks: dict[str, Mark] = field(default_factory=dict)


@dataclass(frozen=True)
class VirtualForeignKey:
    """A relation the database does not declare: ``table(columns) -> references(ref_columns)``;
    ``ref_columns`` None means the referenced table's primary key. ``reject``: the opposite, this
    relation is not one, and the fit must not infer it from the data (``dbsynth.config.inferred``)."""

    table: str
    columns: tuple[str, ...]
    references: str
    ref_columns: tuple[str, ...] | None
    mark: Mark
    marks: dict[str, Mark] = field(default_factory=dict)
    reject: bool = False

    def describe(self) -> str:
        ref = f"({', '.join(self.ref_columns)})" if self.ref_columns else ""
        return f"{self.table}({', '.join(self.columns)}) -> {self.references}{ref}"


@dataclass(frozen=True)
class Config:
    """A loaded ``dbsynth.yaml`` whose shape is valid (:func:`dbsynth.config.load_config`).

    Global settings are None when the file does not set them, so the caller's own defaults (or
    command-line options) apply. ``origin`` is the file name problems are reported against.
    """

    origin: str = "dbsynth.yaml"
    seed: int | None = None
    locale: str | None = None
    min_count: int | None = None
    sample_rows: int | None = None
    infer_foreign_keys: bool | None = None
    tables: tuple[TableConfig, ...] = ()
    foreign_keys: tuple[VirtualForeignKey, ...] = ()
    marks: dict[str, Mark] = field(default_factory=dict)


@dataclass(frozen=True)
class ColumnOverride:
    """What the config decides for one column: a generator ``model`` (None: fit as usual), a
    ``null_rate`` replacing the fitted one, ``pii`` correcting detection (a kind, True, False),
    ``unique`` (True: generate distinct values through the model's ``from_index``), ``children``
    (on the first column of a foreign key: its children per parent)."""

    model: ColumnModel | None = None
    null_rate: float | None = None
    pii: PiiKind | bool | None = None
    unique: bool | None = None
    children: ChildrenSpec | None = None
