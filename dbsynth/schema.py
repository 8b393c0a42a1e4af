"""The dialect-neutral picture of a live database schema.

Everything downstream (graph, fit, plan, generate, DDL) reads a :class:`Schema` and never the
database catalog again, so the Schema carries all a target needs to be rebuilt: exact SQL type
text, logical types, keys (composite from the start), CHECK text, enums, domains, partitions.

Invariants (checked by ``Schema.__post_init__`` where cheap):

* Table keys (``Table.key``) are unique within a Schema; a key is ``"schema.name"`` when the
  database has namespaces (PostgreSQL) and ``"name"`` otherwise.
* Every ``ForeignKey.ref_table`` is the key of a table in the same Schema (FKs to tables outside
  the introspected set are dropped by introspection with a warning).
* ``ForeignKey.columns`` and ``ref_columns`` have the same length (composite keys pair up).
* Partitions and views are not tables here: a partitioned table is one ``Table`` whose
  ``partitioning`` lists its partitions.

The JSON form (``to_json`` / ``from_json``) round-trips exactly, except ``Routine.definition``
and ``View.definition`` (code), which are never written to JSON and take no part in equality.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Literal

from dbsynth.errors import SchemaError, did_you_mean
from dbsynth.serde import from_data, to_data

SCHEMA_FORMAT = 1


class LogicalType(StrEnum):
    """What a column holds, independent of the dialect's spelling of it."""

    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOAT = "float"
    BOOLEAN = "boolean"
    STRING = "string"  # bounded or short text: varchar(n), char(n)
    TEXT = "text"  # unbounded text
    DATE = "date"
    TIME = "time"
    TIMESTAMP = "timestamp"
    TIMESTAMPTZ = "timestamptz"
    INTERVAL = "interval"
    UUID = "uuid"
    JSON = "json"
    BYTES = "bytes"
    ENUM = "enum"
    SET = "set"  # MySQL SET: any subset of the labels
    ARRAY = "array"
    OTHER = "other"  # unknown to dbsynth: the SQL text is kept and a warning is recorded


IdentityKind = Literal["always", "by_default", "serial", "auto_increment", "rowid"]
FkAction = Literal["NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"]


@dataclass(frozen=True)
class Identity:
    """How the database numbers a column by itself.

    ``always``/``by_default`` are SQL identity columns, ``serial`` a PostgreSQL column whose
    default is ``nextval(sequence)``, ``auto_increment`` MySQL's, ``rowid`` SQLite's
    ``INTEGER PRIMARY KEY`` alias. ``sequence`` is the sequence to reset after a load.
    """

    kind: IdentityKind
    sequence: str | None = None
    start: int = 1
    increment: int = 1


@dataclass(frozen=True)
class Column:
    """One column. ``sql_type`` is the source dialect's exact type text (``character varying(45)``,
    ``enum('G','PG')``, ``mpaa_rating``); ``logical`` is what dbsynth models it as.

    For arrays ``element`` is the logical type of the elements and ``element_sql_type`` their SQL
    text; ``array_dims`` is the declared number of dimensions (PostgreSQL does not enforce it).
    ``enum_labels`` holds the allowed labels of ENUM and SET columns, in declaration order.
    ``domain`` names a PostgreSQL domain whose base type is ``sql_type``'s base.
    ``generated`` is the expression of a generated (computed) column: never written by dbsynth.
    ``on_update`` is MySQL's ``ON UPDATE`` expression (``current_timestamp()``), kept apart from
    ``default`` so other dialects can ignore it.
    """

    name: str
    sql_type: str
    logical: LogicalType
    nullable: bool = True
    default: str | None = None
    identity: Identity | None = None
    generated: str | None = None
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    unsigned: bool = False
    enum_type: str | None = None
    enum_labels: tuple[str, ...] | None = None
    domain: str | None = None
    element: LogicalType | None = None
    element_sql_type: str | None = None
    array_dims: int = 0
    on_update: str | None = None
    comment: str | None = None
    # MySQL/MariaDB: set only where the column differs from its table's character set/collation.
    charset: str | None = None
    collation: str | None = None

    @property
    def writable(self) -> bool:
        """False for generated columns, which the database computes itself."""
        return self.generated is None


@dataclass(frozen=True)
class PrimaryKey:
    columns: tuple[str, ...]
    name: str | None = None


@dataclass(frozen=True)
class UniqueConstraint:
    """A UNIQUE constraint or a unique index (``kind``); ``where`` is a partial index predicate."""

    columns: tuple[str, ...]
    name: str | None = None
    kind: Literal["constraint", "index"] = "constraint"
    where: str | None = None


