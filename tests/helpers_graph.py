"""The tiny schema language of ``tests/fixtures/graph/*.schema`` and the text form of ``*.plan``.

A ``.schema`` file lists one table per line; ``#`` starts a comment::

    address
    audit_log [no pk]
    store: address_id -> address; manager_staff_id -> staff
    sales.region: (hq_no?, hq_country?) -> sales.warehouse(no, country) deferrable named region_hq

Every table gets a NOT NULL integer primary key ``id`` (unless ``[no pk]``) plus the columns its
FKs use. An FK is ``columns -> parent[(ref columns)]`` with optional flags ``deferrable``,
``virtual`` and ``named <name>``; several FKs are separated by ``;``. A ``?`` after a column
makes it nullable. ``schema.table`` names a table in a namespace (its key is ``schema.table``).

A ``.plan`` file is the expected :class:`InsertionPlan` in the form :func:`render_plan` prints::

    order: address, staff, store
    levels: address | staff | store
    cycle: staff, store
    self_reference: employee
    break: staff.store_id -> store | disable_and_validate | store -> staff -> store
"""

from __future__ import annotations

import re
from pathlib import Path

from dbsynth.cycles import fk_label
from dbsynth.graph import InsertionPlan
from dbsynth.schema import Column, ForeignKey, LogicalType, PrimaryKey, Schema, Table

FIXTURES = Path(__file__).parent / "fixtures" / "graph"

_FK = re.compile(
    r"^(?P<cols>\([^)]*\)|\S+)\s*->\s*(?P<parent>[\w.]+)(?:\((?P<refs>[^)]*)\))?(?P<flags>(?:\s+\S+)*)$"
)


def _names(text: str) -> list[str]:
    return [c.strip() for c in text.strip("()").split(",") if c.strip()]


def _foreign_key(text: str, line: str) -> tuple[ForeignKey, list[tuple[str, bool]]]:
    m = _FK.match(text.strip())
    if not m:
        raise ValueError(f"cannot parse foreign key '{text.strip()}' in line: {line}")
    cols = [(c.rstrip("?"), c.endswith("?")) for c in _names(m["cols"])]
    refs = tuple(_names(m["refs"])) if m["refs"] else ("id",) * len(cols)
    flags = m["flags"].split()
    name = None
    if "named" in flags:
        at = flags.index("named")
        name = flags[at + 1]
        del flags[at : at + 2]
    unknown = set(flags) - {"deferrable", "virtual"}
    if unknown:
        raise ValueError(f"unknown flag(s) {sorted(unknown)} in line: {line}")
    fk = ForeignKey(
        columns=tuple(c for c, _ in cols),
        ref_table=m["parent"],
        ref_columns=refs,
        name=name,
        deferrable="deferrable" in flags,
        virtual="virtual" in flags,
    )
    return fk, cols


def parse_schema(text: str, dialect: str = "postgresql") -> Schema:
    """The :class:`Schema` a ``.schema`` text describes (see the module docstring)."""
    tables = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        head, _, rest = line.partition(":")
        head = head.strip()
        no_pk = head.endswith("[no pk]")
        key = head.removesuffix("[no pk]").strip()
        namespace, _, name = key.rpartition(".")
        columns: dict[str, Column] = {}
        if not no_pk:
            columns["id"] = Column("id", "integer", LogicalType.INTEGER, nullable=False)
        fks = []
        for part in filter(str.strip, rest.split(";")):
            fk, cols = _foreign_key(part, line)
            fks.append(fk)
            for col, nullable in cols:
                columns.setdefault(col, Column(col, "integer", LogicalType.INTEGER, nullable=nullable))
        tables.append(
            Table(
                name=name,
                schema=namespace or None,
                columns=tuple(columns.values()),
                primary_key=None if no_pk else PrimaryKey(("id",)),
                foreign_keys=tuple(fks),
            )
        )
    return Schema(dialect=dialect, tables=tuple(tables))


def render_plan(plan: InsertionPlan) -> list[str]:
    """``plan`` as the lines of a ``.plan`` file."""
    lines = [
        "order: " + ", ".join(plan.order),
        "levels: " + " | ".join(", ".join(level) for level in plan.levels),
    ]
    lines += ["cycle: " + ", ".join(c) for c in plan.cycles]
    lines += [f"self_reference: {t}" for t in plan.self_references]
    lines += [
        f"break: {fk_label(b.table, b.foreign_key)} -> {b.foreign_key.ref_table} | {b.strategy} | "
        + " -> ".join(b.cycle)
        for b in plan.breaks
    ]
    return lines


def read_plan(path: Path) -> list[str]:
    """The expected lines of a ``.plan`` file, comments and blank lines dropped."""
    lines = (raw.split("#", 1)[0].strip() for raw in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def cases() -> list[str]:
    """Names of the fixture pairs: every ``X.schema`` must have its ``X.plan``."""
    return sorted(p.stem for p in FIXTURES.glob("*.schema"))
