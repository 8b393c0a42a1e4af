"""The plan: every decision of a generation run, as plain data, before any row exists.

``--dry-run`` prints a :class:`Plan`; the engine executes the same object: row counts per table,
the write order, chunking, which tables are copied from the source, how every foreign key is
filled (:mod:`dbsynth.planning.foreign_keys`: which cut FKs are written NULL then UPDATEd,
deferred, dropped and re-validated, or written directly because the target cannot UPDATE),
which columns the engine numbers itself, and the seed every random stream derives from. The
target's capabilities are known when the plan is made, so the printed plan is the run's.

Row counts. Every table gets ``round(source rows × scale)``, or the count the user gave with
``--rows``; ``--rows '*=N'`` gives N rows to every other table, so a whole schema, empty in the source
included, fills with N rows per table (fewer where a key cannot hold N). A
table whose driving parent's count was given (directly or further up) follows it instead:
``parent rows × mean children per parent`` (fitted, zeros included) plus its rows with a NULL
key, so ``--rows customer=1000`` brings the right number of orders with it. Either way
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

from dbsynth.config import Config
from dbsynth.cycles import BreakStrategy, CycleBreak
from dbsynth.fitting.roles import column_roles
from dbsynth.graph import plan_insertion
from dbsynth.model import Model, fk_id
from dbsynth.options import DEFAULT_CHUNK_ROWS, GenerateOptions, IfExists, resolve
from dbsynth.planning.ceiling import check_counts
from dbsynth.planning.exclusions import refuse_unkept
from dbsynth.planning.foreign_keys import DIRECT_WORDS, Capabilities, FkMode, FkPlan, plan_foreign_keys
from dbsynth.planning.load import LoadSpec, TableLoad
from dbsynth.planning.unique_cap import cap_at_composite_domains, cap_one_to_one, unique_cap
from dbsynth.planning.unique_keys import cap_at_key_capacity, construct_uniques
from dbsynth.schema import LogicalType, Schema, Table


@dataclass(frozen=True)
class TablePlan:
    """One table's share of the run.

    ``stream`` is the table's random-stream id: derived from its key (not its position), so
    adding a table to a model does not change the rows of the others. ``foreign_keys`` says how
    each FK of the table is filled (:mod:`dbsynth.planning.foreign_keys`), in the table's FK
    order. ``copy``: the rows are copied verbatim from the source (config ``copy: true``).
    """

    table: str
    rows: int
    chunk_rows: int
    columns: tuple[str, ...]
    key_columns: tuple[str, ...] = ()
    foreign_keys: tuple[FkPlan, ...] = ()
    stream: int = 0
    copy: bool = False
    capped: str | None = None  # why the row count is lower than asked (planning.unique_cap)
    # A key computed from the row index other than an engine-numbered one (a UUID key): how the
    # rows of a table without numbered keys are found again (planning.unique_keys).
    row_key: tuple[str, ...] = ()

    @property
    def chunks(self) -> int:
        return math.ceil(self.rows / self.chunk_rows) if self.rows else 0

    @property
    def driving_fk(self) -> str | None:
        """The FK the table's rows are spread over their parents by, if any."""
        return next((f.id for f in self.foreign_keys if f.mode is FkMode.DRIVING), None)

    @property
    def deferred(self) -> tuple[str, ...]:
        """The cut FKs written NULL and set by UPDATE once their parent is written."""
        return tuple(f.id for f in self.foreign_keys if f.mode is FkMode.NULL_THEN_UPDATE)

    def foreign_key(self, fk_id: str) -> FkPlan:
        for f in self.foreign_keys:
            if f.id == fk_id:
                return f
        raise KeyError(fk_id)


