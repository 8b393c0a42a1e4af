"""Which PostgreSQL EXCLUDE constraints generated rows can be made to respect, and how.

An exclusion says no two rows may have every element's operator true between them. Generation
keeps three forms, all over plain columns:

* every element ``WITH =``: no two rows share the values, NULLs apart, like a UNIQUE;
* elements ``WITH =`` and one range column ``WITH &&``: within each group of equal values the
  ranges do not overlap (``room WITH =, during WITH &&``: no double booking);
* one range column ``WITH &&`` alone: no two ranges overlap at all.

A partial exclusion (``WHERE``) is kept over every row, which is stricter than it asks. Any
other form (an expression element, another operator, ``&&`` over two columns or over a type
that is not a range) cannot be kept, and a plan that would generate two or more rows of such a
table is refused (:func:`refuse_unkept`): the target would refuse the rows, or, without the
constraint, hold rows that break it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dbsynth.columns.sqltypes import RANGE_SUBTYPES, base_type
from dbsynth.errors import UsageError
from dbsynth.schema import Exclusion, Schema, Table

EQUAL, OVERLAP = "=", "&&"


@dataclass(frozen=True)
class ExclusionForm:
    """A kept exclusion: the columns compared ``WITH =`` and the range column compared ``WITH
    &&`` (None for the UNIQUE-like form)."""

    name: str
    equal: tuple[str, ...]
    overlap: str | None = None


def exclusion_form(table: Table, x: Exclusion) -> ExclusionForm | str:
    """The form of ``x`` that generation keeps, or why it cannot be kept."""
    if x.method is None:  # introspection always records it: a model fitted before it did
        return "its operators are not recorded; fit the model again"
    if not x.operators or len(x.operators) != len(x.columns):
        return "an element is an expression, not a column"
    odd = sorted({op for op in x.operators if op not in (EQUAL, OVERLAP)})
    if odd:
        return f"operator {', '.join(odd)} is not = or &&"
    overlap = [c for c, op in zip(x.columns, x.operators, strict=True) if op == OVERLAP]
    if len(overlap) > 1:
        return "&& over more than one column"
    if overlap:
        column = next((c for c in table.columns if c.name == overlap[0]), None)
        if column is None or column.array_dims or base_type(column.sql_type) not in RANGE_SUBTYPES:
            shown = column.sql_type if column is not None else "?"
            return f"&& over {overlap[0]} ({shown}), which is not a range of a built-in type"
    equal = tuple(c for c, op in zip(x.columns, x.operators, strict=True) if op == EQUAL)
    return ExclusionForm(x.name, equal, overlap[0] if overlap else None)


def kept_exclusions(table: Table) -> tuple[ExclusionForm, ...]:
    """The exclusions of ``table`` that generation keeps (the others are refused by the plan)."""
    forms = (exclusion_form(table, x) for x in table.exclusions)
    return tuple(f for f in forms if isinstance(f, ExclusionForm))


def refuse_unkept(schema: Schema, counts: Mapping[str, int], copied: Mapping[str, bool]) -> None:
    """Raise a one-line error for the first table that would get two or more generated rows
    under an exclusion that generation cannot keep (a copied table keeps the source's rows)."""
    for key, rows in counts.items():
        if rows < 2 or copied.get(key):
            continue
        table = schema.table(key)
        for x in table.exclusions:
            why = exclusion_form(table, x)
            if isinstance(why, str):
                raise UsageError(
                    f"table {key}: exclusion constraint {x.name} ({' '.join(x.definition.split())}) "
                    f"cannot be kept by generated rows ({why}); give the table --rows '{key}=0' "
                    "or copy it from the source"
                )
