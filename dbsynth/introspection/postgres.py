"""PostgreSQL introspection: ``reflect(conn, schemas) -> Schema`` (PostgreSQL 12 or newer).

Read-only by construction: every statement here is a SELECT on ``pg_catalog`` or a call of
SQLAlchemy's inspector, so a role that may only SELECT can introspect.

What is a table (and what is not):

* relkind ``r`` (ordinary) and ``p`` (partitioned) in the chosen namespaces; views,
  materialized views and foreign tables are not;
* partitions are not tables: their parent is one :class:`Table` whose ``partitioning`` lists
  the direct partitions (``"schema.name"``) and their bounds (``FOR VALUES ...`` / ``DEFAULT``).
  The parent carries only the FKs declared on itself; FKs a partition declares on its own
  (pagila's ``payment_p2022_01``) are not relations of the parent, and a warning counts them;
* inheritance children (``INHERITS``, not partitions) are tables with ``inherits`` naming their
  parents in ``inhseqno`` order.

``row_estimate`` is ``pg_class.reltuples`` rounded; for a table never analyzed (-1), its exact
count when it is small (under 16 MiB), else ``None``; for a partitioned table the sum over its
leaf partitions that have an estimate, ``None`` when none has one, 0 when it has no partition.

Columns and types: see :mod:`dbsynth.introspection.pg_types`; keys and constraints: see
:mod:`dbsynth.introspection.pg_constraints`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy import text
from sqlalchemy.engine import Connection, Inspector

from dbsynth.introspection import pg_constraints, pg_objects, pg_views, unknown_schema_error
from dbsynth.introspection.pg_types import TypeCatalog
from dbsynth.schema import Column, Index, Partitioning, Schema, Subpartitioning, Table

DIALECT = "postgresql"
STRATEGIES: dict[str, str] = {"r": "range", "l": "list", "h": "hash"}

_TABLES_SQL = text(
    """
    SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind, c.reltuples,
           pg_relation_size(c.oid) AS bytes,
           pt.partstrat AS strategy, pg_get_partkeydef(c.oid) AS partkey
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND n.nspname = ANY(CAST(:schemas AS text[]))
      -- tables an extension owns (PostGIS's spatial_ref_sys) come with CREATE EXTENSION
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY n.nspname, c.relname
    """
)

# The sequence of a column: for an identity, the one that depends on the column internally
# (what pg_get_serial_sequence returns); for a nextval() default, the one the default expression
# depends on, which also finds sequences the column does not own (sakila's inheritance children
# share their parent's).
COLUMNS_SQL = text(
    """
    SELECT a.attrelid AS relid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS sql_type,
           a.atttypid AS typid, a.atttypmod AS typmod, a.attnotnull AS notnull, a.attndims AS ndims,
           a.attidentity AS identity, a.attgenerated AS generated,
           pg_get_expr(ad.adbin, ad.adrelid) AS expr, col_description(a.attrelid, a.attnum) AS comment,
           seq.name AS seq_name, seq.start AS seq_start, seq.increment AS seq_increment
    FROM pg_attribute a
    LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    LEFT JOIN LATERAL (
        SELECT quote_ident(sn.nspname) || '.' || quote_ident(s.relname) AS name,
               ps.seqstart AS start, ps.seqincrement AS increment
        FROM (
            SELECT d.objid AS seqid FROM pg_depend d
            WHERE a.attidentity <> '' AND d.classid = 'pg_class'::regclass
              AND d.refclassid = 'pg_class'::regclass AND d.refobjid = a.attrelid
              AND d.refobjsubid = a.attnum AND d.deptype = 'i'
            UNION ALL
            SELECT d.refobjid FROM pg_depend d
            WHERE a.attidentity = '' AND d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
              AND d.refclassid = 'pg_class'::regclass
        ) dep
        JOIN pg_class s ON s.oid = dep.seqid AND s.relkind = 'S'
        JOIN pg_namespace sn ON sn.oid = s.relnamespace
        LEFT JOIN pg_sequence ps ON ps.seqrelid = s.oid
        ORDER BY s.oid
        LIMIT 1
    ) seq ON true
    WHERE a.attrelid = ANY(CAST(:relids AS oid[])) AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attrelid, a.attnum
    """
)

_PARTITIONS_SQL = text(
    """
    SELECT i.inhparent AS parent, c.oid, n.nspname AS schema, c.relname AS name,
           pg_get_expr(c.relpartbound, c.oid) AS bound, c.relkind AS kind,
           pt.partstrat AS strategy, pg_get_partkeydef(c.oid) AS partkey
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
    WHERE c.relispartition AND i.inhparent = ANY(CAST(:parents AS oid[]))
    ORDER BY i.inhparent, n.nspname, c.relname
    """
)

# Over the whole partition tree (sub-partitions too): leaf estimates, and the FKs partitions
# declare themselves (conparentid = 0; those cloned from the parent have conparentid set).
_PARTITION_TREE_SQL = text(
    """
    SELECT p.parent,
           count(*) FILTER (WHERE l.reltuples >= 0 AND t.isleaf) AS known,
           sum(l.reltuples) FILTER (WHERE l.reltuples >= 0 AND t.isleaf) AS total,
           sum((SELECT count(*) FROM pg_constraint k
                WHERE k.conrelid = t.relid AND k.contype = 'f' AND k.conparentid = 0)) AS own_fks
    FROM unnest(CAST(:parents AS oid[])) AS p(parent)
    CROSS JOIN LATERAL pg_partition_tree(p.parent) t
    JOIN pg_class l ON l.oid = t.relid
    WHERE t.level > 0
    GROUP BY p.parent
    """
)

_SERVER_SQL = text("SELECT current_database(), current_setting('server_version')")

_INHERITS_SQL = text(
    """
    SELECT i.inhrelid AS child, n.nspname AS schema, p.relname AS name
    FROM pg_inherits i
    JOIN pg_class p ON p.oid = i.inhparent
    JOIN pg_namespace n ON n.oid = p.relnamespace
    WHERE i.inhrelid = ANY(CAST(:relids AS oid[]))
    ORDER BY i.inhrelid, i.inhseqno
    """
)


def reflect(conn: Connection, schemas: Sequence[str] | None) -> Schema:
    """The Schema of the namespaces ``schemas`` (default: every non-system one) of ``conn``."""
    # pg_get_expr and format_type leave out the schema of any name the session's search_path
    # finds; the source database may set its own (ALTER DATABASE ... SET search_path), which the
    # target does not have. With only pg_catalog on the path every user name comes out
    # schema-qualified, so defaults, types and calls mean the same thing in the target.
    conn.exec_driver_sql("SET search_path = pg_catalog")
    insp = sa.inspect(conn)
    chosen = choose_schemas(insp, schemas)
    warnings: list[str] = []
    rows = conn.execute(_TABLES_SQL, {"schemas": chosen}).all()
    relids = [r.oid for r in rows]
    key_of = {r.oid: f"{r.schema}.{r.name}" for r in rows}
    types = TypeCatalog.load(conn, relids, chosen)
    columns: dict[int, list[Column]] = defaultdict(list)
    for row in conn.execute(COLUMNS_SQL, {"relids": relids}):
        columns[row.relid].append(types.column(row, key_of[row.relid], warnings))
    fks = pg_constraints.foreign_keys(conn, relids)
    checks, exclusions = pg_constraints.checks(conn, relids, key_of, warnings)
    parted = _partitionings(conn, [r for r in rows if r.kind == "p"], key_of, warnings)
    parents = _inheritance(conn, relids)
    keys = {
        (s, name): k
        for s in chosen
        for name, k in pg_constraints.keys(insp, s, [r.name for r in rows if r.schema == s], warnings).items()
    }
    opclasses = pg_objects.opclasses(conn, relids)
    routines = pg_objects.routines(conn, relids, chosen, warnings)
    extensions = pg_objects.extensions(conn, relids, chosen, list(routines))
    tables = []
    for r in rows:
        k = keys[(r.schema, r.name)]
        partitioning, estimate = parted.get(r.oid, (None, _estimate(conn, r)))
        tables.append(
            Table(
                name=r.name,
                columns=tuple(columns[r.oid]),
                schema=r.schema,
                primary_key=k.primary_key,
                uniques=k.uniques,
                foreign_keys=fks.get(r.oid, ()),
                checks=checks.get(r.oid, ()),
                exclusions=exclusions.get(r.oid, ()),
                indexes=tuple(_with_opclasses(ix, opclasses.get((r.oid, ix.name or ""))) for ix in k.indexes),
                row_estimate=estimate,
                partitioning=partitioning,
                inherits=parents.get(r.oid, ()),
                comment=k.comment,
            )
        )
    database, version = conn.execute(_SERVER_SQL).one()
    return Schema(
        dialect=DIALECT,
        tables=tuple(tables),
        database=database,
        server_version=version,
        schemas=tuple(chosen),
        enums=types.enums(),
        domains=types.domains(),
        composites=pg_objects.composites(conn, relids, chosen),
        extensions=extensions,
        routines=tuple(routines.values()),
        views=pg_views.views(conn, chosen),
        not_carried=pg_views.not_carried(conn, chosen, list(routines)),
        warnings=tuple(sorted(warnings)),
    )


def _with_opclasses(ix: Index, opclasses: tuple[str | None, ...] | None) -> Index:
    if not opclasses or len(opclasses) != len(ix.expressions or ix.columns):
        return ix
    return replace(ix, opclasses=opclasses)


def choose_schemas(insp: Inspector, wanted: Sequence[str] | None) -> list[str]:
    """The namespaces to read: ``wanted`` in its order without repeats, or every non-system one.

    Raises the "did you mean" :class:`~dbsynth.errors.SchemaError` for a name that is not there.
    """
    # The inspector already leaves out pg_catalog, pg_toast and the pg_temp namespaces.
    available = [s for s in insp.get_schema_names() if s != "information_schema"]
    if not wanted:
        return available
    chosen: list[str] = []
    for name in wanted:
        if name not in available:
            raise unknown_schema_error(name, available)
        if name not in chosen:
            chosen.append(name)
    return chosen


# A table never ANALYZEd has reltuples -1 (PostgreSQL 14+): one this small is counted instead, so
# `inspect` and the planner see its real size; a larger one stays unknown rather than pay a scan.
COUNT_BELOW_BYTES = 16 * 1024 * 1024


def _estimate(conn: Connection, row: Any) -> int | None:
    if row.reltuples is not None and row.reltuples >= 0:
        return round(row.reltuples)
    if row.kind != "r" or row.bytes is None or row.bytes > COUNT_BELOW_BYTES:
        return None
    name = f"{_quote(row.schema)}.{_quote(row.name)}"
    return int(conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one())


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _partitionings(
    conn: Connection, rows: Sequence[Any], key_of: dict[int, str], warnings: list[str]
) -> dict[int, tuple[Partitioning, int | None]]:
    """Partitioning and summed row estimate of each partitioned table (by oid)."""
    if not rows:
        return {}
    parents = [r.oid for r in rows]
    children: dict[int, list[Any]] = defaultdict(list)
    for p in conn.execute(_PARTITIONS_SQL, {"parents": parents}):
        children[p.parent].append(p)
    tree = {t.parent: t for t in conn.execute(_PARTITION_TREE_SQL, {"parents": parents})}
    out: dict[int, tuple[Partitioning, int | None]] = {}
    for r in rows:
        parts = children[r.oid]
        t = tree.get(r.oid)
        estimate = 0 if t is None else (round(t.total) if t.known else None)
        if t is not None and t.own_fks:
            warnings.append(
                f"{key_of[r.oid]}: {t.own_fks} foreign key(s) declared on its partitions but not on "
                "the table itself are ignored"
            )
        out[r.oid] = (_partitioning(conn, r, parts), estimate)
    return out


def _partitioning(conn: Connection, table: Any, parts: Sequence[Any], depth: int = 0) -> Partitioning:
    """The partitioning of ``table`` (a row with strategy and partkey) over its direct ``parts``,
    with those that are partitioned themselves (multi-level partitioning) below it."""
    strategy = STRATEGIES.get(table.strategy, table.strategy)
    # pg_get_partkeydef prints "RANGE (payment_date)": keep what is inside the parentheses.
    key = table.partkey.partition(" (")[2].removesuffix(")")
    parted = [p for p in parts if p.kind == "p"]
    sub: list[Subpartitioning] = []
    if parted and depth < 32:
        children: dict[int, list[Any]] = defaultdict(list)
        for c in conn.execute(_PARTITIONS_SQL, {"parents": [p.oid for p in parted]}):
            children[c.parent].append(c)
        for p in parted:
            sub.append(
                Subpartitioning(f"{p.schema}.{p.name}", _partitioning(conn, p, children[p.oid], depth + 1))
            )
    return Partitioning(
        strategy,
        key,
        tuple(f"{p.schema}.{p.name}" for p in parts),
        tuple(p.bound for p in parts),
        tuple(sub),
    )


def _inheritance(conn: Connection, relids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """The parents (keys) of each inheritance child; partitions are never in ``relids``."""
    out: dict[int, list[str]] = defaultdict(list)
    for r in conn.execute(_INHERITS_SQL, {"relids": list(relids)}):
        out[r.child].append(f"{r.schema}.{r.name}")
    return {k: tuple(v) for k, v in out.items()}
