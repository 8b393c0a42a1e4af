"""PostgreSQL views and materialized views, and what a target never gets.

Views and materialized views of the chosen namespaces (not an extension's) come with their query
(``pg_get_viewdef``, schema-qualified since introspection runs with only ``pg_catalog`` on the
search path) and the relations their rewrite rule reads (``pg_depend``), ordered so that a view
comes after the views it reads.

``not_carried`` names, per kind, what the chosen namespaces hold that no ``--create-schema``
creates: triggers (not internal ones: those enforce FKs), row-level security policies, rules
that are not a view's own, user functions that nothing carried calls, and standalone
sequences' values (the sequences of identity and serial columns are carried). A run lists them
in one line, never silently.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.engine import Connection

from dbsynth.schema import View

_VIEWS_SQL = text(
    """
    SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind = 'm' AS materialized,
           pg_get_viewdef(c.oid, true) AS definition,
           ARRAY(SELECT DISTINCT d.refobjid FROM pg_rewrite r
                 JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                      AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> c.oid
                 WHERE r.ev_class = c.oid) AS use_oids,
           ARRAY(SELECT DISTINCT rn.nspname || '.' || rc.relname
                 FROM pg_rewrite r
                 JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                      AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> c.oid
                 JOIN pg_class rc ON rc.oid = d.refobjid
                 JOIN pg_namespace rn ON rn.oid = rc.relnamespace
                 WHERE r.ev_class = c.oid) AS uses
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY(CAST(:schemas AS text[]))
      AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass
                      AND e.objid = c.oid AND e.deptype = 'e')
    ORDER BY n.nspname, c.relname
    """
)

_NOT_CARRIED_SQL = text(
    """
    SELECT 'trigger' AS kind, quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.'
           || quote_ident(t.tgname) AS name
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND n.nspname = ANY(CAST(:schemas AS text[]))
    UNION ALL
    SELECT 'row-level security policy', quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.'
           || quote_ident(p.polname)
    FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY(CAST(:schemas AS text[]))
    UNION ALL
    SELECT 'rule', quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(r.rulename)
    FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE r.rulename <> '_RETURN' AND n.nspname = ANY(CAST(:schemas AS text[]))
    UNION ALL
    SELECT 'function', p.oid::regprocedure::text
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = ANY(CAST(:schemas AS text[])) AND NOT (p.oid = ANY(CAST(:carried AS oid[])))
      AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass
                      AND e.objid = p.oid AND e.deptype = 'e')
    ORDER BY 1, 2
    """
)

# How many names a summary shows per kind before "..."
SHOWN = 5


def views(conn: Connection, schemas: Sequence[str]) -> tuple[View, ...]:
    """The views of ``schemas``, each after the views it reads (module docstring)."""
    rows = conn.execute(_VIEWS_SQL, {"schemas": list(schemas)}).all()
    oid_key = {r.oid: f"{r.schema}.{r.name}" for r in rows}
    found: dict[int, View] = {}
    reads: dict[int, list[int]] = {}
    for r in rows:
        reads[r.oid] = sorted(o for o in r.use_oids if o in oid_key)
        found[r.oid] = View(r.name, r.schema, bool(r.materialized), tuple(sorted(r.uses)), r.definition)
    ordered: list[View] = []
    placed: set[int] = set()

    def place(oid: int, seen: frozenset[int]) -> None:
        if oid in placed or oid in seen:
            return
        for used in reads[oid]:
            place(used, seen | {oid})
        placed.add(oid)
        ordered.append(found[oid])

    for oid in found:
        place(oid, frozenset())
    return tuple(ordered)


def not_carried(conn: Connection, schemas: Sequence[str], carried: Sequence[int]) -> tuple[str, ...]:
    """One phrase per kind of object no target gets: ``3 triggers (a, b, c)``."""
    by_kind: dict[str, list[str]] = {}
    params = {"schemas": list(schemas), "carried": list(carried)}
    for r in conn.execute(_NOT_CARRIED_SQL, params):
        by_kind.setdefault(r.kind, []).append(r.name)
    out = []
    for kind, names in by_kind.items():
        shown = ", ".join(names[:SHOWN]) + (", ..." if len(names) > SHOWN else "")
        plural = (
            kind
            if len(names) == 1
            else ("row-level security policies" if kind.endswith("policy") else f"{kind}s")
        )
        out.append(f"{len(names)} {plural} ({shown})")
    return tuple(out)
