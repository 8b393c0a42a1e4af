"""CHECK constraints at generation time: compile, evaluate on a batch, derive hints, repair.

One idea per module: ``hints`` (the facts), ``derive`` (facts from a check's tree), ``compile``
(one check), ``table`` (a table's checks together), ``repair`` (hints and resampling on a batch).

A table's CHECKs (its own and those of the domains its columns use) come as source-dialect text.
:func:`table_checks` compiles each with sqlglot into a :class:`CompiledCheck` whose ``evaluate``
runs on a whole batch at once (``dbsynth.expr``), or leaves it to the database with the
reason (:class:`LeftToDatabase`), which the engine reports: the target then checks it itself.

From each compiled check come :class:`Hints`, facts the generator can honour by construction:
numeric and temporal bounds, allowed and excluded values, string lengths, patterns, NOT NULL and
column orderings. Hints are only ever *implied* by the check (never stricter than it), and apply
to non-NULL values, as a CHECK does: ``qty > 0`` lets a NULL ``qty`` through.

The generator then runs, per batch, ``checks.enforce(frame, resample)``, which is::

    frame = apply_hints(frame, checks.hints)           # bounds, sets, lengths: by construction
    frame = repair(frame, checks.compiled, resample, hints=checks.hints).frame  # resample the rest

where ``resample`` also hears, per column read by a failing check, the rows it fails on (the
generator then picks other parents for FK columns, ``dbsynth.generation.repick``).

Invariants:

* ``evaluate`` is True for a row exactly when the database would accept it for that CHECK (TRUE
  or NULL), up to the differences listed in ``dbsynth.expr``; a row on which the
  database would raise an error (division by zero) is False.
* Bounds in hints are inclusive and already stepped for the column's type: ``qty > 0`` on an
  integer is ``qty >= 1``, ``price > 0`` on ``numeric(10,2)`` is ``price >= 0.01``.
* ``now()`` and ``CURRENT_DATE`` mean one reference time fixed when the check is compiled, so the
  same batch always evaluates the same way.
"""

from dbsynth.generation.checks.compile import CompiledCheck, LeftToDatabase, check_or_reason, compile_check
from dbsynth.generation.checks.hints import CheckOrder, ColumnHints, Hints, Pattern
from dbsynth.generation.checks.repair import RepairResult, apply_hints, repair
from dbsynth.generation.checks.table import TableChecks, table_checks

__all__ = [
    "CheckOrder",
    "ColumnHints",
    "CompiledCheck",
    "Hints",
    "LeftToDatabase",
    "Pattern",
    "RepairResult",
    "TableChecks",
    "apply_hints",
    "check_or_reason",
    "compile_check",
    "repair",
    "table_checks",
]
