"""What each column of a table is to the engine (a key it numbers, a foreign key, a generated
column, or a value with a model), from the schema alone: fitting and planning agree on it."""

from __future__ import annotations

from dbsynth.model import ColumnRole
from dbsynth.schema import LogicalType, Table


def column_roles(table: Table) -> dict[str, ColumnRole]:
    """What each column is to the engine (see ``ColumnRole``).

    Integer and UUID primary keys of one column, UUIDs in any primary key, and identity columns
    are numbered by the engine: their values carry no statistics worth keeping and a sequence
    satisfies their uniqueness by construction. An integer inside a composite key that is
    neither a foreign key nor an identity (a season in ``teams (year, team)``, a stint, a line
    number) is a value with a uniqueness constraint on its tuple: it keeps its fitted
    distribution (numbering it made seasons 1, 2, 3 ... and stints unique per table), and
    :mod:`dbsynth.planning.unique_keys` makes the tuple hold. Text primary keys
    (``customers.customer_id = 'ALFKI'``) are values with a unique model.
    """
    fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
    pk = table.primary_key.columns if table.primary_key else ()
    roles: dict[str, ColumnRole] = {}
    for col in table.columns:
        numbered = col.logical is LogicalType.UUID or (col.logical is LogicalType.INTEGER and len(pk) == 1)
        if col.generated is not None:
            roles[col.name] = "generated"
        elif col.name in fk_cols:
            roles[col.name] = "foreign_key"
        elif col.identity is not None or (col.name in pk and numbered):
            roles[col.name] = "key"
        else:
            roles[col.name] = "value"
    return roles


def unique_columns(table: Table) -> set[str]:
    single = [u.columns for u in table.uniques if len(u.columns) == 1]
    if table.primary_key and len(table.primary_key.columns) == 1:
        single.append(table.primary_key.columns)
    return {cols[0] for cols in single}
