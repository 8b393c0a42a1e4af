"""The second pass: a :class:`Config` meets a live :class:`Schema` and becomes a :class:`BoundConfig`.

Checked here, all problems at once, each at the position of the YAML it comes from: tables and
columns exist ("did you mean"), a table is not configured twice under two spellings, a
generator fits its column's type (``range`` on a text column, a choice label outside an enum), a
unique column gets a generator that can make unique values, settings do not land on columns
dbsynth fills itself (keys, foreign keys, generated columns), a NOT NULL column gets no NULLs,
an expression does not read another computed column, virtual foreign keys pair existing columns
of compatible types with a primary or unique key, and a copied table references only copied
tables (its rows keep the source's keys).

What it resolves: table keys, the schema with virtual foreign keys added and excluded tables
removed (foreign keys to them dropped, with a warning each), per-table rows/scale/where, and per
column a :class:`ColumnOverride` with the generator already built for the column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from dbsynth.columns.base import FitContext
from dbsynth.columns.generators import ExpressionGenerator, ParamProblems, generators
from dbsynth.columns.pii import PiiKind
from dbsynth.config import feasible
from dbsynth.config.load import load_config
from dbsynth.config.types import (
    ColumnConfig,
    ColumnOverride,
    Config,
    ConfigError,
    Issue,
    Mark,
    TableConfig,
    VirtualForeignKey,
)
from dbsynth.errors import SchemaError, did_you_mean
from dbsynth.schema import Column, ForeignKey, LogicalType, Schema, Table, UniqueConstraint
from dbsynth.sqltext import where_problem

TEXT = frozenset({LogicalType.STRING, LogicalType.TEXT})
DATES = frozenset({LogicalType.DATE, LogicalType.TIMESTAMP, LogicalType.TIMESTAMPTZ})
# Column types a foreign key may pair: values of one family compare equal across the pair.
KEY_FAMILY: dict[LogicalType, str] = {
    LogicalType.INTEGER: "number",
    LogicalType.DECIMAL: "number",
    LogicalType.FLOAT: "number",
    LogicalType.STRING: "text",
    LogicalType.TEXT: "text",
    LogicalType.ENUM: "text",
    LogicalType.UUID: "uuid",
    LogicalType.DATE: "date",
    LogicalType.TIMESTAMP: "timestamp",
    LogicalType.TIMESTAMPTZ: "timestamp",
}


# Table settings that keep a table generated (never copied as reference data by the fit).
_GENERATED_KEYS = frozenset({"copy", "rows", "scale", "where", "columns"})


@dataclass(frozen=True)
class BoundConfig:
    """A config resolved against one schema.

    * ``schema``: the source schema with virtual foreign keys added (``ForeignKey.virtual``) and
      excluded tables removed, along with the foreign keys that pointed at them;
    * ``tables_to_fit``: the tables whose statistics are fitted (neither excluded nor copied);
      ``copy_tables``: the tables copied verbatim from the source (every table they reference is
      copied too); ``excluded``: the tables left out; ``kept_generated``: the tables the config
      keeps generated (``copy: false``, or ``rows``, ``scale``, ``where`` or ``columns`` set),
      which the fit never copies as reference data;
    * ``rows``, ``scale``, ``where``: per table key, only the tables that set them;
    * :meth:`column`: the override of one column, None when the config does not mention it;
    * ``unique: true`` on a column the database does not declare unique adds a single-column
      :class:`UniqueConstraint` to ``schema`` (so generation treats it as declared);
    * ``rejected``: (child key, columns, parent key) of the relations marked ``reject: true``,
      which the fit must not infer (:meth:`rejects`); ``infer_foreign_keys``: False when the
      config turns inference off;
    * ``seed``, ``locale``, ``min_count``, ``sample_rows``: the global settings (None: unset);
    * ``warnings``: what binding changed that the user should hear about (also appended to
      ``schema.warnings`` so the model file keeps them).
    """

    config: Config
    schema: Schema
    tables_to_fit: tuple[str, ...]
    copy_tables: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    kept_generated: tuple[str, ...] = ()
    rows: dict[str, int] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)
    overrides: dict[tuple[str, str], ColumnOverride] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    rejected: tuple[tuple[str, tuple[str, ...], str], ...] = ()

    def column(self, table_key: str, column: str) -> ColumnOverride | None:
        return self.overrides.get((table_key, column))

    def rejects(self, table_key: str, column: str, parent_key: str) -> bool:
        return any(t == table_key and column in cols and p == parent_key for t, cols, p in self.rejected)

    @property
    def infer_foreign_keys(self) -> bool:
        return self.config.infer_foreign_keys is not False

    @property
    def seed(self) -> int | None:
        return self.config.seed

    @property
    def locale(self) -> str | None:
        return self.config.locale

    @property
    def min_count(self) -> int | None:
        return self.config.min_count

    @property
    def sample_rows(self) -> int | None:
        return self.config.sample_rows


def bind(
    config: Config,
    schema: Schema,
    earlier: Sequence[Issue] = (),
    counts: Mapping[str, int] | None = None,
) -> BoundConfig:
    """See the module docstring; raises :class:`ConfigError` listing every problem, the
    ``earlier`` ones (from loading) included. ``counts``: the source's row count per table key,
    where known better than the schema's ``row_estimate`` (which is used otherwise)."""
    return Binder(config, schema, earlier, counts).run()