@dataclass(frozen=True)
class Plan:
    """Every decision of a run. ``capabilities`` are the target's, as known when the plan was
    made: the FK modes depend on them, so a plan runs only into a target that can do what it
    needs (:meth:`fits`)."""

    seed: int
    scale: float
    tables: tuple[TablePlan, ...]
    breaks: tuple[CycleBreak, ...] = ()
    if_exists: IfExists = "fail"
    create_schema: bool = False
    overrides: dict[str, int] = field(default_factory=dict)
    capabilities: Capabilities = field(default_factory=Capabilities)
    notes: tuple[str, ...] = ()  # what the user should know about the run (an empty source)
    edge_cases: float = 0.0  # probability per value of an edge value (dbsynth.generation.edges)

    def table(self, key: str) -> TablePlan:
        for t in self.tables:
            if t.table == key:
                return t
        raise KeyError(key)

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def fits(self, capabilities: Capabilities) -> str | None:
        """Why this plan cannot run into a target with ``capabilities``, or None when it can.
        Only cut FKs care: one set by UPDATE needs a target that can UPDATE, and one written
        ahead of its parent because the planned target could not UPDATE would break an
        immediately checked constraint of a database."""
        cuts = [f for t in self.tables for f in t.foreign_keys if f.cut is not None]
        updated = [f.id for f in cuts if f.mode is FkMode.NULL_THEN_UPDATE]
        if updated and not capabilities.updates:
            return f"the plan sets {', '.join(updated)} by UPDATE after the load, which the target cannot do"
        direct = [f.id for f in cuts if f.mode is FkMode.DIRECT and f.cut is BreakStrategy.NULL_THEN_UPDATE]
        if direct and capabilities.updates:
            return (
                f"the plan writes {', '.join(direct)} ahead of the parent rows, which only suits a "
                "target that checks no constraint while loading (a directory of files)"
            )
        return None

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
            + (f", edge cases at rate {self.edge_cases:g}" if self.edge_cases else "")
        ]
        for t in self.tables:
            extra = []
            if t.copy:
                extra.append("copied from the source")
            if t.driving_fk:
                extra.append(f"follows its parents through {t.driving_fk}")
            if t.deferred:
                extra.append("NULL then UPDATE: " + ", ".join(t.deferred))
            for cut, words in DIRECT_WORDS.items():
                direct = [f.id for f in t.foreign_keys if f.mode is FkMode.DIRECT and f.cut is cut]
                if direct:
                    extra.append(f"{words}: " + ", ".join(direct))
            if t.key_columns:
                extra.append("numbered: " + ", ".join(t.key_columns))
            elif t.row_key:
                extra.append("keyed by row: " + ", ".join(t.row_key))
            if t.capped:
                extra.append(t.capped)
            tail = f" ({'; '.join(extra)})" if extra else ""
            lines.append(f"  {t.table}: {t.rows:,} rows in {t.chunks} chunk(s){tail}")
        modes = {f.id: f.mode for t in self.tables for f in t.foreign_keys}
        for b in self.breaks:
            reason = b.reason
            mode = modes.get(fk_id(b.table, b.foreign_key.columns))
            if b.strategy is BreakStrategy.NULL_THEN_UPDATE and mode is FkMode.DIRECT:
                # The cut's own reason promises an UPDATE the run will not make.
                reason = (
                    f"{b.label} is nullable, but the target cannot UPDATE: its values are written "
                    "directly (nothing checks them while loading)"
                )
            lines.append(f"  cycle cut: {reason}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return lines


ALL_ROOTS = "*"  # --rows '*=N': every table whose count is not given nor follows a given one
EMPTY_SOURCE = (
    "the source has no rows, so --scale gives every table 0 rows: "
    "give --rows '*=N' (or --rows TABLE=N) to seed the tables from their schema"
)


def parse_rows(items: Mapping[str, int] | None, model: Model) -> dict[str, int]:
    """``--rows`` overrides keyed by table key (``*`` is kept as it is); unknown tables get
    "did you mean"."""
    return {
        name if name == ALL_ROOTS else model.schema.table(name).key: int(n)
        for name, n in (items or {}).items()
    }


def make_plan(
    model: Model,
    options: GenerateOptions | None = None,
    *,
    capabilities: Capabilities | None = None,
    config: Config | None = None,
    **keywords: object,
) -> Plan:
    """The plan for ``model`` with ``options`` (or the same options as keywords:
    ``make_plan(model, scale=2)``), for a target with ``capabilities`` (default: one that can
    UPDATE). ``config`` adds per-table ``rows``/``scale`` and a default seed; options win.
    Tables copied from the source (``copy: true``) keep their source row count."""
    opts = resolve(GenerateOptions, options, keywords, where="make_plan()")
    capabilities = capabilities or Capabilities()
    table_scale: dict[str, float] = {}
    rows = dict(opts.rows or {})
    seed = opts.seed
    if config is not None:
        config_rows, table_scale = _config_counts(config, model)
        rows = {**config_rows, **parse_rows(rows, model)}
        if seed is None and config.seed is not None:
            seed = resolve(GenerateOptions, None, {"seed": config.seed}, where="the config").seed
    overrides = parse_rows(rows, model)
    roots = overrides.pop(ALL_ROOTS, None)
    order = plan_insertion(model.schema)
    origin: dict[str, str] = {}
    counts = _row_counts(model, order.order, opts.scale, overrides, table_scale, origin, roots)
    given = parse_rows(opts.rows, model)
    for key in overrides:
        if key not in given and origin.get(key, "").startswith("--rows"):
            origin[key] = f"the config's tables.{key}.rows {overrides[key]:,}"
    notes: list[str] = []
    empty = not any(model.table(k).row_count for k in counts)
    if counts and empty and not overrides and roots is None and not any(counts.values()):
        # An empty source scaled is 0 rows everywhere. Still a valid run (--create-schema copies
        # the schema alone), but never a silent one.
        notes.append(EMPTY_SOURCE)
    capped = _cap_at_unique_domains(model, counts)
    tables_of = {key: model.schema.table(key) for key in order.order}
    key_columns = {key: _key_columns(table) for key, table in tables_of.items()}
    by_row = _cut_references(order.breaks, key_columns, model.schema)
    models = {k: model.table(k) for k in tables_of}
    capped.update(cap_at_key_capacity(tables_of, models, counts, key_columns, overrides, by_row))
    capped.update(cap_at_composite_domains(model.schema, counts))
    capped.update(cap_one_to_one(model.schema, counts))
    check_counts(counts, tables_of, key_columns, origin)  # before anything is opened
    refuse_unkept(model.schema, counts, {k: model.table(k).copy for k in counts})
    row_keys = {
        key: construct_uniques(
            table, model.table(key), counts[key], key_columns[key], 0, by_row.get(key, ())
        ).row_key(table)
        for key, table in tables_of.items()
        if not model.table(key).copy
    }  # also refuses a key whose values cannot hold the table's rows, before anything is written
    breaks = {fk_id(b.table, b.foreign_key.columns): b for b in order.breaks}
    tables = tuple(
        TablePlan(
            table=key,
            rows=counts[key],
            chunk_rows=opts.chunk_rows,
            columns=tuple(c.name for c in table.columns if c.generated is None),
            key_columns=key_columns[key],
            foreign_keys=plan_foreign_keys(table, model, breaks, capabilities, counts, key_columns, row_keys),
            stream=zlib.crc32(key.encode()),
            copy=model.table(key).copy,
            capped=capped.get(key),
            row_key=row_keys.get(key, ()),
        )
        for key, table in tables_of.items()
    )
    return Plan(
        seed=model.settings.seed if seed is None else seed,
        scale=opts.scale,
        tables=tables,
        breaks=order.breaks,
        if_exists=opts.if_exists,
        create_schema=opts.create_schema,
        overrides=overrides,
        capabilities=capabilities,
        notes=tuple(notes),
        edge_cases=opts.edge_cases,
    )


def _row_counts(
    model: Model,
    order: tuple[str, ...],
    scale: float,
    overrides: Mapping[str, int],
    table_scale: Mapping[str, float],
    origin: dict[str, str] | None = None,
    roots: int | None = None,
) -> dict[str, int]:
    """Rows per table (see the module docstring), in insertion order; ``origin`` gets where each
    count came from, in words (for the messages of :mod:`dbsynth.planning.ceiling`). ``roots``
    (``--rows '*=N'``) is the count of every table that does not follow a given count."""
    why: dict[str, str] = {} if origin is None else origin
    counts: dict[str, int] = {}
    follows: set[str] = set(overrides)  # tables whose count came from --rows, directly or not
    for key in order:
        tm = model.table(key)
        rel = model.relationship(tm.driving_fk) if tm.driving_fk is not None else None
        if tm.copy:
            n = tm.row_count
            why[key] = f"copied: the model's row_count {tm.row_count:,}"
        elif key in overrides:
            n = overrides[key]
            why[key] = f"--rows {key}={n}"
        elif key in table_scale:
            n = round(tm.row_count * table_scale[key])  # its own scale wins over following a parent
            factor = table_scale[key]
            why[key] = f"the model's row_count {tm.row_count:,} x the config's tables.{key}.scale {factor:g}"
        elif rel is not None and rel.parent in follows and rel.parent in counts and rel.null_rate < 1.0:
            n = round(counts[rel.parent] * rel.mean_children / (1.0 - rel.null_rate))
            follows.add(key)
            why[key] = f"{rel.mean_children:g} children per row of {rel.parent}, whose count was given"
        elif roots is not None:
            # Every table, followers included: N children per parent row, compounded down a
            # chain of FKs (zabbix: 200 hosts -> 2,218 drules -> 6,648 dchecks ...), planned a
            # million rows for '*=200'. A key's capacity still caps a table (below).
            n = roots
            why[key] = f"--rows *={roots}"
        else:
            n = round(tm.row_count * scale)
            why[key] = f"the model's row_count {tm.row_count:,} x --scale {scale:g}"
        counts[key] = n
    return counts


def _cap_at_unique_domains(model: Model, counts: dict[str, int]) -> dict[str, str]:
    """Lower ``counts`` (in place) to the size of a table's finite unique-key domain, and say why
    per capped table: more rows than the key has values can only be duplicates."""
    why: dict[str, str] = {}
    for key, n in counts.items():
        cap = unique_cap(model.schema.table(key), model.schema.dialect)
        if cap is not None and n > cap[0]:
            counts[key] = cap[0]
            why[key] = (
                f"capped at {cap[0]:,} row(s) from {n:,}: unique ({cap[1]}) has {cap[0]:,} possible value(s)"
            )
    return why


def _config_counts(config: Config, model: Model) -> tuple[dict[str, int], dict[str, float]]:
    """Per-table ``rows`` and ``scale`` of a config, by the model's table keys. The config was
    checked against the live schema at fit time; excluded tables are simply not in the model."""
    rows: dict[str, int] = {}
    scale: dict[str, float] = {}
    for t in config.tables:
        if t.exclude:
            continue
        key = model.schema.table(t.name).key
        if t.rows is not None:
            rows[key] = t.rows
        if t.scale is not None:
            scale[key] = t.scale
    return rows, scale


def _cut_references(
    breaks: tuple[CycleBreak, ...], key_columns: Mapping[str, tuple[str, ...]], schema: Schema
) -> dict[str, set[str]]:
    """Per table, the single key column a cut FK references when the engine does not number
    it: numbered from the row index instead (planning.unique_keys), so the cut FK's values are
    known before the parent is written. Likewise the single-column primary key of a table whose
    cut FK is set by UPDATE, when nothing else numbers its rows (``country.code`` for
    ``country.capital``, cut because ``city.countrycode`` was inferred), or one column of its
    composite primary key that no foreign key sets: the UPDATE finds its rows by that column."""
    out: dict[str, set[str]] = {}
    for b in breaks:
        fk = b.foreign_key
        if len(fk.ref_columns) == 1 and not key_columns.get(fk.ref_table):
            out.setdefault(fk.ref_table, set()).add(fk.ref_columns[0])
        table = schema.table(b.table)
        pk = table.primary_key
        if b.strategy is not BreakStrategy.NULL_THEN_UPDATE or key_columns.get(b.table) or pk is None:
            continue
        # A composite key (an integer with its tuple, a value column now) numbers one of its
        # columns that no foreign key sets; alone it finds the row, so the tuple holds too.
        if len(pk.columns) == 1:
            if not set(pk.columns) & set(fk.columns):
                out.setdefault(b.table, set()).add(pk.columns[0])
            continue
        fk_columns = {c for f in table.foreign_keys for c in f.columns}
        free = [c for c in pk.columns if c not in fk_columns]
        if free:
            out.setdefault(b.table, set()).add(free[0])
    return out


def _key_columns(table: Table) -> tuple[str, ...]:
    roles = column_roles(table)
    # UUID keys are random, not numbered: only integer keys need a start and a sequence reset.
    return tuple(c.name for c in table.columns if roles[c.name] == "key" and c.logical == LogicalType.INTEGER)


__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "Capabilities",
    "FkMode",
    "FkPlan",
    "Plan",
    "TablePlan",
    "make_plan",
    "parse_rows",
]
