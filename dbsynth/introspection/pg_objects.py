"""What a PostgreSQL schema's tables need besides themselves: extensions, user functions and
index operator classes.

* **Routines**: the user functions (not an extension's, not the system's) that a CHECK, a
  default, a generated column, an index or a domain CHECK of the chosen tables, or a view of the
  chosen namespaces, calls, as
  ``pg_depend`` records it, then every user function whose name followed by ``(`` appears in the
  body of one already taken (a plpgsql or quoted SQL body records no dependency:
  musicbrainz's ``controlled_for_whitespace`` calls ``padded_by_whitespace``). Each comes with
  its ``pg_get_functiondef`` text; aggregates and procedures have none and are left out (what
  calls them then says so when the DDL is built).
* **Extensions**: those owning an object that the tables, their indexes, constraints, defaults,
  the types of the chosen namespaces or the routines above depend on (a column of type
  ``citext``, a ``public.gen_random_uuid()`` default, a ``gin_trgm_ops`` operator class, an
  ``hstore`` operator in a CHECK), plus the extensions those require, in creation order (an
  extension after the ones it requires). plpgsql is always there and is not listed.
* **Composite types**: the standalone composite types (``CREATE TYPE ... AS (...)``, not a
  table's row type) that a column uses directly, as an array element or under a domain of the
  chosen namespaces, and those their attributes use, each after the ones it uses.
* **Operator classes**: per index, the non-default operator class of each key element,
  schema-qualified outside ``pg_catalog`` (``public.gin_trgm_ops``, ``inet_ops``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from dbsynth.schema import Attribute, CompositeType, Extension, Routine

# Objects of the chosen tables that can call a function or use an extension's object.
_DEPENDENTS = """
    SELECT 'pg_class'::regclass AS classid, r.oid AS objid FROM unnest(CAST(:relids AS oid[])) r(oid)
    UNION SELECT 'pg_class'::regclass, i.indexrelid FROM pg_index i
        WHERE i.indrelid = ANY(CAST(:relids AS oid[]))
    UNION SELECT 'pg_constraint'::regclass, c.oid FROM pg_constraint c
        WHERE c.conrelid = ANY(CAST(:relids AS oid[]))
    UNION SELECT 'pg_attrdef'::regclass, d.oid FROM pg_attrdef d
        WHERE d.adrelid = ANY(CAST(:relids AS oid[]))
    UNION SELECT 'pg_type'::regclass, t.oid FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = ANY(CAST(:schemas AS text[])) AND NOT EXISTS (
            SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid
              AND e.deptype = 'e')
    UNION SELECT 'pg_constraint'::regclass, c.oid FROM pg_constraint c
        JOIN pg_type t ON t.oid = c.contypid JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = ANY(CAST(:schemas AS text[]))
    UNION SELECT 'pg_proc'::regclass, p.oid FROM unnest(CAST(:procs AS oid[])) p(oid)
    UNION SELECT 'pg_rewrite'::regclass, r.oid FROM pg_rewrite r
        JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY(CAST(:schemas AS text[]))