def load_and_bind(path: str | Path, schema: Schema, counts: Mapping[str, int] | None = None) -> BoundConfig:
    """Load the config at ``path`` and bind it to ``schema``, reporting the problems of both
    passes in one :class:`ConfigError` (a file that is not YAML stops after the first)."""
    try:
        return bind(load_config(path), schema, counts=counts)
    except ConfigError as exc:
        if exc.partial is None or exc.partial.origin != str(path):
            raise
        return bind(exc.partial, schema, exc.issues, counts)


class Binder:
    """One binding of ``config`` to ``schema``; ``issues`` collects its problems. Its column
    checks are also what :mod:`dbsynth.config.apply` runs against a model's schema."""

    def __init__(
        self,
        config: Config,
        schema: Schema,
        earlier: Sequence[Issue] = (),
        counts: Mapping[str, int] | None = None,
    ):
        self.config = config
        self.source = schema
        self.counts = dict(counts or {})
        self.issues: list[Issue] = list(earlier)
        self.warnings: list[str] = []
        self.rejected: list[tuple[str, tuple[str, ...], str]] = []

    def problem(self, mark: Mark | None, message: str) -> None:
        self.issues.append(Issue(mark, message))

    def run(self) -> BoundConfig:
        tables = self.resolve_tables()
        excluded = {key for key, tc in tables.items() if tc.exclude}
        copied = {key for key, tc in tables.items() if tc.copy}
        schema = self.add_virtual_fks(excluded)
        schema = self.exclude(schema, excluded)
        self.check_copies(schema, copied, tables)
        overrides: dict[tuple[str, str], ColumnOverride] = {}
        for key, tc in tables.items():
            if key in excluded:
                continue
            table = schema.table(key)
            found = self.columns(table, tc)
            overrides.update(found)
            if tc.where is not None:
                self.check_where(table, tc, schema.dialect)
            # unique: true becomes a UNIQUE constraint of the bound schema: the engine then makes
            # the values distinct by construction, exactly as for a declared one, and a target
            # created from the schema enforces it.
            extra = tuple(
                UniqueConstraint((column,))
                for (_, column), o in found.items()
                if o.unique and not declared_unique(table, column)
            )
            if extra:
                schema = schema.replace_table(replace(table, uniques=(*table.uniques, *extra)))
        if self.issues:
            raise ConfigError(self.config.origin, self.issues)
        if self.warnings:
            schema = replace(schema, warnings=(*schema.warnings, *self.warnings))
        return BoundConfig(
            config=self.config,
            schema=schema,
            tables_to_fit=tuple(k for k in schema.table_keys if k not in copied),
            copy_tables=tuple(k for k in schema.table_keys if k in copied),
            excluded=tuple(k for k in self.source.table_keys if k in excluded),
            kept_generated=tuple(
                k
                for k in schema.table_keys
                if k in tables and not tables[k].copy and set(tables[k].marks) & _GENERATED_KEYS
            ),
            rows={k: tc.rows for k, tc in tables.items() if tc.rows is not None},
            scale={k: tc.scale for k, tc in tables.items() if tc.scale is not None},
            where={k: tc.where for k, tc in tables.items() if tc.where is not None and k not in excluded},
            overrides=overrides,
            warnings=tuple(self.warnings),
            rejected=tuple(self.rejected),
        )

    # -- tables ---------------------------------------------------------------------------------

    def table_key(self, name: str, mark: Mark) -> str | None:
        try:
            return self.source.table(name).key
        except SchemaError as exc:
            self.problem(mark, str(exc))
            return None

    def resolve_tables(self) -> dict[str, TableConfig]:
        out: dict[str, TableConfig] = {}
        for tc in self.config.tables:
            key = self.table_key(tc.name, tc.mark)
            if key is None:
                continue
            if key in out:
                first = out[key]
                self.problem(tc.mark, f"table {key} is configured twice (also as '{first.name}' on line "
                             f"{first.mark.line})")  # fmt: skip
                continue
            out[key] = tc
        return out

    def exclude(self, schema: Schema, excluded: set[str]) -> Schema:
        if not excluded:
            return schema
        kept: list[Table] = []
        for table in schema.tables:
            if table.key in excluded:
                continue
            fks = []
            for fk in table.foreign_keys:
                if fk.ref_table not in excluded:
                    fks.append(fk)
                    continue
                cols = ", ".join(fk.columns)
                self.warnings.append(
                    f"table {table.key} references excluded table {fk.ref_table} through ({cols}): "
                    "the foreign key is dropped and its columns are generated as plain values"
                )
            kept.append(replace(table, foreign_keys=tuple(fks)))
        return replace(schema, tables=tuple(kept))

    def check_copies(self, schema: Schema, copied: set[str], tables: dict[str, TableConfig]) -> None:
        for key in sorted(copied):
            if not schema.has_table(key):
                continue
            for fk in schema.table(key).foreign_keys:
                if fk.ref_table not in copied and fk.ref_table != key:
                    self.problem(
                        tables[key].marks.get("copy", tables[key].mark),
                        f"table {key} is copied, but it references {fk.ref_table} through "
                        f"({', '.join(fk.columns)}), which is generated: the copied rows would point at "
                        f"source keys; copy {fk.ref_table} too",
                    )

    # -- virtual foreign keys ---------------------------------------------------------------------

    def add_virtual_fks(self, excluded: set[str]) -> Schema:
        schema = self.source
        for vfk in self.config.foreign_keys:
            if vfk.reject:
                self.reject(vfk)
                continue
            fk = self.virtual_fk(vfk, schema, excluded)
            if fk is not None:
                child = schema.table(vfk.table)
                schema = schema.replace_table(replace(child, foreign_keys=(*child.foreign_keys, fk)))
        return schema

    def reject(self, vfk: VirtualForeignKey) -> None:
        """A relation the fit must not infer: its table and columns must exist, and
        ``ref_columns``, when given, in the referenced table."""
        child_key = self.table_key(vfk.table, vfk.marks.get("table", vfk.mark))
        parent_key = self.table_key(vfk.references, vfk.marks.get("references", vfk.mark))
        if child_key is None or parent_key is None:
            return
        columns = self.known_columns(self.source.table(child_key), vfk.columns, vfk.marks["columns"])
        if vfk.ref_columns is not None:
            refs = self.known_columns(
                self.source.table(parent_key), vfk.ref_columns, vfk.marks["ref_columns"]
            )
            if refs is None:
                return
        if columns is not None:
            self.rejected.append((child_key, tuple(c.name for c in columns), parent_key))

    def virtual_fk(self, vfk: VirtualForeignKey, schema: Schema, excluded: set[str]) -> ForeignKey | None:
        child_key = self.table_key(vfk.table, vfk.marks.get("table", vfk.mark))
        parent_key = self.table_key(vfk.references, vfk.marks.get("references", vfk.mark))
        if child_key is None or parent_key is None:
            return None
        for key, what in ((child_key, "table"), (parent_key, "references")):
            if key in excluded:
                self.problem(vfk.marks[what], f"foreign key {vfk.describe()}: table {key} is excluded")
                return None
        child, parent = schema.table(child_key), schema.table(parent_key)
        columns = self.known_columns(child, vfk.columns, vfk.marks["columns"])
        if vfk.ref_columns is None:
            if parent.primary_key is None:
                self.problem(vfk.marks["references"], f"foreign key {vfk.describe()}: {parent.key} has no "
                             "primary key; give ref_columns")  # fmt: skip
                return None
            refs: tuple[Column, ...] | None = tuple(parent.column(c) for c in parent.primary_key.columns)
        else:
            refs = self.known_columns(parent, vfk.ref_columns, vfk.marks["ref_columns"])
        if columns is None or refs is None:
            return None
        where = f"foreign key {vfk.describe()}"
        mark = vfk.marks.get("ref_columns", vfk.marks["references"])
        if len(columns) != len(refs):
            self.problem(mark, f"{where} pairs {len(columns)} column(s) with the {len(refs)} of "
                         f"{parent.key}'s primary key")  # fmt: skip
            return None
        ref_names = tuple(c.name for c in refs)
        keys = [u.columns for u in parent.uniques if u.where is None]
        if parent.primary_key is not None:
            keys.append(parent.primary_key.columns)
        if not any(set(k) == set(ref_names) for k in keys):
            self.problem(
                mark, f"{where}: ({', '.join(ref_names)}) is not a primary or unique key of {parent.key}"
            )
            return None
        for c, r in zip(columns, refs, strict=True):
            if KEY_FAMILY.get(c.logical) is None or KEY_FAMILY.get(c.logical) != KEY_FAMILY.get(r.logical):
                self.problem(vfk.marks["columns"], f"{where}: {child.key}.{c.name} ({c.sql_type}) cannot "
                             f"reference {parent.key}.{r.name} ({r.sql_type})")  # fmt: skip
                return None
        names = tuple(c.name for c in columns)
        for fk in child.foreign_keys:
            if fk.columns == names and fk.ref_table == parent.key:
                self.problem(vfk.mark, f"{where}: the database already declares this foreign key")
                return None
            # One column filled from two parents would have to hold a key of each at once.
            shared = [c for c in names if c in fk.columns]
            if shared:
                self.problem(
                    vfk.marks["columns"],
                    f"{where}: {child.key}.{shared[0]} already references {fk.ref_table}",
                )
                return None
        return ForeignKey(names, parent.key, ref_names, name=None, virtual=True)

    def known_columns(self, table: Table, names: Iterable[str], mark: Mark) -> tuple[Column, ...] | None:
        out: list[Column] = []
        for name in names:
            if name not in table.column_names:
                self.problem(mark, unknown_column(name, table))
                return None
            out.append(table.column(name))
        return tuple(out)

    # -- columns ----------------------------------------------------------------------------------

    def columns(self, table: Table, tc: TableConfig) -> dict[tuple[str, str], ColumnOverride]:
        out: dict[tuple[str, str], ColumnOverride] = {}
        computed = {
            cc.name for cc in tc.columns if cc.generator is not None and cc.generator.name == "expression"
        }
        for cc in tc.columns:
            if cc.name not in table.column_names:
                self.problem(cc.mark, unknown_column(cc.name, table))
                continue
            override = self.column(table, table.column(cc.name), cc, computed, self.planned_rows(table, tc))
            if override is not None:
                out[(table.key, cc.name)] = override
        return out

    def planned_rows(self, table: Table, tc: TableConfig) -> int | None:
        """The rows the table gets when the config alone decides (None: unknown)."""
        if tc.rows is not None:
            return tc.rows
        count = self.counts.get(table.key, table.row_estimate)
        return None if count is None else round(count * (tc.scale if tc.scale is not None else 1.0))

    def column(
        self, table: Table, col: Column, cc: ColumnConfig, computed: set[str], rows: int | None = None
    ) -> ColumnOverride | None:
        where = f"column {table.key}.{col.name}"
        role = filled_by_dbsynth(table, col)
        if cc.children is not None:
            return self.children(table, col, cc, where)
        if role is not None:
            self.problem(cc.mark, f"{where} is {role}, so it takes no settings")
            return None
        ok = True
        if cc.null_rate and not col.nullable:
            self.problem(
                cc.marks["null_rate"], f"null_rate {cc.null_rate:g} in {where}: the column is NOT NULL"
            )
            ok = False
        unique_in_db = declared_unique(table, col.name)
        if cc.unique is False and unique_in_db:
            self.problem(cc.marks["unique"], f"unique: false in {where}: the database declares it unique")
            ok = False
        if cc.pii not in (None, False) and cc.generator is None:
            ok &= self.check_pii(col, cc, where)
        model = None
        if cc.generator is not None:
            spec = cc.generator
            cls = generators()[spec.name]
            unique = bool(cc.unique) or unique_in_db
            if unique_in_db and not cls.unique_capable:
                message = (
                    f"{where} is unique in the database; generator {spec.name} cannot make unique values"
                )
                self.problem(spec.mark, message)
                return None
            ctx = FitContext(
                min_count=self.config.min_count or 5,
                locale=self.config.locale or "en_US",
                unique=unique,
                table=table.key,
                seed=self.config.seed or 0,
                dialect=self.source.dialect,
            )
            try:
                model = cls.for_column(spec.params, col, ctx, table)
            except ParamProblems as exc:
                for param, message in exc.problems:
                    self.problem(
                        spec.marks.get(param, spec.mark) if param else spec.mark, f"{where}: {message}"
                    )
                return None
            for param, message in feasible.problems(model, col, table, rows, unique, self.source.dialect):
                self.problem(spec.marks.get(param, spec.mark) if param else spec.mark, f"{where}: {message}")
                ok = False
            if isinstance(model, ExpressionGenerator):
                for name in model.inputs:
                    if name in computed:
                        self.problem(
                            spec.marks["expression"],
                            f"{where}: the expression reads {name}, which is computed by an expression too; "
                            "compute both from stored columns",
                        )
                        ok = False
        if not ok:
            return None
        return ColumnOverride(model=model, null_rate=cc.null_rate, pii=cc.pii, unique=cc.unique)

    def children(self, table: Table, col: Column, cc: ColumnConfig, where: str) -> ColumnOverride | None:
        """``children:`` belongs on the first column of a foreign key, alone."""
        fks = [fk for fk in table.foreign_keys if fk.columns[0] == col.name]
        if not fks:
            self.problem(
                cc.marks["children"], f"children in {where}: the column does not start a foreign key"
            )
            return None
        others = [k for k in cc.marks if k != "children"]
        if others:
            self.problem(
                cc.marks[others[0]], f"{where} is a foreign key: it takes children only, not {others[0]}"
            )
            return None
        return ColumnOverride(children=cc.children)

    def check_pii(self, col: Column, cc: ColumnConfig, where: str) -> bool:
        mark = cc.marks["pii"]
        if col.logical in DATES:
            if cc.pii not in (True, PiiKind.DATE_OF_BIRTH):
                self.problem(
                    mark, f"pii: {cc.pii} in {where}: a {col.sql_type} column can only be date_of_birth"
                )
                return False
            return True
        if col.logical not in TEXT:
            self.problem(
                mark,
                f"pii in {where}: a {col.sql_type} column cannot be generated as personal data; "
                "give it a generator",
            )
            return False
        return True

    def check_where(self, table: Table, tc: TableConfig, dialect: str) -> None:
        """A ``where`` is pasted into the sampling query: see :func:`dbsynth.sqltext.where_problem`."""
        problem = where_problem(tc.where or "", dialect, table)
        if problem is not None:
            self.problem(tc.marks["where"], f"where in table {table.key}: {problem}")


def unknown_column(name: str, table: Table) -> str:
    return f"unknown column '{name}' in table {table.key}." + did_you_mean(name, table.column_names)


def declared_unique(table: Table, column: str) -> bool:
    single = [u.columns for u in table.uniques if len(u.columns) == 1 and u.where is None]
    if table.primary_key is not None and len(table.primary_key.columns) == 1:
        single.append(table.primary_key.columns)
    return (column,) in single


def filled_by_dbsynth(table: Table, col: Column) -> str | None:
    """Why dbsynth fills ``col`` itself (a phrase), or None for a column the config may set.

    Mirrors ``dbsynth.fitting.fit.column_roles``: a foreign key is filled from its parent's keys, an
    identity or integer/UUID primary key is numbered by the engine, a generated column is
    computed by the database."""
    if col.generated is not None:
        return "generated by the database (never written)"
    for fk in table.foreign_keys:
        if col.name in fk.columns:
            return f"a foreign key to {fk.ref_table} (filled from its keys)"
    pk = table.primary_key.columns if table.primary_key else ()
    if col.identity is not None or (
        col.name in pk and col.logical in (LogicalType.INTEGER, LogicalType.UUID)
    ):
        return "a key the engine numbers itself"
    return None
