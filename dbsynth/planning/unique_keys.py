"""Which columns make each primary key and UNIQUE constraint of a table hold by construction.

Every key of a table must come out distinct without retrying anything, for every column model,
and a key that cannot hold the rows asked must be refused before the first row is written. Per
table, in this order:

* engine-numbered keys (``start + row index``) and FK-only composites (distinct parents per
  group, :mod:`dbsynth.generation.parents`) are unique already;
* a single-column key whose model builds values from the row index (shapes, Faker, config
  generators: ``from_index``) keeps them: the fitted look, unique by construction;
* any other single-column key, and UUID keys, take their row index through a keyed bijection
  into the column's value space (:mod:`dbsynth.columns.spaces`): ``'IZA'`` cannot come twice;
* a composite key makes one of its value columns unique on its own (``(-100, '', 0, 0)`` cannot
  come twice either), preferring a column with nothing fitted, then text over numbers, and
  never a column a CHECK reads (its valid values may be few), so the others keep their fitted
  values; when no column's space is large enough, the key's value columns are numbered
  together over the product of their spaces;
* a composite that mixes FK columns with fitted value columns (``(customer_id, kind)``,
  ``(rental_date, inventory_id, customer_id)``) keeps the fitted values: the per-chunk fallback
  (:mod:`dbsynth.generation.uniques`) re-picks labels and parents for the rare collision.

A key whose spaces are smaller than the rows asked is a :class:`GenerationError` naming the
table, the columns and both counts. Nullable columns are only refused this way when NOT NULL:
NULLs never collide, and how many rows are NULL is only known once drawn.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from dbsynth.columns.base import FiniteModel, IndexedModel
from dbsynth.columns.permute import permute
from dbsynth.columns.simple import ConstantModel
from dbsynth.columns.spaces import ValueSpace, value_space
from dbsynth.errors import GenerationError
from dbsynth.model import ColumnFit, TableModel
from dbsynth.schema import LogicalType, Table

# Text first: CHECKs rarely bound it, and a numbered text key looks like a code.
_PREFERENCE = {
    LogicalType.STRING: 0,
    LogicalType.TEXT: 0,
    LogicalType.UUID: 1,
    LogicalType.INTEGER: 2,
    LogicalType.DECIMAL: 3,
    LogicalType.FLOAT: 3,
}


@dataclass(frozen=True)
class Numbered:
    """Columns numbered together: row ``i`` gets key ``permute(i)`` in the product of the
    columns' spaces (one column: its own space), decoded digit by digit."""

    columns: tuple[str, ...]
    spaces: tuple[ValueSpace, ...]
    key: int

    @property
    def size(self) -> int:
        return math.prod(s.size for s in self.spaces)

    def values(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """The columns' values at table rows ``rows``."""
        keys = permute(rows, min(self.size, 2**64), f"values of ({', '.join(self.columns)})", self.key)
        out: dict[str, np.ndarray] = {}
        rest = keys
        for name, space in zip(reversed(self.columns), reversed(self.spaces), strict=True):
            digits = [k % space.size for k in rest]
            rest = [k // space.size for k in rest]
            out[name] = space.values(digits)
        return out


@dataclass(frozen=True)
class UniqueConstruction:
    """How the keys of one table hold (module docstring): ``numbered`` groups of columns filled
    from the row index, and ``settled`` the key column sets that need no per-chunk check."""

    numbered: tuple[Numbered, ...] = ()
    settled: tuple[tuple[str, ...], ...] = ()

    @property
    def columns(self) -> set[str]:
        return {c for g in self.numbered for c in g.columns}

    def row_key(self, table: Table) -> tuple[str, ...]:
        """NOT NULL columns whose values follow from the row index alone and identify the row
        (a single-column group), to find rows again by (an UPDATE after a cycle); () if none."""
        singles = [g.columns for g in self.numbered if len(g.columns) == 1]
        keys = [cols for cols in singles if not table.column(cols[0]).nullable]
        # A key a cut FK references (numbered for it) over a UUID one numbered anyway.
        pk = table.primary_key.columns if table.primary_key is not None else ()
        return next((cols for cols in keys if cols == pk), keys[0] if keys else ())


def construct_uniques(
    table: Table,
    tm: TableModel,
    rows: int,
    numbered: Sequence[str],
    salt: int,
    by_row: Collection[str] = (),
) -> UniqueConstruction:
    """The construction of ``table``'s keys for ``rows`` rows (module docstring); ``numbered``
    are its engine-numbered key columns and ``salt`` varies the bijections (seed and table).
    ``by_row``: single-column keys a cut foreign key references, numbered into their value
    space even when their model makes unique values of its own, so a child written ahead of
    the table computes them from the row index (:mod:`dbsynth.generation.rowkeys`).
    Raises :class:`GenerationError` when a key cannot hold ``rows`` distinct values."""
    fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
    # A self-reference is drawn per chunk, not from parents picked distinct at setup: a key
    # with its columns is checked chunk by chunk (dbsynth.generation.uniques).
    drawn_fk_cols = {c for fk in table.foreign_keys if fk.ref_table != table.key for c in fk.columns}
    skip = set(numbered) | fk_cols | {c.name for c in table.columns if c.generated is not None}
    keys = [u.columns for u in table.uniques if u.where is None]
    if table.primary_key is not None:
        keys.append(table.primary_key.columns)
    roles = {cf.name: cf for cf in tm.columns}
    groups: list[Numbered] = []
    done: set[str] = set()
    settled: list[tuple[str, ...]] = []

    def space(name: str) -> ValueSpace | None:
        cf = roles.get(name)
        model = cf.column_model if cf is not None else None
        return value_space(table.column(name), model, rows, _salt(salt, name))

    def single(name: str, s: ValueSpace) -> None:
        groups.append(Numbered((name,), (s,), _salt(salt, name)))
        done.add(name)

    # UUID keys are numbered by the engine: reproducible from the row index (cycles need it).
    for name in (c.name for c in table.columns if c.name not in skip):
        cf = roles.get(name)
        if cf is not None and cf.role == "key" and table.column(name).logical is LogicalType.UUID:
            s = space(name)
            assert s is not None  # every UUID column has a space
            single(name, s)
    # A column of a composite key that a cut FK's UPDATE finds rows by: numbered on its own.
    for name in sorted(by_row):
        if name not in skip and name not in done and not any(cols == (name,) for cols in keys):
            s = space(name)
            if s is not None and not _too_small(table, (name,), s.size, rows):
                single(name, s)
    for cols in sorted(keys, key=len):
        if set(cols) & (set(numbered) | done) or set(cols) <= drawn_fk_cols:
            settled.append(cols)
            continue
        values = [c for c in cols if c not in skip]
        if not values:
            continue
        if len(cols) == 1:
            name = cols[0]
            model = roles[name].column_model if name in roles else None
            s = space(name)
            if name in by_row and s is not None and not _too_small(table, cols, s.size, rows):
                single(name, s)
                settled.append(cols)
                continue
            if isinstance(model, IndexedModel):
                # Unique from_index values, the model's own look; but a model widens its codes
                # past what the type holds when asked for more rows than it can number (a code
                # prior for an empty char(1) key): the type's space still bounds the rows.
                if s is not None:
                    _too_small(table, cols, s.size, rows)
                settled.append(cols)
                continue
            if s is None or _too_small(table, cols, s.size, rows):
                continue
            single(name, s)
            settled.append(cols)
            continue
        # A column a CHECK reads may have few valid values (kind IN ('billing', 'shipping')).
        # With FK columns in the key, collisions are rare and the parents can vary instead: a
        # fitted column (rental_date in (rental_date, inventory_id, customer_id)) keeps its
        # fitted values; only one with nothing fitted (an empty source) is numbered.
        has_fk = bool(set(cols) & fk_cols)
        if not has_fk and all(_fitted(roles.get(c)) for c in values):
            support = math.prod(_support(table, roles[c], rows) for c in values)
            if support >= _AMPLE * rows or any(_grows(table, roles[c], rows) for c in values):
                # (year, team): both keep their fitted values. The per-chunk fallback re-picks
                # a collision: another frequent team that season, and once a season has every
                # team, a new code of the team's shape, never a season outside the fitted range
                # (numbering the key made seasons 1, 2, 3 ... at scale 3).
                continue
        checked = {c for ch in table.checks for c in ch.columns}
        spaces = {c: space(c) for c in values if c not in checked}
        ranked = sorted(
            (c for c in values if spaces.get(c) is not None and not (has_fk and _fitted(roles.get(c)))),
            key=lambda c: (
                _fitted(roles.get(c)),
                isinstance(roles[c].column_model if c in roles else None, FiniteModel),
                _PREFERENCE.get(table.column(c).logical, 4),
            ),
        )
        big = next((c for c in ranked if (s := spaces.get(c)) is not None and s.size >= rows), None)
        if big is not None:
            s = spaces.get(big)
            assert s is not None
            single(big, s)
            settled.append(cols)
        elif len(ranked) == len(values) and not has_fk:
            together = tuple(s for c in values if (s := spaces.get(c)) is not None)
            if _too_small(table, cols, math.prod(s.size for s in together), rows):
                continue
            groups.append(Numbered(tuple(values), together, _salt(salt, ",".join(values))))
            done.update(values)
            settled.append(cols)
    return UniqueConstruction(tuple(groups), tuple(settled))


# How many more distinct tuples than rows the fitted values of a composite key must offer before
# they are kept and collisions re-picked, rather than one column numbered: past half full, the
# re-picks would reshape the marginals more than numbering one column does.
_AMPLE = 2


def _support(table: Table, cf: ColumnFit, rows: int) -> float:
    """How many distinct values the fitted model of ``cf`` draws from: its labels, or the values
    of its fitted range (a float or text model: as many as its value space holds)."""
    model = cf.column_model
    if isinstance(model, FiniteModel):
        return len(model.values)
    s = value_space(table.column(cf.name), model, 1)
    return s.size if s is not None else math.inf


def _grows(table: Table, cf: ColumnFit, rows: int) -> bool:
    """Whether new values of this text column can absorb the collisions of ``rows`` rows: a code
    column whose type has room for more codes than rows (what the fallback draws from)."""
    if table.column(cf.name).logical not in (LogicalType.STRING, LogicalType.TEXT):
        return False
    s = value_space(table.column(cf.name), cf.column_model, rows)
    return s is not None and s.size >= rows


def _fitted(cf: ColumnFit | None) -> bool:
    """Whether the column has values fitted from data (not nothing, not one constant)."""
    model = cf.column_model if cf is not None else None
    return model is not None and not isinstance(model, ConstantModel)


class KeyCapacityError(GenerationError):
    """A NOT NULL unique key whose values cannot hold the rows asked: ``size`` is its most."""

    def __init__(self, size: int, columns: tuple[str, ...], message: str):
        super().__init__(message)
        self.size, self.columns = size, columns


def cap_at_key_capacity(
    tables: Mapping[str, Table],
    models: Mapping[str, TableModel],
    counts: dict[str, int],
    key_columns: Mapping[str, Sequence[str]],
    given: Collection[str],
    by_row: Mapping[str, Collection[str]],
) -> dict[str, str]:
    """Lower ``counts`` (in place) of the tables whose count was not given for them alone
    (``--rows '*=N'``, a fan-out, a scale) to what their unique keys' values can hold, and say
    why per capped table. A count given for the table itself is left for
    :func:`construct_uniques` to refuse."""
    why: dict[str, str] = {}
    for key, table in tables.items():
        if key in given or models[key].copy:
            continue
        asked = counts[key]
        for _ in range(len(table.uniques) + 2):  # each round lowers the count below one key's size
            try:
                construct_uniques(table, models[key], counts[key], key_columns[key], 0, by_row.get(key, ()))
                break
            except KeyCapacityError as e:
                counts[key] = e.size
                why[key] = (
                    f"capped at {e.size:,} row(s) from {asked:,}: unique ({', '.join(e.columns)}) "
                    f"can hold {e.size:,} distinct value(s) of its type"
                )
    return why


def _too_small(table: Table, cols: tuple[str, ...], size: int, rows: int) -> bool:
    """Whether ``size`` values are fewer than ``rows``: an error when every column is NOT NULL;
    otherwise NULLs may make up the difference, which the per-chunk fallback settles."""
    if size >= rows:
        return False
    if all(not table.column(c).nullable for c in cols):
        raise KeyCapacityError(
            size,
            cols,
            f"{table.key}: unique ({', '.join(cols)}) can hold at most {size:,} distinct values "
            f"for its type, but {rows:,} rows are asked; ask for fewer (--rows {table.key}={size})",
        )
    return True


def _salt(salt: int, name: str) -> int:
    return (salt * 1_000_003 + zlib.crc32(name.encode())) & (2**64 - 1)


def table_salt(seed: int, stream: int) -> int:
    """The salt of one table's key bijections: from the run's seed and the table's stream."""
    return ((seed & (2**32 - 1)) << 32) | (stream & (2**32 - 1))