"""

_USER_FUNCTIONS_SQL = text(
    """
    SELECT p.oid, n.nspname AS schema, p.proname AS name, p.prokind AS kind, l.lanname AS language,
           p.prosrc AS body, p.oid::regprocedure::text AS signature
    FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    JOIN pg_language l ON l.oid = p.prolang
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass
                      AND e.objid = p.oid AND e.deptype = 'e')
    ORDER BY p.oid
    """
)

_CALLED_SQL = text(
    f"""
    WITH dependents AS ({_DEPENDENTS})
    SELECT DISTINCT d.refobjid AS oid
    FROM pg_depend d JOIN dependents x ON d.classid = x.classid AND d.objid = x.objid
    WHERE d.refclassid = 'pg_proc'::regclass AND d.deptype IN ('n', 'a')
    """
)

_FUNCTIONDEF_SQL = text("SELECT pg_get_functiondef(CAST(:oid AS oid))")

# A plain aggregate (pagila's group_concat) has no pg_get_functiondef: its definition is spelled
# from pg_aggregate; its support functions are routines of their own.
_AGGREGATE_SQL = text(
    """
    SELECT a.aggkind AS kind, ARRAY[a.aggtransfn::oid, a.aggfinalfn::oid, a.aggcombinefn::oid] AS support,
           a.aggmtransfn::oid <> 0 AS moving,
           format('CREATE OR REPLACE AGGREGATE %s (SFUNC = %s, STYPE = %s%s%s%s)', p.oid::regprocedure,
                  a.aggtransfn::regproc, format_type(a.aggtranstype, NULL),
                  CASE WHEN a.aggfinalfn <> 0 THEN ', FINALFUNC = ' || a.aggfinalfn::regproc END,
                  CASE WHEN a.aggcombinefn <> 0 THEN ', COMBINEFUNC = ' || a.aggcombinefn::regproc END,
                  CASE WHEN a.agginitval IS NOT NULL THEN ', INITCOND = ' || quote_literal(a.agginitval) END)
               AS definition
    FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
    WHERE a.aggfnoid = CAST(:oid AS oid)
    """
)

_EXTENSIONS_SQL = text(
    f"""
    WITH RECURSIVE dependents AS ({_DEPENDENTS}),
    refs AS (
        SELECT d.refclassid, d.refobjid
        FROM pg_depend d JOIN dependents x ON d.classid = x.classid AND d.objid = x.objid
        WHERE d.deptype IN ('n', 'a')
    ),
    -- a column of type citext[] depends on the array type, whose element is the extension's
    all_refs AS (
        SELECT refclassid, refobjid FROM refs
        UNION SELECT 'pg_type'::regclass, t.typelem FROM refs
            JOIN pg_type t ON refs.refclassid = 'pg_type'::regclass AND t.oid = refs.refobjid
            WHERE t.typelem <> 0
    ),
    needed(oid) AS (
        SELECT e.refobjid FROM pg_depend e
            JOIN all_refs r ON e.classid = r.refclassid AND e.objid = r.refobjid
            WHERE e.deptype = 'e' AND e.refclassid = 'pg_extension'::regclass
        UNION
        SELECT d.refobjid FROM pg_depend d JOIN needed ON d.objid = needed.oid
            WHERE d.classid = 'pg_extension'::regclass AND d.refclassid = 'pg_extension'::regclass
    )
    SELECT x.extname AS name, n.nspname AS schema
    FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
    WHERE x.oid IN (SELECT oid FROM needed) AND x.extname <> 'plpgsql'
    ORDER BY x.oid
    """
)

_OPCLASSES_SQL = text(
    """
    SELECT i.indrelid AS relid, ic.relname AS index_name,
           ARRAY(SELECT CASE WHEN o.opcdefault THEN NULL
                             WHEN on_.nspname = 'pg_catalog' THEN quote_ident(o.opcname)
                             ELSE quote_ident(on_.nspname) || '.' || quote_ident(o.opcname) END
                 FROM unnest(i.indclass::oid[]) WITH ORDINALITY AS k(opc, n)
                 JOIN pg_opclass o ON o.oid = k.opc
                 JOIN pg_namespace on_ ON on_.oid = o.opcnamespace
                 WHERE k.n <= i.indnkeyatts
                 ORDER BY k.n) AS opclasses
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    WHERE i.indrelid = ANY(CAST(:relids AS oid[]))
      AND EXISTS (SELECT 1 FROM unnest(i.indclass::oid[]) c(opc)
                  JOIN pg_opclass o ON o.oid = c.opc WHERE NOT o.opcdefault)
    """
)

# Routines are carried as their own text only in these languages; a C or internal function
# names a shared library of the source's server and needs a superuser to create.
CARRIED_LANGUAGES = frozenset({"sql", "plpgsql"})


def routines(
    conn: Connection, relids: Sequence[int], schemas: Sequence[str], warnings: list[str]
) -> dict[int, Routine]:
    """The user functions the tables call, directly or through each other (module docstring),
    by oid."""
    user = {r.oid: r for r in conn.execute(_USER_FUNCTIONS_SQL)}
    if not user:
        return {}
    params = {"relids": list(relids), "schemas": list(schemas), "procs": []}
    wanted = [r.oid for r in conn.execute(_CALLED_SQL, params) if r.oid in user]
    by_name: dict[str, list[int]] = defaultdict(list)
    for oid, r in user.items():
        by_name[r.name].append(oid)
    taken: dict[int, None] = {}
    aggregates: dict[int, Any] = {}
    support: dict[int, list[int]] = {}
    while wanted:
        oid = wanted.pop(0)
        if oid in taken:
            continue
        taken[oid] = None
        support[oid] = []
        if user[oid].kind == "a":
            aggregates[oid] = conn.execute(_AGGREGATE_SQL, {"oid": oid}).one()
            support[oid] = [o for o in aggregates[oid].support if o in user]
        wanted.extend(o for o in support[oid] if o not in taken)
        for name in _called_names(user[oid].body or "", by_name):
            wanted.extend(o for o in by_name[name] if o not in taken)
    out: dict[int, Routine] = {}
    for oid in sorted(taken):
        r = user[oid]
        definition = None
        aggregate = aggregates.get(oid)
        if r.kind == "f" and r.language in CARRIED_LANGUAGES:
            definition = conn.execute(_FUNCTIONDEF_SQL, {"oid": oid}).scalar_one()
        elif aggregate is not None and aggregate.kind == "n" and not aggregate.moving:
            definition = aggregate.definition
        else:
            warnings.append(
                f"function {r.signature} ({'aggregate' if r.kind == 'a' else r.language}) is called by "
                "the schema but cannot be carried to a target"
            )
        called = [o for n in _called_names(r.body or "", by_name) for o in by_name[n]] + support[oid]
        calls = tuple(dict.fromkeys(user[o].signature for o in called if o != oid))
        out[oid] = Routine(r.name, r.schema, r.signature, r.language, calls, definition)
    return out


def _called_names(body: str, by_name: dict[str, list[int]]) -> list[str]:
    """Names of user functions followed by ``(`` in ``body`` (a superset of what it calls:
    one more function created is harmless, one missing fails the CHECK that needs it)."""
    found = re.findall(r'([A-Za-z_][A-Za-z0-9_$]*|"[^"]+")\s*\(', body)
    names = {f.strip('"') for f in found}
    return sorted(n for n in names if n in by_name)


def extensions(
    conn: Connection, relids: Sequence[int], schemas: Sequence[str], procs: Sequence[int]
) -> tuple[Extension, ...]:
    """The extensions the tables (and ``procs``, the carried routines' oids) depend on."""
    params = {"relids": list(relids), "schemas": list(schemas), "procs": list(procs)}
    return tuple(Extension(r.name, r.schema) for r in conn.execute(_EXTENSIONS_SQL, params))


def opclasses(conn: Connection, relids: Sequence[int]) -> dict[tuple[int, str], tuple[str | None, ...]]:
    """(table oid, index name) -> operator class per key element, for indexes with any that is
    not its type's default."""
    out: dict[tuple[int, str], tuple[str | None, ...]] = {}
    for r in conn.execute(_OPCLASSES_SQL, {"relids": list(relids)}):
        out[(r.relid, r.index_name)] = tuple(r.opclasses)
    return out


_COMPOSITES_SQL = text(
    """
    WITH RECURSIVE used(oid, depth) AS (
        SELECT a.atttypid, 0 FROM pg_attribute a
            WHERE a.attrelid = ANY(CAST(:relids AS oid[])) AND a.attnum > 0 AND NOT a.attisdropped
        UNION
        SELECT t.typbasetype, 0 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE t.typtype = 'd' AND n.nspname = ANY(CAST(:schemas AS text[]))
        UNION
        -- an array's element, a domain's base, a composite's attributes
        SELECT x.oid, u.depth + 1
        FROM used u
        JOIN pg_type t ON t.oid = u.oid
        CROSS JOIN LATERAL (
            SELECT t.typelem WHERE t.typelem <> 0 AND t.typcategory = 'A'
            UNION ALL SELECT t.typbasetype WHERE t.typtype = 'd'
            UNION ALL SELECT a.atttypid FROM pg_class c
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                WHERE t.typtype = 'c' AND c.oid = t.typrelid AND c.relkind = 'c'
        ) x(oid)
        WHERE u.depth < 32
    )
    SELECT t.oid, n.nspname AS schema, t.typname AS name, max(u.depth) AS depth,
           ARRAY(SELECT a.attname::text FROM pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
               AS names,
           ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
               AS types
    FROM used u
    JOIN pg_type t ON t.oid = u.oid AND t.typtype = 'c'
    JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
    JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_type'::regclass
                      AND e.objid = t.oid AND e.deptype = 'e')
    GROUP BY t.oid, n.nspname, t.typname, c.oid
    ORDER BY max(u.depth) DESC, n.nspname, t.typname
    """
)


def composites(conn: Connection, relids: Sequence[int], schemas: Sequence[str]) -> tuple[CompositeType, ...]:
    """The composite types the tables use (module docstring), deepest first: a type used by
    another's attribute is reached one level deeper, so it comes before it."""
    rows = conn.execute(_COMPOSITES_SQL, {"relids": list(relids), "schemas": list(schemas)})
    return tuple(
        CompositeType(r.name, tuple(Attribute(a, t) for a, t in zip(r.names, r.types, strict=True)), r.schema)
        for r in rows
    )
