"""Reference tables copied verbatim from the source (config ``copy: true``).

Countries, currencies and categories are not data to imitate: every row matters and none is
personal. They are read at generation time from the source, read-only, in chunks, and written
as they are; their key values then serve the synthetic children like any generated parent's.
The model file never holds these rows: generating a model with copied tables needs the source.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import URL

from dbsynth.db import connect
from dbsynth.errors import UsageError
from dbsynth.generation.values import coerce_column
from dbsynth.sampling.frames import to_frame
from dbsynth.schema import Table


def copy_rows(source: str | URL | None, table: Table, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The rows of ``table`` in the source, in primary-key order, as writer-contract frames."""
    if source is None:
        raise UsageError(
            f"table {table.key} is copied from the source (copy: true in the config): "
            "give the source database with --source"
        )
    columns = [c for c in table.columns if c.generated is None]
    stored = replace(table, columns=tuple(columns))  # the columns read: generated ones are not
    clause = sa.table(table.name, *(sa.column(c.name) for c in columns), schema=table.schema)
    query = sa.select(*clause.c)
    order = table.primary_key.columns if table.primary_key else tuple(c.name for c in columns)
    query = query.order_by(*(clause.c[name] for name in order))
    with connect(source, read_only=True) as conn:
        result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(query)
        for part in result.partitions(chunk_rows):
            frame, _ = to_frame(stored, [tuple(r) for r in part])
            yield pd.DataFrame({c.name: coerce_column(c, frame[c.name], None) for c in columns})
