"""PostgreSQL extensions and user functions in the target, and what is dropped without them.

Extensions (``Schema.extensions``) are created within PostgreSQL with ``CREATE EXTENSION IF NOT
EXISTS ... WITH SCHEMA`` the schema they have in the source, after the namespaces: the source's
expressions name their objects schema-qualified (``public.gen_random_uuid()``). Whether the target
has them and lets the role create them is checked before any DDL runs
(:func:`~dbsynth.writing.ddl.script.create_schema`).

User functions (``Schema.routines``) are created within PostgreSQL from their definition, with
``check_function_bodies`` off (a SQL function's body is checked at creation, and it may read
tables that come later, as ``pg_dump`` does). A routine is *carried* when it has a definition
(a Schema introspected in this run; a model file never holds one, see
:class:`~dbsynth.schema.Routine`) and every routine it calls is carried. Every CHECK, default,
generated column, index and domain constraint that calls a routine not carried, and across
dialects any routine at all, is dropped with a note naming the function.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dbsynth.schema import Routine, Schema

_EXTENSION_NAME = re.compile(r'^CREATE EXTENSION IF NOT EXISTS "([^"]+)"')


def carried(schema: Schema, same_dialect: bool) -> tuple[list[Routine], list[Routine]]:
    """(carried, not carried) routines of ``schema``, each in Schema order."""
    if not same_dialect or schema.dialect != "postgresql":
        return [], list(schema.routines)
    ok = {r.signature for r in schema.routines if r.definition is not None}
    changed = True
    while changed:  # a routine that calls one not carried is not carried either
        changed = False
        for r in schema.routines:
            if r.signature in ok and any(c not in ok for c in r.calls):
                ok.discard(r.signature)
                changed = True
    return [r for r in schema.routines if r.signature in ok], [
        r for r in schema.routines if r.signature not in ok
    ]


def call_pattern(routine: Routine) -> re.Pattern[str]:
    """A call of ``routine`` in SQL text: ``schema.name(``, quoted or not; unqualified too when
    the routine's schema is unknown."""
    name = rf'(?:{re.escape(routine.name)}|"{re.escape(routine.name)}")'
    if routine.schema:
        schema = rf'(?:{re.escape(routine.schema)}|"{re.escape(routine.schema)}")'
        name = rf"{schema}\s*\.\s*{name}"
    return re.compile(rf'(?<![\w."$]){name}\s*\(', re.IGNORECASE)


class MissingRoutines:
    """Finds a call of a routine that is not carried in a piece of SQL text."""

    def __init__(self, missing: Sequence[Routine]) -> None:
        self.patterns = [(r, call_pattern(r)) for r in missing]

    def called(self, text: str | None) -> Routine | None:
        if not text:
            return None
        return next((r for r, p in self.patterns if p.search(text)), None)


def why_missing(routine: Routine, same_dialect: bool) -> str:
    if not same_dialect:
        return f"calls the function {routine.signature}, which exists only in the source's dialect"
    if routine.definition is None and routine.language not in ("sql", "plpgsql"):
        return f"calls the function {routine.signature} ({routine.language}), which cannot be carried"
    if routine.definition is None:
        return (
            f"calls the function {routine.signature}, whose body is carried only by clone "
            "(never read from a model file)"
        )
    return f"calls the function {routine.signature}, which calls a function that cannot be carried"


def extension_names(statements: Sequence[str]) -> list[str]:
    """The extension names of ``CREATE EXTENSION IF NOT EXISTS "name"`` statements."""
    return [m.group(1) for s in statements if (m := _EXTENSION_NAME.match(s))]
