"""How many rows a plan may give a table: what its integer key can number, and a ceiling.

``--scale 1e12`` or a model whose ``row_count`` is 10^15 would otherwise write until killed (or
until an ``integer`` key wraps around in the target, hours later). A count is refused before
anything is opened, with one line naming the table, where the count came from (the option, the
config key or the model field) and the limit it breaks.
"""

from __future__ import annotations

from collections.abc import Mapping

from dbsynth.columns.numeric import integer_bounds
from dbsynth.errors import UsageError
from dbsynth.options import MAX_TABLE_ROWS
from dbsynth.schema import Table


def key_limit(table: Table, column: str) -> int:
    """The largest value ``column`` of ``table`` can hold (an unknown spelling counts as 64-bit;
    SQLite's INTEGER is 64-bit)."""
    return integer_bounds(table.column(column))[1]


def numbers_every_row(table: Table, column: str) -> bool:
    """Whether ``column`` takes a distinct number per row of the whole table: the table's
    one-column primary key or a column the database numbers (identity, serial, auto-increment).
    A line number inside a composite key (``order_items (order_id, line_no)``) counts 1, 2, ...
    within its parent, so a ``tinyint`` holds it whatever the table's size."""
    pk = table.primary_key.columns if table.primary_key else ()
    return pk == (column,) or table.column(column).identity is not None


def check_counts(
    counts: Mapping[str, int],
    tables: Mapping[str, Table],
    key_columns: Mapping[str, tuple[str, ...]],
    origin: Mapping[str, str],
) -> None:
    """Refuse the first table whose count the ceiling or one of its numbered keys cannot take.
    ``origin`` says per table where its count came from (``--rows``, ``--scale 3 × row_count 40``)."""
    for key, n in counts.items():
        where = origin.get(key, "")
        if n > MAX_TABLE_ROWS:
            raise UsageError(
                f"table {key}: {n:,} rows planned ({where}), more than the {MAX_TABLE_ROWS:,} rows "
                "dbsynth writes into one table; give a smaller count"
            )
        for column in key_columns.get(key, ()):
            if not numbers_every_row(tables[key], column):
                continue
            limit = key_limit(tables[key], column)
            if n > limit:
                sql_type = tables[key].column(column).sql_type
                raise UsageError(
                    f"table {key}: {n:,} rows planned ({where}) overflow its key {column} "
                    f"({sql_type}, at most {limit:,}); give a smaller count"
                )


__all__ = ["MAX_TABLE_ROWS", "check_counts", "key_limit", "numbers_every_row"]