@dataclass(frozen=True)
class ForeignKey:
    """``columns`` of this table reference ``ref_columns`` of ``ref_table`` (a ``Table.key``).

    ``virtual`` marks relations declared in dbsynth's config rather than in the database: they
    are generated like declared ones but never created as constraints in a target.
    ``inferred`` is set on a virtual key the fit found in the data rather than read from the
    config: the evidence, in counts (``dbsynth.config.inferred``).
    """

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    name: str | None = None
    on_delete: FkAction = "NO ACTION"
    on_update: FkAction = "NO ACTION"
    deferrable: bool = False
    initially_deferred: bool = False
    virtual: bool = False
    inferred: str | None = None


@dataclass(frozen=True)
class CheckConstraint:
    """A CHECK constraint as the database prints it; ``columns`` are those it mentions
    (empty when it could not be parsed). ``source`` says where it came from: the table, or a
    domain the column uses (then ``name`` is the domain constraint's)."""

    expression: str
    name: str | None = None
    columns: tuple[str, ...] = ()
    source: Literal["table", "domain", "column"] = "table"


@dataclass(frozen=True)
class Exclusion:
    """A PostgreSQL EXCLUDE constraint: ``columns`` it mentions and its ``definition`` as the
    database prints it (``EXCLUDE USING gist (room WITH =, during WITH &&)``); the definition is
    only ever shown, never executed.

    ``operators`` has one operator name per element of ``columns`` when every element is a plain
    column (empty when one is an expression); ``method`` is the index access method and ``where``
    the predicate of a partial exclusion. From these (not from the definition) a PostgreSQL
    target gets the constraint, and generation keeps the forms it knows
    (:mod:`dbsynth.planning.exclusions`)."""

    name: str
    columns: tuple[str, ...]
    definition: str
    operators: tuple[str, ...] = ()
    method: str | None = None
    where: str | None = None


@dataclass(frozen=True)
class Index:
    """A non-unique index, kept so a target can be built with the same access paths.

    ``opclasses`` is empty when every key element uses its type's default operator class;
    otherwise it has one entry per key element (``expressions`` when set, else ``columns``):
    the operator class name (``gin_trgm_ops``, ``public.gin_trgm_ops``) or None for the default.
    """

    columns: tuple[str, ...]
    name: str | None = None
    expressions: tuple[str, ...] = ()
    method: str | None = None  # btree (None), gin, gist, hash, fulltext, spatial ...
    opclasses: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class Partitioning:
    """A partitioned table: strategy (range/list/hash), the key text, and its partitions.
    ``subpartitioned`` holds the partitions that are partitioned themselves (multi-level
    partitioning), each with its own partitioning."""

    strategy: str
    key: str
    partitions: tuple[str, ...] = ()
    bounds: tuple[str, ...] = ()
    subpartitioned: tuple[Subpartitioning, ...] = ()


