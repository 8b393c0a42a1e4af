"""How generation fills each foreign key of a table, decided when the plan is made.

Every FK of a table gets one :class:`FkMode`:

``driving``
    The table's rows are spread over the parents following the per-parent child counts
    (``dbsynth.generation.keys.spread_counts``); the child's copula is conditioned on its parent.
``weighted``
    Every other FK to an earlier table: parents are picked with the child counts as weights.
``self``
    A self-reference (``employee.reports_to``): each row references an earlier row or none.
``null_then_update``
    An FK cut out of a cycle (``dbsynth.cycles``) whose columns are all nullable, into a target
    that can UPDATE: the rows are written with NULL there and an UPDATE sets the values once
    the parent table is written.
``direct``
    Any other cut FK: the final values are written at once although the parent table comes
    later, computed from the parent's engine-numbered key. The constraint is then deferred to
    COMMIT, dropped and re-validated, virtual, or, for a target that cannot UPDATE (a directory
    of files), not checked while loading at all.

The target's :class:`Capabilities` are part of the plan, so ``--dry-run`` prints the mode the
run uses: a run into files never writes "NULL then UPDATE".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from dbsynth.cycles import BreakStrategy, CycleBreak
from dbsynth.errors import GenerationError
from dbsynth.model import Model, fk_id
from dbsynth.schema import ForeignKey, Table


class FkMode(StrEnum):
    """How one foreign key is filled (see the module docstring)."""

    DRIVING = "driving"
    WEIGHTED = "weighted"
    SELF = "self"
    NULL_THEN_UPDATE = "null_then_update"
    DIRECT = "direct"


CUT_MODES = (FkMode.NULL_THEN_UPDATE, FkMode.DIRECT)


@dataclass(frozen=True)
class Capabilities:
    """What the target can do, as far as the plan cares. ``updates``: it can UPDATE rows it has
    written (a database can; a directory of CSV or Parquet files cannot)."""

    updates: bool = True


@dataclass(frozen=True)
class FkPlan:
    """One foreign key of a table: ``id`` as :func:`dbsynth.model.fk_id` names it, the
    ``parent`` table key, the ``mode``, and for a cut FK the cycle-cut ``cut`` strategy the
    writer honours. Invariant: ``cut`` is set exactly when ``mode`` is ``null_then_update`` or
    ``direct``, and ``null_then_update`` only with a ``null_then_update`` cut."""

    id: str
    parent: str
    mode: FkMode
    cut: BreakStrategy | None = None


# How --dry-run names a cut FK written directly, by the reason it may be.
DIRECT_WORDS: dict[BreakStrategy, str] = {
    BreakStrategy.NULL_THEN_UPDATE: "written directly, the target cannot UPDATE",
    BreakStrategy.DEFERRED: "checked at COMMIT (deferred)",
    BreakStrategy.DISABLE_AND_VALIDATE: "constraint dropped for the load and validated after",
    BreakStrategy.VIRTUAL: "virtual, no constraint in the target",
}


def plan_foreign_keys(
    table: Table,
    model: Model,
    breaks: Mapping[str, CycleBreak],
    capabilities: Capabilities,
    rows: Mapping[str, int],
    key_columns: Mapping[str, tuple[str, ...]],
    row_keys: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[FkPlan, ...]:
    """The mode of every FK of ``table`` (in the table's FK order). ``breaks`` are the cut FKs
    by id, ``rows`` the planned row count and ``key_columns`` the engine-numbered keys of every
    table; ``row_keys`` other keys whose values follow from the row index (keyed UUIDs,
    numbered text keys), by which an UPDATE finds rows as well. Raises
    :class:`GenerationError` for a cut FK the engine cannot fill, so a run that would fail
    halfway fails before anything is written (and ``--dry-run`` says so)."""
    driving = model.table(table.key).driving_fk
    out: list[FkPlan] = []
    for fk in table.foreign_keys:
        rid = fk_id(table.key, fk.columns)
        cut = breaks.get(rid)
        if fk.ref_table == table.key:
            out.append(FkPlan(rid, fk.ref_table, FkMode.SELF))
        elif cut is not None:
            deferred = cut.strategy is BreakStrategy.NULL_THEN_UPDATE and capabilities.updates
            mode = FkMode.NULL_THEN_UPDATE if deferred else FkMode.DIRECT
            _check_cut(table, fk, mode, rows, key_columns, row_keys or {})
            out.append(FkPlan(rid, fk.ref_table, mode, cut.strategy))
        else:
            out.append(FkPlan(rid, fk.ref_table, FkMode.DRIVING if rid == driving else FkMode.WEIGHTED))
    return tuple(out)


def _check_cut(
    table: Table,
    fk: ForeignKey,
    mode: FkMode,
    rows: Mapping[str, int],
    key_columns: Mapping[str, tuple[str, ...]],
    row_keys: Mapping[str, tuple[str, ...]],
) -> None:
    columns = ", ".join(fk.columns)
    if mode is FkMode.NULL_THEN_UPDATE and not key_columns.get(table.key) and not row_keys.get(table.key):
        raise GenerationError(
            f"{table.key}: foreign key ({columns}) must be set by UPDATE after {fk.ref_table} is "
            "loaded, but the table has no key generated from the row index to find its rows by"
        )
    # A value written ahead of its parent must be computable before the parent exists: only an
    # engine-numbered single-column key (start + row index) or another key that follows from
    # the row index (a UUID key) is.
    numbered = key_columns.get(fk.ref_table, ())
    computable = (len(fk.ref_columns) == 1 and fk.ref_columns[0] in numbered) or (
        not numbered and fk.ref_columns == row_keys.get(fk.ref_table)
    )
    if mode is FkMode.DIRECT and rows.get(fk.ref_table) and not computable:
        raise GenerationError(
            f"{table.key}: the cut foreign key ({columns}) references {fk.ref_table} columns that "
            "are not keys generated from the row index; this cycle cannot be loaded yet"
        )
