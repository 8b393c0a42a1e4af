"""A table's CHECKs together: its own and its domains', compiled, with their hints merged."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from dbsynth.generation.checks.compile import CompiledCheck, LeftToDatabase, check_or_reason
from dbsynth.generation.checks.hints import Hints
from dbsynth.generation.checks.repair import apply_hints, repair
from dbsynth.schema import CheckConstraint, Domain, LogicalType, Schema, Table

# Rounds of resampling before a check is declared impossible. A row fails a round with
# probability at most 1/2 for the checks parents are picked again for (a nullable FK flips
# between NULL and a parent with probability 1/2), so 40 rounds leave ~1e-12 of the rows.
MAX_ROUNDS = 40


@dataclass(frozen=True)
class TableChecks:
    """Everything generation needs about one table's CHECKs: the compiled ones, the ones the
    target checks itself (to report), and the hints of all compiled ones merged per column."""

    table: str
    compiled: tuple[CompiledCheck, ...]
    left_to_database: tuple[LeftToDatabase, ...]
    hints: Hints

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        ok = np.ones(len(frame), dtype=bool)
        for check in self.compiled:
            ok &= check.evaluate(frame)
        return ok

    @property
    def columns(self) -> frozenset[str]:
        """The columns the compiled checks read."""
        return frozenset(c for check in self.compiled for c in check.columns)

    def enforce(
        self,
        frame: pd.DataFrame,
        resample: Callable[[np.ndarray, Mapping[str, np.ndarray]], pd.DataFrame],
        max_rounds: int = MAX_ROUNDS,
    ) -> pd.DataFrame:
        """The generator's one call: :func:`apply_hints`, then :func:`repair` (fresh rows get
        the hints too). ``resample(mask, blamed)`` gets, besides the rows to draw again, per
        column read by a failing check the rows where such a check fails (so the generator can
        change what it does not draw, such as the parents behind FK columns). Raises
        :class:`GenerationError` when a check cannot be met."""
        blamed: dict[str, np.ndarray] = {}

        def blame(failing: Sequence[tuple[CompiledCheck, np.ndarray]]) -> None:
            blamed.clear()
            for check, mask in failing:
                for column in check.columns:
                    blamed[column] = blamed[column] | mask if column in blamed else mask.copy()

        fixed = apply_hints(frame, self.hints)
        result = repair(
            fixed,
            self.compiled,
            lambda mask: resample(mask, blamed),
            max_rounds,
            hints=self.hints,
            blame=blame,
        )
        return result.frame


def _domain_index(schema: Schema) -> dict[str, Domain]:
    return {f"{d.schema}.{d.name}" if d.schema else d.name: d for d in schema.domains}


def table_checks(table: Table, schema: Schema, *, now: datetime | None = None) -> TableChecks:
    """The table's own CHECKs, then per column those of its domain (``VALUE`` = the column)."""
    domains = _domain_index(schema)
    items: list[tuple[CheckConstraint, str | None, bool]] = [(c, None, False) for c in table.checks]
    for col in table.columns:
        domain = domains.get(col.domain) if col.domain else None
        if domain is not None:
            elementwise = col.logical is LogicalType.ARRAY and domain.logical is not LogicalType.ARRAY
            items += [(c, col.name, elementwise) for c in domain.checks]
    compiled: list[CompiledCheck] = []
    left: list[LeftToDatabase] = []
    reference = now or datetime.now(UTC)
    for check, column, elementwise in items:
        result = check_or_reason(check, table, schema.dialect, column, now=reference, elementwise=elementwise)
        (compiled if isinstance(result, CompiledCheck) else left).append(result)  # type: ignore[arg-type]
    hints = Hints()
    for c in compiled:
        hints = hints.merge(c.hints)
    return TableChecks(table.key, tuple(compiled), tuple(left), hints)
