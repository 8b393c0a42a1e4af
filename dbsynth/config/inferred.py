"""Foreign keys the database does not declare, inferred from a sample (virtual foreign keys).

Rails, Django and MySQL applications often declare few foreign keys: ``city.countrycode``
holds ``country.code`` values without a constraint saying so. Generated as a plain column, such
a key points at parents that do not exist. :func:`infer_keys` finds them on the sampled frames:

* the parent side is a primary key or an unconditional UNIQUE key of one column, of a table
  read whole (only then can the sample show that a value has no parent);
* the child column is of the same type family (``KEY_FAMILY``) and can hold every key the
  parent's type allows (its length), is not generated, not an identity, not in a declared
  foreign key, not set by the config, and not a key of its own table (single-column primary or
  unique key) unless its name says otherwise;
* at least ``MIN_SHARE`` of its distinct sampled values and of its non-NULL sampled rows occur
  among the parent's keys;
* **names**: integers, decimals and enums match almost any dense key (``rating`` 1..5 is in
  every ``id`` column), so they need name evidence: the column is named after the parent table
  (``country``, ``country_code``, ``customer_id``, ``billing_country_code``) or both columns
  carry the same name that contains the parent's name (``customer_id`` in ``customers``). Text
  and UUID keys are evidence by themselves when the column has at least ``MIN_DISTINCT`` distinct
  values, not all of them digits (codes rarely fall into another table's keys by chance, digit
  strings do); otherwise names are needed too. Dates, times, floats and booleans are never inferred.

When several parents qualify, a named one wins, then the larger share of rows, then the parent
with fewer keys (the most specific). A pair found in both directions (two tables with the same
keys) is dropped: the sample cannot say which one is the parent. So is a key a cycle of foreign
keys would have to be cut at (:func:`_never_cut`).

What is kept is counts, never values: :meth:`InferredKey.evidence` says how many distinct
values and rows matched, so the model file and ``--explain`` show why without a sampled value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

import pandas as pd

from dbsynth.config.bind import KEY_FAMILY
from dbsynth.graph import plan_insertion
from dbsynth.schema import Column, ForeignKey, LogicalType, Schema, Table

MIN_SHARE = 0.99  # of distinct values and of rows that must occur among the parent's keys
MIN_DISTINCT = 10  # distinct text/UUID values that are evidence without a matching name
# Families whose containment alone is evidence (given MIN_DISTINCT); the others need a name.
_SELF_EVIDENT = frozenset({LogicalType.STRING, LogicalType.TEXT, LogicalType.UUID})
_NAMED_ONLY = frozenset({LogicalType.INTEGER, LogicalType.DECIMAL, LogicalType.ENUM})


@dataclass(frozen=True)
class InferredKey:
    """``table.column`` holds values of ``ref_table.ref_column`` (a key of it), by the counts:
    ``found`` of ``distinct`` distinct sampled values and ``rows_found`` of ``rows`` non-NULL rows
    occur among the parent's keys; ``named`` when the names agree too."""

    table: str
    column: str
    ref_table: str
    ref_column: str
    distinct: int
    found: int
    rows: int
    rows_found: int
    named: bool

    @property
    def share(self) -> float:
        return self.rows_found / self.rows if self.rows else 0.0

    def evidence(self) -> str:
        """One line, counts only (no sampled value)."""
        text = (
            f"{self.found:,} of {self.distinct:,} distinct sampled values "
            f"({self.rows_found:,} of {self.rows:,} rows) occur in {self.ref_table}.{self.ref_column}"
        )
        return text + ("; the names match" if self.named else "")

    def foreign_key(self) -> ForeignKey:
        return ForeignKey(
            (self.column,), self.ref_table, (self.ref_column,), virtual=True, inferred=self.evidence()
        )

    def describe(self) -> str:
        return f"{self.table}({self.column}) -> {self.ref_table}({self.ref_column})"


