"""The EXCLUDE constraints of a table, created within PostgreSQL when generation keeps them.

A constraint is spelled from its parts (quoted columns, an operator of the kept forms, the
access method as one word, the predicate re-rendered), never from the definition text the
source printed. Across dialects, or for a form generation does not keep (a plan refuses to
generate rows under it), it is named as not carried.
"""

from __future__ import annotations

from dbsynth.planning.exclusions import EQUAL, OVERLAP, ExclusionForm, exclusion_form
from dbsynth.schema import Exclusion, Table
from dbsynth.writing.ddl.writer import Writer


def exclusion_clauses(b: Writer, table: Table) -> list[str]:
    """``CONSTRAINT name EXCLUDE USING method (column WITH op, ...) [WHERE (...)]`` for each
    exclusion of ``table`` the target gets, and a warning for each it does not."""
    out = []
    for x in table.exclusions:
        form = exclusion_form(table, x)
        why = _not_carried(b, form)
        if why is not None:
            shown = " ".join(x.definition.split())
            b.warn(table.key, f"exclusion constraint {x.name} ({shown}) not carried: {why}")
            continue
        if b.calls_missing(x.where, table.key, f"exclusion constraint {x.name}"):
            continue
        out.append(_clause(b, table, x))
    return out


def _clause(b: Writer, table: Table, x: Exclusion) -> str:
    # Only the operators of the kept forms are spelled, so no source text reaches the target.
    ops = {EQUAL: EQUAL, OVERLAP: OVERLAP}
    elements = ", ".join(f"{b.q(c)} WITH {ops[op]}" for c, op in zip(x.columns, x.operators, strict=True))
    name = b.claim("key", x.name, table)
    text = f"{b.constraint(name)}EXCLUDE USING {b.sql(x.method or 'gist', 'word')} ({elements})"
    return text + (f" WHERE ({b.sql(x.where, 'expression')})" if x.where is not None else "")


def _not_carried(b: Writer, form: ExclusionForm | str) -> str | None:
    if isinstance(form, str):
        return f"generated rows cannot be made to respect it ({form}), so it is not created in the target"
    if not (b.same and b.t.name == "postgresql"):
        return f"{b.t.name} has no exclusion constraints (generated rows still respect it)"
    return None
