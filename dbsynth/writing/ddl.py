"""Target schema creation: a :class:`~dbsynth.schema.Schema` in, the DDL that rebuilds it out.

:func:`schema_ddl` builds a :class:`DdlScript`, plain data that ``generate --dry-run
--create-schema`` prints and :func:`create_schema` executes (one code path, two consumers). The
statements come in four groups, in execution order:

1. namespaces, types and sequences: PostgreSQL ``CREATE SCHEMA IF NOT EXISTS`` (not for
   ``public``, which every database has and which a role without CREATE on the database could not
   even "create if not exists"), enum types, domains (bases first), and the sequences of
   ``serial`` columns, which their ``DEFAULT nextval(...)`` needs before the table exists;
2. tables, parents before inheritance children, each with its columns (defaults, identity /
   serial / AUTO_INCREMENT, generated columns, comments), primary key, UNIQUE constraints and
   CHECKs; a PostgreSQL partitioned table then its partitions (``PARTITION OF ... FOR VALUES``)
   and the ``OWNED BY`` of its serial sequences;
3. indexes: unique indexes (partial ones with their predicate) and plain ones with their access
   method (gin, gist, FULLTEXT, ...);
4. foreign keys, as ``ALTER TABLE ... ADD CONSTRAINT`` so that cycles need no ordering. SQLite has
   no such statement: there they are part of CREATE TABLE (SQLite resolves them when rows are
   written, so cycles are fine there too). Virtual foreign keys are never created.

Same dialect, the target is exact: each column's ``sql_type``, default and CHECK text is used as
the source printed it, constraint and index names are kept, and a ``serial`` column gets its
sequence created under the same name (rather than becoming an identity column) so that
``Identity.sequence`` names a sequence of the target too. Across dialects (see
:mod:`dbsynth.writing.ddl_types`) types go by logical type, CHECKs and generation expressions are
transpiled by sqlglot, defaults are kept when they are literals or the current time, and names
that would clash in the target (MySQL index names are per table, PostgreSQL's per schema) are
prefixed with their table's name. Whatever is approximated or dropped is a line of
``DdlScript.warnings``.

Table names never change: :func:`target_table_name` is the one mapping writers share. A
PostgreSQL target keeps the source's schema names (``public`` for MySQL and SQLite sources) and
quotes names exactly (Chinook's ``Album`` stays ``"Album"``), so the model's table keys still
match.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from dbsynth.db import BACKEND_ALIASES
from dbsynth.errors import SchemaError, TargetError, UnsupportedDatabase, UsageError, did_you_mean
from dbsynth.plugins import extension_statements
from dbsynth.schema import CheckConstraint, Column, Domain, ForeignKey, Index, LogicalType, Schema, Table
from dbsynth.writing.ddl_types import (
    JSON_VALIDATES,
    SA_DIALECTS,
    TARGETS,
    Kind,
    Names,
    PortError,
    TargetType,
    column_facts,
    declared_type,
    find_domain,
    parenthesize_default,
    parenthesized,
    port_default,
    port_expression,
    prefix_column,
    sql_string,
    target_type,
)

L = LogicalType
DIALECTS = ("postgresql", "mysql", "sqlite")
DEFAULT_NAMESPACE: dict[str, str | None] = {"postgresql": "public", "mysql": None, "sqlite": None}


@dataclass(frozen=True)
class DdlScript:
    """The statements that create a Schema in ``dialect``, in execution order (no trailing
    semicolons), and one warning per thing approximated or dropped on the way. Deterministic:
    the same Schema and dialect give the same script."""

    dialect: str
    statements: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    def sql(self) -> str:
        """The script as one SQL text, warnings first as comments."""
        head = "".join(f"-- warning: {w}\n" for w in self.warnings)
        return head + "".join(f"{s};\n" for s in self.statements)


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


def target_dialect_name(dialect: str) -> str:
    """``postgresql``, ``mysql`` or ``sqlite`` for a dialect name or alias (``mariadb``, ``pg``)."""
    name = dialect.strip().lower()
    name = {**BACKEND_ALIASES, "mariadb": "mysql"}.get(name, name)
    if name not in DIALECTS:
        raise UnsupportedDatabase(
            f"cannot create a schema in a '{dialect}' database; dbsynth creates "
            + ", ".join(DIALECTS)
            + " schemas."
            + did_you_mean(dialect, DIALECTS)
        )
    return name


def target_table_name(table: Table, target_dialect: str) -> tuple[str | None, str]:
    """``(schema, name)`` of ``table`` in a ``target_dialect`` database: PostgreSQL keeps the
    source's schema (``public`` when the source has none); MySQL and SQLite have no schemas (the
    connection's database is the target). Names are never changed."""
    target = target_dialect_name(target_dialect)
    namespace = DEFAULT_NAMESPACE[target]
    return (table.schema or namespace if namespace else None), table.name


