"""Assembles the DDL script of a Schema: namespaces, types and sequences, then each table with its
columns, keys and CHECKs (the order is described in :mod:`dbsynth.writing.ddl`); indexes and
identity clauses are spelled by :mod:`~dbsynth.writing.ddl.indexes` and
:mod:`~dbsynth.writing.ddl.identity`."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dbsynth import sqltext
from dbsynth.errors import SchemaError
from dbsynth.plugins import extension_statements
from dbsynth.schema import CheckConstraint, Column, ForeignKey, LogicalType, Partitioning, Schema, Table
from dbsynth.writing.ddl.dialects import (
    DEFAULT_NAMESPACE,
    JSON_VALIDATES,
    SA_DIALECTS,
    TARGETS,
    Kind,
    Names,
    sql_string,
    target_table_name,
)
from dbsynth.writing.ddl.exclusions import exclusion_clauses
from dbsynth.writing.ddl.identity import IDENTITY
from dbsynth.writing.ddl.indexes import index_statements
from dbsynth.writing.ddl.order import in_key_order, keyed_columns, parents_first
from dbsynth.writing.ddl.port import (
    PortError,
    declared_type,
    parenthesize_default,
    parenthesized,
    port_default,
    port_expression,
)
from dbsynth.writing.ddl.routines import MissingRoutines, carried, extension_names, why_missing
from dbsynth.writing.ddl.schema_types import composites, domains, enums, extensions, qualified, sequences
from dbsynth.writing.ddl.typemap import column_facts, find_domain, target_type, type_origin

L = LogicalType


@dataclass(frozen=True)
class DdlScript:
    """The statements that create a Schema in ``dialect``, in execution order (no trailing
    semicolons), and one warning per thing approximated or dropped on the way. Deterministic:
    the same Schema and dialect give the same script."""

    dialect: str
    statements: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    after_load: tuple[str, ...] = ()  # run once the rows are in (REFRESH MATERIALIZED VIEW)

    def sql(self) -> str:
        """The script as one SQL text, warnings first as comments (each on one line: a warning
        quotes source text, which may hold line breaks)."""
        head = "".join(f"-- warning: {' '.join(w.split())}\n" for w in self.warnings)
        tail = "-- after the load:\n" + "".join(f"{s};\n" for s in self.after_load) if self.after_load else ""
        return head + "".join(f"{s};\n" for s in self.statements) + tail


KIND_WORDS: dict[Kind, str] = {
    "table": "table",
    "index": "index",
    "key": "constraint",
    "check": "CHECK",
    "fk": "foreign key",
    "type": "type",
}
# Sources whose generated columns are all STORED (PostgreSQL has no VIRTUAL ones before 18).
STORED_ONLY = frozenset({"postgresql"})
_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_JSON_VALID = re.compile(r"\(?\s*json_valid\(\s*[`\"]?(.+?)[`\"]?\s*\)\s*\)?", re.IGNORECASE)


class Builder:
    """Builds one DdlScript; ``same`` selects the exact same-dialect path."""

    def __init__(self, schema: Schema, target: str) -> None:
        self.schema, self.source, self.t = schema, schema.dialect, TARGETS[target]
        self.same = self.source == target
        self.preparer = SA_DIALECTS[target]().identifier_preparer
        self.names = Names(self.t, not self.same)
        self.warnings: list[str] = []
        self.groups: tuple[list[str], list[str], list[str], list[str]] = ([], [], [], [])
        self.enum_types: dict[tuple[str, str], str] = {}
        self.keyed = keyed_columns(schema, with_methods=self.same)
        self.sequence_owner: dict[str, tuple[str, str]] = {}
        self.routines, not_carried = carried(schema, self.same)
        self.missing = MissingRoutines(not_carried)
        for table in parents_first(schema):
            for c in table.columns:
                if c.identity and c.identity.kind == "serial" and c.identity.sequence:
                    self.sequence_owner.setdefault(c.identity.sequence, (table.key, c.name))
        # Introspection keeps a unique index on expressions (lower(email)) as a plain Index and
        # says so only in the Schema's warnings: the script's notes must say it too.
        plain = "is kept as a plain index; its uniqueness is not modelled"
        for w in schema.warnings:
            if w.endswith(plain):
                enforced = (
                    "is created as a plain index: its uniqueness is not carried (target nor generated rows)"
                )
                self.warnings.append(w.replace(plain, enforced))

    # -- helpers --

    def q(self, name: str) -> str:
        # Only plain lowercase ASCII names go unquoted: SQLAlchemy's own test lets "bıgınt" through
        # (its case-insensitive match takes the dotless ı for an I).
        if _PLAIN_NAME.fullmatch(name) and name not in self.preparer.reserved_words:
            return name
        return str(self.preparer.quote_identifier(name))

    def table_sql(self, table: Table) -> str:
        namespace, name = target_table_name(table, self.t.name)
        return f"{self.q(namespace)}.{self.q(name)}" if namespace else self.q(name)

    def namespace(self, table: Table) -> str | None:
        return target_table_name(table, self.t.name)[0]

    def columns_sql(self, names: Iterable[str]) -> str:
        return ", ".join(self.q(n) for n in names)

    def warn(self, where: str, text: str) -> None:
        self.warnings.append(f"{where}: {text}")

    def claim(self, kind: Kind, name: str | None, table: Table) -> str | None:
        got = self.names.claim(kind, name, table.name, self.namespace(table))
        if got != name:
            self.warn(table.key, f"{KIND_WORDS[kind]} {name} is named {got} in the target")
        return got

    def constraint(self, name: str | None) -> str:
        return f"CONSTRAINT {self.q(name)} " if name else ""

    def sql(self, text: str, kind: sqltext.Kind, value_column: str | None = None) -> str:
        """SQL text of the source, re-rendered by :mod:`dbsynth.sqltext` (never pasted);
        :func:`~dbsynth.writing.ddl.script.schema_ddl` has checked every fragment already."""
        return sqltext.render(text, kind, self.source, value_column=value_column)

    def calls_missing(self, text: str | None, where: str, what: str) -> bool:
        """True (and a note) when ``text`` calls a user function that the target will not have."""
        routine = self.missing.called(text)
        if routine is not None:
            self.warn(where, f"{what} dropped: it {why_missing(routine, self.same)}")
        return routine is not None

    def port(
        self, text: str, table: Table, what: str, value_column: str | None = None, where: str | None = None
    ) -> str | None:
        if self.calls_missing(text, where or table.key, f"{what} ({text})"):
            return None
        columns = table.column_names
        try:
            return port_expression(text, self.source, self.t.name, columns, value_column=value_column)
        except PortError as exc:
            self.warn(where or table.key, f"{what} ({text}) dropped: {exc}")
            return None

    # -- the script --

    def build(self) -> DdlScript:
        tables = parents_first(self.schema)
        self._claim_tables(tables)
        # Extension types (PostGIS geometry) must exist before any table that uses them.
        own = {e.name for e in self.schema.extensions} if self.same else set()
        for statement in extension_statements(self.schema, self.t.name):
            if not own.intersection(extension_names([statement])):
                self.groups[0].append(statement)
        self._namespaces(tables)
        if self.same:
            self.groups[0].extend(extensions(self, self.schema))
            self.groups[0].extend(enums(self, self.schema))
            self._routines()
            self.groups[0].extend(domains(self, self.schema))
            self.groups[0].extend(composites(self, self.schema))
            self.groups[0].extend(sequences(self, self.schema))
        else:
            self._enum_types_for_columns(tables)
        for table in tables:
            self._table(table)
        for table in tables:
            self.groups[2].extend(index_statements(self, table))
        after_load = self._views(tables)
        if self.schema.not_carried:
            self.warnings.append("not carried: " + "; ".join(self.schema.not_carried))
        if not self.t.inline_fks:
            for table in tables:
                for fk in table.foreign_keys:
                    if self._creates(table, fk):
                        self.groups[3].append(
                            f"ALTER TABLE {self.table_sql(table)} ADD {self._fk(table, fk)}"
                        )
        statements = tuple(s for g in self.groups for s in g)
        return DdlScript(self.t.name, statements, tuple(self.warnings), tuple(after_load))

    def _claim_tables(self, tables: Sequence[Table]) -> None:
        seen: dict[tuple[str | None, str], Table] = {}
        for table in tables:
            where = target_table_name(table, self.t.name)
            fold = (where[0], where[1].lower() if self.t.fold_case else where[1])
            if fold in seen:
                raise SchemaError(
                    f"tables {seen[fold].key} and {table.key} would both be {where[1]} in a {self.t.name} "
                    "database; introspect one schema at a time"
                )
            seen[fold] = table
            if self.t.max_name and len(table.name.encode()) > self.t.max_name:
                raise SchemaError(f"table name {table.name} is too long for {self.t.name}")
            self.names.claim("table", table.name, None, where[0])

    def _namespaces(self, tables: Sequence[Table]) -> None:
        if DEFAULT_NAMESPACE[self.t.name] is None:
            return
        named: list[str | None] = [*self.schema.schemas, *(self.namespace(t) for t in tables)]
        if self.same:
            named += [e.schema for e in self.schema.enums] + [d.schema for d in self.schema.domains]
            named += [c.schema for c in self.schema.composites]
        for name in dict.fromkeys(n for n in named if n and n != DEFAULT_NAMESPACE[self.t.name]):
            self.groups[0].append(f"CREATE SCHEMA IF NOT EXISTS {self.q(name)}")

    def _views(self, tables: Sequence[Table]) -> list[str]:
        """Views and materialized views (the latter created empty, refreshed after the load),
        within PostgreSQL, each after what it reads; the statements to run after the load."""
        views = self.schema.views
        if not views:
            return []
        if not (self.same and self.t.name == "postgresql"):
            names = ", ".join(f"{v.schema}.{v.name}" if v.schema else v.name for v in views)
            self.warnings.append(f"views not carried (created within PostgreSQL only): {names}")
            return []
        known = {t.key for t in tables} | {
            p for t in tables if t.partitioning for p in t.partitioning.partitions
        }
        refresh = []
        for v in views:
            key = f"{v.schema}.{v.name}" if v.schema else v.name
            what = f"{'materialized ' if v.materialized else ''}view {key}"
            missing = [u for u in v.uses if u not in known]
            if v.definition is None:
                self.warnings.append(
                    f"{what} not carried: its query is carried only by clone (never read from a model file)"
                )
            elif missing:
                self.warnings.append(
                    f"{what} not carried: it reads {', '.join(missing)}, which the target does not get"
                )
            elif not self.calls_missing(v.definition, what, "query"):
                query = v.definition.strip().rstrip(";").rstrip()
                name = qualified(self, v.schema, v.name)
                if v.materialized:
                    self.groups[2].append(f"CREATE MATERIALIZED VIEW {name} AS\n{query}\nWITH NO DATA")
                    refresh.append(f"REFRESH MATERIALIZED VIEW {name}")
                else:
                    self.groups[2].append(f"CREATE VIEW {name} AS\n{query}")
                known.add(key)
        return refresh

    def _routines(self) -> None:
        """The user functions the schema's expressions call (:mod:`.routines`). Their bodies are
        not SQL fragments of a Schema: they only exist in a Schema introspected in this run."""
        if not self.routines:
            return
        self.groups[0].append("SET check_function_bodies = false")
        self.groups[0].extend(r.definition or "" for r in self.routines)
        self.groups[0].append("RESET check_function_bodies")

    def _enum_types_for_columns(self, tables: Sequence[Table]) -> None:
        """PostgreSQL target of a MySQL ENUM: one enum type per column, named <table>_<column>."""
        if not self.t.enum_types:
            return
        for table in tables:
            for c in table.columns:
                if c.logical is not L.ENUM or not c.enum_labels:
                    continue
                name = self.names.claim("type", f"{table.name}_{c.name}", None, self.namespace(table))
                assert name is not None
                quoted = qualified(self, self.namespace(table), name)
                self.enum_types[(table.key, c.name)] = quoted
                labels = ", ".join(sql_string(x, self.t.name) for x in c.enum_labels)
                self.groups[0].append(f"CREATE TYPE {quoted} AS ENUM ({labels})")

    # -- tables --

    def _table(self, table: Table) -> None:
        pieces: list[str] = []
        extra_checks: list[str] = []
        autoincrement_pk = False
        for c in table.columns:
            definition, checks, inline_pk = self._column(table, c)
            pieces.append(definition)
            extra_checks += checks
            autoincrement_pk = autoincrement_pk or inline_pk
        pk = table.primary_key
        if pk and not autoincrement_pk:
            name = self.claim("key", pk.name, table) if self.t.named_primary_key else None
            pieces.append(f"{self.constraint(name)}PRIMARY KEY ({self.columns_sql(pk.columns)})")
        for u in table.uniques:
            if u.kind == "constraint":
                name = self.claim("key", u.name, table)
                pieces.append(f"{self.constraint(name)}UNIQUE ({self.columns_sql(u.columns)})")
        inline = {id(c) for checks in self._column_checks(table).values() for c in checks}
        for check in table.checks:
            text = None if id(check) in inline else self._check(table, check)
            if text:
                pieces.append(text)
        pieces += extra_checks
        pieces += exclusion_clauses(self, table)
        if self.t.inline_fks:
            pieces += [self._fk(table, fk) for fk in table.foreign_keys if self._creates(table, fk)]
        body = ",\n    ".join(pieces)
        self.groups[1].append(
            f"CREATE TABLE {self.table_sql(table)} (\n    {body}\n){self._table_suffix(table)}"
        )
        self.groups[1].extend(self._partitions(table))
        self.groups[1].extend(self._owned_sequences(table))
        self.groups[1].extend(self._comment_statements(table))

    def _column(self, table: Table, c: Column) -> tuple[str, list[str], bool]:
        """The column definition, table-level CHECKs it needs, and whether it carries the primary
        key itself (SQLite's ``PRIMARY KEY AUTOINCREMENT``)."""
        where = f"{table.key}.{c.name}"
        checks: list[str] = []
        if self.same:
            type_sql, ttype = declared_type(c, self.sql(c.sql_type, "type")), None
        else:
            # A foreign-key column takes the type of the column it references (typemap.type_origin).
            key, origin = type_origin(self.schema, table, c)
            facts = column_facts(
                origin,
                self.schema,
                keyed=(key, origin.name) in self.keyed,
                enum_type=self.enum_types.get((key, origin.name)),
            )
            ttype = target_type(facts, self.t.name)
            type_sql = ttype.sql
            if ttype.note:
                self.warn(where, ttype.note)
            checks += [f"CHECK ({condition(self.q(c.name))})" for condition in ttype.checks]
            checks += self._domain_checks(table, c)
        parts = [self.q(c.name), type_sql] if type_sql else [self.q(c.name)]
        parts += self._charset_words("CHARACTER SET ", "COLLATE ", c.charset, c.collation)
        generated = c.generated
        if (
            generated is not None
            and self.same
            and self.calls_missing(generated, where, "generation expression")
        ):
            generated = None
            self.warn(where, "created as a plain column (dbsynth never writes it)")
        if generated is not None and self.same:
            generated = self.sql(generated, "expression")
        if generated is not None and not self.same:
            generated = self.port(generated, table, "generation expression", where=where)
            if generated is None:
                self.warn(where, "created as a plain column (dbsynth never writes it)")
        if generated is not None and self.source not in STORED_ONLY:
            self.warn(where, "generated column created STORED (the Schema does not say VIRTUAL or STORED)")
        if generated is not None:
            parts.append(f"GENERATED ALWAYS AS ({parenthesized(generated)[1:-1]}) STORED")
        identity, inline_pk = IDENTITY[self.t.name](self, table, c, ttype)
        if identity:
            parts.append(identity)
        if not c.nullable:
            parts.append("NOT NULL")
        elif self.t.say_null and generated is None:
            parts.append("NULL")
        default = self._default(table, c, generated is not None)
        if default is not None:
            parts.append(f"DEFAULT {default}")
        if c.on_update is not None:
            if self.same:
                parts.append(f"ON UPDATE {self.sql(c.on_update, 'expression')}")
            else:
                self.warn(where, f"ON UPDATE {c.on_update} dropped ({self.t.name} has no such clause)")
        for check in self._column_checks(table).get(c.name, ()):
            name = check.name if self.t.column_check_names else None
            parts.append(f"{self.constraint(name)}CHECK ({self.sql(check.expression, 'expression')})")
        if c.comment and self.t.comments == "inline":
            parts.append(f"COMMENT {sql_string(c.comment, self.t.name)}")
        return " ".join(parts), checks, inline_pk

    def _column_checks(self, table: Table) -> dict[str, list[CheckConstraint]]:
        """Same dialect, the column CHECKs (MariaDB, SQLite) by the column that declares them: the
        first one they mention (MariaDB's mention only their own)."""
        out: dict[str, list[CheckConstraint]] = defaultdict(list)
        for check in table.checks if self.same else ():
            if self.missing.called(check.expression):
                continue  # _check drops it with its note
            if check.source == "column" and check.columns and check.columns[0] in table.column_names:
                out[check.columns[0]].append(check)
        return out

    def _default(self, table: Table, c: Column, generated: bool) -> str | None:
        if generated:
            return None
        if self.same and self.calls_missing(c.default, f"{table.key}.{c.name}", f"DEFAULT {c.default}"):
            return None
        if self.same:
            default = None if c.default is None else self.sql(c.default, "expression")
            return parenthesize_default(default) if self.t.parenthesize_defaults else default
        if c.identity is not None and c.identity.kind == "serial":
            return None  # nextval(...) is the identity itself
        column = c
        if c.default is None and c.domain and not c.array_dims:
            domain = find_domain(self.schema, c.domain)
            if domain is not None and domain.default is not None:
                column = Column(c.name, c.sql_type, c.logical, default=domain.default, precision=c.precision)
        try:
            return port_default(column, self.source, self.t.name)
        except PortError as exc:
            self.warn(f"{table.key}.{c.name}", f"{exc}; dropped")
            return None

    def _domain_checks(self, table: Table, c: Column) -> list[str]:
        """Across dialects a PostgreSQL domain's CHECKs become CHECKs of each column using it."""
        domain = find_domain(self.schema, c.domain) if c.domain and not c.array_dims else None
        out = []
        for check in domain.checks if domain else ():
            text = self.port(
                check.expression, table, f"domain CHECK {check.name}", c.name, f"{table.key}.{c.name}"
            )
            if text:
                out.append(f"{self.constraint(self.claim('check', check.name, table))}CHECK ({text})")
        return out

    def _check(self, table: Table, check: CheckConstraint) -> str | None:
        if self.same and self.calls_missing(
            check.expression, table.key, f"CHECK {check.name or ''}".rstrip()
        ):
            return None
        text: str | None = self.sql(check.expression, "expression") if self.same else None
        if not self.same:
            m = _JSON_VALID.fullmatch(check.expression.strip())
            column = next((c for c in table.columns if m and c.name == m.group(1)), None)
            if column is not None and column.logical is L.JSON and JSON_VALIDATES[self.t.name]:
                return None  # the target's JSON type validates documents itself
            text = self.port(check.expression, table, f"CHECK {check.name or ''}".rstrip())
        if text is None:
            return None
        name = self.claim("check", check.name, table)
        return f"{self.constraint(name)}CHECK ({text})"

    def _creates(self, table: Table, fk: ForeignKey) -> bool:
        """Whether ``fk`` becomes a constraint of the target. Virtual FKs never do. MySQL's InnoDB
        lets an FK reference any indexed columns; PostgreSQL and SQLite want a primary key or a
        UNIQUE constraint there, so across dialects such an FK stays a relation that generation
        honours (every child row references an existing parent row) but is not created."""
        if fk.virtual:
            return False
        if self.same:
            return True
        parent = self.schema.table(fk.ref_table)
        keys = [parent.primary_key.columns] if parent.primary_key else []
        keys += [u.columns for u in parent.uniques if u.where is None]
        if any(set(k) == set(fk.ref_columns) for k in keys):
            return True
        name = f"{fk.name} " if fk.name else ""
        self.warn(
            table.key,
            f"foreign key {name}({', '.join(fk.columns)}) references {parent.key} "
            f"({', '.join(fk.ref_columns)}), which is not a key there; not created in the target "
            "(generated rows still reference existing parent rows)",
        )
        return False

    def _fk(self, table: Table, fk: ForeignKey) -> str:
        parent = self.schema.table(fk.ref_table)
        name = self.claim("fk", fk.name, table)
        columns, ref_columns = fk.columns, fk.ref_columns
        if self.t.fk_in_key_order and not self.same:
            columns, ref_columns = in_key_order(parent, columns, ref_columns)
        text = (
            f"{self.constraint(name)}FOREIGN KEY ({self.columns_sql(columns)}) "
            f"REFERENCES {self.table_sql(parent)} ({self.columns_sql(ref_columns)})"
        )
        not_null = any(not table.column(c).nullable for c in fk.columns)
        for clause, action in (("ON DELETE", fk.on_delete), ("ON UPDATE", fk.on_update)):
            if action not in self.t.fk_actions:
                self.warn(
                    table.key, f"foreign key {fk.name or ''} {clause} {action} is not supported; dropped"
                )
            elif action == "SET NULL" and not_null and self.t.strict_set_null:
                self.warn(
                    table.key, f"foreign key {fk.name or ''} {clause} SET NULL on NOT NULL columns dropped"
                )
            elif action != self.t.fk_default_action:
                text += f" {clause} {action}"
        if fk.deferrable and not self.t.deferrable:
            self.warn(table.key, f"foreign key {fk.name or ''} is DEFERRABLE, which {self.t.name} is not")
        elif fk.deferrable:
            text += " DEFERRABLE INITIALLY DEFERRED" if fk.initially_deferred else " DEFERRABLE"
        return text

    def _table_suffix(self, table: Table) -> str:
        suffix = ""
        if table.inherits:
            if self.same:
                parents = ", ".join(self.table_sql(self.schema.table(p)) for p in table.inherits)
                suffix += f" INHERITS ({parents})"
            else:
                self.warn(
                    table.key, f"inherits from {', '.join(table.inherits)}: created as a table of its own"
                )
        if table.comment and self.t.comments == "inline":
            suffix += f" COMMENT={sql_string(table.comment, self.t.name)}"
        suffix += "".join(
            f" {w}"
            for w in self._charset_words("DEFAULT CHARSET=", "COLLATE=", table.charset, table.collation)
        )
        p = table.partitioning
        if p is not None and not self.same:
            self.warn(table.key, f"partitioning ({p.strategy} on {p.key}) dropped: created as one table")
        elif p is not None:
            key = self.sql(p.key, "expressions")
            suffix += f" PARTITION BY {self.sql(p.strategy, 'word').upper()} ({key})"
            if self.t.partitions == "clause":
                # Hash and key partitionings have no bounds: only their number is declared.
                if not p.bounds:
                    return f"{suffix} PARTITIONS {len(p.partitions)}"
                pairs = zip(p.partitions, p.bounds, strict=True)
                bounds = (f"PARTITION {self.q(n)} {self.sql(b, 'partition bound')}" for n, b in pairs)
                suffix += " (" + ", ".join(bounds) + ")"
        return suffix

    def _charset_words(
        self, charset_word: str, collate_word: str, charset: str | None, collation: str | None
    ) -> list[str]:
        """MySQL/MariaDB character set and collation clauses, only within that dialect (its own
        names mean nothing elsewhere)."""
        if not (self.same and self.t.name == "mysql"):
            return []
        words = [charset_word + self.sql(charset, "word")] if charset else []
        return words + ([collate_word + self.sql(collation, "word")] if collation else [])

    def _partitions(self, table: Table) -> list[str]:
        p = table.partitioning
        if p is None or not self.same or self.t.partitions != "statements":
            return []
        return self._partitions_of(table.schema, self.table_sql(table), p)

    def _partitions_of(self, schema: str | None, parent: str, p: Partitioning) -> list[str]:
        """``CREATE TABLE ... PARTITION OF`` each partition of ``parent``; one that is partitioned
        itself says how, and its own partitions follow it (multi-level partitioning)."""
        sub = {s.partition: s.partitioning for s in p.subpartitioned}
        out = []
        for key, bound in zip(p.partitions, p.bounds, strict=True):
            prefix = f"{schema}."
            namespace, _, name = (
                (schema, "", key[len(prefix) :]) if key.startswith(prefix) else key.rpartition(".")
            )
            partition = qualified(self, namespace or schema, name)
            statement = f"CREATE TABLE {partition} PARTITION OF {parent} {self.sql(bound, 'partition bound')}"
            below = sub.get(key)
            if below is None:
                out.append(statement)
                continue
            key_sql = self.sql(below.key, "expressions")
            out.append(f"{statement} PARTITION BY {self.sql(below.strategy, 'word').upper()} ({key_sql})")
            out += self._partitions_of(namespace or schema, partition, below)
        return out

    def _owned_sequences(self, table: Table) -> list[str]:
        """A serial sequence belongs to the first column that uses it, as ``serial`` makes it."""
        if not (self.same and self.t.serial_sequences):
            return []
        out = []
        for c in table.columns:
            sequence = c.identity.sequence if c.identity and c.identity.kind == "serial" else None
            if sequence and self.sequence_owner.get(sequence) == (table.key, c.name):
                column = f"{self.table_sql(table)}.{self.q(c.name)}"
                out.append(f"ALTER SEQUENCE {self.sql(sequence, 'name')} OWNED BY {column}")
        return out

    def _comment_statements(self, table: Table) -> list[str]:
        if self.t.comments != "statement":
            return []
        out = []
        if table.comment:
            out.append(
                f"COMMENT ON TABLE {self.table_sql(table)} IS {sql_string(table.comment, self.t.name)}"
            )
        for c in table.columns:
            if c.comment:
                target = f"{self.table_sql(table)}.{self.q(c.name)}"
                out.append(f"COMMENT ON COLUMN {target} IS {sql_string(c.comment, self.t.name)}")
        return out

    # -- indexes --