def infer_keys(
    schema: Schema,
    frames: Mapping[str, pd.DataFrame],
    whole: Collection[str],
    skip: Callable[[str, str, str], bool] | None = None,
) -> tuple[InferredKey, ...]:
    """The undeclared foreign keys the sample shows (module doc). ``whole`` are the keys of the
    tables read entirely; ``skip(table, column, parent)`` says a pair must not be inferred (the
    config rejects it, sets the column, or copies the child but not the parent)."""
    parents = _parent_keys(schema, frames, whole)
    if not parents:
        return ()
    found: list[InferredKey] = []
    for table in schema.tables:
        frame = frames.get(table.key)
        if frame is None or frame.empty:
            continue
        for col in _candidates(table):
            if col.name not in frame:
                continue
            best = _best(table, col, frame[col.name], parents, skip)
            if best is not None:
                found.append(best)
    pairs = {(k.table, k.column, k.ref_table, k.ref_column) for k in found}
    one_way = [k for k in found if (k.ref_table, k.ref_column, k.table, k.column) not in pairs]
    return _never_cut(schema, one_way)


def _never_cut(schema: Schema, keys: list[InferredKey]) -> tuple[InferredKey, ...]:
    """``keys`` without those a cycle would be cut at (``dbsynth.cycles``). A cut key is written
    before its parent from keys numbered by row, which a text key like ``departments.capital``
    cannot be (french_towns: ``regions.capital`` inside ``departments.capital`` against the
    declared NOT NULL ``departments.region``), and it loses its children per parent anyway. A
    cycle the cutter breaks at a declared key instead (world's nullable ``country.capital``
    against ``city.countrycode``) keeps the inferred one. Dropping a key can change the best
    cut of what is left, hence the loop."""
    while keys:
        breaks = plan_insertion(with_keys(schema, keys)).breaks
        cut = {(b.table, b.foreign_key.columns) for b in breaks if b.foreign_key.inferred is not None}
        if not cut:
            break
        keys = [k for k in keys if (k.table, (k.column,)) not in cut]
    return tuple(keys)


def with_keys(schema: Schema, keys: Collection[InferredKey]) -> Schema:
    """``schema`` with ``keys`` added to their tables as virtual foreign keys."""
    for key in keys:
        table = schema.table(key.table)
        schema = schema.replace_table(replace(table, foreign_keys=(*table.foreign_keys, key.foreign_key())))
    return schema


@dataclass(frozen=True)
class _ParentKey:
    table: Table
    column: Column
    values: frozenset[object]


def _parent_keys(
    schema: Schema, frames: Mapping[str, pd.DataFrame], whole: Collection[str]
) -> list[_ParentKey]:
    out = []
    for table in schema.tables:
        frame = frames.get(table.key)
        if table.key not in whole or frame is None or frame.empty:
            continue
        keys = [u.columns for u in table.uniques if u.where is None and len(u.columns) == 1]
        if table.primary_key is not None and len(table.primary_key.columns) == 1:
            keys.insert(0, table.primary_key.columns)
        seen: set[str] = set()
        for (name,) in keys:
            column = table.column(name)
            if name in seen or KEY_FAMILY.get(column.logical) is None or name not in frame:
                continue
            seen.add(name)
            values = frozenset(_canonical(v, column.logical) for v in frame[name].dropna())
            if values:
                out.append(_ParentKey(table, column, values))
    return out


def _candidates(table: Table) -> list[Column]:
    declared = {c for fk in table.foreign_keys for c in fk.columns}
    return [
        c
        for c in table.columns
        if c.generated is None
        and c.identity is None
        and c.name not in declared
        and (c.logical in _SELF_EVIDENT or c.logical in _NAMED_ONLY)
    ]