def schema_ddl(schema: Schema, target_dialect: str) -> DdlScript:
    """The DDL that creates ``schema`` in an empty ``target_dialect`` database (see the module
    docstring for the order and the rules)."""
    target = target_dialect_name(target_dialect)
    if schema.dialect not in DIALECTS:
        raise UnsupportedDatabase(
            f"cannot create tables from a '{schema.dialect}' schema; dbsynth reads " + ", ".join(DIALECTS)
        )
    return _Builder(schema, target).build()


def create_schema(conn: Any, schema: Schema, *, target_dialect: str) -> DdlScript:
    """Run :func:`schema_ddl` on ``conn`` (a SQLAlchemy ``Connection`` or a psycopg 3
    ``Connection``) and return the script it ran.

    Nothing is committed here: the statements run in the caller's transaction. PostgreSQL DDL is
    transactional, so a rollback undoes all of it. MySQL/MariaDB commit each DDL statement
    implicitly: after a failure the statements before it stay applied (the error says how many).
    SQLite DDL is transactional when the caller has begun a transaction; the pysqlite driver does
    not begin one for DDL by itself.
    """
    script = schema_ddl(schema, target_dialect)
    run, connected, errors = _runner(conn)
    if connected != script.dialect:
        raise UsageError(
            f"the target dialect is '{script.dialect}' but the connection is to a {connected} database"
        )
    for number, statement in enumerate(script.statements, 1):
        try:
            run(statement)
        except errors as exc:
            kept = (
                ""
                if script.dialect != "mysql" or number == 1
                else (f"; MySQL committed the {number - 1} statement(s) before it")
            )
            first = " ".join(statement.split())[:120]
            message = " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]
            raise TargetError(
                f"creating the target schema failed at statement {number} of {len(script.statements)} "
                f"({first}): {message}{kept}"
            ) from None
    return script


def _runner(conn: Any) -> tuple[Callable[[str], object], str, tuple[type[BaseException], ...]]:
    """How to run one statement on ``conn``, the dialect it speaks, and its driver's errors."""
    if type(conn).__module__.split(".")[0] == "psycopg":
        import psycopg

        # No parameters: psycopg sends the text as is, so a '%' in a CHECK needs no escaping.
        return conn.execute, "postgresql", (psycopg.Error,)
    from sqlalchemy.engine import Connection
    from sqlalchemy.exc import DBAPIError

    if not isinstance(conn, Connection):
        raise UsageError(f"create_schema needs a SQLAlchemy or psycopg connection, not {type(conn).__name__}")
    options = {"no_parameters": True}  # the driver gets the text as is ('%' in a LIKE pattern)
    name = conn.dialect.name
    return (
        lambda s: conn.exec_driver_sql(s, execution_options=options),
        "mysql" if name == "mariadb" else name,
        (DBAPIError,),
    )


# -- building the script -------------------------------------------------------------------------


