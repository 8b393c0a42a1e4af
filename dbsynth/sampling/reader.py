"""The SELECTs of a sample: rows, counts and estimates, read as frames with the key's hash."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement

from dbsynth.sampling.dialects import DIALECTS
from dbsynth.sampling.frames import (
    Loader,
    Notes,
    key_tuples,
    pg_text_frame,
    read_copy,
    rows_frame,
    sorted_by_last,
)
from dbsynth.schema import Table

Key = tuple[Any, ...]

HASH_COLUMN = "__dbsynth_h"
CHUNK_ROWS = 10_000  # rows per fetch from the server-side cursor (MySQL, SQLite)


def _hash_columns(table: Table) -> tuple[str, ...]:
    """The key rows are hashed on: the PK, else a unique key of NOT NULL columns, else all."""
    if table.primary_key and table.primary_key.columns:
        return table.primary_key.columns
    for u in table.uniques:
        if u.where is None and u.columns and not any(table.column(c).nullable for c in u.columns):
            return u.columns
    return table.column_names


def batches(items: Sequence[Key], size: int) -> Iterator[Sequence[Key]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Reader:
    """Issues the SELECTs; remembers which table it is reading, for error messages.

    Rows come back as frames (``dbsynth.sampling.frames`` dtypes) with the hash in a last column
    ``HASH_COLUMN``. On PostgreSQL a read is one ``COPY (SELECT ...) TO STDOUT`` in CSV, parsed
    column by column (allowed in a read-only transaction; an order of magnitude faster than
    fetching row tuples, whose per-value Python work dominated a large sample); elsewhere the
    driver's rows are fetched and converted.
    """

    def __init__(self, conn: Connection, kind: str, seed: int) -> None:
        self.conn = conn
        self.kind = kind
        self.dialect = DIALECTS[kind]
        self.seed = seed
        self.current = ""
        self.current_filtered = False
        self.notes: dict[str, Notes] = {}
        self._clauses: dict[str, sa.TableClause] = {}
        self._oids: dict[str, list[int]] = {}
        self._loaders: dict[int, Loader] = {}
        self._transformer: Any = None

    def clause(self, table: Table) -> sa.TableClause:
        """One clause object per table: conditions built separately must name the same FROM."""
        if table.key not in self._clauses:
            cols: list[sa.ColumnClause[Any]] = [sa.column(c) for c in table.column_names]
            self._clauses[table.key] = sa.table(table.name, *cols, schema=table.schema)
        return self._clauses[table.key]

    def hash(self, table: Table, tc: sa.TableClause) -> ColumnElement[Any]:
        return self.dialect.hash([tc.c[c] for c in _hash_columns(table)], self.seed)

    def rows(
        self,
        table: Table,
        conditions: Sequence[ColumnElement[bool]],
        limit: int | None = None,
        *,
        smallest: bool = True,
    ) -> pd.DataFrame:
        """Rows (all columns, then the hash) matching ``conditions``, ordered by the hash: with
        a ``limit``, the ``limit`` rows of smallest hash, or any ``limit`` rows when not
        ``smallest`` (enough to learn whether a table has more rows than that).

        The server sorts only when a LIMIT needs it. Otherwise the rows are sorted here, on
        their hashes: the same order (hex digits compare the same byte-wise and as text), and
        a whole table sorted on the server is a sort of every row, spilled to disk when large.
        """
        tc = self.clause(table)
        h = self.hash(table, tc)
        query = sa.select(*tc.c, h.label(HASH_COLUMN)).where(*conditions)
        sorted_here = limit is None or not smallest
        if not sorted_here:
            query = query.order_by(h)
        if limit is not None:
            query = query.limit(limit)
        notes = self.notes.setdefault(table.key, Notes(table.key))
        if self.dialect.copy and self._utf8():
            return self._copied(table, query, notes, sorted_here)
        result = self.conn.execution_options(yield_per=CHUNK_ROWS).execute(query)
        rows = [r for chunk in result.partitions() for r in chunk]
        if sorted_here:
            rows.sort(key=itemgetter(-1))
        frame = rows_frame(table, rows, notes)
        frame[HASH_COLUMN] = pd.array([r[-1] for r in rows], dtype="string")
        return frame

    @property
    def driver(self) -> Any:
        """The DB-API connection under SQLAlchemy's (psycopg's, for COPY)."""
        return self.conn.connection.driver_connection

    def _utf8(self) -> bool:
        # pyarrow reads UTF-8 only; another client encoding keeps the driver's own decoding.
        return str(self.driver.info.encoding) == "utf-8"

    def _copied(self, table: Table, query: sa.Select[Any], notes: Notes, sort: bool) -> pd.DataFrame:
        import psycopg

        compiled = query.compile(dialect=self.conn.dialect, compile_kwargs={"render_postcompile": True})
        params = dict(compiled.params)
        sql = f"COPY ({compiled}) TO STDOUT (FORMAT csv)"
        if not params:
            sql = sql.replace("%%", "%")  # psycopg only merges (and un-doubles) when given params
        oids = self.oids(table)
        driver = self.driver
        try:
            texts = read_copy(driver, sql, params or None, len(oids) + 1)
        except psycopg.Error as exc:
            if driver.broken:
                self.conn.invalidate(exc)
            raise DBAPIError.instance(
                sql, params, exc, psycopg.Error, connection_invalidated=bool(driver.broken)
            ) from exc
        if sort:
            texts = sorted_by_last(texts)
        frame = pg_text_frame(table, texts[:-1], oids, self._loader, notes)
        frame[HASH_COLUMN] = pd.array(texts[-1], dtype="string")
        return frame

    def oids(self, table: Table) -> list[int]:
        """The type OIDs of ``table``'s columns as the server describes them (domains resolved)."""
        if table.key not in self._oids:
            result = self.conn.execute(sa.select(*self.clause(table).c).where(sa.false()))
            description: Any = result.cursor.description
            self._oids[table.key] = [int(d[1]) for d in description]
            result.close()
        return self._oids[table.key]

    def _loader(self, oid: int) -> Loader:
        """psycopg's text loader for a type, with the connection's adapters (the infinities)."""
        if oid not in self._loaders:
            from psycopg.adapt import Transformer
            from psycopg.pq import Format

            if self._transformer is None:
                self._transformer = Transformer(self.driver)
            self._loaders[oid] = self._transformer.get_loader(oid, Format.TEXT).load
        return self._loaders[oid]

    def count(self, table: Table, conditions: Sequence[ColumnElement[bool]], limit: int | None = None) -> int:
        """Rows matching ``conditions``; with ``limit``, stops counting there (bounded cost)."""
        inner: sa.Select[Any] = sa.select(sa.literal_column("1").label("one")).select_from(self.clause(table))
        inner = inner.where(*conditions)
        if limit is not None:
            inner = inner.limit(limit)
        query = sa.select(sa.func.count()).select_from(inner.subquery())
        return int(self.conn.execute(query).scalar_one())

    def estimate(self, table: Table) -> int | None:
        if self.dialect.estimate is None:
            return None
        name = self.conn.dialect.identifier_preparer.format_table(self.clause(table))
        row = self.conn.execute(sa.text(self.dialect.estimate), {"name": name, "table": table.name}).first()
        if row is None:
            return None
        own = float(row[0]) if row[0] is not None and float(row[0]) >= 0 else None
        inherited = float(row[1]) if row[1] is not None else None
        if own is None and inherited is None:
            return None
        return round((own or 0.0) + (inherited or 0.0))

    def family_counts(
        self,
        table: Table,
        columns: Sequence[str],
        keys: Sequence[Key],
        conditions: Sequence[ColumnElement[bool]],
    ) -> dict[Key, int]:
        """Rows per key; the keys are normalised like frame keys (:meth:`key_tuples`)."""
        tc = self.clause(table)
        cols = [tc.c[c] for c in columns]
        query = sa.select(*cols, sa.func.count())
        query = query.where(self.key_condition(table, columns, keys), *conditions).group_by(*cols)
        rows = self.conn.execute(query).all()
        part = Table(table.name, tuple(table.column(c) for c in columns), table.schema)
        frame = rows_frame(part, rows, Notes(table.key))
        return dict(zip(key_tuples(frame, part, columns, self.kind), (int(r[-1]) for r in rows), strict=True))

    def key_condition(self, table: Table, columns: Sequence[str], keys: Sequence[Key]) -> ColumnElement[bool]:
        tc = self.clause(table)
        element = None
        if self.dialect.copy and len(columns) == 1:
            element = _PG_INTS.get(self.oids(table)[table.column_names.index(columns[0])])
        if element is not None:
            # One array parameter, not one placeholder per key: rendering and binding 30,000
            # placeholders took longer than the query. The array has the column's own type: an
            # int4 column against an int8[] cannot use the hashed lookup and compares linearly.
            values = sa.bindparam("keys", [k[0] for k in keys], type_=ARRAY(element))
            return tc.c[columns[0]] == sa.any_(values)
        return _key_in([tc.c[c] for c in columns], keys)

    def batch_size(self, columns: int) -> int:
        return max(1, self.dialect.max_params // max(1, columns))


# PostgreSQL integer type OIDs -> the array element type their keys are sent as.
_PG_INTS: dict[int, type[sa.types.TypeEngine[int]]] = {20: sa.BigInteger, 21: sa.SmallInteger, 23: sa.Integer}


def _key_in(cols: Sequence[ColumnElement[Any]], keys: Sequence[Key]) -> ColumnElement[bool]:
    if len(cols) == 1:
        return cols[0].in_([k[0] for k in keys])
    return sa.tuple_(*cols).in_(list(keys))


def threshold(fraction: float) -> str:
    """The 8-hex-digit prefix below which a share ``fraction`` of md5 values falls."""
    return f"{min(int(fraction * 16**8), 16**8 - 1):08x}"


def concat_frames(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    kept = [p for p in parts if len(p)] or list(parts[:1])
    return kept[0].reset_index(drop=True) if len(kept) == 1 else pd.concat(kept, ignore_index=True)
