"""Rich rendering for the command line: the schema summary and status lines.

Everything shown here is built from library objects (Schema, plan lines); nothing is computed.
Database text (type names like ``text[]``, CHECK expressions) is wrapped in :class:`Text` so
rich never reads it as markup.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table as RichTable
from rich.text import Text

from dbsynth.schema import Column, ForeignKey, Schema, Table

# Wide enough for a type and a default side by side; a terminal's own width wins when known.
FILE_WIDTH = 110


def stdout_console() -> Console:
    """Standard output; when it is not a terminal (a pipe, a file) and COLUMNS is not set, lay
    out at ``FILE_WIDTH`` rather than rich's 80 columns, which folds most type names."""
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(highlight=False, width=FILE_WIDTH)
    return console


def stderr_console() -> Console:
    """Where status lines go, so standard output stays pure data (JSON, Mermaid)."""
    return Console(stderr=True, highlight=False)


def status(console: Console, message: str) -> None:
    """One line saying what is happening (never markup, never a password: callers pass
    display URLs)."""
    console.print(Text(message, style="dim"), soft_wrap=True)


def print_all(console: Console, renderables: Sequence[RenderableType]) -> None:
    for item in renderables:
        console.print(item)


def to_plain_text(renderables: Sequence[RenderableType], width: int = FILE_WIDTH) -> str:
    """Render without colour or terminal codes, e.g. for ``--output FILE``."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=True, highlight=False, color_system=None)
    print_all(console, renderables)
    # rich pads table cells to the column width; trailing blanks are noise in a file.
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


def schema_summary(schema: Schema, source: str, plan_lines: Sequence[str]) -> list[RenderableType]:
    """The ``dbsynth inspect`` text view: a header, one block per table, the insertion plan
    (``plan_lines`` from :func:`dbsynth.graph.describe_plan`), then the schema's warnings."""
    out: list[RenderableType] = [_header(schema, source)]
    for table in schema.tables:
        out.extend(_table_block(table))
    out.append(Text("\nInsertion plan", style="bold"))
    out.append(_bullets(plan_lines))
    if schema.warnings:
        out.append(Text(f"\nWarnings ({len(schema.warnings)})", style="bold yellow"))
        out.append(_bullets(schema.warnings, style="yellow"))
    else:
        out.append(Text("\nNo schema warnings."))
    return out


def _header(schema: Schema, source: str) -> Text:
    fks = sum(len(t.foreign_keys) for t in schema.tables)
    checks = sum(len(t.checks) for t in schema.tables)
    server = f"{schema.dialect} {schema.server_version}" if schema.server_version else schema.dialect
    text = Text(f"{server} at {source}\n", style="bold")
    text.append(
        f"{_plural(len(schema.tables), 'table')}, {_plural(fks, 'foreign key')}, "
        f"{_plural(checks, 'check constraint')}",
        style="",
    )
    if schema.schemas:
        text.append(f"; schemas: {', '.join(schema.schemas)}")
    if schema.enums:
        text.append(f"; {_plural(len(schema.enums), 'enum type')}")
    if schema.domains:
        text.append(f"; {_plural(len(schema.domains), 'domain')}")
    return text


def _table_block(table: Table) -> Iterator[RenderableType]:
    rows = "rows unknown: not analyzed" if table.row_estimate is None else f"~{table.row_estimate:,} rows"
    yield Text.assemble("\n", (table.key, "bold cyan"), f"  ({rows})")
    grid = RichTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1))
    for heading in ("column", "SQL type", "logical", "null", "default", "identity"):
        grid.add_column(heading, overflow="fold")
    for col in table.columns:
        grid.add_row(
            Text(col.name),
            Text(col.sql_type),
            Text(col.logical.value),
            Text("NULL" if col.nullable else "NOT NULL"),
            Text(_default(col)),
            Text(_identity(col)),
        )
    yield grid
    yield _bullets(list(_constraint_lines(table)), bullet="")


def _bullets(lines: Sequence[str], bullet: str = "-", style: str = "") -> RichTable:
    """Lines with a hanging indent, so a wrapped line stays visibly one item."""
    grid = RichTable.grid(padding=(0, 1))
    grid.add_column(width=max(1, len(bullet)) + 1, justify="right")
    grid.add_column(overflow="fold")
    for line in lines:
        grid.add_row(Text(bullet), Text(line, style=style))
    return grid


def _constraint_lines(table: Table) -> Iterator[str]:
    if table.primary_key:
        yield f"primary key ({', '.join(table.primary_key.columns)})"
    else:
        yield "no primary key"
    for u in table.uniques:
        where = f" where {u.where}" if u.where else ""
        kind = "unique index" if u.kind == "index" else "unique"
        yield f"{kind} ({', '.join(u.columns)}){where}"
    for fk in table.foreign_keys:
        yield "foreign key " + _fk_text(fk)
    for check in table.checks:
        origin = f" (from domain {check.name})" if check.source == "domain" and check.name else ""
        yield f"check {check.expression}{origin}"
    if table.partitioning:
        p = table.partitioning
        yield f"partitioned by {p.strategy} ({p.key}): {_plural(len(p.partitions), 'partition')}"
    if table.inherits:
        yield f"inherits {', '.join(table.inherits)}"


def _fk_text(fk: ForeignKey) -> str:
    text = f"({', '.join(fk.columns)}) → {fk.ref_table} ({', '.join(fk.ref_columns)})"
    if fk.on_delete != "NO ACTION":
        text += f" on delete {fk.on_delete.lower()}"
    if fk.on_update != "NO ACTION":
        text += f" on update {fk.on_update.lower()}"
    if fk.deferrable:
        text += " deferrable" + (" initially deferred" if fk.initially_deferred else "")
    if fk.virtual:
        text += f" [inferred: {fk.inferred}]" if fk.inferred else " [declared in config]"
    return text


def _default(col: Column) -> str:
    if col.generated is not None:
        return f"generated: {col.generated}"
    if col.on_update:  # MySQL's ON UPDATE, recorded apart from DEFAULT
        return f"{col.default or ''} on update {col.on_update}".strip()
    return col.default or ""


def _identity(col: Column) -> str:
    if col.identity is None:
        return ""
    ident = col.identity.kind.replace("_", " ")
    sequence = col.identity.sequence
    # A serial's default already names its sequence (nextval('actor_actor_id_seq')): say it once.
    if sequence and sequence.rsplit(".", 1)[-1] not in (col.default or ""):
        return f"{ident} ({sequence})"
    return ident


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


__all__ = ["print_all", "schema_summary", "status", "stderr_console", "stdout_console", "to_plain_text"]