class _Builder:
    """Builds one DdlScript; ``same`` selects the exact same-dialect path."""

    def __init__(self, schema: Schema, target: str) -> None:
        self.schema, self.source, self.t = schema, schema.dialect, TARGETS[target]
        self.same = self.source == target
        self.preparer = SA_DIALECTS[target]().identifier_preparer
        self.names = Names(self.t, not self.same)
        self.warnings: list[str] = []
        self.groups: tuple[list[str], list[str], list[str], list[str]] = ([], [], [], [])
        self.enum_types: dict[tuple[str, str], str] = {}
        self.keyed = _keyed_columns(schema, with_methods=self.same)
        self.sequence_owner: dict[str, tuple[str, str]] = {}
        for table in _parents_first(schema):
            for c in table.columns:
                if c.identity and c.identity.kind == "serial" and c.identity.sequence:
                    self.sequence_owner.setdefault(c.identity.sequence, (table.key, c.name))

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

    def port(
        self, text: str, table: Table, what: str, value_column: str | None = None, where: str | None = None
    ) -> str | None:
        columns = table.column_names
        try:
            return port_expression(text, self.source, self.t.name, columns, value_column=value_column)
        except PortError as exc:
            self.warn(where or table.key, f"{what} ({text}) dropped: {exc}")
            return None

    # -- the script --

    def build(self) -> DdlScript:
        tables = _parents_first(self.schema)
        self._claim_tables(tables)
        # Extension types (PostGIS geometry) must exist before any table that uses them.
        self.groups[0].extend(extension_statements(self.schema, self.t.name))
        self._namespaces(tables)
        if self.same:
            self._enums()
            self._domains()
            self._sequences()
        else:
            self._enum_types_for_columns(tables)
        for table in tables:
            self._table(table)
        for table in tables:
            self._indexes(table)
        if not self.t.inline_fks:
            for table in tables:
                for fk in table.foreign_keys:
                    if not fk.virtual:
                        self.groups[3].append(
                            f"ALTER TABLE {self.table_sql(table)} ADD {self._fk(table, fk)}"
                        )
        return DdlScript(self.t.name, tuple(s for g in self.groups for s in g), tuple(self.warnings))

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
        for name in dict.fromkeys(n for n in named if n and n != DEFAULT_NAMESPACE[self.t.name]):
            self.groups[0].append(f"CREATE SCHEMA IF NOT EXISTS {self.q(name)}")

    def _qualified(self, namespace: str | None, name: str) -> str:
        return f"{self.q(namespace)}.{self.q(name)}" if namespace else self.q(name)

    def _enums(self) -> None:
        for e in self.schema.enums:
            labels = ", ".join(sql_string(x, self.t.name) for x in e.labels)
            self.groups[0].append(f"CREATE TYPE {self._qualified(e.schema, e.name)} AS ENUM ({labels})")

    def _domains(self) -> None:
        for d in _domains_bases_first(self.schema):
            base = find_domain(self.schema, d.base_type)
            # A domain over a domain lists the whole chain's CHECKs; it declares only its own.
            inherited = set(base.checks) if base else set()
            parts = [f"CREATE DOMAIN {self._qualified(d.schema, d.name)} AS {d.base_type}"]
            if d.default is not None and not (base and base.default == d.default):
                parts.append(f"DEFAULT {d.default}")
            if not d.nullable and (base is None or base.nullable):
                parts.append("NOT NULL")
            parts += [
                f"{self.constraint(c.name)}CHECK ({c.expression})" for c in d.checks if c not in inherited
            ]
            self.groups[0].append(" ".join(parts))

    def _sequences(self) -> None:
        seen: set[str] = set()
        for table in self.schema.tables:
            for c in table.columns:
                ident = c.identity
                if ident is None or ident.kind != "serial" or not ident.sequence or ident.sequence in seen:
                    continue
                seen.add(ident.sequence)
                parts = [f"CREATE SEQUENCE {ident.sequence}"]
                if c.sql_type in ("smallint", "integer"):  # what serial/smallserial create
                    parts.append(f"AS {c.sql_type}")
                if ident.increment != 1:
                    parts.append(f"INCREMENT BY {ident.increment}")
                if ident.start != 1:
                    parts.append(f"START WITH {ident.start}")
                self.groups[0].append(" ".join(parts))

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
                quoted = self._qualified(self.namespace(table), name)
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
        if self.t.inline_fks:
            pieces += [self._fk(table, fk) for fk in table.foreign_keys if not fk.virtual]
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
            type_sql, ttype = declared_type(c), None
        else:
            facts = column_facts(
                c,
                self.schema,
                keyed=(table.key, c.name) in self.keyed,
                enum_type=self.enum_types.get((table.key, c.name)),
            )
            ttype = target_type(facts, self.t.name)
            type_sql = ttype.sql
            if ttype.note:
                self.warn(where, ttype.note)
            checks += [f"CHECK ({cond.format(col=self.q(c.name))})" for cond in ttype.checks]
            checks += self._domain_checks(table, c)
        parts = [self.q(c.name), type_sql] if type_sql else [self.q(c.name)]
        generated = c.generated
        if generated is not None and not self.same:
            generated = self.port(generated, table, "generation expression", where=where)
            if generated is None:
                self.warn(where, "created as a plain column (dbsynth never writes it)")
        if generated is not None and self.source not in STORED_ONLY:
            self.warn(where, "generated column created STORED (the Schema does not say VIRTUAL or STORED)")
        if generated is not None:
            parts.append(f"GENERATED ALWAYS AS ({parenthesized(generated)[1:-1]}) STORED")
        identity, inline_pk = _IDENTITY[self.t.name](self, table, c, ttype)
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
                parts.append(f"ON UPDATE {c.on_update}")
            else:
                self.warn(where, f"ON UPDATE {c.on_update} dropped ({self.t.name} has no such clause)")
        for check in self._column_checks(table).get(c.name, ()):
            name = check.name if self.t.column_check_names else None
            parts.append(f"{self.constraint(name)}CHECK ({check.expression})")
        if c.comment and self.t.comments == "inline":
            parts.append(f"COMMENT {sql_string(c.comment, self.t.name)}")
        return " ".join(parts), checks, inline_pk

    def _column_checks(self, table: Table) -> dict[str, list[CheckConstraint]]:
        """Same dialect, the column CHECKs (MariaDB, SQLite) by the column that declares them: the
        first one they mention (MariaDB's mention only their own)."""
        out: dict[str, list[CheckConstraint]] = defaultdict(list)
        for check in table.checks if self.same else ():
            if check.source == "column" and check.columns and check.columns[0] in table.column_names:
                out[check.columns[0]].append(check)
        return out

    def _default(self, table: Table, c: Column, generated: bool) -> str | None:
        if generated:
            return None
        if self.same:
            return parenthesize_default(c.default) if self.t.parenthesize_defaults else c.default
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
        text: str | None = check.expression
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

    def _fk(self, table: Table, fk: ForeignKey) -> str:
        parent = self.schema.table(fk.ref_table)
        name = self.claim("fk", fk.name, table)
        columns, ref_columns = fk.columns, fk.ref_columns
        if self.t.fk_in_key_order and not self.same:
            columns, ref_columns = _in_key_order(parent, columns, ref_columns)
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
        p = table.partitioning
        if p is not None and not self.same:
            self.warn(table.key, f"partitioning ({p.strategy} on {p.key}) dropped: created as one table")
        elif p is not None:
            suffix += f" PARTITION BY {p.strategy.upper()} ({p.key})"
            if self.t.partitions == "clause":
                # Hash and key partitionings have no bounds: only their number is declared.
                if not p.bounds:
                    return f"{suffix} PARTITIONS {len(p.partitions)}"
                pairs = zip(p.partitions, p.bounds, strict=True)
                suffix += " (" + ", ".join(f"PARTITION {self.q(n)} {b}" for n, b in pairs) + ")"
        return suffix

    def _partitions(self, table: Table) -> list[str]:
        p = table.partitioning
        if p is None or not self.same or self.t.partitions != "statements":
            return []
        out = []
        for key, bound in zip(p.partitions, p.bounds, strict=True):
            prefix = f"{table.schema}."
            namespace, name = (
                (table.schema, key[len(prefix) :]) if key.startswith(prefix) else key.split(".", 1)
            )
            partition = self._qualified(namespace, name)
            out.append(f"CREATE TABLE {partition} PARTITION OF {self.table_sql(table)} {bound}")
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
                out.append(f"ALTER SEQUENCE {sequence} OWNED BY {column}")
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

    def _indexes(self, table: Table) -> None:
        on = self.table_sql(table)
        for u in table.uniques:
            if u.kind != "index":
                continue
            where: str | None = u.where
            if where is not None and not self.same:
                if not self.t.partial_indexes:
                    self.warn(table.key, f"partial unique index {u.name} (WHERE {u.where}) dropped")
                    continue
                where = self.port(where, table, f"partial unique index {u.name}")
                if where is None:
                    continue
            name = self.claim("index", u.name, table)
            text = f"CREATE UNIQUE INDEX {self.q(name or '')} ON {on} ({self.columns_sql(u.columns)})"
            self.groups[2].append(text + (f" WHERE {where}" if where else ""))
        for ix in table.indexes:
            statement = self._index(table, ix)
            if statement:
                self.groups[2].append(statement)

    def _index(self, table: Table, ix: Index) -> str | None:
        if ix.method and not self.same:
            self.warn(table.key, f"{ix.method} index {ix.name} dropped ({self.t.name} has no such index)")
            return None
        elements = self._index_elements(table, ix)
        if elements is None:
            return None
        name = self.claim("index", ix.name, table)
        kind = f"{ix.method.upper()} " if ix.method and self.t.method_syntax == "keyword" else ""
        using = f" USING {ix.method}" if ix.method and self.t.method_syntax == "using" else ""
        return f"CREATE {kind}INDEX {self.q(name or '')} ON {self.table_sql(table)}{using} ({elements})"

    def _index_elements(self, table: Table, ix: Index) -> str | None:
        if not ix.expressions:
            return self.columns_sql(ix.columns)
        spelled = {self.q(c): c for c in ix.columns} | {c: c for c in ix.columns}
        out = []
        for element in ix.expressions:
            column = spelled.get(element) or prefix_column(element, ix.columns)
            if self.same:
                wrap = self.t.wrap_index_expressions and column is None
                out.append(parenthesized(element) if wrap else element)
            elif column is not None:
                if column != spelled.get(element):
                    self.warn(table.key, f"index {ix.name}: key part {element} indexes the whole column")
                out.append(self.q(column))
            elif not self.t.expression_indexes:
                self.warn(table.key, f"index {ix.name} on expression {element} dropped")
                return None
            else:
                ported = self.port(element, table, f"index {ix.name} on expression")
                if ported is None:
                    return None
                out.append(parenthesized(ported))
        return ", ".join(out)


