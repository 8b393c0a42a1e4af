"""The plan: every decision of a generation run, as plain data, before any row exists.

``--dry-run`` prints a :class:`Plan`; the engine executes the same object (STYLE #1): row counts
per table, the write order, chunking, which foreign keys are cut and how, which columns the
engine numbers itself, and the seed every random stream derives from.

Row counts. Every table gets ``round(source rows × scale)``, or the count the user gave with
``--rows``. A table whose driving parent's count was given (directly or further up) follows it
instead: ``parent rows × mean children per parent`` (fitted, zeros included) plus its rows with
a NULL key, so ``--rows customer=1000`` brings the right number of orders with it. Either way
the rows are spread over the parents following the fitted children-per-parent distribution
(``dbsynth.generation.keys.spread_counts``), not one flat ratio. Scaling each table on its own source count
rather than through its parents keeps a tiny parent's rounding (5 media types × 0.5 → 2) from
shrinking a big child by 20%.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from dbsynth.cycles import BreakStrategy, CycleBreak
from dbsynth.errors import UsageError
from dbsynth.fitting.fit import column_roles
from dbsynth.graph import plan_insertion
from dbsynth.model import Model, fk_id
from dbsynth.planning.load import IfExists, LoadSpec, TableLoad
from dbsynth.schema import LogicalType, Table

DEFAULT_CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class TablePlan:
    """One table's share of the run.

    ``stream`` is the table's random-stream id: derived from its key (not its position), so
    adding a table to a model does not change the rows of the others. ``deferred`` lists the ids
    of cut FKs written NULL and set by UPDATE once their parent is written.
    """

    table: str
    rows: int
    chunk_rows: int
    columns: tuple[str, ...]
    key_columns: tuple[str, ...] = ()
    driving_fk: str | None = None
    deferred: tuple[str, ...] = ()
    stream: int = 0
    copy: bool = False

    @property
    def chunks(self) -> int:
        return math.ceil(self.rows / self.chunk_rows) if self.rows else 0


@dataclass(frozen=True)
class Plan:
    seed: int
    scale: float
    tables: tuple[TablePlan, ...]
    breaks: tuple[CycleBreak, ...] = ()
    if_exists: IfExists = "fail"
    create_schema: bool = False
    overrides: dict[str, int] = field(default_factory=dict)

    def table(self, key: str) -> TablePlan:
        for t in self.tables:
            if t.table == key:
                return t
        raise KeyError(key)

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def load_spec(self, model: Model) -> LoadSpec:
        return LoadSpec(
            schema=model.schema,
            tables=tuple(TableLoad(t.table, t.columns, t.rows) for t in self.tables),
            breaks=self.breaks,
            if_exists=self.if_exists,
            create_schema=self.create_schema,
            key_columns={t.table: t.key_columns for t in self.tables if t.key_columns},
        )

    def describe(self) -> list[str]:
        """The plan in words, for ``--dry-run``."""
        lines = [
            f"seed {self.seed}, scale {self.scale:g}, {self.total_rows:,} rows in {len(self.tables)} tables"
        ]
        for t in self.tables:
            extra = []
            if t.driving_fk:
                extra.append(f"follows its parents through {t.driving_fk}")
            if t.deferred:
                extra.append("NULL then UPDATE: " + ", ".join(t.deferred))
            if t.key_columns:
                extra.append("numbered: " + ", ".join(t.key_columns))
            if t.copy:
                extra.insert(0, "copied from the source")
            tail = f" ({'; '.join(extra)})" if extra else ""
            lines.append(f"  {t.table}: {t.rows:,} rows in {t.chunks} chunk(s){tail}")
        for b in self.breaks:
            lines.append(f"  cycle cut: {b.reason}")
        return lines


def parse_rows(items: Mapping[str, int] | None, model: Model) -> dict[str, int]:
    """``--rows`` overrides keyed by table key; unknown tables get "did you mean"."""
    out: dict[str, int] = {}
    for name, n in (items or {}).items():
        key = model.schema.table(name).key
        if n < 0:
            raise UsageError(f"--rows {name}={n}: a row count cannot be negative")
        out[key] = int(n)
    return out


def make_plan(
    model: Model,
    *,
    scale: float = 1.0,
    rows: Mapping[str, int] | None = None,
    seed: int | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    if_exists: IfExists = "fail",
    create_schema: bool = False,
    table_scale: Mapping[str, float] | None = None,
) -> Plan:
    """The plan for ``model``; ``table_scale`` overrides ``scale`` per table (config ``scale``).
    Tables copied from the source (``copy: true``) keep their source row count."""
    if not math.isfinite(scale) or scale < 0:
        raise UsageError(f"--scale must be a non-negative number, got {scale:g}")
    if chunk_rows < 1:
        raise UsageError(f"--chunk-rows must be at least 1, got {chunk_rows}")
    overrides = parse_rows(rows, model)
    order = plan_insertion(model.schema)
    counts: dict[str, int] = {}
    follows: set[str] = set(overrides)  # tables whose count came from --rows, directly or not
    tables: list[TablePlan] = []
    for key in order.order:
        table = model.schema.table(key)
        tm = model.table(key)
        driver = tm.driving_fk
        rel = model.relationship(driver) if driver is not None else None
        own_scale = (table_scale or {}).get(key, scale)
        if tm.copy:
            n = tm.row_count
        elif key in overrides:
            n = overrides[key]
        elif key in (table_scale or {}):
            n = round(tm.row_count * own_scale)  # its own scale wins over following a parent
        elif rel is not None and rel.parent in follows and rel.parent in counts and rel.null_rate < 1.0:
            n = round(counts[rel.parent] * rel.mean_children / (1.0 - rel.null_rate))
            follows.add(key)
        else:
            n = round(tm.row_count * own_scale)
        counts[key] = n
        tables.append(
            TablePlan(
                table=key,
                rows=n,
                chunk_rows=chunk_rows,
                columns=tuple(c.name for c in table.columns if c.generated is None),
                key_columns=_key_columns(table),
                driving_fk=driver,
                deferred=tuple(
                    fk_id(key, b.foreign_key.columns)
                    for b in order.breaks_of(key)
                    if b.strategy == BreakStrategy.NULL_THEN_UPDATE
                ),
                stream=zlib.crc32(key.encode()),
                copy=tm.copy,
            )
        )
    return Plan(
        seed=model.settings.seed if seed is None else seed,
        scale=scale,
        tables=tuple(tables),
        breaks=order.breaks,
        if_exists=if_exists,
        create_schema=create_schema,
        overrides=overrides,
    )


def _key_columns(table: Table) -> tuple[str, ...]:
    roles = column_roles(table)
    # UUID keys are random, not numbered: only integer keys need a start and a sequence reset.
    return tuple(c.name for c in table.columns if roles[c.name] == "key" and c.logical == LogicalType.INTEGER)
