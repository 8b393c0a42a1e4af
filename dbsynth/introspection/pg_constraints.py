"""PostgreSQL keys and constraints of a set of tables.

Primary keys, UNIQUE constraints, indexes and table comments come from SQLAlchemy's inspector
(its bulk ``get_multi_*`` calls, one query per kind and schema). Foreign keys and CHECKs come
from ``pg_constraint`` directly, because the inspector is wrong or blind there:

* it parses foreign keys out of ``pg_get_constraintdef`` text and reports every internal clone
  an FK gets when it references a *partitioned* table (one per referenced partition), so
  ``orders → events`` would appear once per partition of ``events``;
* it drops the referenced schema when that schema is on the search path;
* its CHECKs carry no column list (``conkey``).

Mapping rules:

* a unique index that backs a UNIQUE constraint is reported once, as the constraint; a unique
  index of its own is ``UniqueConstraint(kind="index")`` with its partial ``where`` predicate;
* a unique index on expressions (``lower(email)``) cannot be a column-set uniqueness: it is kept
  as an :class:`Index` and a warning says its uniqueness is not modelled;
* an :class:`Index` has its plain key columns in ``columns`` and, when any key element is an
  expression, all its key elements in order (columns by name) in ``expressions``; ``method`` is
  its access method (``pg_am.amname``: gin, gist, hash, brin, ...) when that is not btree;
* invalid indexes (a failed ``CREATE INDEX CONCURRENTLY``) are skipped: they are not part of
  the schema anyone meant;
* CHECK ``expression`` is the condition as PostgreSQL prints it, without the ``CHECK`` keyword:
  ``pg_get_expr(conbin)``, the exact text ``pg_get_constraintdef`` wraps in ``CHECK (...)``
  (``((price > (0)::numeric))``). That is what MySQL's ``CHECK_CLAUSE`` holds too, and what
  sqlglot parses as an expression (it reads ``CHECK (...)`` as a call of a function ``CHECK``).
  ``columns`` are the attributes of ``conkey`` in its order. NOT VALID is not kept: new rows
  must satisfy the condition all the same. Exclusion constraints are kept apart, with the
  operator of each element, the index method and predicate: generation keeps the forms
  :mod:`dbsynth.planning.exclusions` knows and refuses the others.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Inspector

from dbsynth.schema import (
    CheckConstraint,
    Exclusion,
    FkAction,
    ForeignKey,
    Index,
    PrimaryKey,
    UniqueConstraint,
)

FK_ACTIONS: dict[str, FkAction] = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}


def _attnames(key: str, rel: str) -> str:
    """SQL for the names of the attributes ``c.<key>`` lists, in the array's order."""
    return (
        f"ARRAY(SELECT a.attname::text FROM unnest(c.{key}) WITH ORDINALITY AS k(attnum, i) "
        f"JOIN pg_attribute a ON a.attrelid = c.{rel} AND a.attnum = k.attnum ORDER BY k.i)"
    )


# conparentid = 0: an FK that references a partitioned table is also stored once per referenced
# partition, as internal clones pointing at their parent constraint; only the parent is the
# relation the user declared.
_FK_SQL = text(
    f"""
    SELECT c.conrelid AS relid, c.conname AS name, rn.nspname AS ref_schema, rc.relname AS ref_table,
           {_attnames("conkey", "conrelid")} AS columns,
           {_attnames("confkey", "confrelid")} AS ref_columns,
           c.confupdtype AS on_update, c.confdeltype AS on_delete,
           c.condeferrable AS deferrable, c.condeferred AS deferred
    FROM pg_constraint c
    JOIN pg_class rc ON rc.oid = c.confrelid
    JOIN pg_namespace rn ON rn.oid = rc.relnamespace
    WHERE c.contype = 'f' AND c.conparentid = 0 AND c.conrelid = ANY(CAST(:relids AS oid[]))
    ORDER BY c.conrelid, c.conname
    """
)

_CHECK_SQL = text(
    f"""
    SELECT c.conrelid AS relid, c.conname AS name, c.contype AS kind,
           c.oid AS oid, pg_get_constraintdef(c.oid) AS definition,
           pg_get_expr(c.conbin, c.conrelid) AS expression,
           {_attnames("conkey", "conrelid")} AS columns
    FROM pg_constraint c
    WHERE c.contype IN ('c', 'x') AND c.conrelid = ANY(CAST(:relids AS oid[]))
    ORDER BY c.conrelid, c.conname
    """
)

# The operator of each element of an exclusion (conexclop), whether an element is an expression
# (attnum 0 in conkey), the access method and the predicate of its index.
_EXCLUSION_SQL = text(
    """
    SELECT c.oid AS oid, 0 = ANY(c.conkey) AS has_expression, am.amname AS method,
           ARRAY(SELECT o.oprname::text FROM unnest(c.conexclop) WITH ORDINALITY AS k(op, i)
                 JOIN pg_operator o ON o.oid = k.op ORDER BY k.i) AS operators,
           pg_get_expr(i.indpred, i.indrelid) AS predicate
    FROM pg_constraint c
    JOIN pg_index i ON i.indexrelid = c.conindid
    JOIN pg_class ic ON ic.oid = c.conindid
    JOIN pg_am am ON am.oid = ic.relam
    WHERE c.contype = 'x' AND c.conrelid = ANY(CAST(:relids AS oid[]))
    """
)