# -- identities, per target --------------------------------------------------------------------


def _pg_identity(b: _Builder, table: Table, c: Column, ttype: TargetType | None) -> tuple[str | None, bool]:
    ident = c.identity
    if ident is None or (b.same and ident.kind == "serial"):
        return None, False  # a serial's DEFAULT nextval(...) numbers it
    if ttype is not None and not ttype.integer:
        b.warn(f"{table.key}.{c.name}", f"{ident.kind} numbering dropped: {ttype.sql} is not an integer type")
        return None, False
    options = []
    if b.same and ident.sequence:
        options.append(f"SEQUENCE NAME {ident.sequence}")
    if ident.start != 1:
        options.append(f"START WITH {ident.start}")
    if ident.increment != 1:
        options.append(f"INCREMENT BY {ident.increment}")
    when = "ALWAYS" if ident.kind == "always" else "BY DEFAULT"
    return f"GENERATED {when} AS IDENTITY" + (f" ({' '.join(options)})" if options else ""), False


def _mysql_identity(
    b: _Builder, table: Table, c: Column, ttype: TargetType | None
) -> tuple[str | None, bool]:
    if c.identity is None:
        return None, False
    if b.same:
        return "AUTO_INCREMENT", False
    # MySQL numbers one integer column per table, and only one that leads some key.
    leads = {k.columns[0] for k in (table.primary_key, *table.uniques, *table.indexes) if k and k.columns}
    first = next((x.name for x in table.columns if x.identity is not None and x.name in leads), None)
    if c.name != first or (ttype is not None and not ttype.integer):
        why = "AUTO_INCREMENT needs an integer column leading a key, one per table"
        b.warn(f"{table.key}.{c.name}", f"{c.identity.kind} numbering dropped: {why}")
        return None, False
    return "AUTO_INCREMENT", False


