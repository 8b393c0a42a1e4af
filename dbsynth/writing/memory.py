"""The in-memory target: a product, not test scaffolding (the Python API returns its frames).

It keeps one DataFrame per table, applies :class:`Update` items to the rows of the load, and
records every load (its spec, what was written, the result). It enforces no constraint — that is
the databases' job — but it keeps the same ``if_exists`` contract as they do, so code tested
against memory behaves the same against a database: a second load into tables that hold rows
fails unless it says ``truncate`` or ``append``, and ``append`` starts engine-numbered keys past
the rows already there. A load only becomes visible in :meth:`MemoryTarget.frames` when it is
closed with ``ok=True``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dbsynth.errors import TargetError, did_you_mean
from dbsynth.writing import safety
from dbsynth.writing.base import Batch, LoadResult, LoadSpec, Update


@dataclass(frozen=True)
class Record:
    """One item a sink received: ``kind`` is ``batch`` or ``update``."""

    kind: str
    table: str
    rows: int
    columns: tuple[str, ...]


@dataclass
class LoadLog:
    """One load into the memory target: its spec, every item in order, and how it ended."""

    spec: LoadSpec
    items: list[Record] = field(default_factory=list)
    result: LoadResult | None = None


class MemoryTarget:
    """Tables as pandas DataFrames (see the module docstring)."""

    supports_updates = True

    def __init__(self) -> None:
        self._tables: dict[str, pd.DataFrame] = {}
        self.loads: list[LoadLog] = []

    def describe(self) -> str:
        return "memory://"

    def frames(self) -> dict[str, pd.DataFrame]:
        """Every table's rows so far (copies: changing them does not change the target)."""
        return {k: v.copy() for k, v in self._tables.items()}

    def frame(self, table: str) -> pd.DataFrame:
        if table not in self._tables:
            raise TargetError(f"the memory target has no table {table}.{did_you_mean(table, self._tables)}")
        return self._tables[table].copy()

    def open(self, spec: LoadSpec) -> MemorySink:
        keys = safety.spec_tables(spec)
        if spec.if_exists == "fail":
            full = [k for k in keys if k in self._tables and len(self._tables[k])]
            if full:
                raise safety.not_empty(full)
        log = LoadLog(spec)
        self.loads.append(log)
        return MemorySink(self, spec, keys, log)


class MemorySink:
    def __init__(self, target: MemoryTarget, spec: LoadSpec, keys: list[str], log: LoadLog) -> None:
        self.target = target
        self.spec = spec
        self.log = log
        self.columns = {t.table: t.columns for t in spec.tables}
        self.staged: dict[str, list[pd.DataFrame]] = {k: [] for k in keys}
        self.key_start: dict[tuple[str, str], int] = {}
        for key, columns in spec.key_columns.items():
            existing = target._tables.get(key) if spec.if_exists == "append" else None
            for column in columns:
                top = existing[column].max() if existing is not None and len(existing) else None
                self.key_start[(key, column)] = 1 if top is None or pd.isna(top) else int(top) + 1
        self._done = False

    def write(self, item: Batch | Update) -> None:
        if self._done:
            raise safety.closed_load()
        if item.table not in self.staged:
            raise safety.unknown_table(item.table, self.staged)
        if isinstance(item, Batch):
            names = self.columns[item.table]
            safety.check_frame(item.table, item.frame.columns, names)
            self.staged[item.table].append(item.frame[list(names)].reset_index(drop=True))
            self.log.items.append(Record("batch", item.table, len(item.frame), names))
        else:
            try:
                self._update(item)
            except TargetError as exc:
                # As a database would: the load is over, and nothing of it is kept.
                self.close(False)
                raise TargetError(f"{exc}; {safety.ROLLED_BACK}") from None
            names = (*item.key_columns, *item.set_columns)
            self.log.items.append(Record("update", item.table, len(item.frame), names))

    def _update(self, update: Update) -> None:
        names = (*update.key_columns, *update.set_columns)
        safety.check_frame(update.table, update.frame.columns, names)
        if update.frame.empty:
            return
        frame = _concat(self.staged[update.table])
        keys = list(update.key_columns)
        index = pd.MultiIndex.from_frame(frame[keys]) if len(keys) > 1 else pd.Index(frame[keys[0]])
        wanted = (
            pd.MultiIndex.from_frame(update.frame[keys]) if len(keys) > 1 else pd.Index(update.frame[keys[0]])
        )
        positions = index.get_indexer(wanted) if index.is_unique else None
        if positions is None:
            raise TargetError(f"an UPDATE of {update.table} needs a unique key; ({', '.join(keys)}) is not")
        matched = int((positions >= 0).sum())
        if matched != len(update.frame):
            raise TargetError(f"writing {update.table} failed: {safety.unmatched(update, matched)}")
        for column in update.set_columns:
            values = frame[column].astype(object)
            values.iloc[positions] = update.frame[column].to_numpy(dtype=object)
            frame[column] = _restore_dtype(values, frame[column].dtype)
        self.staged[update.table] = [frame]

    def close(self, ok: bool) -> LoadResult:
        if self.log.result is not None:
            return self.log.result
        self._done = True
        if not ok:
            result = LoadResult(rows={}, committed=False, notes=(safety.ROLLED_BACK,))
        else:
            rows = {}
            for key, parts in self.staged.items():
                new = _concat(parts) if parts else pd.DataFrame({c: [] for c in self.columns[key]})
                old = self.target._tables.get(key)
                if self.spec.if_exists == "append" and old is not None and len(old):
                    new = _concat([old, new])
                self.target._tables[key] = new
                rows[key] = sum(len(p) for p in parts)
            result = LoadResult(rows=rows, committed=True)
        self.log.result = result
        return result


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if len(parts) == 1:
        return parts[0].copy()
    return pd.concat(parts, ignore_index=True)


def _restore_dtype(values: pd.Series, dtype: object) -> pd.Series:
    """Back to the column's dtype after an object-typed assignment; a column written all NULL
    (a cut FK) takes the type its new values need."""
    if pd.api.types.pandas_dtype(dtype) != np.dtype(object):
        try:
            return values.astype(dtype)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            pass
    return values.infer_objects()
