"""What the statement helpers (:mod:`.indexes`, :mod:`.identity`) ask of the script's builder,
as a Protocol: they spell their clauses through it without importing the builder that calls
them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from dbsynth.schema import Table
from dbsynth.sqltext import Kind as TextKind
from dbsynth.writing.ddl.dialects import Kind, TargetDialect


class Writer(Protocol):
    """The builder's spelling of names and source text, and where its warnings go. ``same``: the
    target speaks the source's dialect (the exact path); ``t``: what the target can say."""

    same: bool
    t: TargetDialect

    def q(self, name: str) -> str: ...

    def sql(self, text: str, kind: TextKind, value_column: str | None = None) -> str: ...

    def table_sql(self, table: Table) -> str: ...

    def columns_sql(self, names: Iterable[str]) -> str: ...

    def constraint(self, name: str | None) -> str: ...

    def claim(self, kind: Kind, name: str | None, table: Table) -> str | None: ...

    def warn(self, where: str, text: str) -> None: ...

    def calls_missing(self, text: str | None, where: str, what: str) -> bool: ...

    def port(
        self, text: str, table: Table, what: str, value_column: str | None = None, where: str | None = None
    ) -> str | None: ...