def _best(
    table: Table,
    col: Column,
    series: pd.Series,
    parents: list[_ParentKey],
    skip: Callable[[str, str, str], bool] | None,
) -> InferredKey | None:
    values = series.dropna()
    if values.empty:
        return None
    canon = pd.Series([_canonical(v, col.logical) for v in values])
    counts = canon.value_counts()
    # A key of its own table (regions.code inside departments.code) is a one-to-one link at
    # most, and two code lists overlapping is common; text made of digits only ('01'..'95')
    # falls into other digit codes as easily as integers do. Both need a name.
    own_key = any(u.columns == (col.name,) for u in table.uniques if u.where is None) or (
        table.primary_key is not None and table.primary_key.columns == (col.name,)
    )
    digits = all(str(v).strip().isdigit() for v in counts.index)
    found_: list[tuple[InferredKey, int]] = []
    for parent in parents:
        ref = parent.column
        if (
            parent.table.key == table.key
            or KEY_FAMILY.get(col.logical) != KEY_FAMILY.get(ref.logical)
            or not _holds(col, ref)
        ):
            continue
        named = names_match(col.name, parent.table.name, ref.name)
        evident = col.logical in _SELF_EVIDENT and len(counts) >= MIN_DISTINCT and not digits
        if not named and (own_key or not evident):
            continue
        hit = counts.index.isin(list(parent.values))
        found, rows_found = int(hit.sum()), int(counts[hit].sum())
        if found < MIN_SHARE * len(counts) or rows_found < MIN_SHARE * len(canon):
            continue
        if skip is not None and skip(table.key, col.name, parent.table.key):
            continue
        guess = InferredKey(
            table.key, col.name, parent.table.key, ref.name, len(counts), found, len(canon), rows_found, named
        )
        found_.append((guess, len(parent.values)))
    if not found_:
        return None
    # Named first, then the larger share of rows, then the most specific parent (fewer keys);
    # the table key last keeps the choice deterministic.
    return min(found_, key=lambda g: (not g[0].named, -g[0].share, g[1], g[0].ref_table, g[0].ref_column))[0]


def _holds(child: Column, parent: Column) -> bool:
    """Whether every value the parent's key column can take fits the child column: generated
    keys follow the parent's type, not the sampled values (``char(2)`` cannot hold a key of a
    ``varchar(3)``, nor of an unbounded ``text``, even if every sampled one has two letters)."""
    if child.length is None:
        return True
    return parent.length is not None and parent.length <= child.length


def _canonical(value: object, logical: LogicalType) -> object:
    """A value as keys compare across tables: numbers by value (``5``, ``5.0`` and
    ``Decimal('5')`` are one key), UUIDs in lower case, text as it is."""
    if logical in (LogicalType.INTEGER, LogicalType.DECIMAL, LogicalType.FLOAT):
        if isinstance(value, Decimal | float) and value == int(value):
            return int(value)
        if isinstance(value, int):
            return int(value)
        return str(value)
    if logical == LogicalType.UUID:
        return str(value).lower()
    return str(value)


_WORD = re.compile(r"[^a-z0-9]")


def _norm(name: str) -> str:
    return _WORD.sub("", name.lower())


def _table_words(table_name: str) -> set[str]:
    """The names a column may use for a table: the name and its trailing parts after an
    underscore (``wp_users`` → ``wpusers``, ``users``), each also in the singular."""
    parts = [p for p in re.split(r"[_\s]+", table_name.lower()) if p]
    out: set[str] = set()
    for i in range(len(parts)):
        word = _norm("".join(parts[i:]))
        forms = {word}
        if word.endswith("ies"):
            forms.add(word[:-3] + "y")
        if word.endswith(("ses", "xes", "ches", "shes")):
            forms.add(word[:-2])
        if word.endswith("s"):
            forms.add(word[:-1])
        out.update(f for f in forms if len(f) >= 3)
    return out


def names_match(column: str, parent_table: str, ref_column: str) -> bool:
    """Whether ``column`` is named for ``parent_table``'s key ``ref_column`` (module doc)."""
    c, k = _norm(column), _norm(ref_column)
    for t in _table_words(parent_table):
        if c == t or c.endswith((t + k, t + "id", t + "code", t + "key")):
            return True
        if c == k and t in k:
            return True
    return False
