"""PostgreSQL types → dbsynth logical types, and the columns built from them.

The type of a column is resolved through ``pg_type``: domains are walked down to their base
(a domain's own type modifier applies to its base, the column's is always -1), arrays are
split into their element, enums bring their labels. What a type *is* lives in the tables
below, not in if-chains, so adding a type is one line.

Decisions kept here (the integrator reads them once, downstream code relies on them):

* ``inet``, ``cidr``, ``macaddr``, ``macaddr8`` are ``STRING``: their text form round-trips
  through any writer. Note that psycopg returns ``inet``/``cidr`` as ``ipaddress`` objects.
* ``money`` is ``OTHER``: psycopg returns it as locale-formatted text (``'$12.34'``), which no
  decimal model can fit without a cast the sampler does not make.
* ``citext`` (an extension type, matched by name in any schema) is ``STRING`` like ``varchar``.
* Types not in the tables (``tsvector``, ``xml``, ``point``, ranges, composites, PostGIS, ...)
  are ``OTHER`` with a Schema warning naming the type; introspection never fails on them.
* ``enum_type`` and ``domain`` are keys ``"schema.name"`` (unquoted, like ``Table.key``) of the
  Schema's ``enums`` / ``domains``. An array whose elements are an enum or a domain carries that
  enum's labels / that domain (unless the column itself is on a domain); ``element_sql_type`` is
  the element type as declared (``mood``, ``small``) and ``element`` its logical type.
* A column is NOT NULL (``nullable=False``) when it or any domain under it is.
* ``length`` / ``precision`` / ``scale`` come from the type modifier: characters for
  ``varchar(n)``/``char(n)``, bits for ``bit(n)``, digits for ``numeric(p,s)``, fractional-second
  digits (``precision``) for ``time(p)``, ``timestamp(p)``, ``interval(p)``. For an array they
  describe its elements.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from dbsynth.schema import CheckConstraint, Column, Domain, EnumType, Identity, IdentityKind, LogicalType

L = LogicalType

# Base types of pg_catalog, by typname (not by format_type text: `character varying(45)` and
# `varchar` are both typname `varchar`).
CATALOG_TYPES: dict[str, LogicalType] = {
    "int2": L.INTEGER,
    "int4": L.INTEGER,
    "int8": L.INTEGER,
    "oid": L.INTEGER,
    "numeric": L.DECIMAL,
    "float4": L.FLOAT,
    "float8": L.FLOAT,
    "bool": L.BOOLEAN,
    "varchar": L.STRING,
    "bpchar": L.STRING,
    "char": L.STRING,  # the one-byte internal type "char"
    "name": L.STRING,
    "inet": L.STRING,
    "cidr": L.STRING,
    "macaddr": L.STRING,
    "macaddr8": L.STRING,
    "text": L.TEXT,
    "date": L.DATE,
    "time": L.TIME,
    "timetz": L.TIME,
    "timestamp": L.TIMESTAMP,
    "timestamptz": L.TIMESTAMPTZ,
    "interval": L.INTERVAL,
    "uuid": L.UUID,
    "json": L.JSON,
    "jsonb": L.JSON,
    "bytea": L.BYTES,
}

# Base types that extensions install into a user schema, by typname.
EXTENSION_TYPES: dict[str, LogicalType] = {"citext": L.STRING}

VARHDRSZ = 4


def _chars(typmod: int) -> tuple[int | None, int | None, int | None]:
    return (typmod - VARHDRSZ if typmod >= VARHDRSZ else None), None, None


def _bits(typmod: int) -> tuple[int | None, int | None, int | None]:
    return (typmod if typmod >= 0 else None), None, None


def _numeric(typmod: int) -> tuple[int | None, int | None, int | None]:
    if typmod < VARHDRSZ:
        return None, None, None
    mod = typmod - VARHDRSZ
    # The scale is an 11-bit two's-complement field since PostgreSQL 15 (numeric(5,-2)).
    return None, (mod >> 16) & 0xFFFF, ((mod & 0x7FF) ^ 1024) - 1024


def _seconds(typmod: int) -> tuple[int | None, int | None, int | None]:
    return None, (typmod if typmod >= 0 else None), None


def _interval(typmod: int) -> tuple[int | None, int | None, int | None]:
    # The low 16 bits hold the precision, 0xFFFF meaning "not given"; the high bits the fields.
    precision = typmod & 0xFFFF if typmod >= 0 else 0xFFFF
    return None, (precision if precision != 0xFFFF else None), None


TypmodDecoder = Callable[[int], tuple[int | None, int | None, int | None]]
TYPMOD_DECODERS: dict[str, TypmodDecoder] = {
    "varchar": _chars,
    "bpchar": _chars,
    "bit": _bits,
    "varbit": _bits,
    "numeric": _numeric,
    "time": _seconds,
    "timetz": _seconds,
    "timestamp": _seconds,
    "timestamptz": _seconds,
    "interval": _interval,
}

IDENTITY_KINDS: dict[str, IdentityKind] = {"a": "always", "d": "by_default"}

# A column is "serial" when its default is exactly one nextval() call on a sequence.
NEXTVAL_RE = re.compile(r"^nextval\('(?:[^']|'')+'::regclass\)$")


@dataclass(frozen=True)
class PgType:
    """One ``pg_type`` row, with its ``format_type`` text (and, for a domain, its base's)."""

    oid: int
    name: str
    schema: str
    kind: str  # typtype: b base, d domain, e enum, c composite, r range, m multirange, p pseudo
    category: str  # typcategory: 'A' for arrays
    elem: int
    base: int
    base_typmod: int
    not_null: bool
    default: str | None
    sql: str
    base_sql: str | None
    extension: bool = False  # owned by an extension (pg_depend 'e'): CREATE EXTENSION makes it

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def is_array(self) -> bool:
        return self.category == "A" and self.elem != 0


@dataclass(frozen=True)
class Resolved:
    """A type with its domains peeled off: ``base`` and the modifier that applies to it."""

    base: PgType
    typmod: int
    domain: PgType | None  # the outermost domain, the one the column names
    not_null: bool  # some domain on the way is NOT NULL
    base_sql: str  # format_type text of ``base`` with ``typmod``


_TYPES_SQL = text(
    """
    WITH RECURSIVE used(oid) AS (
        SELECT a.atttypid FROM pg_attribute a
        WHERE a.attrelid = ANY(CAST(:relids AS oid[])) AND a.attnum > 0 AND NOT a.attisdropped
        UNION
        SELECT t.oid FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = ANY(CAST(:schemas AS text[])) AND t.typtype IN ('e', 'd')
        UNION
        SELECT x.oid FROM used u JOIN pg_type t ON t.oid = u.oid
        CROSS JOIN LATERAL (VALUES (t.typelem), (t.typbasetype)) AS x(oid)
        WHERE x.oid <> 0
    )
    SELECT t.oid, t.typname, n.nspname, t.typtype, t.typcategory, t.typelem, t.typbasetype,
           t.typtypmod, t.typnotnull, t.typdefault, format_type(t.oid, NULL) AS sql,
           CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base_sql,
           EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                   AND d.objid = t.oid AND d.deptype = 'e') AS extension
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE t.oid IN (SELECT oid FROM used)
    """
)

_ENUM_LABELS_SQL = text(
    "SELECT enumtypid, enumlabel FROM pg_enum WHERE enumtypid = ANY(CAST(:oids AS oid[])) "
    "ORDER BY enumtypid, enumsortorder"
)

_DOMAIN_CHECKS_SQL = text(
    "SELECT contypid, conname, pg_get_expr(conbin, 0) AS expression FROM pg_constraint "
    "WHERE contypid = ANY(CAST(:oids AS oid[])) AND contype = 'c' ORDER BY contypid, conname"
)


class TypeCatalog:
    """The types a set of tables uses, plus the enums and domains of the chosen schemas."""

    def __init__(
        self,
        types: dict[int, PgType],
        labels: dict[int, tuple[str, ...]],
        domain_checks: dict[int, tuple[CheckConstraint, ...]],
    ) -> None:
        self.types = types
        self.labels = labels
        self.domain_checks = domain_checks

    @classmethod
    def load(cls, conn: Connection, relids: Sequence[int], schemas: Sequence[str]) -> TypeCatalog:
        rows = conn.execute(_TYPES_SQL, {"relids": list(relids), "schemas": list(schemas)}).all()
        types = {r.oid: PgType(*r) for r in rows}
        enums = [t.oid for t in types.values() if t.kind == "e"]
        labels: dict[int, list[str]] = {oid: [] for oid in enums}
        for oid, label in conn.execute(_ENUM_LABELS_SQL, {"oids": enums}):
            labels[oid].append(label)
        domains = [t.oid for t in types.values() if t.kind == "d"]
        checks: dict[int, list[CheckConstraint]] = {oid: [] for oid in domains}
        for oid, name, expression in conn.execute(_DOMAIN_CHECKS_SQL, {"oids": domains}):
            checks[oid].append(CheckConstraint(expression, name, (), "domain"))
        return cls(
            types,
            {k: tuple(v) for k, v in labels.items()},
            {k: tuple(v) for k, v in checks.items()},
        )

    def resolve(self, typid: int, typmod: int, sql: str) -> Resolved:
        """Peel the domains off ``typid`` (whose ``format_type`` text is ``sql``)."""
        t = self.types[typid]
        outer: PgType | None = None
        not_null = False
        while t.kind == "d":
            outer = outer or t
            not_null = not_null or t.not_null
            typmod, sql = t.base_typmod, t.base_sql or sql
            t = self.types[t.base]
        return Resolved(t, typmod, outer, not_null, sql)

    def scalar_logical(self, t: PgType) -> LogicalType:
        """The logical type of a resolved, non-array type."""
        if t.kind == "e":
            return L.ENUM
        if t.kind != "b":
            return L.OTHER
        table = CATALOG_TYPES if t.schema == "pg_catalog" else EXTENSION_TYPES
        return table.get(t.name, L.OTHER)

    def enums(self) -> tuple[EnumType, ...]:
        """Enums defined in ``schemas`` or used by the introspected columns, by schema and name."""
        found = sorted(
            (t for t in self.types.values() if t.kind == "e" and not t.extension),
            key=lambda t: (t.schema, t.name),
        )
        return tuple(EnumType(t.name, self.labels[t.oid], t.schema) for t in found)

    def domains(self) -> tuple[Domain, ...]:
        """Domains defined in the chosen schemas or used by the introspected columns.

        A domain over a domain carries the NOT NULL and CHECKs of the whole chain, outermost
        first, because all of them constrain its values; ``base_type`` names its immediate base.
        """
        # An extension's own domains (earthdistance's ``earth``) come with its CREATE EXTENSION.
        found = sorted(
            (t for t in self.types.values() if t.kind == "d" and not t.extension),
            key=lambda t: (t.schema, t.name),
        )
        out = []
        for t in found:
            r = self.resolve(t.oid, -1, t.sql)
            chain: list[CheckConstraint] = []
            d = t
            while d.kind == "d":
                chain.extend(self.domain_checks[d.oid])
                d = self.types[d.base]
            logical = L.ARRAY if r.base.is_array else self.scalar_logical(r.base)
            out.append(
                Domain(
                    t.name,
                    t.base_sql or r.base_sql,
                    logical,
                    t.schema,
                    nullable=not r.not_null,
                    default=t.default,
                    checks=tuple(chain),
                )
            )
        return tuple(out)

    def column(self, row: Any, table_key: str, warnings: list[str]) -> Column:
        """A :class:`Column` from one row of ``postgres.COLUMNS_SQL``."""
        r = self.resolve(row.typid, row.typmod, row.sql_type)
        scalar, typmod, dims, domain, shown = r.base, r.typmod, 0, r.domain, r.base_sql
        element: LogicalType | None = None
        element_sql: str | None = None
        if r.base.is_array:
            element_sql = _element_sql(r.base_sql, self.types[r.base.elem])
            er = self.resolve(r.base.elem, r.typmod, element_sql)
            scalar, typmod, domain, shown = er.base, er.typmod, domain or er.domain, er.base_sql
            element = self.scalar_logical(er.base)
            # attndims is 0 for a domain over an array, and PostgreSQL does not enforce it anyway.
            dims = max(row.ndims, 1)
            logical = L.ARRAY
        else:
            logical = self.scalar_logical(scalar)
        if (element or logical) is L.OTHER:
            warnings.append(
                f"{table_key}.{row.name}: type '{shown}' is not modelled; "
                "its SQL type is kept and it is generated as NULL or a constant"
            )
        length, precision, scale = TYPMOD_DECODERS.get(scalar.name, _none)(typmod)
        if scalar.name == "char" and scalar.schema == "pg_catalog":
            length = 1
        is_enum = scalar.kind == "e"
        generated = row.expr if row.generated == "s" else None
        return Column(
            name=row.name,
            sql_type=row.sql_type,
            logical=logical,
            nullable=not (row.notnull or r.not_null),
            default=None if generated is not None else row.expr,
            identity=_identity(row),
            generated=generated,
            length=length,
            precision=precision,
            scale=scale,
            enum_type=scalar.key if is_enum else None,
            enum_labels=self.labels[scalar.oid] if is_enum else None,
            domain=domain.key if domain else None,
            element=element,
            element_sql_type=element_sql,
            array_dims=dims,
            comment=row.comment,
        )


def _none(typmod: int) -> tuple[int | None, int | None, int | None]:
    return None, None, None


def _element_sql(array_sql: str, elem: PgType) -> str:
    """``character varying(10)[]`` → ``character varying(10)``: format_type prints an array as its
    element's text (with the modifier) plus one ``[]`` whatever the dimensions."""
    return array_sql[:-2] if array_sql.endswith("[]") else elem.sql


def _identity(row: Any) -> Identity | None:
    start = int(row.seq_start) if row.seq_start is not None else 1
    increment = int(row.seq_increment) if row.seq_increment is not None else 1
    if row.identity in IDENTITY_KINDS:
        return Identity(IDENTITY_KINDS[row.identity], row.seq_name, start, increment)
    if row.generated != "s" and row.expr and row.seq_name and NEXTVAL_RE.match(row.expr):
        return Identity("serial", row.seq_name, start, increment)
    return None