def _sqlite_identity(
    b: _Builder, table: Table, c: Column, ttype: TargetType | None
) -> tuple[str | None, bool]:
    pk = table.primary_key
    type_sql = c.sql_type if ttype is None else ttype.sql
    sole_integer_key = pk is not None and pk.columns == (c.name,) and type_sql.strip().upper() == "INTEGER"
    if c.identity is None:
        if b.same and sole_integer_key:
            # The source made it no rowid (INTEGER PRIMARY KEY DESC, WITHOUT ROWID); a table-level
            # PRIMARY KEY would, so use the one spelling SQLite exempts.
            return f"{b.constraint(pk.name if pk else None)}PRIMARY KEY DESC", True
        return None, False
    if not sole_integer_key:
        where = f"{table.key}.{c.name}"
        b.warn(where, f"{c.identity.kind} numbering dropped: SQLite numbers only an INTEGER PRIMARY KEY")
        return None, False
    if b.same and c.identity.sequence == "sqlite_sequence":
        return f"{b.constraint(pk.name if pk else None)}PRIMARY KEY AUTOINCREMENT", True
    return None, False  # the one-column INTEGER primary key is the rowid


_IDENTITY: dict[str, Callable[[_Builder, Table, Column, TargetType | None], tuple[str | None, bool]]] = {
    "postgresql": _pg_identity,
    "mysql": _mysql_identity,
    "sqlite": _sqlite_identity,
}