def foreign_keys(conn: Connection, relids: Sequence[int]) -> dict[int, tuple[ForeignKey, ...]]:
    """The FKs declared on each table (by oid), composite columns paired in declaration order."""
    out: dict[int, list[ForeignKey]] = defaultdict(list)
    for r in conn.execute(_FK_SQL, {"relids": list(relids)}):
        out[r.relid].append(
            ForeignKey(
                columns=tuple(r.columns),
                ref_table=f"{r.ref_schema}.{r.ref_table}",
                ref_columns=tuple(r.ref_columns),
                name=r.name,
                on_delete=FK_ACTIONS[r.on_delete],
                on_update=FK_ACTIONS[r.on_update],
                deferrable=r.deferrable,
                initially_deferred=r.deferred,
            )
        )
    return {k: tuple(v) for k, v in out.items()}


def checks(
    conn: Connection, relids: Sequence[int], keys: dict[int, str], warnings: list[str]
) -> tuple[dict[int, tuple[CheckConstraint, ...]], dict[int, tuple[Exclusion, ...]]]:
    """The CHECK and the EXCLUDE constraints of each table (by oid); NOT NULL is a column
    property, not a CHECK."""
    out: dict[int, list[CheckConstraint]] = defaultdict(list)
    excluded: dict[int, list[Exclusion]] = defaultdict(list)
    rows = conn.execute(_CHECK_SQL, {"relids": list(relids)}).all()
    details = (
        {r.oid: r for r in conn.execute(_EXCLUSION_SQL, {"relids": list(relids)})}
        if any(r.kind == "x" for r in rows)
        else {}
    )
    for r in rows:
        if r.kind == "x":
            d = details.get(r.oid)
            plain = d is not None and not d.has_expression
            excluded[r.relid].append(
                Exclusion(
                    r.name,
                    tuple(r.columns),
                    r.definition,
                    operators=tuple(d.operators) if d is not None and plain else (),
                    method=d.method if d is not None else None,
                    where=d.predicate if d is not None else None,
                )
            )
            continue
        out[r.relid].append(CheckConstraint(r.expression, r.name, tuple(r.columns), "table"))
    return {k: tuple(v) for k, v in out.items()}, {k: tuple(v) for k, v in excluded.items()}


@dataclass(frozen=True)
class Keys:
    """What the inspector tells about one table."""

    primary_key: PrimaryKey | None
    uniques: tuple[UniqueConstraint, ...]
    indexes: tuple[Index, ...]
    comment: str | None


def keys(insp: Inspector, schema: str, names: Sequence[str], warnings: list[str]) -> dict[str, Keys]:
    """Primary key, uniques, indexes and comment of the tables ``names`` of ``schema``, by name."""
    if not names:
        return {}
    kw: dict[str, Any] = {"schema": schema, "filter_names": list(names)}
    pks = insp.get_multi_pk_constraint(**kw)
    uqs = insp.get_multi_unique_constraints(**kw)
    ixs = insp.get_multi_indexes(**kw)
    comments = insp.get_multi_table_comment(**kw)
    out: dict[str, Keys] = {}
    for name in names:
        tk = (schema, name)
        key = f"{schema}.{name}"
        pk: Any = pks.get(tk) or {}
        comment: Any = comments.get(tk) or {}
        uniques = [_unique(u, key, warnings) for u in sorted(uqs.get(tk, []), key=_by_name)]
        indexes: list[Index] = []
        for ix in sorted(ixs.get(tk, []), key=_by_name):
            _index(ix, key, uniques, indexes, warnings)
        out[name] = Keys(
            PrimaryKey(tuple(pk["constrained_columns"]), pk.get("name"))
            if pk.get("constrained_columns")
            else None,
            tuple(uniques),
            tuple(indexes),
            comment.get("text"),
        )
    return out


def _by_name(d: Any) -> str:
    return str(d.get("name") or "")


def _unique(u: Any, key: str, warnings: list[str]) -> UniqueConstraint:
    _warn_nulls_not_distinct(u, key, warnings)
    return UniqueConstraint(tuple(u["column_names"]), u.get("name"), "constraint")


def _index(
    ix: Any, key: str, uniques: list[UniqueConstraint], indexes: list[Index], warnings: list[str]
) -> None:
    options = ix.get("dialect_options", {})
    if ix.get("duplicates_constraint") or options.get("postgresql_invalid"):
        return
    names = list(ix["column_names"])
    plain = tuple(n for n in names if n is not None)
    # The inspector lists every key element in "expressions" once any of them is an expression.
    exprs = tuple(ix.get("expressions") or ()) if None in names else ()
    if ix["unique"] and not exprs:
        _warn_nulls_not_distinct(ix, key, warnings)
        uniques.append(UniqueConstraint(plain, ix["name"], "index", options.get("postgresql_where")))
        return
    if ix["unique"]:
        warnings.append(
            f"{key}: unique index {ix['name']} on expressions ({', '.join(exprs)}) is kept as a "
            "plain index; its uniqueness is not modelled"
        )
    # The inspector names the access method only when it is not btree, as Index.method wants.
    indexes.append(Index(plain, ix["name"], exprs, options.get("postgresql_using")))


def _warn_nulls_not_distinct(u: Any, key: str, warnings: list[str]) -> None:
    if u.get("dialect_options", {}).get("postgresql_nulls_not_distinct"):
        warnings.append(
            f"{key}: unique {u['name']} is NULLS NOT DISTINCT; generated rows may repeat NULL in it"
        )