@dataclass(frozen=True)
class Subpartitioning:
    """``partition`` (a key of ``Partitioning.partitions``) is partitioned by ``partitioning``."""

    partition: str
    partitioning: Partitioning


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    schema: str | None = None
    primary_key: PrimaryKey | None = None
    uniques: tuple[UniqueConstraint, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: tuple[CheckConstraint, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    indexes: tuple[Index, ...] = ()
    row_estimate: int | None = None
    partitioning: Partitioning | None = None
    inherits: tuple[str, ...] = ()
    comment: str | None = None
    # MySQL/MariaDB: the table's default character set and collation (latin1 fits 4x more text
    # per row than utf8mb4; a _bin collation makes unique keys case-sensitive).
    charset: str | None = None
    collation: str | None = None

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise SchemaError(
            f"table {self.key} has no column '{name}'." + did_you_mean(name, [c.name for c in self.columns])
        )

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class EnumType:
    name: str
    labels: tuple[str, ...]
    schema: str | None = None


@dataclass(frozen=True)
class Domain:
    """A PostgreSQL domain: a named base type plus NOT NULL, default and CHECKs."""

    name: str
    base_type: str
    logical: LogicalType
    schema: str | None = None
    nullable: bool = True
    default: str | None = None
    checks: tuple[CheckConstraint, ...] = ()


@dataclass(frozen=True)
class Attribute:
    """One attribute of a composite type: its name and exact SQL type text."""

    name: str
    sql_type: str


@dataclass(frozen=True)
class CompositeType:
    """A PostgreSQL composite type (``CREATE TYPE name AS (...)``) that a column uses, directly, as
    an array element or under a domain, or that another such type uses; listed so that a type
    comes after the types its attributes use."""

    name: str
    attributes: tuple[Attribute, ...]
    schema: str | None = None


@dataclass(frozen=True)
class Extension:
    """A PostgreSQL extension that objects of the schema depend on (a column type, a default, an
    operator class, a function), created in ``schema`` so that the schema-qualified names the
    source prints (``public.gen_random_uuid()``) mean the same in the target. Listed so that an
    extension comes after those it requires."""

    name: str
    schema: str | None = None


@dataclass(frozen=True)
class Routine:
    """A user function that a CHECK, a default, a generated column or an index of the schema
    calls (directly or through another routine). ``signature`` is the function's identity
    (``musicbrainz.controlled_for_whitespace(text)``), ``language`` its language.

    ``calls`` are the signatures of the other routines of the Schema that its body calls.
    ``definition`` is its ``CREATE OR REPLACE FUNCTION`` text. It is transient: never written to
    JSON (a model file), because a function body is code that the target would run and a model
    file is untrusted. A Schema read from a file therefore names its routines without bodies, and
    the DDL drops what calls them, saying so; only a Schema introspected in the same run (clone)
    carries the bodies.
    """

    name: str
    schema: str | None
    signature: str
    language: str
    calls: tuple[str, ...] = ()
    definition: str | None = field(default=None, compare=False, metadata={"transient": True})


@dataclass(frozen=True)
class View:
    """A view or materialized view of the chosen namespaces. ``uses`` are the keys of the
    tables and views it reads, each listed view before the views that use it.

    ``definition`` (its query) is transient like :attr:`Routine.definition`: a query is code
    that the target would run, so it is never written to or read from JSON; a Schema from a file
    names its views, and the DDL says they are not carried."""

    name: str
    schema: str | None
    materialized: bool = False
    uses: tuple[str, ...] = ()
    definition: str | None = field(default=None, compare=False, metadata={"transient": True})


@dataclass(frozen=True)
class Schema:
    """A whole database (or the chosen namespaces of it) as introspected."""

    dialect: str
    tables: tuple[Table, ...]
    database: str | None = None
    server_version: str | None = None
    schemas: tuple[str, ...] = ()
    enums: tuple[EnumType, ...] = ()
    domains: tuple[Domain, ...] = ()
    composites: tuple[CompositeType, ...] = ()
    extensions: tuple[Extension, ...] = ()
    routines: tuple[Routine, ...] = ()
    views: tuple[View, ...] = ()
    # What the source has that no target gets, one phrase per kind ("3 triggers (a, b, c)").
    not_carried: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    format: int = SCHEMA_FORMAT
    _index: dict[str, Table] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Table] = {}
        for t in self.tables:
            if t.key in index:
                raise SchemaError(f"table {t.key} appears twice in the schema")
            index[t.key] = t
        object.__setattr__(self, "_index", index)

    @property
    def table_keys(self) -> tuple[str, ...]:
        return tuple(self._index)

    def table(self, name: str) -> Table:
        """The table whose key is ``name``, or whose bare name is ``name`` when that is unique."""
        if name in self._index:
            return self._index[name]
        bare = [t for t in self.tables if t.name == name]
        if len(bare) == 1:
            return bare[0]
        if len(bare) > 1:
            raise SchemaError(
                f"table name '{name}' is ambiguous: "
                + ", ".join(sorted(t.key for t in bare))
                + "; qualify it with its schema"
            )
        names = [*self._index, *(t.name for t in self.tables)]
        raise SchemaError(f"unknown table '{name}'." + did_you_mean(name, names))

    def has_table(self, name: str) -> bool:
        try:
            self.table(name)
        except SchemaError:
            return False
        return True

    def replace_table(self, table: Table) -> Schema:
        """A copy of this Schema with ``table`` (matched by key) swapped in."""
        return replace(self, tables=tuple(table if t.key == table.key else t for t in self.tables))

    # -- JSON ---------------------------------------------------------------------------------

    def to_data(self) -> dict[str, Any]:
        return to_data(self)  # type: ignore[no-any-return]

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_data(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Schema:
        if not isinstance(data, dict):
            raise SchemaError("a schema must be a JSON object")
        fmt = data.get("format", SCHEMA_FORMAT)
        if fmt != SCHEMA_FORMAT:
            raise SchemaError(f"schema format {fmt} is not supported (this dbsynth reads {SCHEMA_FORMAT})")
        try:
            return from_data(cls, data)  # type: ignore[no-any-return]
        except (TypeError, ValueError, KeyError) as exc:
            raise SchemaError(f"invalid schema document: {exc}") from None

    @classmethod
    def from_json(cls, text: str) -> Schema:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(f"invalid schema JSON: {exc}") from None
        return cls.from_data(data)