# -- small pure helpers --------------------------------------------------------------------------


def _in_key_order(
    parent: Table, columns: tuple[str, ...], ref_columns: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The FK's column pairs reordered to follow a key of the parent with the same columns:
    PostgreSQL accepts (code, region) against UNIQUE (region, code), MySQL does not."""
    keys = [parent.primary_key.columns] if parent.primary_key else []
    keys += [u.columns for u in parent.uniques]
    pairs = dict(zip(ref_columns, columns, strict=True))
    for key in keys:
        if key != ref_columns and set(key) == set(ref_columns) and len(key) == len(ref_columns):
            return tuple(pairs[k] for k in key), key
    return columns, ref_columns


def _keyed_columns(schema: Schema, *, with_methods: bool) -> set[tuple[str, str]]:
    """(table key, column) of every column in a key, an index or a foreign key (either end);
    indexes with an access method only ``with_methods`` (across dialects they are dropped)."""
    out: set[tuple[str, str]] = set()
    for t in schema.tables:
        groups = [t.primary_key.columns if t.primary_key else (), *(u.columns for u in t.uniques)]
        groups += [ix.columns for ix in t.indexes if with_methods or not ix.method]
        groups += [fk.columns for fk in t.foreign_keys]
        out.update((t.key, c) for g in groups for c in g)
        for fk in t.foreign_keys:
            out.update((schema.table(fk.ref_table).key, c) for c in fk.ref_columns)
    return out


def _parents_first(schema: Schema) -> list[Table]:
    """The tables in Schema order, moved after their inheritance parents where needed."""
    out: list[Table] = []
    placed: set[str] = set()

    def place(t: Table, seen: frozenset[str]) -> None:
        if t.key in placed or t.key in seen:
            return
        for parent in t.inherits:
            if schema.has_table(parent):
                place(schema.table(parent), seen | {t.key})
        placed.add(t.key)
        out.append(t)

    for t in schema.tables:
        place(t, frozenset())
    return out


def _domains_bases_first(schema: Schema) -> list[Domain]:
    out: list[Domain] = []

    def place(d: Domain, seen: frozenset[str]) -> None:
        if d in out or d.name in seen:
            return
        base = find_domain(schema, d.base_type)
        if base is not None:
            place(base, seen | {d.name})
        out.append(d)

    for d in schema.domains:
        place(d, frozenset())
    return out


__all__ = ["DdlScript", "create_schema", "schema_ddl", "target_dialect_name", "target_table_name"]
