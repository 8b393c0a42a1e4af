"""Mermaid ``erDiagram`` text from a :class:`~dbsynth.schema.Schema`.

One entity per table (columns with their SQL type and ``PK``/``FK``/``UK`` markers) and one
relationship per foreign key, drawn with crow's-foot cardinality derived from the schema, not
guessed:

* parent side: ``||`` (exactly one) when every FK column is NOT NULL, ``|o`` (zero or one) when
  any is nullable: under the default MATCH SIMPLE a NULL in any FK column means "no parent";
* child side: ``o|`` (zero or one child per parent) when the FK columns cover a primary key or
  unique constraint of the child, so at most one child row can point at a parent; ``o{``
  (zero or more) otherwise;
* line: ``--`` (identifying) when the FK columns are part of the child's primary key, ``..``
  otherwise.

Mermaid identifiers allow only ``[A-Za-z0-9_-]`` (no dots, spaces or commas), so names and types
are reduced to that alphabet; table keys stay distinct by construction (a numeric suffix
resolves any clash the reduction causes).
"""

from __future__ import annotations

import re

from dbsynth.schema import ForeignKey, LogicalType, Schema, Table

_NOT_WORD = re.compile(r"[^A-Za-z0-9_\-]+")
# Mermaid's attribute-type token also accepts () and [] (``varchar(45)``, ``text[]``).
_NOT_TYPE = re.compile(r"[^A-Za-z0-9_\-()\[\]]+")


def to_mermaid(schema: Schema) -> str:
    """The ``erDiagram`` for ``schema``, ending with a newline. Tables appear in schema order,
    relationships in table order then FK order, so the text is stable for a given schema."""
    names = entity_names(schema)
    lines = ["erDiagram"]
    for table in schema.tables:
        lines.append(f"    {names[table.key]} {{")
        lines.extend(f"        {attribute}" for attribute in _attributes(table))
        lines.append("    }")
    for table in schema.tables:
        for fk in table.foreign_keys:
            left = names[fk.ref_table]
            lines.append(f'    {left} {relationship(table, fk)} {names[table.key]} : "{_label(fk)}"')
    return "\n".join(lines) + "\n"


def entity_names(schema: Schema) -> dict[str, str]:
    """Table key -> Mermaid entity name. Bare table names when they are unique in the schema
    (the usual single-namespace case reads better), ``schema_name`` otherwise."""
    bare_counts: dict[str, int] = {}
    for t in schema.tables:
        bare_counts[t.name] = bare_counts.get(t.name, 0) + 1
    used: set[str] = set()
    names: dict[str, str] = {}
    for t in schema.tables:
        base = _word(t.name if bare_counts[t.name] == 1 else t.key.replace(".", "_"))
        name, n = base, 1
        while name.lower() in used:
            n += 1
            name = f"{base}_{n}"
        used.add(name.lower())
        names[t.key] = name
    return names


def relationship(child: Table, fk: ForeignKey) -> str:
    """The Mermaid relationship token (``||--o{`` and kin) for ``fk`` of table ``child``."""
    nullable = any(child.column(c).nullable for c in fk.columns)
    parent_side = "|o" if nullable else "||"
    child_side = "o|" if fk_is_unique(child, fk) else "o{"
    pk = set(child.primary_key.columns) if child.primary_key else set()
    line = "--" if set(fk.columns) <= pk else ".."
    return f"{parent_side}{line}{child_side}"


def fk_is_unique(child: Table, fk: ForeignKey) -> bool:
    """True when at most one row of ``child`` can reference a given parent row: the FK columns
    contain all columns of the primary key or of a (non-partial) unique constraint."""
    cols = set(fk.columns)
    keys = [u.columns for u in child.uniques if u.where is None]
    if child.primary_key:
        keys.append(child.primary_key.columns)
    return any(key and set(key) <= cols for key in keys)


def _attributes(table: Table) -> list[str]:
    pk = set(table.primary_key.columns) if table.primary_key else set()
    fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
    uk_cols = {c for u in table.uniques for c in u.columns}
    out = []
    for col in table.columns:
        markers = [m for m, cols in (("PK", pk), ("FK", fk_cols), ("UK", uk_cols)) if col.name in cols]
        if "PK" in markers and "UK" in markers:
            markers.remove("UK")  # a PK is unique already; Mermaid shows at most what adds meaning
        type_token = _type(col.sql_type, col.logical)
        text = f"{type_token} {_word(col.name)}"
        if markers:
            text += " " + ", ".join(markers)
        if col.name != _word(col.name):
            text += f' "{_comment(col.name)}"'  # keep the real name visible when it was reduced
        out.append(text)
    return out


def _type(sql_type: str, logical: LogicalType) -> str:
    # An ENUM's SQL text lists every label (``enum('G','PG',...)``): noise in a diagram.
    if logical in (LogicalType.ENUM, LogicalType.SET) and "(" in sql_type:
        return logical.value
    # numeric(10, 2) -> numeric(10_2); character varying(45) -> character_varying(45)
    token = _NOT_TYPE.sub("_", re.sub(r"\s*,\s*", "_", sql_type.strip())).strip("_")
    if not token or not re.match(r"[A-Za-z_]", token):
        token = f"t_{token}" if token else logical.value
    return token


def _word(name: str) -> str:
    word = _NOT_WORD.sub("_", name).strip("_") or "x"
    return word if re.match(r"[A-Za-z_]", word) else f"_{word}"


def _comment(text: str) -> str:
    return text.replace('"', "'")


def _label(fk: ForeignKey) -> str:
    return _comment(", ".join(fk.columns))


__all__ = ["entity_names", "fk_is_unique", "relationship", "to_mermaid"]
