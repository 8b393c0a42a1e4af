"""Generate: a Model and a Plan in, batches of rows out. No database I/O, no hidden global state.

Tables come in plan order; each table in chunks of ``chunk_rows`` rows, each chunk with its own
random stream ``SeedSequence(seed, spawn_key=(table stream, chunk))``. So the same model, plan and
seed give the same rows, and a table's rows do not depend on which other tables exist (the
stream id is derived from the table key, not its position).

The run, one module per idea:

* :mod:`~dbsynth.generation.parents`: before a table's chunks, every foreign key gets a parent
  *index* per row, in the mode the plan gave it (children per parent, popularity weights, cut
  FKs, distinct composites), and per chunk the FK values that follow;
* :mod:`~dbsynth.generation.table`: the column values of each chunk (copula, column models,
  keys, orderings, CHECK enforcement through :mod:`~dbsynth.generation.checks`);
* :mod:`~dbsynth.generation.uniques`: uniques that construction does not cover;
* :mod:`~dbsynth.generation.store`: what a generated table keeps for its children;
* :mod:`~dbsynth.generation.updates`: the UPDATEs of FKs written NULL, once their parent exists.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sqlalchemy.engine import URL

from dbsynth.generation.batch import Batch, Update
from dbsynth.generation.store import Run
from dbsynth.generation.table import TableGenerator
from dbsynth.generation.updates import PendingUpdate, updates_after
from dbsynth.model import Model
from dbsynth.planning.plan import Plan


class Generator:
    """Runs a plan: ``for item in Generator(model, plan).run(): sink.write(item)``.

    ``key_start`` maps ``(table, column)`` to the first value of an engine-numbered key (the
    sink's ``key_start``); ``source`` is where tables copied verbatim (config ``copy: true``)
    are read from.
    """

    def __init__(
        self,
        model: Model,
        plan: Plan,
        key_start: Mapping[tuple[str, str], int] | None = None,
        *,
        source: str | URL | None = None,
    ):
        self.run_state = Run(model, plan, dict(key_start or {}), source)
        self.pending: list[PendingUpdate] = []

    def run(self) -> Iterator[Batch | Update]:
        plan = self.run_state.plan
        chunk_rows = {t.table: t.chunk_rows for t in plan.tables}
        for tp in plan.tables:
            table = TableGenerator(self.run_state, tp)
            self.pending.extend(table.parents.pending(table.row_key()))
            yield from table.batches()
            yield from updates_after(tp.table, self.pending, self.run_state.stores, chunk_rows)
