"""The index statements of a table: unique indexes (partial ones with their predicate) and plain
ones with their access method (gin, gist, FULLTEXT, ...) and expression elements."""

from __future__ import annotations

from dbsynth.schema import Index, Table
from dbsynth.writing.ddl.port import parenthesized, prefix_column
from dbsynth.writing.ddl.writer import Writer


def index_statements(b: Writer, table: Table) -> list[str]:
    """``CREATE [UNIQUE] INDEX`` statements of ``table``, unique ones first."""
    out: list[str] = []
    on = b.table_sql(table)
    for u in table.uniques:
        if u.kind != "index":
            continue
        where: str | None = u.where
        if b.same and b.calls_missing(where, table.key, f"partial unique index {u.name}"):
            continue
        if where is not None and b.same:
            where = b.sql(where, "expression")
        elif where is not None:
            if not b.t.partial_indexes:
                b.warn(table.key, f"partial unique index {u.name} (WHERE {u.where}) dropped")
                continue
            where = b.port(where, table, f"partial unique index {u.name}")
            if where is None:
                continue
        name = b.claim("index", u.name, table)
        text = f"CREATE UNIQUE INDEX {b.q(name or '')} ON {on} ({b.columns_sql(u.columns)})"
        out.append(text + (f" WHERE {where}" if where else ""))
    for ix in table.indexes:
        statement = _index(b, table, ix)
        if statement:
            out.append(statement)
    return out


def _index(b: Writer, table: Table, ix: Index) -> str | None:
    if ix.method and not b.same:
        b.warn(table.key, f"{ix.method} index {ix.name} dropped ({b.t.name} has no such index)")
        return None
    if b.same and any(b.calls_missing(e, table.key, f"index {ix.name}") for e in ix.expressions):
        return None
    if ix.opclasses and not b.same:
        shown = ", ".join(o for o in ix.opclasses if o)
        b.warn(table.key, f"index {ix.name}: operator class {shown} dropped ({b.t.name} has none)")
    elements = _index_elements(b, table, ix)
    if elements is None:
        return None
    name = b.claim("index", ix.name, table)
    method = b.sql(ix.method, "word") if ix.method else None
    kind = f"{method.upper()} " if method and b.t.method_syntax == "keyword" else ""
    using = f" USING {method}" if method and b.t.method_syntax == "using" else ""
    return f"CREATE {kind}INDEX {b.q(name or '')} ON {b.table_sql(table)}{using} ({elements})"


def _index_elements(b: Writer, table: Table, ix: Index) -> str | None:
    elements = _key_elements(b, table, ix)
    if elements is None or not (b.same and ix.opclasses):
        return None if elements is None else ", ".join(elements)
    # gist (address inet_ops): without its operator class the index is refused (inet has no
    # default gist class) or is another index (text_pattern_ops serves LIKE 'abc%').
    pairs = zip(elements, ix.opclasses, strict=True)
    return ", ".join(f"{e} {b.sql(o, 'name')}" if o else e for e, o in pairs)


def _key_elements(b: Writer, table: Table, ix: Index) -> list[str] | None:
    if not ix.expressions:
        return [b.q(c) for c in ix.columns]
    spelled = {b.q(c): c for c in ix.columns} | {c: c for c in ix.columns}
    out = []
    for element in ix.expressions:
        column = spelled.get(element) or prefix_column(element, ix.columns)
        if b.same:
            wrap = b.t.wrap_index_expressions and column is None
            spelled_again = b.sql(element, "expression")
            out.append(parenthesized(spelled_again) if wrap else spelled_again)
        elif column is not None:
            if column != spelled.get(element):
                b.warn(table.key, f"index {ix.name}: key part {element} indexes the whole column")
            out.append(b.q(column))
        elif not b.t.expression_indexes:
            b.warn(table.key, f"index {ix.name} on expression {element} dropped")
            return None
        else:
            ported = b.port(element, table, f"index {ix.name} on expression")
            if ported is None:
                return None
            out.append(parenthesized(ported))
    return out
