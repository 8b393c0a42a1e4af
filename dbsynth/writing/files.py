"""Files target: one CSV or Parquet file per table in a directory, for loading elsewhere.

``<table key>.csv`` holds a header and the rows in the text PostgreSQL's ``COPY ... (FORMAT csv,
HEADER)`` reads back exactly (NULL is an unquoted empty field, an empty string is ``""``; arrays
are PostgreSQL array literals, bytes ``\\x`` hex, JSON its text). ``<table key>.parquet`` holds
typed columns (decimals as decimal128 when the precision allows, intervals as durations,
arrays as JSON text).

Memory stays flat: each batch is encoded and appended to its file as it arrives. Files are
written as ``<name>.partial`` and renamed at ``close(ok=True)``, so a failed load leaves no
half-written file and an existing file is only replaced (``truncate``) or extended (``append``,
CSV only) once the load succeeded.

Files cannot be updated in place, so this target says ``supports_updates = False``: the engine
should write the final values of nullable cycle FKs instead of cutting them. When an
:class:`Update` arrives anyway it is kept (its key and new values only) and applied in a second
streaming pass over the file at close.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dbsynth.errors import TargetError
from dbsynth.schema import Column
from dbsynth.writing import safety
from dbsynth.writing.base import Batch, LoadResult, LoadSpec, Update
from dbsynth.writing.encode import ARROW_TYPED, COPY_TEXT, Encoder, encode_table

FileFormat = Literal["csv", "parquet"]
FORMATS: dict[str, dict[Any, Encoder]] = {"csv": COPY_TEXT, "parquet": ARROW_TYPED}
_KEY_SEPARATOR = "\x1f"  # joins a composite key into one matchable string
_READ_BLOCK = 1 << 24
_NOTHING_WRITTEN = "no file was written"


def file_name(key: str, file_format: str) -> str:
    """``public.actor.csv``: the table key, with path separators replaced."""
    return key.replace("/", "_").replace("\\", "_") + "." + file_format


class FilesTarget:
    """A directory of CSV or Parquet files (see the module docstring)."""

    supports_updates = False

    def __init__(self, path: str | Path, *, file_format: FileFormat = "csv") -> None:
        if file_format not in FORMATS:
            raise TargetError(f"unknown file format '{file_format}'; choose csv or parquet")
        self.path = Path(path)
        self.file_format = file_format

    def describe(self) -> str:
        return f"{self.path} ({self.file_format} files)"

    def open(self, spec: LoadSpec) -> FilesSink:
        keys = safety.spec_tables(spec)
        if self.path.exists() and not self.path.is_dir():
            raise TargetError(f"{self.path} is a file, not a directory; name a directory for the table files")
        files = {k: self.path / file_name(k, self.file_format) for k in keys}
        for key, path in files.items():
            if not path.exists():
                continue
            if spec.if_exists == "fail":
                raise TargetError(
                    f"file {path.name} already exists in {self.path}; pass --if-exists truncate to replace "
                    "it or --if-exists append to add rows to it"
                )
            if spec.if_exists == "append" and self.file_format == "parquet":
                raise TargetError(
                    f"cannot append to Parquet file {path.name} in {self.path}; pass --if-exists truncate "
                    "to replace it, or write CSV"
                )
            if spec.if_exists == "append":
                _check_header(key, path, next(t.columns for t in spec.tables if t.table == key))
        self.path.mkdir(parents=True, exist_ok=True)
        return FilesSink(self, spec, files)


def _check_header(key: str, path: Path, columns: tuple[str, ...]) -> None:
    with path.open(newline="", encoding="utf-8") as f:
        header = tuple(next(csv.reader(f), ()))
    if header != columns:
        raise TargetError(
            f"file {path.name} has columns ({', '.join(header)}), not the ({', '.join(columns)}) "
            f"this load writes for {key}; it cannot be appended to"
        )


class FilesSink:
    def __init__(self, target: FilesTarget, spec: LoadSpec, files: dict[str, Path]) -> None:
        self.target = target
        self.spec = spec
        self.files = files
        self.encoders = FORMATS[target.file_format]
        self.columns = {t.table: t.columns for t in spec.tables}
        self.rows = dict.fromkeys(files, 0)
        self.writers: dict[str, Any] = {}
        self.schemas: dict[str, pa.Schema] = {}
        self.updates: dict[str, list[Update]] = {}
        self.key_start: dict[tuple[str, str], int] = {}
        self._result: LoadResult | None = None
        for key, columns in spec.key_columns.items():
            path = files.get(key)
            for column in columns:
                start = 1
                if path is not None and path.exists() and spec.if_exists == "append":
                    start = _max_key(path, column) + 1
                self.key_start[(key, column)] = start

    def partial(self, key: str) -> Path:
        path = self.files[key]
        return path.with_name(path.name + ".partial")

    def _schema_columns(self, key: str, names: tuple[str, ...]) -> list[Column]:
        table = self.spec.schema.table(key)
        return [table.column(n) for n in names]

    def write(self, item: Batch | Update) -> None:
        if self._result is not None:
            raise safety.closed_load()
        if item.table not in self.files:
            raise safety.unknown_table(item.table, self.files)
        if isinstance(item, Update):
            safety.check_frame(item.table, item.frame.columns, (*item.key_columns, *item.set_columns))
            self.updates.setdefault(item.table, []).append(item)
            return
        names = self.columns[item.table]
        safety.check_frame(item.table, item.frame.columns, names)
        try:
            encoded = encode_table(item.frame, self._schema_columns(item.table, names), self.encoders)
        except ValueError as exc:
            raise TargetError(f"writing {item.table} failed: {exc}") from None
        self._append(item.table, encoded)
        self.rows[item.table] += len(item.frame)

    def _append(self, key: str, table: pa.Table) -> None:
        schema = self.schemas.get(key)
        if schema is None:
            schema = self.schemas[key] = table.schema
            self.writers[key] = self._open_writer(key, schema)
        elif table.schema != schema:
            # A batch can encode a column differently (Decimal objects as exact text, floats as
            # float64); the file keeps the first batch's types.
            table = table.cast(schema)
        self.writers[key].write_table(table)

    def _open_writer(self, key: str, schema: pa.Schema) -> Any:
        path = self.partial(key)
        if self.target.file_format == "parquet":
            return pq.ParquetWriter(path, schema)
        # Appended rows go after the existing file's header, so their own part has none.
        header = not (self.spec.if_exists == "append" and self.files[key].exists())
        return pacsv.CSVWriter(path, schema, write_options=pacsv.WriteOptions(include_header=header))

    def close(self, ok: bool) -> LoadResult:
        if self._result is not None:
            return self._result
        try:
            if ok:
                for key in self.files:
                    if key not in self.writers:  # a table with no rows still gets its (empty) file
                        empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in self.columns[key]})
                        cols = self._schema_columns(key, self.columns[key])
                        self._append(key, encode_table(empty, cols, self.encoders))
        finally:
            for writer in self.writers.values():
                writer.close()
        if not ok:
            self._discard()
            self._result = LoadResult(rows={}, committed=False, notes=(_NOTHING_WRITTEN,))
            return self._result
        try:
            for key, updates in self.updates.items():
                self._apply_updates(key, updates)
        except (TargetError, pa.ArrowException) as exc:
            self._discard()
            self._result = LoadResult(rows={}, committed=False, notes=(_NOTHING_WRITTEN,))
            raise TargetError(f"applying updates failed: {exc}; {_NOTHING_WRITTEN}") from None
        for key, path in self.files.items():
            if self.spec.if_exists == "append" and path.exists():
                with self.partial(key).open("rb") as part, path.open("ab") as out:
                    shutil.copyfileobj(part, out)
                self.partial(key).unlink()
            else:
                self.partial(key).replace(path)
        self._result = LoadResult(rows=dict(self.rows), committed=True)
        return self._result

    def _discard(self) -> None:
        for key in self.files:
            self.partial(key).unlink(missing_ok=True)

    # -- updates: a second streaming pass over the file ------------------------------------------

    def _apply_updates(self, key: str, updates: list[Update]) -> None:
        source = self.partial(key)
        rewritten = source.with_name(source.name + ".updated")
        schema = self.schemas[key]
        pending = sum(len(u.frame) for u in updates)
        changes = [self._encoded_update(key, u, schema) for u in updates]
        with _Rewriter(self.target.file_format, source, rewritten, schema, self._header(key)) as rewriter:
            matched = rewriter.run(lambda batch: _apply(batch, changes))
        if matched != pending:
            rewritten.unlink(missing_ok=True)
            raise TargetError(f"the UPDATEs of {key} matched {matched} of {pending} rows by their keys")
        rewritten.replace(source)

    def _header(self, key: str) -> bool:
        return not (self.spec.if_exists == "append" and self.files[key].exists())

    def _encoded_update(self, key: str, update: Update, schema: pa.Schema) -> tuple[Update, pa.RecordBatch]:
        names = (*update.key_columns, *update.set_columns)
        encoded = encode_table(update.frame, self._schema_columns(key, names), self.encoders)
        typed = encoded.cast(pa.schema([schema.field(n) for n in names])).combine_chunks()
        return update, typed.to_batches()[0] if typed.num_rows else pa.RecordBatch.from_pylist(
            [], typed.schema
        )


def _key_text(table: pa.Table | pa.RecordBatch, columns: tuple[str, ...]) -> pa.Array:
    parts = [pc.cast(table.column(c), pa.string()) for c in columns]
    return parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, _KEY_SEPARATOR)


def _apply(batch: pa.RecordBatch, changes: list[tuple[Update, pa.RecordBatch]]) -> tuple[pa.RecordBatch, int]:
    matched = 0
    for update, values in changes:
        index = pc.index_in(
            _key_text(batch, update.key_columns), value_set=_key_text(values, update.key_columns)
        )
        hit = pc.is_valid(index)
        matched += pc.sum(hit).as_py() or 0
        arrays = list(batch.columns)
        for column in update.set_columns:
            i = batch.schema.get_field_index(column)
            arrays[i] = pc.if_else(hit, pc.take(values.column(column), index), batch.column(i))
        batch = pa.RecordBatch.from_arrays(arrays, schema=batch.schema)
    return batch, matched


class _Rewriter:
    """Stream a file's record batches through a function into a new file of the same format."""

    def __init__(self, file_format: str, source: Path, out: Path, schema: pa.Schema, header: bool) -> None:
        self.file_format = file_format
        self.source = source
        self.out = out
        self.schema = schema
        self.header = header

    def __enter__(self) -> _Rewriter:
        if self.file_format == "parquet":
            self.writer: Any = pq.ParquetWriter(self.out, self.schema)
        else:
            options = pacsv.WriteOptions(include_header=self.header)
            self.writer = pacsv.CSVWriter(self.out, self.schema, write_options=options)
        return self

    def __exit__(self, *exc: object) -> None:
        self.writer.close()

    def batches(self) -> Any:
        if self.file_format == "parquet":
            yield from pq.ParquetFile(self.source).iter_batches()
            return
        # Read back as text with the writer's NULL convention: unquoted empty is NULL, "" is not.
        names = self.schema.names
        read = pacsv.ReadOptions(
            column_names=names, skip_rows=1 if self.header else 0, block_size=_READ_BLOCK
        )
        convert = pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        )
        for batch in pacsv.open_csv(self.source, read_options=read, convert_options=convert):
            yield batch.cast(self.schema)

    def run(self, change: Callable[[pa.RecordBatch], tuple[pa.RecordBatch, int]]) -> int:
        matched = 0
        for batch in self.batches():
            new, hits = change(batch)
            self.writer.write_batch(new)
            matched += hits
        return matched


def _max_key(path: Path, column: str) -> int:
    read = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(include_columns=[column], column_types={column: pa.int64()}),
    )
    top = pc.max(read.column(column)).as_py()
    return int(top) if top is not None else 0
