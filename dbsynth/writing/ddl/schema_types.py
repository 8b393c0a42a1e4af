"""The schema-level objects a PostgreSQL-to-PostgreSQL script creates before its tables:
extensions, enum types, domains (each after the domain it is based on), composite types and the
sequences behind serial columns. Each function returns the statements in the order they run;
the builder places them in the script's first group."""

from __future__ import annotations

from dbsynth.schema import Schema
from dbsynth.writing.ddl.dialects import sql_string
from dbsynth.writing.ddl.order import domains_bases_first
from dbsynth.writing.ddl.typemap import find_domain
from dbsynth.writing.ddl.writer import Writer


def qualified(w: Writer, namespace: str | None, name: str) -> str:
    return f"{w.q(namespace)}.{w.q(name)}" if namespace else w.q(name)


def extensions(w: Writer, schema: Schema) -> list[str]:
    if w.t.name != "postgresql":
        return []
    return [
        f"CREATE EXTENSION IF NOT EXISTS {w.q(e.name)}"
        + (f" WITH SCHEMA {w.q(e.schema)}" if e.schema else "")
        for e in schema.extensions
    ]


def enums(w: Writer, schema: Schema) -> list[str]:
    return [
        f"CREATE TYPE {qualified(w, e.schema, e.name)} AS ENUM "
        f"({', '.join(sql_string(x, w.t.name) for x in e.labels)})"
        for e in schema.enums
    ]


def domains(w: Writer, schema: Schema) -> list[str]:
    statements = []
    for d in domains_bases_first(schema):
        base = find_domain(schema, d.base_type)
        # A domain over a domain lists the whole chain's CHECKs; it declares only its own.
        inherited = set(base.checks) if base else set()
        where = f"domain {d.schema + '.' if d.schema else ''}{d.name}"
        parts = [f"CREATE DOMAIN {qualified(w, d.schema, d.name)} AS {w.sql(d.base_type, 'type')}"]
        if (
            d.default is not None
            and not (base and base.default == d.default)
            and not w.calls_missing(d.default, where, f"DEFAULT {d.default}")
        ):
            parts.append(f"DEFAULT {w.sql(d.default, 'expression')}")
        if not d.nullable and (base is None or base.nullable):
            parts.append("NOT NULL")
        parts += [
            f"{w.constraint(c.name)}CHECK ({w.sql(c.expression, 'expression')})"
            for c in d.checks
            if c not in inherited and not w.calls_missing(c.expression, where, f"CHECK {c.name or ''}")
        ]
        statements.append(" ".join(parts))
    return statements


def composites(w: Writer, schema: Schema) -> list[str]:
    """Composite types after the enums and domains their attributes may use, each after the
    composite types it uses (introspection lists them so)."""
    statements = []
    for ct in schema.composites:
        attributes = ", ".join(f"{w.q(a.name)} {w.sql(a.sql_type, 'type')}" for a in ct.attributes)
        statements.append(f"CREATE TYPE {qualified(w, ct.schema, ct.name)} AS ({attributes})")
    return statements


def sequences(w: Writer, schema: Schema) -> list[str]:
    statements = []
    seen: set[str] = set()
    for table in schema.tables:
        for c in table.columns:
            ident = c.identity
            if ident is None or ident.kind != "serial" or not ident.sequence or ident.sequence in seen:
                continue
            seen.add(ident.sequence)
            parts = [f"CREATE SEQUENCE {w.sql(ident.sequence, 'name')}"]
            if c.sql_type in ("smallint", "integer"):  # what serial/smallserial create
                parts.append(f"AS {c.sql_type}")
            if ident.increment != 1:
                parts.append(f"INCREMENT BY {ident.increment}")
            if ident.start != 1:
                parts.append(f"START WITH {ident.start}")
            statements.append(" ".join(parts))
    return statements
